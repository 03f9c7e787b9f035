r"""Loss functions on tensors: reconstruction costs and the POT objective.

These are pure functions (no networks, no state) so that each term of an objective can
be checked by hand and plotted on its own. The recipe of the VEGAN cookbook is

.. math::

    D_{\mathrm{POT}} = \mathbb{E}_{P_X}\, c\big(X, G(E(X))\big)
        + \lambda\, \mathcal{D}(Q_Z, P_Z),

with a per-sample cost :math:`c` (:data:`COSTS`) and a latent divergence
:math:`\mathcal{D}` from :mod:`vegan_lib.divergences`; :func:`pot_loss` assembles the
two and returns every part.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = ["squared_cost", "euclidean_cost", "COSTS", "pot_loss"]


def _check_same_shape(x: torch.Tensor, y: torch.Tensor) -> None:
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            raise ValueError(
                f"{name} must be a floating-point tensor with the batch on axis 0; "
                f"convert it with torch.as_tensor({name}, dtype=torch.float32)"
            )
        if t.ndim == 0:
            raise ValueError(
                f"{name} is 0-dimensional; costs are per sample, pass shape (N, ...)"
            )
    if x.shape != y.shape:
        raise ValueError(
            f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}; "
            "the decoder's output must have the data's shape"
        )


def squared_cost(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Per-sample squared Euclidean cost, summed over every coordinate or pixel.

    .. math::

        c(x, y) = \lVert x - y \rVert_2^2 = \sum_{k} (x_k - y_k)^2 .

    Summed, not averaged, over pixels: this is the cost of the WAE paper, and it sets
    the scale against which :math:`\lambda` is chosen.

    Parameters
    ----------
    x, y : Tensor, shape (N, ...)
        Two batches of the same shape (a 1-D tensor is N one-dimensional samples).

    Returns
    -------
    Tensor, shape (N,)

    Raises
    ------
    ValueError
        If the shapes differ or a tensor is 0-dimensional.

    Examples
    --------
    >>> x = torch.tensor([[0.0, 0.0], [1.0, 1.0]]); y = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    >>> squared_cost(x, y)
    tensor([25.,  0.])
    """
    _check_same_shape(x, y)
    return (x - y).pow(2).reshape(x.shape[0], -1).sum(1)


def euclidean_cost(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Per-sample Euclidean distance of the flattened samples.

    .. math::

        c(x, y) = \lVert x - y \rVert_2 = \Big(\sum_k (x_k - y_k)^2\Big)^{1/2} .

    The gradient at :math:`x = y` is taken to be 0 (a subgradient), never NaN.

    Parameters
    ----------
    x, y : Tensor, shape (N, ...)

    Returns
    -------
    Tensor, shape (N,)

    Raises
    ------
    ValueError
        If the shapes differ or a tensor is 0-dimensional.

    Examples
    --------
    >>> euclidean_cost(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([5.])
    """
    _check_same_shape(x, y)
    # vector_norm's backward masks the zero-norm case, so the gradient at x == y is 0.
    return torch.linalg.vector_norm((x - y).reshape(x.shape[0], -1), dim=1)


COSTS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "squared": squared_cost,
    "euclidean": euclidean_cost,
}
"""Reconstruction costs by name, as accepted by the models' ``cost`` argument."""


def _check_lam(lam: float) -> float:
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"lam must be a non-negative number, got {lam!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(
            f"lam must be a non-negative finite number, got {value}; the WAE paper uses "
            "lam = 10 (MMD) or lam = 1 (GAN) on MNIST"
        )
    return value


def pot_loss(
    reconstruction: torch.Tensor, penalty: torch.Tensor, lam: float
) -> dict[str, torch.Tensor]:
    r"""Penalized optimal transport objective on a batch, with its parts.

    .. math::

        \widehat{D}_{\mathrm{POT}} = \frac{1}{N} \sum_{i=1}^{N} c\big(x_i, G(E(x_i))\big)
            + \lambda\, \widehat{\mathcal{D}}(Q_Z, P_Z).

    Parameters
    ----------
    reconstruction : Tensor, shape (N,)
        Per-sample costs :math:`c(x_i, G(E(x_i)))`.
    penalty : Tensor, shape ()
        The batch estimate of :math:`\mathcal{D}(Q_Z, P_Z)`.
    lam : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    dict of str to Tensor, shape ()
        ``"loss"`` (what the optimizer minimises), ``"reconstruction"`` (the mean cost)
        and ``"penalty"`` (as given, not multiplied by :math:`\lambda`).

    Raises
    ------
    ValueError
        If ``reconstruction`` is not 1-D and non-empty, ``penalty`` is not a scalar, or
        ``lam`` is negative or not finite.

    Examples
    --------
    >>> parts = pot_loss(torch.tensor([1.0, 3.0]), torch.tensor(0.5), lam=10.0)
    >>> {k: round(v.item(), 2) for k, v in parts.items()}
    {'loss': 7.0, 'reconstruction': 2.0, 'penalty': 0.5}
    """
    if not isinstance(reconstruction, torch.Tensor) or reconstruction.ndim != 1:
        shape = getattr(reconstruction, "shape", None)
        raise ValueError(
            f"reconstruction must be the per-sample costs, shape (N,), got shape {shape}; "
            "use squared_cost(x, x_hat) rather than its mean"
        )
    if reconstruction.shape[0] == 0:
        raise ValueError("reconstruction is empty; use a batch with at least one sample")
    if not isinstance(penalty, torch.Tensor) or penalty.ndim != 0:
        shape = getattr(penalty, "shape", None)
        raise ValueError(
            f"penalty must be a 0-dimensional tensor, got shape {shape}; "
            "reduce it to one number (e.g. with .mean())"
        )
    lam = _check_lam(lam)
    rec = reconstruction.mean()
    return {"loss": rec + lam * penalty, "reconstruction": rec, "penalty": penalty}
