r"""f-divergences, their convex conjugates and the variational (f-GAN) bound (chapter 7).

For a convex :math:`f: [0, \infty) \to \mathbb{R} \cup \{\infty\}` with :math:`f(1) = 0`,

.. math::

    \begin{aligned}
    D_f(P \,\|\, Q) &= \int f\!\left(\frac{dP}{dQ}\right) dQ \\
        &\ge \sup_{T}\ \mathbb{E}_P\, T(X) - \mathbb{E}_Q\, f^*\big(T(X)\big), \\
    f^*(t) &= \sup_{u \ge 0}\ t u - f(u),
    \end{aligned}

with equality at :math:`T^* = f'(dP/dQ)` (Nguyen, Wainwright & Jordan, 2010; Nowozin,
Cseke & Tomioka, 2016). A *critic* is a network with an unconstrained output :math:`v`;
the output activation :math:`g_f` of each divergence maps it into the domain of
:math:`f^*`, :math:`T = g_f(v)` (Nowozin et al., Table 2). :data:`F_DIVERGENCES` holds, by
name, :math:`f`, :math:`f^*`, :math:`f'`, :math:`g_f` and :math:`f^* \circ g_f` (the
last in a form that never overflows). The sup is over :math:`u \ge 0`, the density ratios:
``"chi2"`` has :math:`f^*(t) = -1` for :math:`t < -2` and ``"tv"`` :math:`f^*(t) = -\tfrac12`
for :math:`t < -\tfrac12`, below the sup over :math:`\mathbb{R}` of Nowozin et al.'s Table 2
(:math:`t^2/4 + t` and :math:`+\infty` there):

* ``"kl"``: :math:`f(u) = u \log u`, :math:`\mathrm{KL}(P\|Q)`;
* ``"reverse_kl"``: :math:`f(u) = -\log u`, :math:`\mathrm{KL}(Q\|P)`;
* ``"js"``: :math:`f(u) = \tfrac12\big(u\log u - (u+1)\log\tfrac{u+1}{2}\big)`,
  :math:`\mathrm{JS}(P, Q)` (natural logarithms, at most :math:`\log 2`);
* ``"gan"``: :math:`f(u) = u\log u - (u+1)\log(u+1)`, :math:`2\,\mathrm{JS}(P, Q) - \log 4`;
* ``"tv"``: :math:`f(u) = \tfrac12 |u - 1|`, the total variation;
* ``"chi2"``: :math:`f(u) = (u - 1)^2`, Pearson's :math:`\chi^2(P\|Q)`;
* ``"hellinger"``: :math:`f(u) = (\sqrt u - 1)^2`, :math:`\sum_i (\sqrt{p_i} - \sqrt{q_i})^2`.

``"gan"`` is the original GAN; its :math:`f` is shifted, :math:`f(1) = -\log 4`, so it is
0 for disjoint supports and :math:`-\log 4` for equal laws. With :math:`T = \log D` its bound is
:math:`\mathbb{E}_P \log D + \mathbb{E}_Q \log(1 - D)` (Goodfellow et al., 2014).
Tensors in, tensors out, on the inputs' device and dtype, except for
:func:`js_between_unit_gaussians` (JS between two unit-variance Gaussians by quadrature; floats).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import integrate, stats
from scipy.special import rel_entr
from torch import nn

from vegan_lib._checks import (
    as_tensor,
    check_choice,
    check_cloud_pair,
    check_distribution_pair,
    check_draw,
    check_gaussian_pair,
    check_logits_or_scores,
    check_net_scores,
    check_positive_int,
    check_sampler,
    check_seed,
)
from vegan_lib.nets import ConvCritic, ConvDecoder
from vegan_lib.protocol import GeneratorCriticModel, ModelFacts
from vegan_lib.train import History, fit

__all__ = [
    "FDivergence", "F_DIVERGENCES", "f_divergence", "kl_between_gaussians",
    "js_between_unit_gaussians", "variational_bound", "optimal_critic", "VariationalFit",
    "fit_variational_bound", "GENERATOR_LOSSES", "gan_generator_loss", "FGANModel",
]

Fn = Callable[[torch.Tensor], torch.Tensor]
_INF, _LOG2 = math.inf, math.log(2.0)


@dataclass(frozen=True)
class FDivergence:
    r"""One f-divergence: its generator, conjugate, derivative and critic activation.

    Attributes
    ----------
    name : str
    f : callable
        :math:`f(u)` for :math:`u \ge 0` (elementwise; :math:`f(0)` as a limit).
    conjugate : callable
        :math:`f^*(t) = \sup_{u \ge 0} tu - f(u)`, :math:`+\infty` outside its domain.
    derivative : callable
        :math:`f'(u)` for :math:`u > 0`: the optimal critic is :math:`T^* = f'(dP/dQ)`.
    activation : callable
        :math:`g_f(v)`, maps a critic's raw output :math:`v \in \mathbb{R}` into the domain
        of :math:`f^*`.
    conjugate_of_activation : callable
        :math:`f^*(g_f(v))`, written so that it never overflows.
    slope_at_infinity : float
        :math:`\lim_{u \to \infty} f(u) / u`: the weight of mass of :math:`P` where
        :math:`Q` has none.
    """

    name: str
    f: Fn
    conjugate: Fn
    derivative: Fn
    activation: Fn
    conjugate_of_activation: Fn
    slope_at_infinity: float
    label: str = field(default="")


def _outside(t: torch.Tensor, inside: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    return torch.where(inside, value, torch.full_like(t, _INF))


def _chi2_conjugate(t: torch.Tensor) -> torch.Tensor:  # attained at u = max(1 + t/2, 0)
    s = t.clamp(min=-2.0)
    return s * s / 4 + s  # t^2/4 + t for t >= -2, -1 below


F_DIVERGENCES: dict[str, FDivergence] = {
    d.name: d
    for d in (
        FDivergence(
            "kl", lambda u: torch.xlogy(u, u), lambda t: torch.exp(t - 1),
            lambda u: 1 + torch.log(u), lambda v: v, lambda v: torch.exp(v - 1), _INF,
            "KL(P‖Q)"),
        FDivergence(
            "reverse_kl", lambda u: -torch.log(u),
            lambda t: _outside(t, t < 0, -1 - torch.log(-t.clamp(max=0))),
            lambda u: -1 / u, lambda v: -torch.exp(-v), lambda v: v - 1, 0.0, "KL(Q‖P)"),
        FDivergence(
            "js", lambda u: 0.5 * (torch.xlogy(u, u) - torch.xlogy(u + 1, (u + 1) / 2)),
            lambda t: _outside(t, t < _LOG2 / 2,
                               -0.5 * torch.log((2 - torch.exp(2 * t)).clamp(min=0))),
            lambda u: 0.5 * torch.log(2 * u / (u + 1)),
            lambda v: 0.5 * (_LOG2 - F.softplus(-v)),
            lambda v: 0.5 * (F.softplus(v) - _LOG2), _LOG2 / 2, "JS(P, Q)"),
        FDivergence(
            "gan", lambda u: torch.xlogy(u, u) - torch.xlogy(u + 1, u + 1),
            lambda t: _outside(t, t < 0, -torch.log(-torch.expm1(t.clamp(max=0)))),
            lambda u: torch.log(u / (u + 1)), lambda v: -F.softplus(-v), F.softplus, 0.0,
            "2 JS − log 4"),
        FDivergence(
            "tv", lambda u: 0.5 * (u - 1).abs(),
            lambda t: _outside(t, t <= 0.5, t.clamp(min=-0.5)),  # u = 0 for t < -1/2
            lambda u: 0.5 * torch.sign(u - 1),
            lambda v: 0.5 * torch.tanh(v), lambda v: 0.5 * torch.tanh(v), 0.5, "TV(P, Q)"),
        FDivergence(
            "chi2", lambda u: (u - 1) ** 2, _chi2_conjugate, lambda u: 2 * (u - 1),
            lambda v: v, _chi2_conjugate, _INF, "χ²(P‖Q)"),
        FDivergence(
            "hellinger", lambda u: (torch.sqrt(u) - 1) ** 2,
            lambda t: _outside(t, t < 1, t / (1 - t)),
            lambda u: 1 - 1 / torch.sqrt(u), lambda v: 1 - torch.exp(-v),
            lambda v: torch.expm1(v), 1.0, "H²(P, Q)"),
    )
}
"""The f-divergences of the chapter, by name (see the module docstring for the table)."""

_NAMES = tuple(F_DIVERGENCES)


def _divergence(name: str, arg: str = "name") -> FDivergence:
    return F_DIVERGENCES[check_choice(name, arg, _NAMES)]  # arg: the caller's argument


def f_divergence(p, q, name: str = "kl") -> torch.Tensor:
    r"""Exact :math:`D_f(P\|Q)` between two discrete laws on the same atoms.

    .. math::

        \begin{aligned}
        D_f(P\|Q) &= \sum_{i:\, q_i > 0} q_i\, f\!\left(\frac{p_i}{q_i}\right)
            + f'(\infty) \sum_{i:\, q_i = 0} p_i, \\
        f'(\infty) &= \lim_{u\to\infty} f(u)/u,
        \end{aligned}

    the second sum counting the mass of :math:`P` that :math:`Q` misses (:math:`+\infty`
    for KL and :math:`\chi^2`).

    Parameters
    ----------
    p, q : Tensor or array-like, shape (k,)
        Probability vectors (non-negative, summing to 1).
    name : str
        A key of :data:`F_DIVERGENCES`.

    Returns
    -------
    Tensor, shape ()
        float64, on the CPU; may be ``inf``.

    Raises
    ------
    ValueError
        Unknown name; ``p`` or ``q`` not a probability vector; different lengths.

    Examples
    --------
    Disjoint supports: total variation 1, Jensen–Shannon :math:`\log 2`.

    >>> f_divergence([1.0, 0.0], [0.0, 1.0], "tv").item()
    1.0
    >>> round(f_divergence([1.0, 0.0], [0.0, 1.0], "js").item(), 4)  # log 2
    0.6931
    """
    div = _divergence(name)
    p, q = check_distribution_pair(p, q)
    seen = q > 0
    inside = (q[seen] * div.f(p[seen] / q[seen])).sum()
    missed = p[~seen].sum()
    if missed == 0:
        return inside
    return inside + (missed * div.slope_at_infinity if math.isfinite(div.slope_at_infinity)
                     else torch.tensor(_INF, dtype=torch.float64))


def kl_between_gaussians(m1, S1, m2, S2) -> torch.Tensor:
    r"""Closed-form :math:`\mathrm{KL}\big(N(m_1, S_1) \,\|\, N(m_2, S_2)\big)`.

    .. math::

        \tfrac12 \Big(\operatorname{tr}(S_2^{-1} S_1) + (m_2 - m_1)^\top S_2^{-1} (m_2 - m_1)
            - d + \log \frac{\det S_2}{\det S_1}\Big).

    Parameters
    ----------
    m1, m2 : Tensor or array-like, shape (d,)
    S1, S2 : Tensor or array-like, shape (d, d)
        Positive-definite covariances.

    Returns
    -------
    Tensor, shape ()

    Raises
    ------
    ValueError
        Shapes that do not match, non-finite entries, or a covariance that is not
        symmetric positive definite.

    Examples
    --------
    Unit variances, means 2 apart: :math:`\tfrac12 \cdot 2^2 = 2`.

    >>> kl_between_gaussians([0.0], [[1.0]], [2.0], [[1.0]]).item()
    2.0
    """
    m1, S1, m2, S2 = check_gaussian_pair(m1, S1, m2, S2)
    for S, n in ((S1, "S1"), (S2, "S2")):
        if torch.linalg.eigvalsh(S).min() <= 0:
            raise ValueError(f"{n} must be positive definite for a finite KL; add a small "
                             f"multiple of the identity, e.g. {n} + 1e-6 * I")
    L2 = torch.linalg.cholesky(S2)
    diff = (m2 - m1).unsqueeze(-1)
    trace = torch.cholesky_solve(S1, L2).diagonal().sum()
    maha = (diff * torch.cholesky_solve(diff, L2)).sum()
    logdet = 2 * torch.log(L2.diagonal()).sum() - torch.linalg.slogdet(S1)[1]
    return 0.5 * (trace + maha - m1.shape[0] + logdet)


def _check_mean(value: Any, name: str) -> float:
    """``value`` as a finite float: one real number (a 0-d array or tensor will do)."""
    complex_ = (value.is_complex() if isinstance(value, torch.Tensor)
                else isinstance(value, (np.ndarray, np.generic)) and np.iscomplexobj(value))
    v = None
    if not (isinstance(value, (bool, np.bool_, str, bytes, complex)) or complex_
            or getattr(value, "ndim", 0) != 0):
        with contextlib.suppress(TypeError, ValueError):
            v = float(value)
    if v is None:
        raise ValueError(f"{name} must be one real number, the mean of a unit-variance "
                         f"Gaussian, got {value!r}; e.g. {name}=1.0")
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v}; pass a finite mean, e.g. "
                         f"{name}=1.0 (for means infinitely far apart JS is log 2)")
    return v


def js_between_unit_gaussians(mu_p: float, mu_q: float) -> float:
    r"""Jensen–Shannon divergence between :math:`N(\mu_p, 1)` and :math:`N(\mu_q, 1)`, in nats.

    .. math::

        \begin{aligned}
        \mathrm{JS}(P, Q) &= \tfrac12 \mathrm{KL}(P \,\|\, M) + \tfrac12 \mathrm{KL}(Q \,\|\, M),
            \qquad M = \tfrac12 (P + Q), \\
        &= \frac12 \int_{\mathbb{R}} p(x) \log\frac{2 p(x)}{p(x) + q(x)}
            + q(x) \log\frac{2 q(x)}{p(x) + q(x)} \, dx,
        \end{aligned}

    with :math:`p, q` the densities of :math:`N(\mu_p, 1)` and :math:`N(\mu_q, 1)`. It has no
    closed form; it depends on the means only through :math:`\delta = |\mu_q - \mu_p|`, grows
    from 0 at :math:`\delta = 0` (like :math:`\delta^2 / 8`) towards :math:`\log 2`, and is the
    ``"js"`` entry of :data:`F_DIVERGENCES` (so :math:`2\,\mathrm{JS} - \log 4` is the
    ``"gan"`` one). Computed by ``scipy.integrate.quad`` of the integrand above
    (``scipy.special.rel_entr`` for each term) on :math:`[-12, \delta + 12]`, the two laws
    moved to the means :math:`0` and :math:`\delta`, with break points at the means (the mass
    left outside is below :math:`10^{-32}`; a fine trapezoid rule agrees to :math:`10^{-14}`).
    For :math:`\delta > 40` the overlap of the two laws is below :math:`10^{-80}`, and
    :math:`\log 2` is returned without integrating (quadrature over so long an interval would
    miss the two bumps).

    Parameters
    ----------
    mu_p, mu_q : float
        The means; the variances are 1.

    Returns
    -------
    float
        :math:`\mathrm{JS}(N(\mu_p, 1), N(\mu_q, 1)) \in [0, \log 2]`, natural logarithms.

    Raises
    ------
    ValueError
        A mean that is not one finite real number.

    Examples
    --------
    >>> js_between_unit_gaussians(0.0, 0.0)
    0.0
    >>> round(js_between_unit_gaussians(0.0, 1.0), 4)
    0.1114
    >>> round(js_between_unit_gaussians(-1.0, 60.0), 4)  # far apart: log 2
    0.6931
    """
    mu_p, mu_q = _check_mean(mu_p, "mu_p"), _check_mean(mu_q, "mu_q")
    delta = abs(mu_q - mu_p)  # may overflow to inf for finite means: then the laws are far apart
    if delta > 40.0:  # overlap below 1e-80: JS = log 2 in float64
        return _LOG2
    p, q = stats.norm(0.0, 1).pdf, stats.norm(delta, 1).pdf

    def integrand(x: float) -> float:
        m = 0.5 * (p(x) + q(x))
        return 0.5 * (rel_entr(p(x), m) + rel_entr(q(x), m))

    return float(integrate.quad(integrand, -12.0, delta + 12.0, points=[0.0, delta],
                                limit=200)[0])


def variational_bound(scores_p: torch.Tensor, scores_q: torch.Tensor, name: str) -> torch.Tensor:
    r"""The f-GAN lower bound on :math:`D_f(P\|Q)` from a critic's raw outputs.

    .. math::

        \begin{aligned}
        \widehat{B}_f &= \frac1n \sum_i g_f(v_i^P) - \frac1m \sum_j f^*\big(g_f(v_j^Q)\big) \\
        &\approx \mathbb{E}_P\, T - \mathbb{E}_Q\, f^*(T) \;\le\; D_f(P\|Q),
        \qquad T = g_f(v),
        \end{aligned}

    unbiased for the bound of the critic that produced the scores.

    Parameters
    ----------
    scores_p : Tensor, shape (n,)
        Raw outputs :math:`v` of the critic on samples of :math:`P`.
    scores_q : Tensor, shape (m,)
        Raw outputs on samples of :math:`Q`.
    name : str
        A key of :data:`F_DIVERGENCES`.

    Returns
    -------
    Tensor, shape ()
        Differentiable in the scores.

    Raises
    ------
    ValueError
        Unknown name; scores that are not non-empty 1-D floating-point tensors.

    Examples
    --------
    A critic that outputs 0 everywhere gives :math:`-\log 4` for the GAN bound (the
    discriminator says 1/2 to everything):

    >>> round(variational_bound(torch.zeros(3), torch.zeros(2), "gan").item(), 4)
    -1.3863
    """
    div = _divergence(name)
    check_logits_or_scores(scores_p, "scores_p")
    check_logits_or_scores(scores_q, "scores_q")
    return div.activation(scores_p).mean() - div.conjugate_of_activation(scores_q).mean()


def optimal_critic(ratio, name: str) -> torch.Tensor:
    r"""The maximiser of the variational bound, :math:`T^*(x) = f'\big(p(x)/q(x)\big)`.

    Parameters
    ----------
    ratio : Tensor or array-like, shape (...)
        Density ratios :math:`dP/dQ > 0`.
    name : str
        A key of :data:`F_DIVERGENCES`.

    Returns
    -------
    Tensor, shape (...)

    Raises
    ------
    ValueError
        Unknown name, or a ratio that is not real numbers (a bool, a string, complex or
        ragged values), positive and finite.

    Examples
    --------
    For the GAN, :math:`T^* = \log D^*` with :math:`D^* = p / (p + q)`:

    >>> round(optimal_critic([1.0], "gan").exp().item(), 4)
    0.5
    """
    div = _divergence(name)
    if isinstance(ratio, (bool, np.bool_)) or getattr(ratio, "dtype", None) in (torch.bool, bool):
        raise ValueError(f"ratio must hold density ratios p(x) / q(x), got booleans {ratio!r}")
    r = as_tensor(ratio, "ratio")  # a float tensor as it is; array-likes as float64
    if not torch.isfinite(r).all() or (r <= 0).any():
        raise ValueError("ratio must hold positive finite density ratios p(x) / q(x); "
                         "restrict it to the points where both densities are positive")
    return div.derivative(r)


# --------------------------------------------------------------------------- training
class _BoundFit(nn.Module):
    """``fit``'s protocol for a critic alone: maximise the f-GAN bound on pairs."""

    uses_labels = True  # fit passes the pair (x_p, x_q)

    def __init__(self, critic: nn.Module, name: str) -> None:
        super().__init__()
        self.critic, self.name = critic, name

    def losses(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        x_p, x_q = batch
        v_p, v_q = (check_net_scores(self.critic, x, "critic") for x in (x_p, x_q.to(x_p.dtype)))
        bound = variational_bound(v_p, v_q, self.name)
        return {"loss": -bound, "bound": bound}


@dataclass
class VariationalFit:
    r"""A critic trained on the f-GAN bound, and the bound along the way.

    Attributes
    ----------
    estimate : float
        The bound of the trained critic on the held-out draws.
    steps : list of int
        Steps at which the held-out bound was measured (0 = before training).
    curve : list of float
        The held-out bound at those steps.
    history : History
        The training history of :func:`~vegan_lib.train.fit` (``"bound"`` per batch).
    """

    estimate: float
    steps: list[int]
    curve: list[float]
    history: History


def fit_variational_bound(
    sample_p: Callable[[int, torch.Generator], torch.Tensor],
    sample_q: Callable[[int, torch.Generator], torch.Tensor],
    critic: nn.Module,
    name: str,
    steps: int = 300,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    n_eval: int = 4000,
    eval_every: int = 10,
) -> VariationalFit:
    r"""Train ``critic`` to maximise the f-GAN bound; measure the bound on held-out draws.

    .. math::

        \max_{v}\ \mathbb{E}_P\, g_f(v(X)) - \mathbb{E}_Q\, f^*\big(g_f(v(X))\big)
        \;\le\; D_f(P\|Q).

    Training goes through :func:`vegan_lib.train.fit` (Adam, ``steps`` updates on fresh
    batches of ``batch_size`` draws of each law); every ``eval_every`` steps the bound is
    evaluated on ``n_eval`` fixed held-out draws of each law, so the curve is an unbiased
    estimate of the bound of the critic of that step. Torch's global random state is
    left as it was found.

    Parameters
    ----------
    sample_p, sample_q : callable ``(n, generator) -> Tensor`` of shape (n, d)
        Draw ``n`` points of :math:`P` and of :math:`Q` with the given generator.
    critic : nn.Module
        Maps (n, d) to raw scores (n,), e.g. :class:`~vegan_lib.nets.LatentDiscriminator`;
        trained in place.
    name : str
        A key of :data:`F_DIVERGENCES`.
    steps, batch_size, lr : int, int, float
        Adam updates, draws per law per update, learning rate.
    seed : int
        Seeds the samplers' generator and :func:`~vegan_lib.train.fit`.
    n_eval, eval_every : int
        Held-out draws per law; period of the curve in steps.

    Returns
    -------
    VariationalFit

    Raises
    ------
    ValueError
        Unknown name; a sampler that is not callable, cannot take ``(n, generator)`` or
        returns something else than n points, (n, d) float tensors of one dimension; a
        critic that is not an ``nn.Module`` or does not map them to (n,) scores;
        non-positive ``steps``, ``batch_size``, ``n_eval`` or ``eval_every``.

    Examples
    --------
    Two copies of one law: the bound stays near 0.

    >>> from vegan_lib.nets import LatentDiscriminator
    >>> _ = torch.manual_seed(0)
    >>> same = lambda n, g: torch.randn(n, 1, generator=g)
    >>> out = fit_variational_bound(same, same, LatentDiscriminator(1, hidden=(8,)), "js",
    ...                             steps=20)
    >>> abs(out.estimate) < 0.01
    True
    """
    name = _divergence(name).name
    check_sampler(sample_p, "sample_p")
    check_sampler(sample_q, "sample_q")
    if not isinstance(critic, nn.Module) or next(critic.parameters(), None) is None:
        raise ValueError(f"critic must be an nn.Module with parameters to train, mapping (n, d) "
                         f"points to (n,) scores, got {type(critic).__name__}; e.g. "
                         "LatentDiscriminator(d)")
    n_eval = check_positive_int(n_eval, "n_eval", "n_eval=4000")
    eval_every = check_positive_int(eval_every, "eval_every", "eval_every=10")
    generator = torch.Generator().manual_seed(check_seed(seed))
    x_p = check_draw(sample_p, "sample_p", n_eval, generator)
    x_q = check_draw(sample_q, "sample_q", n_eval, generator)
    check_cloud_pair(x_p, x_q, names=("sample_p(n, g)", "sample_q(n, g)"))
    first = next(critic.parameters())
    x_p, x_q = x_p.to(first.device, first.dtype), x_q.to(first.device, first.dtype)
    curve_steps: list[int] = []
    curve: list[float] = []

    def held_out(step: int, _values=None, _model=None) -> None:
        if step % eval_every == 0 or step == steps:
            with torch.no_grad():
                v_p, v_q = (check_net_scores(critic, x, "critic") for x in (x_p, x_q))
                curve.append(variational_bound(v_p, v_q, name).item())
            curve_steps.append(step)

    held_out(0)
    pairs = ((check_draw(sample_p, "sample_p", batch_size, generator),
              check_draw(sample_q, "sample_q", batch_size, generator)) for _ in itertools.count())
    cuda = [first.device] if first.device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):  # fit seeds torch's global generator: undo it
        history = fit(_BoundFit(critic, name), pairs, steps=steps, batch_size=batch_size,
                      lr=lr, seed=seed, progress=False, callback=held_out)
    return VariationalFit(curve[-1], curve_steps, curve, history)


