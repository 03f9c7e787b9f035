"""Tests for vegan_lib.theory: the encoder form of optimal transport.

Oracles: scipy's linprog on the Kantorovich LP between the data and the push-forward
measure P_G (whose atoms are merged here with a dictionary, independently of
:func:`pushforward`), cost matrices from plain loops, the gluing construction of the
proof done by hand, and Monte-Carlo sampling of the random decoder; the random problems
against the documented order of their draws, redone here with NumPy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from oracles import decoded, kantorovich_lp, loop_cost, random_problem

from vegan_lib.theory import (
    EncoderFormResult,
    encoder_form,
    fold_generator,
    pushforward,
    random_decoder_encoder_form,
    random_encoder_problem,
)
from vegan_lib.transport import exact_ot, wasserstein

F64 = torch.float64


# ----------------------------------------------------------------------------- oracles


def _merge_by_dict(y: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P_G by exact equality of images: (support (K, d), weights (K,), index of z_j (m,))."""
    index: dict[tuple[float, ...], int] = {}
    label = np.empty(len(y), dtype=int)
    for j, point in enumerate(y):
        label[j] = index.setdefault(tuple(point.tolist()), len(index))
    support = np.array([list(key) for key in index])
    weights = np.zeros(len(index))
    np.add.at(weights, label, b)
    return support, weights, label


# ----------------------------------------------------------------------------- theorem
@pytest.mark.parametrize("p", [1, 2])
def test_encoder_form_equals_wasserstein_on_pushforward_and_linprog(p: int) -> None:
    non_injective = 0
    for seed in range(50):
        x, z, G, a, b, kind = random_problem(seed)
        support, weights, _ = _merge_by_dict(decoded(z, G), b)
        non_injective += len(support) < len(z)

        value = encoder_form(x, z, G, a, b, p=p).cost.item()
        lp, _ = kantorovich_lp(a, weights, loop_cost(x.numpy(), support, p), tol=1e-10)
        pg_support, pg_weights = pushforward(z, G, b)
        w = wasserstein(x, pg_support, p=p, a=a, b=pg_weights).item() ** p

        assert abs(value - lp) < 1e-9, (seed, kind, p, value, lp)
        assert abs(value - w) < 1e-9, (seed, kind, p, value, w)
    # the random instances must exercise the non-injective case the theorem is about
    assert non_injective >= 25, non_injective


def test_encoder_rows_are_probabilities_and_aggregated_posterior_equals_prior() -> None:
    for seed in range(50):
        x, z, G, a, b, kind = random_problem(seed)
        res = encoder_form(x, z, G, a, b, p=1 + seed % 2)
        Q = res.encoder.numpy()
        assert Q.shape == (len(x), len(z))
        assert Q.min() >= 0, (seed, Q.min())
        assert np.abs(Q.sum(axis=1) - 1).max() < 1e-9, (seed, Q.sum(axis=1))
        q_z = res.aggregated_posterior.numpy()
        assert np.abs(q_z - b).max() < 1e-9, (seed, kind, q_z, b)
        assert np.abs(q_z - a @ Q).max() < 1e-12


def test_plan_is_a_coupling_of_data_and_codes_with_the_reported_cost() -> None:
    for seed in range(20):
        x, z, G, a, b, _ = random_problem(seed)
        p = 1 + seed % 2
        res = encoder_form(x, z, G, a, b, p=p)
        plan = res.plan.numpy()
        assert np.abs(plan.sum(axis=1) - a).max() < 1e-12
        assert np.abs(plan.sum(axis=0) - b).max() < 1e-12
        assert np.abs(plan - a[:, None] * res.encoder.numpy()).max() < 1e-12
        by_loop = float((plan * loop_cost(x.numpy(), decoded(z, G), p)).sum())
        assert abs(res.cost.item() - by_loop) < 1e-12, (res.cost.item(), by_loop)
        assert torch.equal(res.decoded, torch.as_tensor(decoded(z, G)))


