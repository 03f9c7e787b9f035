"""Chapter 5: the VAE's ELBO, its closed-form KL and the Gaussian encoders."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from vegan_lib.models import VAEModel
from vegan_lib.nets import GaussianConvEncoder, GaussianMLPEncoder, MLPDecoder
from vegan_lib.objectives import gaussian_kl, vae_loss
from vegan_lib.train import fit


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
