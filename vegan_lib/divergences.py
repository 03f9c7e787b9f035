r"""Latent divergences D(Q_Z, P_Z): the penalty term of the POT / WAE objective.

The penalized optimal transport objective of the VEGAN cookbook (Bousquet et al., 2017)
and of Wasserstein auto-encoders (Tolstikhin et al., 2018) is

.. math::

    D_{\mathrm{POT}}(P_X, P_G) = \mathbb{E}_{P_X}\, c\big(X, G(E(X))\big)
        + \lambda \, \mathcal{D}(Q_Z, P_Z),

where :math:`Q_Z` is the distribution of the codes :math:`E(X)` and :math:`P_Z` the prior.
This module holds the two estimates of :math:`\mathcal{D}` used by the WAE paper, both
computed from a minibatch of codes and a minibatch of prior samples:

* **WAE-MMD**: an unbiased estimate of the squared maximum mean discrepancy with the
  inverse multiquadratics (IMQ) kernel (:func:`mmd2`: U-statistics within each sample, the
  average over all pairs across the two independent samples);
* **WAE-GAN**: an adversarial (Jensen-Shannon) estimate with a latent discriminator
  (:func:`latent_discriminator_loss` for the discriminator, :func:`adversarial_penalty`
  for the encoder); a trained discriminator turns its loss into a lower bound on the
  Jensen-Shannon divergence itself (:func:`js_lower_bound`).

Tensors in, tensors out: results live on the inputs' device with the inputs' dtype.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from vegan_lib._checks import (
    check_cloud_pair,
    check_draw,
    check_logits_or_scores,
    check_net_scores,
    check_no_overflow,
    check_positive,
    check_positive_int,
    check_scales,
    check_seed,
)
from vegan_lib.train import fit

__all__ = [
    "KERNELS",
    "imq_kernel",
    "rbf_kernel",
    "imq_constant",
    "mmd2",
    "mmd2_estimate",
    "latent_discriminator_loss",
    "adversarial_penalty",
    "js_lower_bound",
]

_C_EXAMPLE = "C = 2 d, the WAE paper's choice for the prior N(0, I_d)"


def imq_constant(d: int) -> float:
    r"""The WAE paper's IMQ constant for the prior :math:`\mathcal N(0, I_d)`: :math:`C = 2d`.

    :math:`2d = \mathbb E \lVert Z - Z' \rVert^2` for two independent prior draws, the scale
    of the squared distances the kernel sees. :func:`mmd2`'s default and every POT model's
    MMD penalty use it. Raises ``ValueError`` unless ``d`` is a positive integer.

    >>> imq_constant(8)
    16.0
    """
    return 2.0 * check_positive_int(d, "d", "d=8 (the dimension of the codes)")


def _constant(C: float, dtype: torch.dtype, scales: tuple[float, ...] | None = None) -> float:
    # Beyond sqrt(max) of the dtype the kernel is 1 to rounding everywhere (or C overflows).
    top = math.sqrt(torch.finfo(dtype).max) / max(scales or (1.0,))
    return check_positive(C, "C", _C_EXAMPLE, maximum=top, why=f"times the largest scale, "
                          f"in {dtype}: beyond it the kernel is 1 everywhere to rounding")


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
    return _kernel_matrix(_imq_from_squared, x, y, C)


def rbf_kernel(x: torch.Tensor, y: torch.Tensor, C: float) -> torch.Tensor:
    r"""Gaussian (RBF) kernel matrix.

    .. math::

        k(a, b) = \exp\!\left(-\frac{\lVert a - b \rVert_2^2}{C}\right).

    Parameters, shapes and errors as for :func:`imq_kernel`; here ``C`` is the kernel's
    squared length scale.

    Examples
    --------
    >>> x = torch.tensor([[0.0]]); y = torch.tensor([[0.0], [1.0]])
    >>> rbf_kernel(x, y, C=1.0)
    tensor([[1.0000, 0.3679]])
    """
    return _kernel_matrix(_rbf_from_squared, x, y, C)


KERNELS: dict[str, Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]] = {
    "imq": imq_kernel,
    "rbf": rbf_kernel,
}
"""Kernel functions by name, as accepted by :func:`mmd2`'s ``kernel`` argument."""


