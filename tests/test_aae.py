"""Chapter 4: the adversarial auto-encoder with a Gaussian decoder is POT with c = ||.||^2.

An AAE is ``POTModel(..., cost=gaussian_nll_cost(sigma2), divergence="gan", lam=lam_aae)``
(``POTModel.aae_for_mnist``); its twin (``pot_twin``) has the squared cost and
lam = 2 sigma2 lam_aae. The identity checked here is

    E[-log p(X|Z)] + lam_aae D_GAN = (E||X - G(Z)||^2 + 2 sigma2 lam_aae D_GAN) / (2 sigma2)
                                     + (d / 2) log(2 pi sigma2),

on real digits, for the loss values and for whole SGD trajectories.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vegan_lib.costs import GaussianNLLCost, gaussian_nll, gaussian_nll_cost
from vegan_lib.data import mnist
from vegan_lib.nets import ConvDecoder, ConvEncoder, LatentDiscriminator
from vegan_lib.pot import (
    POTModel,
    aae_loss,
    aae_to_pot_lambda,
    pot_to_aae_lambda,
    pot_twin,
)
from vegan_lib.train import fit

D_MNIST = 28 * 28


@pytest.fixture(scope="module")
def digits64():
    images, _ = mnist(n=200)
    return images.double()


def _small_aae(sigma2, lam_aae, seed=0):
    # Small conv nets (same architecture family as for_mnist) keep float64 training fast.
    torch.manual_seed(seed)
    return POTModel(
        ConvEncoder(4, channels=(4, 8)),
        ConvDecoder(4, channels=(8, 4)),
        4,
        lam_aae=lam_aae,
        cost=gaussian_nll_cost(sigma2),
        divergence="gan",
        discriminator=LatentDiscriminator(4, hidden=(16,)),
    ).double()


def _max_abs_difference(a: torch.nn.Module, b: torch.nn.Module) -> float:
    pairs = list(zip(a.parameters(), b.parameters(), strict=True))
    return max((p - q).abs().max().item() for p, q in pairs)


# --------------------------------------------------------------------------- objectives
def test_gaussian_nll_equals_minus_torch_normal_log_prob_summed_over_pixels():
    torch.manual_seed(0)
    x = torch.rand(5, 1, 4, 3, dtype=torch.float64)
    mean = torch.rand(5, 1, 4, 3, dtype=torch.float64)
    for sigma2 in (0.01, 0.5, 3.0):
        normal = torch.distributions.Normal(mean, math.sqrt(sigma2))
        want = -normal.log_prob(x).sum(dim=(1, 2, 3))
        got = gaussian_nll(x, mean, sigma2)
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_gaussian_nll_by_hand_for_one_two_dimensional_sample():
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    mean = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    want = 5.0 / (2 * 0.5) + (2 / 2) * math.log(2 * math.pi * 0.5)
    assert gaussian_nll(x, mean, 0.5).item() == pytest.approx(want, rel=1e-14)


def test_gaussian_nll_keeps_dtype_and_shape_per_sample():
    out = gaussian_nll(torch.zeros(3, 2, 2), torch.ones(3, 2, 2), 1.0)
    assert out.shape == (3,) and out.dtype == torch.float32


@pytest.mark.parametrize("sigma2", [0.0, -1.0, float("nan"), float("inf"), "a", None])
def test_gaussian_nll_rejects_non_positive_sigma2(sigma2):
    with pytest.raises(ValueError, match="sigma2"):
        gaussian_nll(torch.zeros(2, 2), torch.zeros(2, 2), sigma2)


def test_gaussian_nll_rejects_mismatched_shapes_and_empty_batches():
    with pytest.raises(ValueError, match="same shape"):
        gaussian_nll(torch.zeros(2, 3), torch.zeros(2, 2), 1.0)
    with pytest.raises(ValueError, match="empty"):
        gaussian_nll(torch.zeros(0, 3), torch.zeros(0, 3), 1.0)
    with pytest.raises(ValueError, match="0-dimensional"):
        gaussian_nll(torch.tensor(1.0), torch.tensor(1.0), 1.0)


def test_gaussian_nll_of_a_1d_batch_treats_each_entry_as_one_coordinate():
    got = gaussian_nll(torch.tensor([1.0, 3.0]), torch.zeros(2), 2.0)
    want = [v**2 / 4 + 0.5 * math.log(4 * math.pi) for v in (1.0, 3.0)]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


def test_aae_loss_is_mean_nll_plus_lambda_times_penalty():
    parts = aae_loss(torch.tensor([1.0, 2.0, 6.0]), torch.tensor(0.25), lam_aae=4.0)
    assert parts["nll"].item() == pytest.approx(3.0)
    assert parts["penalty"].item() == pytest.approx(0.25)
    assert parts["loss"].item() == pytest.approx(3.0 + 4.0 * 0.25), parts


def test_aae_loss_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        aae_loss(torch.tensor(1.0), torch.tensor(0.0), 1.0)
    with pytest.raises(ValueError, match="empty"):
        aae_loss(torch.zeros(0), torch.tensor(0.0), 1.0)
    with pytest.raises(ValueError, match="0-dimensional"):
        aae_loss(torch.zeros(3), torch.zeros(3), 1.0)
    with pytest.raises(ValueError, match="lam"):
        aae_loss(torch.zeros(3), torch.tensor(0.0), -1.0)


def test_lambda_conversion_is_two_sigma2_and_inverts():
    assert aae_to_pot_lambda(0.5, 3.0) == pytest.approx(3.0)
    assert aae_to_pot_lambda(2.0, 0.25) == pytest.approx(1.0)
    for sigma2, lam_aae in [(0.1, 7.0), (3.0, 0.0), (1e-3, 2.5)]:
        lam = aae_to_pot_lambda(sigma2, lam_aae)
        assert lam == pytest.approx(2 * sigma2 * lam_aae)
        assert pot_to_aae_lambda(sigma2, lam) == pytest.approx(lam_aae)


def test_lambda_conversion_rejects_bad_values():
    with pytest.raises(ValueError, match="sigma2"):
        aae_to_pot_lambda(0.0, 1.0)
    with pytest.raises(ValueError, match="lam"):
        aae_to_pot_lambda(1.0, -2.0)
    with pytest.raises(ValueError, match="sigma2"):
        pot_to_aae_lambda(-1.0, 1.0)
    with pytest.raises(ValueError, match="lam"):
        pot_to_aae_lambda(1.0, float("nan"))


# --------------------------------------------------------------------------- the identity
@pytest.mark.parametrize(
    ("sigma2", "lam_aae"), [(1.0, 1.0), (0.05, 10.0), (2.5, 0.3), (0.5, 0.0)]
)
def test_aae_loss_equals_pot_loss_over_two_sigma2_plus_constant_on_digits(
    digits64, sigma2, lam_aae
):
    torch.manual_seed(1)
    aae = POTModel.aae_for_mnist(z_dim=8, sigma2=sigma2, lam_aae=lam_aae).double()
    pot = pot_twin(aae)
    assert pot.lam == pytest.approx(2 * sigma2 * lam_aae)
    constant = D_MNIST / 2 * math.log(2 * math.pi * sigma2)
    for batch in digits64.split(100):
        a, p = aae.losses(batch), pot.losses(batch)
        want = p["loss"].item() / (2 * sigma2) + constant
        assert a["loss"].item() == pytest.approx(want, rel=1e-12), (a["loss"].item(), want)
        want_nll = p["reconstruction"].item() / (2 * sigma2) + constant
        got_nll = a["reconstruction"].item()
        assert got_nll == pytest.approx(want_nll, rel=1e-12), (got_nll, want_nll)
        assert a["penalty"].item() == pytest.approx(p["penalty"].item(), rel=1e-12)


def test_aae_reconstruction_term_matches_a_pixel_loop_on_two_digits(digits64):
    torch.manual_seed(2)
    aae = POTModel.aae_for_mnist(z_dim=2, sigma2=0.3).double()
    x = digits64[:2]
    x_hat = aae.reconstruct(x).detach()
    want = 0.0
    for i in range(2):
        sq = sum(
            (x[i, 0, r, c].item() - x_hat[i, 0, r, c].item()) ** 2
            for r in range(28)
            for c in range(28)
        )
        want += (sq / (2 * 0.3) + 392 * math.log(2 * math.pi * 0.3)) / 2
    assert aae.losses(x)["reconstruction"].item() == pytest.approx(want, rel=1e-10)


def test_aae_gradient_is_pot_gradient_over_two_sigma2(digits64):
    sigma2 = 0.2
    aae = _small_aae(sigma2, lam_aae=3.0)
    pot = pot_twin(aae)
    aae.losses(digits64[:50])["loss"].backward()
    pot.losses(digits64[:50])["loss"].backward()
    for a, p in zip(aae.main_parameters(), pot.main_parameters(), strict=True):
        torch.testing.assert_close(a.grad, p.grad / (2 * sigma2), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("wcg_reg", [None, 0.05])
def test_aae_with_the_wcg_penalty_has_the_twin_gradient_over_two_sigma2(digits64, wcg_reg):
    # The W_{c_G} penalty is priced in the AAE's own cost, c_NLL = |x - y|^2 / (2 sigma2) +
    # const: the twin keeps lam (the 1/(2 sigma2) is inside the penalty) and rescales the
    # Sinkhorn regularisation by 2 sigma2, which leaves the plan unchanged.
    sigma2, lam_aae = 0.3, 2.0
    torch.manual_seed(3)
    aae = POTModel(ConvEncoder(4, channels=(4, 8)), ConvDecoder(4, channels=(8, 4)), 4,
                   lam_aae=lam_aae, cost=gaussian_nll_cost(sigma2), divergence="wcg",
                   wcg_reg=wcg_reg).double()
    twin = pot_twin(aae)
    assert (twin.lam, twin.divergence, twin.cost) == (lam_aae, "wcg", "squared")
    assert twin.wcg_reg == (None if wcg_reg is None else pytest.approx(2 * sigma2 * wcg_reg))
    x = digits64[:24]
    torch.manual_seed(4)
    a = aae.losses(x)
    torch.manual_seed(4)
    p = twin.losses(x)
    a["loss"].backward()
    p["loss"].backward()
    constant = D_MNIST / 2 * math.log(2 * math.pi * sigma2)
    want = p["loss"].item() / (2 * sigma2) + (1 + lam_aae) * constant
    assert a["loss"].item() == pytest.approx(want, rel=1e-9)
    for got, twin_param in zip(aae.main_parameters(), twin.main_parameters(), strict=True):
        torch.testing.assert_close(got.grad, twin_param.grad / (2 * sigma2), rtol=1e-7,
                                   atol=1e-10)
    # Control: the MMD/GAN rule lam_twin = 2 sigma2 lam_AAE would give another gradient.
    wrong = pot_twin(aae)
    wrong.lam = 2 * sigma2 * lam_aae
    torch.manual_seed(4)
    wrong.losses(x)["loss"].backward()
    gaps = [(got.grad - w.grad / (2 * sigma2)).abs().max().item()
            for got, w in zip(aae.main_parameters(), wrong.main_parameters(), strict=True)]
    assert max(gaps) > 1e-6, gaps


# --------------------------------------------------------------------------- trajectories
@pytest.mark.parametrize("sigma2", [0.1, 2.0])
def test_sgd_on_aae_follows_sgd_on_pot_twin_with_learning_rate_over_two_sigma2(
    digits64, sigma2
):
    # Main step: grad L_AAE = grad D_POT / (2 sigma2), so lr_pot = lr_aae / (2 sigma2).
    # Adversary step: the same latent discriminator loss in both models, so the same
    # optimizer with the same learning rate; fit uses the same seed for batches and priors.
    aae = _small_aae(sigma2, lam_aae=0.7)
    pot = pot_twin(aae)
    start = _small_aae(sigma2, lam_aae=0.7)
    settings = dict(steps=20, batch_size=50, optimizer="sgd", adversary_lr=1e-3, progress=False)
    h_aae = fit(aae, digits64, lr=2e-3, **settings)
    h_pot = fit(pot, digits64, lr=2e-3 / (2 * sigma2), **settings)
    moved = _max_abs_difference(aae, start)
    gap = _max_abs_difference(aae, pot)
    assert moved > 1e-3, f"training barely moved the weights ({moved}); the test would be void"
    assert gap < 1e-9, f"AAE and POT twin drifted apart by {gap} (weights moved {moved})"
    # The logged losses obey the identity at every step too.
    constant = D_MNIST / 2 * math.log(2 * math.pi * sigma2)
    for got, pot_loss in zip(h_aae["loss"], h_pot["loss"], strict=True):
        assert got == pytest.approx(pot_loss / (2 * sigma2) + constant, rel=1e-10)
    assert h_aae["adversary/loss"] == pytest.approx(h_pot["adversary/loss"], rel=1e-10)


def test_sgd_trajectories_differ_without_the_learning_rate_rescaling(digits64):
    # Control: the identity is what makes the previous test pass, not a too-loose check.
    sigma2 = 2.0
    aae = _small_aae(sigma2, lam_aae=0.7)
    pot = pot_twin(aae)
    settings = dict(steps=20, batch_size=50, optimizer="sgd", adversary_lr=1e-3, progress=False)
    fit(aae, digits64, lr=2e-3, **settings)
    fit(pot, digits64, lr=2e-3, **settings)
    gap = _max_abs_difference(aae, pot)
    assert gap > 1e-4, gap


# --------------------------------------------------------------------------- the model
def test_pot_twin_copies_weights_and_is_independent():
    aae = _small_aae(0.5, 2.0)
    twin = pot_twin(aae)
    assert isinstance(twin, POTModel) and twin is not aae
    assert (twin.cost, twin.divergence, twin.lam) == ("squared", "gan", 2.0)
    assert _max_abs_difference(aae, twin) == 0.0
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(1.0)
    assert _max_abs_difference(aae, _small_aae(0.5, 2.0)) == 0.0, "the AAE must not change"


def test_pot_twin_rejects_a_model_that_is_not_an_aae():
    # Issue 23: the message names the argument, model ("pot_twin expects an AAE" did not).
    with pytest.raises(ValueError, match="^model must be an AAE"):
        pot_twin(POTModel.for_toy(hidden=(4,)))
    with pytest.raises(ValueError, match="^model must be an AAE.*got Linear"):
        pot_twin(torch.nn.Linear(2, 2))


def test_aae_constructors_start_from_the_weights_of_pot_gan_with_the_same_seed():
    torch.manual_seed(5)
    aae = POTModel.aae_for_toy(x_dim=3, z_dim=2, sigma2=0.4, lam_aae=2.0, hidden=(8,))
    torch.manual_seed(5)
    pot = POTModel.for_toy(x_dim=3, z_dim=2, divergence="gan", lam=1.6, hidden=(8,))
    assert _max_abs_difference(aae, pot) == 0.0
    torch.manual_seed(6)
    aae = POTModel.aae_for_mnist(z_dim=4, sigma2=0.4, lam_aae=2.0)
    torch.manual_seed(6)
    pot = POTModel.for_mnist(z_dim=4, divergence="gan", lam=1.6)
    assert _max_abs_difference(aae, pot) == 0.0


def test_aae_is_a_pot_gan_model_with_the_gaussian_nll_cost_and_lam_aae():
    model = POTModel.aae_for_toy(sigma2=0.25, lam_aae=6.0, hidden=(4,))
    assert type(model) is POTModel
    assert isinstance(model.cost, GaussianNLLCost) and model.cost.sigma2 == 0.25
    assert (model.divergence, model.lam_aae) == ("gan", 6.0)
    assert model.lam == aae_to_pot_lambda(model.cost.sigma2, model.lam_aae) == 3.0
    assert pot_twin(model).lam == 3.0
    assert "cost=gaussian_nll_cost(sigma2=0.25)" in repr(model)
    assert "lam=3.0, lam_aae=6.0" in repr(model)


def test_the_aae_lam_is_in_pot_units_and_setting_it_rescales_lam_aae():
    model = POTModel.aae_for_toy(sigma2=0.5, lam_aae=2.0, hidden=(4,))
    model.lam = 3.0                                   # POT units: lam_aae = 3 / (2 * 0.5)
    assert model.lam_aae == 3.0 and model.lam == 3.0
    pot = POTModel.for_toy(hidden=(4,), lam=7.0)
    assert (pot.lam, pot.lam_aae) == (7.0, None)
    with pytest.raises(ValueError, match="lam_aae is the weight of an AAE"):
        POTModel.for_toy(hidden=(4,), lam_aae=1.0)
    with pytest.raises(ValueError, match="either lam .* or lam_aae"):
        POTModel.for_toy(hidden=(4,), lam=1.0, lam_aae=1.0, cost=gaussian_nll_cost(0.5))
    with pytest.raises(ValueError, match="lam"):
        model.lam = -1.0


def test_aae_losses_report_reconstruction_penalty_and_loss_as_finite_scalars():
    torch.manual_seed(0)
    model = POTModel.aae_for_mnist(z_dim=4)
    parts = model.losses(torch.rand(3, 1, 28, 28))
    assert set(parts) == {"loss", "reconstruction", "penalty"}
    assert all(v.ndim == 0 and math.isfinite(v.item()) for v in parts.values())
    want = parts["reconstruction"].item() + parts["penalty"].item()
    assert parts["loss"].item() == pytest.approx(want)


def test_aae_losses_are_aae_loss_of_the_gaussian_nll():
    torch.manual_seed(0)
    model = POTModel.aae_for_toy(sigma2=0.7, lam_aae=2.5, hidden=(8,)).double()
    x = torch.randn(6, 2, dtype=torch.float64)
    parts = model.losses(x)
    with torch.no_grad():
        z = model.encoder(x)
        want = aae_loss(gaussian_nll(x, model.decoder(z), 0.7), model.latent_penalty(z), 2.5)
    assert parts["loss"].item() == pytest.approx(want["loss"].item(), rel=1e-14)
    assert parts["reconstruction"].item() == pytest.approx(want["nll"].item(), rel=1e-14)


def test_aae_fit_trains_with_its_adversary_and_logs_it():
    torch.manual_seed(0)
    model = POTModel.aae_for_toy(hidden=(8,))
    history = fit(model, torch.randn(40, 2), steps=3, batch_size=20, progress=False)
    assert {"loss", "reconstruction", "penalty", "adversary/loss"} <= set(history.terms)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(sigma2=0.0), r"^sigma2 must be a positive finite number, got 0\.0; e\.g\."),
        (dict(sigma2=float("nan")), r"^sigma2 must be a positive finite number, got nan"),
        (dict(sigma2=-2.0), r"^sigma2 must be a positive finite number, got -2\.0"),
        (dict(sigma2=None), r"^sigma2 must be a positive number, got None"),
        (dict(sigma2=torch.ones(2)), r"^sigma2 must be one number, got a tensor of shape"),
        # Issue 23: these used to say "lam must be ...", naming no argument of the builder.
        (dict(lam_aae=-1.0), r"^lam_aae must be a finite number >= 0, got -1\.0; e\.g\. lam_aae="),
        (dict(lam_aae="x"), r"^lam_aae must be a number >= 0, got 'x'; e\.g\. lam_aae="),
        (dict(lam_aae=float("inf")), r"^lam_aae must be a finite number >= 0, got inf"),
        # ...and None silently built an AAE with lam = 10, that is lam_aae = 5.
        (dict(lam_aae=None), r"^lam_aae must be a number >= 0, got None"),
        (dict(lam_aae=True), r"^lam_aae must be a number >= 0, got True"),
    ],
)
def test_aae_constructors_reject_bad_settings_naming_the_callers_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        POTModel.aae_for_toy(hidden=(4,), **kwargs)
    with pytest.raises(ValueError, match=match):
        POTModel.aae_for_mnist(z_dim=2, **kwargs)


def test_the_aae_builders_default_is_lam_aae_one():
    assert POTModel.aae_for_toy(hidden=(4,)).lam_aae == 1.0
    assert POTModel.aae_for_mnist(z_dim=2, sigma2=0.5).lam == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pot_twin(POTModel.for_toy(hidden=(4,))), r"^model must be an AAE.*got POTModel"),
        (lambda: pot_twin("aae"), r"^model must be an AAE.*got str"),
        (lambda: aae_loss(torch.ones(2), torch.tensor(0.5), -1.0), r"^lam_aae must be a finite"),
        (lambda: aae_loss([1.0], torch.tensor(0.5), 1.0), r"^nll must be a 1-D floating"),
        (lambda: aae_loss(torch.ones(2), 0.5, 1.0), r"^penalty must be a 0-dimensional"),
        (lambda: aae_to_pot_lambda(1.0, None), r"^lam_aae must be a number >= 0, got None"),
        (lambda: aae_to_pot_lambda(True, 1.0), r"^sigma2 must be a positive number, got True"),
        (lambda: pot_to_aae_lambda(1.0, "x"), r"^lam must be a number >= 0, got 'x'"),
        (lambda: gaussian_nll(torch.zeros(0, 2), torch.zeros(0, 2), 1.0),
         r"^x is an empty batch \(shape \(0, 2\)\); pass at least one sample"),
        (lambda: gaussian_nll(torch.zeros(3, 2), torch.zeros(2, 2), 1.0),
         r"^x and mean must have the same shape"),
        (lambda: gaussian_nll(torch.zeros(3, 2), [[0.0, 0.0]] * 3, 1.0),
         r"^mean must be a floating-point tensor"),
        (lambda: gaussian_nll(torch.zeros(3, 2), torch.zeros(3, 2), math.nan),
         r"^sigma2 must be a positive finite number, got nan"),
        (lambda: gaussian_nll_cost(2.0)(torch.zeros(2, 2), torch.zeros(0, 2)),
         r"^y is an empty batch"),
        (lambda: gaussian_nll_cost(-1), r"^sigma2 must be a positive finite number, got -1"),
    ],
    ids=["twin-pot", "twin-str", "aae_loss-lam_aae", "aae_loss-nll", "aae_loss-penalty",
         "to_pot-None", "to_pot-bool", "to_aae-str", "nll-empty", "nll-shape", "nll-list",
         "nll-nan-sigma2", "cost-empty", "cost-sigma2"],
)
def test_aae_functions_refuse_bad_input_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_pot_twin_of_a_sinkhorn_aae_with_a_small_sigma2_keeps_its_plan_below_the_floor():
    # The twin's epsilon is 2 sigma2 wcg_reg: below POTModel's floor of 1e-12 here, yet the
    # same plan as the AAE's (the twin's cost is the AAE's, times 2 sigma2, minus a constant).
    aae = POTModel.for_toy(hidden=(4,), divergence="wcg", cost=gaussian_nll_cost(0.01),
                           lam_aae=1.0, wcg_reg=1e-12)
    assert pot_twin(aae).wcg_reg == pytest.approx(2e-14)


def test_an_aae_without_discriminator_is_rejected():
    with pytest.raises(ValueError, match="discriminator"):
        POTModel(ConvEncoder(2, (2, 2)), ConvDecoder(2, (2, 2)), 2,
                 cost=gaussian_nll_cost(1.0), divergence="gan")


def test_aae_losses_reject_a_decoder_of_the_wrong_shape():
    model = POTModel(
        ConvEncoder(2, (2, 2)),
        torch.nn.Linear(2, 5),
        2,
        cost=gaussian_nll_cost(1.0),
        divergence="gan",
        discriminator=LatentDiscriminator(2, hidden=(4,)),
    )
    with pytest.raises(ValueError, match="decoder returned shape"):
        model.losses(torch.rand(2, 1, 28, 28))


def test_pot_twin_follows_the_current_lam_and_cost_of_the_aae():
    aae = POTModel.aae_for_toy(sigma2=0.5, lam_aae=3.0, hidden=(8,))
    assert pot_twin(aae).lam == pytest.approx(3.0)
    aae.lam = 0.25
    assert pot_twin(aae).lam == pytest.approx(0.25)
    aae.cost = gaussian_nll_cost(2.0)
    assert pot_twin(aae).lam == pytest.approx(1.0)


def test_an_aae_with_the_mmd_divergence_has_an_mmd_twin_and_obeys_the_identity():
    torch.manual_seed(0)
    aae = POTModel.for_toy(x_dim=3, z_dim=2, divergence="mmd", lam_aae=4.0, hidden=(8,),
                           cost=gaussian_nll_cost(0.2)).double()
    twin = pot_twin(aae)
    assert (twin.divergence, twin.lam) == ("mmd", pytest.approx(1.6))
    x = torch.randn(10, 3, dtype=torch.float64)
    torch.manual_seed(1)
    a = aae.losses(x)["loss"].item()
    torch.manual_seed(1)  # the same prior draw for the MMD
    p = twin.losses(x)["loss"].item()
    assert a == pytest.approx(p / 0.4 + 1.5 * math.log(2 * math.pi * 0.2), rel=1e-12)
