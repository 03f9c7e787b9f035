"""Tests for vegan_lib.metrics: sharpness, W_2 to data, the data floor, the Fréchet distances
and precision/recall/density/coverage."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm
from scipy.ndimage import gaussian_filter
from scipy.optimize import linear_sum_assignment
from scipy.signal import convolve2d
from torch import nn

import vegan_lib.metrics as metrics_module
from vegan_lib.data import mnist
from vegan_lib.metrics import (
    data_floor,
    frechet_classifier_distance,
    frechet_distance,
    model_w2_to_data,
    precision_recall,
    sharpness,
    sharpness_ratio,
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


class _GaussianModel(nn.Module):
    """A generative "model" G(Z) = Z A + b, Z ~ N(0, I), drawn from torch's global RNG."""

    def __init__(self, d: int = 3) -> None:
        super().__init__()
        self.A = nn.Parameter(torch.eye(d) * 0.5)
        self.b = nn.Parameter(torch.ones(d))

    def sample(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.A.shape[0]) @ self.A + self.b


def test_model_w2_to_data_equals_the_chapter_3_helper_and_the_best_assignment():
    model, reference = _GaussianModel(), torch.randn(40, 3, dtype=torch.float64)
    got = model_w2_to_data(model, reference, n=40, seed=7)
    # The notebook helper it replaces: seed, sample, exact W_2 in float64 on the CPU.
    torch.manual_seed(7)
    samples = model.sample(40).reshape(40, -1).double().cpu()
    helper = wasserstein(samples, reference.reshape(40, -1).double().cpu()).item()
    oracle = _assignment_w2(samples.detach().numpy(), reference.numpy())
    assert got.dtype == torch.float64 and got.ndim == 0 and not got.requires_grad
    assert got.item() == pytest.approx(helper, rel=1e-12), (got.item(), helper)
    assert got.item() == pytest.approx(oracle, rel=1e-10), (got.item(), oracle)


def test_model_w2_to_data_uses_the_first_n_reference_points_and_its_seed():
    model, reference = _GaussianModel(), torch.randn(50, 3)
    a = model_w2_to_data(model, reference, n=20, seed=1).item()
    assert model_w2_to_data(model, reference[:20], n=20, seed=1).item() == a
    assert model_w2_to_data(model, reference, n=20, seed=2).item() != a
    torch.manual_seed(1)
    want = w2_to_data(model.sample(20).detach(), reference, n=20).item()
    assert a == pytest.approx(want, rel=1e-12), (a, want)


def test_model_w2_to_data_of_a_point_mass_is_the_distance_to_the_reference():
    class PointMass(nn.Module):
        def sample(self, n: int) -> torch.Tensor:
            return torch.tensor([[3.0, 4.0]]).expand(n, 2)

    reference = torch.randn(30, 2, dtype=torch.float64)
    want = float(((reference - torch.tensor([3.0, 4.0])) ** 2).sum(1).mean().sqrt())
    got = model_w2_to_data(PointMass(), reference, n=30).item()
    assert got == pytest.approx(want, rel=1e-12), (got, want)


@pytest.mark.parametrize(
    ("model", "n", "seed", "match"),
    [
        (nn.Linear(3, 3), 10, 1, r"no sample\(n\) method"),
        (_GaussianModel(), 0, 1, "n must be a positive integer"),
        (_GaussianModel(), 2.5, 1, "n must be a positive integer"),
        (_GaussianModel(), 10, -1, "seed must be a non-negative integer"),
        (_GaussianModel(), 30, 1, "reference holds 20 images but n=30"),
    ],
)
def test_model_w2_to_data_rejects_bad_input(model, n, seed, match):
    with pytest.raises(ValueError, match=match):
        model_w2_to_data(model, torch.randn(20, 3), n=n, seed=seed)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_model_w2_to_data_moves_cuda_samples_to_a_cpu_reference():
    class CudaModel(nn.Module):
        def sample(self, n: int) -> torch.Tensor:
            return torch.randn(n, 2, device="cuda")

    reference = torch.randn(20, 2, dtype=torch.float64)
    got = model_w2_to_data(CudaModel(), reference, n=20)
    assert got.device.type == "cpu"
    torch.manual_seed(1)
    want = w2_to_data(torch.randn(20, 2, device="cuda").cpu(), reference, n=20)
    assert got.item() == pytest.approx(want.item(), rel=1e-12)


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


