"""Tests for vegan_lib.transport against independent oracles.

Oracles: scipy's linprog on the Kantorovich LP, linear_sum_assignment, brute force
over permutations, the sorted-samples formula, Gaussian closed forms, POT's Bures
distance, and a plain NumPy Sinkhorn loop written here.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import ot
import pytest
import torch
from oracles import kantorovich_lp, loop_cost
from scipy.optimize import linear_sum_assignment

from vegan_lib.transport import (
    OTResult,
    cost_matrix,
    exact_ot,
    gaussian_w2,
    sinkhorn,
    sinkhorn_plan,
    uniform_weights,
    wasserstein,
    wasserstein_1d,
)

F64 = torch.float64


def _points(rng: np.random.Generator, n: int, d: int = 2, shift: float = 0.0) -> torch.Tensor:
    return torch.from_numpy(rng.normal(size=(n, d)) + shift)


def _simplex(rng: np.random.Generator, n: int) -> np.ndarray:
    w = rng.uniform(0.2, 1.0, size=n)
    return w / w.sum()


def _numpy_sinkhorn_plan(a, b, C, reg, iters=20_000):
    K = np.exp(-C / reg)
    u = np.ones_like(a)
    v = np.ones_like(b)
    for _ in range(iters):
        u = a / (K @ v)
        v = b / (K.T @ u)
    return u[:, None] * K * v[None, :]


# --------------------------------------------------------------------------- cost_matrix


@pytest.mark.parametrize("p", [1, 1.5, 2, 3])
def test_cost_matrix_equals_pairwise_norms_to_the_p(p):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    got = cost_matrix(torch.from_numpy(x), torch.from_numpy(y), p=p).numpy()
    want = loop_cost(x, y, p)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_cost_matrix_of_identical_points_has_exact_zero_diagonal():
    x = _points(np.random.default_rng(1), 5, d=7)
    C = cost_matrix(x, x)
    assert torch.equal(torch.diagonal(C), torch.zeros(5, dtype=F64)), torch.diagonal(C)


@pytest.mark.parametrize("p", [1, 1.5, 2])
def test_cost_matrix_gradient_is_zero_at_coincident_points(p):
    # x sits on y_0 and at distance 5 from y_1 = (3, 4): the only gradient comes from
    # y_1, d/dx |x - y_1|^p = p |x - y_1|^(p-2) (x - y_1) = p 5^(p-2) (-3, -4).
    x = torch.zeros(1, 2, dtype=F64, requires_grad=True)
    y = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=F64, requires_grad=True)
    gx, gy = torch.autograd.grad(cost_matrix(x, y, p=p).sum(), (x, y))
    want = p * 5.0 ** (p - 2) * torch.tensor([[-3.0, -4.0]], dtype=F64)
    assert torch.isfinite(gx).all() and torch.isfinite(gy).all()
    torch.testing.assert_close(gx, want)
    torch.testing.assert_close(gy[0], torch.zeros(2, dtype=F64))


def test_cost_matrix_passes_gradcheck():
    rng = np.random.default_rng(2)
    x = _points(rng, 3).requires_grad_()
    y = _points(rng, 4).requires_grad_()
    assert torch.autograd.gradcheck(lambda u, v: cost_matrix(u, v, p=1.5), (x, y))


# --------------------------------------------------------------------------- exact_ot


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_cost_equals_linprog_on_kantorovich_lp(p, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(7, 2)) + 0.5
    a, b = _simplex(rng, 5), _simplex(rng, 7)
    res = exact_ot(x, y, a, b, p=p)
    want = kantorovich_lp(a, b, loop_cost(x, y, p))[0]
    assert float(res.cost) == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_exact_plan_is_nonnegative_with_marginals_a_and_b(p):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(7, 2))
    a, b = _simplex(rng, 5), _simplex(rng, 7)
    plan = exact_ot(x, y, a, b, p=p).plan.numpy()
    assert plan.min() >= 0
    np.testing.assert_allclose(plan.sum(1), a, atol=1e-12)
    np.testing.assert_allclose(plan.sum(0), b, atol=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_exact_dual_potentials_are_feasible_and_attain_the_cost(p):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(7, 2))
    a, b = _simplex(rng, 5), _simplex(rng, 7)
    res = exact_ot(x, y, a, b, p=p)
    f, g = res.f.numpy(), res.g.numpy()
    C = loop_cost(x, y, p)
    dual = a @ f + b @ g
    assert dual == pytest.approx(float(res.cost), abs=1e-10)
    slack = C - (f[:, None] + g[None, :])
    assert slack.min() >= -1e-9, f"f_i + g_j exceeds C_ij by {-slack.min()}"


def test_exact_result_fields_have_documented_shapes_and_cost_matrix():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(7, 3))
    res = exact_ot(x, y, p=2)
    assert isinstance(res, OTResult)
    assert res.cost.shape == () and res.plan.shape == (5, 7)
    assert res.f.shape == (5,) and res.g.shape == (7,)
    assert all(t.dtype == F64 for t in (res.cost, res.plan, res.f, res.g, res.cost_matrix))
    np.testing.assert_allclose(res.cost_matrix.numpy(), loop_cost(x, y, 2), rtol=1e-12)
    assert float(res.cost) == pytest.approx(float((res.plan * res.cost_matrix).sum()), abs=1e-14)


def test_exact_plan_for_uniform_equal_clouds_is_permutation_matching_assignment():
    rng = np.random.default_rng(6)
    n = 8
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    res = exact_ot(x, y)
    scaled = res.plan.numpy() * n
    np.testing.assert_allclose(scaled, np.round(scaled), atol=1e-12)
    np.testing.assert_allclose(scaled.sum(0), 1.0)
    np.testing.assert_allclose(scaled.sum(1), 1.0)
    C = loop_cost(x, y, 2)
    rows, cols = linear_sum_assignment(C)
    assert float(res.cost) == pytest.approx(C[rows, cols].mean(), rel=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_exact_cost_equals_brute_force_minimum_over_permutations(p):
    rng = np.random.default_rng(7)
    n = 5
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    C = loop_cost(x, y, p)
    brute = min(np.mean(C[np.arange(n), list(perm)]) for perm in itertools.permutations(range(n)))
    assert float(exact_ot(x, y, p=p).cost) == pytest.approx(brute, rel=1e-12)


def test_exact_ot_raises_runtime_error_when_iteration_limit_is_too_small():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    with pytest.raises(RuntimeError, match="num_iter_max"):
        exact_ot(x, y, num_iter_max=2)


def test_exact_ot_accepts_zero_weights():
    x = np.array([[0.0], [1.0], [5.0]])
    y = np.array([[0.0], [1.0]])
    # the point at 5 carries no mass, so the clouds coincide
    res = exact_ot(x, y, a=[0.5, 0.5, 0.0])
    assert float(res.cost) == pytest.approx(0.0, abs=1e-15)


# --------------------------------------------------------------------------- wasserstein


@pytest.mark.parametrize("p", [1, 1.5, 2, 3])
def test_wasserstein_is_pth_root_of_exact_cost(p):
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(7, 2))
    a, b = _simplex(rng, 5), _simplex(rng, 7)
    want = kantorovich_lp(a, b, loop_cost(x, y, p))[0] ** (1 / p)
    got = float(wasserstein(x, y, p=p, a=a, b=b))
    assert got == pytest.approx(want, rel=1e-9)
    assert got == pytest.approx(float(exact_ot(x, y, a, b, p=p).cost) ** (1 / p), rel=1e-12)


def test_wasserstein_is_symmetric_in_x_and_y():
    rng = np.random.default_rng(10)
    x, y = _points(rng, 6), _points(rng, 9, shift=1.0)
    a, b = _simplex(rng, 6), _simplex(rng, 9)
    forward = float(wasserstein(x, y, a=a, b=b))
    backward = float(wasserstein(y, x, a=b, b=a))
    assert forward == pytest.approx(backward, rel=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_wasserstein_is_exactly_zero_for_identical_clouds(p):
    x = _points(np.random.default_rng(11), 6, d=3)
    assert float(wasserstein(x, x.clone(), p=p)) == 0.0


@pytest.mark.parametrize("p", [1, 2, 3])
def test_wasserstein_between_cloud_and_its_translate_is_the_shift_norm(p):
    # W_p >= W_1 >= |mean difference| = |t|, and the shift coupling attains |t|.
    x = _points(np.random.default_rng(12), 7)
    t = torch.tensor([0.3, -1.2], dtype=F64)
    got = float(wasserstein(x, x + t, p=p))
    assert got == pytest.approx(float(t.norm()), rel=1e-12)


def test_wasserstein_passes_gradcheck_in_x_for_generic_clouds():
    rng = np.random.default_rng(13)
    x = _points(rng, 5).requires_grad_()
    y = _points(rng, 6)
    assert torch.autograd.gradcheck(lambda u: wasserstein(u, y), (x,), eps=1e-6, atol=1e-6)


def test_wasserstein_squared_gradient_is_the_assignment_displacement():
    # For uniform clouds of equal size, W_2^2 = mean |x_i - y_s(i)|^2 with s the optimal
    # assignment, so d W_2^2 / d x_i = 2 (x_i - y_s(i)) / n.
    rng = np.random.default_rng(14)
    n = 6
    x = _points(rng, n).requires_grad_()
    y = _points(rng, n)
    (grad,) = torch.autograd.grad(wasserstein(x, y) ** 2, x)
    _, cols = linear_sum_assignment(loop_cost(x.detach().numpy(), y.numpy(), 2))
    want = 2 * (x.detach() - y[torch.from_numpy(cols)]) / n
    torch.testing.assert_close(grad, want)


@pytest.mark.parametrize("p", [1, 2])
def test_wasserstein_gradient_is_finite_and_zero_for_identical_clouds(p):
    x = _points(np.random.default_rng(15), 5).requires_grad_()
    y = x.detach().clone().requires_grad_()
    gx, gy = torch.autograd.grad(wasserstein(x, y, p=p), (x, y))
    assert torch.equal(gx, torch.zeros_like(gx)), gx
    assert torch.equal(gy, torch.zeros_like(gy)), gy


# --------------------------------------------------------------------------- wasserstein_1d


@pytest.mark.parametrize("p", [1, 2, 3])
def test_wasserstein_1d_equals_sorting_formula(p):
    rng = np.random.default_rng(16)
    x, y = rng.normal(size=9), rng.exponential(size=9)
    want = np.mean(np.abs(np.sort(x) - np.sort(y)) ** p) ** (1 / p)
    got = float(wasserstein_1d(torch.from_numpy(x), torch.from_numpy(y)[:, None], p=p))
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_wasserstein_1d_equals_exact_ot_on_weighted_points_of_different_sizes(p):
    rng = np.random.default_rng(17)
    x, y = rng.normal(size=6), rng.normal(size=9) + 0.3
    a, b = _simplex(rng, 6), _simplex(rng, 9)
    want = float(exact_ot(x[:, None], y[:, None], a, b, p=p).cost) ** (1 / p)
    got = float(wasserstein_1d(x, y, p=p, a=a, b=b))
    assert got == pytest.approx(want, rel=1e-10)


def test_wasserstein_1d_gradient_is_finite_and_zero_for_identical_samples():
    x = torch.tensor([0.3, -1.0, 2.0], dtype=F64, requires_grad=True)
    (grad,) = torch.autograd.grad(wasserstein_1d(x, x.detach().clone()), x)
    assert torch.equal(grad, torch.zeros_like(grad)), grad


# --------------------------------------------------------------------------- gaussian_w2


def _random_spd(rng: np.random.Generator, d: int, rank: int | None = None) -> np.ndarray:
    A = rng.normal(size=(d, rank or d))
    return A @ A.T + (0.1 * np.eye(d) if rank is None else 0)


def test_gaussian_w2_in_one_dimension_equals_closed_form():
    m1, s1, m2, s2 = 0.5, 1.3, -1.0, 0.4
    want = math.sqrt((m1 - m2) ** 2 + (s1 - s2) ** 2)
    got = float(gaussian_w2([m1], [[s1**2]], [m2], [[s2**2]]))
    assert got == pytest.approx(want, rel=1e-12)


def test_gaussian_w2_with_diagonal_covariances_equals_closed_form():
    rng = np.random.default_rng(18)
    m1, m2 = rng.normal(size=4), rng.normal(size=4)
    v1, v2 = rng.uniform(0.1, 3, size=4), rng.uniform(0.1, 3, size=4)
    want = math.sqrt(np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2))
    got = float(gaussian_w2(m1, np.diag(v1), m2, np.diag(v2)))
    assert got == pytest.approx(want, rel=1e-12)


def test_pot_bures_wasserstein_distance_returns_the_distance_not_its_square():
    # N(0, 1) vs N(3, 4): W_2 = sqrt(9 + 1); guards the oracle used below.
    got = float(ot.gaussian.bures_wasserstein_distance(
        np.zeros(1), np.full(1, 3.0), np.eye(1), np.full((1, 1), 4.0)
    ))
    assert got == pytest.approx(math.sqrt(10.0), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_gaussian_w2_equals_pot_bures_wasserstein_distance(seed):
    rng = np.random.default_rng(seed)
    d = 4
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    S1, S2 = _random_spd(rng, d), _random_spd(rng, d)
    want = float(ot.gaussian.bures_wasserstein_distance(m1, m2, S1, S2))
    got = float(gaussian_w2(m1, S1, m2, S2))
    assert got == pytest.approx(want, rel=1e-9)


def test_gaussian_w2_with_rank_one_covariance_equals_closed_form():
    # S1 = v v^T has S1^(1/2) = v v^T / |v|, so S1^(1/2) S2 S1^(1/2) = (v^T S2 v / |v|^2) v v^T
    # and tr((S1^(1/2) S2 S1^(1/2))^(1/2)) = sqrt(v^T S2 v).
    rng = np.random.default_rng(19)
    m1, m2, v = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    S2 = _random_spd(rng, 3)
    bures2 = v @ v + np.trace(S2) - 2 * math.sqrt(v @ S2 @ v)
    want = math.sqrt(np.sum((m1 - m2) ** 2) + bures2)
    assert float(gaussian_w2(m1, np.outer(v, v), m2, S2)) == pytest.approx(want, rel=1e-7)


# A singular covariance has zero eigenvalues computed as +-1e-16, whose square roots are
# 1e-8: the matrix square root is not Lipschitz at 0, so only sqrt(eps) accuracy is possible.
@pytest.mark.parametrize(("rank", "tol"), [(None, 1e-12), (2, 1e-6)])
def test_gaussian_w2_is_zero_for_identical_gaussians(rank, tol):
    rng = np.random.default_rng(20)
    m, S = rng.normal(size=4), _random_spd(rng, 4, rank=rank)
    assert float(gaussian_w2(m, S, m.copy(), S.copy())) < tol


def test_gaussian_w2_is_symmetric():
    rng = np.random.default_rng(21)
    m1, m2 = rng.normal(size=3), rng.normal(size=3)
    S1, S2 = _random_spd(rng, 3), _random_spd(rng, 3)
    assert float(gaussian_w2(m1, S1, m2, S2)) == pytest.approx(
        float(gaussian_w2(m2, S2, m1, S1)), rel=1e-12
    )


# --------------------------------------------------------------------------- sinkhorn


def _sinkhorn_instance():
    rng = np.random.default_rng(22)
    x, y = _points(rng, 6), _points(rng, 8, shift=0.5)
    a = torch.from_numpy(_simplex(rng, 6))
    b = torch.from_numpy(_simplex(rng, 8))
    return x, y, a, b


def test_sinkhorn_cost_decreases_to_exact_cost_as_reg_goes_to_zero():
    x, y, a, b = _sinkhorn_instance()
    exact = float(exact_ot(x, y, a, b).cost)
    regs = [1.0, 0.3, 0.1, 0.03, 0.01]
    costs = [float(sinkhorn(x, y, reg, a=a, b=b, num_iter_max=20_000)) for reg in regs]
    gaps = [c - exact for c in costs]
    steps = zip(gaps[:-1], gaps[1:], strict=True)
    assert all(later <= earlier + 1e-9 for earlier, later in steps), gaps
    assert abs(costs[-1] - exact) <= 1e-2 * exact, (costs[-1], exact)


@pytest.mark.parametrize("reg", [0.05, 0.2, 1.0])
def test_sinkhorn_cost_is_at_least_the_exact_cost(reg):
    # The entropic plan is feasible, so its transport cost cannot beat the optimum.
    x, y, a, b = _sinkhorn_instance()
    exact = float(exact_ot(x, y, a, b).cost)
    got = float(sinkhorn(x, y, reg, a=a, b=b, num_iter_max=20_000))
    assert got >= exact - 1e-8, (got, exact)


def test_sinkhorn_plan_has_marginals_a_and_b():
    x, y, a, b = _sinkhorn_instance()
    plan = sinkhorn_plan(x, y, 0.1, a=a, b=b, num_iter_max=20_000)
    torch.testing.assert_close(plan.sum(1), a, atol=1e-8, rtol=0)
    torch.testing.assert_close(plan.sum(0), b, atol=1e-8, rtol=0)


def test_sinkhorn_plan_equals_plain_numpy_sinkhorn_iterations():
    x, y, a, b = _sinkhorn_instance()
    reg = 0.5
    C = loop_cost(x.numpy(), y.numpy(), 2)
    want = _numpy_sinkhorn_plan(a.numpy(), b.numpy(), C, reg)
    got = sinkhorn_plan(x, y, reg, a=a, b=b, num_iter_max=20_000).numpy()
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert float(sinkhorn(x, y, reg, a=a, b=b)) == pytest.approx(float(np.sum(want * C)), rel=1e-8)


def test_sinkhorn_cost_tends_to_independent_coupling_cost_for_large_reg():
    # As reg -> infinity the entropic plan tends to the product a b^T.
    x, y, a, b = _sinkhorn_instance()
    C = loop_cost(x.numpy(), y.numpy(), 2)
    want = float(a.numpy() @ C @ b.numpy())
    assert float(sinkhorn(x, y, 1e5, a=a, b=b)) == pytest.approx(want, rel=1e-3)


def test_sinkhorn_gradient_is_finite_and_nonzero():
    x, y, a, b = _sinkhorn_instance()
    x = x.clone().requires_grad_()
    y = y.clone().requires_grad_()
    gx, gy = torch.autograd.grad(sinkhorn(x, y, 0.1, a=a, b=b, num_iter_max=20_000), (x, y))
    assert torch.isfinite(gx).all() and torch.isfinite(gy).all()
    assert gx.abs().sum() > 0 and gy.abs().sum() > 0


def test_sinkhorn_gradient_agrees_with_exact_gradient_for_small_reg():
    x, y, a, b = _sinkhorn_instance()
    x = x.clone().requires_grad_()
    (g_sink,) = torch.autograd.grad(sinkhorn(x, y, 0.005, a=a, b=b, num_iter_max=50_000), x)
    (g_exact,) = torch.autograd.grad(wasserstein(x, y, a=a, b=b) ** 2, x)
    torch.testing.assert_close(g_sink, g_exact, atol=0.05, rtol=0)


def test_sinkhorn_warns_when_it_stops_before_converging():
    x, y, a, b = _sinkhorn_instance()
    with pytest.warns(RuntimeWarning, match="raise num_iter_max or reg"):
        sinkhorn(x, y, 0.01, a=a, b=b, num_iter_max=5)


def test_sinkhorn_in_float32_converges_without_warning_at_default_settings():
    x, y, _, _ = _sinkhorn_instance()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        sinkhorn(x.float(), y.float(), 1.0)


# --------------------------------------------------------------- weights, dtypes, devices


def test_uniform_weights_are_one_over_n():
    w = uniform_weights(5)
    torch.testing.assert_close(w, torch.full((5,), 0.2, dtype=F64))


def test_weights_within_tolerance_are_renormalised():
    x = np.array([[0.0], [1.0]])
    res = exact_ot(x, x, a=[0.5 + 4e-7, 0.5], b=[0.5, 0.5])
    assert float(res.plan.sum()) == pytest.approx(1.0, abs=1e-15)


def test_float32_inputs_give_float32_outputs_on_cpu():
    rng = np.random.default_rng(23)
    x, y = _points(rng, 4).float(), _points(rng, 5).float()
    assert cost_matrix(x, y).dtype == torch.float32
    assert wasserstein(x, y).dtype == torch.float32
    assert wasserstein_1d(x[:, 0], y[:, 0]).dtype == torch.float32
    assert sinkhorn(x, y, 1.0).dtype == torch.float32
    assert sinkhorn_plan(x, y, 1.0).dtype == torch.float32
    eye = torch.eye(2)
    assert gaussian_w2(torch.zeros(2), eye, torch.ones(2), eye).dtype == torch.float32
    # exact_ot is the float64 oracle whatever the input dtype
    assert exact_ot(x, y).cost.dtype == F64


def test_float32_wasserstein_agrees_with_float64():
    rng = np.random.default_rng(24)
    x, y = _points(rng, 6), _points(rng, 6)
    w64 = float(wasserstein(x, y))
    w32 = float(wasserstein(x.float(), y.float()))
    assert w32 == pytest.approx(w64, rel=1e-5)


def test_numpy_inputs_give_float64_tensors():
    rng = np.random.default_rng(25)
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(5, 2))
    for out in (cost_matrix(x, y), wasserstein(x, y), sinkhorn(x, y, 1.0),
                wasserstein_1d(x[:, 0], y[:, 0]), gaussian_w2(x[0], np.eye(2), y[0], np.eye(2))):
        assert isinstance(out, torch.Tensor) and out.dtype == F64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_outputs_stay_on_cuda():
    rng = np.random.default_rng(26)
    x = _points(rng, 5).cuda().requires_grad_()
    y = _points(rng, 6).cuda()
    res = exact_ot(x, y)
    assert all(t.is_cuda for t in (res.cost, res.plan, res.f, res.g, res.cost_matrix))
    w = wasserstein(x, y)
    (grad,) = torch.autograd.grad(w, x)
    assert w.is_cuda and grad.is_cuda
    assert float(w) == pytest.approx(float(wasserstein(x.detach().cpu(), y.cpu())), rel=1e-12)
    assert cost_matrix(x, y).is_cuda
    assert wasserstein_1d(x[:, 0], y[:, 0]).is_cuda
    s = sinkhorn(x, y, 0.5)
    assert s.is_cuda and torch.autograd.grad(s, x)[0].is_cuda
    assert sinkhorn_plan(x, y, 0.5).is_cuda
    eye = torch.eye(2, device="cuda", dtype=F64)
    assert gaussian_w2(x[0].detach(), eye, y[0], eye).is_cuda
    # array-likes follow the tensor inputs onto the GPU
    assert gaussian_w2(x[0].detach(), np.eye(2), [0.0, 0.0], np.eye(2)).is_cuda


# --------------------------------------------------------------------------- bad input

_X = np.zeros((3, 2))
_Y = np.ones((4, 2))
_NAN = np.array([[0.0, np.nan], [1.0, 1.0]])
_I2 = np.eye(2)
_Z2 = np.zeros(2)

BAD_INPUTS = [
    ("x 1-D", lambda: wasserstein(np.zeros(3), _Y), "2-D point cloud"),
    ("y 3-D", lambda: exact_ot(_X, np.zeros((2, 2, 2))), "2-D point cloud"),
    ("x empty", lambda: wasserstein(np.zeros((0, 2)), _Y), "empty"),
    ("zero-dim points", lambda: cost_matrix(np.zeros((2, 0)), np.zeros((2, 0))), "dimension 0"),
    ("dims differ", lambda: wasserstein(_X, np.zeros((4, 3))), "same dimension"),
    ("NaN in x", lambda: wasserstein(_NAN, _Y), "NaN or infinite"),
    ("inf in y", lambda: sinkhorn(_X, np.full((2, 2), np.inf), 1.0), "NaN or infinite"),
    ("not numbers", lambda: cost_matrix([["a", "b"]], _Y), "real numbers"),
    ("a wrong length", lambda: exact_ot(_X, _Y, a=[0.5, 0.5]), "one entry per point"),
    ("a 2-D", lambda: wasserstein(_X, _Y, a=np.full((3, 1), 1 / 3)), "1-D"),
    ("a negative", lambda: exact_ot(_X, _Y, a=[1.5, -0.5, 0.0]), "non-negative"),
    ("b NaN", lambda: wasserstein(_X, _Y, b=[np.nan, 0.5, 0.25, 0.25]), "NaN"),
    ("a sum", lambda: exact_ot(_X, _Y, a=[0.3, 0.3, 0.3]), r"sum to 1 \(got 0\.9\).*a / a\.sum"),
    ("b sum", lambda: sinkhorn(_X, _Y, 1.0, b=[1.0, 1.0, 1.0, 1.0]), r"b / b\.sum"),
    ("p < 1", lambda: wasserstein(_X, _Y, p=0.5), "p >= 1"),
    ("p nan", lambda: cost_matrix(_X, _Y, p=float("nan")), "p >= 1"),
    ("p bool", lambda: exact_ot(_X, _Y, p=True), "real number"),
    ("reg zero", lambda: sinkhorn(_X, _Y, 0.0), "reg must be a positive"),
    ("reg negative", lambda: sinkhorn_plan(_X, _Y, -1.0), "reg must be a positive"),
    ("reg inf", lambda: sinkhorn(_X, _Y, float("inf")), "reg must be a positive"),
    ("num_iter_max", lambda: exact_ot(_X, _Y, num_iter_max=0), "positive integer"),
    ("stop_thr", lambda: sinkhorn(_X, _Y, 1.0, stop_thr=-1.0), "stop_thr"),
    ("1d 2 columns", lambda: wasserstein_1d(np.zeros((3, 2)), np.zeros(3)), r"\(n,\) or \(n, 1"),
    ("1d empty", lambda: wasserstein_1d(np.zeros(0), np.zeros(3)), "empty"),
    ("1d NaN", lambda: wasserstein_1d([0.0, np.nan], [1.0]), "NaN"),
    ("1d p", lambda: wasserstein_1d([0.0], [1.0], p=0), "p >= 1"),
    ("1d weights", lambda: wasserstein_1d([0.0, 1.0], [1.0], a=[0.2, 0.2]), "sum to 1"),
    ("mean 2-D", lambda: gaussian_w2(np.zeros((2, 1)), _I2, _Z2, _I2), r"shape \(d,\)"),
    ("cov not square", lambda: gaussian_w2(_Z2, np.zeros((2, 3)), _Z2, _I2), "square"),
    ("mean/cov mismatch", lambda: gaussian_w2(np.zeros(3), _I2, _Z2, _I2), "dimension 3"),
    ("dims differ", lambda: gaussian_w2(np.zeros(1), np.eye(1), _Z2, _I2), "different dimensions"),
    ("cov asymmetric", lambda: gaussian_w2(_Z2, [[1.0, 0.5], [0.0, 1.0]], _Z2, _I2), "symmetric"),
    ("cov not PSD", lambda: gaussian_w2(_Z2, _I2, _Z2, np.diag([1.0, -0.1])), "semi-definite"),
    ("cov NaN", lambda: gaussian_w2(_Z2, np.full((2, 2), np.nan), _Z2, _I2), "NaN"),
    ("mean inf", lambda: gaussian_w2([np.inf, 0.0], _I2, _Z2, _I2), "NaN or infinite"),
    ("uniform n", lambda: uniform_weights(0), "positive integer"),
]


@pytest.mark.parametrize(
    ("call", "match"), [(c, m) for _, c, m in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS]
)
def test_bad_input_raises_value_error_with_message(call, match):
    with pytest.raises(ValueError, match=match):
        call()



@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_inputs_on_different_devices_raise_value_error():
    with pytest.raises(ValueError, match="different devices"):
        cost_matrix(torch.zeros(2, 2), torch.zeros(2, 2, device="cuda"))


def test_squared_cost_in_many_dimensions_matches_coordinate_differences():
    # the matrix-product form used for d > 16 in float64 agrees with a direct loop
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(30, 784, generator=gen, dtype=torch.float64)
    y = torch.rand(20, 784, generator=gen, dtype=torch.float64)
    y[3] = x[5]  # a coincident pair: cost 0, not a tiny negative number
    C = cost_matrix(x, y, p=2)
    direct = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    assert torch.allclose(C, direct, rtol=1e-10, atol=1e-10), (C - direct).abs().max()
    assert C[5, 3] >= 0.0
    xr = x.clone().requires_grad_(True)
    cost_matrix(xr, y, p=2).sum().backward()
    assert torch.isfinite(xr.grad).all()
    expected = 2 * (x[:, None, :] - y[None, :, :]).sum(1)
    assert torch.allclose(xr.grad, expected, rtol=1e-10, atol=1e-9)


def test_squared_cost_without_a_graph_equals_the_differentiable_one():
    # cost_matrix and wasserstein skip autograd (and use NumPy) when nothing needs a gradient
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(40, 784, generator=gen, dtype=torch.float64)
    y = torch.rand(50, 784, generator=gen, dtype=torch.float64)
    xr = x.clone().requires_grad_(True)
    assert torch.allclose(cost_matrix(x, y), cost_matrix(xr, y).detach(), rtol=1e-13, atol=1e-12)
    w_fast, w_graph = wasserstein(x, y), wasserstein(xr, y)
    assert w_fast.grad_fn is None and w_graph.grad_fn is not None
    assert torch.allclose(w_fast, w_graph.detach(), rtol=1e-12)
    with torch.no_grad():
        assert wasserstein(xr, y).grad_fn is None
    assert wasserstein(x[:5].float(), x[:5].float()).item() == 0.0  # identical clouds: exactly 0


def test_nonfinite_check_accepts_huge_finite_values_and_counts_bad_entries():
    # the check sums first; an overflowing sum of finite numbers must not be mistaken for a NaN
    huge = torch.full((3, 2), 1e308, dtype=torch.float64)
    assert exact_ot(huge, huge).plan.sum().item() == pytest.approx(1.0)
    bad = huge.clone()
    bad[1, 0] = float("nan")
    bad[2, 1] = float("-inf")
    with pytest.raises(ValueError, match="x contains 2 NaN or infinite entries"):
        cost_matrix(bad, huge)


def test_default_iteration_limit_grows_with_the_problem():
    # 3,000 points need more than POT's fixed 1e5 simplex iterations; the default is max(1e5, nm)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3000, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(3000, 2, generator=gen, dtype=torch.float64) + 0.5
    with pytest.raises(RuntimeError, match="num_iter_max=1000000"):
        wasserstein(x, y, num_iter_max=100_000)
    w = wasserstein(x, y)
    assert w.item() == pytest.approx(exact_ot(x, y, num_iter_max=10**7).cost.sqrt().item())
    with pytest.raises(ValueError, match="num_iter_max"):
        wasserstein(x[:2], y[:2], num_iter_max=0)


# --------------------------------------------------------------------------- moved validators
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: gaussian_w2(_Z2, _I2, _Z2, [[1.0, 0.3], [0.0, 1.0]]), r"S2 is not symmetric.*S2"),
        (lambda: gaussian_w2(_Z2, np.diag([1.0, -1.0]), _Z2, _I2), r"S1 is not positive.*A @ A\.T"),
        (lambda: gaussian_w2(_Z2, _I2, np.zeros((2, 2)), _I2), r"mean m2 .*shape \(d,\).*m2=\["),
        (lambda: gaussian_w2(_Z2, _I2, _Z2, np.zeros(2)), r"covariance S2 must be a square"),
        (lambda: exact_ot(_X, np.zeros(3)), r"y must be a 2-D point cloud.*y\[:, None\]"),
        (lambda: sinkhorn(np.zeros((2, 2)), np.zeros((2, 3)), 1.0), r"x and y must have the same"),
    ],
)
def test_transport_validators_name_the_argument_and_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_exact_ot_results_are_float64_and_gaussian_w2_uses_the_psd_square_root():
    # float64_on and psd_sqrt now come from _checks: same dtype, same square root.
    res = exact_ot(torch.zeros(2, 1, dtype=torch.float32), torch.ones(3, 1, dtype=torch.float32))
    assert res.plan.dtype == torch.float64 and float(res.cost) == pytest.approx(1.0)
    # W_2 between N(0, diag(1, 4)) and N(0, diag(9, 16)) is |1 - 3| and |2 - 4| in quadrature.
    got = gaussian_w2(_Z2, np.diag([1.0, 4.0]), _Z2, np.diag([9.0, 16.0]))
    assert float(got) == pytest.approx(math.sqrt(8.0), rel=1e-12)


# --------------------------------------------------------------------------- bad input (issue 16)
_REAL = np.array([[0.0, 1.0], [1.0, 0.0]])
_COMPLEX = np.array([[0.0, 1.0 + 1.0j], [1.0, 0.0]])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: cost_matrix(_COMPLEX, _REAL), "x"),
        (lambda: cost_matrix([[1 + 1j, 0.0]], [[0.0, 0.0]]), "x"),
        (lambda: exact_ot(_REAL, _REAL, b=np.array([0.5 + 0j, 0.5])), "b"),
        (lambda: wasserstein(_REAL, _COMPLEX), "y"),
        (lambda: wasserstein_1d(np.array([1j, 0.0]), [0.0, 1.0]), "x"),
        (lambda: gaussian_w2(np.array([1j]), [[1.0]], [0.0], [[1.0]]), "m1"),
        (lambda: sinkhorn(_COMPLEX, _REAL, reg=1.0), "x"),
    ],
)
def test_complex_numpy_input_is_refused_not_silently_made_real(call, name):
    # Before: NumPy dropped the imaginary part (with a ComplexWarning at most).
    with pytest.raises(ValueError, match=rf"^{name} is complex; pass real numbers"):
        call()


_HUGE = np.array([[1e200, 0.0], [2e200, 0.0]]), np.array([[3e200, 0.0], [5e200, 0.0]])
_CODES = torch.randn(10, 2, generator=torch.Generator().manual_seed(0)) * 1e20


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: wasserstein(*_HUGE), r"cost matrix .* overflows torch.float64: y has entries "
                                      r"up to 5e\+200; rescale"),
        (lambda: wasserstein(*_HUGE, p=1), "overflows torch.float64"),
        (lambda: exact_ot(*_HUGE), "cost matrix .* overflows torch.float64"),
        (lambda: wasserstein(_CODES, torch.zeros(3, 2)),
         r"overflows torch.float32: x has entries up to .*e\+20; compute in float64"),
        (lambda: wasserstein_1d([1e200, 2e200], [3e200, 5e200]), r"W_p\^p overflows"),
        (lambda: gaussian_w2([1e200], [[1.0]], [0.0], [[1.0]]), "W_2 overflows .* m1 has"),
        (lambda: sinkhorn(*_HUGE, reg=1.0), "cost matrix .* overflows"),
    ],
)
def test_finite_inputs_whose_costs_overflow_are_named_not_answered_wrongly(call, match):
    # Before: "problem infeasible, raise num_iter_max", W_p = 0, inf or NaN.
    with pytest.raises(ValueError, match=match):
        call()


def test_gaussian_w2_of_huge_but_representable_covariances_stays_exact():
    # W_2 between N(0, 1e300) and N(0, 1) is sqrt(1e300) - 1: no overflow, no refusal.
    assert float(gaussian_w2([0.0], [[1e300]], [0.0], [[1.0]])) == pytest.approx(1e150)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_points_are_computed_in_float32(dtype):
    # Before: NotImplementedError ("cdist" / "linalg_eigh_cpu" not implemented for 'Half').
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 2, generator=gen), torch.randn(5, 2, generator=gen)
    xh, yh = x.to(dtype), y.to(dtype)
    x32, y32 = xh.float(), yh.float()  # the same (rounded) points, in float32
    assert torch.equal(cost_matrix(xh, yh), cost_matrix(x32, y32))
    assert torch.equal(wasserstein(xh, yh), wasserstein(x32, y32))
    assert torch.equal(sinkhorn(xh, yh, reg=0.5), sinkhorn(x32, y32, reg=0.5))
    assert sinkhorn_plan(xh, yh, reg=0.5).dtype == torch.float32
    S = torch.eye(2, dtype=dtype)
    w2 = gaussian_w2(xh[0], S, yh[0], 2 * S)
    assert w2.dtype == torch.float32
    assert torch.allclose(w2, gaussian_w2(x32[0], S.float(), y32[0], 2 * S.float()))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: exact_ot(_REAL, _REAL, num_iter_max=10**30),
         r"num_iter_max=1000000000000000000000000000000 is too large.*2\*\*63"),
        (lambda: wasserstein(_REAL, _REAL, num_iter_max=10**30), "num_iter_max=.* is too large"),
        (lambda: sinkhorn(_REAL, _REAL, reg="1"), "reg must be a positive number, got '1'"),
        (lambda: wasserstein(_REAL, _REAL, p="2"), "p must be a real number >= 1, got '2'"),
        (lambda: sinkhorn(_REAL, _REAL + 1, reg=1e-320),
         r"reg=1e-320 is too small for costs up to 4 .*; raise reg, e\.g\. reg=0\.004"),
        (lambda: sinkhorn_plan(_REAL, _REAL + 1, reg=1e-320), "reg=1e-320 is too small"),
        (lambda: sinkhorn(torch.zeros(2, 2), torch.ones(2, 2), reg=1e-40),
         "reg=1e-40 is too small .* in torch.float32.*or compute in float64"),
    ],
)
def test_settings_that_overflow_or_are_strings_are_named(call, match):
    # Before: OverflowError from POT's C code, a silent float("1"), or "the result contains
    # NaN ... remove them from the inputs" (the inputs had none).
    with pytest.raises(ValueError, match=match):
        call()