def test_merging_the_encoder_plan_along_G_gives_an_optimal_data_model_coupling() -> None:
    # first half of the proof: a coupling of (X, Z) induces one of (X, G(Z)), same cost
    for seed in range(30):
        x, z, G, a, b, _ = random_problem(seed)
        support, weights, label = _merge_by_dict(decoded(z, G), b)
        res = encoder_form(x, z, G, a, b, p=2)
        merged = np.zeros((len(x), len(support)))
        np.add.at(merged.T, label, res.plan.numpy().T)
        assert np.abs(merged.sum(axis=1) - a).max() < 1e-12
        assert np.abs(merged.sum(axis=0) - weights).max() < 1e-12
        C = loop_cost(x.numpy(), support, 2)
        lp, _ = kantorovich_lp(a, weights, C, tol=1e-10)
        assert abs(float((merged * C).sum()) - lp) < 1e-9, (seed, (merged * C).sum(), lp)


def test_gluing_an_optimal_coupling_along_G_gives_an_encoder_with_prior_aggregate() -> None:
    # second half of the proof: glue the optimal (X, Y) coupling with (Y, Z) along Y
    for seed in range(30):
        x, z, G, a, b, _ = random_problem(seed)
        support, weights, label = _merge_by_dict(decoded(z, G), b)
        lp, gamma = kantorovich_lp(a, weights, loop_cost(x.numpy(), support, 2), tol=1e-10)
        glued = gamma[:, label] * (b / weights[label])[None, :]  # pi_ij
        encoder = glued / a[:, None]
        assert np.abs(encoder.sum(axis=1) - 1).max() < 1e-8
        assert np.abs(a @ encoder - b).max() < 1e-8
        glued_cost = float((glued * loop_cost(x.numpy(), decoded(z, G), 2)).sum())
        value = encoder_form(x, z, G, a, b, p=2).cost.item()
        assert abs(glued_cost - value) < 1e-9, (seed, glued_cost, value)


def test_zero_weight_data_point_gets_the_prior_as_encoder_row() -> None:
    x = torch.tensor([[0.0], [5.0], [1.0]], dtype=F64)
    z = torch.tensor([[0.0], [1.0]], dtype=F64)
    a = torch.tensor([0.5, 0.0, 0.5], dtype=F64)
    b = torch.tensor([0.25, 0.75], dtype=F64)
    res = encoder_form(x, z, lambda c: c, a, b)
    assert torch.allclose(res.encoder[1], b), res.encoder
    assert torch.allclose(res.aggregated_posterior, b)
    # x=0 sends 0.25 to G(z)=0 and 0.25 to G(z)=1 (cost 0.25 * 1), x=1 sends 0.5 to 1
    assert abs(res.cost.item() - 0.25) < 1e-12, res.cost.item()


def test_float32_inputs_give_float64_results() -> None:
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    res = encoder_form(x, x, lambda c: c + 1.0)
    assert isinstance(res, EncoderFormResult)
    for t in (res.cost, res.encoder, res.plan, res.aggregated_posterior):
        assert t.dtype == F64
    assert abs(res.cost.item() - 2.0) < 1e-6, res.cost.item()  # every point moves by (1, 1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_encoder_form_stays_on_the_gpu() -> None:
    x, z, G, a, b, _ = random_problem(0)  # torch.round: a generator that runs on any device
    x, z = x.cuda(), z.cuda()
    res = encoder_form(x, z, G, a, b)
    cpu = encoder_form(x.cpu(), z.cpu(), G, a, b)
    assert res.encoder.device.type == "cuda" and res.cost.device.type == "cuda"
    assert abs(res.cost.item() - cpu.cost.item()) < 1e-12
    support, weights = pushforward(z, torch.round, b)
    assert support.device.type == "cuda" and weights.device.type == "cuda"