def _eigvalsh_frechet(x: torch.Tensor, y: torch.Tensor) -> float:
    # The formula frechet_distance used before it called gaussian_w2: the trace of
    # (S1 S2)^(1/2) from the eigenvalues of the symmetric S1^(1/2) S2 S1^(1/2), in NumPy.
    (m1, S1), (m2, S2) = _numpy_moments(x), _numpy_moments(y)
    w, V = np.linalg.eigh(S1)
    root1 = (V * np.sqrt(np.clip(w, 0, None))) @ V.T
    middle = root1 @ S2 @ root1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    return float(max(((m1 - m2) ** 2).sum() + np.trace(S1) + np.trace(S2) - 2 * trace_sqrt, 0))


@pytest.mark.parametrize(("n", "m", "d", "seed"), [(200, 150, 8, 0), (60, 90, 5, 1),
                                                   (500, 400, 20, 2), (30, 30, 3, 3)])
def test_frechet_distance_keeps_the_value_of_the_former_eigvalsh_formula(n, m, d, seed):
    x = _random_features(n, d, seed=seed)
    y = _random_features(m, d, seed=seed + 20, shift=0.4)
    want = _eigvalsh_frechet(x, y)
    got = frechet_distance(x, y).item()
    assert got == pytest.approx(want, rel=1e-10), (got, want)


def test_frechet_distance_is_the_square_of_gaussian_w2(monkeypatch):
    seen = []

    def spy(*args):
        seen.append(gaussian_w2(*args))
        return seen[-1]

    monkeypatch.setattr(metrics_module, "gaussian_w2", spy)
    x, y = _random_features(40, 4, seed=30), _random_features(50, 4, seed=31, shift=1.0)
    got = frechet_distance(x, y)
    assert len(seen) == 1 and got.item() == seen[0].item() ** 2


def _exact_moments(mean: np.ndarray, std: np.ndarray) -> torch.Tensor:
    # 2 d points mean +- c std_i e_i: sample mean `mean`, unbiased covariance diag(std^2)
    # exactly when c^2 = (2 d - 1) / 2.
    d = len(mean)
    c = np.sqrt((2 * d - 1) / 2)
    offsets = np.concatenate([np.diag(c * std), -np.diag(c * std)])
    return torch.from_numpy(mean + offsets)


def test_frechet_distance_of_diagonal_gaussians_is_mean_gap_plus_std_gaps_squared():
    # Commuting covariances: W_2^2 = |m1 - m2|^2 + sum_i (s1_i - s2_i)^2 (Dowson & Landau).
    m1, s1 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 2.0, 0.5])
    m2, s2 = np.array([1.0, 1.0, 0.0]), np.array([3.0, 0.5, 0.5])
    x, y = _exact_moments(m1, s1), _exact_moments(m2, s2)
    want = ((m1 - m2) ** 2).sum() + ((s1 - s2) ** 2).sum()  # 5 + 4 + 2.25 = 11.25
    got = frechet_distance(x, y).item()
    assert want == pytest.approx(11.25) and got == pytest.approx(want, rel=1e-12), got


def test_frechet_distance_of_a_scaled_copy_is_the_scale_gap_times_the_second_moment():
    # mu_y = s mu_x and Sigma_y = s^2 Sigma_x, which commutes with Sigma_x:
    # d_F^2 = (s - 1)^2 (|mu_x|^2 + tr Sigma_x).
    x = _random_features(80, 5, seed=40)
    mean, cov = _numpy_moments(x)
    want = (3.0 - 1.0) ** 2 * float((mean**2).sum() + np.trace(cov))
    got = frechet_distance(x, 3.0 * x).item()
    assert got == pytest.approx(want, rel=1e-10), (got, want)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_frechet_distance_stays_on_cuda():
    x, y = _random_features(50, 4, seed=12), _random_features(60, 4, seed=13, shift=1)
    got = frechet_distance(x.cuda(), y.cuda())
    assert got.device.type == "cuda" and got.dtype == torch.float64
    assert got.item() == pytest.approx(frechet_distance(x, y).item(), rel=1e-8)


