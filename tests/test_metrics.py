"""Tests for vegan_lib.metrics: sharpness, W_2 to data, the data floor and the Fréchet distances."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm
from scipy.ndimage import gaussian_filter
from scipy.optimize import linear_sum_assignment
from scipy.signal import convolve2d
from torch import nn

from vegan_lib.data import mnist
from vegan_lib.metrics import (
    classifier_accuracy,
    data_floor,
    frechet_classifier_distance,
    frechet_distance,
    sharpness,
    sharpness_ratio,
    train_digit_classifier,
    w2_to_data,
)
from vegan_lib.nets import DigitClassifier
from vegan_lib.transport import gaussian_w2, wasserstein

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


# --------------------------------------------------------------------------- Fréchet distance
def _random_features(n: int, d: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    # Correlated, anisotropic features: a random linear map of Gaussian noise.
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) * rng.uniform(0.2, 2.0, size=d)
    return torch.from_numpy(rng.normal(size=(n, d)) @ mixing + shift)


def _numpy_moments(f: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    a = f.double().numpy()
    return a.mean(axis=0), np.cov(a, rowvar=False, ddof=1).reshape(a.shape[1], a.shape[1])


def _scipy_frechet(m1, S1, m2, S2) -> float:
    # The textbook FID formula, with scipy's general (Schur) matrix square root.
    root = sqrtm(S1 @ S2)
    return float(((m1 - m2) ** 2).sum() + np.trace(S1 + S2 - 2 * np.real(root)))


def test_frechet_distance_equals_the_squared_gaussian_w2_of_the_sample_moments():
    x, y = _random_features(60, 5, seed=0), _random_features(90, 5, seed=1, shift=0.7)
    (m1, S1), (m2, S2) = _numpy_moments(x), _numpy_moments(y)
    want = gaussian_w2(m1, S1, m2, S2).item() ** 2
    got = frechet_distance(x, y)
    assert got.dtype == torch.float64 and got.ndim == 0
    assert got.item() == pytest.approx(want, rel=1e-10), (got.item(), want)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frechet_distance_equals_the_scipy_sqrtm_formula_on_random_covariances(seed):
    x, y = _random_features(200, 8, seed=seed), _random_features(150, 8, seed=seed + 10, shift=1)
    want = _scipy_frechet(*_numpy_moments(x), *_numpy_moments(y))
    got = frechet_distance(x, y).item()
    assert got == pytest.approx(want, rel=1e-9), (got, want)


def test_frechet_distance_uses_float64_moments_of_float32_features():
    x, y = _random_features(80, 4, seed=3).float(), _random_features(70, 4, seed=4).float()
    want = _scipy_frechet(*_numpy_moments(x), *_numpy_moments(y))
    got = frechet_distance(x, y)
    assert got.dtype == torch.float64
    assert got.item() == pytest.approx(want, rel=1e-9), (got.item(), want)


def test_frechet_distance_with_singular_covariances_matches_gaussian_w2():
    # n = 6 samples in d = 10: both covariances have rank 5.
    x, y = _random_features(6, 10, seed=5), _random_features(6, 10, seed=6)
    (m1, S1), (m2, S2) = _numpy_moments(x), _numpy_moments(y)
    want = gaussian_w2(m1, S1, m2, S2).item() ** 2
    got = frechet_distance(x, y).item()
    assert got == pytest.approx(want, rel=1e-6), (got, want)


def test_frechet_distance_is_zero_for_identical_sets_in_any_order():
    x = _random_features(100, 6, seed=7)
    scale = float(torch.cov(x.T).trace())
    shuffled = x[torch.randperm(100, generator=torch.Generator().manual_seed(0))]
    for other in (x, shuffled):
        got = frechet_distance(x, other).item()
        assert 0.0 <= got < 1e-10 * scale, (got, scale)


def test_frechet_distance_is_symmetric():
    x, y = _random_features(50, 4, seed=8), _random_features(70, 4, seed=9, shift=-0.3)
    a, b = frechet_distance(x, y).item(), frechet_distance(y, x).item()
    assert a == pytest.approx(b, rel=1e-10), (a, b)


def test_frechet_distance_of_a_translation_is_the_squared_shift():
    x = _random_features(40, 3, seed=10)
    t = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    got = frechet_distance(x, x + t).item()
    assert got == pytest.approx(5.25, rel=1e-10), got


def test_frechet_distance_in_one_dimension_is_mean_gap_squared_plus_std_gap_squared():
    rng = np.random.default_rng(11)
    a, b = rng.normal(0, 1, 30), rng.normal(2, 3, 40)
    want = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    got = frechet_distance(torch.from_numpy(a)[:, None], torch.from_numpy(b)[:, None]).item()
    assert got == pytest.approx(want, rel=1e-10), (got, want)


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (np.zeros((4, 2)), torch.zeros(4, 2), "torch.Tensor"),
        (torch.zeros(4, 2, dtype=torch.int64), torch.zeros(4, 2), "floating-point"),
        (torch.zeros(4), torch.zeros(4, 1), r"shape \(n, d\)"),
        (torch.zeros(4, 1, 2), torch.zeros(4, 2), r"flatten"),
        (torch.zeros(4, 0), torch.zeros(4, 0), "no features"),
        (torch.zeros(1, 3), torch.rand(5, 3), "at least 2"),
        (torch.rand(5, 3), torch.zeros(0, 3), "y_features holds 0 sample"),
        (torch.rand(5, 3), torch.rand(5, 4), "d=3 features per row but y_features has d=4"),
        (torch.tensor([[0.0, float("nan")], [1.0, 2.0]]), torch.rand(5, 2), "NaN or inf"),
        (torch.rand(5, 2), torch.tensor([[0.0, float("inf")], [1.0, 2.0]]), "y_features"),
    ],
)
def test_frechet_distance_rejects_bad_input(x, y, match):
    with pytest.raises(ValueError, match=match):
        frechet_distance(x, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_frechet_distance_stays_on_cuda():
    x, y = _random_features(50, 4, seed=12), _random_features(60, 4, seed=13, shift=1)
    got = frechet_distance(x.cuda(), y.cuda())
    assert got.device.type == "cuda" and got.dtype == torch.float64
    assert got.item() == pytest.approx(frechet_distance(x, y).item(), rel=1e-8)


# --------------------------------------------------------------------------- digit classifier
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


def test_digit_classifier_logits_are_affine_in_nonnegative_features():
    net = DigitClassifier(feature_dim=12, channels=(4, 8))
    x = torch.rand(5, 1, 28, 28)
    phi = net.features(x)
    assert phi.shape == (5, 12) and bool((phi >= 0).all())
    torch.testing.assert_close(net(x), phi @ net.head.weight.T + net.head.bias)


def test_digit_classifier_rejects_flat_images_and_says_to_reshape():
    with pytest.raises(ValueError, match="reshape"):
        DigitClassifier().features(torch.zeros(2, 784))
    with pytest.raises(ValueError, match="feature_dim"):
        DigitClassifier(feature_dim=0)


def test_trained_classifier_beats_chance_by_far_on_held_out_digits(
    labelled_digits, small_classifier
):
    _, _, test_x, test_y = labelled_digits
    untrained = DigitClassifier()
    before = classifier_accuracy(untrained, test_x, test_y).item()
    after = classifier_accuracy(small_classifier, test_x, test_y).item()
    assert small_classifier.training is False
    assert after > 0.7 and after > before + 0.4, (before, after)  # chance is 0.1


def test_training_is_deterministic_given_the_seed_and_leaves_the_global_rng_alone():
    x, y = torch.rand(40, 1, 28, 28), torch.arange(40) % 10
    state = torch.get_rng_state()
    a = train_digit_classifier(x, y, steps=4, batch_size=8, seed=3, progress=False)
    assert torch.equal(torch.get_rng_state(), state)
    b = train_digit_classifier(x.flatten(1), y, steps=4, batch_size=8, seed=3, progress=False)
    c = train_digit_classifier(x, y, steps=4, batch_size=8, seed=4, progress=False)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb), name
    pairs = zip(a.parameters(), c.parameters(), strict=True)
    assert any(not torch.equal(pa, pc) for pa, pc in pairs)


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (torch.rand(4, 28, 28), torch.zeros(4, dtype=torch.long), {}, r"\(N, 1, 28, 28\)"),
        (torch.zeros(4, 1, 28, 28, dtype=torch.uint8), torch.zeros(4, dtype=torch.long), {},
         "255"),
        (torch.rand(4, 784), torch.zeros(3, dtype=torch.long), {}, r"shape \(4,\)"),
        (torch.rand(4, 784), torch.zeros(4), {}, r"y.long\(\)"),
        (torch.rand(4, 784), torch.tensor([0, 1, 2, 10]), {}, "labels in"),
        (torch.rand(4, 784), torch.zeros(4, dtype=torch.long), {"steps": 0}, "steps"),
        (torch.rand(4, 784), torch.zeros(4, dtype=torch.long), {"max_shift": -1}, "max_shift"),
        (torch.rand(4, 784), torch.zeros(4, dtype=torch.long), {"lr": float("nan")}, "lr"),
        (torch.full((4, 784), float("nan")), torch.zeros(4, dtype=torch.long), {}, "NaN"),
    ],
)
def test_train_digit_classifier_rejects_bad_input(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_digit_classifier(x, y, progress=False, **kwargs)


class _FixedLogits(nn.Module):
    """Predicts digit (number of bright pixels) mod 10: a rule an oracle can recompute."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        counts = (x.flatten(1) > 0.5).sum(1) % 10
        return nn.functional.one_hot(counts, 10).float()


