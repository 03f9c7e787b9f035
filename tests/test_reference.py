"""The stored reference run (book/results/reference.json) and the code that makes it.

The stored file is checked against today's code: its schema, the fingerprint of the
recipes it ran, and the first steps of every recipe replayed on the CPU. When a recipe
changes, these tests fail with the fix: rerun ``make reference``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from vegan_lib import recipes, reference
from vegan_lib.data import mnist

STORED = reference.DEFAULT_FILE


@pytest.fixture(scope="module")
def stored():
    return reference.load()


def test_the_stored_run_covers_every_reference_recipe_and_seed(stored):
    pairs = {(r["recipe"], r["seed"]) for r in stored["runs"]}
    assert pairs == {(n, s) for n in reference.REFERENCE_RECIPES for s in reference.SEEDS}
    assert stored["provenance"]["steps_override"] is None, "a trial run, not a reference"
    assert stored["provenance"]["git_commit"] != "unknown"


def test_the_stored_run_was_made_with_todays_recipes(stored):
    expected = recipes.fingerprint(reference.REFERENCE_RECIPES, modes=("full",))
    assert stored["fingerprint"] == expected, (
        "recipes.py changed since the reference run: rerun `make reference` and commit "
        "book/results/")
    for run in stored["runs"]:
        assert run["steps"] == recipes.settings(run["recipe"], full=True)["steps"]


def test_the_stored_metrics_sit_beside_their_floors(stored):
    for run in stored["runs"]:
        m = run["metrics"]
        assert m["fcd_floor"] == stored["floors"]["fcd"] and m["w2_floor"] == stored["floors"]["w2"]
        assert m["fcd"] > 0 and m["w2"] > 0 and m["ms_per_step"] > 0
        curve = run["fcd_curve"]
        assert curve["step"][-1] == run["steps"] and math.isclose(curve["fcd"][-1], m["fcd"],
                                                                   rel_tol=0.5)


@pytest.mark.parametrize("name", reference.REFERENCE_RECIPES)
def test_replaying_the_first_steps_reproduces_the_stored_history(stored, name):
    if stored["provenance"]["data_source"] != "embedded":
        pytest.skip("the reference run used full MNIST, which tests do not download")
    replay = stored["replay"]
    x_train, _ = mnist(split="train")
    terms = reference.replay_history(name, x_train, replay["steps"], replay["seed"])
    for term, values in replay["terms"][name].items():
        np.testing.assert_allclose(
            terms[term], values, rtol=2e-4, atol=1e-5,
            err_msg=f"{name}: {term} differs from the stored run; if a recipe or the training "
                    "changed on purpose, rerun `make reference`")


# --------------------------------------------------------------------------- reading
def _payload():
    runs = [{"recipe": name, "seed": seed, "steps": 10,
             "metrics": {"w2": w2, "w2_floor": 1.0, "fcd": 2 * w2, "fcd_floor": 0.5,
                         "sharpness": 0.5, "recon_error": None if name == "B" else 3.0,
                         "ms_per_step": 1.0}}
            for name, seed, w2 in [("A", 0, 1.0), ("A", 1, 3.0), ("B", 0, 2.0), ("B", 1, 2.0)]]
    return {"schema": 1, "fingerprint": "x", "floors": {"w2": 1.0, "fcd": 0.5}, "seeds": [0, 1],
            "provenance": {k: "x" for k in ("git_commit", "date", "device_name", "torch", "pot",
                                            "data_source", "data_sizes", "wall_time_s")},
            "runs": runs, "replay": {"terms": {"A": {}, "B": {}}}}


def test_summary_and_per_seed_match_numpy(tmp_path):
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(_payload()))
    ref = reference.load(path)
    assert reference.per_seed(ref, "w2") == {"A": [1.0, 3.0], "B": [2.0, 2.0]}
    table = reference.summary(ref, ["w2", "recon_error"])
    assert table["A"]["w2"] == (2.0, pytest.approx(np.std([1.0, 3.0], ddof=1)))
    assert math.isnan(table["B"]["recon_error"][0])


def test_load_explains_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="make reference"):
        reference.load(tmp_path / "nothing.json")


@pytest.mark.parametrize("damage", ["not json", "schema", "metric", "seed", "replay"])
def test_load_refuses_a_damaged_file(tmp_path, damage):
    payload = _payload()
    if damage == "schema":
        payload["schema"] = 0
    elif damage == "metric":
        payload["runs"][0]["metrics"]["fcd"] = float("nan")
    elif damage == "seed":
        payload["runs"].pop()
    elif damage == "replay":
        payload["replay"]["terms"].pop("B")
    path = tmp_path / "ref.json"
    path.write_text("{" if damage == "not json" else json.dumps(payload))
    with pytest.raises(ValueError, match="make reference"):
        reference.load(path)


def test_per_seed_names_an_unknown_metric(tmp_path):
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(_payload()))
    with pytest.raises(ValueError, match="no 'kl' for 'A'"):
        reference.per_seed(reference.load(path), "kl")


# --------------------------------------------------------------------------- making
def test_a_short_trial_run_writes_a_valid_file_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(reference, "CLASSIFIER_STEPS", 20)
    monkeypatch.setattr(reference, "N_EVAL", 100)
    out, work = tmp_path / "results" / "ref.json", tmp_path / "work"
    torch.manual_seed(0)
    payload = reference.run_reference(["WAE-MMD"], seeds=(0, 1), steps=4, jobs=1, out=out,
                                      workdir=work, progress=False, device="cpu")
    assert reference.load(out)["provenance"]["steps_override"] == 4
    first = next(r for r in payload["runs"] if r["seed"] == 0)
    assert first["history"]["step"] == [1, 2, 3, 4]
    x_train, _ = mnist(split="train")
    # the stored first steps are the run's own, and replaying them gives them back
    np.testing.assert_allclose(payload["replay"]["terms"]["WAE-MMD"]["loss"],
                               first["history"]["loss"], rtol=1e-5)  # thinned: 6 digits
    replayed = reference.replay_history("WAE-MMD", x_train, 4, 0)["loss"]
    np.testing.assert_allclose(replayed, first["history"]["loss"], rtol=1e-5)
    assert (out.parent / "samples" / "wae-mmd.png").is_file()
    assert not list(work.glob("*-seed*.pt")), "checkpoints of finished runs are removed"

    # A second call finds every run done and trains nothing.
    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(reference, "fit", no_training)
    again = reference.run_reference(["WAE-MMD"], seeds=(0, 1), steps=4, jobs=1, out=out,
                                    workdir=work, progress=False, device="cpu")
    assert again["runs"] == payload["runs"]


def test_slug_names_files_without_spaces_or_greek():
    assert reference.slug("VAE (σ² = 0.3)") == "vae-sigma2-0.3"
    assert reference.slug("WAE-MMD (weak)") == "wae-mmd-weak"
