"""Execute the book's notebooks, several at once, each in a fresh kernel (``make notebooks``).

Usage (from the repository root, in the project's environment)::

    python scripts/execute_notebooks.py                          # every book/*.ipynb, in place
    python scripts/execute_notebooks.py book/05_vae_blurriness.ipynb book/08_scoreboard.ipynb
    python scripts/execute_notebooks.py --jobs 1 --output-dir /tmp/run   # copies, one at a time
    python scripts/execute_notebooks.py --only-without-outputs           # what `make book` runs

Each notebook runs in its own kernel with ``book/`` as working directory, ``--jobs`` kernels at
a time (default: one per core), longest first, each kernel with one BLAS/OpenMP thread
(``OMP_NUM_THREADS=1`` unless set), so two kernels on two cores do not fight over threads. A
notebook that runs through is written back (or to ``--output-dir``), then passed through
``notebook_hygiene.py --strip-timestamps`` (no timestamps, no hidden widget views), so that
re-running an unchanged notebook leaves git clean. A notebook that fails is not written; the
command ends with status 1 and names it.

``--only-without-outputs`` executes only the notebooks stored without any output (a new chapter,
or one whose outputs were cleared) and says which; ``make book`` runs it before building from
the stored outputs. (Jupyter Book's own ``execute_notebooks: auto`` would execute every notebook
with one code cell that prints nothing.)

Kernels are started with CurveZMQ keys (jupyter_client's ``transport_encryption="auto"``, which
the ipykernel kernelspec declares it supports): the messages between this process and the
kernel are encrypted, and ipykernel no longer logs "Kernel is running over TCP without
encryption" for every notebook.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
HYGIENE = ROOT / "scripts" / "notebook_hygiene.py"
# Seconds of the last run of each notebook on a 2-core machine, to start the longest first
# (so that two kernels end together); a notebook not listed counts as long.
TYPICAL_SECONDS = {"08": 70, "05": 60, "06": 47, "03": 43, "04": 35, "01": 14, "07": 11,
                   "02": 7}


def encrypted_kernel_manager_class():
    """A ``KernelManager`` class that gives its kernels CurveZMQ keys (no TCP warning).

    It is jupyter_client's ``KernelManager`` with ``transport_encryption="auto"``; where
    pyzmq has no CurveZMQ support, the plain ``KernelManager``.
    """
    import zmq
    from jupyter_client.manager import KernelManager
    from traitlets import default

    if not zmq.has("curve"):
        return KernelManager

    class EncryptedKernelManager(KernelManager):
        @default("transport_encryption")
        def _encrypted(self) -> str:
            return "auto"

    return EncryptedKernelManager


def execute(path: Path, output: Path | None, timeout: int = 600) -> tuple[float, str]:
    """Run notebook ``path`` in a fresh kernel; write it to ``output`` if it ran through.

    Returns
    -------
    (float, str)
        Seconds (kernel start included) and ``""``, or the error's last line.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            kernel_manager_class=encrypted_kernel_manager_class(),
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except CellExecutionError as err:
        lines = str(err).strip().splitlines()
        error = lines[-1][:160] if lines else "cell error"
    except Exception as err:  # a kernel that dies or times out: report it, run the others
        error = f"{type(err).__name__}: {err}"[:160]
    seconds = time.perf_counter() - start
    if not error and output is not None:
        nbformat.write(notebook, output)
    return seconds, error


def has_outputs(path: Path) -> bool:
    """Whether any code cell of notebook ``path`` has a stored output."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def _typical(path: Path) -> float:
    return TYPICAL_SECONDS.get(path.name[:2], 1e9)


def run_all(notebooks: list[Path], jobs: int, output_dir: Path | None, in_place: bool,
            timeout: int = 600, hygiene: bool = True) -> dict[str, tuple[float, str]]:
    """Execute ``notebooks``, ``jobs`` at a time; return ``{name: (seconds, error)}``."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    order = sorted(notebooks, key=_typical, reverse=True)
    outputs = {p: (p if in_place else (output_dir / p.name if output_dir else None))
               for p in order}
    results: dict[str, tuple[float, str]] = {}
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(execute, p, outputs[p], timeout): p for p in order}
        for future in as_completed(futures):
            path = futures[future]
            seconds, error = future.result()
            results[path.name] = (seconds, error)
            verdict = f"FAILED: {error}" if error else "ok"
            print(f"{path.name}: {seconds:.1f} s, {verdict}", flush=True)
            if not error and hygiene and outputs[path] is not None:
                subprocess.run([sys.executable, str(HYGIENE), "--strip-timestamps",
                                str(outputs[path])], check=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to execute (default: every book/*.ipynb)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="kernels at a time (default: one per core)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="write the executed copies there instead of in place")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--only-without-outputs", action="store_true",
                        help="execute only the notebooks stored without any output")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or sorted(BOOK.glob("*.ipynb"))
    missing = [str(p) for p in notebooks if not p.is_file() or p.suffix != ".ipynb"]
    if missing:
        print(f"not a notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.only_without_outputs:
        notebooks = [p for p in notebooks if not has_outputs(p)]
        if not notebooks:
            print("every notebook has stored outputs: none executed", flush=True)
            return 0
    if args.output_dir is not None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    print(f"executing {len(notebooks)} notebook(s), {args.jobs} kernel(s) at a time, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '1')} each", flush=True)
    start = time.perf_counter()
    results = run_all(notebooks, args.jobs, args.output_dir, args.output_dir is None,
                      args.timeout)
    failed = sorted(name for name, (_, error) in results.items() if error)
    print(json.dumps({"wall_s": round(time.perf_counter() - start, 1),
                      "failed": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
