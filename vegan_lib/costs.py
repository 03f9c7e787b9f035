r"""Per-sample costs :math:`c(x, y)` between data and reconstructions, shared by every model.

The squared and Euclidean costs of optimal transport (:data:`COSTS`), and the Gaussian
negative log-likelihood :math:`-\log N(x; y, \sigma^2 I) = \lVert x - y \rVert^2 / (2\sigma^2)
+ \frac d2 \log(2\pi\sigma^2)`, which is the cost of the AAE (chapter 4,
:mod:`vegan_lib.pot`) and the reconstruction term of the VAE (chapter 5,
:mod:`vegan_lib.vae`). Here, not in a chapter's module, so that both import it without
importing each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from vegan_lib._checks import check_batch_pair, check_sigma2

__all__ = ["squared_cost", "euclidean_cost", "COSTS", "gaussian_nll", "GaussianNLLCost",
           "gaussian_nll_cost"]


def squared_cost(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Per-sample squared Euclidean cost :math:`\lVert x - y \rVert_2^2`, summed over pixels.

    Summed, not averaged: the scale against which :math:`\lambda` is chosen (see
    :data:`~vegan_lib.pot.WAE_COST_SCALE`). ``x`` and ``y`` are batches (N, ...) of one shape (a 1-D
    tensor is N one-dimensional samples); returns shape (N,). Raises ``ValueError``, naming
    ``x`` or ``y``, unless both are floating-point tensors of one shape, on one device, with
    at least one sample.

    Examples
    --------
    >>> x = torch.tensor([[0.0, 0.0], [1.0, 1.0]]); y = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    >>> squared_cost(x, y)
    tensor([25.,  0.])
    """
    check_batch_pair(x, y)
    return _squared(x, y)


def _squared(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x - y).pow(2).reshape(x.shape[0], -1).sum(1)


def euclidean_cost(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Per-sample Euclidean distance :math:`\lVert x - y \rVert_2` of the flattened samples.

    The gradient at :math:`x = y` is 0 (a subgradient), never NaN. Shapes and errors as
    :func:`squared_cost`.

    Examples
    --------
    >>> euclidean_cost(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([5.])
    """
    check_batch_pair(x, y)
    # vector_norm's backward masks the zero-norm case, so the gradient at x == y is 0.
    return torch.linalg.vector_norm((x - y).reshape(x.shape[0], -1), dim=1)


COSTS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "squared": squared_cost,
    "euclidean": euclidean_cost,
}
"""Reconstruction costs by name, as accepted by the ``cost`` argument of
:class:`~vegan_lib.pot.POTModel`."""


def gaussian_nll(x: torch.Tensor, mean: torch.Tensor, sigma2: float) -> torch.Tensor:
    r"""Per-sample negative log-likelihood of a Gaussian decoder :math:`N(G(z), \sigma^2 I)`.

    .. math::

        -\log p(x \mid z) = \frac{\lVert x - G(z) \rVert_2^2}{2 \sigma^2}
            + \frac{d}{2} \log(2 \pi \sigma^2),

    :math:`d` the number of coordinates of one sample: ``squared_cost(x, mean) /
    (2 * sigma2)`` plus the constant. ``x`` and ``mean`` are batches (N, ...) of one shape,
    ``sigma2 > 0``; returns shape (N,) on ``x``'s device and dtype. Raises ``ValueError``
    naming ``x``, ``mean`` or ``sigma2`` for an empty batch, shapes or devices that differ,
    a tensor that is not floating point, or a ``sigma2`` that is not one positive number.

    Examples
    --------
    For :math:`\sigma^2 = 1/(2\pi)` the constant vanishes:

    >>> x = torch.tensor([[1.0, 0.0], [0.0, 0.0]]); mean = torch.zeros(2, 2)
    >>> gaussian_nll(x, mean, sigma2=1 / (2 * math.pi))
    tensor([3.1416, 0.0000])
    """
    return _nll(x, mean, sigma2, ("x", "mean"))


def _nll(x: torch.Tensor, mean: torch.Tensor, sigma2: float,
         names: tuple[str, str]) -> torch.Tensor:
    sigma2 = check_sigma2(sigma2)
    check_batch_pair(x, mean, names)
    cost = _squared(x, mean)
    d = math.prod(x.shape[1:])  # coordinates per sample; 1 for a 1-D batch
    return cost / (2.0 * sigma2) + 0.5 * d * math.log(2.0 * math.pi * sigma2)


class GaussianNLLCost:
    r"""The per-sample cost :math:`c(x, y) = -\log N(x; y, \sigma^2 I)` (:func:`gaussian_nll`).

    Build it with :func:`gaussian_nll_cost`; ``sigma2`` is read-only (make a new cost to
    change it).
    """

    __slots__ = ("_sigma2",)

    def __init__(self, sigma2: float) -> None:
        self._sigma2 = check_sigma2(sigma2)

    @property
    def sigma2(self) -> float:
        r"""The decoder variance :math:`\sigma^2`."""
        return self._sigma2

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return _nll(x, y, self._sigma2, ("x", "y"))

    def __repr__(self) -> str:
        return f"gaussian_nll_cost(sigma2={self._sigma2!r})"


def gaussian_nll_cost(sigma2: float) -> GaussianNLLCost:
    r"""The AAE's reconstruction cost :math:`c(x, y) = -\log N(x; y, \sigma^2 I)`, per sample.

    Raises ``ValueError`` unless ``sigma2`` is a positive finite number.

    Examples
    --------
    >>> cost = gaussian_nll_cost(1 / (2 * math.pi))
    >>> cost(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2))
    tensor([3.1416])
    >>> gaussian_nll_cost(0.5)
    gaussian_nll_cost(sigma2=0.5)
    """
    return GaussianNLLCost(sigma2)
