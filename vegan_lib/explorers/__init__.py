r"""Interactive explorers: one slider on one idea of chapters 1, 3, 4 and 6.

Each explorer holds a small, fixed problem from its chapter, precomputes in its
constructor whatever is slow, and then answers a change of its parameter in well under a
second on a CPU:

* :class:`SinkhornExplorer` (chapter 1): the entropic plan :math:`P_\varepsilon` against
  the exact plan as :math:`\varepsilon` moves;
* :class:`POTRelaxationExplorer` (chapter 3): the total-variation relaxation
  :math:`D_{\mathrm{POT}}(\lambda)` and its optimal encoder as :math:`\lambda` moves;
* :class:`AAESigmaExplorer` (chapter 4): the affine identity between the AAE and POT
  objectives on one batch, and the POT weight :math:`\lambda = 2\sigma^2
  \lambda_{\mathrm{AAE}}`, as :math:`\sigma^2` moves;
* :class:`CriticExplorer` (chapter 6): neural critics (weight clipping, gradient penalty,
  spectral normalisation) against the exact :math:`W_1`, on a precomputed grid of
  clipping values and penalty weights.

Every explorer separates three things:

1. ``update(...)``: a pure callback that recomputes, redraws ``figure`` (a
   ``matplotlib.figure.Figure``, never a pyplot window) and returns the numbers it shows;
2. ``widget()``: the ipywidgets controls wired to ``update`` (ipywidgets is imported only
   there, so the rest works without it);
3. ``static_figure(values)``: a small multiple of several settings, for readers of the
   HTML book, where no kernel answers the sliders (a pyplot figure, shown by the notebook
   like every other figure; the live ``figure`` is not a pyplot figure, so building an
   explorer shows nothing by itself).

One file per explorer; the shared plumbing is in ``_base.py``. This package is not
imported by ``vegan_lib/__init__.py`` (nothing else in the library imports it); import it
explicitly: ``from vegan_lib.explorers import SinkhornExplorer``.
"""

from vegan_lib.explorers.aae_sigma import AAESigmaExplorer
from vegan_lib.explorers.critic import CriticExplorer, CriticRun
from vegan_lib.explorers.pot_relaxation import POTRelaxationExplorer
from vegan_lib.explorers.sinkhorn import SinkhornExplorer

__all__ = [
    "AAESigmaExplorer",
    "CriticExplorer",
    "CriticRun",
    "POTRelaxationExplorer",
    "SinkhornExplorer",
]
