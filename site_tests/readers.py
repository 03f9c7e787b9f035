"""The checks of what a reader sees, as functions of one :class:`~sitecheck.PageReport`.

Each function returns the page's defects as readable strings (empty: none). They run on the
book's pages (``test_site.py``) and, first, on fixture pages that have each defect
(``test_fixtures.py``), so every check is seen to fail before it is trusted to pass.

raw TeX
    TeX commands (``\\mathbb``, ``\\lVert``) or ``$…$`` pairs in the article's visible text,
    outside math elements, code and scripts: MathJax never saw them.
too wide
    A table, a display equation or a table's scroll wrapper whose content is wider than its
    box (``scrollWidth > clientWidth``), that sticks out of the text column, or whose nearest
    scrolling or clipping ancestor (a notebook's output area) overflows: a table grows with
    its cells, so it can fit its own box and still be cut.
outputs that scroll
    Any element of a code cell's output area (``.cell_output``: stream text, ``text/plain``,
    HTML tables, the area itself) whose content is wider than its box (``scrollWidth >
    clientWidth + 1``): the reader sees a printed line or a table cut off at the column and
    must scroll sideways for the numbers the prose cites. The book's CSS wraps long lines
    (``_static/readable.css``) instead of scrolling them, which shows a continuation at column 0
    that reads like a new line: a ``<pre>`` is therefore measured with its lines unwrapped, and
    a line that wraps fails as one that scrolls (the message names the longest line). Print
    lines of at most 76 characters (the output column holds 77 at 1280 px); show tables as
    HTML with short column names.
code cells that scroll
    The same for a code cell's input (``.cell_input``) that a reader sees: lines past the
    column (75 characters at 1280 px). A hidden-input cell (tag ``hide-input``) collapsed in a
    closed ``<details>`` is not seen until the reader expands it and is not counted (nor is
    anything else in a closed ``<details>``); an expanded one is. The reader who expands the
    install cell chose to read code; the pages as they open must not scroll.
    ``remove-input`` cells are not in the page.
    Both checks run at 1280 px and at the book's normal width
    (:data:`sitecheck.NORMAL_VIEWPORT`); the column is narrower at 1280 px.
    Code blocks outside cells (markdown code blocks) may scroll: they are listed, not failed
    (``code_that_scrolls``).
illegible figures
    A PNG figure whose smallest text is drawn smaller than :data:`MIN_TEXT_PX` CSS pixels.
    The heuristic: matplotlib writes its dpi into the PNG, and text of ``s`` points is
    ``s·dpi/72`` image pixels high; the page scales the image by displayed/natural width,
    so it shows ``s·dpi/72·displayed/natural`` pixels. ``s`` is the smallest font of the
    book's theme (``vegan_lib.plotting.set_theme``: tick labels and legends, 11 pt);
    a figure that sets smaller text explicitly is not caught, and a PNG without a dpi is
    taken to be at matplotlib's default of 100 dpi. At the column width of ~750 px this
    flags figures wider than about 14 inches at 100 dpi.
warnings in outputs
    A stored stderr output containing ``Warning`` (``UserWarning``, ``DeprecationWarning``,
    ``RuntimeWarning``…): the reader sees a red box about the author's environment.
widget views
    Any Jupyter widget view or widget state in the page: the static book cannot show it
    (it needs require.js and the widget manager from a CDN) and a reader sees
    "Loading widget…" or nothing.
"""

from __future__ import annotations

import functools
import re

from sitecheck import PageReport

MIN_TEXT_PX = 8.0
DEFAULT_DPI = 100.0
_TEX_COMMAND = re.compile(r"\\[A-Za-z]{2,}")
_DOLLAR_PAIR = re.compile(r"\$[^$\n]{1,200}\$")


@functools.cache
def smallest_theme_font_pt() -> float:
    """The smallest text of the book's matplotlib theme, in points (tick labels, legends)."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    from vegan_lib.plotting import set_theme

    with mpl.rc_context():
        set_theme()
        keys = ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize")
        return min(FontProperties(size=mpl.rcParams[k]).get_size_in_points() for k in keys)


def _context(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 30): end + 30].split())


def raw_tex(report: PageReport) -> list[str]:
    text = report.text
    found = [f"{m.group()} in “…{_context(text, m.start(), m.end())}…”"
             for pattern in (_TEX_COMMAND, _DOLLAR_PAIR) for m in pattern.finditer(text)]
    return list(dict.fromkeys(found))


def too_wide(report: PageReport) -> list[str]:
    return list(dict.fromkeys(
        f"{w['kind']} {w['scrollWidth']} px of content in {w['clientWidth']} px"
        f" (column {w['column']} px, overhang {w['overhang']} px): “{w['text']}”"
        for w in report.wide
    ))


def code_that_scrolls(report: PageReport) -> list[str]:
    """Code blocks outside notebook cells that scroll (listed, not failed)."""
    return [f"{w['kind']} {w['scrollWidth']} px in {w['clientWidth']} px: “{w['text'][:50]}”"
            for w in report.code_scroll if w.get("part", "other") == "other"]


def _scrolls(items: list[dict], report: PageReport) -> list[str]:
    def what(w: dict) -> str:
        if "longest" in w:  # a <pre>: name its longest line
            how = "wraps" if w.get("wraps") else "scrolls"
            return (f"{how}, its longest line has {len(w['longest'])} characters: "
                    f"“{w['longest'].strip()[:60]}”")
        return f"“{w['text'][:60]}”"

    return list(dict.fromkeys(
        f"code cell {w['cell']} of {w['cells']} (“{w['cellText'][:40]}”): {w['kind']} "
        f"{w['scrollWidth']} px of content in {w['clientWidth']} px "
        f"(+{w['scrollWidth'] - w['clientWidth']} px, viewport {report.viewport} px) "
        + what(w)
        for w in items
    ))


def output_scrolls(report: PageReport) -> list[str]:
    return _scrolls(report.output_scroll, report)


def code_cell_scrolls(report: PageReport) -> list[str]:
    return _scrolls(report.input_scroll, report)


def text_px(figure: dict, font_pt: float | None = None) -> float:
    """CSS pixels of the theme's smallest text in ``figure`` as displayed."""
    font_pt = smallest_theme_font_pt() if font_pt is None else font_pt
    dpi = figure.get("dpi") or DEFAULT_DPI
    return font_pt * dpi / 72.0 * figure["displayed"] / max(figure["natural"], 1)


def illegible_figures(report: PageReport) -> list[str]:
    out = []
    for fig in report.figures:
        px = text_px(fig)
        if fig["natural"] and px < MIN_TEXT_PX:
            dpi = fig.get("dpi") or DEFAULT_DPI
            out.append(f"{fig['src'].rsplit('/', 1)[-1]}: {fig['natural']} px "
                       f"({fig['natural'] / dpi:.1f} in at {dpi:.0f} dpi) shown "
                       f"{fig['displayed']:.0f} px wide, {smallest_theme_font_pt():g} pt text "
                       f"-> {px:.1f} px (< {MIN_TEXT_PX:g})")
    return out


def warnings_in_outputs(report: PageReport) -> list[str]:
    return [" ".join(text.split())[:160] for text in report.stderr if "Warning" in text]


def widget_views(report: PageReport) -> list[str]:
    return list(report.widgets)