# --------------------------------------------------------------------------- generator
GENERATOR_LOSSES = ("minimax", "non-saturating")
"""The two generator losses of the original GAN, by name."""


def gan_generator_loss(logits_fake: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    r"""The GAN generator's loss on the discriminator's logits :math:`v = \log\frac{D}{1-D}`.

    .. math::

        \begin{aligned}
        &\text{minimax: } \mathbb{E}_{P_G} \log\big(1 - D(X)\big) = -\mathbb{E}\,
            \operatorname{softplus}(v), \\
        &\text{non-saturating: } -\mathbb{E}_{P_G} \log D(X) = \mathbb{E}\,
            \operatorname{softplus}(-v).
        \end{aligned}

    Both are minimised by the generator. Against the optimal discriminator
    :math:`D^* = p/(p+q)` (:math:`P` the data, :math:`Q = P_G`), held fixed while the
    generator steps, the minimax loss has the gradient of :math:`2\,\mathrm{JS}(P, Q) - \log 4`,
    not its value: that bound is :math:`\mathbb{E}_P \log D^* + \mathbb{E}_Q \log(1 - D^*)`,
    the loss plus :math:`\mathbb{E}_P \log D^*`, a term free of the generator (for
    :math:`N(0, 1)` against :math:`N(1, 1)`: loss :math:`-0.5817`, bound :math:`-1.1635`). The
    non-saturating one has the gradient of :math:`\mathrm{KL}(Q\|P) - 2\,\mathrm{JS}(P, Q) =
    2\,\mathrm{KL}(M\|P)`, :math:`M = \tfrac12(P + Q)` (Arjovsky & Bottou, 2017, Thm. 2.5),
    which does not vanish when :math:`D^*` rejects every fake.

    Parameters
    ----------
    logits_fake : Tensor, shape (n,)
        The discriminator's logits on generated samples.
    kind : {"minimax", "non-saturating"}

    Returns
    -------
    Tensor, shape ()

    Raises
    ------
    ValueError
        Unknown kind, or logits that are not a non-empty 1-D floating-point tensor.

    Examples
    --------
    >>> v = torch.zeros(4)  # D = 1/2
    >>> round(gan_generator_loss(v, "minimax").item(), 4), round(gan_generator_loss(v).item(), 4)
    (-0.6931, 0.6931)
    """
    kind = check_choice(kind, "kind", GENERATOR_LOSSES)
    check_logits_or_scores(logits_fake, "logits_fake")
    return -F.softplus(logits_fake).mean() if kind == "minimax" else F.softplus(-logits_fake).mean()


class FGANModel(GeneratorCriticModel):
    r"""An f-GAN: a generator trained against a critic that maximises the variational bound.

    .. math::

        \begin{aligned}
        &\min_G\ \max_v\ \mathbb{E}_{P_X}\, g_f(v(X)) - \mathbb{E}_{P_Z}\,
            f^*\big(g_f(v(G(Z)))\big) \\
        &\quad\approx\; \min_G D_f(P_X \,\|\, P_G)
        \qquad (\text{Nowozin et al., 2016}).
        \end{aligned}

    With ``divergence="gan"`` it is the original GAN (Goodfellow et al., 2014): the critic is
    the discriminator's logit and its bound is :math:`2\,\mathrm{JS} - \log 4` at the optimum.
    The generator minimises ``"minimax"``, :math:`-\mathbb{E}\, f^*(g_f(v))` (the bound's
    own term), or ``"non-saturating"``, :math:`-\mathbb{E}\, g_f(v)` (Nowozin et al.'s
    alternative; for the GAN, :math:`-\mathbb{E}\log D`, :func:`gan_generator_loss`). It
    shares :class:`~vegan_lib.protocol.GeneratorCriticModel` (networks, sampling, ``fit``'s
    protocol with the critic as adversary) with :class:`~vegan_lib.wgan.WGANModel`, and
    has no Lipschitz constraint.

    Parameters
    ----------
    generator, critic : nn.Module
        As for :class:`~vegan_lib.wgan.WGANModel`; the critic returns raw scores (N,).
    z_dim : int
    divergence : str
        A key of :data:`F_DIVERGENCES`.
    generator_loss : {"minimax", "non-saturating"}

    ``ValueError``, naming the argument, for an unknown ``divergence`` or
    ``generator_loss``, networks that are not ``nn.Module`` or ``z_dim < 1``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = FGANModel.for_mnist(z_dim=4)
    >>> sorted(model.adversary_loss(torch.rand(3, 1, 28, 28)))
    ['bound', 'loss']
    >>> tuple(model.sample(2).shape)
    (2, 1, 28, 28)
    """

    def __init__(self, generator: nn.Module, critic: nn.Module, z_dim: int,
                 divergence: str = "gan", generator_loss: str = "non-saturating") -> None:
        super().__init__(generator, critic, z_dim)
        self.divergence = _divergence(divergence, "divergence").name
        self.generator_loss = check_choice(generator_loss, "generator_loss", GENERATOR_LOSSES)

    @classmethod
    def for_mnist(cls, z_dim: int = 8, **kwargs) -> FGANModel:
        """The f-GAN on (N, 1, 28, 28) digits with the book's decoder and convolutional critic."""
        return cls(ConvDecoder(z_dim), ConvCritic(), z_dim, **kwargs)

    def extra_repr(self) -> str:
        return (f"z_dim={self.z_dim}, divergence={self.divergence!r}, "
                f"generator_loss={self.generator_loss!r}")

    @property
    def facts(self) -> ModelFacts:
        """Facts of the f-GAN, an f-divergence in the dual, with a critic (no encoder)."""
        return ModelFacts("f-GAN", "f-divergence", "dual", "none", "none", "none", "none",
                          "discriminator" if self.divergence == "gan" else "critic")

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The generator's loss on a batch (``x`` sets the batch size only)."""
        v = self.critic(self._fake_like(x))
        div = F_DIVERGENCES[self.divergence]
        term = div.conjugate_of_activation if self.generator_loss == "minimax" else div.activation
        return {"loss": -term(v).mean()}

    def adversary_loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The critic's loss: minus the variational bound (fakes detached from :math:`G`)."""
        with torch.no_grad():
            fake = self._fake_like(x)
        scores = self.critic(torch.cat([x, fake]))
        bound = variational_bound(scores[: x.shape[0]], scores[x.shape[0]:], self.divergence)
        return {"loss": -bound, "bound": bound.detach()}
