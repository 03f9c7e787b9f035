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


# --------------------------------------------------------------------------- bad input
_TOY = "toy WAE-MMD (weak)"  # quick batches of 100 points in 2-D
_TS = TrainingSettings(10, 10, 1e-3)


def _digits(n=40, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def _classifier():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return DigitClassifier().eval()


def _wae():
    with torch.random.fork_rng(devices=[]):
        return recipes.build("WAE-MMD", seed=0)


class _ToySampler(nn.Module):
    def sample(self, n):
        return torch.zeros(n, 2)


def _points(n=200, d=2):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(0))


# (call, what the message must say): a ValueError that names the caller's argument and
# the fix, before any state changes (issue 23: score and diagnostics gave AttributeError)
_BAD_CALLS = {
    # score
    "score-a-linear-layer": (lambda: recipes.score(nn.Linear(2, 2), _digits(), _classifier(),
                                                   n=20),
                             r"model must be a trained model with sample\(n\), got Linear"),
    "score-no-model": (lambda: recipes.score(None, _digits(), _classifier(), n=20),
                       r"model must be a trained model with sample\(n\), got NoneType"),
    "score-a-recipe-name": (lambda: recipes.score("VAE", _digits(), _classifier(), n=20),
                            r"model must be .* got str"),
    "score-no-test-digits": (lambda: recipes.score(_wae(), None, _classifier(), n=20),
                             r"x_test must be a torch.Tensor"),
    "score-toy-test-points": (lambda: recipes.score(_wae(), _points(), _classifier(), n=20),
                              r"x_test must have shape \(N, 1, 28, 28\)"),
    "score-too-few-test-digits": (lambda: recipes.score(_wae(), _digits(5), _classifier(),
                                                        n=20),
                                  r"x_test holds 5 images but n=20"),
    "score-nan-test-digits": (lambda: recipes.score(_wae(), _digits() * math.nan, _classifier(),
                                                    n=20),
                              r"x_test contains NaN"),
    "score-8-bit-test-digits": (lambda: recipes.score(_wae(), (255 * _digits()).byte(),
                                                      _classifier(), n=20),
                                r"x_test.*255"),
    "score-no-classifier": (lambda: recipes.score(_wae(), _digits(), None, n=20),
                            r"classifier must be an nn.Module"),
    "score-classifier-without-features": (lambda: recipes.score(_wae(), _digits(),
                                                                nn.Linear(784, 10), n=20),
                                          r"classifier \(Linear\) has no features"),
    "score-n-one": (lambda: recipes.score(_wae(), _digits(), _classifier(), n=1),
                    r"n must be an integer >= 5, got 1.*covariances"),
    "score-n-float": (lambda: recipes.score(_wae(), _digits(), _classifier(), n=20.0),
                      r"n must be an integer >= 5, got 20.0"),
    "score-seed-none": (lambda: recipes.score(_wae(), _digits(), _classifier(), n=20,
                                              seed=None),
                        r"seed must be an integer, got None"),
    "score-seed-negative": (lambda: recipes.score(_wae(), _digits(), _classifier(), n=20,
                                                  seed=-1),
                            r"seed must be in \[0, 2\*\*32\), got -1"),
    "score-seed-float": (lambda: recipes.score(_wae(), _digits(), _classifier(), n=20,
                                               seed=1.0),
                         r"seed must be an integer, got 1.0"),
    "score-a-model-of-points": (lambda: recipes.score(_ToySampler(), _digits(), _classifier(),
                                                      n=20),
                                r"model.sample\(20\) returned \(20, 2\), not 20 digit images"),
    # diagnostics
    "diagnostics-a-linear-layer": (lambda: recipes.diagnostics(nn.Linear(2, 2), _digits(),
                                                               _digits(), n=20),
                                   r"model must be a model of the book with facts \(a "
                                   r"ModelFacts\), got Linear"),
    "diagnostics-a-sampler": (lambda: recipes.diagnostics(_ToySampler(), _digits(), _digits(),
                                                          n=20),
                              r"model must be a model of the book with facts"),
    "diagnostics-no-test-digits": (lambda: recipes.diagnostics(_wae(), None, _digits(), n=20),
                                   r"x_test must be a torch.Tensor"),
    "diagnostics-no-training-digits": (lambda: recipes.diagnostics(_wae(), _digits(), None,
                                                                   n=20),
                                       r"x_train must be a torch.Tensor"),
    "diagnostics-empty-training-digits": (lambda: recipes.diagnostics(_wae(), _digits(),
                                                                      _digits()[:0], n=20),
                                          r"x_train is empty"),
    "diagnostics-too-few-test-digits": (lambda: recipes.diagnostics(_wae(), _digits(5),
                                                                    _digits(), n=20),
                                        r"x_test holds 5 images but n=20"),
    "diagnostics-n-zero": (lambda: recipes.diagnostics(_wae(), _digits(), _digits(), n=0),
                           r"n must be a positive integer, got 0"),
    "diagnostics-seed-none": (lambda: recipes.diagnostics(_wae(), _digits(), _digits(), n=20,
                                                          seed=None),
                              r"seed must be an integer, got None"),
    # recipe, build, settings
    "recipe-none": (lambda: recipes.recipe(None), r"name must be one of \('VAE'"),
    "recipe-unknown": (lambda: recipes.recipe("WAE"), r"name must be one of .*got 'WAE'"),
    "build-dtype-string": (lambda: recipes.build("VAE", dtype="float64"),
                           r"dtype must be a floating-point torch.dtype or None, got 'float64'"),
    "build-dtype-integer": (lambda: recipes.build("VAE", dtype=torch.int64),
                            r"dtype must be a floating-point torch.dtype"),
    "build-seed-float": (lambda: recipes.build("VAE", seed=1.0), r"seed must be an integer"),
    "build-seed-bool": (lambda: recipes.build("VAE", seed=True), r"seed must be an integer"),
    "build-device": (lambda: recipes.build("VAE", device="gpu"), r"device='gpu' is not a device"),
    "settings-full-string": (lambda: recipes.settings("VAE", full="yes"),
                             r"full must be True or False, got 'yes'"),
    "settings-full-none": (lambda: recipes.settings("VAE", full=None),
                           r"full must be True or False, got None"),
    "settings-unknown": (lambda: recipes.settings(3), r"name must be one of"),
    # protocol_table, fingerprint
    "table-a-string": (lambda: recipes.protocol_table("VAE"),
                       r"names must be a list of names among \('VAE'.*got 'VAE'"),
    "table-none": (lambda: recipes.protocol_table(None), r"names must be a list .*got None"),
    "table-unknown": (lambda: recipes.protocol_table(["VAE", "VEA"]), r"got 'VEA' in it"),
    "table-full-string": (lambda: recipes.protocol_table(["VAE"], full="yes"),
                          r"full must be True or False"),
    "fingerprint-a-string": (lambda: recipes.fingerprint("VAE"),
                             r"names must be a non-empty list of names.*got 'VAE'"),
    "fingerprint-no-names": (lambda: recipes.fingerprint([]), r"names must be a non-empty list"),
    "fingerprint-modes-string": (lambda: recipes.fingerprint(["VAE"], modes="full"),
                                 r"modes must be a non-empty list of names among \('quick', "
                                 r"'full'\), e.g. modes=\('full',\), got 'full'"),
    "fingerprint-modes-none": (lambda: recipes.fingerprint(["VAE"], modes=None),
                               r"modes must be a non-empty list"),
    "fingerprint-modes-empty": (lambda: recipes.fingerprint(["VAE"], modes=[]),
                                r"modes must be a non-empty list"),
    "fingerprint-unknown-mode": (lambda: recipes.fingerprint(["VAE"], modes=["slow"]),
                                 r"got 'slow' in it"),
    # Recipe and TrainingSettings, at definition
    "recipe-name-none": (lambda: recipes.Recipe(None, "vae", "mnist", 5, {}, _TS, _TS),
                         r"name must be a str \(not empty\), got None"),
    "recipe-name-empty": (lambda: recipes.Recipe("", "vae", "mnist", 5, {}, _TS, _TS),
                          r"name must be a str \(not empty\)"),
    "recipe-chapter-string": (lambda: recipes.Recipe("x", "vae", "mnist", "5", {}, _TS, _TS),
                              r"chapter must be a non-negative integer, got '5'"),
    "recipe-options-none": (lambda: recipes.Recipe("x", "vae", "mnist", 5, None, _TS, _TS),
                            r"options must be a Mapping, got None; e.g. options=\{\}"),
    "recipe-options-pairs": (lambda: recipes.Recipe("x", "vae", "mnist", 5, [("z_dim", 2)],
                                                    _TS, _TS),
                             r"options must be a Mapping"),
    "recipe-quick-dict": (lambda: recipes.Recipe("x", "vae", "mnist", 5, {}, {"steps": 3}, _TS),
                          r"quick must be a TrainingSettings, got \{'steps': 3\}"),
    "recipe-full-none": (lambda: recipes.Recipe("x", "vae", "mnist", 5, {}, _TS, None),
                         r"full must be a TrainingSettings, got None"),
    "recipe-summary-number": (lambda: recipes.Recipe("x", "vae", "mnist", 5, {}, _TS, _TS, 3),
                              r"summary must be a str, got 3"),
    "recipe-extra-none": (lambda: recipes.Recipe("x", "vae", "mnist", 5, {}, _TS, _TS, "",
                                                 None),
                          r"extra must be a Mapping"),
    "settings-zero-steps": (lambda: TrainingSettings(0, 10, 1e-3),
                            r"steps must be a positive integer, got 0"),
    "settings-float-batch": (lambda: TrainingSettings(10, 10.0, 1e-3),
                             r"batch_size must be a positive integer, got 10.0"),
    "settings-lr-string": (lambda: TrainingSettings(10, 10, "1e-3"),
                           r"lr must be a positive number, got '1e-3'"),
    "settings-lr-nan": (lambda: TrainingSettings(10, 10, math.nan), r"lr must be a positive"),
    "settings-betas": (lambda: TrainingSettings(10, 10, 1e-3, betas=(0.5, 1.5)),
                       r"betas must lie in \[0, 1\)"),
    "settings-adversary-lr": (lambda: TrainingSettings(10, 10, 1e-3, adversary_lr=-1.0),
                              r"adversary_lr must be a positive"),
    "settings-adversary-steps": (lambda: TrainingSettings(10, 10, 1e-3, adversary_steps=True),
                                 r"adversary_steps must be a positive integer, got True"),
}


