"""Every check of ``readers.py`` fails on a small page with its defect and passes without it.

The fixture pages imitate the book's HTML (an ``<article class="bd-article">`` column of
the book's width, myst-nb's cell, input and output classes, the ``<details>`` of a hide-input
cell) and are loaded in the same headless Chromium, by the same :func:`sitecheck.visit_page`,
as the book's pages.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import readers

COLUMN_PX = 740  # about the article's width at the test's 1280 px viewport


def _page(body: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>fixture</title>
<style>body {{ margin: 0; font: 16px sans-serif; }}
article.bd-article {{ width: {COLUMN_PX}px; margin-left: 260px; }}
img {{ max-width: 100%; height: auto; }}
pre {{ overflow-x: auto; font: 14px/1.4 monospace; }}
.pst-scrollable-table-container {{ overflow-x: auto; }}
.cell_output .output.text_html {{ overflow-x: auto; }}</style></head>
<body><article class="bd-article">{body}</article></body></html>"""


def _cell(code: str, outputs: str = "") -> str:
    """A code cell as myst-nb writes it: input, then output area."""
    return ('<div class="cell docutils container"><div class="cell_input docutils container">'
            '<div class="highlight-ipython3 notranslate"><div class="highlight"><pre>'
            f'{code}</pre></div></div></div>'
            f'<div class="cell_output docutils container">{outputs}</div></div>')


def _hidden_input_cell(code: str, expanded: bool = False) -> str:
    """A cell tagged hide-input: its input in a <details>, closed unless ``expanded``."""
    return ('<div class="cell tag_hide-input docutils container">'
            f'<details class="admonition hide above-input"{" open" if expanded else ""}>'
            '<summary><p class="collapsed admonition-title">Show code cell source</p></summary>'
            '<div class="cell_input docutils container"><div class="highlight-ipython3 '
            f'notranslate"><div class="highlight"><pre>{code}</pre></div></div></div>'
            '</details><div class="cell_output docutils container"></div></div>')


def _stream(text: str) -> str:
    return ('<div class="output stream highlight-myst-ansi notranslate"><div class="highlight">'
            f'<pre>{text}</pre></div></div>')


def _text_plain(text: str) -> str:
    return ('<div class="output text_plain highlight-myst-ansi notranslate">'
            f'<div class="highlight"><pre>{text}</pre></div></div>')


def _html_table(columns: int) -> str:
    """A pandas table as ``display(df)`` stores it, ``columns`` columns of numbers."""
    head = "".join(f"<th>sharpness ratio {i}</th>" for i in range(columns))
    row = "".join(f"<td>{0.123456 * i:.6f}</td>" for i in range(columns))
    return ('<div class="output text_html"><div><table border="1" class="dataframe"><thead>'
            f'<tr><th></th>{head}</tr></thead><tbody><tr><th>VAE</th>{row}</tr></tbody>'
            '</table></div></div>')


# A printed line of 200 characters (~1700 px at 14 px monospace) and one of 60.
WIDE_LINE = "VAE σ²=0.1: " + "  ".join(f"ratio {i}: {0.5 + i / 100:.4f}" for i in range(12))
NARROW_LINE = "VAE σ²=0.1: sharpness 0.5213, KL 12.3"
LONG_CODE = ('table = pd.DataFrame({"model": names, "sharpness": ratios, "KL per digit": kl, '
             '"posterior std": std, "digits per code": per_code})  # every number of the sweep')
SHORT_CODE = 'table = pd.DataFrame({"model": names, "sharpness": ratios})'
WIDE_OUTPUTS = {"stream": _stream(WIDE_LINE), "text_plain": _text_plain(WIDE_LINE),
                "html_table": _html_table(14)}
NARROW_OUTPUTS = {"stream": _stream(NARROW_LINE), "text_plain": _text_plain(NARROW_LINE),
                  "html_table": _html_table(3)}


def _png(width_in: float, dpi: int = 100) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, 3), dpi=dpi)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.set_title("a figure")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)  # matplotlib writes the dpi (pHYs)
    return buffer.getvalue()


GOOD = _page("""
<p>Prose with math <span class="math notranslate nohighlight">\\(\\mathbb{E}\\, x\\)</span>
and code <code>$HOME \\alpha</code>, costs in dollars: 5 and 6.</p>
<div class="math notranslate nohighlight">\\[\\lVert x \\rVert\\]</div>
<div class="pst-scrollable-table-container"><table><tr><td>narrow</td><td>table</td></tr>
</table></div>
<div class="cell_output"><div class="output stream highlight-myst-ansi"><pre>stdout 1</pre>
</div><div class="output stderr highlight-myst-ansi"><pre>WAE-MMD: 500 steps in 3.1 s</pre>
</div></div>
<img src="small.png" alt="a 5 inch figure">
""" + _cell(SHORT_CODE, _stream(NARROW_LINE) + _html_table(3)) + _hidden_input_cell(LONG_CODE))

