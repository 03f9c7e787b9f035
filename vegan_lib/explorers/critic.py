r"""Chapter 6: neural critics (clipping, penalty, spectral norm) against the exact W₁."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn

from vegan_lib import _progress
from vegan_lib._checks import (
    check_int_at_least,
    check_plane_points,
    check_positive_int,
    check_seed,
)
from vegan_lib.duality import certified_w1_lower_bound, fit_critic
from vegan_lib.explorers._base import (
    STATIC_MAX_WIDTH,
    _check_sequence,
    _Explorer,
    _grid_of_axes,
    _grid_size,
    _positive,
    _row_of_axes,
    _short,
)
from vegan_lib.nets import Critic
from vegan_lib.plotting import PALETTE
from vegan_lib.transport import wasserstein

__all__ = ["CRITIC_LABELS", "CriticExplorer", "CriticRun"]

CRITIC_LABELS: dict[str, str] = {
    "clip": "weight clipping", "gp": "gradient penalty", "sn": "spectral normalisation"
}
"""The critics :class:`CriticExplorer` compares, by the name ``fit_critic`` uses."""


def _check_grid(values: Any, name: str, example: str, **bounds: Any) -> tuple[float, ...]:
    """A non-empty sequence of positive numbers (``bounds``: ``maximum`` and ``why``)."""
    grid = tuple(_positive(v, f"{name}[{i}]", example, **bounds)
                 for i, v in enumerate(_check_sequence(values, name, example)))
    if not grid:
        raise ValueError(f"{name} is empty; pass at least one value, e.g. {example}")
    return grid


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
        One ``tqdm`` bar over the critics (one summary line under
        ``VEGAN_PROGRESS=summary``, as :func:`~vegan_lib.train.fit`).

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
        For samples not in the plane, a ``clip_values`` or ``gp_weights`` that is not a
        non-empty sequence of positive numbers (a penalty weight at most the float32
        maximum), or bad training settings (``steps``, ``hidden``, ``lr``, ``seed``,
        ``grid_size``, ``progress``); all are checked before any critic is trained.
    RuntimeError
        If a critic's training diverges; the message names the critic and its setting
        (lower ``lr`` or that setting).

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
        super().__init__(figsize=(15, 4.4))
        self.x, self.y = check_plane_points(x, "x"), check_plane_points(y, "y")
        clips = _check_grid(clip_values, "clip_values", "clip_values=(0.01, 0.1)")
        # A weight beyond float32's range overflows the critics' (float32) loss.
        weights = _check_grid(gp_weights, "gp_weights", "gp_weights=(1.0, 10.0)",
                              maximum=float(torch.finfo(torch.float32).max),
                              why="the critics train in float32")
        grid_size = check_int_at_least(grid_size, "grid_size", 2, "grid_size=60")
        steps = check_positive_int(steps, "steps", "steps=200")
        lr = _positive(lr, "lr", "lr=1e-3")
        seed = check_seed(seed, "seed", bits=63)
        if not isinstance(progress, bool):
            raise ValueError(f"progress must be True or False, got {_short(progress)}")
        self.grid: dict[str, tuple[float | None, ...]] = {
            "clip": tuple(sorted(set(clips))), "gp": tuple(sorted(set(weights))), "sn": (None,)
        }
        x64, y64 = self.x.detach().cpu().double(), self.y.detach().cpu().double()
        self.exact_w1 = float(wasserstein(x64, y64, p=1))
        both = torch.cat([x64, y64])
        pad = 0.1 * float((both.max(0).values - both.min(0).values).max()) + 1e-3
        lo, hi = both.min(0).values - pad, both.max(0).values + pad
        self.axes_grid = tuple(np.linspace(float(lo[k]), float(hi[k]), grid_size) for k in (0, 1))
        settings = [(name, s) for name, values in self.grid.items() for s in values]
        self.runs: dict[tuple[str, float | None], CriticRun] = {}
        bar = _progress.Progress(settings, desc="training critics", total=len(settings),
                                 enabled=progress, unit="critics")
        for name, setting in bar:
            self.runs[name, setting] = self._train(name, setting, steps, hidden, lr, seed)
        bar.close()
        self.update("gp")

    def _train(
        self, name: str, setting: float | None, steps: int, hidden: Sequence[int], lr: float,
        seed: int,
    ) -> CriticRun:
        kwargs: dict[str, Any] = {"clip": {"clip": setting}, "gp": {"gp_weight": setting}}.get(
            name, {})
        # The caller's random state is left as it was: inserting an explorer into a
        # notebook must not change the numbers of the cells after it.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            network = Critic(2, hidden, spectral_norm=name == "sn").to(self.x.device)
            try:
                history = fit_critic(
                    network, self.x.float(), self.y.float(), steps=steps, lipschitz=name,
                    lr=lr, seed=seed, log_every=max(1, steps // 50), progress=False, **kwargs,
                )
            except RuntimeError as err:  # diverged: fit's advice names fit's arguments
                arg = {"clip": "clip_values", "gp": "gp_weights"}.get(name)
                which = "no setting" if arg is None else f"{arg} entry {setting:g}"
                fix = "" if arg is None else f" or that entry of {arg}"
                raise RuntimeError(
                    f"the {CRITIC_LABELS[name]} critic ({which}) diverged in training "
                    f"({str(err).split(';')[0]}); lower lr (lr={lr:g}){fix}"
                ) from err
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
            For a critic that is not one of the names above, a setting that is not a
            positive number, or one that is not on the grid.
        """
        return self._run(critic, setting, ("critic", "setting"))

    def _run(self, critic: Any, setting: Any, names: tuple[str, str]) -> CriticRun:
        """:meth:`run`; ``names`` are the caller's names of the two arguments."""
        if not isinstance(critic, str) or critic not in self.grid:
            raise ValueError(
                f"unknown critic {_short(critic)}; {names[0]} must be one of {list(self.grid)} "
                f"(weight clipping, gradient penalty, spectral normalisation), e.g. "
                f"{names[0]}='gp'"
            )
        options = self.grid[critic]
        if critic == "sn":
            if setting is not None:
                raise ValueError(f"spectral normalisation has no setting; pass {names[1]}=None")
            return self.runs["sn", None]
        if setting is None:
            target = {"clip": 0.01, "gp": 10.0}[critic]
            return self.runs[critic, min(options, key=lambda s: abs(math.log(s / target)))]
        value = _positive(setting, names[1], f"{names[1]}={options[0]:g} (a value of the grid)")
        # The nearest grid value, within float32's precision (a setting read from a float32
        # tensor, 0.1 as 0.100000001, is still the grid's 0.1).
        nearest = min(options, key=lambda s: abs(s - value))
        if math.isclose(nearest, value, rel_tol=1e-6):
            return self.runs[critic, nearest]
        raise ValueError(
            f"setting {_short(setting)} of {critic!r} was not precomputed; choose one of "
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
            ``bound_ratio`` = bound / :math:`W_1`; both ratios are NaN when the two samples
            coincide (:math:`W_1 = 0`), and the figure's ratio curves are then empty.

        Raises
        ------
        ValueError
            For a critic that is not one of the names above, a setting that is not a
            positive number, or one that is not on the grid; ``figure`` and ``values`` are
            then left as they were.
        """
        return self._show(self.run(critic, setting))

    def _numbers(self, run: CriticRun) -> dict[str, Any]:
        return {
            "critic": run.critic, "setting": run.setting,
            "estimate": run.estimate, "lipschitz": run.lipschitz, "bound": run.bound,
            "exact_w1": self.exact_w1,
            "estimate_ratio": self._per_w1(run.estimate), "bound_ratio": self._per_w1(run.bound),
        }

    def _per_w1(self, value: Any) -> Any:
        """``value`` / :math:`W_1`; NaN when the samples coincide (:math:`W_1 = 0`)."""
        return value / self.exact_w1 if self.exact_w1 > 0 else value * math.nan

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
        # neutral dots on the red-blue landscape: black P where f is high (red), white Q low
        ax.scatter(x[:, 0], x[:, 1], s=6, color="k", label="$P$ (f high: red)")
        ax.scatter(y[:, 0], y[:, 1], s=6, color="w", edgecolors="k", linewidths=0.4,
                   label="$Q$ (f low: blue)")
        ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal",
               title=f"{self._label(run)} (red: f high)\nestimate {run.estimate:.3g}, "
               f"bound {run.bound:.3g} ($W_1$ = {self.exact_w1:.3g})")
        ax.legend(loc="lower left", markerscale=2)

    def _curves(self, ax: Axes, run: CriticRun) -> None:
        for i, s in enumerate(self.grid[run.critic]):
            other = self.runs[run.critic, s]
            bold = s == run.setting
            ratio = np.clip(self._per_w1(other.estimates), 1e-5, None)
            ax.plot(other.steps, ratio, color=PALETTE[i % len(PALETTE)], lw=2.5 if bold else 1,
                    alpha=1.0 if bold else 0.5, label=self._label(other))
        ax.axhline(1.0, color="k", ls="--", label="exact $W_1$")
        ax.set(yscale="log", xlabel="critic step", ylabel=r"estimate / $W_1$",
               title=f"training curves, {CRITIC_LABELS[run.critic]}")
        ax.legend(loc="lower right")

    def _bars(self, ax: Axes, run: CriticRun) -> None:
        names = ["raw estimate", "certified bound", "exact $W_1$"]
        heights = [run.estimate, run.bound, self.exact_w1]
        ax.bar(names, heights, color=[PALETTE[2], PALETTE[0], "0.3"])
        ax.set(ylabel="value", title=f"Lipschitz constant on the samples: {run.lipschitz:.3g}")

    def _summary(self, ax: Axes) -> None:
        for i, name in enumerate(("clip", "gp")):
            runs = [self.runs[name, s] for s in self.grid[name]]
            settings = [r.setting for r in runs]
            ax.plot(settings, [self._per_w1(r.estimate) for r in runs], "o-",
                    color=PALETTE[i], label=f"{CRITIC_LABELS[name]}: estimate")
            ax.plot(settings, [self._per_w1(r.bound) for r in runs], "s--",
                    color=PALETTE[i], label=f"{CRITIC_LABELS[name]}: certified bound")
        sn = self.runs["sn", None]
        ax.axhline(self._per_w1(sn.estimate), color=PALETTE[2], label="spectral norm: estimate")
        ax.axhline(self._per_w1(sn.bound), color=PALETTE[2], ls="--",
                   label="spectral norm: certified bound")
        ax.axhline(1.0, color="k", ls=":", label="exact $W_1$")
        ax.set(xscale="log", yscale="log", ylabel=r"value / $W_1$",
               xlabel=r"clip value $c$ or penalty weight $\lambda_{GP}$",
               title="every setting, after training")
        ax.legend(loc="lower right")

    def _draw(self, fig: Figure, runs: list[CriticRun]) -> None:
        if len(runs) == 1:
            axes = _row_of_axes(fig, [1.1, 1.2, 0.8])
            self._landscape(axes[0], runs[0])
            self._curves(axes[1], runs[0])
            self._bars(axes[2], runs[0])
            return
        axes = _grid_of_axes(fig, len(runs) + 1)
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
            If ``values`` is not a sequence of pairs or is empty, or for an unknown critic or
            off-grid setting (the message names the entry, ``values[i]``).
        """
        example = 'values=[("gp", 10.0), ("sn", None)]'
        runs = []
        for i, pair in enumerate(_check_sequence(values, "values", example)):
            if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise ValueError(
                    f"values[{i}] must be a pair (critic, setting), got {_short(pair)}; "
                    f"e.g. {example}"
                )
            runs.append(self._run(*pair, (f"values[{i}][0]", f"values[{i}][1]")))
        return self._static(runs, '(("gp", 10.0), ("sn", None))')

    def _static_size(self, n_items: int) -> tuple[float, float]:
        return (STATIC_MAX_WIDTH, 4.4) if n_items == 1 else _grid_size(n_items + 1, (5.5, 4.8))

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
