r"""Latent divergences D(Q_Z, P_Z): the penalty term of the POT / WAE objective.

The penalized optimal transport objective of the VEGAN cookbook (Bousquet et al., 2017)
and of Wasserstein auto-encoders (Tolstikhin et al., 2018) is

.. math::

    D_{\mathrm{POT}}(P_X, P_G) = \mathbb{E}_{P_X}\, c\big(X, G(E(X))\big)
        + \lambda \, \mathcal{D}(Q_Z, P_Z),

where :math:`Q_Z` is the distribution of the codes :math:`E(X)` and :math:`P_Z` the prior.
This module holds the two estimates of :math:`\mathcal{D}` used by the WAE paper, both
computed from a minibatch of codes and a minibatch of prior samples:

* **WAE-MMD**: the unbiased U-statistic of the squared maximum mean discrepancy with the
  inverse multiquadratics (IMQ) kernel (:func:`mmd2`);
* **WAE-GAN**: an adversarial (Jensen-Shannon) estimate with a latent discriminator
  (:func:`latent_discriminator_loss` for the discriminator, :func:`adversarial_penalty`
  for the encoder).

Tensors in, tensors out: results live on the inputs' device with the inputs' dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F

__all__ = [
    "KERNELS",
    "imq_kernel",
    "rbf_kernel",
    "mmd2",
    "latent_discriminator_loss",
    "adversarial_penalty",
]


# --------------------------------------------------------------------------- validation
def _check_cloud(x: torch.Tensor, name: str, min_points: int = 1) -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of shape (n, d), got {type(x).__name__}; "
            f"convert it with torch.as_tensor({name}, dtype=torch.float32)"
        )
    if x.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D of shape (n, d), got shape {tuple(x.shape)}; "
            f"flatten each sample with {name}.flatten(1)"
        )
    if not x.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {x.dtype}; "
            f"convert it with {name}.float()"
        )
    if x.shape[0] < min_points:
        raise ValueError(
            f"{name} needs at least {min_points} points, got {x.shape[0]}; "
            "use a larger batch"
        )
    if not bool(torch.isfinite(x).all()):
        raise ValueError(
            f"{name} contains NaN or inf values; check the encoder output or lower the "
            "learning rate"
        )


def _check_pair(x: torch.Tensor, y: torch.Tensor, min_points: int = 1) -> None:
    _check_cloud(x, "x", min_points)
    _check_cloud(y, "y", min_points)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have the same dimension d, got x: {tuple(x.shape)} and "
            f"y: {tuple(y.shape)}; compare codes with prior samples of the same size"
        )
    if x.dtype != y.dtype:
        raise ValueError(
            f"x and y must have the same dtype, got {x.dtype} and {y.dtype}; "
            "convert one with y.to(x.dtype)"
        )
    if x.device != y.device:
        raise ValueError(
            f"x and y must be on the same device, got {x.device} and {y.device}; "
            "move one with y.to(x.device)"
        )


def _check_constant(C: float, name: str = "C") -> float:
    try:
        value = float(C)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {C!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"{name} must be a positive finite number, got {value}; the WAE paper uses "
            "C = 2 d for the prior N(0, I_d)"
        )
    return value


def _check_scales(scales: Iterable[float]) -> tuple[float, ...]:
    try:
        values = tuple(float(s) for s in scales)
    except (TypeError, ValueError):
        raise ValueError(
            f"scales must be an iterable of positive numbers, got {scales!r}; "
            "e.g. scales=(0.1, 0.2, 0.5, 1, 2, 5, 10)"
        ) from None
    if not values:
        raise ValueError("scales is empty; pass None for a single scale or at least one value")
    bad = [s for s in values if not (math.isfinite(s) and s > 0)]
    if bad:
        raise ValueError(f"scales must all be positive and finite, got {bad}; remove them")
    return values


# --------------------------------------------------------------------------- kernels
def _squared_distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # ||a||^2 + ||b||^2 - 2 <a, b>: O(n m) memory instead of O(n m d); clamped at 0
    # because rounding can make the expansion slightly negative.
    sq = x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1).unsqueeze(0) - 2.0 * (x @ y.T)
    return sq.clamp_min(0.0)


def _imq_from_squared(sq: torch.Tensor, C: float) -> torch.Tensor:
    return C / (C + sq)


def _rbf_from_squared(sq: torch.Tensor, C: float) -> torch.Tensor:
    return torch.exp(-sq / C)


_PROFILES: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "imq": _imq_from_squared,
    "rbf": _rbf_from_squared,
}


def imq_kernel(x: torch.Tensor, y: torch.Tensor, C: float) -> torch.Tensor:
    r"""Inverse multiquadratics kernel matrix.

    .. math::

        k(a, b) = \frac{C}{C + \lVert a - b \rVert_2^2}.

    Its heavy tails keep gradients alive when the codes are far from the prior, which
    is why the WAE paper prefers it to the Gaussian kernel.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)
    C : float
        Positive scale; :math:`2 d` is the WAE choice for the prior :math:`N(0, I_d)`.

    Returns
    -------
    Tensor, shape (n, m)
        ``K[i, j] = k(x[i], y[j])``.

    Raises
    ------
    ValueError
        If the inputs are not finite 2-D tensors of the same dimension, or C <= 0.

    Examples
    --------
    >>> x = torch.tensor([[0.0, 0.0]]); y = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    >>> imq_kernel(x, y, C=2.0)
    tensor([[1.0000, 0.5000]])
    """
    _check_pair(x, y)
    return _imq_from_squared(_squared_distances(x, y), _check_constant(C))


def rbf_kernel(x: torch.Tensor, y: torch.Tensor, C: float) -> torch.Tensor:
    r"""Gaussian (RBF) kernel matrix.

    .. math::

        k(a, b) = \exp\!\left(-\frac{\lVert a - b \rVert_2^2}{C}\right).

    Parameters
    ----------
    x : Tensor, shape (n, d)
    y : Tensor, shape (m, d)
    C : float
        Positive bandwidth (the kernel's squared length scale).

    Returns
    -------
    Tensor, shape (n, m)

    Raises
    ------
    ValueError
        If the inputs are not finite 2-D tensors of the same dimension, or C <= 0.

    Examples
    --------
    >>> x = torch.tensor([[0.0]]); y = torch.tensor([[0.0], [1.0]])
    >>> rbf_kernel(x, y, C=1.0)
    tensor([[1.0000, 0.3679]])
    """
    _check_pair(x, y)
    return _rbf_from_squared(_squared_distances(x, y), _check_constant(C))


KERNELS: dict[str, Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]] = {
    "imq": imq_kernel,
    "rbf": rbf_kernel,
}
"""Kernel functions by name, as accepted by :func:`mmd2`'s ``kernel`` argument."""


def _kernel_sum(sq: torch.Tensor, profile, C: float, scales: tuple[float, ...] | None):
    if scales is None:
        return profile(sq, C)
    return sum(profile(sq, C * s) for s in scales)


def _off_diagonal_mean(k: torch.Tensor) -> torch.Tensor:
    n = k.shape[0]
    return (k.sum() - k.diagonal().sum()) / (n * (n - 1))


# --------------------------------------------------------------------------- MMD
def mmd2(
    x: torch.Tensor,
    y: torch.Tensor,
    kernel: str = "imq",
    C: float | None = None,
    scales: Iterable[float] | None = None,
) -> torch.Tensor:
    r"""Unbiased estimate of the squared maximum mean discrepancy (the WAE-MMD penalty).

    .. math::

        \widehat{\mathrm{MMD}}^2_u = \frac{1}{n(n-1)} \sum_{i \ne j} k(x_i, x_j)
            + \frac{1}{m(m-1)} \sum_{i \ne j} k(y_i, y_j)
            - \frac{2}{nm} \sum_{i, j} k(x_i, y_j).

    This U-statistic has expectation exactly :math:`\mathrm{MMD}^2_k(P, Q)`, so for two
    samples of the same distribution it averages to 0 and is often **negative**. With
    ``scales`` the kernel is the multi-scale sum :math:`\sum_s k_{C s}` (the WAE code
    used ``(.1, .2, .5, 1, 2, 5, 10)``), a kernel again, so the estimate stays unbiased.

    Parameters
    ----------
    x : Tensor, shape (n, d)
        Sample of :math:`Q_Z` (e.g. encoded codes), :math:`n \ge 2`.
    y : Tensor, shape (m, d)
        Sample of :math:`P_Z` (e.g. prior draws), :math:`m \ge 2`.
    kernel : {"imq", "rbf"}
        :func:`imq_kernel` or :func:`rbf_kernel`.
    C : float, optional
        Kernel constant; defaults to :math:`2 d`, the WAE paper's choice for the prior
        :math:`N(0, I_d)`.
    scales : iterable of float, optional
        Positive multipliers of ``C`` for a multi-scale kernel.

    Returns
    -------
    Tensor, shape ()
        The estimate, differentiable in ``x`` and ``y``, on their device and dtype.

    Raises
    ------
    ValueError
        Unknown kernel; non-2-D, non-finite or mismatched inputs; fewer than 2 points in
        either sample; ``C <= 0``; a non-positive scale.

    References
    ----------
    Gretton et al., "A kernel two-sample test", JMLR 2012, Lemma 6.
    Tolstikhin et al., "Wasserstein auto-encoders", ICLR 2018, Algorithm 2 and Section 4.

    Examples
    --------
    Two identical pairs of points: the within-sample terms are :math:`k(0, 1) = 0.5`
    each and the cross term averages :math:`(1 + 0.5) / 2`, so the estimate is
    :math:`0.5 + 0.5 - 1.5 = -0.5`:

    >>> x = torch.tensor([[0.0], [1.0]])
    >>> round(mmd2(x, x.clone(), C=1.0).item(), 4)
    -0.5
    """
    if kernel not in _PROFILES:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {sorted(_PROFILES)}")
    _check_pair(x, y, min_points=2)
    C = 2.0 * x.shape[1] if C is None else _check_constant(C)
    scales = None if scales is None else _check_scales(scales)
    profile = _PROFILES[kernel]
    k_xx = _kernel_sum(_squared_distances(x, x), profile, C, scales)
    k_yy = _kernel_sum(_squared_distances(y, y), profile, C, scales)
    k_xy = _kernel_sum(_squared_distances(x, y), profile, C, scales)
    return _off_diagonal_mean(k_xx) + _off_diagonal_mean(k_yy) - 2.0 * k_xy.mean()


# --------------------------------------------------------------------------- adversarial
def _check_logits(logits: torch.Tensor, name: str) -> None:
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor of discriminator logits, shape (n,)"
        )
    if logits.ndim != 1:
        raise ValueError(
            f"{name} must have shape (n,), got {tuple(logits.shape)}; squeeze a trailing "
            f"axis with {name}.squeeze(-1)"
        )
    if logits.shape[0] == 0:
        raise ValueError(f"{name} is empty; use a batch with at least one point")


