"""Tests for vegan_lib.exact_pot: penalized OT solved exactly (TV and W_{c_G} penalties).

Oracles: POT's network simplex on a balanced transport problem with a reservoir and a
sink (the TV relaxation), scipy's linprog on the Kantorovich LP of the push-forward
(W_1), cost matrices from plain loops, and closed forms on two-atom instances.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from oracles import (
    decoded,
    euclidean_distances,
    gaussian_cloud,
    loop_cost,
    random_problem,
    random_weights,
    w1_linprog,
)

from vegan_lib.exact_pot import PenalizedOTResult, pot_relaxation, pot_wgan_dual_lp
from vegan_lib.theory import encoder_form
from vegan_lib.transport import exact_ot

F64 = torch.float64


# ----------------------------------------------------------------------------- oracles


def _tanh_generator(z):
    return 2 * torch.tanh(z @ torch.tensor([[1.0, 0.5], [-0.3, 1.2]], dtype=z.dtype))


def _pushforward_w1(x, z, G, a=None, b=None):
    """W_1(P_X, P_G) by the independent LP oracle on the decoded atoms."""
    y = G(z)
    a = torch.full((len(x),), 1 / len(x), dtype=F64) if a is None else a
    b = torch.full((len(z),), 1 / len(z), dtype=F64) if b is None else b
    return w1_linprog(x, y, a, b)


X2 = torch.zeros(3, 2, dtype=F64)
Z2 = torch.zeros(4, 2, dtype=F64)


# ----------------------------------------------------------------------------- relaxation
def _augmented_ot_value(C: np.ndarray, a: np.ndarray, b: np.ndarray, lam: float) -> float:
    """The TV-penalized relaxation as a balanced transport problem, solved by POT.

    Sources: the n data points and a reservoir of mass 1; targets: the m codes and a
    sink of mass 1. A data point reaches code j at cost C_ij, or the sink (mass a code
    receives beyond b_j) at cost min_j C_ij + lam/2; the reservoir fills a code's
    deficit at cost lam/2 and sends the rest to the sink for free. Both marginals have
    mass 2, hence the halving of the weights and the doubling of the value.
    """
    import ot

    n, m = C.shape
    M = np.zeros((n + 1, m + 1))
    M[:n, :m] = C
    M[:n, m] = C.min(axis=1) + lam / 2
    M[n, :m] = lam / 2
    source = np.concatenate([a, [1.0]]) / 2
    target = np.concatenate([b, [1.0]]) / 2
    return 2.0 * float(ot.emd2(source, target, M))


LAMBDAS = [0.0, 0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0]


@pytest.mark.parametrize("p", [1, 2])
def test_pot_relaxation_at_lambda_zero_is_nearest_code_cost(p: int) -> None:
    for seed in range(10):
        x, z, G, a, b, kind = random_problem(seed)
        C = loop_cost(x.numpy(), decoded(z, G), p)
        nearest = float(sum(a[i] * C[i].min() for i in range(len(a))))
        value = pot_relaxation(x, z, G, 0.0, a, b, p=p).value.item()
        assert abs(value - nearest) < 1e-9, (seed, kind, value, nearest)


@pytest.mark.parametrize("p", [1, 2])
def test_pot_relaxation_equals_balanced_ot_with_reservoir_and_sink(p: int) -> None:
    for seed in range(8):
        x, z, G, a, b, kind = random_problem(seed)
        C = loop_cost(x.numpy(), decoded(z, G), p)
        for lam in LAMBDAS:
            value = pot_relaxation(x, z, G, lam, a, b, p=p).value.item()
            oracle = _augmented_ot_value(C, a, b, lam)
            assert abs(value - oracle) < 1e-9, (seed, kind, lam, value, oracle)


def test_pot_relaxation_is_below_encoder_form_and_nondecreasing_in_lambda() -> None:
    for seed in range(12):
        x, z, G, a, b, kind = random_problem(seed)
        w = encoder_form(x, z, G, a, b).cost.item()
        values = [pot_relaxation(x, z, G, lam, a, b).value.item() for lam in LAMBDAS]
        assert all(v <= w + 1e-9 for v in values), (seed, kind, w, values)
        steps = np.diff(values)
        assert (steps >= -1e-9).all(), (seed, kind, values)
        # concave: a minimum of affine functions of lam (slopes TV >= 0 decrease)
        slopes = steps / np.diff(LAMBDAS)
        assert (np.diff(slopes) <= 1e-7).all(), (seed, kind, slopes)


@pytest.mark.parametrize("p", [1, 2])
def test_pot_relaxation_equals_encoder_form_from_dual_oscillation_and_row_range(p: int) -> None:
    for seed in range(12):
        x, z, G, a, b, kind = random_problem(seed)
        C = loop_cost(x.numpy(), decoded(z, G), p)
        delta = float((C.max(axis=1) - C.min(axis=1)).max())  # the exact-penalty threshold
        g = exact_ot(x, decoded(z, G), a, b, p).g  # osc(g) of any optimal potential suffices
        w = encoder_form(x, z, G, a, b, p=p).cost.item()
        for lam in (float(g.max() - g.min()), delta, 2 * C.max(), 1e3):
            res = pot_relaxation(x, z, G, lam, a, b, p=p)
            assert abs(res.value.item() - w) < 1e-9, (seed, kind, lam, res.value.item(), w)


def test_pot_relaxation_threshold_is_sharp_for_one_point_and_two_codes() -> None:
    # costs 0 and c = 9 to the two codes, b = (1/2, 1/2): value = min(lam, c) / 2, W = c / 2
    x = torch.tensor([[0.0, 0.0]], dtype=F64)
    z = torch.tensor([[0.0, 0.0], [0.0, 3.0]], dtype=F64)
    for lam in [0.0, 1.0, 4.5, 8.0, 8.99, 9.0, 12.0, 100.0]:
        value = pot_relaxation(x, z, lambda c: c, lam).value.item()
        assert abs(value - min(lam, 9.0) / 2) < 1e-9, (lam, value)


def test_pot_relaxation_value_is_reconstruction_plus_lambda_times_tv_of_its_plan() -> None:
    x, z, G, a, b, _ = random_problem(5)
    C = loop_cost(x.numpy(), decoded(z, G), 2)
    for lam in LAMBDAS:
        res = pot_relaxation(x, z, G, lam, a, b)
        assert isinstance(res, PenalizedOTResult) and res.lam == lam and res.divergence == "tv"
        plan = res.plan.numpy()
        q = plan.sum(axis=0)
        reconstruction = float((plan * C).sum())
        tv = 0.5 * float(np.abs(q - b).sum())
        assert (plan >= 0).all() and np.allclose(plan.sum(axis=1), a, atol=1e-9)
        assert np.allclose(res.aggregated_posterior.numpy(), q, atol=1e-12)
        assert np.allclose(res.encoder.numpy().sum(axis=1), 1.0, atol=1e-9)
        assert abs(res.reconstruction.item() - reconstruction) < 1e-9, (lam, reconstruction)
        assert abs(res.penalty.item() - tv) < 1e-9, (lam, res.penalty.item(), tv)
        total = res.reconstruction.item() + lam * res.penalty.item()
        assert abs(res.value.item() - total) < 1e-9, (lam, res.value.item(), total)


def test_pot_relaxation_q_is_far_from_prior_at_zero_and_is_the_prior_when_large() -> None:
    x, z, G, a, b, _ = random_problem(7)
    free = pot_relaxation(x, z, G, 0.0, a, b)
    tight = pot_relaxation(x, z, G, 1e3, a, b)
    assert free.penalty.item() > 0.05, free.penalty.item()
    assert tight.penalty.item() < 1e-9 and torch.allclose(
        tight.aggregated_posterior, torch.from_numpy(b), atol=1e-9
    )


def test_pot_relaxation_float32_inputs_give_float64_results() -> None:
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    res = pot_relaxation(x, x, lambda c: c + 1.0, lam=100.0)
    for t in (res.value, res.reconstruction, res.penalty, res.plan, res.aggregated_posterior):
        assert t.dtype == F64
    assert abs(res.value.item() - 2.0) < 1e-6, res.value.item()  # every point moves by (1, 1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_pot_relaxation_stays_on_the_gpu() -> None:
    x, z, G, a, b, _ = random_problem(0)  # torch.round runs on any device
    res = pot_relaxation(x.cuda(), z.cuda(), G, 1.0, a, b)
    cpu = pot_relaxation(x, z, G, 1.0, a, b)
    assert res.value.device.type == "cuda" and res.plan.device.type == "cuda"
    assert abs(res.value.item() - cpu.value.item()) < 1e-12


@pytest.mark.parametrize(
    ("lam", "match"),
    [(-1.0, ">= 0"), (float("nan"), "finite"), (float("inf"), "finite"), (True, "number"),
     ("ten", "number"), (None, "number")],
)
def test_pot_relaxation_rejects_bad_lambda(lam, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pot_relaxation(X2, Z2, lambda c: c, lam)


def test_pot_relaxation_rejects_bad_generator_weights_and_p() -> None:
    with pytest.raises(ValueError, match="4 latent atoms"):
        pot_relaxation(X2, Z2, lambda c: c[:2], 1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        pot_relaxation(X2, Z2, lambda c: c, 1.0, a=torch.tensor([0.5, 0.5, 0.5]))
    with pytest.raises(ValueError, match="p must be"):
        pot_relaxation(X2, Z2, lambda c: c, 1.0, p=0.5)


# ----------------------------------------------------------------------------- POT vs WGAN
def test_pot_wgan_lp_equals_min_of_lambda_and_one_times_w1_on_two_atoms():
    # P_X = delta_0, P_G = (delta_0 + delta_1) / 2: D_POT(lam) = min(lam, 1) / 2.
    x = torch.tensor([[0.0]], dtype=F64)
    z = torch.tensor([[0.0], [1.0]], dtype=F64)
    for lam in (0.0, 0.3, 0.7, 1.0, 1.2, 4.0):
        got = float(pot_wgan_dual_lp(x, z, lambda c: c, lam).value)
        assert abs(got - min(lam, 1.0) / 2) < 1e-9, (lam, got)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lam", [1.0, 1.5, 5.0])
def test_pot_wgan_lp_equals_w1_of_the_pushforward_for_lambda_at_least_one(seed, lam):
    x, z = gaussian_cloud(8, 2, seed), gaussian_cloud(7, 2, seed + 40)
    a, b = random_weights(8, seed + 2), random_weights(7, seed + 3)
    res = pot_wgan_dual_lp(x, z, _tanh_generator, lam, a=a, b=b)
    w1 = _pushforward_w1(x, z, _tanh_generator, a, b)
    assert abs(float(res.value) - w1) < 1e-8, (float(res.value), w1)


@pytest.mark.parametrize("seed", [0, 1])
def test_pot_wgan_lp_is_below_w1_increasing_and_nearest_code_at_zero(seed):
    x, z = gaussian_cloud(8, 2, seed + 50), gaussian_cloud(6, 2, seed + 60)
    w1 = _pushforward_w1(x, z, _tanh_generator)
    lams = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    values = [float(pot_wgan_dual_lp(x, z, _tanh_generator, lam).value) for lam in lams]
    assert all(v <= w1 + 1e-9 for v in values), (values, w1)
    assert all(v1 <= v2 + 1e-9 for v1, v2 in itertools.pairwise(values)), values
    nearest = euclidean_distances(x.numpy(), _tanh_generator(z).numpy()).min(1).mean()
    assert abs(values[0] - nearest) < 1e-9, (values[0], nearest)


def test_pot_wgan_lp_is_strictly_below_w1_for_lambda_below_one_on_a_2d_instance():
    # Data on a hexagon of radius 1.9; the model puts 3/4 of its mass on a hexagon of
    # radius 2 and 1/4 at the origin: W_1 = 3/4 * 0.1 + 1/4 * 1.9 = 0.55. Encoding
    # everything to the outer hexagon costs 0.1 + lam * 1/4 * 2 = 0.35 at lam = 0.5.
    angles = torch.arange(6, dtype=F64) * (2 * math.pi / 6)
    ring = torch.stack([angles.cos(), angles.sin()], 1)
    x = 1.9 * ring
    z = torch.cat([2 * ring, torch.zeros(2, 2, dtype=F64)])
    w1 = _pushforward_w1(x, z, lambda c: c)
    assert abs(w1 - 0.55) < 1e-9, w1
    res = pot_wgan_dual_lp(x, z, lambda c: c, lam=0.5)
    assert abs(float(res.value) - 0.35) < 1e-9, (float(res.value), w1)
    assert float(res.aggregated_posterior[6:].sum()) < 1e-9


@pytest.mark.parametrize("lam", [0.0, 0.4, 1.0, 2.5])
def test_pot_wgan_lp_dual_critic_is_feasible_and_its_value_equals_the_primal(lam):
    x, z = gaussian_cloud(7, 2, 70), gaussian_cloud(6, 2, 71)
    res = pot_wgan_dual_lp(x, z, _tanh_generator, lam)
    y = _tanh_generator(z).numpy()
    C, D = euclidean_distances(x.numpy(), y), euclidean_distances(y, y)
    u, h = res.critic_data.numpy(), res.critic_model.numpy()
    assert (u[:, None] - h[None, :] <= C + 1e-9).all()
    assert (np.abs(h[:, None] - h[None, :]) <= lam * D + 1e-9).all()
    assert abs(float(res.dual_value) - float(res.value)) < 1e-9, (res.dual_value, res.value)
    # the parts: pi has rows a, q is its column sums, value = reconstruction + lam * penalty
    assert torch.allclose(res.plan.sum(1), torch.full((7,), 1 / 7, dtype=F64), atol=1e-9)
    assert torch.allclose(res.latent_plan.sum(0), torch.full((6,), 1 / 6, dtype=F64), atol=1e-9)
    assert torch.allclose(res.latent_plan.sum(1), res.aggregated_posterior, atol=1e-9)
    recon = float((res.plan.numpy() * C).sum())
    assert abs(float(res.reconstruction) - recon) < 1e-12
    assert abs(float(res.value) - (recon + lam * float(res.penalty))) < 1e-9


def test_pot_wgan_lp_penalty_is_the_latent_wasserstein_cost_of_q():
    x = torch.tensor([[0.0]], dtype=F64)
    z = torch.tensor([[0.0], [1.0]], dtype=F64)
    res = pot_wgan_dual_lp(x, z, lambda c: 3 * c, lam=0.5)
    # everything encoded to z=0: q = (1, 0), W_{c_G}(q, b) = 0.5 * |G(0) - G(1)| = 1.5
    assert torch.allclose(res.aggregated_posterior, torch.tensor([1.0, 0.0], dtype=F64))
    assert abs(float(res.penalty) - 1.5) < 1e-12, float(res.penalty)


def test_pot_wgan_lp_rejects_bad_inputs_and_says_how_to_fix_them():
    x, z = gaussian_cloud(4, 2, 90), gaussian_cloud(3, 2, 91)
    with pytest.raises(ValueError, match="lam must be"):
        pot_wgan_dual_lp(x, z, _tanh_generator, -1.0)
    with pytest.raises(ValueError, match="lam must be"):
        pot_wgan_dual_lp(x, z, _tanh_generator, float("nan"))
    with pytest.raises(ValueError, match="lam must be"):
        pot_wgan_dual_lp(x, z, _tanh_generator, "big")
    with pytest.raises(ValueError, match="G must be a callable"):
        pot_wgan_dual_lp(x, z, "G", 1.0)
    with pytest.raises(ValueError, match="one point per code"):
        pot_wgan_dual_lp(x, z, lambda c: c[:2], 1.0)
    with pytest.raises(ValueError, match="dimension"):
        pot_wgan_dual_lp(x, z, lambda c: c[:, :1], 1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        pot_wgan_dual_lp(x, z, _tanh_generator, 1.0, a=torch.ones(4, dtype=F64))


# ----------------------------------------------------------------------------- one result type
def test_both_problems_return_one_result_type_with_the_same_parts() -> None:
    x, z = gaussian_cloud(5, 2, 96), gaussian_cloud(4, 2, 97)
    tv = pot_relaxation(x, z, _tanh_generator, 0.5, p=1)
    w = pot_wgan_dual_lp(x, z, _tanh_generator, 0.5)
    assert type(tv) is type(w) is PenalizedOTResult
    assert (tv.divergence, w.divergence) == ("tv", "w_cG")
    for res in (tv, w):
        assert res.plan.shape == res.encoder.shape == (5, 4)
        assert res.aggregated_posterior.shape == (4,) and res.decoded.shape == (4, 2)
        assert torch.allclose(res.encoder.sum(1), torch.ones(5, dtype=F64), atol=1e-9)
        assert abs(float(res.value) - float(res.reconstruction + 0.5 * res.penalty)) < 1e-12
    assert tv.latent_plan is None and tv.critic_model is None and tv.dual_value is None
    assert w.latent_plan.shape == (4, 4) and w.critic_data.shape == (5,)
    # both relax the encoder form with c = |x - y|, so neither exceeds W_1(P_X, P_G)
    w1 = encoder_form(x, z, _tanh_generator, p=1).cost.item()
    assert float(tv.value) <= w1 + 1e-9 and float(w.value) <= w1 + 1e-9


def test_a_zero_weight_data_point_gets_the_prior_as_encoder_row() -> None:
    x = torch.tensor([[0.0], [5.0], [1.0]], dtype=F64)
    z = torch.tensor([[0.0], [1.0]], dtype=F64)
    a = torch.tensor([0.5, 0.0, 0.5], dtype=F64)
    b = torch.tensor([0.25, 0.75], dtype=F64)
    for res in (pot_relaxation(x, z, lambda c: c, 1.0, a, b),
                pot_wgan_dual_lp(x, z, lambda c: c, 1.0, a, b)):
        assert torch.equal(res.encoder[1], b), (res.divergence, res.encoder)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_pot_wgan_lp_stays_on_the_gpu() -> None:
    x, z = gaussian_cloud(6, 2, 94), gaussian_cloud(5, 2, 95)
    res = pot_wgan_dual_lp(x.cuda(), z.cuda(), lambda c: 2 * c, 1.0)
    cpu = pot_wgan_dual_lp(x, z, lambda c: 2 * c, 1.0)
    assert res.value.is_cuda and res.critic_model.is_cuda and res.latent_plan.is_cuda
    assert abs(res.value.item() - cpu.value.item()) < 1e-12
