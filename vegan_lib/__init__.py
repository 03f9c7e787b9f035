"""vegan_lib: the library behind the VEGAN Cookbook.

One module per idea, in the order the book needs them:

- :mod:`vegan_lib.device` — ``get_device``, ``seed_everything``
- :mod:`vegan_lib.data` — ``toy_2d``, ``mnist``, ``digits``
- :mod:`vegan_lib.transport` — exact, 1-D, Gaussian and entropic optimal transport (POT)
- :mod:`vegan_lib.theory` — the encoder form of the transport cost (chapter 2)
- :mod:`vegan_lib.divergences`, :mod:`vegan_lib.objectives`, :mod:`vegan_lib.nets`,
  :mod:`vegan_lib.models`, :mod:`vegan_lib.train` — the POT recipe and its training loop
- :mod:`vegan_lib.plotting` — one look for every figure (imported on demand)

The most used names are re-exported here, so ``from vegan_lib import wasserstein`` works.
"""

from vegan_lib.data import digits, mnist, toy_2d
from vegan_lib.device import get_device, seed_everything
from vegan_lib.divergences import mmd2
from vegan_lib.models import POTModel
from vegan_lib.theory import encoder_form
from vegan_lib.train import History, fit
from vegan_lib.transport import (
    cost_matrix,
    exact_ot,
    gaussian_w2,
    sinkhorn,
    sinkhorn_plan,
    wasserstein,
    wasserstein_1d,
)

__version__ = "0.1.0"

__all__ = [
    "History",
    "POTModel",
    "cost_matrix",
    "digits",
    "encoder_form",
    "exact_ot",
    "fit",
    "gaussian_w2",
    "get_device",
    "mmd2",
    "mnist",
    "seed_everything",
    "sinkhorn",
    "sinkhorn_plan",
    "toy_2d",
    "wasserstein",
    "wasserstein_1d",
]
