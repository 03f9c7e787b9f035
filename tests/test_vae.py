"""Chapter 5: the VAE's ELBO, its closed-form KL and the Gaussian encoders."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from torch import nn

from vegan_lib import recipes
from vegan_lib.data import mnist
from vegan_lib.nets import GaussianConvEncoder, GaussianMLPEncoder, MLPDecoder
from vegan_lib.train import fit
from vegan_lib.vae import (
    KLSplit,
    VAEModel,
    bayes_decoder,
    gaussian_kl,
    kl_split,
    log_normal,
    posterior_weights,
    vae_loss,
)


# --------------------------------------------------------------------------- gaussian_kl
def test_gaussian_kl_equals_torch_kl_divergence_to_standard_normal():
    torch.manual_seed(0)
    mean = torch.randn(7, 3, dtype=torch.float64)
    logvar = torch.randn(7, 3, dtype=torch.float64)
    q = torch.distributions.Independent(torch.distributions.Normal(mean, (0.5 * logvar).exp()), 1)
    p = torch.distributions.Independent(
        torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean)), 1
    )
    want = torch.distributions.kl_divergence(q, p)
    torch.testing.assert_close(gaussian_kl(mean, logvar), want, rtol=1e-12, atol=1e-12)


def test_gaussian_kl_is_zero_for_the_prior_and_positive_otherwise():
    zero = gaussian_kl(torch.zeros(2, 4), torch.zeros(2, 4))
    assert zero.abs().max().item() == 0.0
    assert (gaussian_kl(torch.full((3, 2), 0.1), torch.full((3, 2), -0.2)) > 0).all()


@pytest.mark.parametrize(
    ("mean", "logvar", "match"),
    [
        (torch.zeros(3), torch.zeros(3), "2-D"),
        (torch.zeros(3, 2), torch.zeros(3, 3), "same shape"),
        (torch.zeros(3, 2, dtype=torch.int64), torch.zeros(3, 2), "floating-point"),
        ([[0.0]], torch.zeros(1, 1), "2-D"),
    ],
)
def test_gaussian_kl_rejects_bad_inputs(mean, logvar, match):
    with pytest.raises(ValueError, match=match):
        gaussian_kl(mean, logvar)


# --------------------------------------------------------------------------- vae_loss
def test_vae_loss_matches_a_hand_computation_with_two_pixels_and_one_latent():
    x = torch.tensor([[1.0, -0.5], [0.0, 2.0]], dtype=torch.float64)
    x_mean = torch.tensor([[0.8, 0.1], [0.5, 1.0]], dtype=torch.float64)
    mean = torch.tensor([[0.3], [-1.0]], dtype=torch.float64)
    logvar = torch.tensor([[-0.4], [0.5]], dtype=torch.float64)
    sigma2 = 0.5
    nll = [
        (0.2**2 + 0.6**2) / (2 * sigma2) + math.log(2 * math.pi * sigma2),
        (0.5**2 + 1.0**2) / (2 * sigma2) + math.log(2 * math.pi * sigma2),
    ]
    kl = [
        0.5 * (0.3**2 + math.exp(-0.4) - 1 + 0.4),
        0.5 * ((-1.0) ** 2 + math.exp(0.5) - 1 - 0.5),
    ]
    parts = vae_loss(x, x_mean, mean, logvar, sigma2)
    assert parts["nll"].item() == pytest.approx(sum(nll) / 2, rel=1e-14)
    assert parts["kl"].item() == pytest.approx(sum(kl) / 2, rel=1e-14)
    want = (sum(nll) + sum(kl)) / 2
    assert parts["loss"].item() == pytest.approx(want, rel=1e-14), (parts["loss"].item(), want)


def test_vae_loss_rejects_mismatched_batches_and_bad_sigma2():
    x = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="encoder saw 2 samples"):
        vae_loss(x, x, torch.zeros(2, 1), torch.zeros(2, 1), 1.0)
    with pytest.raises(ValueError, match="same shape"):
        vae_loss(x, torch.zeros(3, 3), torch.zeros(3, 1), torch.zeros(3, 1), 1.0)
    with pytest.raises(ValueError, match="sigma2"):
        vae_loss(x, x, torch.zeros(3, 1), torch.zeros(3, 1), -0.1)


class _ExactPosterior(nn.Module):
    """Encoder returning the exact posterior of the linear Gaussian model z -> w z + b."""

    def __init__(self, w, b, sigma2):
        super().__init__()
        self.w, self.b, self.sigma2 = w, b, sigma2
        self.dummy = nn.Parameter(torch.zeros((), dtype=w.dtype))

    def forward(self, x):
        s2 = 1.0 / (1.0 + (self.w @ self.w).item() / self.sigma2)
        mean = s2 * ((x - self.b) @ self.w / self.sigma2).unsqueeze(1)
        return mean, torch.full_like(mean, math.log(s2))


def test_negative_elbo_equals_minus_log_evidence_when_q_is_the_exact_posterior():
    # p(z) = N(0, 1), p(x|z) = N(w z + b, sigma2 I) in d = 2, so p(x) = N(b, w w^T + sigma2 I)
    # and the ELBO is tight for the exact posterior. Monte Carlo over 200,000 codes.
    sigma2 = 0.3
    w = torch.tensor([1.5, -0.7], dtype=torch.float64)
    b = torch.tensor([0.2, 0.4], dtype=torch.float64)
    decoder = nn.Linear(1, 2).double()
    with torch.no_grad():
        decoder.weight.copy_(w[:, None])
        decoder.bias.copy_(b)
    model = VAEModel(_ExactPosterior(w, b, sigma2), decoder, z_dim=1, sigma2=sigma2)
    x0 = torch.tensor([1.0, -0.5], dtype=torch.float64)
    evidence = torch.distributions.MultivariateNormal(b, torch.outer(w, w) + sigma2 * torch.eye(2))
    want = -evidence.log_prob(x0).item()
    torch.manual_seed(0)
    with torch.no_grad():
        got = model.losses(x0.expand(200_000, 2).clone())["loss"].item()
    assert got == pytest.approx(want, abs=0.01), (got, want)
    # A worse posterior (mean shifted by 1) gives a strictly larger bound.
    with torch.no_grad():
        xs = x0.expand(200_000, 2)
        mean, logvar = model.encode(xs)
        z = VAEModel.reparameterize(mean + 1.0, logvar)
        worse = vae_loss(xs, decoder(z), mean + 1.0, logvar, sigma2)
    assert worse["loss"].item() > want + 0.3, (worse["loss"].item(), want)


# --------------------------------------------------------------------------- nets
def test_gaussian_encoders_split_their_output_into_mean_and_logvar():
    torch.manual_seed(0)
    enc = GaussianMLPEncoder(3, 2, hidden=(8,))
    x = torch.randn(5, 3)
    mean, logvar = enc(x)
    torch.testing.assert_close(torch.cat([mean, logvar], dim=1), enc.net(x))
    conv = GaussianConvEncoder(4, channels=(4, 8))
    mean, logvar = conv(torch.rand(2, 1, 28, 28))
    assert mean.shape == logvar.shape == (2, 4)
    assert conv.features[:4](torch.zeros(1, 1, 28, 28)).shape == (1, 8, 7, 7)


def test_gaussian_encoders_reject_wrong_input_shapes():
    with pytest.raises(ValueError, match=r"flatten each sample"):
        GaussianMLPEncoder(4, 2, hidden=(8,))(torch.zeros(3, 2, 2))
    with pytest.raises(ValueError, match=r"reshape flat images"):
        GaussianConvEncoder(2, channels=(2, 2))(torch.zeros(3, 784))
    with pytest.raises(ValueError, match="torch.Tensor"):
        GaussianMLPEncoder(2, 2)(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="z_dim"):
        GaussianMLPEncoder(2, 0)


# --------------------------------------------------------------------------- the model
def test_vae_losses_are_finite_scalars_with_loss_nll_and_kl():
    torch.manual_seed(0)
    for model, x in [
        (VAEModel.for_toy(x_dim=2, z_dim=2, hidden=(8,)), torch.randn(6, 2)),
        (VAEModel.for_mnist(z_dim=4, sigma2=0.1), torch.rand(3, 1, 28, 28)),
    ]:
        parts = model.losses(x)
        assert set(parts) == {"loss", "nll", "kl"}
        assert all(v.ndim == 0 and math.isfinite(v.item()) for v in parts.values())
        assert parts["loss"].item() == pytest.approx(parts["nll"].item() + parts["kl"].item())


def test_vae_reparameterisation_has_the_encoder_mean_and_variance():
    torch.manual_seed(0)
    mean = torch.tensor([[1.0, -2.0]], dtype=torch.float64).expand(100_000, 2)
    logvar = torch.tensor([[0.0, math.log(0.25)]], dtype=torch.float64).expand(100_000, 2)
    z = VAEModel.reparameterize(mean, logvar)
    np.testing.assert_allclose(z.mean(0).numpy(), [1.0, -2.0], atol=0.01)
    np.testing.assert_allclose(z.var(0).numpy(), [1.0, 0.25], rtol=0.02)


def test_vae_gradient_reaches_the_log_variance_head_through_the_sample():
    torch.manual_seed(0)
    model = VAEModel.for_toy(x_dim=2, z_dim=2, hidden=(8,))
    model.losses(torch.randn(16, 2))["nll"].backward()  # no KL: only the sample sees logvar
    last = model.encoder.net.net[-1]
    assert last.weight.grad[2:].abs().sum().item() > 0, "no gradient to the logvar rows"


def test_vae_reconstruct_decodes_the_posterior_mean_without_sampling():
    torch.manual_seed(0)
    model = VAEModel.for_toy(x_dim=2, z_dim=2, hidden=(8,))
    x = torch.randn(4, 2)
    with torch.no_grad():
        want = model.decoder(model.encoder(x)[0])
        torch.testing.assert_close(model.reconstruct(x), want, rtol=0, atol=0)
        assert model.sample_posterior(x).shape == (4, 2)
        assert model.sample(5).shape == (5, 2)
    assert model.adversary_parameters() == []
    assert len(model.main_parameters()) == len(list(model.parameters()))


def test_fit_reduces_the_vae_loss_on_a_gaussian_blob():
    g = torch.Generator().manual_seed(0)
    data = 0.3 * torch.randn(512, 2, generator=g) + torch.tensor([3.0, -2.0])
    torch.manual_seed(0)
    model = VAEModel.for_toy(x_dim=2, z_dim=1, sigma2=0.1, hidden=(32,))

    def full_loss():
        torch.manual_seed(1)
        with torch.no_grad():
            return model.losses(data)["loss"].item()

    before = full_loss()
    fit(model, data, steps=300, batch_size=64, lr=3e-3, progress=False)
    after = full_loss()
    assert after < before - 10, (before, after)
    assert math.isfinite(after)


def test_vae_model_rejects_bad_settings_and_bad_encoders():
    with pytest.raises(ValueError, match="sigma2"):
        VAEModel.for_toy(sigma2=0.0, hidden=(4,))
    with pytest.raises(ValueError, match="z_dim"):
        VAEModel(GaussianMLPEncoder(2, 2), MLPDecoder(2, 2), z_dim=0)
    plain = VAEModel(nn.Linear(2, 2), MLPDecoder(2, 2, hidden=(4,)), z_dim=2)
    with pytest.raises(ValueError, match=r"pair \(mean, logvar\)"):
        plain.losses(torch.zeros(3, 2))
    wrong = VAEModel(GaussianMLPEncoder(2, 3, hidden=(4,)), MLPDecoder(2, 2, hidden=(4,)), 2)
    with pytest.raises(ValueError, match=r"must have shape \(N, 2\)"):
        wrong.losses(torch.zeros(3, 2))
    bad_decoder = VAEModel(GaussianMLPEncoder(2, 2, hidden=(4,)), nn.Linear(2, 3), z_dim=2)
    with pytest.raises(ValueError, match="decoder returned shape"):
        bad_decoder.losses(torch.zeros(3, 2))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_vae_losses_run_on_cuda():
    model = VAEModel.for_mnist(z_dim=4).cuda()
    parts = model.losses(torch.rand(4, 1, 28, 28, device="cuda"))
    assert parts["loss"].device.type == "cuda"
    assert model.sample(2).device.type == "cuda"


# --------------------------------------------------------------------------- log_normal
def test_log_normal_equals_torch_and_scipy_diagonal_gaussian_log_densities():
    from scipy.stats import multivariate_normal

    g = torch.Generator().manual_seed(0)
    z = torch.randn(6, 3, generator=g, dtype=torch.float64)
    mean = torch.randn(6, 3, generator=g, dtype=torch.float64)
    logvar = torch.randn(6, 3, generator=g, dtype=torch.float64)
    got = log_normal(z, mean, logvar)
    normal = torch.distributions.Normal(mean, (0.5 * logvar).exp())
    want = torch.distributions.Independent(normal, 1).log_prob(z)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    for i in range(6):
        ref = multivariate_normal(mean[i].numpy(), np.diag(logvar[i].exp().numpy())).logpdf(z[i])
        assert got[i].item() == pytest.approx(ref, rel=1e-12)


def test_log_normal_broadcasts_leading_axes():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(2, 4, 1, 3, generator=g, dtype=torch.float64)  # (draws, n, 1, d)
    mean = torch.randn(5, 3, generator=g, dtype=torch.float64)  # (m, d)
    logvar = torch.randn(5, 3, generator=g, dtype=torch.float64)
    got = log_normal(z, mean, logvar)
    assert got.shape == (2, 4, 5)
    for a, b, j in [(0, 0, 0), (1, 3, 4), (0, 2, 1)]:
        want = log_normal(z[a, b], mean[j : j + 1], logvar[j : j + 1])
        assert got[a, b, j].item() == pytest.approx(want.item(), rel=1e-14)


def test_log_normal_rejects_bad_inputs():
    with pytest.raises(ValueError, match="broadcast"):
        log_normal(torch.zeros(3, 2), torch.zeros(3, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="floating-point"):
        log_normal(np.zeros((3, 2)), torch.zeros(3, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="logvar"):
        log_normal(torch.zeros(3, 2), torch.zeros(3, 2), torch.tensor(0.0))


# --------------------------------------------------------------------------- Bayes decoder
def _brute_force_weights(z, mean, logvar):
    from scipy.stats import multivariate_normal

    dens = np.array([
        [multivariate_normal(mean[j].numpy(), np.diag(logvar[j].exp().numpy())).pdf(z[i])
         for j in range(len(mean))]
        for i in range(len(z))
    ])
    return dens / dens.sum(1, keepdims=True)


def test_posterior_weights_match_a_loop_over_scipy_densities():
    g = torch.Generator().manual_seed(2)
    mean = torch.randn(7, 2, generator=g, dtype=torch.float64)
    logvar = 0.5 * torch.randn(7, 2, generator=g, dtype=torch.float64)
    z = torch.randn(4, 2, generator=g, dtype=torch.float64)
    w = posterior_weights(z, mean, logvar)
    assert w.shape == (4, 7)
    np.testing.assert_allclose(w.numpy(), _brute_force_weights(z, mean, logvar), rtol=1e-10)
    torch.testing.assert_close(w.sum(1), torch.ones(4, dtype=torch.float64))


def test_posterior_weights_are_stable_where_every_density_underflows():
    mean = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    logvar = torch.full((2, 1), math.log(1e-4), dtype=torch.float64)
    w = posterior_weights(torch.tensor([[30.0], [0.49]], dtype=torch.float64), mean, logvar)
    assert torch.isfinite(w).all()
    torch.testing.assert_close(w[0], torch.tensor([0.0, 1.0], dtype=torch.float64))
    # at 0.49 the ratio is exp(((0.51)^2 - (0.49)^2) / (2 * 1e-4)) = exp(100)
    assert w[1, 1].item() == pytest.approx(1 / (1 + math.exp(100)), rel=1e-8)


def test_posterior_weights_do_not_depend_on_the_chunk_size(monkeypatch):
    import vegan_lib.vae as vae

    g = torch.Generator().manual_seed(3)
    mean, logvar = torch.randn(9, 2, generator=g), torch.randn(9, 2, generator=g)
    z = torch.randn(11, 2, generator=g)
    whole = posterior_weights(z, mean, logvar)
    # chapter 5's formula, verbatim: the same weights bit for bit
    log_q = -0.5 * (((z[:, None, :] - mean[None]) ** 2) / logvar.exp()[None]
                    + logvar[None]).sum(-1)
    torch.testing.assert_close(whole, torch.softmax(log_q, dim=1), rtol=0, atol=0)
    monkeypatch.setattr(vae, "_CHUNK", 40)  # two query rows per chunk
    torch.testing.assert_close(posterior_weights(z, mean, logvar), whole, rtol=0, atol=0)


def test_bayes_decoder_is_the_weighted_mean_of_the_data_shaped_like_a_sample():
    g = torch.Generator().manual_seed(4)
    mean, logvar = torch.randn(6, 2, generator=g), torch.randn(6, 2, generator=g)
    x = torch.rand(6, 1, 28, 28, generator=g)
    z = torch.randn(3, 2, generator=g)
    got = bayes_decoder(z, mean, logvar, x)
    assert got.shape == (3, 1, 28, 28)
    want = (posterior_weights(z, mean, logvar) @ x.flatten(1)).reshape(-1, 1, 28, 28)
    torch.testing.assert_close(got, want, rtol=0, atol=0)  # chapter 5's formula, bit for bit
    w = _brute_force_weights(z.double(), mean.double(), logvar.double())
    loop = sum(w[:, j, None] * x[j].double().flatten().numpy() for j in range(6))
    np.testing.assert_allclose(got.flatten(1).double().numpy(), loop, rtol=1e-4, atol=1e-6)


def test_bayes_decoder_matches_the_closed_form_and_monte_carlo_of_two_posteriors():
    # x_0 = 0 with q(z|x_0) = N(-1, 1), x_1 = 1 with q(z|x_1) = N(1, 1):
    # E[X | Z = z] = q(z|x_1) / (q(z|x_0) + q(z|x_1)) = sigmoid(2 z).
    mean = torch.tensor([[-1.0], [1.0]], dtype=torch.float64)
    logvar = torch.zeros(2, 1, dtype=torch.float64)
    x = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    z = torch.linspace(-3, 3, 13, dtype=torch.float64)[:, None]
    got = bayes_decoder(z, mean, logvar, x)[:, 0]
    torch.testing.assert_close(got, torch.sigmoid(2 * z[:, 0]), rtol=1e-12, atol=1e-14)
    # Monte Carlo: draw (J, Z) from the joint, average x_J over the draws with Z near z0.
    g = torch.Generator().manual_seed(0)
    j = torch.randint(0, 2, (4_000_000,), generator=g)
    draws = mean[j, 0] + torch.randn(4_000_000, generator=g, dtype=torch.float64)
    for z0 in (-0.5, 0.0, 0.8):
        near = (draws - z0).abs() < 0.01
        estimate = x[j[near], 0].mean().item()  # standard error ~ 0.5 / sqrt(15,000)
        want = bayes_decoder(torch.tensor([[z0]], dtype=torch.float64), mean, logvar, x).item()
        assert estimate == pytest.approx(want, abs=0.015), (z0, estimate, want)


def test_posterior_tools_reject_bad_inputs():
    mean, logvar = torch.zeros(4, 2), torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"mean_query must have shape \(M, 2\)"):
        posterior_weights(torch.zeros(3, 3), mean, logvar)
    with pytest.raises(ValueError, match="same shape"):
        posterior_weights(torch.zeros(3, 2), mean, torch.zeros(4, 3))
    with pytest.raises(ValueError, match="empty"):
        posterior_weights(torch.zeros(3, 2), torch.zeros(0, 2), torch.zeros(0, 2))
    with pytest.raises(ValueError, match="x_train must hold the 4 data points"):
        bayes_decoder(torch.zeros(3, 2), mean, logvar, torch.zeros(5, 7))


# --------------------------------------------------------------------------- kl_split
def _notebook_kl_split(mean, logvar, draws, gen):
    # chapter 5's cell, verbatim but for the names: the numbers the chapter prints
    def nb_log_normal(z, mean, logvar):
        return -0.5 * (((z - mean) ** 2) / logvar.exp() + logvar + np.log(2 * np.pi)).sum(-1)

    n_sub = len(mean)
    eps = torch.randn(draws, n_sub, mean.shape[1], generator=gen, dtype=mean.dtype)
    z = mean + (0.5 * logvar).exp() * eps
    log_q_own = nb_log_normal(z, mean, logvar)
    log_q_all = nb_log_normal(z[:, :, None, :], mean[None, None], logvar[None, None])
    log_q_agg = torch.logsumexp(log_q_all, dim=-1) - np.log(n_sub)
    log_p = nb_log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
    return (log_q_own - log_q_agg).mean().item(), (log_q_agg - log_p).mean().item()


def test_kl_split_gives_the_numbers_of_chapter_5s_cell():
    g = torch.Generator().manual_seed(5)
    mean, logvar = 2 * torch.randn(50, 2, generator=g), torch.randn(50, 2, generator=g) - 2
    parts = kl_split(mean, logvar, n_samples=2, generator=torch.Generator().manual_seed(5))
    mi, agg = _notebook_kl_split(mean, logvar, 2, torch.Generator().manual_seed(5))
    assert isinstance(parts, KLSplit)
    assert parts.mutual_information == pytest.approx(mi, rel=1e-6, abs=1e-6)
    assert parts.aggregate_kl == pytest.approx(agg, rel=1e-6, abs=1e-6)


def test_kl_split_matches_a_loop_over_scipy_densities_on_the_same_draws():
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    g = torch.Generator().manual_seed(6)
    mean = torch.randn(5, 2, generator=g, dtype=torch.float64)
    logvar = 0.3 * torch.randn(5, 2, generator=g, dtype=torch.float64)
    parts = kl_split(mean, logvar, n_samples=3, generator=torch.Generator().manual_seed(7))
    eps = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    q = [multivariate_normal(mean[j].numpy(), np.diag(logvar[j].exp().numpy())) for j in range(5)]
    p = multivariate_normal(np.zeros(2), np.eye(2))
    mi, agg, total = [], [], []
    for s in range(3):
        for i in range(5):
            z = (mean[i] + (0.5 * logvar[i]).exp() * eps[s, i]).numpy()
            own, prior = q[i].logpdf(z), p.logpdf(z)
            aggregate = logsumexp([q[j].logpdf(z) for j in range(5)]) - math.log(5)
            mi.append(own - aggregate)
            agg.append(aggregate - prior)
            total.append(own - prior)
    assert parts.mutual_information == pytest.approx(np.mean(mi), rel=1e-10)
    assert parts.aggregate_kl == pytest.approx(np.mean(agg), rel=1e-10)
    assert parts.total == pytest.approx(np.mean(total), rel=1e-10)


@pytest.mark.parametrize("spread", [0.0, 0.5, 2.0, 50.0])
def test_kl_split_parts_sum_to_the_total_and_information_is_at_most_log_n(spread):
    g = torch.Generator().manual_seed(8)
    n = 40
    mean = spread * torch.randn(n, 3, generator=g, dtype=torch.float64)
    logvar = torch.full((n, 3), math.log(0.05), dtype=torch.float64)
    parts = kl_split(mean, logvar, n_samples=4, generator=g)
    total = parts.mutual_information + parts.aggregate_kl
    assert total == pytest.approx(parts.total, rel=1e-12, abs=1e-12)
    assert -1e-12 <= parts.mutual_information <= math.log(n) + 1e-12
    if spread == 0.0:  # identical posteriors: the code says nothing about x
        assert parts.mutual_information == pytest.approx(0.0, abs=1e-12)
    if spread == 50.0:  # separated posteriors: the code names x, I = log N
        assert parts.mutual_information == pytest.approx(math.log(n), abs=1e-9)


def test_kl_split_total_estimates_the_closed_form_mean_kl():
    g = torch.Generator().manual_seed(9)
    mean = torch.randn(30, 2, generator=g, dtype=torch.float64)
    logvar = 0.5 * torch.randn(30, 2, generator=g, dtype=torch.float64) - 1
    parts = kl_split(mean, logvar, n_samples=2000, generator=g)
    closed = gaussian_kl(mean, logvar).mean().item()
    assert parts.total == pytest.approx(closed, rel=0.02), (parts.total, closed)
    # identical posteriors: Q_Z is q(z|x) itself, so the aggregate KL is the closed form
    same = kl_split(mean[:1].expand(30, 2), logvar[:1].expand(30, 2), n_samples=2000, generator=g)
    want = gaussian_kl(mean[:1], logvar[:1]).item()
    assert same.aggregate_kl == pytest.approx(want, rel=0.03, abs=0.01), (same, want)


def test_kl_split_rejects_bad_inputs():
    with pytest.raises(ValueError, match="n_samples"):
        kl_split(torch.zeros(3, 2), torch.zeros(3, 2), n_samples=0)
    with pytest.raises(ValueError, match="same shape"):
        kl_split(torch.zeros(3, 2), torch.zeros(3, 1))
    with pytest.raises(ValueError, match="2-D"):
        kl_split(torch.zeros(3), torch.zeros(3))


# --------------------------------------------------------------------------- bad input (issue 16)
@pytest.mark.parametrize("which", ["encoder", "decoder"])
def test_vae_refuses_networks_that_are_not_modules(which):
    # Before: accepted; fit then trained nothing of the function.
    parts = {"encoder": GaussianMLPEncoder(2, 2, hidden=(4,)), "decoder": MLPDecoder(2, 2, (4,))}
    parts[which] = lambda t: t
    with pytest.raises(ValueError, match=rf"{which} must be an nn.Module.*got function"):
        VAEModel(parts["encoder"], parts["decoder"], z_dim=2)


def test_a_beta_vae_recipe_is_defined_from_the_public_api_and_trains():
    # Adding a recipe of an existing family touches vae.py (beta) and recipes.py only: here
    # it is defined without editing recipes.py, as a reader would, and trained a few steps.
    vae = recipes.recipe("VAE")
    beta_vae = dataclasses.replace(vae, name="β-VAE (β = 4)",
                                   options={**vae.options, "beta": 4.0})
    x, _ = mnist(n=64)
    model, history = recipes.train(beta_vae, x, seed=0, progress=False, steps=3)
    assert model.beta == 4.0 and history.step == [1, 2, 3]
    np.testing.assert_allclose(history["loss"], np.add(history["nll"], 4.0 * np.array(
        history["kl"])), rtol=1e-5)
    _, plain = recipes.train("VAE", x, seed=0, progress=False, steps=3)
    assert plain["loss"][0] == pytest.approx(plain["nll"][0] + plain["kl"][0], rel=1e-5)
    with pytest.raises(ValueError, match="beta"):
        VAEModel.for_toy(beta=0.0)