def latent_discriminator_loss(
    logits_prior: torch.Tensor, logits_posterior: torch.Tensor
) -> torch.Tensor:
    r"""Loss of the latent discriminator of WAE-GAN (prior = 1, posterior = 0).

    .. math::

        \mathcal{L}_D = -\mathbb{E}_{P_Z} \log \sigma\big(D(Z)\big)
            - \mathbb{E}_{Q_Z} \log\big(1 - \sigma(D(Z))\big),

    the binary cross-entropy of a classifier that tells prior samples (label 1) from
    codes (label 0). At its optimum :math:`\log 4 - \mathcal{L}_D^{*} =
    2\, \mathrm{JS}(P_Z, Q_Z)`. Computed from logits with softplus, so it never
    overflows.

    Parameters
    ----------
    logits_prior : Tensor, shape (m,)
        :math:`D(z)` for prior samples :math:`z \sim P_Z`.
    logits_posterior : Tensor, shape (n,)
        :math:`D(z)` for codes :math:`z \sim Q_Z` (detach them from the encoder).

    Returns
    -------
    Tensor, shape ()

    Raises
    ------
    ValueError
        If a logits tensor is not 1-D, empty or not floating point.

    Examples
    --------
    A discriminator that cannot tell (all logits 0) pays :math:`2 \log 2`:

    >>> round(latent_discriminator_loss(torch.zeros(3), torch.zeros(5)).item(), 4)
    1.3863
    """
    _check_logits(logits_prior, "logits_prior")
    _check_logits(logits_posterior, "logits_posterior")
    real = F.binary_cross_entropy_with_logits(logits_prior, torch.ones_like(logits_prior))
    fake = F.binary_cross_entropy_with_logits(
        logits_posterior, torch.zeros_like(logits_posterior)
    )
    return real + fake


def adversarial_penalty(logits_posterior: torch.Tensor) -> torch.Tensor:
    r"""Encoder's adversarial penalty of WAE-GAN (non-saturating form).

    .. math::

        \mathcal{D}_{\mathrm{GAN}}(Q_Z, P_Z) \approx
            -\mathbb{E}_{Q_Z} \log \sigma\big(D(Z)\big)
            = \mathbb{E}_{Q_Z} \operatorname{softplus}\big(-D(Z)\big):

    the encoder is rewarded when the discriminator mistakes its codes for prior samples.

    Parameters
    ----------
    logits_posterior : Tensor, shape (n,)
        :math:`D(E(x))` for the batch's codes (not detached: the gradient flows to
        the encoder).

    Returns
    -------
    Tensor, shape ()

    Raises
    ------
    ValueError
        If the logits are not a non-empty 1-D floating-point tensor.

    Examples
    --------
    >>> round(adversarial_penalty(torch.zeros(4)).item(), 4)  # log 2
    0.6931
    """
    _check_logits(logits_posterior, "logits_posterior")
    return F.binary_cross_entropy_with_logits(
        logits_posterior, torch.ones_like(logits_posterior)
    )
