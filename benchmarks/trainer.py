"""Throughput of :func:`vegan_lib.train.fit` against a bare PyTorch loop doing the same work.

The model is chapter 3's WAE-MMD on the embedded MNIST digits
(``POTModel.for_mnist(z_dim=8, lam=10, divergence="mmd")``, batches of 100, Adam with
``lr=1e-3, betas=(0.5, 0.999)``, seed 0). The bare loop draws the same batches (a
``torch.Generator`` seeded like fit's, a fresh permutation per epoch, the last incomplete
batch dropped), seeds the global generator like fit (for the prior samples of the MMD),
and minimises the same ``model.losses(batch)["loss"]`` with the same Adam, so both end
with bit-identical weights (checked). What is left is fit's own work per step: the NaN
guards on the loss terms and gradients, the history, the progress bar.

    python -m benchmarks.trainer [--steps 100] [--rounds 5] [--no-check]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import sys

import torch

from benchmarks.common import alternate, markdown_table, print_machine, verdict
from vegan_lib.data import mnist
from vegan_lib.device import get_device
from vegan_lib.pot import POTModel
from vegan_lib.train import fit

BATCH_SIZE = 100
LR = 1e-3
BETAS = (0.5, 0.999)
SEED = 0
TARGET = 1.05


def make_model(device: torch.device) -> POTModel:
    torch.manual_seed(0)
    return POTModel.for_mnist(z_dim=8, lam=10.0, divergence="mmd").to(device)


def with_fit(model: POTModel, data: torch.Tensor, steps: int, progress: bool) -> POTModel:
    # tqdm writes to stderr: send it to /dev/null so the tables stay readable (the bar
    # is still drawn, at its usual rate).
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        fit(model, data, steps=steps, batch_size=BATCH_SIZE, lr=LR, betas=BETAS, seed=SEED,
            progress=progress)
    return model


def bare_loop(model: POTModel, data: torch.Tensor, steps: int) -> POTModel:
    """Chapter 3's training written by hand: what fit computes, nothing else."""
    generator = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    optimizer = torch.optim.Adam(model.main_parameters(), lr=LR, betas=BETAS)
    model.train()
    n, step = data.shape[0], 0
    while step < steps:
        order = torch.randperm(n, generator=generator).to(data.device)
        for start in range(0, n - BATCH_SIZE + 1, BATCH_SIZE):
            if step == steps:
                break
            batch = data[order[start : start + BATCH_SIZE]]
            optimizer.zero_grad(set_to_none=True)
            loss = model.losses(batch)["loss"]
            loss.backward()
            optimizer.step()
            step += 1
    return model


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps per timed run")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each loop")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each loop first")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="which median the overhead ratio uses (CPU time is steadier "
                             "on a shared machine)")
    parser.add_argument("--device", default=None, help="default: vegan_lib.get_device()")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                        help="fit with its progress bar, as the book runs it")
    parser.add_argument("--no-check", action="store_true",
                        help=f"only report; do not exit non-zero above {TARGET}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device) if args.device else get_device()
    print_machine("Trainer overhead: vegan_lib.train.fit against a bare PyTorch loop")
    data = mnist(split="train", device=device)[0]
    template = make_model(device)
    print(f"chapter 3 WAE-MMD on {len(data):,} embedded MNIST digits, {device}: "
          f"{args.steps} steps of {BATCH_SIZE} per run, {args.rounds} rounds after "
          f"{args.warmup} warm-up; fit progress bar: {args.progress}\n")

    runs = {
        "vegan_lib fit": lambda: with_fit(copy.deepcopy(template), data, args.steps,
                                          args.progress),
        "bare PyTorch loop": lambda: bare_loop(copy.deepcopy(template), data, args.steps),
    }
    timings, models = alternate(runs, rounds=args.rounds, warmup=args.warmup)
    identical = same_weights(models["vegan_lib fit"], models["bare PyTorch loop"])

    bare = timings["bare PyTorch loop"].median(args.clock)
    rows = []
    for name, t in timings.items():
        wall = t.median("wall")
        rows.append([name, wall, t.median("cpu"), round(args.steps * BATCH_SIZE / wall),
                     1000 * wall / args.steps, t.median(args.clock) / bare])
    print(markdown_table(["loop", "median wall s", "median CPU s", "samples/s (wall)",
                          "ms/step (wall)", f"time ratio ({args.clock})"], rows))
    ratio = timings["vegan_lib fit"].median(args.clock) / bare
    print(f"\nsame final weights in both loops: {identical}")
    print(f"overhead ratio fit / bare ({args.clock} time, median of {args.rounds}): "
          f"{ratio:.3f} (target <= {TARGET}): {verdict(ratio, TARGET)}")
    if not identical:
        print("the two loops did not compute the same thing; the comparison is void",
              file=sys.stderr)
        return 2
    return 0 if args.no_check or ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
