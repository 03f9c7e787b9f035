"""Quality and cost of the FCD's digit classifier, with the library's defaults.

Trains :func:`vegan_lib.classifier.train_digit_classifier` on the 4,000 embedded training
digits for each seed, then reports its accuracy on the 1,000 held-out test digits
(target >= 95%), its training time (target <= 20 s on one CPU thread), how many of its
features are ever non-zero on the test digits, and the data floor of the Fréchet
classifier distance: real training digits against the test digits, n = 1,000.

    python -m benchmarks.classifier [--seeds 0,1,2] [--no-check]
"""

from __future__ import annotations

import argparse
import sys

import torch

from benchmarks.common import markdown_table, print_machine, timed
from vegan_lib.classifier import classifier_accuracy, train_digit_classifier
from vegan_lib.data import mnist
from vegan_lib.metrics import frechet_classifier_distance

MIN_ACCURACY = 0.95
MAX_SECONDS = 20.0


def live_features(classifier: torch.nn.Module, images: torch.Tensor) -> int:
    with torch.no_grad():
        return int((classifier.features(images).amax(dim=0) > 0).sum())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0", help="comma-separated training seeds")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="cpu",
                        help="which time the 20 s target applies to (default: CPU time, "
                             "steadier on a shared machine)")
    parser.add_argument("--no-check", action="store_true", help="only report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print_machine("Digit classifier of the Fréchet classifier distance")
    x, y = mnist(split="train")
    x_test, y_test = mnist(split="test")
    rows, ok = [], True
    for seed in (int(s) for s in args.seeds.split(",") if s):
        wall, cpu, net = timed(lambda s=seed: train_digit_classifier(x, y, seed=s,
                                                                     progress=False))
        accuracy = classifier_accuracy(net, x_test, y_test).item()
        floor = frechet_classifier_distance(x, x_test, net, n=1000).item()
        seconds = wall if args.clock == "wall" else cpu
        passed = accuracy >= MIN_ACCURACY and seconds <= MAX_SECONDS
        ok &= passed
        rows.append([seed, f"{100 * accuracy:.1f}%", wall, cpu,
                     f"{live_features(net, x_test)} / {net.feature_dim}", floor,
                     "ok" if passed else "FAIL"])
    print(markdown_table(["seed", "test accuracy", "train wall s", "train CPU s",
                          "live features", "FCD floor (train vs test, n=1000)", "ok?"], rows))
    print(f"\ntargets: test accuracy >= {MIN_ACCURACY:.0%}, training <= {MAX_SECONDS:g} s "
          f"({args.clock} time)")
    return 0 if args.no_check or ok else 1


if __name__ == "__main__":
    sys.exit(main())
