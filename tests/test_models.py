"""Tests for vegan_lib.models.POTModel: the POT objective's wiring and the fit protocol."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from vegan_lib.models import POTModel
from vegan_lib.nets import LatentDiscriminator, MLPDecoder, MLPEncoder


def _toy(penalty="mmd", **kwargs):
    torch.manual_seed(0)
    return POTModel.for_toy(x_dim=2, z_dim=2, penalty=penalty, hidden=(16,), **kwargs)


def _np_mmd2_imq(x, y, C):
    def gram(a, b):
        sq = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return C / (C + sq)

    n, m = len(x), len(y)
    kxx, kyy = gram(x, x), gram(y, y)
    return (
        (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        - 2 * gram(x, y).mean()
    )


@pytest.mark.parametrize("penalty", ["mmd", "gan"])
def test_pot_loss_equals_reconstruction_plus_lambda_times_penalty(penalty):
    model = _toy(penalty, lam=3.5)
    parts = model.losses(torch.randn(10, 2))
    assert set(parts) == {"loss", "reconstruction", "penalty"}
    assert all(v.ndim == 0 for v in parts.values())
    want = parts["reconstruction"].item() + 3.5 * parts["penalty"].item()
    assert parts["loss"].item() == pytest.approx(want, rel=1e-6), (parts["loss"].item(), want)


def test_mnist_pot_loss_equals_its_parts_for_both_penalties():
    for penalty in ("mmd", "gan"):
        torch.manual_seed(0)
        model = POTModel.for_mnist(z_dim=4, penalty=penalty, lam=2.0)
        parts = model.losses(torch.rand(4, 1, 28, 28))
        want = parts["reconstruction"].item() + 2.0 * parts["penalty"].item()
        assert parts["loss"].item() == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("cost", ["squared", "euclidean"])
def test_reconstruction_term_is_mean_per_sample_cost_of_decoded_codes(cost):
    model = _toy(cost=cost)
    x = torch.randn(6, 2)
    parts = model.losses(x)
    diff = (x - model.decoder(model.encoder(x))).detach().numpy()
    per_sample = (diff**2).sum(1) if cost == "squared" else np.sqrt((diff**2).sum(1))
    assert parts["reconstruction"].item() == pytest.approx(per_sample.mean(), rel=1e-5)


def test_mmd_penalty_compares_codes_with_fresh_prior_samples():
    model = _toy("mmd")
    x = torch.randn(12, 2)
    torch.manual_seed(7)
    parts = model.losses(x)
    torch.manual_seed(7)
    z_p = torch.randn(12, 2).numpy().astype(np.float64)  # the prior draw inside losses
    z_q = model.encoder(x).detach().numpy().astype(np.float64)
    want = _np_mmd2_imq(z_q, z_p, C=2.0 * 2)
    assert parts["penalty"].item() == pytest.approx(want, rel=1e-4, abs=1e-6)


def test_gan_penalty_is_minus_mean_log_sigmoid_of_discriminator_on_codes():
    model = _toy("gan")
    x = torch.randn(9, 2)
    logits = model.discriminator(model.encoder(x)).detach().numpy().astype(np.float64)
    want = np.logaddexp(0.0, -logits).mean()
    assert model.losses(x)["penalty"].item() == pytest.approx(want, rel=1e-5)


def test_adversary_loss_trains_discriminator_only_and_matches_formula():
    model = _toy("gan")
    x = torch.randn(8, 2)
    torch.manual_seed(3)
    out = model.adversary_loss(x)
    torch.manual_seed(3)
    z_p = torch.randn(8, 2)
    with torch.no_grad():
        lp = model.discriminator(z_p).double().numpy()
        lq = model.discriminator(model.encoder(x)).double().numpy()
    want = np.logaddexp(0.0, -lp).mean() + np.logaddexp(0.0, lq).mean()
    assert set(out) == {"loss"}
    assert out["loss"].item() == pytest.approx(want, rel=1e-5)
    out["loss"].backward()
    assert all(p.grad is None for p in model.encoder.parameters()), "codes must be detached"
    assert all(p.grad is not None for p in model.discriminator.parameters())


def test_parameter_groups_split_networks_from_discriminator():
    model = _toy("gan")
    main = {id(p) for p in model.main_parameters()}
    adv = {id(p) for p in model.adversary_parameters()}
    assert main == {id(p) for p in (*model.encoder.parameters(), *model.decoder.parameters())}
    assert adv == {id(p) for p in model.discriminator.parameters()}
    assert main | adv == {id(p) for p in model.parameters()}


def test_mmd_model_has_no_adversary():
    model = _toy("mmd")
    assert model.adversary_parameters() == []
    with pytest.raises(RuntimeError, match="no adversary"):
        model.adversary_loss(torch.randn(4, 2))


def test_prior_samples_are_standard_normal():
    torch.manual_seed(0)
    model = POTModel.for_toy(x_dim=2, z_dim=3, hidden=(4,))
    z = model.sample_prior(20000).double()
    assert z.shape == (20000, 3) and z.dtype == torch.float64
    # standard errors: 1/sqrt(n) ~ 0.007 for the mean, ~0.01 for the covariance
    np.testing.assert_allclose(z.mean(0).numpy(), 0.0, atol=0.04)
    np.testing.assert_allclose(torch.cov(z.T).numpy(), np.eye(3), atol=0.05)


def test_sample_reconstruct_and_encode_shapes():
    torch.manual_seed(0)
    model = POTModel.for_mnist(z_dim=4)
    x = torch.rand(3, 1, 28, 28)
    assert model.encode(x).shape == (3, 4)
    assert model.reconstruct(x).shape == (3, 1, 28, 28)
    samples = model.sample(5)
    assert samples.shape == (5, 1, 28, 28) and not samples.requires_grad


def test_for_constructors_build_a_discriminator_only_for_gan():
    assert POTModel.for_toy(penalty="mmd", hidden=(4,)).discriminator is None
    assert isinstance(POTModel.for_toy(penalty="gan", hidden=(4,)).discriminator, nn.Module)
    assert isinstance(POTModel.for_mnist(penalty="gan").discriminator, LatentDiscriminator)


def test_multiscale_rbf_penalty_is_used_when_requested():
    model = _toy("mmd", mmd_kernel="rbf", mmd_scales=(0.5, 2.0))
    x = torch.randn(12, 2)
    torch.manual_seed(1)
    got = model.losses(x)["penalty"].item()
    torch.manual_seed(1)
    z_p = torch.randn(12, 2).double().numpy()
    z_q = model.encoder(x).detach().double().numpy()

    def gram(a, b):
        sq = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-sq / 2.0) + np.exp(-sq / 8.0)  # C = 4, scales 0.5 and 2

    kxx, kyy = gram(z_q, z_q), gram(z_p, z_p)
    want = (
        (kxx.sum() - np.trace(kxx)) / 132 + (kyy.sum() - np.trace(kyy)) / 132
        - 2 * gram(z_q, z_p).mean()
    )
    assert got == pytest.approx(want, rel=1e-4, abs=1e-6)


def _parts():
    return MLPEncoder(2, 2, hidden=(4,)), MLPDecoder(2, 2, hidden=(4,))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cost": "l1"}, r"unknown cost 'l1'; choose one of \['euclidean', 'squared'\]"),
        ({"penalty": "kl"}, r"unknown penalty 'kl'; choose one of \['mmd', 'gan'\]"),
        ({"mmd_kernel": "laplace"}, r"choose one of \['imq', 'rbf'\]"),
        ({"penalty": "gan"}, "needs a latent discriminator"),
        ({"discriminator": LatentDiscriminator(2, hidden=(4,))}, "only used with penalty='gan'"),
        ({"lam": -1.0}, "non-negative"),
        ({"lam": math.nan}, "non-negative"),
        ({"mmd_scales": (1.0, -2.0)}, "positive"),
        ({"mmd_scales": ()}, "non-empty"),
    ],
)
def test_pot_model_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        POTModel(*_parts(), z_dim=2, **kwargs)


def test_pot_model_rejects_bad_z_dim():
    with pytest.raises(ValueError, match="z_dim"):
        POTModel(*_parts(), z_dim=0)


def test_encoder_with_wrong_output_size_is_reported():
    model = POTModel(MLPEncoder(2, 3, hidden=(4,)), MLPDecoder(2, 2, hidden=(4,)), z_dim=2)
    with pytest.raises(ValueError, match=r"encoder returned shape \(5, 3\)"):
        model.losses(torch.randn(5, 2))


def test_decoder_with_wrong_output_shape_is_reported():
    model = POTModel(MLPEncoder(2, 2, hidden=(4,)), MLPDecoder(2, 3, hidden=(4,)), z_dim=2)
    with pytest.raises(ValueError, match="decoder returned shape"):
        model.losses(torch.randn(5, 2))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("penalty", ["mmd", "gan"])
def test_pot_model_losses_run_on_cuda(penalty):
    torch.manual_seed(0)
    model = POTModel.for_mnist(z_dim=4, penalty=penalty).cuda()
    parts = model.losses(torch.rand(6, 1, 28, 28, device="cuda"))
    assert all(v.device.type == "cuda" for v in parts.values())
    assert model.sample_prior(3).device.type == "cuda"
    if penalty == "gan":
        assert model.adversary_loss(torch.rand(6, 1, 28, 28, device="cuda"))["loss"].is_cuda
