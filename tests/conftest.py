"""Shared test settings."""

from __future__ import annotations

import matplotlib
import pytest
import torch

from vegan_lib.classifier import train_digit_classifier
from vegan_lib.data import mnist

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # Test tensors are tiny: one thread is as fast, and it avoids the 10-100x slowdown of
    # OpenMP threads spinning when other processes share the machine's two cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# Shared by the classifier and metrics tests: 600 training digits and a briefly trained classifier.
@pytest.fixture(scope="module")
def labelled_digits():
    train_x, train_y = mnist(n=600, split="train")
    test_x, test_y = mnist(n=300, split="test")
    return train_x, train_y, test_x, test_y


@pytest.fixture(scope="module")
def small_classifier(labelled_digits):
    x, y, _, _ = labelled_digits
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module fixtures run outside conftest's per-test thread fixture
    try:
        return train_digit_classifier(x, y, steps=150, batch_size=32, lr=2e-3, progress=False)
    finally:
        torch.set_num_threads(threads)
