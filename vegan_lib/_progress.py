"""Progress display of the library's loops: a live ``tqdm.auto`` bar, or one summary line.

A reader running a notebook wants the live bar. An executed notebook stored for the book
must not keep it: in Jupyter ``tqdm.auto`` draws an ipywidget, whose view the static HTML
cannot show (it needs require.js and the widget manager from a CDN). Under the environment
variable ``VEGAN_PROGRESS`` the same loops instead

``bar`` (default, or unset)
    draw the live ``tqdm.auto`` bar;
``summary``
    draw nothing while they run and print one line to stdout when they end, e.g.
    ``WAE-MMD: 500 steps in 3.2 s, final loss 0.0123``;
``off``
    show nothing.

``make notebooks``, ``make nbval`` and the book builds export ``VEGAN_PROGRESS=summary``.
A loop called with ``progress=False`` shows nothing whatever the variable says.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from tqdm.auto import tqdm

ENV = "VEGAN_PROGRESS"
MODES = ("bar", "summary", "off")


def mode() -> str:
    """The display chosen by ``$VEGAN_PROGRESS``: ``"bar"`` (unset), ``"summary"`` or ``"off"``.

    Raises
    ------
    ValueError
        If the variable holds anything else.
    """
    value = os.environ.get(ENV, "").strip().lower() or "bar"
    if value not in MODES:
        raise ValueError(
            f"{ENV}={os.environ[ENV]!r} is not a progress display; set it to one of "
            f"{', '.join(MODES)} (or unset it for the live bar)"
        )
    return value


class Progress:
    """Iterate over ``iterable`` with the display of :func:`mode`.

    Parameters
    ----------
    iterable : iterable
        What the loop runs over.
    desc : str, optional
        Label of the bar and of the summary line (default ``"progress"`` in the summary).
    total : int, optional
        Number of items, counting ``initial`` (as ``tqdm``'s ``total``).
    initial : int
        Items already done before this call (a resumed run).
    enabled : bool
        ``False`` shows nothing, whatever ``$VEGAN_PROGRESS`` says.
    unit : str
        What one item is, in the summary line (``"steps"``, ``"runs"``).

    Examples
    --------
    >>> import os
    >>> os.environ["VEGAN_PROGRESS"] = "summary"
    >>> bar = Progress(range(3), desc="demo", unit="steps")
    >>> for i in bar:
    ...     bar.set_postfix(loss=1.0 / (i + 1))
    >>> bar.close()  # doctest: +ELLIPSIS
    demo: 3 steps in ... s, final loss 0.3333
    >>> del os.environ["VEGAN_PROGRESS"]
    """

    def __init__(
        self,
        iterable: Iterable,
        *,
        desc: str | None = None,
        total: int | None = None,
        initial: int = 0,
        enabled: bool = True,
        unit: str = "steps",
    ) -> None:
        self.mode = mode() if enabled else "off"
        self.desc = desc
        self.unit = unit
        self.initial = initial
        self.total = total
        self.count = 0
        self.postfix: dict[str, Any] = {}
        self.start = time.perf_counter()
        self._closed = False
        self._bar = (
            tqdm(iterable, desc=desc, initial=initial, total=total)
            if self.mode == "bar"
            else None
        )
        self._iterable = iterable

    def __iter__(self) -> Iterator:
        source = self._bar if self._bar is not None else self._iterable
        for item in source:
            self.count += 1
            yield item

    def set_postfix(self, **values: Any) -> None:
        """Show ``values`` beside the bar (``loss=...``); the summary prints their last values."""
        self.postfix.update(values)
        if self._bar is not None:
            self._bar.set_postfix(
                {k: f"{v:.4g}" if isinstance(v, float) else v for k, v in values.items()},
                refresh=False,
            )

    def summary(self) -> str:
        """The one line printed in ``summary`` mode, e.g. ``"fit: 500 steps in 3.2 s"``."""
        seconds = time.perf_counter() - self.start
        done = self.initial + self.count
        text = f"{self.desc or 'progress'}: {done} {self.unit}"
        if self.initial:
            text += f" ({self.count} in this call, resumed at {self.initial})"
        if self.total is not None and done < self.total:
            text += f" of {self.total}"
        text += f" in {seconds:.1f} s"
        for name, value in self.postfix.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            text += f", final {name} {shown}"
        return text

    def close(self) -> None:
        """Close the bar, or print the summary line (once)."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "summary":
            print(self.summary(), file=sys.stdout, flush=True)
