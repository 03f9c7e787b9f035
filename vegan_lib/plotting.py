"""One look for every figure in the book.

Call :func:`set_theme` once at the top of a notebook; every function here then draws
with the same seaborn theme and the same colours (:data:`PALETTE`), returns the
``matplotlib`` Axes it drew on (a new figure when ``ax`` is None) and never calls
``plt.show()``, so a notebook cell ending in ``;`` shows exactly one figure.

Inputs may be torch tensors (on any device, with or without ``requires_grad``) or NumPy
arrays: they are detached and copied to the CPU before drawing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import seaborn as sns
import torch
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from vegan_lib._checks import as_numpy, check_int_at_least, check_positive_int

__all__ = [
    "PALETTE",
    "image_grid",
    "save_image_grid",
    "plain_log_axis",
    "plot_2d",
    "plot_coupling",
    "plot_history",
    "set_theme",
]

PALETTE: list[str] = list(sns.color_palette("colorblind").as_hex())
"""The book's colours in order (seaborn's colour-blind-safe palette, as hex strings)."""

_COUPLING_COLOUR = "0.35"  # dark grey: the plan's lines must not compete with the clouds


def set_theme() -> None:
    """Apply the book's seaborn theme to every later matplotlib figure.

    White grid, notebook context, the colour-blind palette :data:`PALETTE`, figures of
    5 x 4 inches at 100 dpi on screen and 150 dpi when saved.

    Examples
    --------
    >>> set_theme()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["figure.figsize"]
    [5.0, 4.0]
    """
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette="colorblind",
        rc={"figure.figsize": (5.0, 4.0), "figure.dpi": 100, "savefig.dpi": 150},
    )


def plain_log_axis(ax: Axes, axis: str = "x", ticks: Sequence[float] | None = None) -> Axes:
    r"""Label a log-scaled axis with plain numbers, one label per major tick.

    On a log axis spanning less than about a decade matplotlib labels the minor ticks too,
    and labels such as :math:`3\times10^1` and :math:`4\times10^1` run into each other.
    This puts the major ticks at :math:`\{1, 2, 5\} \times 10^k` (at every
    :math:`k \times 10^j` on a view too short to hold two of those; or at ``ticks``, e.g. the
    sample sizes of a sweep), writes them as plain numbers (``0.2``, ``50``) and leaves the
    minor ticks unlabelled. Call it after drawing, when the view limits are known.

    Parameters
    ----------
    ax : matplotlib Axes
    axis : {"x", "y"}
        Which axis; it must already be log-scaled.
    ticks : sequence of float, optional
        Positive tick positions; default :math:`\{1, 2, 5\} \times 10^k`.

    Returns
    -------
    matplotlib Axes
        ``ax``.

    Raises
    ------
    ValueError
        For an ``axis`` other than ``"x"``/``"y"``, an axis that is not log-scaled, or
        ticks that are not all positive and finite.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([25, 800], [1.0, 0.5]); ax.set_xscale("log")
    >>> _ = plain_log_axis(ax, "x", ticks=[25, 100, 400])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['25', '100', '400']
    >>> plt.close(fig)
    """
    if axis not in ("x", "y"):
        raise ValueError(f'axis must be "x" or "y", got {axis!r}')
    scale = ax.get_xscale() if axis == "x" else ax.get_yscale()
    if scale != "log":
        raise ValueError(
            f"the {axis} axis is {scale!r}, not log-scaled; call ax.set_{axis}scale('log') first"
        )
    target = ax.xaxis if axis == "x" else ax.yaxis
    if ticks is None:
        # 1-2-5 ticks; on a view that holds fewer than two of them, every integer multiple
        lo, hi = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
        decades = np.arange(math.floor(np.log10(lo)), math.ceil(np.log10(hi)) + 1)
        candidates = np.outer(10.0**decades, [1.0, 2.0, 5.0]).ravel()
        enough = np.count_nonzero((candidates >= lo) & (candidates <= hi)) >= 2
        subs = (1.0, 2.0, 5.0) if enough else tuple(float(k) for k in range(1, 10))
        target.set_major_locator(mticker.LogLocator(subs=subs))
    else:
        values = np.asarray(list(ticks), dtype=float)
        if values.size == 0 or not np.all(np.isfinite(values) & (values > 0)):
            raise ValueError(f"ticks must be positive and finite on a log axis, got {ticks!r}")
        target.set_major_locator(mticker.FixedLocator(values))
    target.set_major_formatter(mticker.FuncFormatter(lambda value, _: f"{value:g}"))
    target.set_minor_formatter(mticker.NullFormatter())
    return ax


# ----------------------------------------------------------------------------- helpers
def _new_axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _check_plane_array(values: Any, name: str) -> np.ndarray:
    """Points to draw in the plane, shape (n, 2), as a float64 NumPy array."""
    points = as_numpy(values, name)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"{name} must have shape (n, 2), got {points.shape}; plot two coordinates "
            "of higher-dimensional points (e.g. x[:, :2]) or reduce them to 2-D first"
        )
    return points


# ----------------------------------------------------------------------------- clouds
def plot_2d(
    *clouds: object,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    s: float = 8,
    alpha: float = 0.7,
) -> Axes:
    """Scatter one or more two-dimensional point clouds, one colour each.

    Each cloud :math:`\\{x_i\\}_{i=1}^n \\subset \\mathbb R^2` is drawn as dots in the
    next colour of :data:`PALETTE`, on axes with equal aspect so that distances (and
    hence transport costs) look as large as they are.

    Parameters
    ----------
    *clouds : Tensor or array, shape (n_k, 2)
        The point clouds, at least one.
    labels : sequence of str, optional
        One legend entry per cloud; no legend when omitted.
    ax : Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
    s : float, default 8
        Marker size.
    alpha : float, default 0.7
        Marker opacity.

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        If no cloud is given, a cloud is not of shape (n, 2), or the number of labels
        differs from the number of clouds.

    Examples
    --------
    >>> ax = plot_2d(np.zeros((3, 2)), np.ones((4, 2)), labels=["data", "model"])
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['data', 'model']
    >>> plt.close("all")
    """
    if not clouds:
        raise ValueError("plot_2d needs at least one point cloud of shape (n, 2)")
    points = [_check_plane_array(c, f"cloud {i}") for i, c in enumerate(clouds)]
    if labels is not None and len(labels) != len(points):
        raise ValueError(
            f"got {len(labels)} labels for {len(points)} clouds; pass one label per cloud"
        )
    ax = _new_axes(ax)
    for i, p in enumerate(points):
        label = None if labels is None else labels[i]
        ax.scatter(p[:, 0], p[:, 1], s=s, alpha=alpha, color=_colour(i), label=label)
    _finish_plane(ax, title, legend=labels is not None)
    return ax


def _finish_plane(ax: Axes, title: str | None, legend: bool) -> None:
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="datalim")
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(loc="best", markerscale=2)


def plot_coupling(
    x: object,
    y: object,
    plan: object,
    ax: Axes | None = None,
    title: str | None = None,
    threshold: float = 1e-8,
    labels: Sequence[str] = ("x", "y"),
    max_width: float = 4.0,
) -> Axes:
    r"""Draw a transport plan between two planar clouds as weighted segments.

    For every pair with :math:`\pi_{ij} > \tau \max_{kl} \pi_{kl}` (:math:`\tau` =
    ``threshold``) a segment joins :math:`x_i` to :math:`y_j`, of width
    :math:`w_{\max}\, \pi_{ij} / \max_{kl} \pi_{kl}`: thick lines carry much mass. A
    Monge map shows one line per point; an entropic plan shows a fan.

    Parameters
    ----------
    x : Tensor or array, shape (n, 2)
        Source points.
    y : Tensor or array, shape (m, 2)
        Target points.
    plan : Tensor or array, shape (n, m)
        Coupling :math:`\pi`, non-negative (round-off above :math:`-\tau \max \pi` is
        tolerated and not drawn).
    ax : Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
    threshold : float, default 1e-8
        Relative mass :math:`\tau \in [0, 1)` below which an entry is not drawn.
    labels : pair of str, default ("x", "y")
        Legend entries of the two clouds.
    max_width : float, default 4.0
        Line width (points) of the heaviest entry.

    Returns
    -------
    Axes
        Holds one ``LineCollection`` with one segment per drawn entry.

    Raises
    ------
    ValueError
        If a cloud is not of shape (k, 2), ``plan`` is not of shape (n, m), has
        negative entries or no positive one, or ``threshold`` is outside [0, 1).

    Examples
    --------
    >>> x = np.array([[0.0, 0.0], [0.0, 1.0]]); y = x + [2.0, 0.0]
    >>> ax = plot_coupling(x, y, np.eye(2) / 2)
    >>> len(ax.collections[0].get_segments())  # one segment per matched pair
    2
    >>> plt.close("all")
    """
    xs, ys = _check_plane_array(x, "x"), _check_plane_array(y, "y")
    pi = as_numpy(plan, "plan")
    if pi.shape != (len(xs), len(ys)):
        raise ValueError(
            f"plan must have shape (len(x), len(y)) = {(len(xs), len(ys))}, got {pi.shape}; "
            "pass the coupling between x (rows) and y (columns), transposed if needed"
        )
    if not 0.0 <= threshold < 1.0:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}; e.g. 1e-8")
    if len(labels) != 2:
        raise ValueError(f"labels must be a pair (label of x, label of y), got {labels!r}")
    if not np.isfinite(pi).all():
        raise ValueError("plan has NaN or infinite entries; check the solver that made it")
    top = pi.max() if pi.size else 0.0
    if top <= 0:
        raise ValueError("plan has no positive entry; a coupling carries mass (sums to > 0)")
    if pi.min() < -threshold * top:
        raise ValueError(
            f"plan has negative entries (min {pi.min():.3g}); a transport plan is "
            "non-negative: check the solver or clip round-off with plan.clamp(min=0)"
        )
    rows, cols = np.nonzero(pi > threshold * top)
    segments = np.stack([xs[rows], ys[cols]], axis=1)  # (k, 2 ends, 2 coordinates)
    ax = _new_axes(ax)
    lines = LineCollection(
        segments,
        linewidths=max_width * pi[rows, cols] / top,
        colors=_COUPLING_COLOUR,
        alpha=0.6,
        zorder=1,
        label="plan $\\pi$",
    )
    ax.add_collection(lines)
    ax.scatter(xs[:, 0], xs[:, 1], s=20, color=_colour(0), label=labels[0], zorder=2)
    ax.scatter(ys[:, 0], ys[:, 1], s=20, color=_colour(1), label=labels[1], zorder=2)
    _finish_plane(ax, title, legend=True)
    return ax


# ----------------------------------------------------------------------------- images
def _tile(images: np.ndarray, nrow: int, pad: int, pad_value: float) -> np.ndarray:
    """Tile (N, H, W) images, ``nrow`` per row, with ``pad`` pixels around each."""
    count, height, width = images.shape
    rows = math.ceil(count / nrow)
    canvas = np.full(
        (rows * (height + pad) + pad, nrow * (width + pad) + pad), pad_value, dtype=np.float64
    )
    for k, image in enumerate(images):
        top = pad + (k // nrow) * (height + pad)
        left = pad + (k % nrow) * (width + pad)
        canvas[top : top + height, left : left + width] = image
    return canvas


def save_image_grid(images: torch.Tensor, path: str | os.PathLike, nrow: int = 6,
                    pad: int = 2) -> Path:
    """Write grey-level images (N, 1, H, W) in [0, 1] as one PNG grid, ink black on white.

    The tiling of :func:`image_grid` (``nrow`` per row, ``pad`` pixels of black frame), saved
    with ``plt.imsave`` at one pixel per image pixel; the reference run's sample grids.
    Returns the path; its folder is created if needed.
    """
    tiles = images.detach().clamp(0, 1).cpu().numpy().reshape(-1, *images.shape[-2:])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(path, _tile(tiles, nrow, pad, 1.0), cmap="gray_r", vmin=0, vmax=1)
    return path


def image_grid(
    images: object,
    nrow: int | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "gray_r",
    vmin: float = 0.0,
    vmax: float = 1.0,
    pad: int = 1,
    pad_value: float | None = None,
) -> Axes:
    """Tile grey-level images into one picture, ``nrow`` images per row.

    With :math:`N` images of :math:`H \\times W` pixels, ``nrow`` = :math:`c` per row
    and :math:`r = \\lceil N / c \\rceil` rows, the picture has
    :math:`r(H + p) + p` by :math:`c(W + p) + p` pixels, :math:`p` = ``pad`` (the
    convention of ``torchvision.utils.make_grid``). Empty cells and padding take
    ``pad_value``. The default ``cmap="gray_r"`` draws ink (value 1) black on white.

    Parameters
    ----------
    images : Tensor or array, shape (N, 1, H, W) or (N, H, W)
        Grey-level images, values meant to lie in [vmin, vmax].
    nrow : int, optional
        Images per row; default :math:`\\lceil \\sqrt N \\rceil` (a near square).
    ax : Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
    cmap : str, default "gray_r"
    vmin, vmax : float, default 0 and 1
        Values mapped to the two ends of the colour map.
    pad : int, default 1
        Pixels between and around the images.
    pad_value : float, optional
        Value of the padding; default ``vmin + 0.3 (vmax - vmin)``, a light grey with
        ``gray_r`` that separates white backgrounds.

    Returns
    -------
    Axes
        Axis turned off; ``ax.images[0].get_array()`` is the tiled picture.

    Raises
    ------
    ValueError
        If ``images`` is not of shape (N, 1, H, W) or (N, H, W) with N > 0, or ``nrow``
        / ``pad`` are not positive / non-negative integers, or ``vmin >= vmax``.

    Examples
    --------
    >>> ax = image_grid(np.zeros((6, 1, 8, 8)), nrow=3)
    >>> ax.images[0].get_array().shape  # 2 rows x 3 columns of 8x8 with 1-pixel pad
    (19, 28)
    >>> plt.close("all")
    """
    pictures = as_numpy(images, "images")
    if pictures.ndim == 4:
        if pictures.shape[1] != 1:
            raise ValueError(
                f"images must have one channel, got shape {pictures.shape}; pass grey-level "
                "images (N, 1, H, W), e.g. images.mean(dim=1, keepdim=True)"
            )
        pictures = pictures[:, 0]
    elif pictures.ndim != 3:
        raise ValueError(
            f"images must have shape (N, 1, H, W) or (N, H, W), got {pictures.shape}; "
            "for a single image pass image[None]"
        )
    if len(pictures) == 0:
        raise ValueError("images is empty; pass at least one image")
    if nrow is None:
        nrow = math.ceil(math.sqrt(len(pictures)))
    nrow = check_positive_int(nrow, "nrow", "nrow=8 (images per row)")
    pad = check_int_at_least(pad, "pad", 0, "pad=1 (pixels between images)")
    if not vmin < vmax:
        raise ValueError(f"vmin must be below vmax, got vmin={vmin}, vmax={vmax}")
    if pad_value is None:
        pad_value = vmin + 0.3 * (vmax - vmin)
    canvas = _tile(pictures, nrow, pad, pad_value)
    ax = _new_axes(ax)
    ax.imshow(canvas, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)
    return ax


# ----------------------------------------------------------------------------- curves
def _history_value(value: Any, key: str) -> float:
    """One recorded value of ``history[key]``: a number or a one-element tensor, as a float."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(
                f"history[{key!r}] holds a tensor of shape {tuple(value.shape)}; record "
                "one number per step, e.g. loss.item()"
            )
        return float(value.detach().cpu())
    try:
        return float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"history[{key!r}] holds {value!r}, not a number; record one float per step"
        ) from err


