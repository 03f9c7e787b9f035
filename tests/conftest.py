"""Shared test settings."""

from __future__ import annotations

import matplotlib
import pytest
import torch

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # Test tensors are tiny: one thread is as fast, and it avoids the 10-100x slowdown of
    # OpenMP threads spinning when other processes share the machine's two cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
