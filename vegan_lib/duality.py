r"""Kantorovich duality for the 1-Wasserstein cost: the exact facts of chapter 6.

For the cost :math:`c(x, y) = \lVert x - y \rVert_2` the dual of optimal transport is the
Kantorovich–Rubinstein formula (Villani, 2009, Remark 6.5)

.. math::

    W_1(P, Q) = \min_{\pi \in \Pi(P, Q)} \mathbb{E}_\pi \lVert X - Y \rVert
    = \max_{\lVert f \rVert_L \le 1} \mathbb{E}_P f(X) - \mathbb{E}_Q f(Y),

whose maximiser, a *critic*, is what a Wasserstein GAN trains a network to find. This
module computes both sides exactly on discrete measures and checks neural critics
against them:

* :func:`kantorovich_potentials` turns the dual potentials of the network simplex into
  one 1-Lipschitz function on the plane that attains the maximum;
* :func:`empirical_lipschitz` and :func:`certified_w1_lower_bound` turn *any* critic into
  a guaranteed lower bound of :math:`W_1` between samples;
* :func:`fit_critic` trains a network critic on two fixed samples (weight clipping,
  gradient penalty or spectral normalisation);
* :func:`pot_wgan_dual_lp` solves penalized optimal transport with the latent penalty
  :math:`\lambda W_{c_G}(Q_Z, P_Z)` as one linear programme and returns its dual critic:
  the duality between POT and WGAN of Bousquet et al. (2017), Section 5.

Exact results are float64 on the inputs' device (float32 on Apple MPS).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import sparse
from scipy.optimize import linprog
from torch import nn
from tqdm.auto import tqdm

from vegan_lib._checks import as_tensor, check_finite, check_points, check_weights
from vegan_lib._checks import check_positive as _positive
from vegan_lib._checks import check_positive_int as _positive_int
from vegan_lib.objectives import clip_weights_, gradient_penalty, wgan_critic_loss
from vegan_lib.train import History
from vegan_lib.transport import cost_matrix, exact_ot

__all__ = [
    "CRITIC_PENALTIES",
    "CertifiedBound",
    "KantorovichPotentials",
    "POTWassersteinResult",
    "certified_w1_lower_bound",
    "empirical_lipschitz",
    "fit_critic",
    "kantorovich_potentials",
    "pot_wgan_dual_lp",
]

CRITIC_PENALTIES = ("gp", "clip", "sn", "none")
"""Constraints :func:`fit_critic` can put on a critic; ``"none"`` leaves it unconstrained."""


def _out_dtype(device: torch.device) -> torch.dtype:
    # Apple's MPS has no float64; CPU and CUDA do.
    return torch.float32 if device.type == "mps" else torch.float64


def _cpu64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", torch.float64)


# ----------------------------------------------------------------------------- potentials
@dataclass(frozen=True)
class KantorovichPotentials:
    r"""An optimal 1-Lipschitz critic between two discrete measures.

    Returned by :func:`kantorovich_potentials`.

    Attributes
    ----------
    f_x : Tensor, shape (n,)
        :math:`f(x_i)`.
    f_y : Tensor, shape (m,)
        :math:`f(y_j)`.
    cost : Tensor, shape ()
        The primal value :math:`W_1 = \sum_{ij} \pi_{ij} \lVert x_i - y_j \rVert`.
    dual : Tensor, shape ()
        The dual value :math:`\sum_i a_i f(x_i) - \sum_j b_j f(y_j)`; equals ``cost``.
    plan : Tensor, shape (n, m)
        An optimal coupling :math:`\pi`.
    anchors : Tensor, shape (k, d)
        The source points of positive weight, where :math:`f` is anchored.
    offsets : Tensor, shape (k,)
        The simplex's potential at the anchors; :math:`f(w) = \max_i(\text{offsets}_i -
        \lVert w - \text{anchors}_i \rVert)`.
    """

    f_x: torch.Tensor
    f_y: torch.Tensor
    cost: torch.Tensor
    dual: torch.Tensor
    plan: torch.Tensor
    anchors: torch.Tensor
    offsets: torch.Tensor

    def potential(self, points: torch.Tensor) -> torch.Tensor:
        r"""Evaluate :math:`f(w) = \max_i \big(u_i - \lVert w - x_i \rVert\big)` at any points.

        Differentiable in ``points`` (for a gradient field of the critic); computed in the
        points' dtype on their device.

        Parameters
        ----------
        points : Tensor, shape (N, d)

        Returns
        -------
        Tensor, shape (N,)

        Raises
        ------
        ValueError
            If ``points`` is not a finite (N, d) cloud with the measures' dimension.
        """
        w = check_points(points, "points")
        if w.shape[1] != self.anchors.shape[1]:
            raise ValueError(
                f"points have dimension {w.shape[1]} but the measures live in dimension "
                f"{self.anchors.shape[1]}; pass points of shape (N, {self.anchors.shape[1]})"
            )
        anchors = self.anchors.to(device=w.device, dtype=w.dtype)
        offsets = self.offsets.to(device=w.device, dtype=w.dtype)
        return (offsets[None, :] - cost_matrix(w, anchors, p=1)).max(dim=1).values


def kantorovich_potentials(
    x: Any, y: Any, a: Any = None, b: Any = None
) -> KantorovichPotentials:
    r"""A 1-Lipschitz function that attains the Kantorovich–Rubinstein maximum exactly.

    The network simplex (:func:`vegan_lib.transport.exact_ot` with ``p=1``) returns dual
    potentials :math:`u, v` with :math:`u_i + v_j \le \lVert x_i - y_j \rVert` and
    :math:`\sum_i a_i u_i + \sum_j b_j v_j = W_1`. They are numbers on the points, not yet a
    1-Lipschitz function. This function takes the c-transform of :math:`u`, negated,

    .. math::

        f(w) = -u^c(w) = \max_{i:\ a_i > 0} \big( u_i - \lVert w - x_i \rVert \big),

    a maximum of 1-Lipschitz functions, hence 1-Lipschitz on all of :math:`\mathbb{R}^d`.
    Taking :math:`w = x_i` gives :math:`f(x_i) \ge u_i`, and dual feasibility gives
    :math:`f(y_j) \le -v_j`, so

    .. math::

        \sum_i a_i f(x_i) - \sum_j b_j f(y_j) \;\ge\; \sum_i a_i u_i + \sum_j b_j v_j = W_1,

    while no 1-Lipschitz function can exceed :math:`W_1` (weak duality). Hence :math:`f`
    is an optimal critic, and complementary slackness holds:
    :math:`f(x_i) - f(y_j) = \lVert x_i - y_j \rVert` wherever :math:`\pi_{ij} > 0`, i.e.
    :math:`f` rises at unit speed along every segment the optimal plan uses.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        Support of :math:`P` (e.g. data).
    y : Tensor or array-like, shape (m, d)
        Support of :math:`Q` (e.g. generated samples).
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Weights (non-negative, summing to 1); uniform by default.

    Returns
    -------
    KantorovichPotentials
        ``f_x`` (n,), ``f_y`` (m,), ``cost`` and ``dual`` (shape ()), ``plan`` (n, m),
        and the anchors of :meth:`KantorovichPotentials.potential`; float64 on the
        inputs' device (float32 on Apple MPS).

    Raises
    ------
    ValueError
        For invalid points or weights (see :func:`vegan_lib.transport.exact_ot`).
    RuntimeError
        If the simplex fails, or if the dual value misses the primal cost by more than
        :math:`10^{-9}` times the largest distance (it never should).

    References
    ----------
    Villani (2009), Theorem 5.10 and Remark 6.5 (Kantorovich–Rubinstein);
    Peyré and Cuturi (2019), Section 6.1 (c-transforms for :math:`W_1`).

    Examples
    --------
    Half of the mass sits at 0 and half at 2; it all moves to 1, so :math:`W_1 = 1` and
    :math:`f(w) = -|w - 1|` (up to a constant) is optimal:

    >>> pots = kantorovich_potentials([[0.0], [2.0]], [[1.0]])
    >>> round(float(pots.cost), 6), round(float(pots.dual), 6)
    (1.0, 1.0)
    >>> (pots.f_x - pots.f_y).tolist()
    [1.0, 1.0]
    """
    x_t = check_points(x, "x")
    y_t = check_points(y, "y")
    result = exact_ot(x_t, y_t, a, b, p=1)
    device = result.plan.device
    a64 = check_weights(a, x_t.shape[0], "a", torch.float64, torch.device("cpu"))
    b64 = check_weights(b, y_t.shape[0], "b", torch.float64, torch.device("cpu"))
    x64, y64 = _cpu64(x_t), _cpu64(y_t)
    # Points of zero weight carry no dual information (the simplex may leave their
    # potentials unconstrained), so they are not used as anchors.
    keep = a64 > 0
    anchors, offsets = x64[keep], _cpu64(result.f)[keep]

    def f(w: torch.Tensor) -> torch.Tensor:
        return (offsets[None, :] - cost_matrix(w, anchors, p=1)).max(dim=1).values

    f_x, f_y = f(x64), f(y64)
    dual = a64 @ f_x - b64 @ f_y
    cost = _cpu64(result.cost)
    scale = max(1.0, float(_cpu64(result.cost_matrix).max()))
    if abs(float(dual - cost)) > 1e-9 * scale:
        raise RuntimeError(
            f"the Kantorovich potential's dual value {float(dual):.12g} differs from the "
            f"primal cost {float(cost):.12g}; the simplex's potentials are not optimal. "
            "Rescale the points (e.g. divide them by their spread) and try again"
        )
    dtype = _out_dtype(device)

    def out(t: torch.Tensor) -> torch.Tensor:
        return t.to(device=device, dtype=dtype)

    return KantorovichPotentials(
        f_x=out(f_x),
        f_y=out(f_y),
        cost=out(cost),
        dual=out(dual),
        plan=result.plan,
        anchors=out(anchors),
        offsets=out(offsets),
    )


# ----------------------------------------------------------------------------- certified bounds
def empirical_lipschitz(points: Any, values: Any) -> torch.Tensor:
    r"""The Lipschitz constant of a function known on finitely many points.

    .. math::

        L = \max_{k \ne l,\ w_k \ne w_l} \frac{|v_k - v_l|}{\lVert w_k - w_l \rVert_2},

    over all pairs of distinct points (:math:`+\infty` if two equal points carry different
    values, 0 for fewer than two distinct points). By McShane's extension,
    :math:`w \mapsto \min_k (v_k + L \lVert w - w_k \rVert)` is an :math:`L`-Lipschitz
    function on :math:`\mathbb{R}^d` with these values, so :math:`L` is the smallest
    Lipschitz constant any function taking these values can have.

    Parameters
    ----------
    points : Tensor or array-like, shape (N, d)
    values : Tensor or array-like, shape (N,)

    Returns
    -------
    Tensor, shape ()
        float64, on the inputs' device (float32 on Apple MPS).

    Raises
    ------
    ValueError
        If ``points`` is not a finite (N, d) cloud or ``values`` not a finite (N,) vector.

    Examples
    --------
    >>> empirical_lipschitz([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]], [0.0, 5.0, 2.0])
    tensor(2., dtype=torch.float64)
    """
    w = check_points(points, "points")
    v = as_tensor(values, "values")
    if v.ndim != 1 or v.shape[0] != w.shape[0]:
        raise ValueError(
            f"values must have shape ({w.shape[0]},), one per point, got {tuple(v.shape)}; "
            "pass the critic's scores on the points, e.g. critic(points)"
        )
    check_finite(v, "values")
    w64, v64 = _cpu64(w), _cpu64(v)
    dist = cost_matrix(w64, w64, p=1)
    gaps = (v64[:, None] - v64[None, :]).abs()
    apart = dist > 0
    if bool(((~apart) & (gaps > 0)).any()):
        lip = torch.tensor(math.inf, dtype=torch.float64)
    elif not bool(apart.any()):
        lip = torch.tensor(0.0, dtype=torch.float64)
    else:
        lip = (gaps[apart] / dist[apart]).max()
    return lip.to(device=w.device, dtype=_out_dtype(w.device))


@dataclass(frozen=True)
class CertifiedBound:
    r"""A critic's estimate of :math:`W_1` and the bound it certifies.

    Returned by :func:`certified_w1_lower_bound`.

    Attributes
    ----------
    estimate : Tensor, shape ()
        :math:`\sum_i a_i f(x_i) - \sum_j b_j f(y_j)`, the critic's raw value.
    lipschitz : Tensor, shape ()
        :math:`L`, the critic's Lipschitz constant on the union of the samples.
    bound : Tensor, shape ()
        ``estimate / lipschitz`` (0 when :math:`L = 0`): a lower bound of :math:`W_1`.
    """

    estimate: torch.Tensor
    lipschitz: torch.Tensor
    bound: torch.Tensor


def certified_w1_lower_bound(
    f_x: Any, f_y: Any, x: Any, y: Any, a: Any = None, b: Any = None
) -> CertifiedBound:
    r"""Turn any critic's scores into a guaranteed lower bound of :math:`W_1` on the samples.

    A critic's raw estimate :math:`\mathbb{E}_P f - \mathbb{E}_Q f` bounds :math:`W_1` only
    if :math:`f` is 1-Lipschitz, which a network rarely is exactly. Only its values on the
    two supports enter, though, and those extend to an :math:`L`-Lipschitz function with
    :math:`L` = :func:`empirical_lipschitz` of the values on :math:`\{x_i\} \cup \{y_j\}`.
    Dividing by :math:`L` gives a 1-Lipschitz function, so by Kantorovich–Rubinstein

    .. math::

        \frac{1}{L} \Big( \sum_i a_i f(x_i) - \sum_j b_j f(y_j) \Big) \;\le\;
        W_1\Big(\sum_i a_i \delta_{x_i}, \sum_j b_j \delta_{y_j}\Big),

    whatever the critic and however it was trained. The scores must come from one
    function: evaluate a network critic in evaluation mode (``critic.eval()``), since a
    spectrally normalised layer in training mode changes its weights at every call.

    Parameters
    ----------
    f_x : Tensor or array-like, shape (n,)
        Scores on the first sample.
    f_y : Tensor or array-like, shape (m,)
        Scores on the second sample.
    x : Tensor or array-like, shape (n, d)
    y : Tensor or array-like, shape (m, d)
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Weights; uniform by default.

    Returns
    -------
    CertifiedBound
        ``estimate``, ``lipschitz`` and ``bound``, float64 on the inputs' device.

    Raises
    ------
    ValueError
        On shape mismatches, non-finite values or invalid weights.

    Examples
    --------
    The critic :math:`f(w) = 3w` has :math:`L = 3`; its raw value 6 overestimates
    :math:`W_1 = 2`, the certified bound does not:

    >>> cb = certified_w1_lower_bound([6.0], [0.0], [[2.0]], [[0.0]])
    >>> [round(float(v), 6) for v in (cb.estimate, cb.lipschitz, cb.bound)]
    [6.0, 3.0, 2.0]
    """
    x_t, y_t = check_points(x, "x"), check_points(y, "y")
    if x_t.shape[1] != y_t.shape[1]:
        raise ValueError(
            f"x and y must have the same dimension, got {tuple(x_t.shape)} and "
            f"{tuple(y_t.shape)}; compare samples of one space"
        )
    fx, fy = as_tensor(f_x, "f_x"), as_tensor(f_y, "f_y")
    for name, t, n in (("f_x", fx, x_t.shape[0]), ("f_y", fy, y_t.shape[0])):
        if t.ndim != 1 or t.shape[0] != n:
            raise ValueError(
                f"{name} must hold one score per point, shape ({n},), got {tuple(t.shape)}; "
                "squeeze a trailing axis with .squeeze(-1)"
            )
    a64 = check_weights(a, x_t.shape[0], "a", torch.float64, torch.device("cpu"))
    b64 = check_weights(b, y_t.shape[0], "b", torch.float64, torch.device("cpu"))
    fx64, fy64 = _cpu64(fx), _cpu64(fy)
    estimate = a64 @ fx64 - b64 @ fy64
    points = torch.cat([_cpu64(x_t), _cpu64(y_t)])
    lip = _cpu64(empirical_lipschitz(points, torch.cat([fx64, fy64])))
    bound = estimate / lip if float(lip) > 0 else torch.zeros((), dtype=torch.float64)
    device = x_t.device
    dtype = _out_dtype(device)
    return CertifiedBound(
        estimate=estimate.to(device, dtype),
        lipschitz=lip.to(device, dtype),
        bound=bound.to(device, dtype),
    )


# ----------------------------------------------------------------------------- neural critics
def _check_critic_settings(penalty: str, critic: nn.Module) -> None:
    if penalty not in CRITIC_PENALTIES:
        raise ValueError(f"unknown penalty {penalty!r}; choose one of {list(CRITIC_PENALTIES)}")
    if not isinstance(critic, nn.Module):
        raise ValueError(f"critic must be an nn.Module, got {type(critic).__name__}")
    if next(iter(critic.parameters()), None) is None:
        raise ValueError("the critic has no parameters to train")
    if penalty == "sn" and not any(
        torch.nn.utils.parametrize.is_parametrized(m) for m in critic.modules()
    ):
        raise ValueError(
            "penalty='sn' needs a spectrally normalised critic; build it with "
            "Critic(x_dim, spectral_norm=True)"
        )


@torch.no_grad()
def _estimate(critic: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    # One forward pass in evaluation mode: a spectrally normalised layer in training mode
    # refines (and so changes) its weights at every call, so f(x) and f(y) computed by two
    # calls would come from two different functions.
    was_training = critic.training
    critic.eval()
    scores = critic(torch.cat([x, y]))
    critic.train(was_training)
    return float(scores[: x.shape[0]].mean() - scores[x.shape[0] :].mean())


def fit_critic(
    critic: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 500,
    penalty: str = "gp",
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.5, 0.9),
    gp_weight: float = 10.0,
    clip: float = 0.01,
    batch_size: int | None = None,
    seed: int = 0,
    log_every: int = 10,
    progress: bool = True,
    desc: str | None = None,
) -> History:
    r"""Train a critic on two fixed samples to maximise the Kantorovich–Rubinstein objective.

    Each step takes one Adam step on

    .. math::

        \mathcal{L}(f) = \widehat{\mathbb{E}}_{Q} f - \widehat{\mathbb{E}}_{P} f
        \;\big[ + \lambda_{\mathrm{GP}}\, \mathrm{GP}(f) \big],

    with :math:`P` the sample ``x`` and :math:`Q` the sample ``y``
    (:func:`~vegan_lib.objectives.wgan_critic_loss`, on the full samples unless
    ``batch_size`` is given), and constrains the critic by ``penalty``:

    * ``"gp"``: the gradient penalty on interpolates of randomly paired points;
    * ``"clip"``: weights clipped to :math:`[-c, c]` before the first and after every step;
    * ``"sn"``: nothing added; the critic must be spectrally normalised;
    * ``"none"``: unconstrained, to see the estimate diverge.

    Parameters
    ----------
    critic : nn.Module
        Maps (N, d) points to (N,) scores; trained in place, on its own device and dtype.
    x : Tensor, shape (n, d)
        Sample of :math:`P`, where the critic should be high.
    y : Tensor, shape (m, d)
        Sample of :math:`Q`.
    steps : int
        Adam steps.
    penalty : {"gp", "clip", "sn", "none"}
    lr : float
        Adam's learning rate.
    betas : pair of float
        Adam's :math:`(\beta_1, \beta_2)`; (0.5, 0.9) as in the WGAN-GP paper.
    gp_weight : float
        :math:`\lambda_{\mathrm{GP}}` (``"gp"`` only).
    clip : float
        :math:`c` (``"clip"`` only).
    batch_size : int, optional
        Minibatch size drawn from each sample per step; full samples by default.
    seed : int
        Seeds the minibatches and the interpolation coefficients.
    log_every : int
        Record every ``log_every`` steps (and at the last one).
    progress : bool
        Show a ``tqdm`` bar.
    desc : str, optional
        Label of the bar.

    Returns
    -------
    History
        ``"estimate"``: :math:`\widehat{\mathbb{E}}_P f - \widehat{\mathbb{E}}_Q f` on the
        full samples after the step; ``"loss"``; ``"gradient_penalty"`` for ``"gp"``.
        The critic is left in evaluation mode (``critic.eval()``), so that later calls
        evaluate one fixed function: in training mode a spectrally normalised layer
        refines its estimate of :math:`\sigma(W)`, and hence its weights, at every call.

    Raises
    ------
    ValueError
        Unknown penalty, a critic without parameters (or without spectral norm for
        ``"sn"``), invalid samples, or non-positive settings.
    RuntimeError
        If the loss becomes NaN or infinite.

    Examples
    --------
    A linear critic that may not exceed slope 1 (clipped at :math:`c = 1`) learns the
    unit slope between samples at 0 and 3, and its estimate is :math:`W_1 = 3`:

    >>> _ = torch.manual_seed(0)
    >>> critic = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Flatten(0))
    >>> h = fit_critic(critic, torch.full((4, 1), 3.0), torch.zeros(4, 1), steps=300,
    ...                penalty="clip", clip=1.0, lr=0.05, progress=False)
    >>> round(h.last("estimate"), 4)
    3.0
    """
    _check_critic_settings(penalty, critic)
    steps = _positive_int(steps, "steps")
    log_every = _positive_int(log_every, "log_every")
    lr = _positive(lr, "lr", "lr=1e-3")
    gp_weight = _positive(gp_weight, "gp_weight", "gp_weight=10.0")
    clip = _positive(clip, "clip", "clip=0.01")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    first = next(iter(critic.parameters()))
    x_t = check_points(x, "x").detach().to(first.device, first.dtype)
    y_t = check_points(y, "y").detach().to(first.device, first.dtype)
    if x_t.shape[1] != y_t.shape[1]:
        raise ValueError(
            f"x and y must have the same dimension, got {tuple(x_t.shape)} and "
            f"{tuple(y_t.shape)}; compare samples of one space"
        )
    n, m = x_t.shape[0], y_t.shape[0]
    if batch_size is not None:
        batch_size = _positive_int(batch_size, "batch_size")
        if batch_size > min(n, m):
            raise ValueError(
                f"batch_size={batch_size} exceeds the smaller sample ({min(n, m)} points); "
                "lower it or pass batch_size=None for full samples"
            )
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(critic.parameters(), lr=lr, betas=betas)
    if penalty == "clip":
        clip_weights_(critic, clip)
    history = History()
    critic.train()
    k = min(n, m) if batch_size is None else batch_size
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress)
    for step in bar:
        px = torch.randperm(n, generator=gen)[:k].to(x_t.device)
        py = torch.randperm(m, generator=gen)[:k].to(y_t.device)
        xb, yb = (x_t, y_t) if batch_size is None else (x_t[px], y_t[py])
        optimizer.zero_grad(set_to_none=True)
        loss = wgan_critic_loss(critic(xb), critic(yb))
        values: dict[str, float] = {}
        if penalty == "gp":
            gp = gradient_penalty(critic, x_t[px], y_t[py], generator=gen)
            loss = loss + gp_weight * gp
            values["gradient_penalty"] = float(gp.detach())
        loss_value = float(loss.detach())
        if not math.isfinite(loss_value):
            raise RuntimeError(
                f"step {step}: the critic's loss is {loss_value}; lower the learning rate "
                f"(lr={lr:g}) or use a constrained critic (penalty='gp', 'clip' or 'sn')"
            )
        loss.backward()
        optimizer.step()
        if penalty == "clip":
            clip_weights_(critic, clip)
        if step % log_every == 0 or step == steps:
            values.update(loss=loss_value, estimate=_estimate(critic, x_t, y_t))
            history.record(step, values)
            bar.set_postfix(estimate=f"{values['estimate']:.4g}", refresh=False)
    bar.close()
    critic.eval()
    return history


# ----------------------------------------------------------------------------- POT <-> WGAN
@dataclass(frozen=True)
class POTWassersteinResult:
    r"""Penalized OT with the latent penalty :math:`\lambda W_{c_G}` (:func:`pot_wgan_dual_lp`).

    Attributes
    ----------
    value : Tensor, shape ()
        :math:`D_{\mathrm{POT}}(\lambda)` = ``reconstruction + lam * penalty``.
    reconstruction : Tensor, shape ()
        :math:`\sum_{ij} \pi_{ij} \lVert x_i - G(z_j) \rVert`.
    penalty : Tensor, shape ()
        :math:`W_{c_G}(q, b)`, computed exactly for the optimal :math:`q`.
    plan : Tensor, shape (n, m)
        The joint :math:`\pi_{ij} = a_i Q(z_j \mid x_i)`.
    latent_plan : Tensor, shape (m, m)
        The coupling :math:`\rho` of :math:`(q, b)` found by the programme.
    aggregated_posterior : Tensor, shape (m,)
        :math:`q = Q_Z`, the column sums of ``plan``.
    encoder : Tensor, shape (n, m)
        :math:`Q(z_j \mid x_i) = \pi_{ij} / a_i` (the prior for rows with :math:`a_i = 0`).
    critic_data : Tensor, shape (n,)
        The dual critic on the data, :math:`u_i = \min_j (\lVert x_i - G(z_j) \rVert + h_j)`.
    critic_model : Tensor, shape (m,)
        The dual critic on the generated points :math:`G(z_j)`, :math:`\lambda`-Lipschitz
        for :math:`c_G`.
    dual_value : Tensor, shape ()
        :math:`\sum_i a_i u_i - \sum_j b_j h_j`; equals ``value``.
    decoded : Tensor, shape (m, d)
        :math:`G(z_j)`.
    lam : float
    """

    value: torch.Tensor
    reconstruction: torch.Tensor
    penalty: torch.Tensor
    plan: torch.Tensor
    latent_plan: torch.Tensor
    aggregated_posterior: torch.Tensor
    encoder: torch.Tensor
    critic_data: torch.Tensor
    critic_model: torch.Tensor
    dual_value: torch.Tensor
    decoded: torch.Tensor
    lam: float


def _decoded(z: torch.Tensor, G: Callable[[torch.Tensor], Any]) -> torch.Tensor:
    if not callable(G):
        raise ValueError(
            f"G must be a callable mapping (m, d_z) codes to (m, d) points, e.g. an "
            f"nn.Module or a lambda, got {type(G).__name__}"
        )
    with torch.no_grad():
        out = G(z)
    y = as_tensor(out, "G(z)")
    if y.ndim != 2 or y.shape[0] != z.shape[0] or y.shape[1] == 0:
        raise ValueError(
            f"G(z) must return one point per code, shape ({z.shape[0]}, d), got "
            f"{tuple(y.shape)}; make G act row-wise on a batch of codes"
        )
    check_finite(y, "G(z)")
    return y


def _solve_pot_w1_lp(
    C: np.ndarray, D: np.ndarray, a: np.ndarray, b: np.ndarray, lam: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Solve the joint LP; return (pi, rho, u, w) with u, w the first two dual blocks."""
    n, m = C.shape
    ones_m = np.ones((1, m))
    # Variables: pi (n*m, row-major) then rho (m*m, row-major), all >= 0.
    rows_pi = sparse.kron(sparse.eye(n), ones_m)  # sum_j pi_ij = a_i
    cols_pi = sparse.kron(np.ones((1, n)), sparse.eye(m))  # sum_i pi_ij = q_j
    rows_rho = sparse.kron(sparse.eye(m), ones_m)  # sum_k rho_jk = q_j
    cols_rho = sparse.kron(ones_m, sparse.eye(m))  # sum_j rho_jk = b_k
    A_eq = sparse.vstack(
        [
            sparse.hstack([rows_pi, sparse.csr_matrix((n, m * m))]),
            sparse.hstack([cols_pi, -rows_rho]),
            sparse.hstack([sparse.csr_matrix((m, n * m)), cols_rho]),
        ]
    ).tocsr()
    b_eq = np.concatenate([a, np.zeros(m), b])
    objective = np.concatenate([C.ravel(), lam * D.ravel()])
    result = linprog(
        objective,
        A_eq=A_eq,
        b_eq=b_eq,
        bounds=(0, None),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if result.status != 0:
        raise RuntimeError(
            f"the POT linear programme was not solved to optimality (HiGHS status "
            f"{result.status}: {result.message}); rescale the points or use fewer of them"
        )
    pi = np.clip(result.x[: n * m].reshape(n, m), 0.0, None)
    rho = np.clip(result.x[n * m :].reshape(m, m), 0.0, None)
    duals = result.eqlin.marginals
    return pi, rho, duals[:n], duals[n : n + m]


def pot_wgan_dual_lp(
    x: Any,
    z: Any,
    G: Callable[[torch.Tensor], Any],
    lam: float,
    a: Any = None,
    b: Any = None,
) -> POTWassersteinResult:
    r"""Penalized OT for :math:`c = \lVert x - y \rVert` with a Wasserstein latent penalty, exactly.

    Bousquet et al. (2017, Section 5) take the latent divergence
    :math:`\mathcal{D}_Z = W_{c_G}` with :math:`c_G(z, z') = \lVert G(z) - G(z') \rVert`:

    .. math::

        D_{\mathrm{POT}}(\lambda) = \inf_{Q(Z \mid X)}\
            \mathbb{E}_{P_X} \mathbb{E}_{Q(Z \mid X)} \lVert X - G(Z) \rVert
            + \lambda\, W_{c_G}(Q_Z, P_Z).

    For :math:`P_X = \sum_i a_i \delta_{x_i}` and :math:`P_Z = \sum_j b_j \delta_{z_j}` this
    is one linear programme over a joint :math:`\pi` (rows summing to :math:`a`, free
    column sums :math:`q = Q_Z`) and a coupling :math:`\rho` of :math:`(q, b)`:

    .. math::

        \min_{\pi, \rho \ge 0}\ \sum_{ij} \pi_{ij} \lVert x_i - G(z_j) \rVert
            + \lambda \sum_{jk} \rho_{jk} \lVert G(z_j) - G(z_k) \rVert
        \quad \text{s.t.}\quad \pi \mathbf{1} = a,\ \pi^\top \mathbf{1} = \rho \mathbf{1},
            \ \rho^\top \mathbf{1} = b,

    solved with HiGHS. Its dual is a WGAN: a critic :math:`h` on the generated points
    that is :math:`\lambda`-Lipschitz for :math:`c_G`, and its c-transform
    :math:`u_i = \min_j (\lVert x_i - G(z_j) \rVert + h_j)` on the data,

    .. math::

        D_{\mathrm{POT}}(\lambda) = \max_{h\ \lambda\text{-Lipschitz}}\
            \sum_i a_i u_i - \sum_j b_j h_j .

    The critic is built from HiGHS's dual variables :math:`w_j` of the middle
    constraints as the :math:`\lambda`-Lipschitz envelope
    :math:`h_k = \max_j (-w_j - \lambda c_G(z_j, z_k))`. For :math:`\lambda \ge 1` the
    triangle inequality gives :math:`D_{\mathrm{POT}}(\lambda) = W_1(P_X, P_G)`; for
    :math:`\lambda < 1` it can be strictly smaller.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        Data points.
    z : Tensor or array-like, shape (m, d_z)
        Latent atoms.
    G : callable
        Generator mapping (m, d_z) codes to (m, d) points (called once, no gradient).
    lam : float
        :math:`\lambda \ge 0`.
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Data and prior weights; uniform by default.

    Returns
    -------
    POTWassersteinResult
        Value, its parts, the plans, the encoder and the dual critic, float64 on the
        inputs' device (float32 on Apple MPS); ``decoded`` as ``G`` returned it.

    Raises
    ------
    ValueError
        For a negative or non-finite ``lam``, invalid points or weights, a non-callable
        ``G``, or ``G(z)`` of the wrong shape or dimension.
    RuntimeError
        If HiGHS does not reach optimality.

    References
    ----------
    Bousquet et al. (2017), Section 5 (POT and WGAN are dual for the 1-Wasserstein cost).

    Examples
    --------
    Data at 0; the model puts half its mass at 0 and half at 1, so :math:`W_1 = 1/2`.
    With :math:`\lambda < 1` the encoder sends everything to the code of 0 and pays
    :math:`\lambda/2` of penalty instead:

    >>> x = torch.tensor([[0.0]], dtype=torch.float64)
    >>> z = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    >>> [round(float(pot_wgan_dual_lp(x, z, lambda c: c, lam).value), 6)
    ...  for lam in (0.0, 0.5, 1.0, 2.0)]
    [0.0, 0.25, 0.5, 0.5]
    """
    if isinstance(lam, bool):
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}; e.g. lam=1.0")
    try:
        lam_value = float(lam)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}; e.g. lam=1.0") from None
    if not (math.isfinite(lam_value) and lam_value >= 0):
        raise ValueError(
            f"lam must be a finite number >= 0 (the weight of the latent penalty), got "
            f"{lam_value}; e.g. lam=1.0"
        )
    x_t = check_points(x, "x")
    z_t = check_points(z, "z")
    y = _decoded(z_t, G)
    if y.shape[1] != x_t.shape[1]:
        raise ValueError(
            f"G(z) has points of dimension {y.shape[1]} but x has dimension {x_t.shape[1]}; "
            "G must map codes into the data space"
        )
    if y.device != x_t.device:
        raise ValueError(
            f"x lives on {x_t.device} but G(z) on {y.device}; move them to one device"
        )
    a64 = check_weights(a, x_t.shape[0], "a", torch.float64, torch.device("cpu"))
    b64 = check_weights(b, z_t.shape[0], "b", torch.float64, torch.device("cpu"))
    x64, y64 = _cpu64(x_t), _cpu64(y)
    C = cost_matrix(x64, y64, p=1)
    D = cost_matrix(y64, y64, p=1)
    pi_np, rho_np, _, w_np = _solve_pot_w1_lp(
        C.numpy(), D.numpy(), a64.numpy(), b64.numpy(), lam_value
    )
    pi, rho, w = torch.from_numpy(pi_np), torch.from_numpy(rho_np), torch.from_numpy(w_np)

    q = pi.sum(0)
    reconstruction = (pi * C).sum()
    q_weights = q.clamp_min(0) / q.clamp_min(0).sum()
    penalty = exact_ot(y64, y64, q_weights, b64, p=1).cost
    # Dual critic: the lambda-Lipschitz envelope of -w on the generated points, and its
    # c-transform on the data (both only raise the dual objective, keeping feasibility).
    h = (-w[:, None] - lam_value * D).max(dim=0).values
    u = (C + h[None, :]).min(dim=1).values
    dual_value = a64 @ u - b64 @ h
    has_mass = a64 > 0
    safe_a = torch.where(has_mass, a64, torch.ones_like(a64))
    encoder = torch.where(has_mass[:, None], pi / safe_a[:, None], b64[None, :])

    device = x_t.device
    dtype = _out_dtype(device)

    def out(t: torch.Tensor) -> torch.Tensor:
        return t.to(device=device, dtype=dtype)

    return POTWassersteinResult(
        value=out(reconstruction + lam_value * penalty),
        reconstruction=out(reconstruction),
        penalty=out(penalty),
        plan=out(pi),
        latent_plan=out(rho),
        aggregated_posterior=out(q),
        encoder=out(encoder),
        critic_data=out(u),
        critic_model=out(h),
        dual_value=out(dual_value),
        decoded=y,
        lam=lam_value,
    )
