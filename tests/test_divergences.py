"""Tests for vegan_lib.divergences: MMD U-statistic, adversarial latent penalty, JS bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from vegan_lib.divergences import (
    adversarial_penalty,
    imq_constant,
    imq_kernel,
    js_lower_bound,
    latent_discriminator_loss,
    mmd2,
    rbf_kernel,
)
from vegan_lib.nets import LatentDiscriminator


# --------------------------------------------------------------------------- oracles
def _k(a, b, kernel, C):
    sq = sum((ai - bi) ** 2 for ai, bi in zip(a, b, strict=True))
    return C / (C + sq) if kernel == "imq" else math.exp(-sq / C)


def _k_multi(a, b, kernel, C, scales):
    if scales is None:
        return _k(a, b, kernel, C)
    return sum(_k(a, b, kernel, C * s) for s in scales)


def brute_force_mmd2(x, y, kernel, C, scales=None):
    """Double loop over pairs, straight from the U-statistic's definition."""
    x, y = x.tolist(), y.tolist()
    n, m = len(x), len(y)
    xx = sum(
        _k_multi(x[i], x[j], kernel, C, scales) for i in range(n) for j in range(n) if i != j
    )
    yy = sum(
        _k_multi(y[i], y[j], kernel, C, scales) for i in range(m) for j in range(m) if i != j
    )
    xy = sum(_k_multi(x[i], y[j], kernel, C, scales) for i in range(n) for j in range(m))
    return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m)


# --------------------------------------------------------------------------- kernels
@pytest.mark.parametrize(("fn", "name"), [(imq_kernel, "imq"), (rbf_kernel, "rbf")])
def test_kernel_matrix_matches_formula_entrywise(fn, name):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)
    y = torch.randn(5, 3, generator=g, dtype=torch.float64)
    got = fn(x, y, C=1.7)
    want = [[_k(a, b, name, 1.7) for b in y.tolist()] for a in x.tolist()]
    np.testing.assert_allclose(got.numpy(), np.array(want), rtol=1e-12)
    assert got.shape == (4, 5)
    assert got.dtype == torch.float64


def test_imq_kernel_is_one_on_the_diagonal_and_half_at_distance_sqrt_C():
    x = torch.tensor([[0.0, 0.0]])
    y = torch.tensor([[0.0, 0.0], [1.0, 1.0]])  # squared distance 2
    np.testing.assert_allclose(imq_kernel(x, y, C=2.0).numpy(), [[1.0, 0.5]])


# --------------------------------------------------------------------------- mmd2
@pytest.mark.parametrize("kernel", ["imq", "rbf"])
@pytest.mark.parametrize("scales", [None, (0.1, 1.0, 10.0)])
@pytest.mark.parametrize("C", [None, 0.7])
def test_mmd2_equals_brute_force_double_loop(kernel, scales, C):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(6, 3, generator=g, dtype=torch.float64)
    y = torch.randn(5, 3, generator=g, dtype=torch.float64) + 0.3
    got = mmd2(x, y, kernel=kernel, C=C, scales=scales)
    want = brute_force_mmd2(x, y, kernel, 2.0 * 3 if C is None else C, scales)
    assert got.shape == ()
    assert got.dtype == torch.float64
    assert got.item() == pytest.approx(want, rel=1e-10, abs=1e-12), (got.item(), want)


def test_mmd2_is_unbiased_for_two_samples_of_the_same_distribution():
    g = torch.Generator().manual_seed(2)
    draws = torch.stack(
        [
            mmd2(
                torch.randn(20, 2, generator=g, dtype=torch.float64),
                torch.randn(20, 2, generator=g, dtype=torch.float64),
            )
            for _ in range(200)
        ]
    )
    mean, se = draws.mean().item(), (draws.std() / math.sqrt(len(draws))).item()
    assert abs(mean) < 4 * se, (mean, se)
    assert (draws < 0).sum().item() > 20, "an unbiased estimate of 0 must often be negative"


