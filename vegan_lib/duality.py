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
* :func:`fit_critic` trains a network critic on two fixed samples through
  :func:`vegan_lib.train.fit` (weight clipping, gradient penalty or spectral norm).

The dual of POT with the latent penalty :math:`\lambda W_{c_G}` is a WGAN critic too:
:func:`vegan_lib.exact_pot.pot_wgan_dual_lp` solves it exactly.

Exact results are float64 on the inputs' device (float32 on Apple MPS).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from vegan_lib._checks import (
    as_tensor,
    check_finite,
    check_points,
    check_positive,
    check_positive_int,
    check_same_dim,
    check_seed,
    check_weights,
    float64_on,
)
from vegan_lib.train import History, fit
from vegan_lib.transport import cost_matrix, exact_ot
from vegan_lib.wgan import LIPSCHITZ_CONSTRAINTS, clip_weights_, gradient_penalty, wgan_critic_loss

__all__ = [
    "CertifiedBound",
    "KantorovichPotentials",
    "certified_w1_lower_bound",
    "empirical_lipschitz",
    "fit_critic",
    "kantorovich_potentials",
]


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
    dtype = float64_on(device)

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
    return lip.to(device=w.device, dtype=float64_on(w.device))


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
        check_finite(t, name)  # here, so that the message names f_x or f_y
    a64 = check_weights(a, x_t.shape[0], "a", torch.float64, torch.device("cpu"))
    b64 = check_weights(b, y_t.shape[0], "b", torch.float64, torch.device("cpu"))
    fx64, fy64 = _cpu64(fx), _cpu64(fy)
    estimate = a64 @ fx64 - b64 @ fy64
    points = torch.cat([_cpu64(x_t), _cpu64(y_t)])
    lip = _cpu64(empirical_lipschitz(points, torch.cat([fx64, fy64])))
    bound = estimate / lip if float(lip) > 0 else torch.zeros((), dtype=torch.float64)
    device = x_t.device
    dtype = float64_on(device)
    return CertifiedBound(
        estimate=estimate.to(device, dtype),
        lipschitz=lip.to(device, dtype),
        bound=bound.to(device, dtype),
    )


# ----------------------------------------------------------------------------- neural critics
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


