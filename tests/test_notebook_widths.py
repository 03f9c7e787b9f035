"""Every line a reader sees in a notebook cell fits the book's column at a 1280 px window.

Measured in Chromium on the built book (2026-12-08): at a 1280 px window a cell's code column
holds 75 characters and its output column 77 (87 and 89 at the normal width of 1440 px). The
book's CSS wraps a longer line at the column (``_static/readable.css``), and the continuation
starts at column 0, where it reads like the next line of code or a new printed line. An
exercise's solution (the cells between ``:::{solution-start}`` and ``:::{solution-end}``) sits in
a dropdown one character narrower: its columns hold 74 and 75 characters at 1280 px. So:

code
    every line of a code cell whose input the page shows is at most :data:`CODE_COLUMNS`
    characters (:data:`SOLUTION_CODE_COLUMNS` in a solution): cells tagged ``remove-input``
    or ``remove-cell`` are not in the page; a ``hide-input`` cell counts, since a reader
    unfolds it;
printed output
    every line of a stored stream or ``text/plain`` output that the page shows (not
    ``remove-output``/``remove-cell``, and not a ``text/plain`` twin of an HTML table or an
    image) is at most :data:`OUTPUT_COLUMNS` characters (:data:`SOLUTION_OUTPUT_COLUMNS` in a
    solution).

The browser test (``site_tests``, ``readers.code_cell_scrolls`` and ``readers.output_scrolls``)
measures the same on the rendered pages; this test names the cell and line before a build.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
CODE_COLUMNS = 75
OUTPUT_COLUMNS = 76
SOLUTION_CODE_COLUMNS = 74
SOLUTION_OUTPUT_COLUMNS = 75
_RICH = ("text/html", "image/png", "image/svg+xml", "text/markdown", "text/latex")


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[nbformat.NotebookNode, bool]]:
    """The code cells in order, each with whether it sits in an exercise's solution."""
    cells, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            start, end = cell.source.rfind("{solution-start}"), cell.source.rfind("{solution-end}")
            if start >= 0 or end >= 0:
                inside = start > end
        elif cell.cell_type == "code":
            cells.append((cell, inside))
    return cells


def long_code_lines(nb: nbformat.NotebookNode, limit: int = CODE_COLUMNS,
                    in_solution: int = SOLUTION_CODE_COLUMNS) -> list[str]:
    """``"cell k, line j (n chars): …"`` for each shown code line over ``limit`` (over
    ``in_solution`` in a solution)."""
    found = []
    for k, (cell, solution) in enumerate(code_cells(nb)):
        width = in_solution if solution else limit
        tags = cell.metadata.get("tags", [])
        if "remove-input" in tags or "remove-cell" in tags:
            continue
        for j, line in enumerate(cell.source.splitlines(), start=1):
            if len(line) > width:
                found.append(f"code cell {k}, line {j} ({len(line)} chars): {line.strip()[:60]}")
    return found


def long_printed_lines(nb: nbformat.NotebookNode, limit: int = OUTPUT_COLUMNS,
                       in_solution: int = SOLUTION_OUTPUT_COLUMNS) -> list[str]:
    """``"cell k (n chars): …"`` for each shown printed line over ``limit`` (over
    ``in_solution`` in a solution)."""
    found = []
    for k, (cell, solution) in enumerate(code_cells(nb)):
        width = in_solution if solution else limit
        tags = cell.metadata.get("tags", [])
        if "remove-output" in tags or "remove-cell" in tags:
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                text = output.get("text", "")
            elif output.output_type in ("execute_result", "display_data"):
                data = output.get("data", {})
                text = "" if any(m in data for m in _RICH) else data.get("text/plain", "")
            else:
                continue
            text = "".join(text) if isinstance(text, list) else text
            found += [f"code cell {k} ({len(line)} chars): {line.strip()[:60]}"
                      for line in text.splitlines() if len(line) > width]
    return found


def _nb(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    return nb


def test_detector_finds_a_long_code_line_in_a_shown_or_folded_cell_only():
    long_ = "x = " + "1 + " * 20 + "1"
    shown = nbformat.v4.new_code_cell(f"a = 1\n{long_}")
    folded = nbformat.v4.new_code_cell(long_, metadata={"tags": ["hide-input"]})
    removed = nbformat.v4.new_code_cell(long_, metadata={"tags": ["remove-input"]})
    found = long_code_lines(_nb([shown, folded, removed]))
    assert len(found) == 2 and found[0].startswith("code cell 0, line 2 (85 chars)"), found
    assert long_code_lines(_nb([nbformat.v4.new_code_cell("x" * CODE_COLUMNS)])) == []


def test_detector_finds_long_printed_lines_but_not_html_twins_or_removed_outputs():
    wide = "VAE " + "0.1234 " * 12
    printed = nbformat.v4.new_code_cell("print(wide)")
    printed.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"ok\n{wide}\n")]
    table = nbformat.v4.new_code_cell("df")
    table.outputs = [nbformat.v4.new_output(
        "execute_result", data={"text/html": "<table/>", "text/plain": wide}, execution_count=1)]
    removed = nbformat.v4.new_code_cell("print(wide)", metadata={"tags": ["remove-output"]})
    removed.outputs = list(printed.outputs)
    found = long_printed_lines(_nb([printed, table, removed]))
    assert len(found) == 1 and found[0].startswith("code cell 0 (88 chars)"), found


def test_detector_uses_the_narrower_columns_of_a_solution():
    line = "y = " + "2 * " * 17 + "2.5"  # 75 characters: fits the page, not a solution
    md = nbformat.v4.new_markdown_cell
    cells = [nbformat.v4.new_code_cell(line),
             md(":::{exercise}\nDo it.\n:::\n\n:::{solution-start} ex-1\n:::"),
             nbformat.v4.new_code_cell(line), md(":::{solution-end}\n:::"),
             nbformat.v4.new_code_cell(line)]
    found = long_code_lines(_nb(cells))
    assert len(found) == 1 and found[0].startswith("code cell 1, line 1 (75 chars)"), found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_lines_fit_the_column(path):
    found = long_code_lines(nbformat.read(path, as_version=4))
    assert not found, (f"{path.name}: {len(found)} code line(s) over {CODE_COLUMNS} characters "
                       "wrap at the column (1280 px); break them:\n" + "\n".join(found))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_printed_lines_fit_the_column(path):
    found = long_printed_lines(nbformat.read(path, as_version=4))
    assert not found, (f"{path.name}: {len(found)} printed line(s) over {OUTPUT_COLUMNS} "
                       "characters wrap at the column (1280 px); print shorter lines:\n"
                       + "\n".join(found))
