r"""Chapter 1: the entropic plan :math:`P_\varepsilon` against the exact plan."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from vegan_lib._checks import (
    at_least_float32,
    check_int_at_least,
    check_p,
    check_plane_points,
    check_range,
    common_dtype_device,
)
from vegan_lib.explorers._base import (
    STATIC_MAX_WIDTH,
    _check_number,
    _check_sequence,
    _Explorer,
    _grid_of_axes,
    _grid_size,
    _positive,
    _row_of_axes,
)
from vegan_lib.plotting import PALETTE, plot_coupling
from vegan_lib.transport import exact_ot, sinkhorn_plan

__all__ = ["SinkhornExplorer"]

_EPS_EXAMPLE = "eps=0.1 (in the units of the cost)"


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
        For points not in the plane, invalid weights or ``p``, a bad ``eps_range`` or
        ``curve_points``, or an ``eps`` (or low end of ``eps_range``) that is not a
        positive number or is so small that Sinkhorn overflows (the message names it and
        the smallest value that works).

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

    parameter = "eps"

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
        super().__init__(figsize=(13.5, 4.2))
        self.x, self.y = check_plane_points(x, "x"), check_plane_points(y, "y")
        self.eps_range = check_range(eps_range, "eps_range", "eps_range=(0.01, 10.0)")
        curve_points = check_int_at_least(curve_points, "curve_points", 2, "curve_points=25")
        eps = _positive(eps, "eps", _EPS_EXAMPLE)
        self.a, self.b = a, b
        self.p = check_p(_check_number(p, "p", "p=1 or p=2", "a real number >= 1"))
        self.exact = exact_ot(self.x, self.y, a=a, b=b, p=self.p)
        self.C = self.exact.cost_matrix
        # Sinkhorn runs in the points' dtype (float32 at least) and divides the costs by eps.
        self._dtype = at_least_float32(common_dtype_device(self.x, self.y)[0])
        self._largest = max(float(self.C.max()), 1e-12)
        lo, hi = self.eps_range
        self._check_not_too_small(lo, f"the low end of eps_range, {lo:.3g},",
                                  f"eps_range=({self._smallest():.3g}, {hi:g})")
        self._check_not_too_small(eps, f"eps={eps:.3g}", f"eps={self._smallest():.3g}")
        self.curve_eps = np.geomspace(*self.eps_range, curve_points)
        self.curve_cost = np.array([self._cost(self.plan(e)) for e in self.curve_eps])
        self.update(eps)

    def plan(self, eps: float) -> torch.Tensor:
        r"""The entropic plan :math:`P_\varepsilon`, shape (n, m).

        Raises
        ------
        ValueError
            If ``eps`` is not a positive number, or is so small that Sinkhorn overflows.
        """
        return self._plan(eps, "eps", _EPS_EXAMPLE)

    def _smallest(self) -> float:
        r"""An :math:`\varepsilon` that Sinkhorn takes easily: 1/1000 of the largest cost."""
        return 1e-3 * self._largest

    def _check_not_too_small(self, eps: float, label: str, example: str) -> None:
        if self._largest / eps > torch.finfo(self._dtype).max:
            raise ValueError(self._too_small(label, example))

    def _too_small(self, label: str, example: str) -> str:
        or_64 = "" if self._dtype == torch.float64 else ", or pass x and y in float64"
        return (
            f"{label} is too small for these costs (up to {self._largest:.3g}, in "
            f"{self._dtype}): Sinkhorn divides the costs by it and overflows; raise it, e.g. "
            f"{example}{or_64}"
        )

    def _plan(self, value: Any, name: str, example: str) -> torch.Tensor:
        """:meth:`plan` for the caller's argument ``name`` (``eps`` or an entry of ``values``)."""
        eps = _positive(value, name, example)
        label, fix = f"{name}={eps:.3g}", f"{name}={self._smallest():.3g}"
        self._check_not_too_small(eps, label, fix)
        try:
            return sinkhorn_plan(
                self.x, self.y, reg=eps, p=self.p, a=self.a, b=self.b,
                num_iter_max=20_000, stop_thr=1e-9,
            )
        except ValueError as err:  # the inputs were checked: only eps can fail here
            raise ValueError(self._too_small(label, fix)) from err

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
            If ``eps`` is not a positive number, or is so small that Sinkhorn overflows
            (the message gives one that works); ``figure`` and ``values`` are then left as
            they were.
        """
        plan = self.plan(eps)
        return self._show((_check_number(eps, "eps", _EPS_EXAMPLE), plan))

    def _numbers(self, item: tuple[float, torch.Tensor]) -> dict[str, float]:
        eps, plan = item
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

    def _draw(self, fig: Figure, items: list[tuple[float, torch.Tensor]]) -> None:
        epsilons, plans = [e for e, _ in items], [p for _, p in items]
        k = len(items)
        axes = _row_of_axes(fig, [1, 1, 1.2]) if k == 1 else _grid_of_axes(fig, k + 2)
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
        # One legend for the plan panels, below them all: inside a panel it covers points.
        handles, labels = axes[0].get_legend_handles_labels()
        for ax in axes[: k + 1]:
            legend = ax.get_legend()
            if legend is not None:
                legend.remove()
        for legend in list(fig.legends):  # the live figure's previous drawing
            legend.remove()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                   markerscale=2)
        curve = axes[-1]
        curve.plot(self.curve_eps, self.curve_cost, color=PALETTE[0],
                   label=r"$\langle P_\varepsilon, C\rangle$")
        curve.axhline(float(self.exact.cost), color="k", ls="--", label="exact $W_p^p$")
        for i, (eps, plan) in enumerate(zip(epsilons, plans, strict=True)):
            curve.plot([eps], [self._cost(plan)], "o", ms=9, color=PALETTE[(i + 1) % len(PALETTE)])
        curve.set(xscale="log", xlabel=r"$\varepsilon$", ylabel="transport cost",
                  title=r"cost of $P_\varepsilon$ against $\varepsilon$")
        curve.legend(loc="upper left")

    def static_figure(self, values: Sequence[float] = (1.0, 0.1, 0.01)) -> Figure:
        r"""A small multiple: :math:`P_\varepsilon` for several :math:`\varepsilon`.

        One panel per :math:`\varepsilon` (plan and cost in the title), the exact plan,
        and the cost curve with a marker at each :math:`\varepsilon`, in rows of three
        (at most 12 inches wide, legible at the book's column width).

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
            If ``values`` is not a sequence, is empty, or holds an entry that is not a
            positive number or is too small for Sinkhorn (the message names it,
            ``values[i]``).
        """
        example = "values=(1.0, 0.1, 0.01)"
        values = [_positive(v, f"values[{i}]", example)
                  for i, v in enumerate(_check_sequence(values, "values", example))]
        plans = [self._plan(v, f"values[{i}]", example) for i, v in enumerate(values)]
        return self._static(list(zip(values, plans, strict=True)), "(1.0, 0.1, 0.01)")

    def _static_size(self, n_items: int) -> tuple[float, float]:
        return (STATIC_MAX_WIDTH, 4.2) if n_items == 1 else _grid_size(n_items + 2, (4.0, 3.9))

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:
        return self._log_control(widgets, self.eps_range, "ε")