def _kernel_matrix(profile, x: torch.Tensor, y: torch.Tensor, C: float) -> torch.Tensor:
    check_cloud_pair(x, y)
    return profile(_squared_distances(x, y), _constant(C, x.dtype))


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

        \begin{aligned}
        \widehat{\mathrm{MMD}}^2_u &= \frac{1}{n(n-1)} \sum_{i \ne j} k(x_i, x_j)
            + \frac{1}{m(m-1)} \sum_{i \ne j} k(y_i, y_j) \\
            &\quad - \frac{2}{nm} \sum_{i, j} k(x_i, y_j).
        \end{aligned}

    Each term is unbiased for its own expectation, so the estimate has expectation exactly
    :math:`\mathrm{MMD}^2_k(P, Q) = \mathbb{E} k(X, X') + \mathbb{E} k(Y, Y')
    - 2\,\mathbb{E} k(X, Y)`: the within-sample terms are U-statistics (the diagonal
    :math:`k(x_i, x_i)`, which is not a draw of :math:`k(X, X')`, is left out), while the
    cross term averages over **all** :math:`nm` pairs, the diagonal :math:`i = j` included
    when :math:`n = m` (a V-type average), which is unbiased only because the ``x`` and
    ``y`` samples are independent of each other. This is Gretton et al.'s
    :math:`\mathrm{MMD}^2_u` for unequal sizes (their eq. 3), not their one-sample
    U-statistic :math:`\frac{1}{n(n-1)} \sum_{i \ne j} h(z_i, z_j)` for paired samples
    (which also drops :math:`k(x_i, y_i)`); the two differ by :math:`O(1/n)` and share the
    expectation. For two samples of the same distribution the estimate averages to 0 and
    is often **negative**. With
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
    if not isinstance(kernel, str) or kernel not in _PROFILES:  # a list is unhashable
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {sorted(_PROFILES)}")
    check_cloud_pair(x, y, min_points=2)
    scales = None if scales is None else check_scales(scales)
    C = imq_constant(x.shape[1]) if C is None else _constant(C, x.dtype, scales)
    estimate = mmd2_estimate(x, y, kernel, C, scales)
    check_no_overflow(estimate, "the MMD estimate", {"x": x, "y": y},
                      "the squared distances between points overflow")
    return estimate


def mmd2_estimate(
    x: torch.Tensor, y: torch.Tensor, kernel: str, C: float, scales: tuple[float, ...] | None
) -> torch.Tensor:
    r""":func:`mmd2` without its checks, for a training loop: NaN codes give a NaN estimate.

    ``x`` (n, d) and ``y`` (m, d), :math:`n, m \ge 2`, one dtype and device; ``kernel`` in
    :data:`KERNELS`, ``C > 0`` and ``scales`` (or None) already validated. No
    device-to-host synchronisation: :func:`~vegan_lib.train.fit`'s guard catches a
    non-finite loss and names the step.
    """
    profile = _PROFILES[kernel]
    k_xx = _kernel_sum(_squared_distances(x, x), profile, C, scales)
    k_yy = _kernel_sum(_squared_distances(y, y), profile, C, scales)
    k_xy = _kernel_sum(_squared_distances(x, y), profile, C, scales)
    return _off_diagonal_mean(k_xx) + _off_diagonal_mean(k_yy) - 2.0 * k_xy.mean()


# --------------------------------------------------------------------------- adversarial
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
    check_logits_or_scores(logits_prior, "logits_prior")
    check_logits_or_scores(logits_posterior, "logits_posterior")
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
    check_logits_or_scores(logits_posterior, "logits_posterior")
    return F.binary_cross_entropy_with_logits(
        logits_posterior, torch.ones_like(logits_posterior)
    )


