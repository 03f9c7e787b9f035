"""Tests for vegan_lib.recipes: one definition of every named model and its training."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from torch import nn

from vegan_lib import recipes
from vegan_lib.costs import squared_cost
from vegan_lib.divergences import mmd2
from vegan_lib.nets import DigitClassifier
from vegan_lib.pot import POTModel, pot_twin
from vegan_lib.recipes import RECIPES, SCOREBOARD, TrainingSettings

BATCH_SHAPE = {"mnist": (6, 1, 28, 28), "toy": (6, 2), "flat digits": (6, 784)}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_builds_a_model_with_a_finite_loss_on_its_data(name):
    torch.manual_seed(0)
    model = recipes.build(name)
    x = torch.rand(BATCH_SHAPE[RECIPES[name].data])
    terms = model.losses(x)
    assert torch.isfinite(terms["loss"])
    assert tuple(model.sample(3).shape[1:]) == BATCH_SHAPE[RECIPES[name].data][1:]


@pytest.mark.parametrize("name", ["VAE", "WAE-MMD", "WGAN-GP", "toy WAE-GAN (weak)"])
def test_the_same_name_under_the_same_seed_gives_the_same_model(name):
    torch.manual_seed(3)
    a = recipes.build(name).state_dict()
    torch.manual_seed(3)
    b = recipes.build(name).state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert recipes.settings(name) == recipes.settings(name)


def test_wae_mmd_is_the_authors_objective_divided_by_their_cost_scale():
    # The WAE authors minimise 0.05 ||x - G(E(x))||^2 + 10 MMD^2 (seven IMQ scales); the
    # book's recipe must be exactly that objective times 1 / 0.05, on the same batch.
    torch.manual_seed(0)
    model = recipes.build("WAE-MMD")
    x = torch.rand(8, 1, 28, 28)
    torch.manual_seed(1)
    ours = model.losses(x)["loss"]
    torch.manual_seed(1)
    z = model.encode(x)
    prior = model.sample_prior(len(x))
    scales = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
    authors = 0.05 * squared_cost(x, model.decode(z)).mean() + 10.0 * mmd2(
        z, prior, scales=scales
    )
    assert ours.item() == pytest.approx(authors.item() / 0.05, rel=1e-5)


def test_wae_gan_weight_is_twenty_and_the_weak_variants_keep_the_papers_weights():
    assert RECIPES["WAE-GAN"].lam_pot == pytest.approx(1.0 / 0.05)
    assert RECIPES["WAE-MMD (weak)"].lam_pot == 10.0
    assert RECIPES["WAE-MMD (weak)"].name != RECIPES["WAE-MMD"].name


def test_the_aae_recipe_is_pot_with_weight_two_sigma2_lambda():
    torch.manual_seed(0)
    aae = recipes.build("AAE")
    assert isinstance(aae, POTModel)
    twin = pot_twin(aae)
    x = torch.rand(5, 1, 28, 28)
    torch.manual_seed(2)
    a = aae.losses(x)["loss"]
    torch.manual_seed(2)
    p = twin.losses(x)["loss"]
    sigma2, d = RECIPES["AAE"].options["sigma2"], 784
    assert a.item() == pytest.approx(p.item() / (2 * sigma2) + d / 2 * math.log(2 * math.pi
                                                                                  * sigma2))
    assert RECIPES["AAE"].lam_pot == pytest.approx(twin.lam)


def test_chapter_five_and_seven_recipes_share_their_training():
    # The scoreboard's models are trained exactly as in chapter 5: one set of settings.
    wae, vae = recipes.settings("WAE-MMD"), recipes.settings("VAE")
    assert wae == vae
    assert recipes.settings("WGAN-GP")["adversary_steps"] > 1
    assert recipes.settings("WAE-MMD", full=True)["steps"] > wae["steps"]


def test_unknown_names_are_refused_with_the_list_of_names():
    with pytest.raises(ValueError, match="WAE-MMD"):
        recipes.build("WAE")
    with pytest.raises(ValueError, match="name"):
        recipes.settings(3)


def test_protocol_table_is_read_from_the_recipes():
    rows = recipes.protocol_table(SCOREBOARD, full=True)
    assert [r["recipe"] for r in rows] == list(SCOREBOARD)
    for row in rows:
        s = recipes.settings(row["recipe"], full=True)
        assert (row["steps"], row["batch"], row["lr"]) == (s["steps"], s["batch_size"], s["lr"])
        assert row["λ (POT units)"] == RECIPES[row["recipe"]].lam_pot


def test_fingerprint_changes_when_a_setting_changes(monkeypatch):
    before = recipes.fingerprint()
    assert recipes.fingerprint() == before
    changed = dataclasses.replace(
        RECIPES["VAE"], quick=dataclasses.replace(RECIPES["VAE"].quick, steps=601)
    )
    monkeypatch.setitem(RECIPES, "VAE", changed)
    assert recipes.fingerprint() != before


def test_train_is_reproducible_and_returns_an_evaluated_model(monkeypatch):
    short = dataclasses.replace(
        RECIPES["toy WAE-GAN (weak)"], quick=TrainingSettings(steps=5, batch_size=10, lr=1e-3)
    )
    monkeypatch.setitem(RECIPES, "toy WAE-GAN (weak)", short)
    x = torch.randn(40, 2)
    m1, h1 = recipes.train("toy WAE-GAN (weak)", x, seed=4, progress=False)
    m2, h2 = recipes.train("toy WAE-GAN (weak)", x, seed=4, progress=False)
    m3, h3 = recipes.train("toy WAE-GAN (weak)", x, seed=5, progress=False)
    assert not m1.training
    assert h1["loss"] == h2["loss"] and h1["loss"] != h3["loss"]
    assert h1.step[-1] == 5


def test_train_takes_steps_a_recipe_variant_and_a_dtype():
    x = torch.randn(200, 2)
    _, h = recipes.train("toy WAE-MMD (weak)", x, seed=1, progress=False, steps=3)
    assert h.step == [1, 2, 3]
    # The same first steps through fit itself: seed, build, fit with the recipe's settings.
    torch.manual_seed(1)
    model = RECIPES["toy WAE-MMD (weak)"].build()
    by_hand = recipes.fit(model, x, seed=1, progress=False,
                          **{**recipes.settings("toy WAE-MMD (weak)"), "steps": 3})
    assert by_hand["loss"] == h["loss"]
    heavier = dataclasses.replace(RECIPES["toy WAE-MMD (weak)"],
                                  options={**RECIPES["toy WAE-MMD (weak)"].options, "lam": 20.0})
    model, h2 = recipes.train(heavier, x, seed=1, progress=False, steps=3)
    assert model.lam == 20.0 and h2["loss"][1:] != h["loss"][1:]
    model, h64 = recipes.train("toy WAE-MMD (weak)", x, seed=1, progress=False, steps=3,
                               dtype=torch.float64)
    assert next(model.parameters()).dtype == torch.float64
    assert torch.get_default_dtype() == torch.float32, "the default dtype is restored"
    assert h64["loss"][0] == pytest.approx(h["loss"][0], rel=1e-2)


def test_build_with_a_seed_is_manual_seed_then_build():
    torch.manual_seed(3)
    by_hand = recipes.build("VAE")
    seeded = recipes.build("VAE", seed=3)
    for a, b in zip(by_hand.parameters(), seeded.parameters(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="seed"):
        recipes.build("VAE", seed=-1)


@pytest.mark.parametrize("option", ["lr", "batch_size", "desc"])
def test_train_refuses_options_that_change_the_recipe(option):
    with pytest.raises(ValueError, match=f"{option}.*dataclasses.replace"):
        recipes.train("toy WAE-MMD (weak)", torch.randn(20, 2), progress=False,
                      **{option: 1})


def test_train_refuses_a_bad_number_of_steps():
    with pytest.raises(ValueError, match="steps"):
        recipes.train("toy WAE-MMD (weak)", torch.randn(20, 2), progress=False, steps=0)


class _Oracle(nn.Module):
    """A 'model' whose samples are given images and whose reconstructions are exact."""

    def __init__(self, images):
        super().__init__()
        self.images = images

    def sample(self, n):
        return self.images[:n]

    def reconstruct(self, x):
        return x.clone()


def test_a_model_that_returns_the_test_digits_scores_zero_distance_and_error():
    g = torch.Generator().manual_seed(0)
    x_test = torch.rand(40, 1, 28, 28, generator=g)
    torch.manual_seed(0)
    classifier = DigitClassifier().eval()
    row, samples = recipes.score(_Oracle(x_test), x_test, classifier, n=30)
    assert samples.shape == (30, 1, 28, 28)
    assert row["w2"] == pytest.approx(0.0, abs=1e-6)
    assert row["fcd"] == pytest.approx(0.0, abs=1e-6)
    assert row["sharpness"] == pytest.approx(1.0, rel=0.05)
    assert row["recon_error"] == 0.0
    # the other half of the data is a real, non-zero distance: the score is not constant
    far, _ = recipes.score(_Oracle(torch.flip(x_test, (0,))), x_test, classifier, n=20)
    assert far["w2"] > 1.0


def test_a_model_without_an_encoder_has_no_reconstruction_error():
    class SamplerOnly(nn.Module):
        def sample(self, n):
            return torch.rand(n, 1, 28, 28)

    torch.manual_seed(0)
    row, _ = recipes.score(SamplerOnly(), torch.rand(20, 1, 28, 28), DigitClassifier().eval(),
                           n=20)
    assert math.isnan(row["recon_error"])


# --------------------------------------------------------------------------- the protocol
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_reads_its_facts_from_the_model_it_builds(name):
    torch.manual_seed(0)
    model = recipes.build(name)
    facts = RECIPES[name].facts
    assert facts == model.facts
    assert facts.has_encoder == hasattr(model, "encode")
    assert facts.has_adversary == bool(model.adversary_parameters())
    assert (facts.formulation == "primal") == facts.has_encoder
    if facts.lam_pot is not None:
        assert facts.lam_pot == model.lam


def test_asking_a_recipe_for_its_facts_leaves_the_random_state_alone():
    r = dataclasses.replace(RECIPES["WAE-GAN"], name="a fresh copy")  # facts not cached yet
    torch.manual_seed(5)
    before = torch.rand(3)
    torch.manual_seed(5)
    assert r.facts.adversary == "latent discriminator"
    assert torch.equal(torch.rand(3), before)


def test_recipe_options_are_checked_against_the_builder_when_the_recipe_is_made():
    vae = RECIPES["VAE"]
    with pytest.raises(ValueError, match=r"lam.*VAEModel.for_mnist"):
        dataclasses.replace(vae, options={**vae.options, "lam": 3.0})
    wae = RECIPES["WAE-MMD"]  # for_mnist passes **kwargs on to POTModel: checked there too
    with pytest.raises(ValueError, match=r"mmd_scale.*POTModel"):
        dataclasses.replace(wae, options={**wae.options, "mmd_scale": (1.0,)})
    with pytest.raises(ValueError, match="family must be one of"):
        dataclasses.replace(vae, family="vea")
    with pytest.raises(ValueError, match="data must be one of"):
        dataclasses.replace(RECIPES["GAN"], data="toy")


def test_the_aae_states_lambda_in_pot_units_and_keeps_lambda_aae():
    aae = recipes.build("AAE", seed=0)
    assert aae.lam_aae == 1.0 and aae.lam == RECIPES["AAE"].lam_pot == 2.0
    assert recipes.build("WAE-GAN", seed=0).lam_aae is None


def test_diagnostics_are_the_familys_own_and_follow_the_seed():
    torch.manual_seed(0)
    x_train, x_test = torch.rand(40, 1, 28, 28), torch.rand(30, 1, 28, 28)
    vae, wae, wgan = (recipes.build(n, seed=0) for n in ("VAE", "WAE-MMD", "WGAN-GP"))
    d_vae = recipes.diagnostics(vae, x_test, x_train, n=20)
    assert set(d_vae) == {"sharpness_recon", "kl", "posterior_std", "shared_codes",
                          "sharpness_bayes"}
    d_wae = recipes.diagnostics(wae, x_test, x_train, n=20)
    assert set(d_wae) == {"sharpness_recon", "mmd_codes"}
    assert recipes.diagnostics(wae, x_test, x_train, n=20, seed=1)["mmd_codes"] != d_wae[
        "mmd_codes"]
    assert recipes.diagnostics(wae, x_test, x_train, n=20) == d_wae
    assert recipes.diagnostics(wgan, x_test, x_train, n=20) == {}
    # POT's measure is MMD^2 (IMQ, the WAE authors' seven scales) against seeded prior draws
    codes = wae.encode(x_test[:20]).detach()
    prior = torch.randn(codes.shape, generator=torch.Generator().manual_seed(7))
    assert d_wae["mmd_codes"] == pytest.approx(
        mmd2(codes, prior, scales=recipes.MMD_SCALES).item(), rel=1e-6)


def test_the_one_family_registry_is_the_only_place_that_names_families():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1]  # the checkout
    hits = [f"{p.relative_to(root)}:{i}" for folder in ("vegan_lib", "book")
            for p in sorted((root / folder).rglob("*")) if p.suffix in (".py", ".ipynb")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"family\s*==", line)]
    assert hits == [], hits