# ------------------------------------------------------------------- Fréchet classifier distance



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


# ------------------------------------------------------- precision, recall, density, coverage
KEYS = ("precision", "recall", "density", "coverage")


def _brute_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    # Every pairwise distance, the k-th neighbour radius (column 0 of a sorted row is the
    # point itself), and the four counts of Kynkäänniemi et al. and Naeem et al.
    def dist(a, b):
        return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))

    r_real = np.sort(dist(real, real), axis=1)[:, k]
    r_fake = np.sort(dist(fake, fake), axis=1)[:, k]
    cross = dist(real, fake)  # (N, M)
    in_real_ball = cross < r_real[:, None]  # [i, j]: fake j inside real i's ball
    in_fake_ball = cross < r_fake[None, :]  # [i, j]: real i inside fake j's ball
    n_fakes_in_real_balls = sum(any(in_real_ball[:, j]) for j in range(len(fake)))
    n_reals_in_fake_balls = sum(any(in_fake_ball[i]) for i in range(len(real)))
    return {"precision": n_fakes_in_real_balls / len(fake),
            "recall": n_reals_in_fake_balls / len(real),
            "density": int(in_real_ball.sum()) / (k * len(fake)),
            "coverage": sum(any(in_real_ball[i]) for i in range(len(real))) / len(real)}


def _two_modes(n: int, seed: int, spread: float = 0.5) -> np.ndarray:
    # Half the points around (-5, 0), half around (5, 0): two well-separated clusters.
    rng = np.random.default_rng(seed)
    centres = np.where(np.arange(n)[:, None] % 2 == 0, [-5.0, 0.0], [5.0, 0.0])
    return centres + spread * rng.normal(size=(n, 2))


@pytest.mark.parametrize(("n", "m", "d", "k", "seed"), [
    (120, 90, 2, 1, 0), (150, 150, 5, 3, 1), (90, 130, 8, 5, 2), (200, 60, 3, 10, 3)])
def test_precision_recall_equals_a_brute_force_count(n, m, d, k, seed):
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(n, d))
    fake = 0.7 * rng.normal(size=(m, d)) + 0.8  # narrower, shifted: no score is 0 or 1
    got, want = precision_recall(torch.from_numpy(real), fake, k=k), _brute_prdc(real, fake, k)
    assert set(got) == set(KEYS) and all(type(v) is float for v in got.values()), got
    assert got == pytest.approx(want, abs=1e-12), (got, want)
    assert all(0 < got[key] < 1 for key in ("precision", "recall", "coverage")), got


@pytest.mark.parametrize("k", [1, 3, 7])
def test_precision_recall_of_two_copies_of_one_set_is_one(k):
    real = torch.randn(150, 4, generator=torch.Generator().manual_seed(k))
    shuffled = real[torch.randperm(150, generator=torch.Generator().manual_seed(9))]
    got = precision_recall(real, shuffled, k=k)
    assert (got["precision"], got["recall"], got["coverage"]) == (1.0, 1.0, 1.0), got
    # Each open ball holds its centre and k - 1 neighbours, so k of the M points: density 1
    # (a k-th neighbour on the sphere may round inside in the cross distances).
    assert got["density"] == pytest.approx(1.0, abs=1 / (k * 150) + 1e-12), got


def test_precision_recall_of_far_apart_sets_is_zero():
    real = torch.randn(100, 3, generator=torch.Generator().manual_seed(0))
    assert precision_recall(real, real + 50.0) == dict.fromkeys(KEYS, 0.0)