def test_classifier_accuracy_equals_a_count_of_correct_predictions(labelled_digits):
    _, _, test_x, test_y = labelled_digits
    predicted = (test_x.flatten(1).numpy() > 0.5).sum(1) % 10
    want = float(np.mean(predicted == test_y.numpy()))
    got = classifier_accuracy(_FixedLogits(), test_x, test_y)
    assert got.dtype == torch.float64 and got.ndim == 0
    assert got.item() == pytest.approx(want, abs=1e-15), (got.item(), want)
    flat = classifier_accuracy(_FixedLogits(), test_x.flatten(1), test_y).item()
    assert flat == got.item()


def test_classifier_accuracy_restores_the_training_mode(small_classifier):
    small_classifier.train()
    classifier_accuracy(small_classifier, torch.rand(3, 784), torch.tensor([1, 2, 3]))
    assert small_classifier.training
    small_classifier.eval()


def test_fcd_equals_the_scipy_formula_on_the_classifiers_features(
    labelled_digits, small_classifier
):
    train_x, _, test_x, _ = labelled_digits
    with torch.no_grad():
        fx = small_classifier.features(train_x[:200]).double()
        fy = small_classifier.features(test_x[:200]).double()
    # Dead ReLU units make the covariances singular: the Bures formula is the oracle.
    (m1, S1), (m2, S2) = _numpy_moments(fx), _numpy_moments(fy)
    want = gaussian_w2(m1, S1, m2, S2).item() ** 2
    got = frechet_classifier_distance(train_x, test_x, small_classifier, n=200)
    assert got.dtype == torch.float64 and got.ndim == 0
    assert got.item() == pytest.approx(want, rel=1e-5), (got.item(), want)
    flat = frechet_classifier_distance(train_x.flatten(1), test_x, small_classifier, n=200)
    assert flat.item() == pytest.approx(got.item(), rel=1e-12)