@pytest.mark.parametrize("case", _BAD_CALLS)
def test_bad_input_to_the_recipes_gives_a_value_error_naming_the_argument(case):
    call, message = _BAD_CALLS[case]
    with pytest.raises(ValueError, match=message):
        call()


# train: everything is checked before the model is built (which seeds torch) or trained
_BAD_TRAINING = {
    "data-points-of-another-dimension": ((_TOY, _points(d=3)), {},
                                         r"data must have shape \(N, 2\) for recipe 'toy "
                                         r"WAE-MMD \(weak\)' \(toy data\), got \(200, 3\)"),
    "data-digits-for-points": ((_TOY, _digits(200)), {}, r"data must have shape \(N, 2\)"),
    "data-points-for-digits": (("VAE", _points()), {},
                               r"data must have shape \(N, 1, 28, 28\) for recipe 'VAE' "
                               r"\(mnist data\), got \(200, 2\); reshape it \(e.g. "
                               r"data.reshape\(-1, 1, 28, 28\)\)"),
    "data-flat-digits-for-images": (("VAE", _digits(200).flatten(1)), {},
                                    r"data must have shape \(N, 1, 28, 28\)"),
    "data-images-for-flat-digits": (("2-D WAE-MMD", _digits(200)), {},
                                    r"data must have shape \(N, 784\).*data.flatten\(1\)"),
    "data-one-dimensional": ((_TOY, _points()[:, 0]), {}, r"data must have shape \(N, 2\)"),
    "data-a-number": ((_TOY, torch.tensor(1.0)), {}, r"data must have shape \(N, 2\)"),
    "data-integers": ((_TOY, _points().long()), {},
                      r"data must be floating-point, got torch.int64"),
    "data-empty": ((_TOY, _points()[:0]), {}, r"data holds 0 samples"),
    "data-smaller-than-a-batch": ((_TOY, _points(40)), {},
                                  r"data holds 40 samples, fewer than a batch of recipe 'toy "
                                  r"WAE-MMD \(weak\)' \(100, quick mode\).*batch_size="),
    "data-nan": ((_TOY, _points() * math.nan), {}, r"data contains NaN or inf"),
    "data-inf": ((_TOY, _points().index_fill(0, torch.tensor([7]), math.inf)), {},
                 r"data contains NaN or inf"),
    "data-x-of-a-tuple": ((_TOY, (_points(d=3), torch.zeros(200))), {},
                          r"data\[0\] must have shape \(N, 2\)"),
    "data-none": ((_TOY, None), {}, r"data must be a tensor"),
    "seed-float": ((_TOY, _points()), {"seed": 1.0}, r"seed must be an integer, got 1.0"),
    "seed-none": ((_TOY, _points()), {"seed": None}, r"seed must be an integer, got None"),
    "seed-negative": ((_TOY, _points()), {"seed": -1}, r"seed must be in \[0, 2\*\*32\)"),
    "steps-bool": ((_TOY, _points()), {"steps": True}, r"steps must be a positive integer"),
    "full-string": ((_TOY, _points()), {"full": "yes"}, r"full must be True or False"),
    "progress-string": ((_TOY, _points()), {"progress": "no"},
                        r"progress must be True or False, got 'no'"),
    "dtype-string": ((_TOY, _points()), {"dtype": "float64"},
                     r"dtype must be a floating-point torch.dtype"),
    "device": ((_TOY, _points()), {"device": "gpu"}, r"device='gpu' is not a device"),
    "unknown-fit-option": ((_TOY, _points()), {"epochs": 3},
                           r"fit_options: fit takes no epochs; it takes callback, checkpoint"),
    "repeated-setting": ((_TOY, _points()), {"lr": 1e-2}, r"fit_options repeat lr"),
    "name-unknown": (("WAE", _points()), {}, r"name must be one of"),
}