# ----------------------------------------------------------------------------- pushforward
def test_pushforward_merges_codes_with_equal_images_like_a_dictionary() -> None:
    for seed in range(40):
        _, z, G, _, b, kind = random_problem(seed)
        support, weights = pushforward(z, G, b)
        ref_support, ref_weights, _ = _merge_by_dict(decoded(z, G), b)
        assert support.shape == ref_support.shape, (kind, support.shape, ref_support.shape)
        assert np.array_equal(support.numpy(), ref_support), kind
        assert np.abs(weights.numpy() - ref_weights).max() < 1e-12


def test_pushforward_merges_images_closer_than_tol_only() -> None:
    z = torch.tensor([[0.0], [1e-9], [1.0]], dtype=F64)
    support, weights = pushforward(z, lambda c: c)
    assert support.shape == (3, 1)
    support, weights = pushforward(z, lambda c: c, tol=1e-6)
    assert support.tolist() == [[0.0], [1.0]]
    assert torch.allclose(weights, torch.tensor([2 / 3, 1 / 3], dtype=F64))


def test_pushforward_of_injective_generator_keeps_every_atom() -> None:
    z = torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], dtype=F64)
    b = torch.tensor([0.2, 0.3, 0.5], dtype=F64)
    support, weights = pushforward(z, lambda c: 2 * c, b)
    assert torch.equal(support, 2 * z)
    assert torch.equal(weights, b)


# ----------------------------------------------------------------------------- random decoder
def test_random_decoder_value_is_deterministic_linprog_value_plus_d_gamma_squared() -> None:
    for seed in range(20):
        x, z, G, a, b, _ = random_problem(seed)
        support, weights, _ = _merge_by_dict(decoded(z, G), b)
        lp, _ = kantorovich_lp(a, weights, loop_cost(x.numpy(), support, 2), tol=1e-10)
        gamma = 0.1 + 0.1 * (seed % 5)
        value = random_decoder_encoder_form(x, z, G, gamma, a, b).item()
        expected = lp + x.shape[1] * gamma**2
        assert abs(value - expected) < 1e-9, (seed, value, expected)
    assert random_decoder_encoder_form(x, z, G, 0.0, a, b).item() == pytest.approx(lp, abs=1e-9)


def test_random_decoder_value_matches_monte_carlo_with_the_optimal_encoder() -> None:
    x, z, G, a, b, _ = random_problem(3)  # the injective linear generator, d = 2
    gamma = 0.8
    value = random_decoder_encoder_form(x, z, G, gamma, a, b).item()
    res = encoder_form(x, z, G, a, b, p=2)

    gen = torch.Generator().manual_seed(0)
    n_draws = 200_000
    i = torch.multinomial(torch.from_numpy(a), n_draws, replacement=True, generator=gen)
    u = torch.rand(n_draws, 1, generator=gen, dtype=F64)  # Z ~ Q(Z | x_i) by inversion
    j = (u > res.encoder[i].cumsum(dim=1)).sum(dim=1).clamp(max=len(z) - 1)
    eps = torch.randn(n_draws, x.shape[1], generator=gen, dtype=F64)
    y = res.decoded[j] + gamma * eps
    draws = (x[i] - y).pow(2).sum(dim=1)
    mc, se = draws.mean().item(), draws.std().item() / math.sqrt(n_draws)
    assert abs(mc - value) < 4 * se, (mc, value, se)
    assert se < 0.01 * value  # the test can tell the d*gamma^2 term (1.28) apart


