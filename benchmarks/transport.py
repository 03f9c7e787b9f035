"""Overhead of :mod:`vegan_lib.transport` over direct POT calls on the same inputs.

Two contenders per case, timed alternately (medians):

* exact OT: ``vegan_lib.transport.wasserstein(x, y)`` (returns :math:`W_2`, squared here)
  against ``ot.emd2(a, b, ot.dist(x, y))`` on NumPy float64 arrays (returns :math:`W_2^2`);
* entropic OT: ``vegan_lib.transport.sinkhorn(x, y, reg)`` against
  ``ot.sinkhorn2(a, b, ot.dist(x, y), reg, method="sinkhorn_log")`` on the same torch
  float64 tensors, with the same iteration limit and tolerance.

Both sides build their cost matrix inside the timed call, as a user would. The point
clouds are Gaussian (``--data gaussian``, dimension ``--dim``) or real digits
(``--data mnist``: the first n embedded train and test digits, 784 pixels, as
:func:`vegan_lib.metrics.w2_to_data` compares them).

    python -m benchmarks.transport [--sizes 100,1000,5000] [--methods exact,sinkhorn]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable

import numpy as np
import ot
import torch

from benchmarks.common import alternate, markdown_table, print_machine, timed, verdict
from vegan_lib.data import mnist
from vegan_lib.transport import sinkhorn, wasserstein

TARGET = 1.05
NUM_ITER_MAX_EMD = 10_000_000  # POT's default 100,000 stops short at n = 5,000 (ours: max(1e5, nm))
NUM_ITER_MAX_SINKHORN = 1000
STOP_THR = 1e-9
AGREEMENT = 1e-8  # relative difference allowed between the two values
MIN_SECONDS = 0.2  # a timed measurement repeats a fast call until it lasts about this long


def repeated(contenders: dict[str, Callable[[], float]]) -> tuple[dict[str, Callable], int]:
    """Calls per measurement so that the fastest contender's lasts >= MIN_SECONDS (warms up)."""
    fastest = min(timed(fn)[0] for fn in contenders.values())
    number = max(1, math.ceil(MIN_SECONDS / max(fastest, 1e-6)))

    def loop(fn: Callable[[], float]) -> Callable[[], float]:
        def run() -> float:
            for _ in range(number):
                value = fn()
            return value

        return run

    return {name: loop(fn) for name, fn in contenders.items()}, number


def point_clouds(n: int, data: str, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    if data == "mnist":
        x = mnist(n=n, split="train")[0].flatten(1).double().numpy()
        y = mnist(n=n, split="test")[0].flatten(1).double().numpy()
        return x, y
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)), rng.normal(size=(n, dim)) + 1.0


def exact_contenders(x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], float]]:
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def ours() -> float:
        return wasserstein(xt, yt, p=2, num_iter_max=NUM_ITER_MAX_EMD).item() ** 2

    def pot() -> float:
        return float(ot.emd2([], [], ot.dist(x, y), numItermax=NUM_ITER_MAX_EMD))

    return {"vegan_lib": ours, "POT": pot}


def sinkhorn_contenders(
    x: np.ndarray, y: np.ndarray, reg: float
) -> dict[str, Callable[[], float]]:
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def ours() -> float:
        return sinkhorn(xt, yt, reg, p=2, num_iter_max=NUM_ITER_MAX_SINKHORN,
                        stop_thr=STOP_THR).item()

    def pot() -> float:
        a = torch.full((xt.shape[0],), 1.0 / xt.shape[0], dtype=xt.dtype)
        b = torch.full((yt.shape[0],), 1.0 / yt.shape[0], dtype=yt.dtype)
        value = ot.sinkhorn2(a, b, ot.dist(xt, yt), reg, method="sinkhorn_log",
                             numItermax=NUM_ITER_MAX_SINKHORN, stopThr=STOP_THR)
        return float(value)

    return {"vegan_lib": ours, "POT": pot}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000",
                        help="comma-separated numbers of points n (both clouds)")
    parser.add_argument("--methods", default="exact,sinkhorn",
                        help="comma-separated subset of: exact, sinkhorn")
    parser.add_argument("--data", choices=("gaussian", "mnist"), default="gaussian")
    parser.add_argument("--dim", type=int, default=2, help="dimension of the Gaussian clouds")
    parser.add_argument("--reps", type=int, default=None,
                        help="timed measurements of each contender (default: 5 for "
                             "n <= 1000, else 3)")
    parser.add_argument("--reg-fraction", type=float, default=0.2,
                        help="Sinkhorn's reg as a fraction of the mean cost (default 0.2)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    parser.add_argument("--no-check", action="store_true",
                        help=f"only report; do not exit non-zero above {TARGET}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - {"exact", "sinkhorn"}
    if unknown:
        raise SystemExit(f"unknown method(s) {sorted(unknown)}; choose from exact, sinkhorn")
    if args.data == "mnist" and max(sizes) > 1000:
        raise SystemExit("--data mnist has 1,000 test digits: use --sizes up to 1000")
    dim = 784 if args.data == "mnist" else args.dim
    print_machine("Transport overhead: vegan_lib.transport against direct POT calls")
    print(f"POT {ot.__version__}; {args.data} clouds in dimension {dim}, float64, CPU; "
          f"median {args.clock} time per call; for n <= 1000 a warm-up call, and each "
          f"measurement repeats the call to last >= {MIN_SECONDS} s\n", flush=True)

    rows, worst, agree = [], 0.0, True
    for n in sizes:
        x, y = point_clouds(n, args.data, dim)
        reps = args.reps or (5 if n <= 1000 else 3)
        for method in methods:
            if method == "exact":
                contenders = exact_contenders(x, y)
                label = "exact W_2^2 (emd2)"
            else:
                reg = args.reg_fraction * float(ot.dist(x, y).mean())
                contenders = sinkhorn_contenders(x, y, reg)
                label = f"Sinkhorn (reg {reg:.3g})"
            print(f"timing {label}, n = {n} ...", file=sys.stderr, flush=True)
            if n <= 1000:
                contenders, number = repeated(contenders)  # also the warm-up
            else:
                number = 1
            timings, values = alternate(contenders, rounds=reps, warmup=0)
            ours = 1000 * timings["vegan_lib"].median(args.clock) / number
            pot = 1000 * timings["POT"].median(args.clock) / number
            ratio = ours / pot
            worst = max(worst, ratio)
            same = math.isclose(values["vegan_lib"], values["POT"], rel_tol=AGREEMENT)
            agree &= same
            rows.append([label, n, f"{reps} x {number}", ours, pot, ratio,
                         f"{values['vegan_lib']:.10g}", f"{values['POT']:.10g}",
                         verdict(ratio, TARGET) if same else "MISMATCH"])
    print(markdown_table(["method", "n", "reps x calls", "vegan_lib ms", "POT ms", "ratio",
                          "value vegan_lib", "value POT", "ok?"], rows))
    print(f"\nworst overhead ratio vegan_lib / POT: {worst:.3f} (target <= {TARGET}): "
          f"{verdict(worst, TARGET)}; values agree to {AGREEMENT:g}: {agree}")
    if not agree:
        return 2
    return 0 if args.no_check or worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
