"""The VEGAN map's recipes, probabilistic PCA and its VAE, and the W2 dual, against oracles."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from vegan_lib import recipes
from vegan_lib.fdivergences import kl_between_gaussians
from vegan_lib.train import fit
from vegan_lib.transport import exact_ot, gaussian_w2
from vegan_lib.vegan_map import (
    VEGAN_MAP,
    LinearVAE,
    c_transform,
    gaussian_brenier,
    ppca_log_likelihood,
    ppca_mle,
    ppca_posterior,
)

D, K = 4, 2


def _ppca_data(n=3000, seed=0):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(D, K, generator=g, dtype=torch.float64)
    b = torch.randn(D, generator=g, dtype=torch.float64)
    z = torch.randn(n, K, generator=g, dtype=torch.float64)
    return z @ W.T + b + 0.3 * torch.randn(n, D, generator=g, dtype=torch.float64), W, b


def test_every_map_entry_is_a_recipe_that_builds():
    assert {e.recipe for e in VEGAN_MAP} >= {"VAE", "AVB", "AAE", "WAE-MMD", "WAE-GAN",
                                             "GAN", "WGAN-GP"}
    for entry in VEGAN_MAP:
        assert entry.distance in ("f-divergence", "OT")
        assert entry.formulation in ("primal", "dual")
        assert entry.latent in ("f-divergence", "MMD", "OT", "none")
        torch.manual_seed(0)
        model = recipes.build(entry.recipe)
        assert tuple(model.sample(2).shape) == (2, 1, 28, 28)
        has_encoder = hasattr(model, "encoder")
        assert has_encoder == (entry.formulation == "primal"), entry.recipe


def test_the_map_is_generated_from_the_recipes_and_their_models_facts():
    names = [e.recipe for e in VEGAN_MAP]
    assert names == ["VAE", "AVB", "AAE", "WAE-MMD", "WAE-GAN", "GAN", "WGAN-GP"]
    for entry in VEGAN_MAP:
        r = recipes.RECIPES[entry.recipe]
        torch.manual_seed(0)
        facts = recipes.build(entry.recipe).facts
        assert (entry.distance, entry.formulation, entry.latent) == (
            facts.distance, facts.formulation, facts.latent_distance)
        assert (entry.chapter, entry.what) == (r.chapter, r.summary)
    # the kinds the map places: primal f-divergence (VAE, AVB), primal OT (the POT models),
    # dual f-divergence (GAN), dual OT (WGAN)
    cells = {(e.formulation, e.distance) for e in VEGAN_MAP}
    assert cells == {(f, d) for f in ("primal", "dual") for d in ("f-divergence", "OT")}


def test_ppca_log_likelihood_matches_scipy():
    x, W, b = _ppca_data(50)
    C = (W @ W.T).numpy() + 0.09 * np.eye(D)
    want = stats.multivariate_normal(b.numpy(), C).logpdf(x.numpy())
    np.testing.assert_allclose(ppca_log_likelihood(x, W, b, 0.09).numpy(), want, rtol=1e-10)


def test_ppca_posterior_is_the_gaussian_conditional_of_the_joint():
    x, W, b = _ppca_data(5)
    s2 = 0.09
    # joint of (z, x): condition with the Schur complement (an independent formula)
    Sxx = W @ W.T + s2 * torch.eye(D, dtype=torch.float64)
    mean_want = (W.T @ torch.linalg.solve(Sxx, (x - b).T)).T
    cov_want = torch.eye(K, dtype=torch.float64) - W.T @ torch.linalg.solve(Sxx, W)
    mean, cov = ppca_posterior(x, W, b, s2)
    assert torch.allclose(mean, mean_want) and torch.allclose(cov, cov_want)


def test_ppca_mle_beats_perturbed_parameters_and_fits_the_covariance():
    x, _, _ = _ppca_data()
    W, b, s2 = ppca_mle(x, K)
    best = ppca_log_likelihood(x, W, b, s2).mean().item()
    g = torch.Generator().manual_seed(1)
    for _ in range(10):
        dW = 0.05 * torch.randn(W.shape, generator=g, dtype=torch.float64)
        assert ppca_log_likelihood(x, W + dW, b, s2).mean().item() < best
        assert ppca_log_likelihood(x, W, b, s2 * 1.1).mean().item() < best
    assert s2 == pytest.approx(0.09, rel=0.1)


def test_linear_vae_gap_is_the_exact_posterior_kl_and_training_closes_it():
    x, _, _ = _ppca_data()
    x = x.float()
    torch.manual_seed(0)
    vae = LinearVAE(D, K)
    x64 = x.double()
    vae64 = LinearVAE(D, K).double()
    vae64.load_state_dict({k: v.double() for k, v in vae.state_dict().items()})
    gap = vae64.log_likelihood(x64) - vae64.elbo(x64)
    # the exact posterior KL, from the closed-form Gaussian KL of fdivergences
    m_post, S_post = ppca_posterior(x64[:3], vae64.W, vae64.b, vae64.sigma2.item())
    with torch.no_grad():
        mu, s = vae64.encoder(x64[:3]), vae64.log_s.exp()
    for i in range(3):
        kl = kl_between_gaussians(mu[i], torch.diag(s), m_post[i], S_post)
        assert gap[i].item() == pytest.approx(kl.item(), rel=1e-8)
    fit(vae, x, steps=1500, batch_size=200, lr=2e-2, progress=False)
    W, b, s2 = ppca_mle(x64, K)
    ml = ppca_log_likelihood(x64, W, b, s2).mean().item()
    with torch.no_grad():
        elbo = vae.double().elbo(x64).mean().item()
        assert vae.posterior_gap(x64).mean().item() < 0.02
    assert ml - 0.03 < elbo <= ml + 1e-9


def test_pot_potentials_are_c_concave_and_tight_on_the_plan():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(30, 2, generator=g, dtype=torch.float64), torch.rand(40, 2, generator=g,
                                                                           dtype=torch.float64)
    res = exact_ot(x, y)
    slack = res.cost_matrix - res.f[:, None] - res.g[None, :]
    assert slack.min().item() > -1e-9
    assert slack[res.plan > 1e-12].abs().max().item() < 1e-9
    assert torch.allclose(c_transform(res.g, res.cost_matrix), res.f, atol=1e-9)
    assert (res.f.mean() + res.g.mean()).item() == pytest.approx(res.cost.item(), rel=1e-9)


def test_gaussian_brenier_pushes_forward_and_its_potentials_give_w2():
    m1, m2 = torch.tensor([0.0, 1.0], dtype=torch.float64), torch.tensor([2.0, -1.0],
                                                                         dtype=torch.float64)
    S1 = torch.tensor([[1.0, 0.4], [0.4, 0.8]], dtype=torch.float64)
    S2 = torch.tensor([[2.0, -0.5], [-0.5, 0.6]], dtype=torch.float64)
    T = gaussian_brenier(m1, S1, m2, S2)
    assert torch.allclose(T.A @ S1 @ T.A, S2) and torch.linalg.eigvalsh(T.A).min() > 0
    x = torch.distributions.MultivariateNormal(m1, S1).sample((20_000,))
    y = torch.distributions.MultivariateNormal(m2, S2).sample((20_000,))
    w2sq = gaussian_w2(m1, S1, m2, S2).item() ** 2
    assert (x - T.map(x)).pow(2).sum(1).mean().item() == pytest.approx(w2sq, rel=0.03)
    assert (T.f(x).mean() + T.g(y).mean()).item() == pytest.approx(w2sq, rel=0.05, abs=0.05)
    cost = torch.cdist(x[:300], y[:300]) ** 2
    assert (cost - T.f(x[:300])[:, None] - T.g(y[:300])[None, :]).min().item() > -1e-9
    tx = T.map(x[:300])
    assert torch.allclose(T.f(x[:300]) + T.g(tx), (x[:300] - tx).pow(2).sum(1), atol=1e-9)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ppca_log_likelihood(torch.zeros(3, 2), torch.zeros(3, 1), torch.zeros(2), 1.0),
         "W must be"),
        (lambda: ppca_log_likelihood(torch.zeros(3, 2), torch.zeros(2, 1), torch.zeros(2), 0.0),
         "sigma2 must be"),
        (lambda: ppca_mle(torch.randn(10, 2), 2), "smaller than the dimension"),
        (lambda: c_transform(torch.zeros(3), torch.zeros(2, 4)), "C must be"),
        (lambda: gaussian_brenier([0.0], [[0.0]], [0.0], [[1.0]]), "positive definite"),
        (lambda: LinearVAE(3, 1).elbo(torch.zeros(2, 4)), r"shape \(n, 3\)"),
    ],
)
def test_bad_input_is_refused_with_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()