def test_random_decoder_value_is_a_visibly_loose_upper_bound_of_sampled_w2() -> None:
    # P_X is a sample of P_Y itself: the true W_2^2 is sampling error only, while the
    # encoder form pays d*gamma^2 for the noise and about as much again for W_2^2(P_X, P_G)
    gen = torch.Generator().manual_seed(1)
    centres = torch.tensor([[-2.0, -2.0], [-2.0, 2.0], [2.0, -2.0], [2.0, 2.0]], dtype=F64)
    z = torch.arange(4, dtype=F64)[:, None]

    def G(codes: torch.Tensor) -> torch.Tensor:
        return centres[codes[:, 0].long()]

    gamma, n, n_y = 0.5, 100, 400
    x = centres[torch.arange(n) % 4] + gamma * torch.randn(n, 2, generator=gen, dtype=F64)
    y = centres[torch.arange(n_y) % 4] + gamma * torch.randn(n_y, 2, generator=gen, dtype=F64)
    bound = random_decoder_encoder_form(x, z, G, gamma).item()
    sampled = exact_ot(x, y, p=2).cost.item()
    assert bound >= sampled, (bound, sampled)
    assert bound > 3 * sampled, (bound, sampled)  # a gap, not rounding
    assert bound > 2 * gamma**2  # at least d * gamma^2


def test_random_decoder_value_bounds_exact_w2_for_moment_matched_noise() -> None:
    # With K noise vectors of mean exactly 0 and mean squared norm exactly d, shared by
    # every code, Y = G(Z) + gamma*eps is a random decoder whose P_Y is discrete, so
    # exact OT gives the true W_2^2(P_X, P_Y); the bound must hold without sampling slack.
    for seed in range(20):
        x, z, G, a, b, _ = random_problem(seed)
        rng = np.random.default_rng(100 + seed)
        eps = rng.normal(size=(16, 2))
        eps -= eps.mean(axis=0)
        eps *= math.sqrt(2 / (eps**2).sum(axis=1).mean())
        y_decoded = decoded(z, G)
        for gamma in (0.0, 0.3, 1.0):
            y = (y_decoded[:, None, :] + gamma * eps[None]).reshape(-1, 2)
            b_y = np.repeat(b / len(eps), len(eps))
            exact = exact_ot(x, torch.from_numpy(y), a, b_y, p=2).cost.item()
            bound = random_decoder_encoder_form(x, z, G, gamma, a, b).item()
            assert exact <= bound + 1e-9, (seed, gamma, exact, bound)


# ----------------------------------------------------------------------------- bad input
X2 = torch.zeros(3, 2, dtype=F64)
Z2 = torch.zeros(4, 2, dtype=F64)


@pytest.mark.parametrize(
    ("G", "match"),
    [
        (lambda c: c[:2], "4 latent atoms"),
        (lambda c: c.sum(dim=1), r"shape \(4, d_x\)"),
        (lambda c: torch.cat([c, c], dim=1), "dimension 4 but the data x has dimension 2"),
        (lambda c: c * float("nan"), "NaN"),
        (lambda c: "not points", "G\\(z\\) must return a tensor"),
        ("not callable", "must be a callable"),
    ],
)
def test_encoder_form_rejects_bad_generators(G, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encoder_form(X2, Z2, G)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": torch.zeros(3)}, "2-D point cloud"),
        ({"z": torch.zeros(4)}, "2-D point cloud"),
        ({"x": torch.zeros(0, 2)}, "empty"),
        ({"b": torch.ones(3) / 3}, "one entry per point"),
        ({"a": torch.tensor([0.5, 0.5, 0.5])}, "sum to 1"),
        ({"b": torch.tensor([-0.5, 0.5, 0.5, 0.5])}, "non-negative"),
        ({"p": 0.5}, "p must be"),
    ],
)
def test_encoder_form_rejects_bad_points_weights_and_p(kwargs: dict, match: str) -> None:
    args = {"x": X2, "z": Z2, "G": lambda c: c} | kwargs
    with pytest.raises(ValueError, match=match):
        encoder_form(**args)


