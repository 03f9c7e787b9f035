"""Tests for vegan_lib.data: shapes, ranges, determinism, splits and error messages."""

from __future__ import annotations

import hashlib
import sys
import types

import numpy as np
import pytest
import torch

from vegan_lib.data import TOY_NAMES, digits, mnist, toy_2d

EIGHT_CENTRES = 2.0 * np.array(
    [[np.cos(2 * np.pi * k / 8), np.sin(2 * np.pi * k / 8)] for k in range(8)]
)
GRID_CENTRES = np.array([[a, b] for a in range(-2, 3) for b in range(-2, 3)], dtype=float)


def _nearest_centre(points: torch.Tensor, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force distance to, and index of, the nearest centre of each point."""
    p = points.double().numpy()
    dist = np.sqrt(((p[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    return dist.min(axis=1), dist.argmin(axis=1)


def _row_hashes(images: torch.Tensor) -> set[str]:
    rows = (images.reshape(len(images), -1) * 255).round().to(torch.uint8).numpy()
    return {hashlib.sha1(row.tobytes()).hexdigest() for row in rows}


# ----------------------------------------------------------------------------- toy_2d
@pytest.mark.parametrize("name", TOY_NAMES)
def test_toy_2d_returns_float32_points_of_shape_n_by_2_in_about_minus2_2(name):
    x = toy_2d(name, 300)
    assert x.shape == (300, 2) and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    assert x.abs().max().item() < 2.6, f"{name} reaches {x.abs().max().item():.2f}"
    assert x.std(dim=0).min().item() > 0.3, f"{name} is degenerate: std {x.std(dim=0)}"


@pytest.mark.parametrize("name", TOY_NAMES)
def test_toy_2d_is_deterministic_and_ignores_global_random_state(name):
    # The legacy global NumPy state is exactly what toy_2d must not depend on.
    torch.manual_seed(1)
    np.random.seed(1)  # noqa: NPY002
    first = toy_2d(name, 200, seed=5)
    torch.manual_seed(12345)
    np.random.seed(999)  # noqa: NPY002
    np.random.rand(7)  # noqa: NPY002
    second = toy_2d(name, 200, seed=5)
    assert torch.equal(first, second)


@pytest.mark.parametrize("name", TOY_NAMES)
def test_toy_2d_different_seeds_give_different_samples(name):
    a, b = toy_2d(name, 200, seed=0), toy_2d(name, 200, seed=1)
    assert not torch.allclose(a, b), f"{name}: seeds 0 and 1 gave the same points"


def test_8gaussians_points_lie_near_the_8_centres_and_use_all_of_them():
    x = toy_2d("8gaussians", 2000)
    distance, nearest = _nearest_centre(x, EIGHT_CENTRES)
    assert distance.max() < 0.25, f"a point is {distance.max():.3f} from every centre"
    counts = np.bincount(nearest, minlength=8)
    assert (counts > 0).all(), f"unused centres: counts {counts}"
    assert counts.min() > 150, f"modes are unbalanced: counts {counts}"


def test_25gaussians_points_lie_near_the_grid_and_use_all_25_centres():
    x = toy_2d("25gaussians", 2500)
    distance, nearest = _nearest_centre(x, GRID_CENTRES)
    assert distance.max() < 0.35, f"a point is {distance.max():.3f} from every centre"
    used = np.unique(nearest)
    assert len(used) == 25, f"only {len(used)} of 25 centres used"


def test_rings_points_lie_on_three_circles():
    radius = toy_2d("rings", 1500).norm(dim=1).numpy()
    offset = np.min(np.abs(radius[:, None] - np.array([2 / 3, 4 / 3, 2.0])[None]), axis=1)
    assert offset.max() < 0.2, f"a point is {offset.max():.3f} away from every ring"


def test_moons_are_centred_at_the_origin():
    mean = toy_2d("moons", 4000).mean(dim=0)
    assert mean.abs().max().item() < 0.05, f"mean of moons is {mean.tolist()}"


def test_toy_2d_respects_the_device_argument():
    x = toy_2d("moons", 10, device="cpu")
    assert x.device == torch.device("cpu")
    y = toy_2d("moons", 10, device=torch.device("cpu"))
    assert torch.equal(x, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_data_lands_on_cuda_when_asked():
    assert toy_2d("rings", 10, device="cuda").device.type == "cuda"
    images, labels = mnist(n=10, device="cuda")
    assert images.device.type == "cuda" and labels.device.type == "cuda"
    assert digits(n=10, device="cuda")[0].device.type == "cuda"


def test_toy_2d_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown toy data set 'spiral'.*8gaussians"):
        toy_2d("spiral", 10)


@pytest.mark.parametrize("bad_n", [0, -3, 2.5, True, "10", None])
def test_toy_2d_rejects_n_that_is_not_a_positive_int(bad_n):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        toy_2d("moons", bad_n)


@pytest.mark.parametrize("bad_seed", [-1, 2**32, 1.0, False])
def test_toy_2d_rejects_bad_seeds(bad_seed):
    with pytest.raises(ValueError, match="seed must be"):
        toy_2d("moons", 10, seed=bad_seed)


# ----------------------------------------------------------------------------- mnist
def test_embedded_mnist_train_split_has_4000_images_in_0_1_with_400_per_class():
    images, labels = mnist()
    assert images.shape == (4000, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (4000,) and labels.dtype == torch.int64
    assert images.min().item() == 0.0 and images.max().item() == 1.0
    assert (images.reshape(4000, -1).amax(dim=1) > 0).all(), "an image is all zero"
    counts = torch.bincount(labels, minlength=10).tolist()
    assert counts == [400] * 10, counts


def test_embedded_mnist_test_split_has_1000_images_with_100_per_class():
    images, labels = mnist(split="test")
    assert images.shape == (1000, 1, 28, 28)
    assert torch.bincount(labels, minlength=10).tolist() == [100] * 10


def test_embedded_mnist_pixels_are_multiples_of_1_over_255():
    images, _ = mnist(n=50)
    levels = images * 255
    assert torch.allclose(levels, levels.round(), atol=1e-4)


def test_embedded_mnist_train_and_test_share_no_image():
    train, _ = mnist(split="train")
    test, _ = mnist(split="test")
    train_hashes, test_hashes = _row_hashes(train), _row_hashes(test)
    assert len(train_hashes) == 4000 and len(test_hashes) == 1000
    assert not train_hashes & test_hashes, f"{len(train_hashes & test_hashes)} shared images"


def test_embedded_mnist_split_does_not_depend_on_seed():
    a, _ = mnist(split="test", seed=0)
    b, _ = mnist(split="test", seed=7)
    assert _row_hashes(a) == _row_hashes(b)
    assert not torch.equal(a, b), "seed should reorder the examples within the split"


def test_embedded_mnist_is_deterministic_and_first_n_are_the_canonical_prefix():
    images, labels = mnist(n=200)
    again_images, again_labels = mnist(n=200)
    assert torch.equal(images, again_images) and torch.equal(labels, again_labels)
    all_images, all_labels = mnist()
    assert torch.equal(images, all_images[:200]) and torch.equal(labels, all_labels[:200])
    assert len(torch.unique(labels[:50])) >= 8, f"first 50 labels: {labels[:50].tolist()}"


def test_embedded_mnist_n_larger_than_the_split_names_the_maximum_and_torchvision():
    with pytest.raises(ValueError, match="4000.*torchvision"):
        mnist(n=4001)
    with pytest.raises(ValueError, match="1000.*torchvision"):
        mnist(n=1001, split="test")


@pytest.mark.parametrize("bad_n", [0, -1, 1.5, True])
def test_mnist_rejects_n_that_is_not_a_positive_int(bad_n):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        mnist(n=bad_n)


def test_mnist_bad_split_lists_the_valid_splits():
    with pytest.raises(ValueError, match="split must be one of.*train.*test"):
        mnist(split="valid")


def test_mnist_bad_source_lists_the_valid_sources():
    with pytest.raises(ValueError, match="source must be one of.*embedded.*torchvision"):
        mnist(source="keras")


def test_mnist_respects_the_device_argument():
    images, labels = mnist(n=5, device="cpu")
    assert images.device == torch.device("cpu") and labels.device == torch.device("cpu")


# ----------------------------------------------------------------------------- torchvision
def _fake_torchvision(mnist_class) -> types.ModuleType:
    module = types.ModuleType("torchvision")
    module.datasets = types.SimpleNamespace(MNIST=mnist_class)
    return module


def test_torchvision_source_without_torchvision_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    with pytest.raises(RuntimeError, match="pip install torchvision.*embedded"):
        mnist(source="torchvision")


def test_torchvision_source_with_absent_files_names_root_and_download(monkeypatch, tmp_path):
    def missing(root, train, download):
        raise RuntimeError("Dataset not found. You can use download=True to download it")

    monkeypatch.setitem(sys.modules, "torchvision", _fake_torchvision(missing))
    with pytest.raises(RuntimeError, match="not found under") as info:
        mnist(source="torchvision", root=tmp_path)
    assert str(tmp_path) in str(info.value) and "download=True" in str(info.value)


def test_torchvision_source_with_failed_download_says_internet_is_needed(monkeypatch, tmp_path):
    def offline(root, train, download):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setitem(sys.modules, "torchvision", _fake_torchvision(offline))
    with pytest.raises(RuntimeError, match="internet"):
        mnist(source="torchvision", root=tmp_path, download=True)


def test_torchvision_root_defaults_to_the_vegan_data_variable(monkeypatch, tmp_path):
    seen = {}

    def record(root, train, download):
        seen.update(root=root, train=train, download=download)
        raise RuntimeError("Dataset not found.")

    monkeypatch.setenv("VEGAN_DATA", str(tmp_path))
    monkeypatch.setitem(sys.modules, "torchvision", _fake_torchvision(record))
    with pytest.raises(RuntimeError):
        mnist(split="test", source="torchvision")
    assert seen == {"root": str(tmp_path), "train": False, "download": False}


def test_torchvision_source_converts_uint8_data_to_float_in_0_1(monkeypatch, tmp_path):
    generator = torch.Generator().manual_seed(0)
    data = torch.randint(0, 256, (30, 28, 28), dtype=torch.uint8, generator=generator)
    data[0] = 255
    targets = torch.arange(30) % 10

    class FakeMNIST:
        def __init__(self, root, train, download):
            self.data, self.targets = data, targets

    monkeypatch.setitem(sys.modules, "torchvision", _fake_torchvision(FakeMNIST))
    images, labels = mnist(n=30, source="torchvision", root=tmp_path, device="cpu")
    assert images.shape == (30, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (30,) and labels.dtype == torch.int64
    assert images.min().item() >= 0.0 and images.max().item() == 1.0
    # Same examples, possibly reordered: match each returned image to its source row.
    expected = {
        hashlib.sha1(row.numpy().tobytes()).hexdigest(): int(t)
        for row, t in zip(data.reshape(30, -1), targets, strict=True)
    }
    for image, label in zip(images, labels, strict=True):
        pixels = (image.reshape(-1) * 255).round().to(torch.uint8).numpy()
        assert expected[hashlib.sha1(pixels.tobytes()).hexdigest()] == int(label)
    with pytest.raises(ValueError, match="30 examples"):
        mnist(n=31, source="torchvision", root=tmp_path)


# ----------------------------------------------------------------------------- digits
def test_digits_are_1797_images_8x8_in_0_1_with_int64_labels():
    images, labels = digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    assert labels.shape == (1797,) and labels.dtype == torch.int64
    assert images.min().item() == 0.0 and images.max().item() == 1.0
    assert (images.reshape(1797, -1).amax(dim=1) > 0).all()
    assert sorted(torch.unique(labels).tolist()) == list(range(10))


def test_digits_match_scikit_learn_divided_by_16():
    from sklearn.datasets import load_digits

    raw = load_digits()
    images, labels = digits(n=20, seed=3)
    for image, label in zip(images, labels, strict=True):
        match = np.flatnonzero(
            (np.abs(raw.images / 16.0 - image[0].numpy()) < 1e-6).all(axis=(1, 2))
        )
        assert len(match) >= 1, "an image is not one of scikit-learn's digits / 16"
        assert label.item() in raw.target[match], (label.item(), raw.target[match])


def test_digits_are_deterministic_and_n_is_validated():
    assert torch.equal(digits(n=10)[0], digits(n=10)[0])
    with pytest.raises(ValueError, match="1797"):
        digits(n=1798)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        digits(n=0)


# ----------------------------------------------------------------------------- moved validators
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: toy_2d("moons", 0), r"n must be a positive integer, got 0; e\.g\. n=500"),
        (lambda: mnist(n=-1), r"n must be a positive integer, got -1; e\.g\. n=500"),
        (lambda: digits(n=2.0), r"n must be a positive integer.*n=500"),
        (lambda: toy_2d("moons", 5, seed="0"), r"seed must be an integer.*seed=0"),
        (lambda: digits(seed=2**32), r"seed must be in \[0, 2\*\*32\).*seed=0"),
        (lambda: mnist(split="val"), r"split must be one of .*split='train'"),
        (lambda: mnist(source=None), r"source must be one of .*source='embedded'"),
    ],
)
def test_data_validators_name_the_argument_and_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()