# --------------------------------------------------------------------------- variational JS
class _DiscriminatorFit(nn.Module):
    """``fit``'s protocol for a discriminator alone: minimise L_D on pairs (z_p, z_q)."""

    uses_labels = True  # fit passes the whole pair, not its first tensor only

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.discriminator = discriminator

    def losses(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        z_p, z_q = batch
        z_q = z_q.to(z_p.dtype)
        check_cloud_pair(z_p, z_q, names=("sample_p(n, g)", "sample_q(n, g)"))
        logits_p = check_net_scores(self.discriminator, z_p, "discriminator")
        logits_q = check_net_scores(self.discriminator, z_q, "discriminator")
        return {"loss": latent_discriminator_loss(logits_p, logits_q)}


def js_lower_bound(
    sample_p: Callable[[int, torch.Generator], torch.Tensor],
    sample_q: Callable[[int, torch.Generator], torch.Tensor],
    discriminator: nn.Module,
    steps: int = 300,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    n_eval: int = 4000,
) -> float:
    r"""Variational lower bound on :math:`\mathrm{JS}(P, Q)` from a trained discriminator.

    For every discriminator :math:`D` (a logit),

    .. math::

        \begin{aligned}
        \mathrm{JS}(P, Q) &\ge \tfrac12 \big(\log 4 - \mathcal{L}_D\big), \\
        \mathcal{L}_D &= -\mathbb{E}_{P} \log \sigma\big(D(Z)\big)
            - \mathbb{E}_{Q} \log\big(1 - \sigma(D(Z))\big),
        \end{aligned}

    with equality at :math:`D^* = \log(p / q)` (Goodfellow et al., 2014, Prop. 1 and Thm. 1). The
    discriminator is trained on :func:`latent_discriminator_loss` by
    :func:`vegan_lib.train.fit` (Adam, ``steps`` updates on fresh batches of
    ``batch_size`` draws of each law), then :math:`\mathcal{L}_D` is evaluated on
    ``n_eval`` fresh draws of each, so the estimate is unbiased for a bound that holds
    for the trained :math:`D`: it falls short of JS by how far :math:`D` is from
    :math:`D^*`, up to sampling noise.

    Parameters
    ----------
    sample_p, sample_q : callable ``(n, generator) -> Tensor`` of shape (n, d)
        Draw ``n`` points of :math:`P` (the prior, label 1) and :math:`Q` (the codes,
        label 0) with the given ``torch.Generator``.
    discriminator : nn.Module
        Maps (n, d) to logits (n,), e.g. :class:`~vegan_lib.nets.LatentDiscriminator`;
        trained in place.
    steps, batch_size, lr : int, int, float
        Adam updates, draws of each law per update, learning rate.
    seed : int
        Seeds the generator passed to the samplers. Torch's global random state is left
        as it was found.
    n_eval : int
        Fresh draws of each law for the final estimate.

    Returns
    -------
    float
        :math:`\tfrac12(\log 4 - \mathcal{L}_D)`, in nats, at most :math:`\log 2`.

    Raises
    ------
    ValueError
        For a non-positive ``steps``, ``batch_size``, ``lr`` or ``n_eval``, a bad seed, a
        sampler that is not callable, cannot take ``(n, generator)`` or returns something
        else than n points, (n, d) float tensors of one dimension, or a discriminator that
        fails on them or whose logits are not of shape (n,).

    Examples
    --------
    Two copies of one law cannot be told apart: the bound is about 0.

    >>> from vegan_lib.nets import LatentDiscriminator
    >>> _ = torch.manual_seed(0)
    >>> same = lambda n, g: torch.randn(n, 1, generator=g)
    >>> js = js_lower_bound(same, same, LatentDiscriminator(1, hidden=(8,)), steps=20)
    >>> abs(js) < 0.01
    True
    """
    for name, sampler in (("sample_p", sample_p), ("sample_q", sample_q)):
        if not callable(sampler):
            raise ValueError(
                f"{name} must be a function (n, generator) -> (n, d) tensor, got "
                f"{type(sampler).__name__}; e.g. {name}=lambda n, g: torch.randn(n, 2, generator=g)"
            )
    if not isinstance(discriminator, nn.Module) or next(discriminator.parameters(), None) is None:
        raise ValueError(
            f"discriminator must be an nn.Module with parameters to train, mapping (n, d) "
            f"points to (n,) logits, got {type(discriminator).__name__}; e.g. "
            "LatentDiscriminator(d)"
        )
    n_eval = check_positive_int(n_eval, "n_eval", "n_eval=4000")
    generator = torch.Generator().manual_seed(check_seed(seed))
    pairs = (
        (check_draw(sample_p, "sample_p", batch_size, generator),
         check_draw(sample_q, "sample_q", batch_size, generator))
        for _ in itertools.count()
    )
    first = next(discriminator.parameters())
    cuda = [first.device] if first.device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):  # fit seeds torch's global generator: undo it
        fit(_DiscriminatorFit(discriminator), pairs, steps=steps, batch_size=batch_size,
            lr=lr, seed=seed, progress=False)
    first = next(discriminator.parameters())
    with torch.no_grad():
        z_p = check_draw(sample_p, "sample_p", n_eval, generator).to(first.device, first.dtype)
        z_q = check_draw(sample_q, "sample_q", n_eval, generator).to(first.device, first.dtype)
        check_cloud_pair(z_p, z_q, names=("sample_p(n, g)", "sample_q(n, g)"))
        loss = latent_discriminator_loss(check_net_scores(discriminator, z_p, "discriminator"),
                                         check_net_scores(discriminator, z_q, "discriminator"))
    return (math.log(4.0) - loss.item()) / 2