@pytest.mark.parametrize(
    ("gamma", "match"),
    [(-0.1, ">= 0"), (float("nan"), "finite"), (True, "number"), ("a", "number")],
)
def test_random_decoder_rejects_bad_gamma(gamma, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        random_decoder_encoder_form(X2, Z2, lambda c: c, gamma)


@pytest.mark.parametrize(
    ("tol", "match"), [(-1.0, ">= 0"), (float("inf"), "finite"), (None, "number")]
)
def test_pushforward_rejects_bad_tol(tol, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pushforward(Z2, lambda c: c, tol=tol)


def test_pushforward_rejects_bad_generator_and_weights() -> None:
    with pytest.raises(ValueError, match="4 latent atoms"):
        pushforward(Z2, lambda c: c[:1])
    with pytest.raises(ValueError, match="one entry per point"):
        pushforward(Z2, lambda c: c, b=torch.ones(2) / 2)


# ----------------------------------------------------------------------------- fold generator
def test_fold_generator_is_two_to_one_across_the_fold_and_one_to_one_on_a_half_plane() -> None:
    z = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=F64)
    mirrored = z * torch.tensor([-1.0, 1.0], dtype=F64)
    assert torch.equal(fold_generator(z), fold_generator(mirrored))
    # on z1 >= 0 the map inverts by hand: |z1| = (y1 + 1) / 1.2, z2 = y2 - 0.3 z1^2
    right = torch.stack([z[:, 0].abs(), z[:, 1]], dim=1)
    y = fold_generator(right)
    z1 = (y[:, 0] + 1.0) / 1.2
    inverse = torch.stack([z1, y[:, 1] - 0.3 * z1**2], dim=1)
    assert torch.allclose(inverse, right, atol=1e-12)
    # by the loop formula of the chapters, in float32 too
    z32 = z.float()
    for k in range(5):
        z1, z2 = z32[k].tolist()
        expected = [1.2 * abs(z1) - 1.0, z2 + 0.3 * z1**2]
        assert np.allclose(fold_generator(z32)[k].tolist(), expected, atol=1e-6)
    assert fold_generator(z32).dtype == torch.float32


def test_fold_generator_needs_the_encoder_form_to_split_mass_between_mirror_codes() -> None:
    # one data point, two mirror codes of one image: a deterministic encoder would put all
    # the mass on one code, but Q_Z = P_Z forces half on each
    res = encoder_form([[0.5, 0.5]], [[1.0, 0.0], [-1.0, 0.0]], fold_generator)
    assert torch.allclose(res.encoder, torch.tensor([[0.5, 0.5]], dtype=F64))
    support, weights = pushforward([[1.0, 0.0], [-1.0, 0.0]], fold_generator)
    assert support.shape == (1, 2) and weights.tolist() == [1.0]


@pytest.mark.parametrize(
    ("z", "match"),
    [
        (torch.zeros(4, 3), r"shape \(m, 2\)"),
        (torch.zeros(4), "2-D point cloud"),
        (torch.zeros(0, 2), "empty"),
        (torch.tensor([[0.0, float("nan")]]), "NaN"),
    ],
)
def test_fold_generator_rejects_codes_that_are_not_points_of_the_plane(z, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fold_generator(z)


# ----------------------------------------------------------------------------- random problems
KINDS = ("round", "lookup", "fold", "linear")


def _draws_by_hand(seed: int, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                  np.ndarray]:
    """x, z, G(z), a, b of the documented draw order, computed with NumPy alone."""
    rng = np.random.default_rng(seed)
    n, m = rng.integers(3, 9, size=2)
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    if kind == "round":
        z = rng.uniform(-1.4, 1.4, size=(m, 2))
        y = np.round(z)
    elif kind == "lookup":
        rows = rng.normal(size=(max(1, m // 2), 2))
        y = rows[rng.integers(0, len(rows), size=m)]
        z = np.arange(m, dtype=float)[:, None]
    elif kind == "fold":
        half = rng.normal(size=((m + 1) // 2, 2))
        z = np.concatenate([half, half * [-1.0, 1.0]])[:m]
        y = np.stack([1.2 * np.abs(z[:, 0]) - 1.0, z[:, 1] + 0.3 * z[:, 0] ** 2], axis=1)
    else:
        A, c = rng.normal(size=(3, 2)), rng.normal(size=2)
        z = rng.normal(size=(m, 3))
        y = z @ A + c
    return rng.normal(size=(n, 2)), z, y, a, b


@pytest.mark.parametrize("kind", KINDS)
def test_random_encoder_problem_follows_its_documented_draws(kind: str) -> None:
    for seed in range(12):
        x, z, G, a, b, got_kind = random_encoder_problem(seed, kind)
        x_, z_, y_, a_, b_ = _draws_by_hand(seed, kind)
        assert got_kind == kind
        for t in (x, z, a, b):
            assert t.dtype == F64 and t.device.type == "cpu"
        assert np.array_equal(x.numpy(), x_) and np.array_equal(z.numpy(), z_)
        assert np.array_equal(a.numpy(), a_) and np.array_equal(b.numpy(), b_)
        assert np.allclose(decoded(z, G), y_, rtol=0, atol=1e-12), (seed, kind)
        # the same seed gives the same instance again
        again = random_encoder_problem(seed, kind)
        assert torch.equal(again[0], x) and torch.equal(again[2](again[1]), G(z))


def test_random_encoder_problem_cycles_the_kinds_and_draws_valid_problems() -> None:
    n_below_m_images = {k: 0 for k in KINDS}
    for seed in range(80):
        x, z, G, a, b, kind = random_encoder_problem(seed)
        assert kind == KINDS[seed % 4]
        n, m = len(x), len(z)
        assert 3 <= n <= 8 and 3 <= m <= 8 and x.shape == (n, 2)
        assert z.shape[1] == {"lookup": 1, "linear": 3}.get(kind, 2)
        for w, k in ((a, n), (b, m)):
            assert w.shape == (k,) and (w > 0).all() and abs(w.sum().item() - 1) < 1e-12
        images = {tuple(row) for row in decoded(z, G).tolist()}
        n_below_m_images[kind] += len(images) < m
        if kind == "round":
            assert images <= {(float(i), float(j)) for i in (-1, 0, 1) for j in (-1, 0, 1)}
    # lookup and fold always merge codes, linear never does, round does most of the time
    assert n_below_m_images["lookup"] == n_below_m_images["fold"] == 20
    assert n_below_m_images["linear"] == 0
    assert n_below_m_images["round"] >= 10, n_below_m_images


def test_random_encoder_problem_generators_follow_the_codes_dtype() -> None:
    for kind in KINDS:
        _, z, G, _, _, _ = random_encoder_problem(1, kind)
        y32 = G(z.float())
        assert y32.shape == (len(z), 2)
        if kind != "lookup":  # the table's rows are data, kept in float64
            assert y32.dtype == torch.float32, kind


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"seed": -1}, r"seed must be in \[0, 2\*\*32\)"), ({"seed": 1.5}, "seed must be an integer"),
     ({"seed": True}, "seed must be an integer"), ({"seed": 0, "kind": "spiral"}, "kind must be")],
)
def test_random_encoder_problem_rejects_bad_seed_and_kind(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        random_encoder_problem(**kwargs)


# --------------------------------------------------------------------------- bad input (issue 16)
@pytest.mark.parametrize(
    ("gamma", "match"),
    [(1e200, r"gamma=1e\+200 is too large.*d \* gamma\*\*2 must stay finite"),
     ("0.1", "gamma must be a number >= 0, got '0.1'")],
)
def test_random_decoder_refuses_a_gamma_whose_square_overflows(gamma, match):
    # Before: OverflowError (34, 'Numerical result out of range') after the exact solve.
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match=match):
        random_decoder_encoder_form(x, x, lambda z: z, gamma=gamma)
