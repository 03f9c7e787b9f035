"""Tests for the WGAN pieces: critic losses, gradient penalty, clipping, Critic, WGANModel."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from vegan_lib.nets import Critic, MLPDecoder
from vegan_lib.train import fit
from vegan_lib.transport import wasserstein
from vegan_lib.wgan import (
    LIPSCHITZ_CONSTRAINTS,
    WGANModel,
    clip_weights_,
    gradient_penalty,
    wgan_critic_loss,
    wgan_generator_loss,
)


# ----------------------------------------------------------------------------- losses
def test_wgan_losses_are_the_kantorovich_rubinstein_objective_by_hand():
    real, fake = torch.tensor([1.0, 2.0, 6.0]), torch.tensor([0.5, -0.5])
    # E f(fake) - E f(real) = 0 - 3
    assert wgan_critic_loss(real, fake).item() == pytest.approx(-3.0)
    assert wgan_generator_loss(fake).item() == pytest.approx(0.0)
    assert wgan_generator_loss(torch.tensor([2.0, 4.0])).item() == pytest.approx(-3.0)


def test_wgan_losses_reject_scores_that_are_not_one_per_sample():
    with pytest.raises(ValueError, match="one score per sample"):
        wgan_critic_loss(torch.zeros(4, 1), torch.zeros(4))
    with pytest.raises(ValueError, match="empty"):
        wgan_generator_loss(torch.zeros(0))


# ----------------------------------------------------------------------------- gradient penalty
@pytest.mark.parametrize("shape", [(7, 3), (5, 1, 2, 2)])
def test_gradient_penalty_of_a_linear_critic_is_squared_norm_gap(shape):
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(*shape, generator=g), torch.randn(*shape, generator=g)
    w = torch.randn(math.prod(shape[1:]), generator=g)

    def critic(x):
        return x.flatten(1) @ w

    want = (w.norm().item() - 1.0) ** 2
    got = gradient_penalty(critic, real, fake).item()
    assert got == pytest.approx(want, rel=1e-5), (got, want)


def test_gradient_penalty_of_a_quadratic_critic_uses_its_per_sample_gradient():
    # f(x) = ||x||^2 / 2 has gradient x: GP = mean_i (||x_hat_i|| - 1)^2 with the
    # documented draw t = torch.rand(N, generator=g).
    g = torch.Generator().manual_seed(1)
    real = torch.randn(6, 3, generator=g, dtype=torch.float64)
    fake = torch.randn(6, 3, generator=g, dtype=torch.float64)
    got = gradient_penalty(lambda x: 0.5 * x.pow(2).sum(1), real, fake,
                           generator=torch.Generator().manual_seed(5))
    t = torch.rand(6, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    x_hat = t[:, None] * real + (1 - t[:, None]) * fake
    want = sum((x_hat[i].norm().item() - 1.0) ** 2 for i in range(6)) / 6
    assert got.item() == pytest.approx(want, rel=1e-12), (got.item(), want)
    assert got.dtype == torch.float64


def test_gradient_penalty_uses_one_interpolation_coefficient_per_sample():
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g)
    seen = []

    def critic(x):
        seen.append(x.detach().clone())
        return x.sum(1)

    gradient_penalty(critic, real, fake)
    ratios = (seen[0] - fake) / (real - fake)  # t_i in every coordinate
    assert torch.allclose(ratios, ratios[:, :1].expand_as(ratios), atol=1e-4)
    t = ratios[:, 0]
    assert bool(((t >= 0) & (t <= 1)).all())
    assert t.std() > 0.1  # a different coefficient for each sample


def test_gradient_penalty_is_differentiable_in_the_critics_parameters():
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    gp = gradient_penalty(lambda x: x @ w, torch.zeros(5, 2), torch.ones(5, 2))
    (grad,) = torch.autograd.grad(gp, w)
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w|| = 2 * 4 * (0.6, 0.8)
    assert torch.allclose(grad, torch.tensor([4.8, 6.4])), grad


def test_gradient_penalty_rejects_mismatched_batches_and_bad_critics():
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(lambda x: x.sum(1), torch.zeros(4, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="one score per sample"):
        gradient_penalty(nn.Linear(2, 1), torch.zeros(4, 2), torch.ones(4, 2))
    with pytest.raises(ValueError, match="empty"):
        gradient_penalty(lambda x: x.sum(1), torch.zeros(0, 2), torch.zeros(0, 2))


# ----------------------------------------------------------------------------- clipping, critic
def test_clip_weights_puts_every_parameter_in_the_box():
    torch.manual_seed(0)
    net = Critic(3, hidden=(16, 16))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(100)
    clip_weights_(net, 0.05)
    assert max(p.abs().max().item() for p in net.parameters()) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="positive"):
        clip_weights_(net, 0.0)
    with pytest.raises(ValueError, match="positive"):
        clip_weights_(net, float("inf"))
    with pytest.raises(ValueError, match="nn.Module"):
        clip_weights_([torch.zeros(2)], 0.1)


def test_critic_returns_one_score_per_sample_and_checks_its_input():
    critic = Critic(2, hidden=(8,), activation=nn.LeakyReLU)
    assert critic(torch.zeros(5, 2)).shape == (5,)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        critic(torch.zeros(5, 3))
    assert not any(isinstance(m, nn.BatchNorm1d) for m in critic.modules())


def test_spectrally_normalised_critic_has_gradient_norms_below_its_bound():
    torch.manual_seed(0)
    critic = Critic(2, hidden=(32, 32), spectral_norm=True)
    assert critic.is_spectral_normalised()
    for _ in range(20):  # power iterations converge in training mode
        critic(torch.randn(4, 2))
    critic.eval()
    bound = critic.lipschitz_upper_bound()
    assert bound == pytest.approx(1.0, abs=1e-3), bound
    x = torch.randn(200, 2, requires_grad=True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x)
    assert grad.norm(dim=1).max().item() <= bound + 1e-5


def test_lipschitz_upper_bound_is_the_product_of_layer_spectral_norms():
    torch.manual_seed(1)
    critic = Critic(3, hidden=(5,))
    w1, w2 = critic.linear_layers()[0].weight, critic.linear_layers()[1].weight
    want = torch.linalg.svdvals(w1)[0].item() * torch.linalg.svdvals(w2)[0].item()
    assert critic.lipschitz_upper_bound() == pytest.approx(want, rel=1e-5)


# ----------------------------------------------------------------------------- WGANModel
@pytest.mark.parametrize("lipschitz", ["gp", "clip", "sn", "none"])
def test_wgan_losses_are_finite_and_fit_runs(lipschitz):
    torch.manual_seed(0)
    model = WGANModel.for_toy(lipschitz=lipschitz, hidden=(16,))
    x = torch.randn(64, 2) + 2
    parts = model.adversary_loss(x[:8])
    assert all(torch.isfinite(v) for v in parts.values())
    assert torch.isfinite(model.losses(x[:8])["loss"])
    history = fit(model, x, steps=4, batch_size=16, adversary_steps=3, progress=False)
    assert "adversary/estimate" in history and len(history) == 4
    assert ("adversary/gradient_penalty" in history) == (lipschitz == "gp")


def test_wgan_gp_critic_loss_is_minus_estimate_plus_weighted_penalty():
    torch.manual_seed(0)
    model = WGANModel.for_toy(lipschitz="gp", hidden=(8,), gp_weight=3.0)
    parts = model.adversary_loss(torch.randn(10, 2))
    want = -parts["estimate"] + 3.0 * parts["gradient_penalty"]
    assert parts["loss"].item() == pytest.approx(want.item(), rel=1e-6)


def test_wgan_clipping_holds_at_construction_and_after_every_fit_step():
    torch.manual_seed(0)
    model = WGANModel.for_toy(lipschitz="clip", hidden=(16,), clip=0.02)
    assert max(p.abs().max().item() for p in model.critic.parameters()) <= 0.02
    fit(model, torch.randn(64, 2) * 3, steps=5, batch_size=16, adversary_steps=2,
        lr=0.1, progress=False)
    assert max(p.abs().max().item() for p in model.critic.parameters()) <= 0.02
    # the generator is not clipped
    assert max(p.abs().max().item() for p in model.generator.parameters()) > 0.02


def test_fit_calls_after_adversary_step_once_per_adversary_update():
    class Counting(WGANModel):
        calls = 0

        def after_adversary_step(self):
            type(self).calls += 1

    torch.manual_seed(0)
    model = Counting(MLPDecoder(2, 2, (8,)), Critic(2, (8,)), z_dim=2)
    fit(model, torch.randn(40, 2), steps=3, batch_size=10, adversary_steps=4, progress=False)
    assert Counting.calls == 12


def test_fit_rejects_a_non_callable_after_adversary_step():
    torch.manual_seed(0)
    model = WGANModel.for_toy(hidden=(8,))
    model.after_adversary_step = 3
    with pytest.raises(ValueError, match="after_adversary_step"):
        fit(model, torch.randn(20, 2), steps=1, batch_size=10, progress=False)


def test_wgan_gp_generator_moves_towards_the_data():
    torch.manual_seed(0)
    data = 0.1 * torch.randn(512, 2) + torch.tensor([3.0, 3.0])
    model = WGANModel.for_toy(lipschitz="gp", hidden=(32, 32))
    before = wasserstein(model.sample(256), data[:256], p=1).item()
    fit(model, data, steps=150, batch_size=64, lr=1e-2, betas=(0.5, 0.9), adversary_steps=3,
        progress=False)
    after = wasserstein(model.sample(256), data[:256], p=1).item()
    assert after < 0.5 * before, (before, after)


def test_wgan_model_rejects_bad_settings():
    gen, critic = MLPDecoder(2, 2, (4,)), Critic(2, (4,))
    with pytest.raises(ValueError, match=r"unknown lipschitz constraint 'wd'; choose one of"):
        WGANModel(gen, critic, 2, lipschitz="wd")
    with pytest.raises(TypeError, match="penalty"):
        WGANModel(gen, critic, 2, penalty="gp")  # the old name is gone
    with pytest.raises(ValueError, match="gp_weight"):
        WGANModel(gen, critic, 2, gp_weight=0.0)
    with pytest.raises(ValueError, match="clip"):
        WGANModel(gen, critic, 2, clip=-1.0)
    with pytest.raises(ValueError, match="z_dim"):
        WGANModel(gen, critic, 0)
    with pytest.raises(ValueError, match="spectral_norm=True"):
        WGANModel(gen, critic, 2, lipschitz="sn")
    model = WGANModel(MLPDecoder(2, 3, (4,)), Critic(3, (4,)), 2)
    with pytest.raises(ValueError, match="generator returned shape"):
        model.losses(torch.zeros(4, 2))
    with pytest.raises(ValueError, match="positive integer"):
        model.sample(0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_wgan_trains_on_the_gpu_with_a_cpu_generator_for_the_penalty():
    torch.manual_seed(0)
    model = WGANModel.for_toy(lipschitz="gp", hidden=(8,)).cuda()
    x = torch.randn(32, 2, device="cuda")
    gp = gradient_penalty(model.critic, x, x + 1, generator=torch.Generator().manual_seed(0))
    assert gp.is_cuda
    fit(model, x, steps=2, batch_size=8, progress=False)
    assert model.sample(3).is_cuda


# ---------------------------------------------------------------- image critic, for_mnist
def test_conv_critic_gives_one_score_per_image_depending_on_that_image_only():
    from vegan_lib.nets import ConvCritic

    torch.manual_seed(0)
    critic = ConvCritic(channels=(4, 8))
    x = torch.rand(5, 1, 28, 28)
    scores = critic(x)
    assert scores.shape == (5,)
    x2 = x.clone()
    x2[3] = torch.rand(1, 28, 28)  # changing image 3 leaves the other scores unchanged
    changed = critic(x2) != scores
    assert changed.tolist() == [False, False, False, True, False]


def test_conv_critic_rejects_flat_images_and_bad_channels():
    from vegan_lib.nets import ConvCritic

    with pytest.raises(ValueError, match="reshape flat images"):
        ConvCritic(channels=(4, 8))(torch.rand(5, 784))
    with pytest.raises(ValueError, match="channels"):
        ConvCritic(channels=(4,))


def test_spectrally_normalised_conv_critic_is_accepted_by_the_sn_wgan():
    model = WGANModel.for_mnist(z_dim=4, lipschitz="sn")
    assert model.critic.spectral_norm
    parametrized = [
        m for m in model.critic.modules() if torch.nn.utils.parametrize.is_parametrized(m)
    ]
    assert len(parametrized) == 3  # two convolutions and the linear head


def test_wgan_for_mnist_uses_the_auto_encoders_decoder_and_trains_without_nans():
    from vegan_lib.pot import POTModel

    torch.manual_seed(0)
    model = WGANModel.for_mnist(z_dim=4, lipschitz="gp")
    pot = POTModel.for_mnist(z_dim=4)
    assert type(model.generator) is type(pot.decoder)
    assert [p.shape for p in model.generator.parameters()] == [
        p.shape for p in pot.decoder.parameters()
    ]
    x = torch.rand(32, 1, 28, 28)
    history = fit(model, x, steps=3, batch_size=8, adversary_steps=2, progress=False)
    assert all(math.isfinite(v) for v in history["loss"])
    assert model.sample(3).shape == (3, 1, 28, 28)


# ---------------------------------------------------------------- the Lipschitz constraints
def test_lipschitz_constraints_name_the_four_ways_and_the_model_keeps_its_choice():
    assert LIPSCHITZ_CONSTRAINTS == ("gp", "clip", "sn", "none")
    for lipschitz in ("gp", "clip", "none"):
        model = WGANModel(MLPDecoder(2, 2, (4,)), Critic(2, (4,)), 2, lipschitz=lipschitz)
        assert model.lipschitz == lipschitz and not hasattr(model, "penalty")
        assert f"lipschitz={lipschitz!r}" in repr(model)


def test_an_unconstrained_critic_is_neither_clipped_nor_penalised():
    torch.manual_seed(0)
    model = WGANModel.for_toy(lipschitz="none", hidden=(8,))
    with torch.no_grad():
        for p in model.critic.parameters():
            p.mul_(50)
    before = [p.clone() for p in model.critic.parameters()]
    model.after_adversary_step()
    assert all(torch.equal(a, b) for a, b in zip(before, model.critic.parameters(), strict=True))
    parts = model.adversary_loss(torch.randn(8, 2))
    assert set(parts) == {"loss", "estimate"}
    assert parts["loss"].item() == pytest.approx(-parts["estimate"].item())


@pytest.mark.parametrize("bad", ["GP", "penalty", None, 1])
def test_wgan_constructors_reject_an_unknown_lipschitz_constraint(bad):
    with pytest.raises(ValueError, match="unknown lipschitz constraint"):
        WGANModel.for_toy(lipschitz=bad, hidden=(4,))


# ---------------------------------------------------------------- bad input (issue 23)
def _linear_critic():
    layer = nn.Linear(2, 1)
    return lambda x: layer(x).squeeze(-1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        # Before: "mat1 and mat2 must have the same dtype, but got Double and Float".
        (lambda: gradient_penalty(_linear_critic(), torch.zeros(4, 2),
                                  torch.zeros(4, 2, dtype=torch.float64)),
         r"^real and fake must have one dtype, got torch\.float32 and torch\.float64; "
         r"convert both .* fake = fake\.to\(real\.dtype\)"),
        # Before: AttributeError: 'int' object has no attribute 'device'.
        (lambda: gradient_penalty(_linear_critic(), torch.zeros(4, 2), torch.ones(4, 2),
                                  generator=0),
         r"^generator must be a torch\.Generator or None, got int 0; e\.g\. generator="),
        (lambda: gradient_penalty(_linear_critic(), torch.zeros(4, 2), torch.ones(4, 2),
                                  generator="cpu"), r"^generator must be a torch\.Generator"),
        # Before: "empty batches: shape (0, 2) holds no samples", naming neither.
        (lambda: gradient_penalty(_linear_critic(), torch.zeros(0, 2), torch.zeros(0, 2)),
         r"^real is an empty batch \(shape \(0, 2\)\); pass at least one sample"),
        (lambda: gradient_penalty(_linear_critic(), torch.zeros(3, 2), torch.zeros(0, 2)),
         r"^fake is an empty batch"),
        (lambda: gradient_penalty(_linear_critic(), [[0.0, 0.0]], torch.zeros(1, 2)),
         r"^real must be a floating-point tensor"),
        (lambda: gradient_penalty(_linear_critic(), torch.zeros(3, 2), torch.zeros(3, 3)),
         r"^real and fake must have the same shape"),
        (lambda: gradient_penalty(3, torch.zeros(3, 2), torch.zeros(3, 2)),
         r"^critic must be callable"),
        (lambda: gradient_penalty(nn.Linear(2, 1), torch.zeros(3, 2), torch.zeros(3, 2)),
         r"critic must return one score per sample, shape \(3,\), got \(3, 1\)"),
        # Before: autograd's "element 0 of tensors does not require grad".
        (lambda: gradient_penalty(lambda x: torch.zeros(x.shape[0]), torch.zeros(3, 2),
                                  torch.zeros(3, 2)), r"^the critic's scores carry no gradient"),
        (lambda: clip_weights_(nn.Linear(2, 1), True), r"^c must be a positive number, got True"),
        (lambda: clip_weights_([], 0.1), r"^module must be an nn\.Module, got list"),
        (lambda: wgan_critic_loss([1.0], torch.zeros(2)), r"^scores_real must be a 1-D"),
        (lambda: wgan_generator_loss(torch.zeros(0)), r"^scores_fake is empty"),
        (lambda: WGANModel.for_toy(hidden=(4,), gp_weight=math.nan), r"^gp_weight must be a pos"),
        (lambda: WGANModel.for_toy(hidden=(4,), clip="0.01"), r"^clip must be a positive number"),
        (lambda: WGANModel.for_toy(hidden=(4,), z_dim=2.0), r"^z_dim must be a positive integer"),
        (lambda: WGANModel.for_toy(hidden=(4,), lipschitz=["gp"]),
         r"^unknown lipschitz constraint \['gp'\]"),
        (lambda: WGANModel.for_toy(hidden=(4,), lipschitz=np.array(["gp", "sn"])),
         r"^unknown lipschitz constraint"),
    ],
    ids=["gp-dtypes", "gp-generator-int", "gp-generator-str", "gp-empty-real", "gp-empty-fake",
         "gp-list", "gp-shapes", "gp-critic-int", "gp-critic-2d", "gp-no-grad", "clip-bool",
         "clip-module", "critic-loss-list", "generator-loss-empty", "gp_weight-nan",
         "clip-str", "z_dim-float", "lipschitz-list", "lipschitz-array"],
)
def test_wgan_functions_refuse_bad_input_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_critic_that_ignores_its_input_has_gradient_zero_so_penalty_one():
    bias = nn.Parameter(torch.tensor(0.3))
    gp = gradient_penalty(lambda x: bias.expand(x.shape[0]), torch.zeros(3, 2), torch.ones(3, 2))
    assert gp.item() == 1.0


def test_gradient_penalty_draws_from_the_generator_it_is_given():
    critic = _linear_critic()
    real, fake = torch.randn(5, 2), torch.randn(5, 2)
    a = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    b = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    assert a.item() == b.item()
