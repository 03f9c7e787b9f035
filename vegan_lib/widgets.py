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
   here, so the rest works without it);
3. ``static_figure(values)``: a small multiple of several settings, for readers of the
   HTML book, where no kernel answers the sliders (a pyplot figure, shown by the notebook
   like every other figure; the live ``figure`` is not a pyplot figure, so building an
   explorer shows nothing by itself).

This module is not imported by ``vegan_lib/__init__.py``; import it explicitly.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn
from tqdm.auto import tqdm

from vegan_lib._checks import check_non_negative as _non_negative
from vegan_lib._checks import check_positive as _positive
from vegan_lib.duality import certified_w1_lower_bound, fit_critic
from vegan_lib.nets import Critic
from vegan_lib.objectives import (
    aae_loss,
    aae_to_pot_lambda,
    gaussian_nll,
    pot_loss,
    squared_cost,
)
from vegan_lib.plotting import PALETTE, plot_coupling
from vegan_lib.theory import POTRelaxationResult, pot_relaxation
from vegan_lib.transport import exact_ot, sinkhorn_plan, wasserstein

__all__ = [
    "AAESigmaExplorer",
    "CRITIC_LABELS",
    "CriticExplorer",
    "CriticRun",
    "POTRelaxationExplorer",
    "SinkhornExplorer",
]

CRITIC_LABELS: dict[str, str] = {
    "clip": "weight clipping",
    "gp": "gradient penalty",
    "sn": "spectral normalisation",
}
"""The critics :class:`CriticExplorer` compares, by the name ``fit_critic`` uses."""

_PNG_DPI = 80  # the live widget's image: small and fast to encode


# ----------------------------------------------------------------------------- helpers
def _range(bounds: Any, name: str, example: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high), got {bounds!r}; e.g. {example}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"{name} must satisfy 0 < low < high, got {bounds!r}; e.g. {example}")
    return lo, hi


def _plane_points(x: Any, name: str) -> torch.Tensor:
    t = torch.as_tensor(x)
    if t.ndim != 2 or t.shape[1] != 2 or t.shape[0] < 1:
        raise ValueError(
            f"{name} must be points of the plane, shape (n, 2), got {tuple(t.shape)}; the "
            "explorers draw 2-D problems (project higher-dimensional points first)"
        )
    if not t.is_floating_point():
        t = t.double()
    return t


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as err:  # pragma: no cover - ipywidgets is a dependency
        raise RuntimeError(
            "the interactive explorers need ipywidgets; install it with "
            "`pip install ipywidgets` (static_figure works without it)"
        ) from err
    return ipywidgets


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_PNG_DPI)
    return buffer.getvalue()


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _row_of_axes(fig: Figure, ratios: Sequence[float]) -> list[Axes]:
    """One row of axes with these width ratios; reused (cleared) when the figure has them.

    Reusing the axes keeps the positions a layout engine computed, so the live widget can
    switch the engine off after its first drawing and redraw faster.
    """
    axes = list(fig.axes)
    if len(axes) == len(ratios) and getattr(fig, "_explorer_ratios", None) == tuple(ratios):
        for ax in axes:
            ax.clear()
        return axes
    fig.clear()
    fig._explorer_ratios = tuple(ratios)  # type: ignore[attr-defined]
    return list(fig.subplots(1, len(ratios), gridspec_kw={"width_ratios": list(ratios)}))


def _numbers_html(values: dict[str, Any]) -> str:
    cells = "".join(
        f"<tr><td style='padding-right:1em'>{k}</td><td>{_format(v)}</td></tr>"
        for k, v in values.items()
    )
    return f"<table>{cells}</table>"


class _Explorer:
    """Shared plumbing: the figure, the live widget and its refresh."""

    figure: Figure
    values: dict[str, Any]
    controls: dict[str, Any]

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _apply(self, controls: dict[str, Any]) -> bool:  # pragma: no cover
        """Call ``update`` with the controls' values; False when nothing is to redraw."""
        raise NotImplementedError

    def widget(self) -> Any:
        """The interactive view: controls, the redrawn figure and the numbers it shows.

        Moving a control calls ``update`` with the new value, redraws ``figure`` into
        an ``ipywidgets.Image`` and refreshes the table of numbers. The controls are kept
        in ``controls`` (by name), the image in ``self.image``.

        Returns
        -------
        ipywidgets.VBox
            Display it (last line of a notebook cell); it needs a live kernel to respond.

        Raises
        ------
        RuntimeError
            If ipywidgets is not installed.
        """
        widgets = _ipywidgets()
        self.controls = self._control_widgets(widgets)
        self.image = widgets.Image(value=_png(self.figure), format="png")
        # The layout is computed once, above; redrawing into the same axes keeps it.
        self.figure.set_layout_engine("none")
        self.numbers = widgets.HTML(_numbers_html(self.values))

        def refresh(change: Any = None) -> None:
            if not self._apply(self.controls):
                return
            self.image.value = _png(self.figure)
            self.numbers.value = _numbers_html(self.values)

        self._refresh = refresh
        for control in self.controls.values():
            control.observe(refresh, names="value")
        return widgets.VBox(
            [widgets.HBox(list(self.controls.values())), self.image, self.numbers]
        )


def _log_slider(widgets: Any, value: float, lo: float, hi: float, description: str) -> Any:
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=math.log10(lo),
        max=math.log10(hi),
        step=(math.log10(hi) - math.log10(lo)) / 100,
        description=description,
        continuous_update=False,
        readout_format=".3g",
    )


