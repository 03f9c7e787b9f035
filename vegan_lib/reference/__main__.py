r"""``python -m vegan_lib.reference``: the command line of the reference run (``make reference``).

What the library part (:mod:`vegan_lib.reference`) leaves to its caller: the git commit
and whether the library was modified since, the CPU's model name, worker processes (one
per core on a CPU, each with an equal share of the threads) and the arguments.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from vegan_lib import reference
from vegan_lib.device import get_device

_ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=_ROOT, capture_output=True, text=True,
                             timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _cpu_name() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return None


def provenance(device: torch.device, jobs: int, threads: int) -> dict[str, Any]:
    """What the library records as given: commit, modified library, device name, processes."""
    known: dict[str, Any] = {
        "git_commit": _git("rev-parse", "HEAD") or "unknown",
        "library_modified_since_commit": bool(_git("status", "--porcelain", "--", "vegan_lib")),
        "processes": jobs,
        "threads_per_process": threads,
    }
    name = None if device.type == "cuda" else _cpu_name()
    return known if name is None else {**known, "device_name": name}


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m vegan_lib.reference [--seeds 0 1 2] [--data embedded] [--jobs N] ...``."""
    parser = argparse.ArgumentParser(prog="python -m vegan_lib.reference",
                                     description="Train, score and store the reference run.")
    parser.add_argument("--recipes", nargs="+", default=list(reference.REFERENCE_RECIPES))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(reference.SEEDS))
    parser.add_argument("--data", choices=("embedded", "torchvision"), default="embedded",
                        help="the 5,000 embedded digits, or full MNIST through torchvision")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: VEGAN_DEVICE "
                        "or the best available)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes")
    parser.add_argument("--out", default=str(reference.DEFAULT_FILE))
    parser.add_argument("--steps", type=int, default=None,
                        help="override the recipes' steps (a trial of the machinery only)")
    parser.add_argument("--workdir", default=".cache/reference",
                        help="per-run results and checkpoints, for resuming")
    parser.add_argument("--replay-only", action="store_true",
                        help="rewrite only the float64 replay record of --out (same recipes)")
    args = parser.parse_args(argv)
    device = get_device(args.device or os.environ.get("VEGAN_DEVICE"))
    if args.replay_only:
        reference.refresh_replay(args.out, provenance(torch.device("cpu"), 1,
                                                      torch.get_num_threads()))
        print(f"rewrote the replay record of {args.out}")
        return
    jobs = args.jobs or (1 if device.type != "cpu" else max(1, min(os.cpu_count() or 1, 8)))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    run = dict(names=args.recipes, seeds=args.seeds, source=args.data, device=device,
               out=args.out, workdir=args.workdir, steps=args.steps,
               provenance=provenance(device, jobs, threads), threads=threads)
    if jobs == 1:
        payload = reference.run_reference(**run)
    else:
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            payload = reference.run_reference(**run, map_runs=pool.imap_unordered)
    table = reference.summary(payload, ["w2", "fcd", "sharpness", "recon_error"])
    print(f"wrote {args.out} in {payload['provenance']['wall_time_s']:.0f} s")
    for name, row in table.items():
        print(f"{name:>18}: " + ", ".join(f"{k} {m:.3f} ± {s:.3f}" for k, (m, s) in row.items()))


if __name__ == "__main__":
    main()
