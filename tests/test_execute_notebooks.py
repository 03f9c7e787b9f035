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