def test_mmd2_is_unbiased_for_different_laws_with_the_cross_term_over_all_pairs():
    # Oracle: the exact MMD^2 of two laws on three atoms, a K a + b K b - 2 a K b. Samples of
    # size 3 make the O(1/n) bias of a V-statistic (diagonal kept in the within-sample terms)
    # large; the estimator, whose cross term keeps its "diagonal" i = j, has none.
    atoms = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
    a = torch.tensor([0.6, 0.3, 0.1], dtype=torch.float64)
    b = torch.tensor([0.1, 0.3, 0.6], dtype=torch.float64)
    K = 2.0 / (2.0 + torch.cdist(atoms, atoms) ** 2)  # IMQ with C = 2
    exact = (a @ K @ a + b @ K @ b - 2 * a @ K @ b).item()
    g = torch.Generator().manual_seed(4)
    draws, v_stat = [], []
    for _ in range(4_000):
        x = atoms[torch.multinomial(a, 3, replacement=True, generator=g)]
        y = atoms[torch.multinomial(b, 3, replacement=True, generator=g)]
        draws.append(mmd2(x, y, C=2.0).item())
        kx, ky, kxy = (2.0 / (2.0 + torch.cdist(u, v) ** 2) for u, v in ((x, x), (y, y), (x, y)))
        v_stat.append((kx.mean() + ky.mean() - 2 * kxy.mean()).item())
    draws, v_stat = np.array(draws), np.array(v_stat)
    se = draws.std() / math.sqrt(len(draws))
    assert abs(draws.mean() - exact) < 4 * se, (draws.mean(), exact, se)
    assert v_stat.mean() - exact > 10 * se  # the null: a biased estimator is caught


def test_mmd2_is_larger_for_shifted_distributions():
    g = torch.Generator().manual_seed(3)
    same, shifted = [], []
    for _ in range(50):
        x = torch.randn(30, 2, generator=g, dtype=torch.float64)
        same.append(mmd2(x, torch.randn(30, 2, generator=g, dtype=torch.float64)).item())
        shifted.append(mmd2(x, torch.randn(30, 2, generator=g, dtype=torch.float64) + 1.0).item())
    same, shifted = np.array(same), np.array(shifted)
    se = np.sqrt(same.var(ddof=1) / len(same) + shifted.var(ddof=1) / len(shifted))
    assert shifted.mean() - same.mean() > 10 * se, (shifted.mean(), same.mean(), se)
    assert (shifted > 0).all(), shifted.min()


def test_mmd2_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(5, 2, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 2, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: mmd2(a, b, scales=(0.5, 2.0)), (x, y))