DEFECTS = {
    "raw_tex": _page(
        "<p>The norm \\lVert x \\rVert of $\\mathbb{E} x$ was never typeset.</p>"),
    "too_wide": _page(
        '<div class="math notranslate nohighlight"><span style="display:inline-block;'
        'width:1200px">a very long display equation</span></div>'
        '<table><tr><td style="min-width:1100px">a table wider than the column</td></tr>'
        "</table>"),
    "illegible_figures": _page('<img src="wide.png" alt="a 20 inch figure">'),
    "warnings_in_outputs": _page(
        '<div class="cell_output"><div class="output stderr highlight-myst-ansi"><pre>'
        "/x/y.py:3: UserWarning: the author's environment is showing</pre></div></div>"),
    "widget_views": _page(
        '<div class="cell_output"><script type="application/vnd.jupyter.widget-view+json">'
        '{"version_major": 2, "version_minor": 0, "model_id": "0123"}</script></div>'),
    "output_scrolls": _page(_cell(SHORT_CODE, _stream(WIDE_LINE))),
    "code_cell_scrolls": _page(_cell(LONG_CODE, _stream(NARROW_LINE))),
}
CHECKS = {
    "raw_tex": readers.raw_tex,
    "too_wide": readers.too_wide,
    "illegible_figures": readers.illegible_figures,
    "warnings_in_outputs": readers.warnings_in_outputs,
    "widget_views": readers.widget_views,
    "output_scrolls": readers.output_scrolls,
    "code_cell_scrolls": readers.code_cell_scrolls,
}
FILES = {"small.png": _png(5.0), "wide.png": _png(20.0)}


@pytest.mark.parametrize("check", list(CHECKS))
def test_check_fails_on_a_page_with_the_defect(visit_fixture, check):
    report = visit_fixture(f"bad_{check}", DEFECTS[check], FILES)
    defects = CHECKS[check](report)
    assert defects, f"{check} found nothing on its fixture page"


@pytest.mark.parametrize("check", list(CHECKS))
def test_check_passes_on_a_page_without_it(visit_fixture, check):
    report = visit_fixture("good", GOOD, FILES)
    assert CHECKS[check](report) == []


def test_the_fixture_findings_are_the_planted_ones(visit_fixture):
    raw = readers.raw_tex(visit_fixture("bad_raw_tex", DEFECTS["raw_tex"], FILES))
    assert any("\\lVert" in d for d in raw) and any("$\\mathbb{E} x$" in d for d in raw), raw
    wide = readers.too_wide(visit_fixture("bad_too_wide", DEFECTS["too_wide"], FILES))
    assert any(d.startswith("div.math") for d in wide), wide
    assert any(d.startswith("table") for d in wide), wide
    report = visit_fixture("bad_illegible_figures", DEFECTS["illegible_figures"], FILES)
    (figure,) = report.figures
    assert figure["dpi"] == pytest.approx(100, abs=0.1)  # read from the PNG
    assert figure["natural"] == 2000 and figure["displayed"] == pytest.approx(COLUMN_PX, abs=1)
    # 11 pt at 100 dpi is 15.3 image px; shown at 740/2000 it is 5.7 px
    assert readers.text_px(figure, 11.0) == pytest.approx(11 * 100 / 72 * COLUMN_PX / 2000,
                                                          rel=1e-3)  # pHYs rounds the dpi


def test_code_blocks_that_scroll_are_listed_not_failed(visit_fixture):
    # A code block outside a notebook cell (a markdown ```bash block): listed, not failed.
    page = _page("<pre>" + "x = 1  # " + "a long comment " * 80 + "</pre>")
    report = visit_fixture("scrolling_code", page, FILES)
    assert readers.code_that_scrolls(report), "a long line of code should scroll"
    assert readers.too_wide(report) == []
    assert readers.code_cell_scrolls(report) == [] and readers.output_scrolls(report) == []


# ------------------------------------------------------------ cells that scroll sideways


@pytest.mark.parametrize("kind", list(WIDE_OUTPUTS))
def test_an_output_wider_than_the_column_fails(visit_fixture, kind):
    report = visit_fixture(f"wide_output_{kind}", _page(_cell(SHORT_CODE, WIDE_OUTPUTS[kind])),
                           FILES)
    found = readers.output_scrolls(report)
    assert len(found) == 1, found
    assert "code cell 1 of 1" in found[0] and "viewport 1280 px" in found[0], found
    assert readers.code_cell_scrolls(report) == []
    # it is a cell output, not a code block that may scroll
    assert readers.code_that_scrolls(report) == []


@pytest.mark.parametrize("kind", list(NARROW_OUTPUTS))
def test_a_narrow_output_passes(visit_fixture, kind):
    report = visit_fixture(f"narrow_output_{kind}",
                           _page(_cell(SHORT_CODE, NARROW_OUTPUTS[kind])), FILES)
    assert readers.output_scrolls(report) == []


