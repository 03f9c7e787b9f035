r"""Chapter 3: the total-variation relaxation :math:`D_{\mathrm{POT}}(\lambda)` along
:math:`\lambda`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from vegan_lib._checks import as_real_tensor, check_finite, check_p, check_plane_points
from vegan_lib.exact_pot import PenalizedOTResult, pot_relaxation
from vegan_lib.explorers._base import (
    STATIC_MAX_WIDTH,
    _check_number,
    _check_sequence,
    _Explorer,
    _non_negative,
    _row_of_axes,
)
from vegan_lib.plotting import PALETTE, plot_coupling
from vegan_lib.transport import exact_ot

__all__ = ["POTRelaxationExplorer"]


def _check_codes(z: Any) -> torch.Tensor:
    """The latent atoms: a real, finite, non-empty (m, d_z) tensor (integers become float64).

    An array-like is read by ``torch.as_tensor`` (a list of floats becomes float32), and
    ``G`` gets it in that dtype.
    """
    t = as_real_tensor(z, "z", "latent atoms",
                       "a tensor of shape (m, d_z), e.g. z = torch.randn(40, 2)")
    if t.ndim != 2 or t.shape[0] == 0 or t.shape[1] == 0:
        raise ValueError(
            f"z must hold latent atoms of shape (m, d_z), m >= 1 and d_z >= 1, got shape "
            f"{tuple(t.shape)}; e.g. z = torch.randn(40, 2) (use z[:, None] for 1-D codes)"
        )
    t = t if t.is_floating_point() else t.double()
    check_finite(t, "z")
    return t


def _decode(G: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> Any:
    """``G(z)`` without gradient; a failure of ``G`` on ``z`` is a ``ValueError`` naming both."""
    try:
        with torch.no_grad():
            return G(z)
    except (RuntimeError, TypeError, IndexError) as err:
        message = str(err) if len(str(err)) <= 120 else str(err)[:117] + "..."
        raise ValueError(
            f"G(z) failed on z of shape {tuple(z.shape)} and dtype {z.dtype} "
            f"({type(err).__name__}: {message}); G must map a (m, d_z) "
            "tensor to (m, 2) points: give z the shape and the dtype G expects (e.g. "
            "z.float() for a float32 network, or G.double())"
        ) from err


class POTRelaxationExplorer(_Explorer):
    r"""The total-variation relaxation :math:`D_{\mathrm{POT}}(\lambda)` along :math:`\lambda`.

    On :math:`P_X = \sum_i a_i \delta_{x_i}` (in the plane), :math:`P_Z = \sum_j b_j
    \delta_{z_j}` and a fixed generator :math:`G`, with :math:`C_{ij} = \lVert x_i -
    G(z_j)\rVert^p`,

    .. math::

        D_{\mathrm{POT}}(\lambda) = \min_{\pi \ge 0,\ \pi \mathbf 1 = a}
        \langle \pi, C \rangle + \lambda\, \mathrm{TV}(\pi^\top \mathbf 1, b)

    (:func:`~vegan_lib.exact_pot.pot_relaxation`). It rises from the nearest-code cost at
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
    results : list of PenalizedOTResult
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
        For data not in the plane, latent atoms ``z`` that are not a finite (m, d_z) array,
        a ``G`` that is not callable, fails on ``z`` or does not map it into the plane, a
        ``lams`` that is not a sequence, an entry of it or a ``lam`` that is negative or not
        a finite number, or invalid weights or ``p``.

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

    parameter = "lam"
    _with_curve = True  # static_figure(curve=False) leaves the curve out while it draws

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
        super().__init__(figsize=(15, 4.6))
        self.x = check_plane_points(x, "x")
        self.z = _check_codes(z)
        if not callable(G):
            raise ValueError(
                f"G must be a generator, a function or nn.Module mapping a (m, d_z) tensor to "
                f"(m, 2) points, got {type(G).__name__}; e.g. G=lambda z: z @ A for a "
                "(d_z, 2) matrix A"
            )
        grid = None if lams is None else [
            _non_negative(v, f"lams[{i}]", "lams=[0.0, 1.0, 10.0]")
            for i, v in enumerate(_check_sequence(lams, "lams", "lams=[0.0, 1.0, 10.0]"))
        ]
        if grid == []:
            raise ValueError("lams is empty; pass a grid of penalty weights, e.g. [0, 1, 10]")
        if lam is not None:
            lam = _non_negative(lam, "lam", "lam=1.0")
        self.G, self.a, self.b = G, a, b
        self.p = check_p(_check_number(p, "p", "p=1 or p=2", "a real number >= 1"))
        self.decoded = check_plane_points(_decode(G, self.z), "G(z)")
        self.exact = exact_ot(self.x, self.decoded, a=a, b=b, p=self.p)
        C = self.exact.cost_matrix
        self.w = float(self.exact.cost)
        self.threshold = float(self.exact.g.max() - self.exact.g.min())
        self.delta = float((C.max(dim=1).values - C.min(dim=1).values).max())
        if grid is None:
            grid = np.concatenate(
                [[0.0], np.geomspace(0.01, 1.5 * max(self.delta, 0.01), 24),
                 [self.threshold, self.delta]]
            )
        self.lams = np.unique(np.array(grid))
        self.results = [self._solve(float(v)) for v in self.lams]
        self.update(float(self.lams[len(self.lams) // 2]) if lam is None else lam)

    def _solve(self, lam: float) -> PenalizedOTResult:
        return pot_relaxation(self.x, self.z, self.G, lam, a=self.a, b=self.b, p=self.p)

    def result(self, lam: float) -> PenalizedOTResult:
        r"""The relaxation at :math:`\lambda`: from the grid when it is there, else solved.

        Raises
        ------
        ValueError
            If ``lam`` is negative or not a finite number.
        """
        return self._result(lam, "lam", "lam=1.0")

    def _result(self, value: Any, name: str, example: str) -> PenalizedOTResult:
        """:meth:`result` for the caller's argument ``name`` (``lam`` or ``values[i]``)."""
        lam = _non_negative(value, name, example)
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
            If ``lam`` is negative or not a finite number; ``figure`` and ``values`` are
            then left as they were.
        """
        return self._show(self.result(lam))

    def _numbers(self, res: PenalizedOTResult) -> dict[str, float]:
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

    def _curve(self, ax: Axes, marked: list[PenalizedOTResult]) -> None:
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
        ax.legend(loc="lower right")

    def _latent(self, ax: Axes, res: PenalizedOTResult) -> None:
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
        ax.legend(loc="lower left")

    def _coupling(self, ax: Axes, res: PenalizedOTResult) -> None:
        plot_coupling(
            self.x, self.decoded, res.plan, ax=ax, threshold=1e-6,
            labels=("data $x_i$", "decoded atoms $G(z_j)$"),
            title=f"$\\lambda$ = {res.lam:.3g}: $D_{{\\mathrm{{POT}}}}$ = {float(res.value):.4f}",
        )
        ax.legend(loc="lower left")

    def _draw(self, fig: Figure, marked: list[PenalizedOTResult]) -> None:
        if len(marked) == 1 and self._with_curve:
            axes = _row_of_axes(fig, [1.3, 1, 1])
            self._curve(axes[0], marked)
            self._coupling(axes[1], marked[0])
            self._latent(axes[2], marked[0])
            return
        # The curve across the top (unless left out), then one column per lambda: its plan
        # above its Q_Z.
        fig.clear()
        if self._with_curve:
            grid = fig.add_gridspec(3, len(marked), height_ratios=[0.9, 1, 1])
            self._curve(fig.add_subplot(grid[0, :]), marked)
        else:
            grid = fig.add_gridspec(2, len(marked))
        for k, res in enumerate(marked):
            self._coupling(fig.add_subplot(grid[-2, k]), res)
            self._latent(fig.add_subplot(grid[-1, k]), res)

    def static_figure(
        self, values: Sequence[float] | None = None, curve: bool = True
    ) -> Figure:
        r"""A small multiple: the curve, and the optimal plan and :math:`Q_Z` at each
        :math:`\lambda`.

        Parameters
        ----------
        values : sequence of float, optional
            The :math:`\lambda` to show; by default :math:`0`, half the threshold and the
            threshold :math:`\operatorname{osc}(g)`.
        curve : bool, default True
            Draw the curve :math:`D_{\mathrm{POT}}(\lambda)` with a marker at each value
            across the top; ``False`` leaves it out (a page that draws the curve already
            shows only the plans and the :math:`Q_Z`, one column per :math:`\lambda`).

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            If ``values`` is not a sequence, is empty, or holds an entry that is negative or
            not a finite number (the message names it, ``values[i]``), or if ``curve`` is
            not a bool.

        Examples
        --------
        >>> x = torch.zeros(1, 2, dtype=torch.float64)
        >>> z = torch.tensor([[0.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
        >>> explorer = POTRelaxationExplorer(x, z, lambda t: t, lams=[0.0, 9.0])
        >>> len(explorer.static_figure([0.0, 9.0]).axes)  # the curve, then 2 per lambda
        5
        >>> len(explorer.static_figure([0.0, 9.0], curve=False).axes)
        4
        """
        if not isinstance(curve, bool):
            raise ValueError(f"curve must be True or False, got {curve!r}; e.g. curve=False")
        if values is None:
            values = (0.0, self.threshold / 2, self.threshold)
        example = "values=(0.0, 1.0)"
        values = [_non_negative(v, f"values[{i}]", example)
                  for i, v in enumerate(_check_sequence(values, "values", example))]
        results = [self._result(v, f"values[{i}]", example) for i, v in enumerate(values)]
        self._with_curve = curve
        try:
            return self._static(results, "(0.0, 1.0)")
        finally:
            self._with_curve = True

    def _static_size(self, n_items: int) -> tuple[float, float]:
        if not self._with_curve:  # narrower: the page shows its text larger
            return (min(3.4 * n_items + 0.6, STATIC_MAX_WIDTH), 7.4)
        if n_items == 1:
            return (STATIC_MAX_WIDTH, 4.6)
        return (min(4.0 * n_items + 1.0, STATIC_MAX_WIDTH), 11.5)

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:
        options = [(f"{v:.3g}", float(v)) for v in self.lams]
        current = float(self.lams[np.argmin(np.abs(self.lams - self.values["lam"]))])
        return {
            "lam": widgets.SelectionSlider(
                options=options, value=current, description="λ", continuous_update=False
            )
        }
