"""Keep the book's notebooks tidy: one install cell, nbval tags, no timestamps or hidden widgets.

Usage (from the repository root)::

    python scripts/notebook_hygiene.py                      # every book/*.ipynb, all fixes
    python scripts/notebook_hygiene.py book/03_pot_relaxation.ipynb
    python scripts/notebook_hygiene.py --strip-timestamps book/*.ipynb   # (make notebooks)
    python scripts/notebook_hygiene.py --check              # change nothing; exit 1 if needed

The fixes, each leaving a notebook it does not need to change byte for byte as it was:

install cell
    The first code cell becomes :data:`INSTALL_CELL`, tagged ``hide-input`` (the book folds
    its code away), which installs ``vegan_lib`` from the
    repository named once, in the constant ``REPO_URL``; its value is ``repository.url`` of
    ``_config.yml`` (the one place the repository is set). If pip fails, the cell prints what
    to do instead of raising. A first code cell that is not an install cell (it does not
    mention both ``pip`` and ``vegan`` ) is kept, and the install cell is inserted before it.
nbval markers
    A ``# NBVAL_CHECK_OUTPUT`` comment line (and nbval's other markers) is removed from the
    code and the cell gets the tag nbval honours instead, e.g. ``nbval-check-output`` (nbval
    derives its tags from its comment markers: lower case, ``_`` → ``-``; ``--nbval-lax``
    compares the outputs of cells tagged ``nbval-check-output``). Readers no longer see the
    marker in the book.
timestamps
    ``metadata.execution`` (the ``iopub.*``/``shell.*`` timestamps nbclient records) and
    ``metadata.ExecuteTime`` are removed from every cell, so re-running an unchanged notebook
    leaves git clean.
hidden widgets
    A cell tagged ``remove-output`` (the book never shows its output: an explorer's live view)
    loses its stored widget views, and the notebook's widget state (``metadata.widgets``) is
    dropped once no stored output shows a widget. The static page then carries no widget
    state (no require.js, no "Loading widget…"); a reader who runs the notebook gets the live
    view as before.

``--strip-timestamps`` applies the last two fixes alone (what ``make notebooks`` runs after
executing a notebook).

Needs only the standard library and ``nbformat`` (and PyYAML if present; without it a small
reader of ``_config.yml`` is used).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"

# nbval's comment markers and the cell tags it reads instead (nbval.plugin.metadata_tags).
MARKER_TAGS = {
    "NBVAL_CHECK_OUTPUT": "nbval-check-output",
    "NBVAL_IGNORE_OUTPUT": "nbval-ignore-output",
    "NBVAL_SKIP": "nbval-skip",
    "NBVAL_RAISES_EXCEPTION": "nbval-raises-exception",
}
TIMESTAMP_KEYS = ("execution", "ExecuteTime")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
HIDDEN_OUTPUT_TAG = "remove-output"  # Jupyter Book's tag: the page omits the cell's outputs

INSTALL_CELL = '''\
# On Colab or Binder, install the cookbook's library first
# (skipped where it is installed); REPO_URL: repository.url, _config.yml
REPO_URL = "{url}"

import importlib.util
import subprocess
import sys

if importlib.util.find_spec("vegan_lib") is None:
    package = f"vegan-lib @ git+{{REPO_URL}}"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", package]
    if subprocess.run(pip).returncode != 0:
        print(
            f"Could not install vegan_lib from {{REPO_URL}}\\n"
            "(pip's message is above). Install it yourself, restart the\\n"
            "kernel, and run the notebook again:\\n"
            f'    pip install "{{package}}"\\n'
            f"or clone {{REPO_URL}}\\n"
            "and run `pip install -e .` in its folder."
        )'''
"""The first code cell of every notebook: lines of at most 75 characters (the code column
of the book at 1280 px) for a repository URL of up to 62 characters."""


_REPO_URL_LINE = re.compile(r'^REPO_URL\s*=\s*"([^"]*)"', re.MULTILINE)


def repository_url(config: Path = CONFIG) -> str:
    """``repository.url`` of ``_config.yml``, without a trailing slash."""
    text = config.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:  # a reader for the one key we need
        match = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", text,
                          re.MULTILINE)
        if match is None:
            raise SystemExit(f"{config}: no repository.url") from None
        return match.group(1).strip("'\"").rstrip("/")
    return str(yaml.safe_load(text)["repository"]["url"]).rstrip("/")


INSTALL_TAG = "hide-input"
"""The install cell's tag: readers see a folded "Show code" line, not the pip plumbing."""


def install_cell_source(url: str) -> str:
    """The first code cell of every notebook, for the repository ``url``."""
    return INSTALL_CELL.format(url=url)


