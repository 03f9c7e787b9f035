"""``scripts/execute_notebooks.py`` (``make notebooks``): parallel, in place, quiet, all or none.

Two tiny notebooks run at once in fresh kernels: the one that runs through is written back
with its outputs and without timestamps; the one that fails is left as it was and named, with
exit status 1; and no kernel logs "Kernel is running over TCP without encryption".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "execute_notebooks.py"


def _notebook(path: Path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def test_two_notebooks_at_once_the_good_one_written_the_bad_one_named_and_untouched(tmp_path):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    _notebook(good, "print(6 * 7)")
    _notebook(bad, "raise ValueError('broken on purpose')")
    bad_before = bad.read_bytes()
    out = subprocess.run([sys.executable, str(SCRIPT), "--jobs", "2", str(good), str(bad)],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "bad.ipynb" in out.stdout and "broken on purpose" in out.stdout
    cell = nbformat.read(good, as_version=4).cells[0]
    assert cell.outputs[0]["text"] == "42\n"
    assert "execution" not in cell.metadata, "timestamps are stripped (notebook_hygiene)"
    assert bad.read_bytes() == bad_before
    assert "without encryption" not in out.stderr, out.stderr


def test_a_path_that_is_not_a_notebook_is_refused(tmp_path):
    out = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "missing.ipynb")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "not a notebook" in out.stderr


def test_only_notebooks_stored_without_any_output_are_executed(tmp_path):
    # What `make book` runs: a notebook with one silent cell and one stored output is left
    # alone (Jupyter Book's "auto" mode would execute it), one with no output at all is run.
    stored, fresh = tmp_path / "stored.ipynb", tmp_path / "fresh.ipynb"
    _notebook(stored, "x = 1")
    nb = nbformat.read(stored, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print(x)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="1\n")]))
    nbformat.write(nb, stored)
    _notebook(fresh, "print('ran')")
    before = stored.read_bytes()
    out = subprocess.run([sys.executable, str(SCRIPT), "--only-without-outputs", str(stored),
                          str(fresh)], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    assert stored.read_bytes() == before
    assert nbformat.read(fresh, as_version=4).cells[0].outputs[0]["text"] == "ran\n"
    again = subprocess.run([sys.executable, str(SCRIPT), "--only-without-outputs", str(stored)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "none executed" in again.stdout
