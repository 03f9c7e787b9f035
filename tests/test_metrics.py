"""Tests for vegan_lib.metrics: the WAE paper's sharpness, W_2 to data and the data floor."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter
from scipy.optimize import linear_sum_assignment
from scipy.signal import convolve2d

from vegan_lib.data import mnist
from vegan_lib.metrics import data_floor, sharpness, sharpness_ratio, w2_to_data
from vegan_lib.transport import wasserstein

LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _scipy_sharpness(images: np.ndarray) -> float:
    return float(np.mean([np.var(convolve2d(im, LAPLACIAN, mode="valid")) for im in images]))


def _loop_sharpness(image: np.ndarray) -> float:
    h, w = image.shape
    values = []
    for r in range(1, h - 1):
        for c in range(1, w - 1):
            values.append(
                image[r - 1, c] + image[r + 1, c] + image[r, c - 1] + image[r, c + 1]
                - 4 * image[r, c]
            )
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


@pytest.fixture(scope="module")
def digits():
    images, _ = mnist(n=64)
    return images


def test_sharpness_equals_scipy_valid_convolution_variance_on_digits(digits):
    want = _scipy_sharpness(digits[:, 0].double().numpy())
    got = sharpness(digits.double())
    assert got.item() == pytest.approx(want, rel=1e-12), (got.item(), want)


def test_sharpness_equals_an_explicit_loop_on_a_random_rectangle():
    rng = np.random.default_rng(0)
    image = rng.random((5, 7))
    got = sharpness(torch.tensor(image)[None]).item()
    assert got == pytest.approx(_loop_sharpness(image), rel=1e-12)


def test_sharpness_accepts_both_shapes_and_returns_a_scalar_tensor(digits):
    a, b = sharpness(digits), sharpness(digits[:, 0])
    assert a.ndim == 0 and a.dtype == torch.float32
    assert a.item() == pytest.approx(b.item(), rel=1e-6)
    assert sharpness(digits.double()).dtype == torch.float64


def test_sharpness_strictly_decreases_under_increasing_gaussian_blur(digits):
    images = digits[:, 0].double().numpy()
    values = [sharpness(digits.double()).item()]
    for sigma in (0.5, 1.0, 1.5, 2.0):
        blurred = np.stack([gaussian_filter(im, sigma) for im in images])
        values.append(sharpness(torch.from_numpy(blurred)).item())
    assert all(a > b for a, b in zip(values[:-1], values[1:], strict=True)), values


def test_sharpness_is_zero_for_flat_and_linear_ramp_images():
    ramp = torch.arange(30, dtype=torch.float64).reshape(1, 5, 6)  # Laplacian of a ramp = 0
    assert sharpness(ramp).item() == pytest.approx(0.0, abs=1e-20)
    assert sharpness(torch.full((3, 4, 4), 0.7)).item() == pytest.approx(0.0, abs=1e-12)


def test_sharpness_scales_with_the_square_of_the_contrast(digits):
    ratio = (sharpness(3.0 * digits.double()) / sharpness(digits.double())).item()
    assert ratio == pytest.approx(9.0, rel=1e-12)


def test_sharpness_ratio_is_one_for_the_reference_and_below_one_when_blurred(digits):
    assert sharpness_ratio(digits, digits).item() == pytest.approx(1.0, rel=1e-6)
    blurred = torch.from_numpy(np.stack([gaussian_filter(im, 1.0) for im in digits[:, 0].numpy()]))
    ratio = sharpness_ratio(blurred, digits).item()
    want = sharpness(blurred).item() / sharpness(digits).item()
    assert ratio == pytest.approx(want, rel=1e-6) and ratio < 1.0, ratio


def test_sharpness_ratio_rejects_a_constant_reference(digits):
    with pytest.raises(ValueError, match="sharpness 0"):
        sharpness_ratio(digits, torch.zeros(2, 28, 28))
    with pytest.raises(ValueError, match="reference"):
        sharpness_ratio(digits, torch.zeros(2, 3, 28, 28))


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (np.zeros((2, 5, 5)), "torch.Tensor"),
        (torch.zeros(5, 5), r"\(N, H, W\)"),
        (torch.zeros(2, 1, 1, 5, 5), r"\(N, H, W\)"),
        (torch.zeros(2, 3, 5, 5), "one channel"),
        (torch.zeros(2, 2, 5), "at least 3 x 3"),
        (torch.zeros(0, 5, 5), "empty"),
        (torch.zeros(2, 5, 5, dtype=torch.uint8), "floating-point"),
        (torch.tensor([[[0.0, 1, 2], [3, float("nan"), 5], [6, 7, 8]]]), "NaN"),
        (torch.tensor([[[0.0, 1, 2], [3, float("inf"), 5], [6, 7, 8]]]), "NaN or inf"),
    ],
)
def test_sharpness_rejects_bad_images(images, match):
    with pytest.raises(ValueError, match=match):
        sharpness(images)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_sharpness_stays_on_cuda(digits):
    got = sharpness(digits.cuda())
    assert got.device.type == "cuda"
    assert got.item() == pytest.approx(sharpness(digits).item(), rel=1e-5)


# --------------------------------------------------------------------------- W_2 to data
def _assignment_w2(x: np.ndarray, y: np.ndarray) -> float:
    # Uniform clouds of equal size: some optimal plan is a permutation (Birkhoff), so the
    # exact W_2 is the square root of the mean squared distance of the best assignment.
    cost = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    rows, cols = linear_sum_assignment(cost)
    return float(np.sqrt(cost[rows, cols].mean()))


def test_w2_to_data_equals_a_direct_wasserstein_on_flattened_images(digits):
    samples, reference = digits[:20], digits[30:60]
    got = w2_to_data(samples, reference, n=20)
    want = wasserstein(samples.flatten(1).double(), reference[:20].flatten(1).double())
    assert got.dtype == torch.float64 and got.ndim == 0
    assert got.item() == pytest.approx(want.item(), rel=1e-12), (got.item(), want.item())


def test_w2_to_data_equals_the_best_assignment_of_the_first_n_images(digits):
    samples, reference = digits[:25].double(), digits[25:64].double()
    want = _assignment_w2(samples[:15].flatten(1).numpy(), reference[:15].flatten(1).numpy())
    got = w2_to_data(samples, reference, n=15).item()
    assert got == pytest.approx(want, rel=1e-10), (got, want)


def test_w2_to_data_is_zero_for_identical_sets_even_in_another_order(digits):
    assert w2_to_data(digits, digits, n=30).item() == pytest.approx(0.0, abs=1e-6)
    shuffled = digits[:30][torch.randperm(30, generator=torch.Generator().manual_seed(0))]
    assert w2_to_data(shuffled, digits, n=30).item() == pytest.approx(0.0, abs=1e-6)


def test_w2_to_data_accepts_flat_and_image_shapes_alike(digits):
    a = w2_to_data(digits[:10], digits[10:20], n=10).item()
    b = w2_to_data(digits[:10].flatten(1), digits[10:20, 0], n=10).item()
    assert a == pytest.approx(b, rel=1e-12), (a, b)


def test_w2_to_data_of_a_translation_is_the_shift_norm():
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.random((12, 1, 3, 3)))
    got = w2_to_data(x + 0.5, x, n=12).item()
    assert got == pytest.approx(0.5 * 3.0, rel=1e-12), got  # 9 pixels shifted by 0.5


@pytest.mark.parametrize(
    ("samples", "reference", "n", "match"),
    [
        (np.zeros((4, 2, 2)), torch.zeros(4, 2, 2), 4, "torch.Tensor"),
        (torch.zeros(4, 2, 2), torch.zeros(4, 2, 2, dtype=torch.uint8), 4, "floating-point"),
        (torch.zeros(4), torch.zeros(4, 1), 4, r"shape \(N, \.\.\.\)"),
        (torch.zeros(3, 2, 2), torch.zeros(5, 2, 2), 4, "holds 3 images but n=4"),
        (torch.zeros(5, 2, 2), torch.zeros(3, 2, 2), 4, "reference holds 3 images"),
        (torch.zeros(4, 2, 2), torch.zeros(4, 3, 3), 4, "same size"),
        (torch.zeros(4, 2, 2), torch.full((4, 2, 2), float("nan")), 4, "NaN or inf"),
        (torch.zeros(4, 2, 2), torch.zeros(4, 2, 2), 0, "positive integer"),
        (torch.zeros(4, 2, 2), torch.zeros(4, 2, 2), 2.0, "positive integer"),
    ],
)
def test_w2_to_data_rejects_bad_input(samples, reference, n, match):
    with pytest.raises(ValueError, match=match):
        w2_to_data(samples, reference, n=n)


def test_data_floor_is_the_w2_between_train_and_test_digits():
    train, _ = mnist(n=40, split="train")
    test, _ = mnist(n=40, split="test")
    want = _assignment_w2(train.flatten(1).double().numpy(), test.flatten(1).double().numpy())
    got = data_floor(train, test, n=40).item()
    assert got == pytest.approx(want, rel=1e-10), (got, want)
    assert got > 0


def test_data_floor_rejects_overlapping_sets(digits):
    with pytest.raises(ValueError, match="disjoint"):
        data_floor(digits, digits, n=10)
    with pytest.raises(ValueError, match="train_images holds 64 images"):
        data_floor(digits, digits, n=100)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_w2_to_data_stays_on_cuda(digits):
    got = w2_to_data(digits[:10].cuda(), digits[10:20].cuda(), n=10)
    assert got.device.type == "cuda"
    assert got.item() == pytest.approx(w2_to_data(digits[:10], digits[10:20], n=10).item())