def notebook_repo_url(nb: nbformat.NotebookNode) -> str | None:
    """The value of ``REPO_URL`` in the notebook's first code cell, or None."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            match = _REPO_URL_LINE.search(cell.source)
            return match.group(1) if match else None
    return None


def _is_install_cell(source: str) -> bool:
    return "pip" in source and "vegan" in source


def _hide_input(cell: nbformat.NotebookNode) -> bool:
    tags = cell.metadata.setdefault("tags", [])
    if INSTALL_TAG in tags:
        return False
    tags.append(INSTALL_TAG)
    return True


def fix_install_cell(nb: nbformat.NotebookNode, url: str) -> bool:
    """Make the first code cell the install cell, its code folded away in the book
    (tag ``hide-input``); True if the notebook changed."""
    wanted = install_cell_source(url)
    first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)
    if first is not None and _is_install_cell(nb.cells[first].source):
        cell = nb.cells[first]
        hidden = _hide_input(cell)
        if cell.source == wanted:
            return hidden
        cell.source = wanted
        cell.outputs = []  # what the old code printed says nothing about the new one
        return True
    cell = nbformat.v4.new_code_cell(wanted, metadata={"tags": [INSTALL_TAG]})
    cell.pop("id", None)
    if nb.nbformat == 4 and nb.nbformat_minor >= 5:
        existing = {c.get("id") for c in nb.cells}
        cell["id"] = next(f"install-{k}" for k in range(len(existing) + 1)
                          if f"install-{k}" not in existing)
    nb.cells.insert(first if first is not None else 0, cell)
    return True


def convert_markers(nb: nbformat.NotebookNode) -> bool:
    """Turn nbval's comment markers into cell tags; True if the notebook changed."""
    changed = False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.split("\n")
        kept, tags = [], []
        for line in lines:
            marker = line.strip().lstrip("#").strip()
            if line.strip().startswith("#") and marker in MARKER_TAGS:
                tags.append(MARKER_TAGS[marker])
            else:
                kept.append(line)
        if not tags:
            continue
        cell.source = "\n".join(kept)
        current = cell.metadata.setdefault("tags", [])
        current.extend(t for t in tags if t not in current)
        changed = True
    return changed


def strip_timestamps(nb: nbformat.NotebookNode) -> bool:
    """Remove execution timestamps from every cell; True if the notebook changed."""
    changed = False
    for cell in nb.cells:
        for key in TIMESTAMP_KEYS:
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    return changed


def _shows_widget(output: nbformat.NotebookNode) -> bool:
    return WIDGET_VIEW in output.get("data", {})


def strip_hidden_widgets(nb: nbformat.NotebookNode) -> bool:
    """Drop widget views from ``remove-output`` cells, then widget state no output shows.

    True if the notebook changed.
    """
    changed = False
    for cell in nb.cells:
        if cell.cell_type != "code" or HIDDEN_OUTPUT_TAG not in cell.metadata.get("tags", []):
            continue
        kept = [out for out in cell.outputs if not _shows_widget(out)]
        if len(kept) != len(cell.outputs):
            cell.outputs = kept
            changed = True
    shown = any(_shows_widget(out) for cell in nb.cells if cell.cell_type == "code"
                for out in cell.outputs)
    if "widgets" in nb.metadata and not shown:
        del nb.metadata["widgets"]
        changed = True
    return changed


def process(path: Path, *, url: str | None, markers: bool, timestamps: bool,
            write: bool = True) -> list[str]:
    """Apply the chosen fixes to one notebook; the names of the fixes that changed it.

    The file is written only if something changed (and ``write``), in Jupyter's own layout
    (``nbformat.write``: one-space indent, trailing newline).
    """
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    done = []
    if url is not None and fix_install_cell(nb, url):
        done.append("install cell")
    if markers and convert_markers(nb):
        done.append("nbval tags")
    if timestamps and strip_timestamps(nb):
        done.append("timestamps")
    if timestamps and strip_hidden_widgets(nb):
        done.append("hidden widgets")
    if done and write:
        nbformat.write(nb, path)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to fix (default: book/*.ipynb)")
    parser.add_argument("--strip-timestamps", action="store_true",
                        help="only drop timestamps and hidden widgets (`make notebooks`)")
    parser.add_argument("--config", type=Path, default=CONFIG,
                        help="the _config.yml whose repository.url the install cell uses")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a notebook needs a fix")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    url = None if args.strip_timestamps else repository_url(args.config)
    needed = False
    for path in paths:
        done = process(path, url=url, markers=not args.strip_timestamps, timestamps=True,
                       write=not args.check)
        if done:
            needed = True
            verb = "needs" if args.check else "fixed"
            print(f"{path}: {verb} {', '.join(done)}")
    return 1 if (args.check and needed) else 0


if __name__ == "__main__":
    sys.exit(main())
