"""What every explorer shares: the live figure, the ipywidgets view and the static figure.

An explorer (a subclass of :class:`_Explorer`) writes four small methods:

* ``_numbers(item) -> dict``: the numbers of one setting (an ``item``: a value of the
  parameter, or what was computed from it);
* ``_draw(fig, items)``: draw one setting (the live figure) or several (the static one);
* ``_control_widgets(widgets) -> dict``: its ipywidgets controls, by name;
* ``_apply(controls) -> bool``: call ``update`` with the controls' values (the default
  passes the one control named ``parameter``).

and the base turns them into ``update`` (through :meth:`_Explorer._show`), ``widget()``
and ``static_figure`` (through :meth:`_Explorer._static`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from vegan_lib._checks import check_non_negative, check_positive

__all__: list[str] = []

_PNG_DPI = 80  # the live widget's image: small and fast to encode
STATIC_MAX_WIDTH = 12.0
"""The widest static figure, in inches. The book's column (about 690 px) shows a figure this
wide with the theme's 11-pt tick labels at 8 px or more (``site_tests/readers.py``)."""


def _short(value: Any) -> str:
    """``repr(value)``, cut to 60 characters for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_number(value: Any, name: str, example: str, kind: str = "a real number") -> float:
    """``value`` as a float: a real number, a NumPy scalar, or a one-element real tensor or array.

    Raises ``ValueError`` naming ``name``, saying it must be ``kind`` and ending with
    ``example`` (the fix) for a bool, a string, a complex number, a sequence, an array of
    several elements or an integer too large for a float. Bounds (positive, finite) are the
    caller's to check.

    >>> _check_number(torch.tensor([0.5]), "eps", "eps=0.1")
    0.5
    >>> _check_number([0.5], "eps", "eps=0.1")
    Traceback (most recent call last):
    ...
    ValueError: eps must be a real number, got [0.5]; e.g. eps=0.1
    """
    if isinstance(value, (torch.Tensor, np.ndarray)):
        size = value.numel() if isinstance(value, torch.Tensor) else value.size
        if size != 1:
            raise ValueError(
                f"{name} must be one number, got an array of shape {tuple(value.shape)}; "
                f"e.g. {example}"
            )
        if value.dtype in (torch.bool, np.bool_) or (
            value.is_complex() if isinstance(value, torch.Tensor) else np.iscomplexobj(value)
        ):
            raise ValueError(
                f"{name} must be {kind}, got a {type(value).__name__} of dtype "
                f"{value.dtype}; e.g. {example}"
            )
        value = value.item()
    if not isinstance(value, (bool, np.bool_, str, bytes, complex, np.complexfloating)):
        try:
            return float(value)
        except OverflowError:
            raise ValueError(
                f"{name} is too large: an integer of {len(str(abs(value)))} digits exceeds "
                f"the largest float (1.8e308); e.g. {example}"
            ) from None
        except (TypeError, ValueError):
            pass
    raise ValueError(f"{name} must be {kind}, got {_short(value)}; e.g. {example}")


def _positive(value: Any, name: str, example: str, **bounds: Any) -> float:
    """:func:`_check_number`, then ``check_positive`` (``bounds``: its ``maximum``, ``why``)."""
    number = _check_number(value, name, example, "a positive number")
    return check_positive(number, name, example, **bounds)


def _non_negative(value: Any, name: str, example: str) -> float:
    """:func:`_check_number`, then ``check_non_negative``."""
    number = _check_number(value, name, example, "a number >= 0")
    return check_non_negative(number, name, example)


def _check_sequence(values: Any, name: str, example: str) -> list[Any]:
    """The entries of ``values``: a list, tuple, 1-D array or tensor, or another iterable.

    Raises ``ValueError`` naming ``name`` for a single number, a string, a mapping, None or a
    0-D array, which are no sequence of settings. The entries are the caller's to check.

    >>> _check_sequence((0.5, 1.0), "values", "values=(0.1, 1.0)")
    [0.5, 1.0]
    """
    array = isinstance(values, (torch.Tensor, np.ndarray))
    if (
        values is None or isinstance(values, (str, bytes, Mapping))
        or (array and values.ndim != 1)
        or not (array or hasattr(values, "__iter__"))
    ):
        shape = f" of shape {tuple(values.shape)}" if array else ""
        raise ValueError(
            f"{name} must be a sequence of settings (a list or tuple), got "
            f"{type(values).__name__}{shape} {_short(values)}; e.g. {example}"
        )
    return list(values)


def _ipywidgets() -> Any:
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
    """A number as the widget's table shows it.

    >>> _format(1 / 3), _format("gp")
    ('0.3333', 'gp')
    """
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


def _grid_shape(n: int, max_cols: int = 3) -> tuple[int, int]:
    """``(rows, columns)`` for ``n`` panels: rows of at most ``max_cols``, 4 panels as 2 x 2.

    >>> _grid_shape(5), _grid_shape(4), _grid_shape(2)
    ((2, 3), (2, 2), (1, 2))
    """
    cols = 2 if n == 4 else min(n, max_cols)
    return math.ceil(n / cols), cols


def _grid_size(n: int, panel: tuple[float, float]) -> tuple[float, float]:
    """The figure size (inches) of ``n`` panels of ``panel`` size laid out by :func:`_grid_shape`,
    no wider than :data:`STATIC_MAX_WIDTH`.

    >>> _grid_size(5, (4.0, 3.9))
    (12.0, 7.8)
    """
    rows, cols = _grid_shape(n)
    return min(cols * panel[0], STATIC_MAX_WIDTH), rows * panel[1]


def _grid_of_axes(fig: Figure, n: int) -> list[Axes]:
    """``n`` axes in the rows of :func:`_grid_shape` (unused cells of the last row removed)."""
    rows, cols = _grid_shape(n)
    fig.clear()
    fig._explorer_ratios = None  # type: ignore[attr-defined]
    axes = list(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.remove()
    return axes[:n]


def _numbers_html(values: dict[str, Any]) -> str:
    """The widget's table of numbers.

    >>> _numbers_html({"eps": 0.5})
    "<table><tr><td style='padding-right:1em'>eps</td><td>0.5</td></tr></table>"
    """
    cells = "".join(
        f"<tr><td style='padding-right:1em'>{k}</td><td>{_format(v)}</td></tr>"
        for k, v in values.items()
    )
    return f"<table>{cells}</table>"


def _log_slider(widgets: Any, value: float, lo: float, hi: float, description: str) -> Any:
    """A log-scale slider on ``[lo, hi]`` (100 steps) starting at ``value`` clipped into it."""
    return widgets.FloatLogSlider(
        value=min(max(value, lo), hi),
        base=10,
        min=math.log10(lo),
        max=math.log10(hi),
        step=(math.log10(hi) - math.log10(lo)) / 100,
        description=description,
        continuous_update=False,
        readout_format=".3g",
    )


class _Explorer:
    """Shared plumbing: the live figure, ``update``'s redraw, the widget and the static figure.

    Parameters
    ----------
    figsize : pair of float
        Size in inches of the live ``figure``, a ``matplotlib.figure.Figure`` off pyplot
        (building or updating an explorer shows nothing by itself).
    """

    parameter = ""
    """The name of ``update``'s one argument, for the default ``_apply``."""

    figure: Figure
    values: dict[str, Any]
    controls: dict[str, Any]

    def __init__(self, figsize: tuple[float, float]) -> None:
        self.figure = Figure(figsize=figsize, layout="constrained")
        self.values = {}

    # --------------------------------------------------------------- what subclasses write
    def _numbers(self, item: Any) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _draw(self, fig: Figure, items: list[Any]) -> None:  # pragma: no cover
        raise NotImplementedError

    def _control_widgets(self, widgets: Any) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _apply(self, controls: dict[str, Any]) -> bool:
        """Call ``update`` with the controls' values; False when nothing is to redraw."""
        self.update(controls[self.parameter].value)  # type: ignore[attr-defined]
        return True

    # --------------------------------------------------------------------- what they get
    def _show(self, item: Any) -> dict[str, Any]:
        """``update``'s second half: keep ``item``'s numbers, redraw ``figure``, return them."""
        self.values = self._numbers(item)
        self._draw(self.figure, [item])
        return dict(self.values)

    def _static_size(self, n_items: int) -> tuple[float, float]:  # pragma: no cover
        """The static figure's size in inches for ``n_items`` settings (at most
        :data:`STATIC_MAX_WIDTH` wide)."""
        raise NotImplementedError

    def _static(self, items: list[Any], example: str) -> Figure:
        """``static_figure``'s second half: a new pyplot figure drawing ``items``.

        Its size is ``_static_size(len(items))``. A pyplot figure is shown by a notebook cell
        ending with ``static_figure(...);``, like every figure of the book.
        """
        if not items:
            raise ValueError(f"values is empty; pass at least one setting, e.g. values={example}")
        fig = plt.figure(figsize=self._static_size(len(items)), layout="constrained")
        self._draw(fig, items)
        return fig

    def _log_control(self, widgets: Any, bounds: tuple[float, float], symbol: str) -> dict:
        """The one log-scale slider on ``bounds`` for ``parameter``, at its current value."""
        lo, hi = bounds
        return {self.parameter: _log_slider(widgets, self.values[self.parameter], lo, hi, symbol)}

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