# ============================================================================ chapter 1
class SinkhornExplorer(_Explorer):
    r"""How the entropic plan :math:`P_\varepsilon` approaches the exact plan (chapter 1).

    For two discrete measures :math:`\sum_i a_i \delta_{x_i}` and
    :math:`\sum_j b_j \delta_{y_j}` in the plane, with :math:`C_{ij} = \lVert x_i - y_j
    \rVert^p`,

    .. math::

        P_\varepsilon = \mathop{\arg\min}_{\pi \in \Pi(a, b)} \langle \pi, C \rangle
        - \varepsilon H(\pi), \qquad H(\pi) = -\sum_{ij} \pi_{ij} (\log \pi_{ij} - 1),

    (:func:`~vegan_lib.transport.sinkhorn_plan`). Its transport cost
    :math:`\langle P_\varepsilon, C \rangle` decreases to the exact :math:`W_p^p` as
    :math:`\varepsilon \to 0`, and the plan sharpens from a blur towards the exact plan of
    :func:`~vegan_lib.transport.exact_ot`. The constructor solves the exact problem and the
    curve :math:`\varepsilon \mapsto \langle P_\varepsilon, C \rangle` on a log grid;
    :meth:`update` solves one Sinkhorn problem (milliseconds for tens of points).

    Parameters
    ----------
    x : Tensor or array-like, shape (n, 2)
        Source points.
    y : Tensor or array-like, shape (m, 2)
        Target points.
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Weights; uniform by default.
    p : float, default 2
        Exponent of the cost.
    eps_range : pair of float, default (0.01, 10.0)
        The slider's range of :math:`\varepsilon`, in the units of :math:`C`. Below about
        1/1000 of the largest cost Sinkhorn needs many iterations.
    eps : float, default 0.1
        The first value shown.
    curve_points : int, default 25
        Grid size of the precomputed cost curve.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        Redrawn by :meth:`update`: the entropic plan, the exact plan and the cost curve.
    values : dict
        The numbers of the last :meth:`update`.
    exact : OTResult
        The exact solution.

    Raises
    ------
    ValueError
        For points not in the plane, invalid weights or ``p``, or a bad ``eps_range``.

    Examples
    --------
    Two pairs of points three apart: the exact cost is :math:`3^2 = 9`, and a small
    :math:`\varepsilon` nearly attains it.

    >>> x = torch.tensor([[0.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    >>> explorer = SinkhornExplorer(x, x + torch.tensor([3.0, 0.0], dtype=torch.float64))
    >>> numbers = explorer.update(0.05)
    >>> round(numbers["exact_cost"], 4), round(numbers["cost"], 4)
    (9.0, 9.0)
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        a: Any = None,
        b: Any = None,
        p: float = 2,
        eps_range: tuple[float, float] = (0.01, 10.0),
        eps: float = 0.1,
        curve_points: int = 25,
    ) -> None:
        self.x, self.y = _plane_points(x, "x"), _plane_points(y, "y")
        self.eps_range = _range(eps_range, "eps_range", "eps_range=(0.01, 10.0)")
        if isinstance(curve_points, bool) or not isinstance(curve_points, int) or curve_points < 2:
            raise ValueError(f"curve_points must be an integer >= 2, got {curve_points!r}")
        self.a, self.b, self.p = a, b, p
        self.exact = exact_ot(self.x, self.y, a=a, b=b, p=p)
        self.C = self.exact.cost_matrix
        self.curve_eps = np.geomspace(*self.eps_range, curve_points)
        self.curve_cost = np.array([self._cost(self.plan(e)) for e in self.curve_eps])
        self.figure = Figure(figsize=(13.5, 4.2), layout="constrained")
        self.values: dict[str, Any] = {}
        self.update(eps)

    def plan(self, eps: float) -> torch.Tensor:
        r"""The entropic plan :math:`P_\varepsilon`, shape (n, m).

        Raises
        ------
        ValueError
            If ``eps`` is not a positive number.
        """
        eps = _positive(eps, "eps", "eps=0.1 (in the units of the cost)")
        return sinkhorn_plan(
            self.x, self.y, reg=eps, p=self.p, a=self.a, b=self.b,
            num_iter_max=20_000, stop_thr=1e-9,
        )

    def _cost(self, plan: torch.Tensor) -> float:
        return float((plan * self.C).sum())

    def update(self, eps: float) -> dict[str, float]:
        r"""Solve for :math:`P_\varepsilon`, redraw ``figure`` and return the numbers.

        Parameters
        ----------
        eps : float
            :math:`\varepsilon > 0`.

        Returns
        -------
        dict of str to float
            ``eps``; ``cost`` :math:`\langle P_\varepsilon, C\rangle`; ``exact_cost``
            :math:`W_p^p`; ``excess`` = cost / exact_cost - 1; ``entropy``
            :math:`H(P_\varepsilon)`; ``marginal_error``, the largest deviation of the
            plan's row and column sums from ``a`` and ``b``.

        Raises
        ------
        ValueError
            If ``eps`` is not a positive number.
        """
        plan = self.plan(eps)
        self.values = self._numbers(float(eps), plan)
        self._draw(self.figure, [float(eps)], [plan])
        return dict(self.values)

    def _numbers(self, eps: float, plan: torch.Tensor) -> dict[str, float]:
        cost, exact = self._cost(plan), float(self.exact.cost)
        positive = plan[plan > 0]
        entropy = float(-(positive * (positive.log() - 1)).sum())
        a, b = self.exact.plan.sum(1), self.exact.plan.sum(0)
        marginal = max(float((plan.sum(1) - a).abs().max()), float((plan.sum(0) - b).abs().max()))
        return {
            "eps": eps,
            "cost": cost,
            "exact_cost": exact,
            "excess": cost / exact - 1 if exact > 0 else math.inf,
            "entropy": entropy,
            "marginal_error": marginal,
        }

    def _draw(self, fig: Figure, epsilons: list[float], plans: list[torch.Tensor]) -> None:
        k = len(epsilons)
        axes = _row_of_axes(fig, [1] * (k + 1) + [1.2])
        for ax, eps, plan in zip(axes[:k], epsilons, plans, strict=True):
            plot_coupling(
                self.x, self.y, plan, ax=ax, threshold=1e-3,
                title=f"entropic plan, $\\varepsilon$ = {eps:.3g}\n"
                f"cost {self._cost(plan):.4f}",
            )
        plot_coupling(
            self.x, self.y, self.exact.plan, ax=axes[k], threshold=1e-3,
            title=f"exact plan (network simplex)\ncost $W_p^p$ = {float(self.exact.cost):.4f}",
        )
        for ax in axes[1 : k + 1]:
            legend = ax.get_legend()
            if legend is not None:
                legend.remove()
        curve = axes[-1]
        curve.plot(self.curve_eps, self.curve_cost, color=PALETTE[0],
                   label=r"$\langle P_\varepsilon, C\rangle$")
        curve.axhline(float(self.exact.cost), color="k", ls="--", label="exact $W_p^p$")
        for i, (eps, plan) in enumerate(zip(epsilons, plans, strict=True)):
            curve.plot([eps], [self._cost(plan)], "o", ms=9, color=PALETTE[(i + 1) % len(PALETTE)])
        curve.set(xscale="log", xlabel=r"$\varepsilon$", ylabel="transport cost",
                  title=r"cost of $P_\varepsilon$ against $\varepsilon$")
        curve.legend(loc="upper left", fontsize=8)

    def static_figure(self, values: Sequence[float] = (1.0, 0.1, 0.01)) -> Figure:
        r"""A small multiple: :math:`P_\varepsilon` for several :math:`\varepsilon`.

        One panel per :math:`\varepsilon` (plan and cost in the title), the exact plan,
        and the cost curve with a marker at each :math:`\varepsilon`.

        Parameters
        ----------
        values : sequence of float
            The :math:`\varepsilon` to show, each positive.

        Returns
        -------
        matplotlib.figure.Figure
            A new pyplot figure: a notebook cell ending with ``static_figure(...);``
            shows it, like every figure of the book.

        Raises
        ------
        ValueError
            If ``values`` is empty or holds a non-positive number.
        """
        values = [float(_positive(v, "eps", "values=(1.0, 0.1, 0.01)")) for v in values]
        if not values:
            raise ValueError("values is empty; pass at least one eps, e.g. (1.0, 0.1, 0.01)")
        fig = plt.figure(figsize=(3.6 * (len(values) + 1) + 4.4, 4.2), layout="constrained")
        self._draw(fig, values, [self.plan(v) for v in values])
        return fig

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:
        lo, hi = self.eps_range
        value = min(max(self.values["eps"], lo), hi)
        return {"eps": _log_slider(widgets, value, lo, hi, "ε")}

    def _apply(self, controls: dict[str, Any]) -> bool:
        self.update(controls["eps"].value)
        return True


# ============================================================================ chapter 3
class POTRelaxationExplorer(_Explorer):
    r"""The total-variation relaxation :math:`D_{\mathrm{POT}}(\lambda)` along :math:`\lambda`.

    On :math:`P_X = \sum_i a_i \delta_{x_i}` (in the plane), :math:`P_Z = \sum_j b_j
    \delta_{z_j}` and a fixed generator :math:`G`, with :math:`C_{ij} = \lVert x_i -
    G(z_j)\rVert^p`,

    .. math::

        D_{\mathrm{POT}}(\lambda) = \min_{\pi \ge 0,\ \pi \mathbf 1 = a}
        \langle \pi, C \rangle + \lambda\, \mathrm{TV}(\pi^\top \mathbf 1, b)

    (:func:`~vegan_lib.theory.pot_relaxation`). It rises from the nearest-code cost at
    :math:`\lambda = 0` to :math:`W = W_c(P_X, P_G)`, which it reaches for
    :math:`\lambda \ge \operatorname{osc}(g)`, the oscillation of the optimal dual
    potential of the codes (attribute ``threshold``). The constructor solves the relaxation on
    a grid of :math:`\lambda` (one small linear programme each); :meth:`update` looks a
    grid value up, or solves one more programme.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, 2)
        Data points.
    z : Tensor or array-like, shape (m, d_z)
        Latent atoms.
    G : callable
        Generator, (m, d_z) tensor to (m, 2) tensor.
    lams : sequence of float, optional
        The grid; by default 0, 24 values from 0.01 to :math:`1.5\Delta`, the threshold
        and :math:`\Delta = \max_i(\max_j C_{ij} - \min_j C_{ij})`.
    a, b : Tensor or array-like, optional
        Weights of the data and of the atoms; uniform by default.
    p : float, default 2
        Exponent of the cost.
    lam : float, optional
        First value shown; the grid's middle value by default.

    Attributes
    ----------
    lams : ndarray
        The grid, sorted.
    results : list of POTRelaxationResult
        One per grid value.
    w : float
        :math:`W_c(P_X, P_G)`, the exact transport cost.
    threshold : float
        :math:`\operatorname{osc}(g) = \max_j g_j - \min_j g_j`.
    delta : float
        :math:`\Delta`.
    figure, values :
        As in :class:`SinkhornExplorer`.

    Raises
    ------
    ValueError
        For data not in the plane, a generator that does not map into the plane, a
        negative or non-finite :math:`\lambda`, or invalid weights.

    Examples
    --------
    One point, two codes decoded at distances 0 and 3: the relaxation is
    :math:`\frac12 \min(\lambda, 9)`.

    >>> x = torch.zeros(1, 2, dtype=torch.float64)
    >>> z = torch.tensor([[0.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    >>> explorer = POTRelaxationExplorer(x, z, lambda t: t, lams=[0.0, 4.0, 9.0])
    >>> [round(explorer.update(lam)["value"], 4) for lam in (4.0, 12.0)]
    [2.0, 4.5]
    """

    def __init__(
        self,
        x: Any,
        z: Any,
        G: Callable[[torch.Tensor], torch.Tensor],
        lams: Sequence[float] | None = None,
        a: Any = None,
        b: Any = None,
        p: float = 2,
        lam: float | None = None,
    ) -> None:
        self.x = _plane_points(x, "x")
        self.z = torch.as_tensor(z)
        self.G, self.a, self.b, self.p = G, a, b, p
        with torch.no_grad():
            decoded = G(self.z if self.z.is_floating_point() else self.z.double())
        self.decoded = _plane_points(decoded, "G(z)")
        self.exact = exact_ot(self.x, self.decoded, a=a, b=b, p=p)
        C = self.exact.cost_matrix
        self.w = float(self.exact.cost)
        self.threshold = float(self.exact.g.max() - self.exact.g.min())
        self.delta = float((C.max(dim=1).values - C.min(dim=1).values).max())
        if lams is None:
            grid = np.concatenate(
                [[0.0], np.geomspace(0.01, 1.5 * max(self.delta, 0.01), 24),
                 [self.threshold, self.delta]]
            )
        else:
            grid = np.array([_non_negative(v, "lam", "lams=[0.0, 1.0, 10.0]") for v in lams])
            if grid.size == 0:
                raise ValueError("lams is empty; pass a grid of penalty weights, e.g. [0, 1, 10]")
        self.lams = np.unique(grid)
        self.results = [self._solve(float(v)) for v in self.lams]
        self.figure = Figure(figsize=(15, 4.6), layout="constrained")
        self.values: dict[str, Any] = {}
        self.update(float(self.lams[len(self.lams) // 2]) if lam is None else lam)

    def _solve(self, lam: float) -> POTRelaxationResult:
        return pot_relaxation(self.x, self.z, self.G, lam, a=self.a, b=self.b, p=self.p)

    def result(self, lam: float) -> POTRelaxationResult:
        r"""The relaxation at :math:`\lambda`: from the grid when it is there, else solved.

        Raises
        ------
        ValueError
            If ``lam`` is negative or not finite.
        """
        lam = _non_negative(lam, "lam", "lam=1.0")
        hit = np.flatnonzero(np.isclose(self.lams, lam, rtol=1e-12, atol=0.0))
        return self.results[int(hit[0])] if hit.size else self._solve(lam)

    def update(self, lam: float) -> dict[str, float]:
        r"""Show the relaxation at :math:`\lambda`; return its numbers.

        Parameters
        ----------
        lam : float
            :math:`\lambda \ge 0`.

        Returns
        -------
        dict of str to float
            ``lam``; ``value`` :math:`D_{\mathrm{POT}}(\lambda)`; ``reconstruction``
            :math:`\langle \pi, C\rangle`; ``tv`` :math:`\mathrm{TV}(Q_Z, P_Z)`;
            ``penalty_term`` :math:`\lambda\,\mathrm{TV}`; ``w`` :math:`W_c`; ``gap``
            :math:`W_c - D_{\mathrm{POT}}(\lambda)`; ``codes_used``, the number of atoms
            with :math:`q_j > 10^{-9}`; ``threshold`` :math:`\operatorname{osc}(g)`.

        Raises
        ------
        ValueError
            If ``lam`` is negative or not finite.
        """
        res = self.result(lam)
        self.values = self._numbers(res)
        self._draw(self.figure, [res])
        return dict(self.values)

    def _numbers(self, res: POTRelaxationResult) -> dict[str, float]:
        value = float(res.value)
        return {
            "lam": float(res.lam),
            "value": value,
            "reconstruction": float(res.reconstruction),
            "tv": float(res.penalty),
            "penalty_term": float(res.lam) * float(res.penalty),
            "w": self.w,
            "gap": self.w - value,
            "codes_used": float((res.aggregated_posterior > 1e-9).sum()),
            "threshold": self.threshold,
        }

    def _curve(self, ax: Axes, marked: list[POTRelaxationResult]) -> None:
        values = np.array([float(r.value) for r in self.results])
        recon = np.array([float(r.reconstruction) for r in self.results])
        pen = self.lams * np.array([float(r.penalty) for r in self.results])
        ax.plot(self.lams, values, color=PALETTE[0], lw=2.5, label=r"$D_{\mathrm{POT}}(\lambda)$")
        ax.plot(self.lams, recon, color=PALETTE[1], label=r"$\langle \pi, C\rangle$")
        ax.plot(self.lams, pen, color=PALETTE[2], label=r"$\lambda\,\mathrm{TV}(Q_Z, P_Z)$")
        ax.axhline(self.w, color="k", ls="--", label=r"$W_c(P_X, P_G)$")
        ax.axvline(self.threshold, color=PALETTE[3], ls="-.", lw=1, label=r"osc$(g)$")
        for i, r in enumerate(marked):
            ax.plot([r.lam], [float(r.value)], "o", ms=9, color=PALETTE[(4 + i) % len(PALETTE)])
        positive = self.lams[self.lams > 0]
        if positive.size:
            ax.set_xscale("symlog", linthresh=float(positive.min()))
        ax.set(xlabel=r"$\lambda$", ylabel="value", title="the relaxation and its two terms")
        ax.legend(fontsize=7, loc="lower right")

    def _latent(self, ax: Axes, res: POTRelaxationResult) -> None:
        q = res.aggregated_posterior.detach().cpu().numpy()
        prior = self.exact.plan.sum(0).detach().cpu().numpy()
        z = self.z.detach().cpu().double().numpy()
        if z.ndim == 2 and z.shape[1] == 2:
            scale = 60.0 * len(q)
            ax.scatter(z[:, 0], z[:, 1], s=scale * prior, facecolors="none", edgecolors="0.5",
                       label="prior mass $b_j$")
            ax.scatter(z[:, 0], z[:, 1], s=scale * q, color=PALETTE[1], alpha=0.7,
                       label="$Q_Z(z_j)$")
            ax.set(xlabel="$z_1$", ylabel="$z_2$", aspect="equal")
        else:
            order = np.argsort(-prior)
            ax.bar(np.arange(len(q)), q[order], color=PALETTE[1], label="$Q_Z(z_j)$")
            ax.plot(np.arange(len(q)), prior[order], "k_", ms=10, label="prior mass $b_j$")
            ax.set(xlabel="latent atom $j$", ylabel="mass")
        ax.set_title(f"latent space: TV$(Q_Z, P_Z)$ = {float(res.penalty):.3f}")
        ax.legend(fontsize=7, loc="lower left")

    def _coupling(self, ax: Axes, res: POTRelaxationResult) -> None:
        plot_coupling(
            self.x, self.decoded, res.plan, ax=ax, threshold=1e-6,
            labels=("data $x_i$", "decoded atoms $G(z_j)$"),
            title=f"$\\lambda$ = {res.lam:.3g}: $D_{{\\mathrm{{POT}}}}$ = {float(res.value):.4f}",
        )
        ax.legend(fontsize=7, loc="lower left")

    def _draw(self, fig: Figure, marked: list[POTRelaxationResult]) -> None:
        if len(marked) == 1:
            axes = _row_of_axes(fig, [1.3, 1, 1])
            self._curve(axes[0], marked)
            self._coupling(axes[1], marked[0])
            self._latent(axes[2], marked[0])
            return
        fig.clear()
        grid = fig.add_gridspec(2, len(marked) + 1, width_ratios=[1.4] + [1] * len(marked))
        self._curve(fig.add_subplot(grid[:, 0]), marked)
        for k, res in enumerate(marked, start=1):
            self._coupling(fig.add_subplot(grid[0, k]), res)
            self._latent(fig.add_subplot(grid[1, k]), res)

    def static_figure(self, values: Sequence[float] | None = None) -> Figure:
        r"""A small multiple: the curve, and the optimal plan and :math:`Q_Z` at each
        :math:`\lambda`.

        Parameters
        ----------
        values : sequence of float, optional
            The :math:`\lambda` to show; by default :math:`0`, half the threshold and the
            threshold :math:`\operatorname{osc}(g)`.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            If ``values`` is empty or holds a negative number.
        """
        if values is None:
            values = (0.0, self.threshold / 2, self.threshold)
        results = [self.result(v) for v in values]
        if not results:
            raise ValueError("values is empty; pass at least one lambda, e.g. (0.0, 1.0)")
        fig = plt.figure(figsize=(4.6 * len(results) + 6, 8.4), layout="constrained")
        self._draw(fig, results)
        return fig

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:
        options = [(f"{v:.3g}", float(v)) for v in self.lams]
        current = float(self.lams[np.argmin(np.abs(self.lams - self.values["lam"]))])
        return {
            "lam": widgets.SelectionSlider(
                options=options, value=current, description="λ", continuous_update=False
            )
        }

    def _apply(self, controls: dict[str, Any]) -> bool:
        self.update(controls["lam"].value)
        return True


# ============================================================================ chapter 4
class AAESigmaExplorer(_Explorer):
    r"""The AAE objective is the POT objective, rescaled: what :math:`\sigma^2` changes.

    With a Gaussian decoder :math:`N(G(z), \sigma^2 I_d)`, fixed networks, a batch
    :math:`x_1, \dots, x_N` with reconstructions :math:`\hat x_i = G(E(x_i))` and one
    latent penalty estimate :math:`\mathcal D`,

    .. math::

        \mathcal L_{\mathrm{AAE}} = \frac1N \sum_i -\log p(x_i \mid E(x_i))
        + \lambda_{\mathrm{AAE}} \mathcal D
        = \frac{1}{2\sigma^2} \underbrace{\Big(\frac1N \sum_i \lVert x_i - \hat x_i\rVert^2
        + \lambda \mathcal D\Big)}_{D_{\mathrm{POT}}} + \frac d2 \log(2\pi\sigma^2),
        \qquad \lambda = 2\sigma^2 \lambda_{\mathrm{AAE}}

    (:func:`~vegan_lib.objectives.aae_to_pot_lambda`). Every sample's
    :math:`(\lVert x_i - \hat x_i\rVert^2, -\log p(x_i \mid E(x_i)))` and the batch's
    :math:`(D_{\mathrm{POT}}, \mathcal L_{\mathrm{AAE}})` lie on one line of slope
    :math:`1/(2\sigma^2)`; as :math:`\sigma^2` grows with :math:`\lambda_{\mathrm{AAE}}`
    fixed, the line flattens and the latent penalty's weight :math:`\lambda` in the POT
    objective grows. Everything is closed form: :meth:`update` costs microseconds plus
    the drawing.

    Parameters
    ----------
    x : Tensor, shape (N, ...)
        A batch of data.
    x_hat : Tensor, shape (N, ...)
        Its reconstructions :math:`G(E(x))`, same shape.
    penalty : float or Tensor of shape ()
        The latent penalty estimate :math:`\mathcal D \ge 0` on this batch (e.g. the
        ``"penalty"`` of ``AAEModel.losses``).
    lam_aae : float, default 5.0
        :math:`\lambda_{\mathrm{AAE}} \ge 0`, held fixed.
    sigma2_range : pair of float, default (1e-3, 10.0)
        The slider's range of :math:`\sigma^2`.
    sigma2 : float, default 0.1
        First value shown.

    Attributes
    ----------
    costs : Tensor, shape (N,)
        :math:`\lVert x_i - \hat x_i \rVert^2`.
    reconstruction : float
        Their mean.
    d : int
        Coordinates per sample.
    figure, values :
        As in :class:`SinkhornExplorer`.

    Raises
    ------
    ValueError
        For shapes that differ, an empty batch, a negative or non-finite penalty or
        ``lam_aae``, a non-positive :math:`\sigma^2`, or a bad range.

    Examples
    --------
    One sample at squared distance 2 from its reconstruction, :math:`\mathcal D = 0.5`,
    :math:`\lambda_{\mathrm{AAE}} = 3`: at :math:`\sigma^2 = 0.5` the POT weight is 3 and
    the POT loss :math:`2 + 3 \cdot 0.5 = 3.5`.

    >>> x, x_hat = torch.tensor([[1.0, 1.0]]), torch.zeros(1, 2)
    >>> numbers = AAESigmaExplorer(x, x_hat, penalty=0.5, lam_aae=3.0).update(0.5)
    >>> numbers["lam"], round(numbers["pot_loss"], 4)
    (3.0, 3.5)
    """

    def __init__(
        self,
        x: torch.Tensor,
        x_hat: torch.Tensor,
        penalty: float | torch.Tensor,
        lam_aae: float = 5.0,
        sigma2_range: tuple[float, float] = (1e-3, 10.0),
        sigma2: float = 0.1,
    ) -> None:
        if not isinstance(x, torch.Tensor) or not isinstance(x_hat, torch.Tensor):
            raise ValueError(
                "x and x_hat must be tensors of shape (N, ...); convert with torch.as_tensor"
            )
        if x.shape != x_hat.shape or x.ndim < 1 or x.shape[0] == 0:
            raise ValueError(
                f"x and x_hat must have the same non-empty shape (N, ...), got {tuple(x.shape)} "
                f"and {tuple(x_hat.shape)}; pass the batch and its reconstructions G(E(x))"
            )
        self.x, self.x_hat = x.detach(), x_hat.detach()
        self.d = math.prod(x.shape[1:])
        self.costs = squared_cost(self.x, self.x_hat)
        self.reconstruction = float(self.costs.mean())
        value = float(penalty.detach()) if isinstance(penalty, torch.Tensor) else penalty
        self.penalty = _non_negative(value, "penalty", "penalty=aae.losses(x)['penalty']")
        self.lam_aae = _non_negative(lam_aae, "lam_aae", "lam_aae=5.0")
        self.sigma2_range = _range(sigma2_range, "sigma2_range", "sigma2_range=(1e-3, 10.0)")
        self.figure = Figure(figsize=(12.5, 4.4), layout="constrained")
        self.values: dict[str, Any] = {}
        self.update(sigma2)

    def update(self, sigma2: float) -> dict[str, float]:
        r"""Evaluate both objectives at :math:`\sigma^2`, redraw, return the numbers.

        Parameters
        ----------
        sigma2 : float
            The decoder variance :math:`\sigma^2 > 0`.

        Returns
        -------
        dict of str to float
            ``sigma2``, ``lam_aae``, ``lam`` :math:`= 2\sigma^2\lambda_{\mathrm{AAE}}`,
            ``reconstruction`` (mean squared cost), ``penalty`` :math:`\mathcal D`,
            ``pot_loss``, ``aae_loss`` (the mean Gaussian NLL plus
            :math:`\lambda_{\mathrm{AAE}}\mathcal D`), ``aae_from_pot``
            (:math:`D_{\mathrm{POT}}/(2\sigma^2) + \frac d2 \log 2\pi\sigma^2`),
            ``gradient_factor`` :math:`1/(2\sigma^2)`, ``constant``
            :math:`\frac d2 \log 2\pi\sigma^2` and ``penalty_share``
            :math:`\lambda \mathcal D / D_{\mathrm{POT}}`.

        Raises
        ------
        ValueError
            If ``sigma2`` is not a positive number.
        """
        sigma2 = _positive(sigma2, "sigma2", "sigma2=0.1 (the decoder's variance)")
        self.values = self._numbers(sigma2)
        self._draw(self.figure, [sigma2])
        return dict(self.values)

    def _numbers(self, sigma2: float) -> dict[str, float]:
        lam = aae_to_pot_lambda(sigma2, self.lam_aae)
        D = torch.tensor(self.penalty, dtype=self.costs.dtype, device=self.costs.device)
        nll = gaussian_nll(self.x, self.x_hat, sigma2)
        aae = aae_loss(nll, D, self.lam_aae)
        pot = pot_loss(self.costs, D, lam)
        constant = 0.5 * self.d * math.log(2 * math.pi * sigma2)
        pot_value = float(pot["loss"])
        return {
            "sigma2": sigma2,
            "lam_aae": self.lam_aae,
            "lam": lam,
            "reconstruction": float(pot["reconstruction"]),
            "penalty": self.penalty,
            "pot_loss": pot_value,
            "aae_loss": float(aae["loss"]),
            "aae_from_pot": pot_value / (2 * sigma2) + constant,
            "gradient_factor": 1 / (2 * sigma2),
            "constant": constant,
            "penalty_share": lam * self.penalty / pot_value if pot_value > 0 else 0.0,
        }

    def _draw(self, fig: Figure, sigma2s: list[float]) -> None:
        *lines, right = _row_of_axes(fig, [1] * len(sigma2s) + [1.25])
        costs = self.costs.detach().cpu().double().numpy()
        numbers = [self._numbers(s) for s in sigma2s]
        top = max(costs.max(), max(n["pot_loss"] for n in numbers)) * 1.08
        line = np.linspace(0.0, top, 50)
        for i, (ax, s2, n) in enumerate(zip(lines, sigma2s, numbers, strict=True)):
            colour = PALETTE[i % len(PALETTE)]
            ax.plot(line, line / (2 * s2) + n["constant"], color=colour, lw=1,
                    label=f"slope $1/(2\\sigma^2)$ = {1 / (2 * s2):.3g}, "
                    f"intercept $\\frac{{d}}{{2}}\\log 2\\pi\\sigma^2$ = {n['constant']:.4g}")
            ax.scatter(costs, costs / (2 * s2) + n["constant"], s=10, color=colour, alpha=0.5,
                       label=r"samples: $(\|x_i - \hat x_i\|^2, -\log p(x_i \mid z_i))$")
            ax.plot([n["pot_loss"]], [n["aae_loss"]], "*", ms=15, color=colour,
                    markeredgecolor="k",
                    label=r"batch: $(D_{\mathrm{POT}}, \mathcal{L}_{\mathrm{AAE}})$, "
                    f"$\\lambda$ = {n['lam']:.3g}")
            ax.set(xlabel=r"squared cost (dots), $D_{\mathrm{POT}}$ (star)",
                   ylabel=r"$-\log p(x \mid z)$ (dots), $\mathcal{L}_{\mathrm{AAE}}$ (star)",
                   title=f"$\\sigma^2$ = {s2:.3g}: AAE = POT / $2\\sigma^2$ + const")
            ax.legend(fontsize=7, loc="upper left")
        grid = np.geomspace(*self.sigma2_range, 60)
        lams = 2 * grid * self.lam_aae
        recon = self.reconstruction
        right.plot(grid, np.full_like(grid, recon), color=PALETTE[1],
                   label=r"reconstruction $\frac{1}{N}\sum\|x_i - \hat x_i\|^2$")
        right.plot(grid, lams * self.penalty, color=PALETTE[2],
                   label=r"penalty term $\lambda \mathcal{D}$, "
                   r"$\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}$")
        for i, (s2, n) in enumerate(zip(sigma2s, numbers, strict=True)):
            right.plot([s2], [n["lam"] * self.penalty], "o", ms=9, color=PALETTE[i % len(PALETTE)])
        positive = self.penalty > 0 and recon > 0
        right.set(xscale="log", yscale="log" if positive else "linear",
                  xlabel=r"decoder variance $\sigma^2$", ylabel="term of $D_{\\mathrm{POT}}$",
                  title=f"$\\lambda_{{\\mathrm{{AAE}}}}$ = {self.lam_aae:g} fixed: "
                  + ", ".join(f"$\\lambda$ = {n['lam']:.3g}" for n in numbers))
        right.legend(fontsize=7, loc="upper left")

    def static_figure(self, values: Sequence[float] = (0.01, 0.1, 1.0)) -> Figure:
        r"""A small multiple: the affine identity at each :math:`\sigma^2`, and the two terms.

        Parameters
        ----------
        values : sequence of float
            The :math:`\sigma^2` to show, each positive.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            If ``values`` is empty or holds a non-positive number.
        """
        values = [_positive(v, "sigma2", "values=(0.01, 0.1, 1.0)") for v in values]
        if not values:
            raise ValueError("values is empty; pass at least one sigma2, e.g. (0.01, 0.1, 1.0)")
        fig = plt.figure(figsize=(4.6 * len(values) + 5.5, 4.6), layout="constrained")
        self._draw(fig, values)
        return fig

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:
        lo, hi = self.sigma2_range
        value = min(max(self.values["sigma2"], lo), hi)
        return {"sigma2": _log_slider(widgets, value, lo, hi, "σ²")}

    def _apply(self, controls: dict[str, Any]) -> bool:
        self.update(controls["sigma2"].value)
        return True


# ============================================================================ chapter 6
@dataclass(frozen=True)
class CriticRun:
    r"""One trained critic of :class:`CriticExplorer` and what it certifies.

    Attributes
    ----------
    critic : str
        ``"clip"``, ``"gp"`` or ``"sn"``.
    setting : float or None
        The clipping value :math:`c`, the penalty weight :math:`\lambda_{\mathrm{GP}}`, or
        None (spectral normalisation has no knob).
    network : nn.Module
        The trained critic :math:`f`, in evaluation mode.
    steps : ndarray
        Logged steps.
    estimates : ndarray
        :math:`\widehat{\mathbb E}_P f - \widehat{\mathbb E}_Q f` at those steps.
    estimate, lipschitz, bound : float
        The final estimate, :math:`f`'s Lipschitz constant on the samples, and the
        certified lower bound ``estimate / lipschitz`` of :math:`W_1`.
    landscape : ndarray, shape (k, k)
        :math:`f` on the explorer's grid of the plane.
    """

    critic: str
    setting: float | None
    network: nn.Module
    steps: np.ndarray
    estimates: np.ndarray
    estimate: float
    lipschitz: float
    bound: float
    landscape: np.ndarray


class CriticExplorer(_Explorer):
    r"""Neural critics against the exact :math:`W_1`: which constraint, how strong.

    The Kantorovich–Rubinstein duality

    .. math::

        W_1(P, Q) = \max_{\lVert f \rVert_L \le 1} \mathbb E_P f(X) - \mathbb E_Q f(Y)

    is what a WGAN critic approximates. The constructor trains, with
    :func:`~vegan_lib.duality.fit_critic` on two fixed samples, one critic per setting
    of a small grid: weight clipping for each :math:`c` in ``clip_values``, the gradient
    penalty for each :math:`\lambda_{\mathrm{GP}}` in ``gp_weights``, and one spectrally
    normalised critic. For each it keeps the training curve, the final estimate, the
    Lipschitz constant on the samples and the certified bound
    (:func:`~vegan_lib.duality.certified_w1_lower_bound`), and its values on a grid of
    the plane. :meth:`update` only looks results up, so it is instant; the constructor
    costs about a third of a second per critic with the defaults.

    Parameters
    ----------
    x : Tensor, shape (n, 2)
        Sample of :math:`P` (where the critic should be high).
    y : Tensor, shape (m, 2)
        Sample of :math:`Q`.
    clip_values : sequence of float, default (0.01, 0.05, 0.2, 1.0)
        Clipping values :math:`c > 0`.
    gp_weights : sequence of float, default (0.1, 1.0, 10.0, 100.0)
        Penalty weights :math:`\lambda_{\mathrm{GP}} > 0`.
    steps : int, default 200
        Adam steps per critic.
    hidden : sequence of int, default (32, 32)
        Hidden widths of every critic.
    lr : float, default 1e-3
        Adam's learning rate.
    seed : int, default 0
        Seeds every critic's initialisation and training.
    grid_size : int, default 60
        Resolution of the drawn landscapes.
    progress : bool, default True
        One ``tqdm`` bar over the critics.

    Attributes
    ----------
    runs : dict of (str, float or None) to CriticRun
    exact_w1 : float
        :math:`W_1` between the samples (network simplex).
    grid : dict of str to tuple of float or None
        The settings of each critic.
    figure, values :
        As in :class:`SinkhornExplorer`.

    Raises
    ------
    ValueError
        For samples not in the plane, an empty or non-positive grid, or bad training
        settings.

    Examples
    --------
    Samples at 0 and 3 on the first axis: :math:`W_1 = 3`, and every certified bound is
    below it.

    >>> x, y = torch.full((4, 2), 0.0), torch.tensor([[3.0, 0.0]]).repeat(4, 1)
    >>> explorer = CriticExplorer(x, y, clip_values=(0.5,), gp_weights=(10.0,), steps=5,
    ...                           hidden=(4,), grid_size=5, progress=False)
    >>> numbers = explorer.update("gp", 10.0)
    >>> round(numbers["exact_w1"], 4), numbers["bound"] <= 3.0 + 1e-9
    (3.0, True)
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        clip_values: Sequence[float] = (0.01, 0.05, 0.2, 1.0),
        gp_weights: Sequence[float] = (0.1, 1.0, 10.0, 100.0),
        steps: int = 200,
        hidden: Sequence[int] = (32, 32),
        lr: float = 1e-3,
        seed: int = 0,
        grid_size: int = 60,
        progress: bool = True,
    ) -> None:
        self.x, self.y = _plane_points(x, "x"), _plane_points(y, "y")
        clips = tuple(_positive(c, "clip value", "clip_values=(0.01, 0.05)") for c in clip_values)
        weights = tuple(_positive(w, "gp weight", "gp_weights=(1.0, 10.0)") for w in gp_weights)
        if not clips or not weights:
            raise ValueError(
                "clip_values and gp_weights need at least one value each, "
                "e.g. clip_values=(0.01,), gp_weights=(10.0,)"
            )
        if isinstance(grid_size, bool) or not isinstance(grid_size, int) or grid_size < 2:
            raise ValueError(f"grid_size must be an integer >= 2, got {grid_size!r}")
        self.grid: dict[str, tuple[float | None, ...]] = {
            "clip": tuple(sorted(set(clips))),
            "gp": tuple(sorted(set(weights))),
            "sn": (None,),
        }
        x64, y64 = self.x.detach().cpu().double(), self.y.detach().cpu().double()
        self.exact_w1 = float(wasserstein(x64, y64, p=1))
        both = torch.cat([x64, y64])
        pad = 0.1 * float((both.max(0).values - both.min(0).values).max()) + 1e-3
        lo, hi = both.min(0).values - pad, both.max(0).values + pad
        self.axes_grid = (
            np.linspace(float(lo[0]), float(hi[0]), grid_size),
            np.linspace(float(lo[1]), float(hi[1]), grid_size),
        )
        settings = [(name, s) for name, values in self.grid.items() for s in values]
        self.runs: dict[tuple[str, float | None], CriticRun] = {}
        for name, setting in tqdm(settings, desc="training critics", disable=not progress):
            self.runs[name, setting] = self._train(name, setting, steps, hidden, lr, seed)
        self.figure = Figure(figsize=(15, 4.4), layout="constrained")
        self.values: dict[str, Any] = {}
        self.update("gp")

    def _train(
        self, name: str, setting: float | None, steps: int, hidden: Sequence[int], lr: float,
        seed: int,
    ) -> CriticRun:
        kwargs: dict[str, Any] = {}
        if name == "clip":
            kwargs["clip"] = setting
        elif name == "gp":
            kwargs["gp_weight"] = setting
        # The caller's random state is left as it was: inserting an explorer into a
        # notebook must not change the numbers of the cells after it.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            network = Critic(2, hidden, spectral_norm=name == "sn").to(self.x.device)
            history = fit_critic(
                network, self.x.float(), self.y.float(), steps=steps, penalty=name, lr=lr,
                seed=seed, log_every=max(1, steps // 50), progress=False, **kwargs,
            )
        network.eval()
        with torch.no_grad():
            fx, fy = network(self.x.float()), network(self.y.float())
            cert = certified_w1_lower_bound(fx, fy, self.x, self.y)
            g1, g2 = np.meshgrid(*self.axes_grid, indexing="xy")
            plane = torch.tensor(np.stack([g1.ravel(), g2.ravel()], 1), dtype=torch.float32)
            landscape = network(plane.to(self.x.device)).cpu().double().numpy().reshape(g1.shape)
        return CriticRun(
            critic=name, setting=setting, network=network,
            steps=np.asarray(history.step), estimates=np.asarray(history["estimate"]),
            estimate=float(cert.estimate), lipschitz=float(cert.lipschitz),
            bound=float(cert.bound), landscape=landscape,
        )

    def run(self, critic: str, setting: float | None = None) -> CriticRun:
        r"""The precomputed run of ``critic`` at ``setting`` (its default when None).

        The defaults are the papers' choices: :math:`c = 0.01` (or the smallest clip on
        the grid) and :math:`\lambda_{\mathrm{GP}} = 10` (or the grid value nearest to it).

        Raises
        ------
        ValueError
            For an unknown critic name or a setting that is not on the grid.
        """
        if critic not in self.grid:
            raise ValueError(
                f"unknown critic {critic!r}; choose one of {list(self.grid)} "
                "(weight clipping, gradient penalty, spectral normalisation)"
            )
        options = self.grid[critic]
        if setting is None or critic == "sn":
            if critic == "sn" and setting is not None:
                raise ValueError("spectral normalisation has no setting; pass setting=None")
            target = {"clip": 0.01, "gp": 10.0, "sn": None}[critic]
            setting = (
                None if target is None
                else min(options, key=lambda s: abs(math.log(s / target)))  # type: ignore[arg-type]
            )
            return self.runs[critic, setting]
        for s in options:
            if s is not None and math.isclose(s, float(setting), rel_tol=1e-9):
                return self.runs[critic, s]
        raise ValueError(
            f"setting {setting!r} of {critic!r} was not precomputed; choose one of "
            f"{list(options)} or build the explorer with it in its grid"
        )

    def update(self, critic: str, setting: float | None = None) -> dict[str, Any]:
        r"""Show one critic; return its numbers.

        Parameters
        ----------
        critic : {"clip", "gp", "sn"}
        setting : float, optional
            A value of the critic's grid; its default when None.

        Returns
        -------
        dict
            ``critic`` (str), ``setting`` (float or None), ``estimate``, ``lipschitz``,
            ``bound``, ``exact_w1``, ``estimate_ratio`` = estimate / :math:`W_1` and
            ``bound_ratio`` = bound / :math:`W_1`.

        Raises
        ------
        ValueError
            For an unknown critic name or a setting that is not on the grid.
        """
        run = self.run(critic, setting)
        self.values = self._numbers(run)
        self._draw(self.figure, [run])
        return dict(self.values)

    def _numbers(self, run: CriticRun) -> dict[str, Any]:
        return {
            "critic": run.critic,
            "setting": run.setting,
            "estimate": run.estimate,
            "lipschitz": run.lipschitz,
            "bound": run.bound,
            "exact_w1": self.exact_w1,
            "estimate_ratio": run.estimate / self.exact_w1,
            "bound_ratio": run.bound / self.exact_w1,
        }

    @staticmethod
    def _label(run: CriticRun) -> str:
        if run.critic == "clip":
            return f"clipping, c = {run.setting:g}"
        if run.critic == "gp":
            return f"gradient penalty, $\\lambda_{{GP}}$ = {run.setting:g}"
        return "spectral normalisation"

    def _landscape(self, ax: Axes, run: CriticRun) -> None:
        g1, g2 = np.meshgrid(*self.axes_grid, indexing="xy")
        ax.contourf(g1, g2, run.landscape, levels=20, cmap="RdBu_r", alpha=0.7)
        x, y = self.x.detach().cpu().numpy(), self.y.detach().cpu().numpy()
        ax.scatter(x[:, 0], x[:, 1], s=4, color=PALETTE[0], label="$P$ (f high)")
        ax.scatter(y[:, 0], y[:, 1], s=4, color=PALETTE[1], label="$Q$ (f low)")
        ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal",
               title=f"{self._label(run)} (red: f high)\nestimate {run.estimate:.3g}, "
               f"bound {run.bound:.3g} ($W_1$ = {self.exact_w1:.3g})")
        ax.legend(fontsize=7, loc="lower left", markerscale=2)

    def _curves(self, ax: Axes, run: CriticRun) -> None:
        for i, s in enumerate(self.grid[run.critic]):
            other = self.runs[run.critic, s]
            bold = s == run.setting
            ratio = np.clip(other.estimates / self.exact_w1, 1e-5, None)
            ax.plot(other.steps, ratio, color=PALETTE[i % len(PALETTE)], lw=2.5 if bold else 1,
                    alpha=1.0 if bold else 0.5, label=self._label(other))
        ax.axhline(1.0, color="k", ls="--", label="exact $W_1$")
        ax.set(yscale="log", xlabel="critic step", ylabel=r"estimate / $W_1$",
               title=f"training curves, {CRITIC_LABELS[run.critic]}")
        ax.legend(fontsize=7, loc="lower right")

    def _bars(self, ax: Axes, run: CriticRun) -> None:
        names = ["raw estimate", "certified bound", "exact $W_1$"]
        heights = [run.estimate, run.bound, self.exact_w1]
        ax.bar(names, heights, color=[PALETTE[2], PALETTE[0], "0.3"])
        ax.set(ylabel="value", title=f"Lipschitz constant on the samples: {run.lipschitz:.3g}")

    def _summary(self, ax: Axes) -> None:
        for i, name in enumerate(("clip", "gp")):
            runs = [self.runs[name, s] for s in self.grid[name]]
            settings = [r.setting for r in runs]
            ax.plot(settings, [r.estimate / self.exact_w1 for r in runs], "o-",
                    color=PALETTE[i], label=f"{CRITIC_LABELS[name]}: estimate")
            ax.plot(settings, [r.bound / self.exact_w1 for r in runs], "s--",
                    color=PALETTE[i], label=f"{CRITIC_LABELS[name]}: certified bound")
        sn = self.runs["sn", None]
        ax.axhline(sn.estimate / self.exact_w1, color=PALETTE[2], label="spectral norm: estimate")
        ax.axhline(sn.bound / self.exact_w1, color=PALETTE[2], ls="--",
                   label="spectral norm: certified bound")
        ax.axhline(1.0, color="k", ls=":", label="exact $W_1$")
        ax.set(xscale="log", yscale="log", ylabel=r"value / $W_1$",
               xlabel=r"clip value $c$ or penalty weight $\lambda_{GP}$",
               title="every setting, after training")
        ax.legend(fontsize=7, loc="lower right")

    def _draw(self, fig: Figure, runs: list[CriticRun]) -> None:
        if len(runs) == 1:
            axes = _row_of_axes(fig, [1.1, 1.2, 0.8])
            self._landscape(axes[0], runs[0])
            self._curves(axes[1], runs[0])
            self._bars(axes[2], runs[0])
            return
        axes = _row_of_axes(fig, [1] * (len(runs) + 1))
        for ax, run in zip(axes, runs, strict=False):
            self._landscape(ax, run)
        self._summary(axes[-1])

    def static_figure(
        self,
        values: Sequence[tuple[str, float | None]] = (("clip", 0.01), ("gp", 10.0), ("sn", None)),
    ) -> Figure:
        r"""A small multiple: the landscape of several critics and a summary of the grid.

        Parameters
        ----------
        values : sequence of (critic, setting)
            Settings to draw, each on the grid (``setting`` None for the default).

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            If ``values`` is empty, or for an unknown critic or off-grid setting.
        """
        runs = [self.run(name, setting) for name, setting in values]
        if not runs:
            raise ValueError('values is empty; pass pairs such as (("gp", 10.0), ("sn", None))')
        fig = plt.figure(figsize=(4.6 * len(runs) + 5.5, 4.6), layout="constrained")
        self._draw(fig, runs)
        return fig

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:
        critic = widgets.Dropdown(
            options=[(label, name) for name, label in CRITIC_LABELS.items()],
            value=self.values["critic"], description="critic",
        )
        setting = widgets.SelectionSlider(
            options=self._setting_options(critic.value),
            value=self.grid[critic.value].index(self.values["setting"]),
            description="c or λ_GP", continuous_update=False,
            disabled=critic.value == "sn",
        )
        controls = {"critic": critic, "setting": setting}
        self._switching = False

        def switch(change: Any) -> None:
            # A new critic brings its own grid: swap the options before the refresh runs.
            self._switching = True
            try:
                setting.options = self._setting_options(change["new"])
                setting.value = self.grid[change["new"]].index(self.run(change["new"]).setting)
                setting.disabled = change["new"] == "sn"
            finally:
                self._switching = False

        critic.observe(switch, names="value")
        return controls

    def _setting_options(self, critic: str) -> list[tuple[str, int]]:
        # The slider's values are positions in the critic's grid (a slider needs one
        # option even for spectral normalisation, which has no setting).
        return [("—" if s is None else f"{s:g}", i) for i, s in enumerate(self.grid[critic])]

    def _apply(self, controls: dict[str, Any]) -> bool:
        if getattr(self, "_switching", False):
            return False  # the slider's options are being swapped for another critic's
        critic = controls["critic"].value
        setting = self.grid[critic][controls["setting"].value]
        self.update(critic, None if critic == "sn" else setting)
        return True
