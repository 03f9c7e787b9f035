"""Execution time of every chapter notebook against the book's budgets.

Each ``book/*.ipynb`` is executed from scratch in a fresh kernel, with the ``book/`` folder as
working directory and this process's environment (so ``OMP_NUM_THREADS`` and ``VEGAN_FULL``
apply), by the executor of ``make notebooks`` (``scripts/execute_notebooks.py``). The executed
copies go to a temporary folder (or ``--output-dir``): the committed notebooks are only read.
The time of a notebook includes starting its kernel. The machine is printed first (CPU model,
cores, a one-thread matrix-product rate), since the same kind of machine varies by up to 4x.

Budgets (DESIGN.md, quick mode on a 2-core CPU): 120 s per notebook, measured one at a time
(``--jobs 1``, the default); and the wall time of all of them two at a time (``--jobs 2``, as
``make test`` runs nbval) at most 180 s.

    python -m benchmarks.notebooks [--only PATTERN] [--jobs N] [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import markdown_table, print_machine
from scripts.execute_notebooks import run_all

BOOK = Path(__file__).resolve().parent.parent / "book"
BUDGET_EACH = 120.0
BUDGET_PARALLEL_WALL = 180.0


def select(pattern: str | None) -> list[Path]:
    """The notebooks of book/ whose file name contains (or glob-matches) ``pattern``."""
    notebooks = sorted(BOOK.glob("*.ipynb"))
    if pattern is None:
        return notebooks
    return [p for p in notebooks if pattern in p.name or fnmatch.fnmatch(p.name, pattern)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="PATTERN", default=None,
                        help="run only the notebooks whose name contains PATTERN or matches "
                             "it as a glob, e.g. --only 02 or --only '0[1-3]*'")
    parser.add_argument("--jobs", type=int, default=1,
                        help="kernels at a time: 1 (default) times each notebook alone, 2 as "
                             "nbval runs them in `make test`")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="keep the executed copies there (default: a temporary folder, "
                             "deleted at the end)")
    parser.add_argument("--budget", type=float, default=BUDGET_EACH,
                        help=f"seconds allowed per notebook (default {BUDGET_EACH:g})")
    parser.add_argument("--wall-budget", type=float, default=BUDGET_PARALLEL_WALL,
                        help="seconds allowed for all of them with --jobs 2 or more "
                             f"(default {BUDGET_PARALLEL_WALL:g}; full runs only)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    return parser.parse_args(argv)


def run(notebooks: list[Path], output_dir: Path, args: argparse.Namespace) -> int:
    start = time.perf_counter()
    results = run_all(notebooks, args.jobs, output_dir, in_place=False, timeout=args.timeout,
                      hygiene=False)
    wall = time.perf_counter() - start
    rows, failed = [], False
    for path in notebooks:
        seconds, error = results[path.name]
        ok = not error and seconds <= args.budget
        failed |= not ok
        rows.append([path.name, seconds, f"{args.budget:g}",
                     "ok" if ok else (f"ERROR: {error}" if error else "OVER")])
    rows.append(["**sum**", sum(s for s, _ in results.values()), "", ""])
    if args.jobs >= 2 and args.only is None:
        wall_ok = wall <= args.wall_budget
        failed |= not wall_ok
        rows.append([f"**wall, {args.jobs} at a time**", wall, f"{args.wall_budget:g}",
                     "ok" if wall_ok else "OVER"])
    else:
        rows.append([f"**wall, {args.jobs} at a time**", wall, "", "(not budgeted)"])
    print(markdown_table(["notebook", "seconds", "budget s", "ok?"], rows))
    if args.output_dir is not None:
        print(f"\nexecuted copies in {output_dir}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print_machine("Notebook execution times")
    print(f"- VEGAN_FULL: {os.environ.get('VEGAN_FULL', '(unset: quick mode)')}")
    print(f"- notebooks at a time: {args.jobs}\n", flush=True)
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
