"""Device selection and seeding."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from vegan_lib.device import get_device, seed_everything


def test_get_device_returns_cuda_exactly_when_cuda_is_available(monkeypatch):
    monkeypatch.delenv("VEGAN_DEVICE", raising=False)
    device = get_device()
    if torch.cuda.is_available():
        assert device.type == "cuda"
    else:
        assert device.type in {"mps", "cpu"}


def test_get_device_falls_back_to_cpu_without_accelerators(monkeypatch):
    monkeypatch.delenv("VEGAN_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("vegan_lib.device._mps_available", lambda: False)
    assert get_device() == torch.device("cpu")


def test_vegan_device_environment_variable_forces_the_cpu(monkeypatch):
    monkeypatch.setenv("VEGAN_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_requesting_cuda_without_a_gpu_raises_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="prefer='cuda' asks for CUDA.*use prefer='cpu'"):
        get_device("cuda")


def test_seed_everything_makes_python_numpy_and_torch_repeat():
    seed_everything(123)
    first = (random.random(), np.random.rand(), torch.rand(3))  # noqa: NPY002
    seed_everything(123)
    second = (random.random(), np.random.rand(), torch.rand(3))  # noqa: NPY002
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2])
    seed_everything(124)
    assert not torch.equal(torch.rand(3), first[2])


def test_seed_everything_returns_a_seeded_generator():
    a = torch.rand(4, generator=seed_everything(7))
    b = torch.rand(4, generator=seed_everything(7))
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_seed_everything_repeats_cuda_draws():
    seed_everything(5)
    a = torch.rand(3, device="cuda")
    seed_everything(5)
    b = torch.rand(3, device="cuda")
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    ("bad", "match"), [(2.0, "seed must be an integer"), (-5, r"\[0, 2\*\*32\)")]
)
def test_seed_everything_names_the_seed_and_the_fix(bad, match):
    with pytest.raises(ValueError, match=rf"{match}.*e\.g\. seed=0"):
        seed_everything(bad)


# --------------------------------------------------------------------------- bad input (issue 16)
def _callers():
    from vegan_lib.classifier import train_digit_classifier
    from vegan_lib.data import digits, mnist, toy_2d
    from vegan_lib.pot import POTModel
    from vegan_lib.recipes import build
    from vegan_lib.train import fit

    return {
        "get_device": ("prefer", lambda d: get_device(d)),
        "fit": ("device", lambda d: fit(POTModel.for_toy(hidden=(4,)), torch.randn(20, 2),
                                        steps=1, batch_size=10, progress=False, device=d)),
        "toy_2d": ("device", lambda d: toy_2d("moons", 10, device=d)),
        "mnist": ("device", lambda d: mnist(10, device=d)),
        "digits": ("device", lambda d: digits(10, device=d)),
        "train_digit_classifier": ("device", lambda d: train_digit_classifier(
            torch.rand(16, 1, 28, 28), torch.arange(16) % 10, steps=1, batch_size=8,
            progress=False, device=d)),
        "recipes.build": ("device", lambda d: build("WAE-MMD", d)),
    }


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ("gpu", r"='gpu' is not a device; use 'cpu', 'cuda', 'cuda:<index>', 'mps'"),
        ("CPU", r"='CPU' is not a device; .*\(lower case\)"),
        (["cpu"], r" must be 'cpu', 'cuda', .* got list"),
        ("cuda:0", r"='cuda:0' asks for CUDA, which this torch .* cannot use"),
    ],
)
@pytest.mark.parametrize("caller", sorted(_callers()))
def test_a_bad_device_is_refused_naming_the_argument_and_the_choices(
    monkeypatch, caller, bad, match
):
    # Before: torch's RuntimeError ("Expected one of cpu, cuda, ...") or AssertionError.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a CPU-only torch
    name, call = _callers()[caller]
    with pytest.raises(ValueError, match=rf"{name}{match}"):
        call(bad)


@pytest.mark.parametrize("value", ["gpu", "CPU"])
def test_a_bad_vegan_device_variable_is_named(monkeypatch, value):
    monkeypatch.setenv("VEGAN_DEVICE", value)
    with pytest.raises(ValueError, match=rf"VEGAN_DEVICE='{value}' is not a device; use 'cpu'"):
        get_device()