def test_mmd2_keeps_float32_dtype():
    x, y = torch.randn(8, 2), torch.randn(8, 2)
    assert mmd2(x, y).dtype == torch.float32


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_mmd2_on_cuda_matches_cpu():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(30, 4, generator=g, dtype=torch.float64)
    y = torch.randn(25, 4, generator=g, dtype=torch.float64)
    got = mmd2(x.cuda(), y.cuda())
    assert got.device.type == "cuda"
    assert got.item() == pytest.approx(mmd2(x, y).item(), rel=1e-10)


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (torch.randn(5), torch.randn(5, 1), {}, "2-D"),
        (torch.randn(5, 2), torch.randn(5, 3), {}, "same dimension"),
        (torch.randn(1, 2), torch.randn(5, 2), {}, "at least 2 points"),
        (torch.randn(5, 2), torch.randn(1, 2), {}, "at least 2 points"),
        (torch.tensor([[0.0, math.nan], [1.0, 1.0]]), torch.randn(5, 2), {}, "NaN or inf"),
        (torch.randn(5, 2), torch.tensor([[0.0, math.inf], [1.0, 1.0]]), {}, "NaN or inf"),
        (torch.randn(5, 2), torch.randn(5, 2), {"C": 0.0}, "positive"),
        (torch.randn(5, 2), torch.randn(5, 2), {"C": -1.0}, "positive"),
        (torch.randn(5, 2), torch.randn(5, 2), {"kernel": "laplace"}, "unknown kernel"),
        (torch.randn(5, 2), torch.randn(5, 2), {"scales": (1.0, 0.0)}, "positive"),
        (torch.randn(5, 2), torch.randn(5, 2), {"scales": ()}, "empty"),
        (torch.randn(5, 2), torch.randn(5, 2, dtype=torch.float64), {}, "same dtype"),
        (torch.ones(5, 2, dtype=torch.long), torch.ones(5, 2, dtype=torch.long), {}, "floating"),
        (np.zeros((5, 2)), torch.randn(5, 2), {}, "torch.Tensor"),
    ],
)
def test_mmd2_rejects_bad_input(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        mmd2(x, y, **kwargs)


def test_kernels_reject_non_positive_constant():
    x = torch.randn(3, 2)
    with pytest.raises(ValueError, match="positive"):
        imq_kernel(x, x, C=0.0)
    with pytest.raises(ValueError, match="positive"):
        rbf_kernel(x, x, C=math.nan)


# --------------------------------------------------------------------------- adversarial
def _log_sigmoid(t):
    return -np.logaddexp(0.0, -t)


def test_latent_discriminator_loss_matches_binary_cross_entropy_formula():
    lp = np.array([-2.0, 0.5, 3.0])
    lq = np.array([1.0, -0.3])
    want = -_log_sigmoid(lp).mean() - _log_sigmoid(-lq).mean()  # log(1 - s(t)) = log s(-t)
    got = latent_discriminator_loss(torch.tensor(lp), torch.tensor(lq)).item()
    assert got == pytest.approx(want, rel=1e-12), (got, want)


def test_adversarial_penalty_matches_minus_mean_log_sigmoid():
    lq = np.array([1.0, -0.3, 4.0])
    got = adversarial_penalty(torch.tensor(lq)).item()
    assert got == pytest.approx(-_log_sigmoid(lq).mean(), rel=1e-12)


def test_adversarial_losses_stay_finite_for_extreme_logits():
    big = torch.tensor([200.0, -200.0])
    # A posterior code with logit -200 is certainly recognised: penalty ~ 200 / 2.
    assert adversarial_penalty(big).item() == pytest.approx(100.0, rel=1e-6)
    assert math.isfinite(latent_discriminator_loss(-big, big).item())


@pytest.mark.parametrize(
    ("bad", "match"),
    [(torch.zeros(4, 1), "squeeze"), (torch.zeros(0), "empty"), (torch.zeros(3).long(), "float")],
)
def test_adversarial_losses_reject_bad_logits(bad, match):
    with pytest.raises(ValueError, match=match):
        adversarial_penalty(bad)
    with pytest.raises(ValueError, match=match):
        latent_discriminator_loss(bad, torch.zeros(3))
    with pytest.raises(ValueError, match=match):
        latent_discriminator_loss(torch.zeros(3), bad)


def test_adversarial_penalty_moves_codes_from_mean_three_to_the_prior():
    # Q_Z = N(mu, I) with a trainable mu starting at (3, 3); the discriminator learns
    # prior vs codes, the codes follow the penalty's gradient: mu must end near 0.
    torch.manual_seed(0)
    disc = LatentDiscriminator(2, hidden=(32, 32))
    mu = torch.nn.Parameter(torch.full((2,), 3.0))
    opt_d = torch.optim.Adam(disc.parameters(), lr=1e-2)
    opt_q = torch.optim.Adam([mu], lr=5e-2)
    for _ in range(300):
        z_q, z_p = torch.randn(64, 2) + mu, torch.randn(64, 2)
        opt_d.zero_grad()
        latent_discriminator_loss(disc(z_p), disc(z_q.detach())).backward()
        opt_d.step()
        opt_q.zero_grad()
        adversarial_penalty(disc(torch.randn(64, 2) + mu)).backward()
        opt_q.step()
    assert mu.detach().norm().item() < 0.3, mu.detach()


# --------------------------------------------------------------------------- moved validators
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mmd2(torch.randn(5, 2), torch.randn(5, 2), C="wide"), r"C must be .*2 d"),
        (lambda: imq_kernel(torch.randn(3, 2), torch.randn(3, 2), C=-1.0), r"C must be .*2 d"),
        (lambda: mmd2(torch.randn(5, 2), torch.randn(5, 2), scales="1"), r"scales must be"),
        (lambda: mmd2(torch.randn(5, 2), torch.randn(5, 2), scales=(1.0, -2.0)), r"scales must"),
        (lambda: mmd2(np.zeros((5, 2)), torch.randn(5, 2)), r"x must be a torch\.Tensor"),
        (lambda: mmd2(torch.randn(5, 2), torch.randn(5)), r"y must be a 2-D"),
        (lambda: mmd2(torch.randn(5, 2), torch.randn(1, 2)), r"y needs at least 2 points"),
        (lambda: rbf_kernel(torch.randn(3, 2).long(), torch.randn(3, 2), C=1.0), r"x\.float\(\)"),
        (lambda: adversarial_penalty(torch.zeros(3, 1)), r"logits_posterior .*squeeze"),
        (lambda: latent_discriminator_loss(torch.zeros(0), torch.ones(3)), "logits_prior is empty"),
    ],
)
def test_divergence_validators_name_the_argument_and_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- js_lower_bound
def _exact_js_shifted_gaussians(mu: float) -> float:
    """JS(N(0, 1), N(mu, 1)) in nats by quadrature: (KL(p || m) + KL(q || m)) / 2."""
    from scipy.integrate import quad
    from scipy.stats import norm

    def integrand(t: float) -> float:
        lp, lq = norm.logpdf(t), norm.logpdf(t, loc=mu)
        lm = np.logaddexp(lp, lq) - math.log(2.0)
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    return quad(integrand, -12.0, 12.0 + mu, limit=200)[0]


def _js_estimate(mu: float) -> float:
    torch.manual_seed(0)
    return js_lower_bound(
        lambda n, g: torch.randn(n, 1, generator=g),
        lambda n, g: mu + torch.randn(n, 1, generator=g),
        LatentDiscriminator(1, hidden=(32, 32)),
        steps=300,
    )


def test_exact_js_oracle_is_zero_for_equal_laws_and_tends_to_log_2():
    assert _exact_js_shifted_gaussians(0.0) == pytest.approx(0.0, abs=1e-12)
    assert _exact_js_shifted_gaussians(12.0) == pytest.approx(math.log(2.0), abs=1e-6)


def test_js_lower_bound_is_below_and_close_to_the_exact_js_and_grows_with_the_shift():
    shifts = (0.5, 1.0, 2.0)
    exact = [_exact_js_shifted_gaussians(mu) for mu in shifts]
    bound = [_js_estimate(mu) for mu in shifts]
    for mu, js, est in zip(shifts, exact, bound, strict=True):
        # An unbiased estimate of a lower bound: below JS up to the sampling noise of
        # 4,000 draws (about 0.01), and close to it for a trained discriminator.
        assert est <= js + 0.015, (mu, est, js)
        assert est == pytest.approx(js, abs=0.03), (mu, est, js)
    assert bound[0] < bound[1] < bound[2], bound


def test_js_lower_bound_matches_a_hand_written_training_loop():
    # The same discriminator, draws and Adam steps written out by hand (what chapter 3
    # did in a notebook cell): fit must reproduce it exactly.
    def by_hand(mu: float, steps: int = 20, batch: int = 64) -> float:
        gen = torch.Generator().manual_seed(0)
        torch.manual_seed(0)
        disc = LatentDiscriminator(2, hidden=(8,))
        opt = torch.optim.Adam(disc.parameters(), lr=1e-3)
        for _ in range(steps):
            z_p = torch.randn(batch, 2, generator=gen)
            z_q = mu + torch.randn(batch, 2, generator=gen)
            opt.zero_grad()
            latent_discriminator_loss(disc(z_p), disc(z_q)).backward()
            opt.step()
        with torch.no_grad():
            z_p, z_q = torch.randn(500, 2, generator=gen), mu + torch.randn(500, 2, generator=gen)
            return (math.log(4.0) - latent_discriminator_loss(disc(z_p), disc(z_q)).item()) / 2

    torch.manual_seed(0)
    got = js_lower_bound(
        lambda n, g: torch.randn(n, 2, generator=g),
        lambda n, g: 1.5 + torch.randn(n, 2, generator=g),
        LatentDiscriminator(2, hidden=(8,)),
        steps=20,
        batch_size=64,
        n_eval=500,
    )
    assert got == by_hand(1.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sample_p": "normal"}, "sample_p must be a function"),
        ({"discriminator": lambda z: z[:, 0]}, "discriminator must be an nn.Module"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"n_eval": 1.5}, "n_eval must be a positive integer"),
        ({"seed": -1}, "seed must be in"),
        ({"sample_q": lambda n, g: torch.randn(n, 3, generator=g)}, "same dimension"),
        # Before: "logits_prior must be a 1-D ...", an argument the caller never typed.
        ({"discriminator": nn.Linear(2, 1)},
         r"^discriminator must return one floating-point score per point, shape \(8,\), got "
         r"\(8, 1\); squeeze"),
        # Before (issue 23): RuntimeError "mat1 and mat2 shapes cannot be multiplied".
        ({"discriminator": LatentDiscriminator(3, hidden=(4,))},
         r"^discriminator failed on points of shape \(8, 2\).*it must map \(n, 2\) points"),
        # Before: "_DiscriminatorFit has no parameters to train".
        ({"discriminator": nn.Flatten(0)},
         r"^discriminator must be an nn\.Module with parameters to train.*got Flatten"),
        # Before: TypeError from the call sample_p(n, generator).
        ({"sample_p": lambda n: torch.randn(n, 2)}, r"^sample_p\(n, generator\) failed \("),
        # Before: "data yielded a tuple; it must yield tensors ...", naming no sampler.
        ({"sample_p": lambda n, g: [0.0] * n},
         r"^sample_p\(8, generator\) must return a floating-point tensor of shape \(8, d\), "
         r"got list"),
        # Before: accepted, 3 points for n = 8 (and for the n_eval held-out draws).
        ({"sample_q": lambda n, g: torch.randn(3, 2, generator=g)},
         r"^sample_q\(8, generator\) must return.*got shape \(3, 2\)"),
        ({"batch_size": 0}, r"^batch_size must be a positive integer"),
        ({"lr": math.nan}, r"^lr must be a positive"),
    ],
)
def test_js_lower_bound_rejects_bad_input(kwargs, match):
    args = {
        "sample_p": lambda n, g: torch.randn(n, 2, generator=g),
        "sample_q": lambda n, g: torch.randn(n, 2, generator=g),
        "discriminator": LatentDiscriminator(2, hidden=(4,)),
        "steps": 2,
        "batch_size": 8,
    }
    with pytest.raises(ValueError, match=match):
        js_lower_bound(**(args | kwargs))


