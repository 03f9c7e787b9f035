"""Every check of ``readers.py`` fails on a small page with its defect and passes without it.

The fixture pages imitate the book's HTML (an ``<article class="bd-article">`` column of
the book's width, myst-nb's output classes) and are loaded in the same headless Chromium, by
the same :func:`sitecheck.visit_page`, as the book's pages.
"""

from __future__ import annotations

import io

import pytest
import readers

COLUMN_PX = 740  # about the article's width at the test's 1280 px viewport


def _page(body: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>fixture</title>
<style>body {{ margin: 0; font: 16px sans-serif; }}
article.bd-article {{ width: {COLUMN_PX}px; margin-left: 260px; }}
img {{ max-width: 100%; height: auto; }}
pre {{ overflow-x: auto; }}
.pst-scrollable-table-container {{ overflow-x: auto; }}</style></head>
<body><article class="bd-article">{body}</article></body></html>"""


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
""")

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
}
CHECKS = {
    "raw_tex": readers.raw_tex,
    "too_wide": readers.too_wide,
    "illegible_figures": readers.illegible_figures,
    "warnings_in_outputs": readers.warnings_in_outputs,
    "widget_views": readers.widget_views,
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
    page = _page("<pre>" + "x = 1  # " + "a long comment " * 80 + "</pre>")
    report = visit_fixture("scrolling_code", page, FILES)
    assert readers.code_that_scrolls(report), "a long line of code should scroll"
    assert readers.too_wide(report) == []


def test_a_table_cut_by_its_output_area_is_too_wide(visit_fixture):
    # The table fits its own box (a table grows with its cells) and stays inside the column,
    # but the notebook output area around it is narrower: the reader sees it cut or must
    # scroll it. Chapter 5's overlap table was such a case (707 px in 688).
    page = _page('<div class="output text_html" style="overflow-x:auto;width:400px">'
                 '<table><tr><td style="min-width:500px">eight columns of numbers</td></tr>'
                 '</table></div>')
    wide = readers.too_wide(visit_fixture("cut_table", page, FILES))
    assert any(d.startswith("table") and "in 400 px" in d for d in wide), wide
