"""fit against a bare PyTorch loop on a CUDA GPU: time and host synchronisations per step.

On a GPU the host queues kernels and runs ahead of them. Every copy of a value to the
host (``.item()``, ``.tolist()``, ``bool(tensor)``), and every blocking copy from it,
makes the host wait until the queue has drained: the GPU then idles while the host
prepares the next kernels. :func:`vegan_lib.train.fit` makes one such copy per update
(the loss terms and its gradient check together, before the optimizer step); the bare
loop of :mod:`benchmarks.trainer` makes none. Two workloads:

* chapter 3's WAE-MMD on the embedded MNIST digits (conv nets, batches of 100), as in
  ``benchmarks.trainer``;
* a WAE-MMD on 2-D toy data with MLPs of width 128 (``POTModel.for_toy()``, batches of
  100), where a step is a few dozen tiny kernels and every wait shows.

The data live on the GPU. Synchronisations are counted with
``torch.cuda.set_sync_debug_mode("warn")`` over one run of each loop; fit's own are the
difference. Weights may differ in the last bits between the loops (cuDNN's
non-deterministic kernels); the largest difference is printed. Without a CUDA GPU the
script says so and exits 0.

    python -m benchmarks.fit_overhead_cuda [--steps 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import copy
import sys
import warnings
from collections.abc import Callable

import torch

from benchmarks.common import alternate, markdown_table, print_machine
from benchmarks.trainer import BATCH_SIZE, bare_loop, with_fit
from vegan_lib.data import mnist, toy_2d
from vegan_lib.pot import POTModel

MAX_OWN_SYNCS = 1.0  # fit's promise: at most one synchronisation of its own per update


def workloads(device: torch.device) -> dict[str, tuple[POTModel, torch.Tensor]]:
    torch.manual_seed(0)
    conv = POTModel.for_mnist(z_dim=8, lam=10.0, divergence="mmd").to(device)
    torch.manual_seed(0)
    mlp = POTModel.for_toy(divergence="mmd").to(device)
    return {
        "chapter 3 WAE-MMD, MNIST (conv)": (conv, mnist(split="train", device=device)[0]),
        "WAE-MMD, 2-D toy (MLP 128)": (mlp, toy_2d("8gaussians", 4000, device=device)),
    }


def synchronised(fn: Callable[[], torch.nn.Module]) -> Callable[[], torch.nn.Module]:
    def run() -> torch.nn.Module:
        model = fn()
        torch.cuda.synchronize()
        return model

    return run


def count_syncs(fn: Callable[[], object]) -> int:
    """How many synchronising CUDA calls ``fn`` makes (torch's sync debug mode)."""
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def max_difference(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters(),
                                                           strict=True))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="training steps per timed run")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each loop")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each loop first")
    parser.add_argument("--device", default="cuda", help="a CUDA device (default: cuda)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                        help="fit with its progress bar, as the book runs it")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA GPU visible to torch: nothing to measure (benchmarks.trainer times "
              "fit on the CPU)")
        return 0
    device = torch.device(args.device)
    print_machine("fit against a bare PyTorch loop on CUDA: time and synchronisations")
    print(f"{torch.cuda.get_device_name(device)}; {args.steps} steps of {BATCH_SIZE} per "
          f"run, {args.rounds} rounds after {args.warmup} warm-up; fit progress bar: "
          f"{args.progress}\n")
    rows, worst = [], 0.0
    for name, (template, data) in workloads(device).items():
        runs = {
            "fit": synchronised(lambda t=template, d=data: with_fit(
                copy.deepcopy(t), d, args.steps, args.progress)),
            "bare": synchronised(lambda t=template, d=data: bare_loop(
                copy.deepcopy(t), d, args.steps)),
        }
        timings, models = alternate(runs, rounds=args.rounds, warmup=args.warmup)
        syncs = {k: count_syncs(run) / args.steps for k, run in runs.items()}
        own = syncs["fit"] - syncs["bare"]
        worst = max(worst, own)
        fit_s, bare_s = timings["fit"].median("wall"), timings["bare"].median("wall")
        rows.append([name, args.steps / fit_s, args.steps / bare_s, fit_s / bare_s,
                     syncs["fit"], syncs["bare"], f"{max_difference(*models.values()):.1e}"])
    print(markdown_table(["workload", "fit steps/s", "bare steps/s", "time ratio fit/bare",
                          "syncs/step fit", "syncs/step bare", "max abs weight diff"], rows))
    print(f"\nfit's own synchronisations per step: at most {worst:.2f} "
          f"(target <= {MAX_OWN_SYNCS:g})")
    return 0 if worst <= MAX_OWN_SYNCS else 1


if __name__ == "__main__":
    sys.exit(main())