def test_the_scrolling_element_of_an_output_is_named(visit_fixture):
    found = readers.output_scrolls(visit_fixture(
        "wide_outputs", _page(_cell(SHORT_CODE, _stream(WIDE_LINE) + _html_table(14))), FILES))
    assert len(found) == 2, found
    assert "”): pre " in found[0], found  # the stream's <pre> scrolls
    assert "”): div " in found[1], found  # the div around the table: the table spills out
    assert "ratio 0" in found[0] and "sharpness ratio 0" in found[1], found


def test_a_long_code_line_fails_and_a_short_one_passes(visit_fixture):
    long_ = readers.code_cell_scrolls(visit_fixture(
        "long_code", _page(_cell(SHORT_CODE) + _cell(LONG_CODE)), FILES))
    assert len(long_) == 1 and "code cell 2 of 2" in long_[0], long_
    short = visit_fixture("short_code", _page(_cell(SHORT_CODE) + _cell(SHORT_CODE)), FILES)
    assert readers.code_cell_scrolls(short) == []


def test_a_collapsed_hidden_input_is_not_counted_an_expanded_one_is(visit_fixture):
    # hide-input: collapsed by default, the reader sees "Show code cell source" only.
    collapsed = visit_fixture("hidden_input", _page(_hidden_input_cell(LONG_CODE)), FILES)
    assert readers.code_cell_scrolls(collapsed) == []
    expanded = visit_fixture("expanded_input",
                             _page(_hidden_input_cell(LONG_CODE, expanded=True)), FILES)
    assert len(readers.code_cell_scrolls(expanded)) == 1


def test_both_widths_are_checked(visit_fixture):
    # A column that grows with the window, like the theme's (752 px at 1280, 854 px at the
    # normal width): a 100-character line (~840 px at 14 px monospace) fits the wide column
    # (900 px at 1440) only.
    responsive = (_page("").replace(f"width: {COLUMN_PX}px", "width: calc(100vw - 540px)"))
    for chars, fails_at in ((100, {"1280px"}), (200, {"1280px", "normal"}), (60, set())):
        html = responsive.replace("</article>", _cell(SHORT_CODE, _stream("x" * chars))
                                  + "</article>")
        for viewport in ("1280px", "normal"):
            report = visit_fixture(f"responsive_{chars}_{viewport}", html, FILES, viewport)
            assert bool(readers.output_scrolls(report)) == (viewport in fails_at), (
                chars, viewport, report.viewport, readers.output_scrolls(report))


def test_a_table_cut_by_its_output_area_is_too_wide(visit_fixture):
    # The table fits its own box (a table grows with its cells) and stays inside the column,
    # but the notebook output area around it is narrower: the reader sees it cut or must
    # scroll it. Chapter 5's overlap table was such a case (707 px in 688).
    page = _page('<div class="output text_html" style="overflow-x:auto;width:400px">'
                 '<table><tr><td style="min-width:500px">eight columns of numbers</td></tr>'
                 '</table></div>')
    wide = readers.too_wide(visit_fixture("cut_table", page, FILES))
    assert any(d.startswith("table") and "in 400 px" in d for d in wide), wide


# The book's own CSS wraps the lines of cell inputs and outputs at the column
# (_static/readable.css): nothing scrolls, but a wrapped line shows the reader a continuation at
# column 0 that reads like the next line. The checks measure a <pre> unwrapped, so both fail.
READABLE_CSS = (Path(__file__).resolve().parents[1] / "_static" / "readable.css").read_text()


def _wrapping_page(body: str) -> str:
    return _page(body).replace("</style>", READABLE_CSS + "</style>")


def test_a_line_the_book_css_wraps_fails_and_names_the_line(visit_fixture):
    report = visit_fixture("wrapped", _wrapping_page(_cell(LONG_CODE, _stream(WIDE_LINE))),
                           FILES)
    code, output = readers.code_cell_scrolls(report), readers.output_scrolls(report)
    assert len(code) == 1 and len(output) == 1, (code, output)
    assert f"wraps, its longest line has {len(LONG_CODE)} characters" in code[0], code
    assert f"wraps, its longest line has {len(WIDE_LINE)} characters" in output[0], output
    assert "ratio 11" not in output[0] and "VAE σ²=0.1" in output[0], output


def test_lines_that_fit_pass_under_the_book_css(visit_fixture):
    report = visit_fixture("unwrapped", _wrapping_page(_cell(SHORT_CODE, _stream(NARROW_LINE))),
                           FILES)
    assert readers.code_cell_scrolls(report) == [] and readers.output_scrolls(report) == []


def test_the_book_css_does_wrap_the_lines(visit_fixture):
    """Without the unwrapped measurement the wrapped page would pass: the check is needed."""
    report = visit_fixture("wrapped_plain", _wrapping_page(_cell(LONG_CODE)), FILES)
    assert report.input_scroll and all(w["wraps"] for w in report.input_scroll)