def _check_curve(values: Any, key: str) -> np.ndarray:
    """A training curve ``history[key]``: a non-empty sequence of numbers (or 0-d tensors, or
    a 1-D tensor), as a float64 NumPy vector."""
    if isinstance(values, torch.Tensor):
        curve = as_numpy(values, f"history[{key!r}]")
    else:
        curve = np.array([_history_value(v, key) for v in values], dtype=np.float64)
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(
            f"history[{key!r}] must be a non-empty sequence of numbers, got shape "
            f"{curve.shape}; record one float per step"
        )
    return curve


def plot_history(
    history: Mapping[str, Sequence[float]],
    keys: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    logy: bool = False,
) -> Axes:
    """Plot training curves: one line per recorded quantity against the step index.

    Curve ``k`` is the set of points :math:`(t, h_k[t])`, :math:`t = 0, 1, \\dots`,
    where :math:`h_k` is ``history[k]`` (e.g. the reconstruction cost and the
    penalty :math:`\\lambda D(Q_Z, P_Z)` of the POT objective, plotted separately).

    Parameters
    ----------
    history : dict of str to sequence of float, or a :class:`vegan_lib.train.History`
        Recorded values; entries may be Python floats or 0-d tensors. A ``History``
        returned by ``fit`` is plotted from its ``terms``.
    keys : sequence of str, optional
        Which curves to draw, in this order; default all of them.
    ax : Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
    logy : bool, default False
        Logarithmic y axis (all drawn values must then be positive).

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        If ``history`` is empty, a key is unknown, a curve is empty or not
        one-dimensional, or ``logy`` is set while a value is not positive.

    Examples
    --------
    >>> ax = plot_history({"loss": [3.0, 2.0, 1.5], "penalty": [1.0, 0.5, 0.2]})
    >>> [line.get_label() for line in ax.get_lines()]
    ['loss', 'penalty']
    >>> plt.close("all")
    """
    if not isinstance(history, Mapping) and isinstance(getattr(history, "terms", None), Mapping):
        history = history.terms  # a train.History
    if not history:
        raise ValueError("history is empty; pass a dict such as {'loss': [2.0, 1.5, 1.2]}")
    if keys is None:
        keys = list(history)
    elif isinstance(keys, str):
        keys = [keys]
    unknown = [k for k in keys if k not in history]
    if unknown:
        raise ValueError(f"unknown history keys {unknown}; available: {list(history)}")
    curves = {k: _check_curve(history[k], k) for k in keys}
    if logy:
        for k, values in curves.items():
            if not (values[np.isfinite(values)] > 0).all():
                raise ValueError(
                    f"history[{k!r}] has values <= 0, which a log axis cannot show; "
                    "use logy=False or leave that key out with keys=[...]"
                )
    ax = _new_axes(ax)
    for i, (k, values) in enumerate(curves.items()):
        ax.plot(np.arange(len(values)), values, color=_colour(i), label=k)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(keys[0] if len(keys) == 1 else "value")
    if title is not None:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax
