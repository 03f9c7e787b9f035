"""f-divergences, conjugates and the f-GAN bound against SciPy, closed forms and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

from vegan_lib.fdivergences import (
    F_DIVERGENCES,
    FGANModel,
    f_divergence,
    fit_variational_bound,
    gan_generator_loss,
    js_between_unit_gaussians,
    kl_between_gaussians,
    optimal_critic,
    variational_bound,
)
from vegan_lib.nets import LatentDiscriminator

RNG = np.random.default_rng(0)
P, Q = RNG.dirichlet(np.ones(7)), RNG.dirichlet(np.ones(7))

ORACLES = {
    "kl": lambda p, q: rel_entr(p, q).sum(),
    "reverse_kl": lambda p, q: rel_entr(q, p).sum(),
    "js": lambda p, q: jensenshannon(p, q) ** 2,
    "gan": lambda p, q: 2 * jensenshannon(p, q) ** 2 - math.log(4),
    "tv": lambda p, q: 0.5 * np.abs(p - q).sum(),
    "chi2": lambda p, q: ((p - q) ** 2 / q).sum(),
    "hellinger": lambda p, q: ((np.sqrt(p) - np.sqrt(q)) ** 2).sum(),
}


@pytest.mark.parametrize("name", sorted(F_DIVERGENCES))
def test_discrete_divergence_matches_scipy_and_closed_forms(name):
    got = f_divergence(P, Q, name).item()
    want = ORACLES[name](P, Q)
    assert got == pytest.approx(want, rel=1e-10, abs=1e-12), (got, want)


@pytest.mark.parametrize("name", sorted(F_DIVERGENCES))
def test_divergence_of_a_law_to_itself_is_f_of_one(name):
    # zero for a true f-divergence; the GAN's f is shifted: f(1) = -log 4
    want = -math.log(4) if name == "gan" else 0.0
    assert f_divergence(P, P, name).item() == pytest.approx(want, abs=1e-12)


def test_disjoint_supports_follow_the_limits_of_f():
    p, q = [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]
    assert f_divergence(p, q, "kl").item() == math.inf
    assert f_divergence(p, q, "chi2").item() == math.inf
    assert f_divergence(p, q, "tv").item() == pytest.approx(1.0)
    assert f_divergence(p, q, "js").item() == pytest.approx(math.log(2))
    assert f_divergence(p, q, "hellinger").item() == pytest.approx(2.0)
    assert f_divergence(p, q, "gan").item() == pytest.approx(0.0, abs=1e-12)
    # partial overlap: scipy's rel_entr gives inf too
    assert f_divergence([0.5, 0.5], [1.0, 0.0], "kl").item() == rel_entr([0.5, 0.5], [1, 0]).sum()


# Where each conjugate is finite (a closed or open interval), and points beyond it.
CONJUGATE_DOMAINS = {
    "kl": ((-6.0, 3.0), ()),
    "reverse_kl": ((-10.0, -0.05), (0.1, 1.0)),
    "js": ((-6.0, math.log(2) / 2 - 0.01), (math.log(2) / 2 + 0.1, 1.0)),
    "gan": ((-6.0, -0.01), (0.1, 1.0)),
    "tv": ((-3.0, 0.5), (0.6, 2.0)),
    "chi2": ((-10.0, 6.0), ()),
    "hellinger": ((-10.0, 0.9), (1.1, 2.0)),
}
# u >= 0, the density ratios: 0 (where TV's and chi2's sups sit for small t), 1 (TV's kink)
U_GRID = torch.cat([torch.tensor([0.0, 1.0], dtype=torch.float64),
                    torch.logspace(-8, 4, 200_001, dtype=torch.float64)])


@pytest.mark.parametrize("name", sorted(F_DIVERGENCES))
def test_conjugate_is_the_supremum_over_nonnegative_ratios(name):
    # f*(t) = sup_{u >= 0} t u - f(u), maximised on a fine grid of u (an independent oracle),
    # on a grid of t over the conjugate's domain and over the activation's range
    div = F_DIVERGENCES[name]
    (lo, hi), beyond = CONJUGATE_DOMAINS[name]
    ts = torch.cat([torch.linspace(lo, hi, 41, dtype=torch.float64),
                    div.activation(torch.linspace(-4, 4, 17, dtype=torch.float64))])
    with np.errstate(all="ignore"):
        for t in ts:
            sup = (t * U_GRID - div.f(U_GRID)).max().item()
            assert div.conjugate(t).item() == pytest.approx(sup, rel=1e-5, abs=1e-6), (name, t)
        for t in torch.tensor(beyond, dtype=torch.float64):  # unbounded in u: +inf
            assert div.conjugate(t).item() == math.inf, (name, t)
            assert (t * U_GRID - div.f(U_GRID)).max().item() > 100, (name, t)
    # the activation keeps the critic's output where the conjugate is finite
    t_act = div.activation(torch.linspace(-20, 20, 401, dtype=torch.float64))
    assert torch.isfinite(div.conjugate(t_act)).all(), name


def test_chi2_and_tv_conjugates_stop_at_u_equal_zero():
    # Over u in R, chi2's conjugate would be t^2/4 + t (-0.75 at t = -3) and TV's +inf for
    # t < -1/2; over the density ratios u >= 0 the sup sits at u = 0 there: -f(0).
    t = torch.tensor([-10.0, -3.0, -2.0, -1.0, 0.0, 2.0], dtype=torch.float64)
    chi2 = F_DIVERGENCES["chi2"].conjugate(t)
    assert chi2.tolist() == pytest.approx([-1.0, -1.0, -1.0, -0.75, 0.0, 3.0])
    assert F_DIVERGENCES["chi2"].conjugate_of_activation(t).tolist() == chi2.tolist()
    tv = F_DIVERGENCES["tv"].conjugate(torch.tensor([-3.0, -0.75, -0.5, 0.25, 0.5, 0.75]))
    assert tv.tolist() == [-0.5, -0.5, -0.5, 0.25, 0.5, math.inf]
    # the chi2 bound at a critic with values below -2 is still below the divergence
    p, q = torch.tensor(P), torch.tensor(Q)
    t_low = torch.full((7,), -5.0, dtype=torch.float64)
    assert ((p * t_low).sum() - (q * F_DIVERGENCES["chi2"].conjugate(t_low)).sum()).item() == (
        pytest.approx(-4.0))  # -5 + 1 <= chi2(P || Q)


@pytest.mark.parametrize("name", sorted(F_DIVERGENCES))
def test_fused_conjugate_of_activation_agrees_and_never_overflows(name):
    div = F_DIVERGENCES[name]
    v = torch.linspace(-5, 5, 101, dtype=torch.float64)
    assert torch.allclose(div.conjugate_of_activation(v), div.conjugate(div.activation(v)))
    big = torch.tensor([-60.0, 60.0])
    if name not in ("kl", "chi2", "hellinger"):  # these grow without bound, as they must
        assert torch.isfinite(div.conjugate_of_activation(big)).all()


@pytest.mark.parametrize("name", sorted(F_DIVERGENCES))
def test_bound_is_tight_at_the_optimal_critic_and_below_elsewhere(name):
    div = F_DIVERGENCES[name]
    p, q = torch.tensor(P), torch.tensor(Q)
    t_star = optimal_critic(p / q, name)
    tight = (p * t_star).sum() - (q * div.conjugate(t_star)).sum()
    assert tight.item() == pytest.approx(ORACLES[name](P, Q), rel=1e-9)
    for _ in range(20):
        t = div.activation(torch.randn(7, dtype=torch.float64) * 2)
        assert ((p * t).sum() - (q * div.conjugate(t)).sum()).item() <= tight.item() + 1e-12


def test_empirical_bound_is_the_sample_mean_of_the_two_terms():
    v_p, v_q = torch.randn(50), torch.randn(40)
    # GAN: E_P log D + E_Q log(1 - D), D = sigmoid(v)
    want = torch.log(torch.sigmoid(v_p)).mean() + torch.log(1 - torch.sigmoid(v_q)).mean()
    assert variational_bound(v_p, v_q, "gan").item() == pytest.approx(want.item(), rel=1e-5)


def test_kl_between_gaussians_matches_monte_carlo():
    m1, m2 = np.array([0.0, 1.0]), np.array([1.0, -1.0])
    S1, S2 = np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[2.0, -0.4], [-0.4, 1.0]])
    x = stats.multivariate_normal(m1, S1).rvs(400_000, random_state=1)
    mc = (stats.multivariate_normal(m1, S1).logpdf(x) - stats.multivariate_normal(m2, S2).logpdf(x))
    got = kl_between_gaussians(m1, S1, m2, S2).item()
    assert got == pytest.approx(mc.mean(), abs=4 * mc.std() / math.sqrt(len(x)))



def _js_integrand_by_logs(x: np.ndarray, mu_p: float, mu_q: float) -> np.ndarray:
    """p log(2p / (p + q)) / 2 + q log(2q / (p + q)) / 2 from log-densities (no underflow)."""
    lp = -0.5 * (x - mu_p) ** 2 - 0.5 * math.log(2 * math.pi)
    lq = -0.5 * (x - mu_q) ** 2 - 0.5 * math.log(2 * math.pi)
    lm = np.logaddexp(lp, lq) - math.log(2)
    return 0.5 * (np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm))


@pytest.mark.parametrize("mu_p, mu_q", [(0.0, 0.5), (0.0, 1.0), (-1.0, 1.0), (3.0, -0.5),
                                        (0.0, 6.0), (10.0, 10.3)])
def test_js_between_unit_gaussians_matches_a_trapezoid_integral(mu_p, mu_q):
    lo, hi = min(mu_p, mu_q) - 15, max(mu_p, mu_q) + 15
    x = np.linspace(lo, hi, 400_001)
    want = np.trapezoid(_js_integrand_by_logs(x, mu_p, mu_q), x)
    assert js_between_unit_gaussians(mu_p, mu_q) == pytest.approx(want, rel=1e-9, abs=1e-14)


def test_js_between_unit_gaussians_matches_monte_carlo():
    # JS = E_P[log(2p / (p + q))] / 2 + E_Q[log(2q / (p + q))] / 2, 200,000 draws of each
    rng = np.random.default_rng(0)
    mu_q, n = 1.5, 200_000
    xp, xq = rng.normal(0.0, 1.0, n), rng.normal(mu_q, 1.0, n)

    def log_ratio(x, mu_self, mu_other):  # log(2 p_self / (p_self + p_other))
        return math.log(2) - np.logaddexp(0.0, -0.5 * (x - mu_other) ** 2
                                          + 0.5 * (x - mu_self) ** 2)

    terms = 0.5 * (log_ratio(xp, 0.0, mu_q) + log_ratio(xq, mu_q, 0.0))
    se = terms.std() / math.sqrt(n)
    assert js_between_unit_gaussians(0.0, mu_q) == pytest.approx(terms.mean(), abs=4 * se)


def test_js_between_unit_gaussians_limits_symmetry_and_shift():
    js = js_between_unit_gaussians
    assert js(0.0, 0.0) == 0.0 and js(-2.5, -2.5) == 0.0
    # small shifts: JS ~ delta^2 / 8 (a quarter of the Fisher information, 1, times delta^2 / 2)
    assert js(0.0, 0.01) == pytest.approx(0.01**2 / 8, rel=1e-4)
    # symmetric, and a function of mu_q - mu_p only
    assert js(0.3, 1.7) == pytest.approx(js(1.7, 0.3), rel=1e-12)
    assert js(0.3, 1.7) == pytest.approx(js(100.3, 101.7), rel=1e-12)
    # increasing in the distance, towards log 2, which it reaches far apart
    values = [js(0.0, d) for d in (0.5, 1.0, 2.0, 4.0, 8.0, 12.0)]
    assert all(np.diff(values) > 0) and values[-1] < math.log(2)
    assert values[-1] == pytest.approx(math.log(2), abs=1e-6)
    assert js(0.0, 39.0) == pytest.approx(math.log(2), abs=1e-15)
    assert js(-1.0, 60.0) == math.log(2) and js(-1e308, 1e308) == math.log(2)
    # the "js" entry of F_DIVERGENCES on a fine grid of cells
    edges = np.linspace(-14.0, 15.0, 20_001)
    cells = np.diff(stats.norm(0, 1).cdf(edges)), np.diff(stats.norm(1, 1).cdf(edges))
    binned = f_divergence(*(c / c.sum() for c in cells), "js").item()
    assert js(0.0, 1.0) == pytest.approx(binned, rel=1e-4)
    # the same numbers for NumPy and torch scalars
    assert js(np.float32(1.0), torch.tensor(0.0)) == js(1.0, 0.0)

def test_trained_critic_approaches_js_between_two_gaussians():
    # JS between N(0, 1) and N(2, 1) by quadrature: the oracle
    p, q = stats.norm(0, 1).pdf, stats.norm(2, 1).pdf

    def js_density(x):
        m = 0.5 * (p(x) + q(x))
        return 0.5 * (rel_entr(p(x), m) + rel_entr(q(x), m))

    js = integrate.quad(js_density, -12, 14)[0]
    torch.manual_seed(0)
    out = fit_variational_bound(
        lambda n, g: torch.randn(n, 1, generator=g),
        lambda n, g: torch.randn(n, 1, generator=g) + 2,
        LatentDiscriminator(1, hidden=(32,)), "js", steps=300, lr=5e-3, n_eval=20_000,
        eval_every=50,
    )
    assert out.steps[0] == 0 and out.steps[-1] == 300
    assert js - 0.01 < out.estimate < js + 0.005, (out.estimate, js)
    assert out.curve[0] < out.estimate


def test_generator_losses_saturate_as_the_theory_says():
    v = torch.tensor([-20.0])  # the discriminator rejects the fake with certainty
    for kind, slope in (("minimax", 0.0), ("non-saturating", -1.0)):
        v_ = v.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(gan_generator_loss(v_, kind), v_)
        assert grad.item() == pytest.approx(slope, abs=1e-6), kind


def _quad(fn, theta: float) -> float:
    """Integral of fn over the line, where N(0, 1) and N(theta, 1) hold their mass."""
    return integrate.quad(fn, -12.0, theta + 12.0, points=[0.0, theta], limit=200)[0]


def _log_ratio(x, theta0: float):
    """log q(x) / p(x) for P = N(0, 1), Q = N(theta0, 1): the optimal discriminator's -logit."""
    return theta0 * x - theta0**2 / 2


def _quantile_logits(theta0: float):
    """theta and the optimal logits log(D* / (1 - D*)) frozen at theta0, on Q's quantiles."""
    eps = torch.tensor(stats.norm.ppf((np.arange(20_000) + 0.5) / 20_000))
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    return theta, -_log_ratio(theta + eps, theta0)


def test_minimax_loss_has_the_gradient_of_2js_minus_log4_but_not_its_value():
    theta0, h = 1.0, 1e-4

    def loss(theta):  # E_{N(theta, 1)} log(1 - D*), D* = p / (p + q_theta0) held fixed
        return _quad(lambda x: stats.norm.pdf(x, theta)
                     * -np.logaddexp(0.0, -_log_ratio(x, theta0)), theta)

    def bound(theta):  # max_D E_P log D + E_Q log(1 - D)
        return 2 * js_between_unit_gaussians(0.0, theta) - math.log(4)

    e_p_log_d = _quad(lambda x: stats.norm.pdf(x) * -np.logaddexp(0.0, _log_ratio(x, theta0)),
                      theta0)
    # the values differ, by E_P log D*, a term without the generator in it
    assert loss(theta0) == pytest.approx(-0.5817257, abs=1e-6)
    assert bound(theta0) == pytest.approx(-1.1634514, abs=1e-6)
    assert loss(theta0) + e_p_log_d == pytest.approx(bound(theta0), abs=1e-9)
    # the gradients agree (central differences of the two quadratures)
    d_loss = (loss(theta0 + h) - loss(theta0 - h)) / (2 * h)
    d_bound = (bound(theta0 + h) - bound(theta0 - h)) / (2 * h)
    assert d_loss == pytest.approx(d_bound, rel=1e-6)
    # and so does the library's loss, by autograd through Q's quantiles
    theta, logits = _quantile_logits(theta0)
    value = gan_generator_loss(logits, "minimax")
    (grad,) = torch.autograd.grad(value, theta)
    assert value.item() == pytest.approx(loss(theta0), abs=1e-3)
    assert grad.item() == pytest.approx(d_bound, abs=1e-3)


@pytest.mark.parametrize("theta0, want", [(0.5, 0.064377), (2.0, 1.326338), (4.0, 6.734560)])
def test_non_saturating_gradient_is_that_of_2_kl_from_the_mixture_to_the_data(theta0, want):
    # KL(Q || P) - 2 JS(P, Q) = 2 KL(M || P), M = (P + Q) / 2
    def two_kl_m_p(theta):
        def integrand(x):
            lp, lq = stats.norm.logpdf(x), stats.norm.logpdf(x, theta)
            lm = np.logaddexp(lp, lq) - math.log(2)
            return 2 * math.exp(lm) * (lm - lp)
        return _quad(integrand, theta)

    kl_qp = kl_between_gaussians([theta0], [[1.0]], [0.0], [[1.0]]).item()
    assert kl_qp == pytest.approx(theta0**2 / 2)
    difference = kl_qp - 2 * js_between_unit_gaussians(0.0, theta0)
    assert difference == pytest.approx(two_kl_m_p(theta0), abs=1e-9)
    assert difference == pytest.approx(want, abs=1e-6)
    # -E_Q log D* (D* frozen at theta0) descends it
    theta, logits = _quantile_logits(theta0)
    (grad,) = torch.autograd.grad(gan_generator_loss(logits, "non-saturating"), theta)
    h = 1e-4
    slope = (two_kl_m_p(theta0 + h) - two_kl_m_p(theta0 - h)) / (2 * h)
    assert grad.item() == pytest.approx(slope, abs=1e-3)


def test_fgan_model_for_mnist_bound_and_losses():
    torch.manual_seed(0)
    model = FGANModel.for_mnist(z_dim=4, divergence="gan", generator_loss="minimax")
    parts = model.adversary_loss(torch.rand(4, 1, 28, 28))
    assert parts["bound"].item() <= 0.0 + 1e-6  # 2 JS - log 4 <= 0
    assert torch.isfinite(model.losses(torch.rand(4, 1, 28, 28))["loss"])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: f_divergence([0.5, 0.5], [0.5, 0.5], "kullback"), "name must be one of"),
        (lambda: f_divergence([0.5, 0.6], [0.5, 0.5]), "sums to"),
        (lambda: f_divergence([1.5, -0.5], [0.5, 0.5]), "negative"),
        (lambda: f_divergence([1.0], [0.5, 0.5]), "same atoms"),
        (lambda: f_divergence([[0.5, 0.5]], [[0.5, 0.5]]), "1-D probability vector"),
        (lambda: variational_bound(torch.zeros(3, 1), torch.zeros(3), "js"), "squeeze"),
        (lambda: optimal_critic([0.0, 1.0], "kl"), "positive finite"),
        (lambda: kl_between_gaussians([0.0], [[0.0]], [0.0], [[1.0]]), "positive definite"),
        (lambda: js_between_unit_gaussians(float("nan"), 0.0), "mu_p must be a finite number"),
        (lambda: js_between_unit_gaussians(0.0, float("inf")), "mu_q must be a finite.*e.g."),
        (lambda: js_between_unit_gaussians(0.0, [1.0, 2.0]), "mu_q must be one real number"),
        (lambda: js_between_unit_gaussians("0", 1.0), "mu_p must be one real number"),
        (lambda: gan_generator_loss(torch.zeros(3), "wasserstein"), "kind must be one of"),
        (lambda: fit_variational_bound(3, lambda n, g: torch.zeros(n, 1),
                                       LatentDiscriminator(1), "js"), "sample_p must be"),
        (lambda: fit_variational_bound(lambda n, g: torch.zeros(n, 1),
                                       lambda n, g: torch.zeros(n, 1), "critic", "js"),
         "critic must be an nn.Module"),
        (lambda: FGANModel.for_mnist(generator_loss="wgan"), "generator_loss must be"),
        # Issue 23: "name must be one of ...", where the caller typed divergence=.
        (lambda: FGANModel.for_mnist(divergence="wass"),
         r"^divergence must be one of \('kl', .*got 'wass'; e\.g\. divergence='kl'"),
        (lambda: FGANModel.for_mnist(divergence=["gan"]), r"^divergence must be one of"),
        (lambda: FGANModel.for_mnist(z_dim=0), r"^z_dim must be a positive integer"),
        (lambda: variational_bound(torch.zeros(2), torch.zeros(2), None), r"^name must be one"),
        # optimal_critic: TypeError ("new(): invalid data type 'str'", "must be real number,
        # not complex") or silent acceptance (a bool as the ratio 1, a complex array's real part)
        (lambda: optimal_critic("a", "kl"), r"^ratio could not be read as an array of real"),
        (lambda: optimal_critic(1j, "kl"), r"^ratio is complex; pass real numbers"),
        (lambda: optimal_critic(np.array([1 + 1j]), "kl"), r"^ratio is complex"),
        (lambda: optimal_critic(True, "kl"), r"^ratio must hold density ratios.*got booleans"),
        (lambda: optimal_critic(torch.tensor([True]), "kl"), r"^ratio must hold density ratios"),
        (lambda: optimal_critic([[1.0], [1.0, 2.0]], "kl"), r"^ratio could not be read"),
        (lambda: optimal_critic([math.nan], "kl"), r"^ratio must hold positive finite"),
        (lambda: f_divergence([], [], "tv"), r"^p must be a non-empty 1-D probability vector"),
        (lambda: kl_between_gaussians([0.0], [[1.0]], [0.0, 0.0], np.eye(2)),
         r"different dimensions \(m1: \(1,\), m2: \(2,\)\)"),
        (lambda: js_between_unit_gaussians(None, 0.0), r"^mu_p must be one real number"),
        (lambda: gan_generator_loss(torch.zeros(3), ["minimax"]), r"^kind must be one of"),
    ],
)
def test_bad_input_is_refused_with_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()


class _Scores(torch.nn.Module):
    def __init__(self, d=1):
        super().__init__()
        self.layer = torch.nn.Linear(d, 1)

    def forward(self, x):
        return self.layer(x).squeeze(-1)


def _same(n, g):
    return torch.randn(n, 1, generator=g)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        # Before: TypeError from calling the sampler with (n, generator).
        ({"sample_p": lambda n: torch.randn(n, 1)},
         r"^sample_p\(n, generator\) failed \(.*\); a sampler takes the number of points"),
        # Before: accepted, three points for n = 4000.
        ({"sample_q": lambda n, g: torch.randn(3, 1, generator=g)},
         r"^sample_q\(4000, generator\) must return a floating-point tensor of shape \(4000, d\)"
         r", got shape \(3, 1\)"),
        ({"sample_p": lambda n, g: [0.0] * n}, r"^sample_p\(4000, generator\) must return.*list"),
        ({"sample_p": lambda n, g: torch.ones(n, 1, dtype=torch.long)},
         r"^sample_p\(4000, generator\) must return.*torch\.int64"),
        # Before: "scores_p must be a 1-D ...", naming no argument of the call.
        ({"critic": torch.nn.Linear(1, 1)},
         r"^critic must return one floating-point score per point, shape \(4000,\), got "
         r"\(4000, 1\); squeeze"),
        # Before: RuntimeError "mat1 and mat2 shapes cannot be multiplied".
        ({"critic": _Scores(3)}, r"^critic failed on points of shape \(4000, 1\).*it must map"),
        # Before: "_BoundFit has no parameters to train", naming a private class.
        ({"critic": torch.nn.Flatten(0)},
         r"^critic must be an nn\.Module with parameters to train.*got Flatten"),
        ({"steps": 0}, r"^steps must be a positive integer"),
        ({"batch_size": 2.5}, r"^batch_size must be a positive integer"),
        ({"lr": -1.0}, r"^lr must be a positive"),
        ({"seed": -1}, r"^seed must be"),
        ({"n_eval": True}, r"^n_eval must be a positive integer"),
        ({"eval_every": 0}, r"^eval_every must be a positive integer"),
        ({"name": "wass"}, r"^name must be one of"),
    ],
    ids=["sampler-signature", "sampler-n", "sampler-list", "sampler-int", "critic-2d",
         "critic-width", "critic-no-parameters", "steps", "batch_size", "lr", "seed", "n_eval",
         "eval_every", "name"],
)
def test_fit_variational_bound_refuses_bad_input_naming_the_argument(kwargs, match):
    args = {"sample_p": _same, "sample_q": _same, "critic": _Scores(), "name": "js",
            "steps": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        fit_variational_bound(**args)
