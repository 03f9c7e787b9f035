"""Helpers shared by the benchmarks: the machine, alternating timings, markdown tables."""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from vegan_lib.device import get_device


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def matmul_gflops(n: int = 1024, repeats: int = 20) -> float:
    """GFLOP/s of an ``n`` x ``n`` float32 matrix product on one torch thread (best of 3).

    One line that places a machine: the same kind of machine varies by up to 4x, so times
    measured on two machines are compared only through this rate.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(repeats):
                a @ b
            best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
    return 2 * n**3 * repeats / best / 1e9


def machine_lines() -> list[str]:
    """What a reader needs to compare figures: CPU, cores, its one-thread matrix-product rate,
    torch, threads, device, OMP_NUM_THREADS."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return [
        f"- machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- CPU: {cpu_model()}; 1024² float32 matrix product on one thread: "
        f"{matmul_gflops():.0f} GFLOP/s",
        f"- CPU count: {os.cpu_count()} (usable by this process: {usable})",
        f"- torch {torch.__version__}, torch threads: {torch.get_num_threads()}",
        f"- device: {get_device()}",
        f"- OMP_NUM_THREADS: {os.environ.get('OMP_NUM_THREADS', '(unset)')}",
    ]


def print_machine(title: str) -> None:
    print(f"## {title}\n")
    print("\n".join(machine_lines()))
    print()


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table, numbers right-aligned."""

    def numeric(value: object) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    align = ["---:" if rows and numeric(rows[0][i]) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in rows:
        cells = [_cell(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@dataclass
class Timings:
    """Wall and CPU seconds of repeated runs of one contender."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def median(self, clock: str) -> float:
        return statistics.median(self.wall if clock == "wall" else self.cpu)


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Run ``fn`` once; return (wall seconds, CPU seconds of this process, its result)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0, result


def alternate(
    contenders: dict[str, Callable[[], object]], rounds: int, warmup: int = 1
) -> tuple[dict[str, Timings], dict[str, object]]:
    """Time the contenders in alternation, ``warmup`` untimed rounds first.

    The order flips every round (A B, B A, ...), so a slow drift of the machine (other
    jobs starting, the CPU clocking down) hits every contender alike. Returns the
    timings and the last result of each contender.
    """
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    timings = {name: Timings() for name in names}
    results: dict[str, object] = {}
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            wall, cpu, results[name] = timed(contenders[name])
            timings[name].wall.append(wall)
            timings[name].cpu.append(cpu)
    return timings, results


def verdict(ratio: float, target: float) -> str:
    return "ok" if ratio <= target else "OVER"