def test_fcd_ranks_real_digits_closer_than_blurred_ones_and_noise(
    labelled_digits, small_classifier
):
    train_x, _, test_x, _ = labelled_digits
    blurred = torch.from_numpy(
        np.stack([gaussian_filter(im, 1.5) for im in train_x[:, 0].numpy()])
    ).unsqueeze(1)
    noise = torch.rand(300, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    scores = [
        frechet_classifier_distance(images, test_x, small_classifier, n=300).item()
        for images in (train_x, blurred, noise)
    ]
    assert scores[0] < scores[1] < scores[2], scores


@pytest.mark.parametrize(
    ("samples", "classifier", "n", "match"),
    [
        (torch.rand(10, 784), nn.Linear(784, 10), 10, "no features"),
        (torch.rand(10, 784), "net", 10, "nn.Module"),
        (torch.rand(10, 28, 28), DigitClassifier(), 10, r"\(N, 1, 28, 28\) or \(N, 784\)"),
        (torch.rand(5, 784), DigitClassifier(), 10, "holds 5 images but n=10"),
        (torch.full((10, 784), float("nan")), DigitClassifier(), 10, "NaN"),
        (torch.rand(10, 784), DigitClassifier(), 1, "at least 2"),
        (torch.rand(10, 784), DigitClassifier(), 0, "positive integer"),
    ],
)
def test_fcd_rejects_bad_input(samples, classifier, n, match):
    with pytest.raises(ValueError, match=match):
        frechet_classifier_distance(samples, torch.rand(10, 784), classifier, n=n)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fcd_with_a_cuda_classifier_returns_on_the_samples_device(labelled_digits):
    train_x, _, test_x, _ = labelled_digits
    torch.manual_seed(0)
    net = DigitClassifier()
    cpu = frechet_classifier_distance(train_x, test_x, net, n=100)
    gpu = frechet_classifier_distance(train_x, test_x, net.cuda(), n=100)
    on_cuda = frechet_classifier_distance(train_x.cuda(), test_x.cuda(), net, n=100)
    assert gpu.device.type == "cpu" and on_cuda.device.type == "cuda"
    assert gpu.item() == pytest.approx(cpu.item(), rel=1e-4)
    assert on_cuda.item() == pytest.approx(cpu.item(), rel=1e-4)