def test_a_collapsed_generator_loses_recall_but_keeps_precision():
    real, faithful = _two_modes(400, seed=0), _two_modes(400, seed=1)
    collapsed = faithful[faithful[:, 0] > 0]  # every sample at the right-hand mode
    good, bad = precision_recall(real, faithful), precision_recall(real, collapsed)
    assert good["recall"] > 0.9 and good["precision"] > 0.9, good
    assert bad["precision"] > 0.9, bad  # what it draws looks real ...
    assert bad["recall"] < 0.6 and bad["coverage"] < 0.6, bad  # ... but half the data is missed


def test_samples_between_the_modes_lose_precision():
    real, faithful = _two_modes(400, seed=0), _two_modes(400, seed=1)
    t = np.random.default_rng(2).uniform(0.3, 0.7, size=(200, 1))
    between = (1 - t) * faithful[0:400:2][:200] + t * faithful[1:400:2][:200]  # in the gap
    mixed = np.concatenate([faithful[:200], between])
    good, bad = precision_recall(real, faithful), precision_recall(real, mixed)
    assert good["precision"] > 0.9, good
    assert bad["precision"] < 0.6 and bad["density"] < good["density"] - 0.3, (good, bad)
    assert bad["recall"] > 0.8, bad  # the samples at the modes still reach the data


def test_precision_recall_calls_prdc_and_keeps_its_print_quiet(monkeypatch, capsys):
    calls = []
    real = metrics_module.compute_prdc

    def spy(x, y, nearest_k):
        calls.append((x.dtype, y.dtype, x.shape, y.shape, nearest_k))
        return real(x, y, nearest_k)

    monkeypatch.setattr(metrics_module, "compute_prdc", spy)
    x = torch.randn(20, 3, requires_grad=True)
    precision_recall(x.float(), np.ones((30, 3)) + np.arange(30)[:, None], k=2)
    assert calls == [(np.float64, np.float64, (20, 3), (30, 3), 2)]
    assert capsys.readouterr().out == ""


_X = torch.randn(10, 3, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((torch.randn(10), _X), r"real_features must be a 2-D point cloud"),
        ((_X, torch.randn(10, 3, 1)), r"fake_features must be a 2-D point cloud"),
        ((_X, torch.randn(10, 4)), r"real_features and fake_features must have the same dim"),
        ((torch.randn(4, 3), _X), r"real_features holds 4 points but k=3 needs k \+ 2 = 5"),
        ((_X, _X[:2], 1), r"fake_features holds 2 points but k=1 needs k \+ 2 = 3"),
        ((_X, _X, 9), r"real_features holds 10 points but k=9 .* lower k"),
        ((torch.zeros(0, 3), _X), r"real_features is empty"),
        ((torch.zeros(10, 0), torch.zeros(10, 0)), r"real_features has points of dimension 0"),
        ((torch.full((10, 3), float("nan")), _X), r"real_features contains 30 NaN or infinite"),
        ((_X, np.full((10, 3), np.inf)), r"fake_features contains 30 NaN or infinite"),
        ((_X, _X, 0), r"k must be a positive integer, got 0; e.g. k=3"),
        ((_X, _X, -1), r"k must be a positive integer, got -1"),
        ((_X, _X, 3.0), r"k must be a positive integer, got 3.0"),
        ((_X, _X, True), r"k must be a positive integer, got True"),
        ((_X, _X, "3"), r"k must be a positive integer, got '3'"),
        ((np.full((10, 3), "a"), _X), r"real_features could not be read as an array of real"),
        ((_X, "features"), r"fake_features could not be read as an array of real"),
        ((_X, _X.numpy() + 1j), r"fake_features is complex"),
    ],
)
def test_precision_recall_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        precision_recall(*args)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_precision_recall_reads_cuda_tensors():
    real = torch.randn(80, 4, generator=torch.Generator().manual_seed(0))
    fake = torch.randn(70, 4, generator=torch.Generator().manual_seed(1)) + 0.5
    want = precision_recall(real, fake)
    assert precision_recall(real.cuda(), fake.cuda()) == want
    assert precision_recall(real.cuda().float(), fake.numpy()) == pytest.approx(want, abs=0.02)
