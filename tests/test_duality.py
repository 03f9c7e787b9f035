"""Tests for vegan_lib.duality: Kantorovich potentials, certified bounds, critics, POT vs WGAN."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import torch
from oracles import euclidean_distances, gaussian_cloud, random_weights, seeded, w1_linprog

from vegan_lib.duality import (
    certified_w1_lower_bound,
    empirical_lipschitz,
    fit_critic,
    kantorovich_potentials,
)
from vegan_lib.nets import Critic

F64 = torch.float64


# ----------------------------------------------------------------------------- potentials
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kantorovich_potentials_dual_value_equals_primal_cost_and_linprog(seed):
    x, y = gaussian_cloud(9, 2, seed), gaussian_cloud(7, 2, seed + 10, shift=1.0)
    a, b = random_weights(9, seed), random_weights(7, seed + 1)
    pots = kantorovich_potentials(x, y, a, b)
    oracle = w1_linprog(x, y, a, b)
    dual = float(a @ pots.f_x - b @ pots.f_y)
    assert abs(float(pots.cost) - oracle) < 1e-9, (float(pots.cost), oracle)
    assert abs(dual - float(pots.cost)) < 1e-9, (dual, float(pots.cost))
    assert abs(float(pots.dual) - dual) < 1e-12


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kantorovich_potentials_are_1_lipschitz_on_every_pair_of_points(seed):
    x, y = gaussian_cloud(10, 3, seed), gaussian_cloud(8, 3, seed + 20, shift=0.5)
    pots = kantorovich_potentials(x, y)
    points = torch.cat([x, y]).numpy()
    values = torch.cat([pots.f_x, pots.f_y]).numpy()
    for k, j in itertools.combinations(range(len(points)), 2):
        gap = abs(values[k] - values[j])
        dist = np.linalg.norm(points[k] - points[j])
        assert gap <= dist + 1e-9, (k, j, gap, dist)


@pytest.mark.parametrize("seed", [0, 3])
def test_kantorovich_potentials_rise_at_unit_speed_along_the_optimal_plan(seed):
    x, y = gaussian_cloud(12, 2, seed), gaussian_cloud(12, 2, seed + 5, shift=2.0)
    pots = kantorovich_potentials(x, y)
    C = euclidean_distances(x.numpy(), y.numpy())
    support = pots.plan.numpy() > 0
    gaps = pots.f_x.numpy()[:, None] - pots.f_y.numpy()[None, :]
    worst = np.abs(gaps - C)[support].max()
    assert worst < 1e-9, worst
    assert support.sum() >= 12


def test_potential_is_1_lipschitz_off_the_samples_and_matches_its_values_on_them():
    x, y = gaussian_cloud(8, 2, 4), gaussian_cloud(6, 2, 5, shift=1.0)
    pots = kantorovich_potentials(x, y)
    assert torch.allclose(pots.potential(x), pots.f_x, atol=1e-12)
    assert torch.allclose(pots.potential(y), pots.f_y, atol=1e-12)
    w = 3 * gaussian_cloud(50, 2, 6)
    values = pots.potential(w).numpy()
    distances = euclidean_distances(w.numpy(), w.numpy())
    ratios = np.abs(values[:, None] - values[None, :]) / (distances + 1e-300)
    np.fill_diagonal(ratios, 0)
    assert ratios.max() <= 1 + 1e-9, ratios.max()


def test_potential_gradient_at_a_target_point_is_the_unit_vector_to_its_partner():
    # Two well separated pairs: each target's partner is the source right of it.
    x = torch.tensor([[1.0, 0.0], [11.0, 0.0]], dtype=F64)
    y = torch.tensor([[0.0, 0.0], [10.0, 0.0]], dtype=F64)
    pots = kantorovich_potentials(x, y)
    w = y.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(pots.potential(w).sum(), w)
    expected = torch.tensor([[1.0, 0.0], [1.0, 0.0]], dtype=F64)
    assert torch.allclose(grad, expected), grad


def test_kantorovich_potentials_ignore_zero_weight_points():
    x = torch.tensor([[0.0], [5.0], [2.0]], dtype=F64)
    y = torch.tensor([[1.0], [3.0]], dtype=F64)
    a = torch.tensor([0.5, 0.0, 0.5], dtype=F64)
    pots = kantorovich_potentials(x, y, a=a)
    assert abs(float(pots.cost) - 1.0) < 1e-12, float(pots.cost)
    assert abs(float(pots.dual) - 1.0) < 1e-12, float(pots.dual)
    assert float(empirical_lipschitz(torch.cat([x, y]), torch.cat([pots.f_x, pots.f_y]))) <= 1


# ----------------------------------------------------------------------------- bounds
def test_empirical_lipschitz_equals_brute_force_maximum_ratio():
    pts, vals = gaussian_cloud(15, 3, 7), torch.randn(15, generator=seeded(8), dtype=F64)
    brute = max(
        abs(vals[k] - vals[j]).item() / torch.linalg.norm(pts[k] - pts[j]).item()
        for k, j in itertools.combinations(range(15), 2)
    )
    got = float(empirical_lipschitz(pts, vals))
    assert abs(got - brute) < 1e-12, (got, brute)


def test_empirical_lipschitz_edge_cases():
    assert float(empirical_lipschitz([[1.0, 2.0]], [3.0])) == 0.0
    assert float(empirical_lipschitz([[1.0], [1.0]], [3.0, 3.0])) == 0.0
    assert math.isinf(float(empirical_lipschitz([[1.0], [1.0]], [3.0, 4.0])))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_certified_bound_never_exceeds_w1_for_random_critics(seed):
    x, y = gaussian_cloud(10, 2, seed), gaussian_cloud(9, 2, seed + 30, shift=1.0)
    torch.manual_seed(seed)
    critic = Critic(2, hidden=(16,)).double()
    with torch.no_grad():
        fx, fy = 5 * critic(x), 5 * critic(y)
    cb = certified_w1_lower_bound(fx, fy, x, y)
    w1 = w1_linprog(x, y, torch.full((10,), 0.1, dtype=F64), torch.full((9,), 1 / 9, dtype=F64))
    assert float(cb.bound) <= w1 + 1e-12, (float(cb.bound), w1)
    assert abs(float(cb.estimate) - float(fx.mean() - fy.mean())) < 1e-12


def test_certified_bound_of_a_scaled_optimal_critic_is_w1():
    x, y = gaussian_cloud(8, 2, 11), gaussian_cloud(8, 2, 12, shift=1.5)
    pots = kantorovich_potentials(x, y)
    cb = certified_w1_lower_bound(3 * pots.f_x, 3 * pots.f_y, x, y)
    assert abs(float(cb.lipschitz) - 3.0) < 1e-9, float(cb.lipschitz)
    assert abs(float(cb.bound) - float(pots.cost)) < 1e-9, (float(cb.bound), float(pots.cost))


# ----------------------------------------------------------------------------- neural critics
def test_gp_critic_on_two_separated_clouds_is_within_twenty_percent_of_w1():
    x, y = 0.1 * gaussian_cloud(64, 2, 80) + 2.0, 0.1 * gaussian_cloud(64, 2, 81)
    torch.manual_seed(0)
    critic = Critic(2, hidden=(32, 32)).double()
    history = fit_critic(critic, x, y, steps=150, lipschitz="gp", lr=1e-2, progress=False)
    w1 = float(kantorovich_potentials(x, y).cost)
    est = history.last("estimate")
    assert abs(est - w1) < 0.2 * w1, (est, w1)
    with torch.no_grad():
        cb = certified_w1_lower_bound(critic(x), critic(y), x, y)
    assert float(cb.bound) <= w1 + 1e-12


def test_clipped_critic_keeps_its_weights_in_the_box_and_underestimates_w1():
    x, y = 0.1 * gaussian_cloud(32, 2, 82) + 2.0, 0.1 * gaussian_cloud(32, 2, 83)
    torch.manual_seed(0)
    critic = Critic(2, hidden=(16, 16))
    history = fit_critic(critic, x, y, steps=30, lipschitz="clip", clip=0.01, progress=False)
    assert all(p.abs().max() <= 0.01 for p in critic.parameters())
    w1 = float(kantorovich_potentials(x, y).cost)
    assert history.last("estimate") < 0.1 * w1, (history.last("estimate"), w1)


def test_unconstrained_linear_critic_overshoots_w1():
    x, y = torch.full((8, 1), 1.0), torch.zeros(8, 1)
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Flatten(0))
    history = fit_critic(critic, x, y, steps=100, lipschitz="none", lr=0.1, progress=False)
    assert history.last("estimate") > 3.0, history.last("estimate")  # W_1 = 1


def test_fit_critic_logs_every_k_steps_and_the_last():
    x, y = gaussian_cloud(8, 2, 84).float(), gaussian_cloud(8, 2, 85).float()
    h = fit_critic(Critic(2, hidden=(4,)), x, y, steps=7, log_every=3, batch_size=4,
                   progress=False)
    assert h.step == [3, 6, 7]
    assert set(h.terms) == {"estimate", "loss", "gradient_penalty"}


def _reference_critic_training(critic, x, y, steps, lipschitz, lr, batch_size, seed,
                                gp_weight=10.0, clip=0.01):
    """Independent oracle: the critic's training loop written out by hand.

    Per step, two permutations of the samples from one seeded generator (a random pairing
    of the points), the loss mean f(y) - mean f(x) on the full samples or the minibatch,
    plus the gradient penalty on interpolates of the pairing (coefficients from the same
    generator), one Adam step with betas (0.5, 0.9), then clipping. Records every step.
    """
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.9))
    if lipschitz == "clip":
        with torch.no_grad():
            for p in critic.parameters():
                p.clamp_(-clip, clip)
    n, m = len(x), len(y)
    k = min(n, m) if batch_size is None else batch_size
    rows = []
    critic.train()
    for _ in range(steps):
        xp = x[torch.randperm(n, generator=gen)[:k]]
        yp = y[torch.randperm(m, generator=gen)[:k]]
        xb, yb = (x, y) if batch_size is None else (xp, yp)
        f_x = critic(xb)  # first: a spectrally normalised layer updates at every call
        loss = critic(yb).mean() - f_x.mean()
        row = {}
        if lipschitz == "gp":
            t = torch.rand(k, generator=gen, dtype=x.dtype)[:, None]
            mid = (t * xp + (1 - t) * yp).requires_grad_(True)
            (grad,) = torch.autograd.grad(critic(mid).sum(), mid, create_graph=True)
            gp = ((torch.linalg.vector_norm(grad, dim=1) - 1) ** 2).mean()
            loss = loss + gp_weight * gp
            row["gradient_penalty"] = gp.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if lipschitz == "clip":
            with torch.no_grad():
                for p in critic.parameters():
                    p.clamp_(-clip, clip)
        critic.eval()
        with torch.no_grad():
            row["estimate"] = (critic(x).mean() - critic(y).mean()).item()
        critic.train()
        row["loss"] = loss.item()
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("lipschitz", "batch_size", "spectral_norm"),
    [("gp", None, False), ("gp", 12, False), ("clip", None, False), ("clip", 10, False),
     ("sn", None, True), ("none", 16, False)],
)
def test_fit_critic_equals_a_hand_written_training_loop(lipschitz, batch_size, spectral_norm):
    x, y = gaussian_cloud(20, 2, 86).float() + 1.0, gaussian_cloud(24, 2, 87).float()
    torch.manual_seed(3)
    critic = Critic(2, hidden=(8, 8), spectral_norm=spectral_norm)
    twin = copy.deepcopy(critic)
    before = torch.get_rng_state()
    history = fit_critic(critic, x, y, steps=12, lipschitz=lipschitz, lr=5e-3,
                         batch_size=batch_size, seed=5, log_every=1, clip=0.05, progress=False)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's random state is untouched
    rows = _reference_critic_training(twin, x, y, 12, lipschitz, 5e-3, batch_size, 5, clip=0.05)
    assert history.step == list(range(1, 13))
    for term in rows[0]:
        got, expected = np.array(history[term]), np.array([r[term] for r in rows])
        assert np.allclose(got, expected, rtol=1e-6, atol=1e-7), (term, got, expected)
    for p, q in zip(critic.parameters(), twin.parameters(), strict=True):
        assert torch.allclose(p, q, rtol=1e-6, atol=1e-7), (p, q)
    assert not critic.training


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_value_errors_that_say_how_to_fix_them():
    x, z = gaussian_cloud(4, 2, 90), gaussian_cloud(3, 2, 91)
    with pytest.raises(ValueError, match="2-D point cloud"):
        kantorovich_potentials(torch.zeros(4), z)
    with pytest.raises(ValueError, match="same dimension"):
        kantorovich_potentials(x, torch.zeros(3, 5))
    with pytest.raises(ValueError, match="dimension"):
        kantorovich_potentials(x, z).potential(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="one per point"):
        empirical_lipschitz(x, torch.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        empirical_lipschitz(x, torch.tensor([0.0, 1.0, math.nan, 2.0]))
    with pytest.raises(ValueError, match="one score per point"):
        certified_w1_lower_bound(torch.zeros(4, 1), torch.zeros(3), x, z)
    with pytest.raises(ValueError, match="same dimension"):
        certified_w1_lower_bound(torch.zeros(4), torch.zeros(3), x, torch.zeros(3, 1))


def test_fit_critic_rejects_bad_settings():
    x, y = gaussian_cloud(6, 2, 92).float(), gaussian_cloud(6, 2, 93).float()
    critic = Critic(2, hidden=(4,))
    with pytest.raises(ValueError, match="unknown lipschitz"):
        fit_critic(critic, x, y, lipschitz="weight-decay", progress=False)
    with pytest.raises(ValueError, match="spectral_norm=True"):
        fit_critic(critic, x, y, lipschitz="sn", progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        fit_critic(critic, x, y, batch_size=7, progress=False)
    with pytest.raises(ValueError, match="steps"):
        fit_critic(critic, x, y, steps=0, progress=False)
    with pytest.raises(ValueError, match="lr"):
        fit_critic(critic, x, y, lr=-1.0, progress=False)
    with pytest.raises(ValueError, match="same dimension"):
        fit_critic(critic, x, torch.zeros(6, 3), progress=False)
    with pytest.raises(ValueError, match="nn.Module"):
        fit_critic(lambda t: t.sum(1), x, y, progress=False)
    with pytest.raises(ValueError, match="gp_weight"):
        fit_critic(critic, x, y, gp_weight=0.0, progress=False)
    with pytest.raises(ValueError, match="clip"):
        fit_critic(critic, x, y, lipschitz="clip", clip=-0.01, progress=False)
    with pytest.raises(ValueError, match="seed"):
        fit_critic(critic, x, y, seed=-1, progress=False)
    with pytest.raises(ValueError, match="log_every"):
        fit_critic(critic, x, y, log_every=0, progress=False)
    with pytest.raises(ValueError, match="no parameters"):
        fit_critic(torch.nn.Flatten(0), x, y, progress=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_exact_results_stay_on_the_gpu():
    x, z = gaussian_cloud(6, 2, 94).cuda(), gaussian_cloud(5, 2, 95).cuda()
    pots = kantorovich_potentials(x, z)
    assert pots.f_x.is_cuda and pots.plan.is_cuda
    assert pots.potential(z).is_cuda
    cb = certified_w1_lower_bound(pots.f_x, pots.f_y, x, z)
    assert cb.bound.is_cuda
    critic = Critic(2, hidden=(8,)).cuda()
    h = fit_critic(critic, x.float(), z.float(), steps=3, progress=False)
    assert len(h) == 1


# --------------------------------------------------------------------------- bad input (issue 16)
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"betas": (0.9,)}, r"betas must be a pair of numbers in \[0, 1\), got \(0.9,\)"),
        ({"betas": ("0.5", 0.9)}, "betas must be a pair of numbers"),
        ({"seed": 2**70}, r"seed must be in \[0, 2\*\*63\)"),
        ({"lr": 1e300}, r"lr=1e\+300 is too large.*float32"),
        ({"steps": 10**30}, r"steps=.* is too large"),
    ],
)
def test_fit_critic_names_settings_that_would_fail_inside_torch(kwargs, match):
    # Before: IndexError inside Adam, "Overflow when unpacking long long", "value cannot
    # be converted to type float without overflow".
    x, y = torch.randn(8, 2), torch.randn(8, 2)
    with pytest.raises(ValueError, match=match):
        fit_critic(Critic(2, hidden=(4,)), x, y, **{"steps": 1, **kwargs}, progress=False)


@pytest.mark.parametrize("name", ["f_x", "f_y"])
def test_certified_bound_names_the_scores_that_hold_nan(name):
    # Before: "values contains 1 NaN", the name inside empirical_lipschitz.
    scores = {"f_x": [1.0, 2.0], "f_y": [0.0, 1.0]}
    scores[name] = [1.0, math.nan]
    with pytest.raises(ValueError, match=rf"^{name} contains 1 NaN"):
        certified_w1_lower_bound(scores["f_x"], scores["f_y"], [[0.0], [1.0]], [[2.0], [3.0]])
