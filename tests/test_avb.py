"""Chapter 5: adversarial variational Bayes, its discriminator and its noisy encoders."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from vegan_lib.nets import (
    AVBDiscriminator,
    GaussianConvEncoder,
    GaussianMLPEncoder,
    MLPDecoder,
    NoisyConvEncoder,
    NoisyMLPEncoder,
)
from vegan_lib.train import fit
from vegan_lib.vae import AVBModel, avb_discriminator_loss, avb_encoder_decoder_loss


# --------------------------------------------------------------------------- objectives
def test_avb_discriminator_loss_is_logistic_loss_with_posterior_label_one():
    t_q = np.array([-2.0, 0.0, 1.5])
    t_p = np.array([0.5, -1.0])
    sigmoid = 1.0 / (1.0 + np.exp(-np.concatenate([t_q, t_p])))
    want = -np.log(sigmoid[:3]).mean() - np.log(1.0 - sigmoid[3:]).mean()
    got = avb_discriminator_loss(torch.tensor(t_q), torch.tensor(t_p)).item()
    assert got == pytest.approx(want, rel=1e-12), (got, want)


def test_avb_discriminator_loss_is_finite_for_huge_logits():
    loss = avb_discriminator_loss(torch.tensor([1000.0, -1000.0]), torch.tensor([1000.0]))
    assert loss.item() == pytest.approx(1000.0 / 2 + 1000.0), loss


def test_log_density_ratio_zeroes_the_gradient_of_the_discriminator_loss():
    # Pointwise, the population loss q(z) softplus(-t) + p(z) softplus(t) is minimised at
    # t = log q(z) - log p(z): check the derivative vanishes there on a grid of z.
    z = torch.linspace(-3, 3, 61, dtype=torch.float64)
    q = torch.distributions.Normal(0.7, 0.5).log_prob(z).exp()
    p = torch.distributions.Normal(0.0, 1.0).log_prob(z).exp()
    t = (q.log() - p.log()).requires_grad_(True)
    # One-point "batches" weighted by q(z) and p(z); the other argument is a constant
    # whose term does not depend on t.
    zero = torch.zeros(1, dtype=torch.float64)
    loss = sum(
        qi * avb_discriminator_loss(ti[None], zero) + pi * avb_discriminator_loss(zero, ti[None])
        for qi, pi, ti in zip(q, p, t, strict=True)
    )
    (grad,) = torch.autograd.grad(loss, t)
    assert grad.abs().max().item() < 1e-10, grad.abs().max().item()


def test_avb_encoder_decoder_loss_is_mean_nll_plus_mean_t():
    parts = avb_encoder_decoder_loss(torch.tensor([1.0, 5.0]), torch.tensor([-1.0, 2.0]))
    assert parts["nll"].item() == pytest.approx(3.0)
    assert parts["kl"].item() == pytest.approx(0.5)
    assert parts["loss"].item() == pytest.approx(3.5), parts


def test_avb_losses_reject_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        avb_encoder_decoder_loss(torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        avb_encoder_decoder_loss(torch.zeros(3), torch.zeros(3, 1))
    with pytest.raises(ValueError, match="empty"):
        avb_discriminator_loss(torch.zeros(0), torch.zeros(2))
    with pytest.raises(ValueError, match=r"squeeze"):
        avb_discriminator_loss(torch.zeros(2), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="floating-point"):
        avb_discriminator_loss(torch.zeros(2, dtype=torch.int64), torch.zeros(2))


def _kl_estimate(a: float, c: float, s: float, seed: int = 0) -> tuple[float, float]:
    """Train T on q(z|x) = N(a x + c, s^2), x ~ N(0, 1), vs p(z) = N(0, 1); return E_q T and
    the closed-form E_x KL(q(.|x) || p) computed with torch.distributions."""
    torch.manual_seed(seed)
    T = AVBDiscriminator(z_dim=1, x_dim=1, hidden=(32, 32))
    steps, batch = 800, 1024
    opt = torch.optim.Adam(T.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)

    def q_sample(x):
        return a * x + c + s * torch.randn_like(x)

    for _ in range(steps):
        x = torch.randn(batch, 1)
        loss = avb_discriminator_loss(T(x, q_sample(x)), T(x, torch.randn(batch, 1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    with torch.no_grad():
        x = torch.randn(50_000, 1)
        estimate = T(x, q_sample(x)).mean().item()
        q = torch.distributions.Normal(a * x + c, s)
        exact = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0))
    return estimate, exact.mean().item()


@pytest.mark.parametrize(("a", "c", "s"), [(0.5, 0.5, 0.6), (0.0, 1.0, 1.0)])
def test_trained_discriminator_estimates_the_kl_of_a_gaussian_encoder(a, c, s):
    estimate, exact = _kl_estimate(a, c, s)
    closed_form = 0.5 * (a * a + c * c + s * s - 1 - math.log(s * s))
    assert exact == pytest.approx(closed_form, abs=0.02)
    assert estimate == pytest.approx(exact, rel=0.08, abs=0.03), (estimate, exact)


# --------------------------------------------------------------------------- nets
def test_noisy_mlp_encoder_draws_fresh_noise_unless_given():
    torch.manual_seed(0)
    enc = NoisyMLPEncoder(2, 3, noise_dim=4, hidden=(16,))
    x = torch.randn(5, 2)
    assert not torch.equal(enc(x), enc(x)), "two calls must give two draws"
    eps = torch.randn(5, 4)
    torch.testing.assert_close(enc(x, eps), enc(x, eps), rtol=0, atol=0)
    torch.testing.assert_close(enc(x, eps), enc.net(torch.cat([x, eps], dim=1)))


def test_noisy_conv_encoder_injects_noise_after_the_convolutions():
    torch.manual_seed(0)
    enc = NoisyConvEncoder(3, noise_dim=2, channels=(4, 8), hidden=(16,))
    x = torch.rand(4, 1, 28, 28)
    eps = torch.randn(4, 2)
    assert enc(x).shape == (4, 3)
    want = enc.head(torch.cat([enc.features(x), eps], dim=1))
    torch.testing.assert_close(enc(x, eps), want)
    assert not torch.equal(enc(x, eps), enc(x, eps + 1.0))


def test_noisy_encoders_draw_noise_in_the_data_dtype():
    enc = NoisyMLPEncoder(2, 2, noise_dim=3, hidden=(4,)).double()
    assert enc(torch.zeros(3, 2, dtype=torch.float64)).dtype == torch.float64


def test_noisy_encoders_reject_bad_noise_and_inputs():
    enc = NoisyMLPEncoder(2, 3, noise_dim=4, hidden=(8,))
    with pytest.raises(ValueError, match=r"noise of shape \(5, 4\)"):
        enc(torch.zeros(5, 2), torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        enc(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="28, 28"):
        NoisyConvEncoder(2, 2, channels=(2, 2))(torch.zeros(1, 28, 28))
    with pytest.raises(ValueError, match="noise_dim"):
        NoisyMLPEncoder(2, 2, noise_dim=0)


def test_avb_discriminator_scores_flat_and_image_pairs():
    torch.manual_seed(0)
    flat = AVBDiscriminator(z_dim=2, x_dim=3, hidden=(8,))
    x, z = torch.randn(5, 3), torch.randn(5, 2)
    torch.testing.assert_close(flat(x, z), flat.joint(torch.cat([x, z], dim=1)).squeeze(-1))
    images = AVBDiscriminator(z_dim=2, hidden=(8,), channels=(2, 4))
    out = images(torch.rand(3, 1, 28, 28), torch.randn(3, 2))
    assert out.shape == (3,)


def test_avb_discriminator_output_depends_on_each_pair_alone():
    torch.manual_seed(0)
    T = AVBDiscriminator(z_dim=2, hidden=(8,), channels=(2, 4))
    x, z = torch.rand(4, 1, 28, 28), torch.randn(4, 2)
    torch.testing.assert_close(T(x, z)[:2], T(x[:2], z[:2]))
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in T.modules())


def test_avb_discriminator_rejects_bad_pairs():
    T = AVBDiscriminator(z_dim=2, x_dim=3, hidden=(8,))
    with pytest.raises(ValueError, match="3 data points but 2 codes"):
        T(torch.zeros(3, 3), torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"codes z of shape \(N, 2\)"):
        T(torch.zeros(3, 3), torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"data x of shape \(N, 3\)"):
        T(torch.zeros(3, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="at least one width"):
        AVBDiscriminator(z_dim=2, hidden=())


@pytest.mark.parametrize(
    "make",
    [
        lambda: GaussianMLPEncoder(2, 2),
        lambda: GaussianConvEncoder(8),
        lambda: NoisyMLPEncoder(2, 2),
        lambda: NoisyConvEncoder(8),
        lambda: AVBDiscriminator(8),
        lambda: AVBDiscriminator(2, 2),
    ],
)
def test_chapter5_nets_have_float32_parameters_and_no_batch_norm(make):
    net = make()
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())


# --------------------------------------------------------------------------- the model
def test_avb_losses_and_adversary_loss_are_finite_with_the_expected_keys():
    torch.manual_seed(0)
    for model, x in [
        (AVBModel.for_toy(x_dim=2, z_dim=2, hidden=(8,)), torch.randn(6, 2)),
        (AVBModel.for_mnist(z_dim=4, noise_dim=3, sigma2=0.1), torch.rand(3, 1, 28, 28)),
    ]:
        parts = model.losses(x)
        assert set(parts) == {"loss", "nll", "kl"}
        assert all(v.ndim == 0 and math.isfinite(v.item()) for v in parts.values())
        assert parts["loss"].item() == pytest.approx(parts["nll"].item() + parts["kl"].item())
        adversary = model.adversary_loss(x)
        assert set(adversary) == {"loss"} and math.isfinite(adversary["loss"].item())
        assert model.reconstruct(x).shape == x.shape


def test_avb_kl_term_trains_the_encoder_through_t_but_neither_the_decoder_nor_t():
    torch.manual_seed(0)
    model = AVBModel.for_toy(x_dim=2, z_dim=2, noise_dim=2, hidden=(8,))
    model.losses(torch.randn(8, 2))["kl"].backward()
    assert sum(p.grad.abs().sum().item() for p in model.encoder.parameters()) > 0
    assert all(p.grad is None for p in model.decoder.parameters())
    assert all(p.grad is None for p in model.discriminator.parameters()), "T must stay fixed"


def test_avb_losses_are_gaussian_nll_and_t_at_the_same_encoder_draw():
    torch.manual_seed(0)
    model = AVBModel.for_toy(x_dim=2, z_dim=2, noise_dim=2, sigma2=0.4, hidden=(8,))
    x = torch.randn(8, 2, dtype=torch.float64)
    model.double()
    torch.manual_seed(3)
    parts = model.losses(x)
    torch.manual_seed(3)
    with torch.no_grad():
        z = model.encoder(x)
        residual = (x - model.decoder(z)).pow(2).sum(1)
        nll = residual / (2 * 0.4) + math.log(2 * math.pi * 0.4)
        t = model.discriminator(x, z)
    assert parts["nll"].item() == pytest.approx(nll.mean().item(), rel=1e-12)
    assert parts["kl"].item() == pytest.approx(t.mean().item(), rel=1e-12)


def test_avb_adversary_loss_trains_only_t():
    torch.manual_seed(0)
    model = AVBModel.for_toy(x_dim=2, z_dim=2, hidden=(8,))
    model.adversary_loss(torch.randn(8, 2))["loss"].backward()
    assert all(p.grad is None for p in model.main_parameters())
    assert all(p.grad is not None for p in model.adversary_parameters())
    main = {id(p) for p in model.main_parameters()}
    adversary = {id(p) for p in model.adversary_parameters()}
    assert not main & adversary
    assert main | adversary == {id(p) for p in model.parameters()}


def test_fit_trains_avb_and_logs_the_kl_estimate_and_the_adversary():
    torch.manual_seed(0)
    model = AVBModel.for_toy(x_dim=2, z_dim=1, noise_dim=2, sigma2=0.1, hidden=(16,))
    data = 0.3 * torch.randn(256, 2) + torch.tensor([3.0, -2.0])
    history = fit(model, data, steps=60, batch_size=64, lr=3e-3, progress=False)
    assert {"loss", "nll", "kl", "adversary/loss"} <= set(history.terms)
    assert np.mean(history["nll"][-10:]) < np.mean(history["nll"][:10]), history["nll"]


def test_avb_model_rejects_bad_settings():
    with pytest.raises(ValueError, match="discriminator"):
        AVBModel(NoisyMLPEncoder(2, 2), MLPDecoder(2, 2), None, z_dim=2)
    with pytest.raises(ValueError, match="sigma2"):
        AVBModel.for_toy(sigma2=-1.0, hidden=(4,))
    model = AVBModel(
        NoisyMLPEncoder(2, 3, hidden=(4,)),
        MLPDecoder(2, 2, hidden=(4,)),
        AVBDiscriminator(2, 2, hidden=(4,)),
        z_dim=2,
    )
    with pytest.raises(ValueError, match=r"must have shape \(N, 2\)"):
        model.losses(torch.zeros(3, 2))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_avb_losses_run_on_cuda():
    model = AVBModel.for_mnist(z_dim=4).cuda()
    x = torch.rand(4, 1, 28, 28, device="cuda")
    assert model.losses(x)["loss"].device.type == "cuda"
    assert model.adversary_loss(x)["loss"].device.type == "cuda"