def test_js_lower_bound_leaves_the_global_random_state_alone():
    torch.manual_seed(3)
    disc = LatentDiscriminator(1, hidden=(4,))
    before = torch.get_rng_state()
    same = lambda n, g: torch.randn(n, 1, generator=g)  # noqa: E731
    js_lower_bound(same, same, disc, steps=3, n_eval=10)
    assert torch.equal(torch.get_rng_state(), before)


# --------------------------------------------------------------------------- bad input (issue 16)
@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        (torch.randn(10, 2) * 1e20, {},
         r"MMD estimate overflows torch.float32: x has entries up to .*e\+20; compute in float64"),
        (torch.randn(10, 2, dtype=torch.float64) * 1e200, {}, "overflows torch.float64: x has"),
        (torch.randn(10, 2), {"C": 1e300}, r"C=1e\+300 is too large.*in torch.float32"),
        (torch.randn(10, 2), {"C": 1e18, "scales": (1.0, 100.0)}, "C=1e\\+18 is too large"),
        (torch.randn(10, 2), {"C": "2"}, "C must be a positive number, got '2'"),
        (torch.randn(10, 2), {"kernel": ["imq"]}, r"unknown kernel \['imq'\]"),
        (torch.randn(10, 2), {"kernel": {}}, "unknown kernel"),
        (torch.randn(10, 2), {"scales": ("1", 2.0)}, "scales must be an iterable of positive"),
    ],
)
def test_mmd2_names_overflowing_inputs_and_bad_options(x, kwargs, match):
    # Before: NaN (float32 codes x 1e20, or C = 1e300), "unhashable type", float("2").
    with pytest.raises(ValueError, match=match):
        mmd2(x, torch.randn(10, 2, dtype=x.dtype), **kwargs)


def test_js_lower_bound_names_the_samplers_not_x_and_y():
    def bad_q(n, g):
        return torch.full((n, 1), math.nan)

    def good_p(n, g):
        return torch.randn(n, 1, generator=g)

    with pytest.raises(ValueError, match=r"sample_q\(n, g\) contains"):
        js_lower_bound(good_p, bad_q, LatentDiscriminator(1, hidden=(4,)), steps=1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        # Before: 2 * d for anything that multiplies, e.g. imq_constant(0) == 0.0 (C = 0,
        # a kernel of 0 / 0), imq_constant(-1) == -2.0, imq_constant("ab") a TypeError.
        (lambda: imq_constant(0), r"^d must be a positive integer, got 0; e\.g\. d=8"),
        (lambda: imq_constant(-1), r"^d must be a positive integer"),
        (lambda: imq_constant(2.5), r"^d must be a positive integer, got 2\.5"),
        (lambda: imq_constant(True), r"^d must be a positive integer, got True"),
        (lambda: imq_constant("ab"), r"^d must be a positive integer, got 'ab'"),
        (lambda: mmd2(torch.randn(4, 2), torch.randn(4, 2), kernel=["imq"]), r"^unknown kernel"),
        (lambda: mmd2(torch.randn(4, 2), torch.randn(4, 2), C=True), r"^C must be a positive"),
        (lambda: mmd2(torch.randn(4, 2), torch.randn(4, 2), scales="1"), r"^scales must be an"),
        (lambda: mmd2([[0.0, 0.0]] * 4, torch.randn(4, 2)), r"^x must be a torch\.Tensor"),
        (lambda: imq_kernel(torch.randn(4, 2), torch.randn(4, 2), None), r"^C must be a posit"),
        (lambda: latent_discriminator_loss([0.0], torch.zeros(2)), r"^logits_prior must be"),
        (lambda: adversarial_penalty(torch.zeros(0)), r"^logits_posterior is empty"),
    ],
    ids=["d-zero", "d-negative", "d-float", "d-bool", "d-str", "kernel-list", "C-bool",
         "scales-str", "x-list", "kernel-C-None", "logits-list", "logits-empty"],
)
def test_divergence_functions_refuse_bad_input_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
