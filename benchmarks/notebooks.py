"""Execution time of every chapter notebook against the book's budgets.

Each ``book/*.ipynb`` is executed from scratch in a fresh kernel (nbclient), with the
``book/`` folder as working directory and this process's environment (so
``OMP_NUM_THREADS`` and ``VEGAN_FULL`` apply). The executed copies go to a temporary
folder (or ``--output-dir``): the committed notebooks are only read, never written.
The time of a notebook includes starting its kernel.

Budgets (DESIGN.md, quick mode on a 2-core CPU): 120 s per notebook (180 s for the chapter 7
scoreboard), 10 minutes for all.

    python -m benchmarks.notebooks [--only PATTERN] [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from benchmarks.common import markdown_table, print_machine

BOOK = Path(__file__).resolve().parent.parent / "book"
BUDGET_EACH = 120.0
BUDGET_TOTAL = 600.0
# Chapters with a budget of their own (issue 6: the scoreboard trains six recipes twice).
BUDGET_OF = {"08_scoreboard.ipynb": 180.0}


def select(pattern: str | None) -> list[Path]:
    """The notebooks of book/ whose file name contains (or glob-matches) ``pattern``."""
    notebooks = sorted(BOOK.glob("*.ipynb"))
    if pattern is None:
        return notebooks
    return [p for p in notebooks if pattern in p.name or fnmatch.fnmatch(p.name, pattern)]


def execute(path: Path, output_dir: Path, timeout: int) -> tuple[float, str]:
    """Run one notebook in a fresh kernel; return (seconds, "" or the error's first line)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1][:120] if str(err).strip() else "cell error"
    except Exception as err:  # a kernel that dies or times out: report it, time the rest
        error = f"{type(err).__name__}: {err}"[:120]
    seconds = time.perf_counter() - start
    nbformat.write(notebook, output_dir / path.name)
    return seconds, error


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="PATTERN", default=None,
                        help="run only the notebooks whose name contains PATTERN or matches "
                             "it as a glob, e.g. --only 02 or --only '0[1-3]*'")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="keep the executed copies there (default: a temporary folder, "
                             "deleted at the end)")
    parser.add_argument("--budget", type=float, default=None,
                        help=f"seconds allowed per notebook (default {BUDGET_EACH:g}, and "
                             f"{BUDGET_OF} for those listed)")
    parser.add_argument("--total-budget", type=float, default=BUDGET_TOTAL,
                        help="seconds allowed for all of them (checked on full runs only)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    return parser.parse_args(argv)


def run(notebooks: list[Path], output_dir: Path, args: argparse.Namespace) -> int:
    rows, total, failed = [], 0.0, False
    for path in notebooks:
        print(f"executing {path.name} ...", file=sys.stderr, flush=True)
        seconds, error = execute(path, output_dir, args.timeout)
        total += seconds
        budget = args.budget if args.budget is not None else BUDGET_OF.get(path.name,
                                                                             BUDGET_EACH)
        ok = not error and seconds <= budget
        failed |= not ok
        verdict = "ok" if ok else (f"ERROR: {error}" if error else "OVER")
        rows.append([path.name, seconds, f"{budget:g}", verdict])
    full_run = args.only is None
    total_ok = total <= args.total_budget
    failed |= full_run and not total_ok
    total_verdict = ("ok" if total_ok else "OVER") if full_run else "(partial run)"
    rows.append(["**total**", total, f"{args.total_budget:g}", total_verdict])
    print(markdown_table(["notebook", "seconds", "budget s", "ok?"], rows))
    if args.output_dir is not None:
        print(f"\nexecuted copies in {output_dir}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print_machine("Notebook execution times")
    print(f"- VEGAN_FULL: {os.environ.get('VEGAN_FULL', '(unset: quick mode)')}\n", flush=True)
    notebooks = select(args.only)
    if not notebooks:
        print(f"no notebook in {BOOK} matches {args.only!r}", file=sys.stderr)
        return 2
    if args.output_dir is not None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        return run(notebooks, args.output_dir, args)
    with tempfile.TemporaryDirectory(prefix="vegan-notebooks-") as tmp:
        return run(notebooks, Path(tmp), args)


if __name__ == "__main__":
    sys.exit(main())