class _CriticObjective(nn.Module):
    """The critic's loss on one step's samples, in :func:`vegan_lib.train.fit`'s protocol.

    A batch is ``(x_batch, y_batch, x_paired, y_paired)``: the loss compares the critic on
    the first two, the gradient penalty interpolates between the last two.
    """

    uses_labels = True  # losses() takes the whole tuple, not only its first tensor

    def __init__(
        self,
        critic: nn.Module,
        lipschitz: str,
        gp_weight: float,
        clip: float,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.critic = critic
        self.lipschitz = lipschitz
        self.gp_weight = gp_weight
        self.clip = clip
        self.generator = generator  # shared with the batches: the draws keep their order

    def losses(self, batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        xb, yb, x_paired, y_paired = batch
        loss = wgan_critic_loss(self.critic(xb), self.critic(yb))
        if self.lipschitz != "gp":
            return {"loss": loss}
        gp = gradient_penalty(self.critic, x_paired, y_paired, generator=self.generator)
        return {"loss": loss + self.gp_weight * gp, "gradient_penalty": gp}

    def after_step(self) -> None:
        if self.lipschitz == "clip":
            clip_weights_(self.critic, self.clip)


def _critic_batches(
    x: torch.Tensor, y: torch.Tensor, batch_size: int | None, generator: torch.Generator
) -> Iterator[tuple[torch.Tensor, ...]]:
    """Endless batches ``(x_batch, y_batch, x_paired, y_paired)``, one per step.

    Each step draws a random pairing of ``k = min(n, m)`` points (or ``batch_size``) of
    the two samples; the critic sees the full samples unless ``batch_size`` is given.
    """
    n, m = x.shape[0], y.shape[0]
    k = min(n, m) if batch_size is None else batch_size
    while True:
        px = torch.randperm(n, generator=generator)[:k].to(x.device)
        py = torch.randperm(m, generator=generator)[:k].to(y.device)
        x_paired, y_paired = x[px], y[py]
        if batch_size is None:
            yield x, y, x_paired, y_paired
        else:
            yield x_paired, y_paired, x_paired, y_paired


def _check_critic_and_constraint(critic: Any, lipschitz: Any) -> None:
    """A critic to train (an ``nn.Module`` with parameters, spectrally normalised for
    ``lipschitz="sn"``) and its Lipschitz constraint, one of ``LIPSCHITZ_CONSTRAINTS``."""
    if not isinstance(lipschitz, str) or lipschitz not in LIPSCHITZ_CONSTRAINTS:
        raise ValueError(
            f"unknown lipschitz constraint {lipschitz!r}; choose one of "
            f"{list(LIPSCHITZ_CONSTRAINTS)}"
        )
    if not isinstance(critic, nn.Module):
        raise ValueError(f"critic must be an nn.Module, got {type(critic).__name__}")
    if next(iter(critic.parameters()), None) is None:
        raise ValueError("the critic has no parameters to train; pass e.g. nets.Critic(2)")
    if lipschitz == "sn" and not any(
        torch.nn.utils.parametrize.is_parametrized(m) for m in critic.modules()
    ):
        raise ValueError(
            "lipschitz='sn' needs a spectrally normalised critic; build it with "
            "Critic(x_dim, spectral_norm=True)"
        )


def fit_critic(
    critic: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 500,
    lipschitz: str = "gp",
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

    Each step takes one Adam step (through :func:`vegan_lib.train.fit`) on

    .. math::

        \mathcal{L}(f) = \widehat{\mathbb{E}}_{Q} f - \widehat{\mathbb{E}}_{P} f
        \;\big[ + \lambda_{\mathrm{GP}}\, \mathrm{GP}(f) \big],

    with :math:`P` the sample ``x`` and :math:`Q` the sample ``y``
    (:func:`~vegan_lib.wgan.wgan_critic_loss`, on the full samples unless
    ``batch_size`` is given), and keeps the critic (close to) 1-Lipschitz by
    ``lipschitz`` (one of :data:`~vegan_lib.wgan.LIPSCHITZ_CONSTRAINTS`):

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
    lipschitz : {"gp", "clip", "sn", "none"}
        How the critic is kept Lipschitz.
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
        Seeds the minibatches and the interpolation coefficients. The caller's global
        random state is left as it was.
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
        Unknown ``lipschitz``, a critic without parameters (or without spectral norm for
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
    ...                lipschitz="clip", clip=1.0, lr=0.05, progress=False)
    >>> round(h.last("estimate"), 4)
    3.0
    """
    _check_critic_and_constraint(critic, lipschitz)
    gp_weight = check_positive(gp_weight, "gp_weight", "gp_weight=10.0")
    clip = check_positive(clip, "clip", "clip=0.01")
    log_every = check_positive_int(log_every, "log_every", "log_every=10")
    seed = check_seed(seed, bits=63)
    first = next(iter(critic.parameters()))
    x_t = check_points(x, "x").detach().to(first.device, first.dtype)
    y_t = check_points(y, "y").detach().to(first.device, first.dtype)
    check_same_dim(x_t, y_t)
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size", "batch_size=64")
        if batch_size > min(x_t.shape[0], y_t.shape[0]):
            raise ValueError(
                f"batch_size={batch_size} exceeds the smaller sample "
                f"({min(x_t.shape[0], y_t.shape[0])} points); lower it or pass "
                "batch_size=None for full samples"
            )
    generator = torch.Generator().manual_seed(seed)
    objective = _CriticObjective(critic, lipschitz, gp_weight, clip, generator)
    if lipschitz == "clip":
        clip_weights_(critic, clip)
    history = History()

    def record(step: int, values: dict[str, float], _: nn.Module) -> None:
        if step % log_every == 0 or step == steps:
            history.record(step, {**values, "estimate": _estimate(critic, x_t, y_t)})

    # fit seeds torch's global generator; the critic's draws come from `generator`, so the
    # caller's random state is restored afterwards, as if nothing had drawn from it.
    cuda = [first.device] if first.device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        trained = fit(
            objective, _critic_batches(x_t, y_t, batch_size, generator), steps=steps,
            lr=lr, betas=betas, seed=seed, progress=progress, desc=desc,
            log_every=log_every, callback=record,
        )
    history.wall_time = trained.wall_time
    critic.eval()
    return history