@pytest.mark.parametrize("case", _BAD_TRAINING)
def test_train_checks_its_input_before_it_builds_or_trains(monkeypatch, case):
    def no_fit(*args, **kwargs):
        raise AssertionError("fit was called with bad input")

    monkeypatch.setattr(recipes, "fit", no_fit)
    args, kwargs, message = _BAD_TRAINING[case]
    torch.manual_seed(123)
    before = torch.get_rng_state()
    with pytest.raises(ValueError, match=message):
        recipes.train(*args, **{"progress": False, **kwargs})
    assert torch.equal(torch.get_rng_state(), before), "the global generator was seeded"


def test_score_checks_its_input_before_it_seeds_or_samples():
    class Counting(nn.Module):
        calls = 0

        def sample(self, n):
            Counting.calls += 1
            return _digits(n)

    cases = [{"n": 1}, {"seed": -1}, {"x_test": _digits(5)}, {"classifier": nn.Linear(2, 2)}]
    cases = [{"x_test": _digits(), "classifier": _classifier(), "n": 20, **bad} for bad in cases]
    torch.manual_seed(123)
    before = torch.get_rng_state()
    for args, name in zip(cases, ["n", "seed", "x_test", "classifier"], strict=True):
        with pytest.raises(ValueError, match=name):
            recipes.score(Counting(), **args)
    assert Counting.calls == 0 and torch.equal(torch.get_rng_state(), before)


def test_recipes_accept_what_the_chapters_pass():
    # a Recipe wherever a name is taken, names and modes as tuples, dicts or generators
    r = RECIPES["VAE"]
    assert recipes.recipe(r) is r and recipes.settings(r) == recipes.settings("VAE")
    assert recipes.fingerprint(("VAE",), modes=("full",)) == recipes.fingerprint(
        (n for n in ["VAE"]), modes=["full"])
    assert [row["recipe"] for row in recipes.protocol_table(SCOREBOARD[:2], full=True)] == list(
        SCOREBOARD[:2])
    model = recipes.build("VAE", seed=0, dtype=torch.float32)
    assert next(model.parameters()).dtype == torch.float32
