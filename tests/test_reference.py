"""The stored reference run (vegan_lib/results/reference.json) and the code that makes it.

The stored file is checked against today's code: its schema, the fingerprint of the
recipes it ran, and the first steps of every recipe replayed in float64 on the CPU, which
agree across CPU kernels to about 1e-14 and move by 1e-4 or more under a 1 % change of a
recipe. When a recipe changes, these tests fail with the fix: rerun ``make reference``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from vegan_lib import recipes, reference
from vegan_lib.data import mnist
from vegan_lib.scoring import FLOOR_DIGITS, fcd_drift

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
        "vegan_lib/results/")
    for run in stored["runs"]:
        assert run["steps"] == recipes.settings(run["recipe"], full=True)["steps"]


def test_the_stored_run_follows_one_protocol(stored):
    # seven families, one budget (generator updates) for all, the adversaries' updates
    # counted, a plateau measure per run that its own curve gives back, floors held out
    names = {r["recipe"] for r in stored["runs"]}
    assert set(recipes.SCOREBOARD) <= names and len(recipes.SCOREBOARD) == 7
    assert len({r["steps"] for r in stored["runs"]}) == 1, "one budget of generator updates"
    assert stored["protocol"]["budget_rule"] == reference.BUDGET_RULE
    for run in stored["runs"]:
        s = recipes.settings(run["recipe"], full=True)
        facts = recipes.recipe(run["recipe"]).facts
        assert run["adversary_updates"] == (run["steps"] * s["adversary_steps"]
                                            if facts.has_adversary else 0)
        curve = run["fcd_curve"]
        assert len(curve["step"]) == reference.CURVE_POINTS
        assert run["metrics"]["fcd_drift"] == pytest.approx(
            fcd_drift(curve["step"], curve["fcd"], run["steps"]), rel=1e-12)
    sizes = stored["provenance"]["data_sizes"]
    assert sizes["floor"] == FLOOR_DIGITS and sizes["train"] + sizes["floor"] == len(
        mnist(split="train", source=stored["provenance"]["data_source"])[0])


def test_the_stored_metrics_sit_beside_their_floors(stored):
    for run in stored["runs"]:
        m = run["metrics"]
        assert all(m[f"{k}_floor"] == v for k, v in stored["floors"].items())
        assert all(0 <= m[k] <= 1 for k in ("precision", "recall", "coverage"))
        assert m["fcd"] > 0 and m["w2"] > 0 and m["ms_per_step"] > 0
        curve = run["fcd_curve"]
        assert curve["step"][-1] == run["steps"] and math.isclose(curve["fcd"][-1], m["fcd"],
                                                                   rel_tol=0.5)


@pytest.fixture(scope="module")
def x_train(stored):
    if stored["provenance"]["data_source"] != "embedded":
        pytest.skip("the reference run used full MNIST, which tests do not download")
    return reference.fit_and_floor_digits()[0][0]  # the digits the runs fit


@pytest.mark.parametrize("name", reference.REFERENCE_RECIPES)
def test_replaying_the_first_steps_reproduces_the_stored_history(stored, x_train, name):
    replay = stored["replay"]
    assert replay["dtype"] == "float64" and replay["rtol"] == reference.REPLAY_RTOL
    terms = reference.replay_history(name, x_train, replay["steps"], replay["seed"])
    mismatches = reference.replay_mismatches(replay["terms"][name], terms)
    assert not mismatches, (
        f"{name} no longer trains as in the reference run: {'; '.join(mismatches)}. If a "
        "recipe or the training changed on purpose, rerun `make reference`")


@pytest.mark.parametrize("name", reference.REFERENCE_RECIPES)
def test_the_first_float32_step_is_the_stored_runs_own(stored, x_train, name):
    # Ties the float64 replay to the runs themselves: the same initial weights, batch and
    # objective give the first logged step of the stored seed-0 run. Only the first step:
    # later float32 steps drift apart on other CPUs (3e-4 after three WGAN-GP steps).
    replay = stored["replay"]
    first = reference.replay_history(name, x_train, 1, replay["seed"], dtype=torch.float32)
    for term, value in replay["run_first_step"][name].items():
        assert first[term][0] == pytest.approx(value, rel=1e-3, abs=1e-6), term


def _variant(name, **changes):
    r = recipes.recipe(name)
    full = {k: v for k, v in changes.items() if k in ("lr",)}
    options = {k: v for k, v in changes.items() if k not in full}
    return dataclasses.replace(r, options={**r.options, **options},
                               full=dataclasses.replace(r.full, **full))


_ONE_PERCENT = [(name, "lr", recipes.settings(name, full=True)["lr"] * 1.01)
                for name in reference.REFERENCE_RECIPES]
_ONE_PERCENT += [(name, key, recipes.recipe(name).options[key] * 1.01)
                 for name in reference.REFERENCE_RECIPES
                 for key in ("lam", "lam_aae", "gp_weight", "sigma2")
                 if key in recipes.recipe(name).options]
_ONE_PERCENT += [(name, "z_dim", 9) for name in ("VAE", "WAE-MMD", "WGAN-GP")]


@pytest.mark.parametrize(("name", "key", "value"), _ONE_PERCENT,
                         ids=[f"{n}-{k}" for n, k, _ in _ONE_PERCENT])
def test_the_replay_catches_a_small_change_of_a_recipe(stored, x_train, name, key, value):
    # 1 % of the learning rate, of lambda (and of the other weights), or one more code
    # dimension (the encoder's last and the decoder's first width): each must fail.
    # Three of the five stored steps keep it quick; the unchanged recipe reproduces all five
    # (test_replaying_the_first_steps_reproduces_the_stored_history).
    replay, steps = stored["replay"], 3
    terms = reference.replay_history(name, x_train, steps, replay["seed"],
                                     recipe=_variant(name, **{key: value}))
    first = {term: values[:steps] for term, values in replay["terms"][name].items()}
    assert reference.replay_mismatches(first, terms), (
        f"a change of {key} to {value} in {name} went unnoticed by the replay")


_OTHER_KERNELS = """
import json, sys
from vegan_lib import reference
x = reference.fit_and_floor_digits()[0][0]
print(json.dumps({n: reference.replay_history(n, x, 3, 0) for n in sys.argv[1:]}))
"""


def test_the_replay_holds_with_other_cpu_kernels(stored, x_train):
    # Another machine in miniature: ATen's portable kernels instead of AVX2/AVX-512 ones,
    # MKL restricted to SSE4.2 and two threads. float32 steps differ by up to 3e-4 between
    # these settings (WGAN-GP, then AVB: 7e-5); the float64 replay must still agree within
    # REPLAY_RTOL (three of the five steps, to keep it quick).
    names = ["WGAN-GP", "AVB"]
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
           "OMP_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", _OTHER_KERNELS, *names], env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    replayed = json.loads(out.stdout)
    for name in names:
        first = {term: values[:3] for term, values in stored["replay"]["terms"][name].items()}
        assert not reference.replay_mismatches(first, replayed[name])


def test_replay_mismatches_names_the_term_and_the_step():
    stored = {"loss": [1.0, 2.0], "kl": [0.0, 0.5]}
    assert reference.replay_mismatches(stored, {"loss": [1.0, 2.0], "kl": [0.0, 0.5]}) == []
    lines = reference.replay_mismatches(stored, {"loss": [1.0, 2.0 + 1e-6], "kl": [0.0, 0.5]})
    assert len(lines) == 1 and lines[0].startswith("loss: step 2")
    assert reference.replay_mismatches(stored, {"loss": [1.0, float("nan")], "kl": [0.0, 0.5]})
    assert "only by the record" in reference.replay_mismatches(stored, {"loss": [1.0, 2.0]})[0]


def test_refresh_replay_refuses_runs_of_other_recipes(tmp_path):
    payload = json.loads(STORED.read_text())
    payload["fingerprint"] = "0" * 64
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="recipes changed"):
        reference.refresh_replay(path)


def test_a_float32_replay_record_is_refused_with_the_fix(tmp_path):
    payload = json.loads(STORED.read_text())
    payload["replay"]["dtype"] = "float32"
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="--replay-only"):
        reference.load(path)


# --------------------------------------------------------------------------- reading
def _payload():
    runs = [{"recipe": name, "seed": seed, "steps": 10,
             "metrics": {"w2": w2, "w2_floor": 1.0, "fcd": 2 * w2, "fcd_floor": 0.5,
                         "sharpness": 0.5, "recon_error": None if name == "B" else 3.0,
                         "ms_per_step": 1.0, "fcd_drift": -0.01,
                         **dict.fromkeys(("precision", "recall", "density", "coverage"), 0.5)}}
            for name, seed, w2 in [("A", 0, 1.0), ("A", 1, 3.0), ("B", 0, 2.0), ("B", 1, 2.0)]]
    floors = {"w2": 1.0, "fcd": 0.5, "sharpness": 1.0,
              **dict.fromkeys(("precision", "recall", "density", "coverage"), 0.9)}
    return {"schema": 2, "fingerprint": "x", "floors": floors, "seeds": [0, 1], "protocol": {},
            "provenance": {k: "x" for k in ("git_commit", "date", "device_name", "torch", "pot",
                                            "data_source", "data_sizes", "wall_time_s")},
            "runs": runs, "replay": {"dtype": "float64", "terms": {"A": {}, "B": {}},
                                     "run_first_step": {"A": {}, "B": {}}}}


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


# --------------------------------------------------------------------------- bad input
def _set(*keys_and_value):
    """A damage of the payload: set payload[k1][k2]... to the last argument."""
    *keys, value = keys_and_value

    def damage(payload):
        for key in keys[:-1]:
            payload = payload[key]
        payload[keys[-1]] = value
    return damage


def _append_copy_of_first_run(payload):
    payload["runs"].append(copy.deepcopy(payload["runs"][0]))


# (damage of the stored payload, what the message names); each must give the ValueError
# naming the file (issue 23: several gave AttributeError or TypeError, or were accepted)
_DAMAGED = {
    "metrics-list": (_set("runs", 0, "metrics", [1.0, 2.0]),
                     r"the metrics of VAE, seed 0 is a list, not an object"),
    "metrics-null": (_set("runs", 0, "metrics", None), r"metrics of VAE, seed 0 is null"),
    "run-number": (_set("runs", 0, 3), r"runs\[0\] is a number, not an object"),
    "recipe-list": (_set("runs", 0, "recipe", ["VAE"]), r"runs\[0\]\.recipe is a list"),
    "provenance-null": (_set("provenance", None), r"provenance is null, not an object"),
    "seeds-null": (_set("seeds", None), r"seeds is null, not a list"),
    "terms-list": (_set("replay", "terms", ["VAE"]), r"replay\.terms is a list, not an object"),
    "terms-of-a-recipe-list": (_set("replay", "terms", "VAE", [1.0]),
                               r"replay\.terms\['VAE'\] is a list"),
    "terms-values-string": (_set("replay", "terms", "VAE", "loss", "1.0"),
                            r"replay\.terms\['VAE'\]\['loss'\] is a string"),
    "terms-values-null": (_set("replay", "terms", "VAE", "loss", [None]),
                          r"\['loss'\] = \[None\], not a list of finite numbers"),
    "first-step-list": (_set("replay", "run_first_step", ["VAE"]),
                        r"replay\.run_first_step is a list"),
    "first-step-string": (_set("replay", "run_first_step", "VAE", "loss", "x"),
                          r"run_first_step\['VAE'\]\['loss'\] = 'x'"),
    "replay-null": (_set("replay", None), r"replay is null"),
    "replay-seed-float": (_set("replay", "seed", 0.5), r"replay\.seed = 0\.5"),
    "runs-object": (_set("runs", {}), r"runs is an object, not a list"),
    "seeds-floats": (_set("seeds", [0.0, 1.0, 2.0]), r"seeds = \[0\.0, 1\.0, 2\.0\]"),
    "seeds-string": (_set("seeds", "012"), r"seeds is a string"),
    "seeds-repeated": (_set("seeds", [0, 0, 1, 2]), r"not a list of distinct"),
    "seed-float": (_set("runs", 0, "seed", 0.5), r"VAE: seed 0\.5 is not a non-negative"),
    "seed-bool": (_set("runs", 0, "seed", False), r"VAE: seed False"),
    "seed-negative": (_set("runs", 0, "seed", -1), r"VAE: seed -1"),
    "steps-string": (_set("runs", 0, "steps", "2500"), r"steps '2500' is not a positive"),
    "metric-string": (_set("runs", 0, "metrics", "w2", "6.2"), r"metric w2 = '6\.2'"),
    "metric-bool": (_set("runs", 0, "metrics", "fcd", True), r"metric fcd = True"),
    "other-metric-string": (_set("runs", 0, "metrics", "kl", "x"), r"metric kl = 'x'"),
    "run-repeated": (_append_copy_of_first_run, r"runs repeated: \[\('VAE', 0\)\]"),
    "run-of-another-seed": (_set("runs", 0, "seed", 7), r"runs of seeds not in seeds"),
    "schema-true": (_set("schema", True), r"schema True, expected 2"),
    "fingerprint-number": (_set("fingerprint", 3), r"fingerprint is a number"),
    "floors-null": (_set("floors", None), r"floors is null"),
    "floor-nan": (_set("floors", "fcd", float("nan")), r"floors\.fcd = nan"),
    "data-source-null": (_set("provenance", "data_source", None),
                         r"provenance\.data_source is null"),
    "settings-list": (_set("settings", []), r"settings is a list"),
    "protocol-list": (_set("protocol", []), r"protocol is a list"),
    "floor-missing": (lambda payload: payload["floors"].pop("recall"), r"floors lack recall"),
    "drift-null": (_set("runs", 0, "metrics", "fcd_drift", None), r"metric fcd_drift = None"),
}


@pytest.fixture(scope="module")
def stored_payload():
    return json.loads(STORED.read_text(encoding="utf-8"))


@pytest.mark.parametrize("damage", _DAMAGED)
def test_load_names_the_file_and_the_field_of_a_damaged_reference(tmp_path, stored_payload,
                                                                  damage):
    payload = copy.deepcopy(stored_payload)
    function, message = _DAMAGED[damage]
    function(payload)
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        reference.load(path)
    assert str(err.value).startswith(f"{path} is not a reference run of vegan_lib")
    assert "make reference" in str(err.value)


def test_load_names_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "ref.json"
    path.write_bytes(b"\xff\xfe{}")  # was: UnicodeDecodeError, naming no file
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))} is not UTF-8 text.*make "
                                         "reference"):
        reference.load(path)
    path.write_bytes('{"schema": "é"}'.encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        reference.load(path)


@pytest.mark.parametrize("path", [3, 1.5, ["ref.json"], b"ref.json"])
def test_load_refuses_a_path_that_is_not_a_path(path):
    with pytest.raises(ValueError, match="path must be the path of a reference run"):
        reference.load(path)


def test_the_stored_file_is_utf8_and_still_loads(stored_payload):
    # the file holds σ²: load reads it as UTF-8 (not in the locale's encoding)
    assert "σ²" in STORED.read_bytes().decode("utf-8")
    assert reference.load()["runs"] == stored_payload["runs"]


_BAD_READS = {
    "summary-metrics-string": (lambda ref: reference.summary(ref, "w2"),
                               r"metrics must be a list of metric names, e\.g\. "
                               r"metrics=\['w2'\], got 'w2'"),
    "summary-metrics-none": (lambda ref: reference.summary(ref, None), r"metrics must be a list"),
    "summary-metrics-number": (lambda ref: reference.summary(ref, 3), r"metrics must be a list"),
    "summary-metrics-of-numbers": (lambda ref: reference.summary(ref, [3]),
                                   r"metrics must be a list of metric names.*got \[3\]"),
    "summary-names-string": (lambda ref: reference.summary(ref, ["w2"], "VAE"),
                             r"names must be a list of recipe names, e\.g\. names=\['VAE'\]"),
    "summary-unknown-name": (lambda ref: reference.summary(ref, ["w2"], ["VEA"]),
                             r"no recipe 'VEA' \(names\); it holds runs of \['VAE'"),
    "summary-unknown-metric": (lambda ref: reference.summary(ref, ["w3"]),
                               r"no 'w3' for 'VAE'; its metrics are \[.*'w2'"),
    "summary-not-a-reference": (lambda ref: reference.summary(None, ["w2"]),
                                r"reference must be a reference run as load\(\) returns it"),
    "summary-a-dict-without-runs": (lambda ref: reference.summary({}, ["w2"]),
                                    r"reference must be a reference run"),
    "per-seed-metric-list": (lambda ref: reference.per_seed(ref, ["w2"]),
                             r"metric must be one metric name \(a str\), got \['w2'\]"),
    "per-seed-metric-none": (lambda ref: reference.per_seed(ref, None), r"metric must be one"),
    "per-seed-names-string": (lambda ref: reference.per_seed(ref, "w2", "VAE"),
                              r"names must be a list of recipe names"),
    "per-seed-names-number": (lambda ref: reference.per_seed(ref, "w2", 3),
                              r"names must be a list"),
    "per-seed-names-of-numbers": (lambda ref: reference.per_seed(ref, "w2", [3]),
                                  r"names must be a list.*got \[3\]"),
    "per-seed-a-path": (lambda ref: reference.per_seed(str(STORED), "w2"),
                        r"reference must be a reference run.*got str; e\.g\. "
                        r"ref = reference\.load\(\)"),
}


@pytest.mark.parametrize("case", _BAD_READS)
def test_summary_and_per_seed_name_the_bad_argument(stored, case):
    call, message = _BAD_READS[case]
    with pytest.raises(ValueError, match=message):
        call(stored)


def test_summary_takes_any_list_of_metric_names(stored):
    # the chapters pass a dict (its keys are the metrics) and a tuple of recipes
    by_dict = reference.summary(stored, {"w2": "W2", "fcd": "FCD"}, ("VAE", "AAE"))
    assert by_dict == reference.summary(stored, ["w2", "fcd"], ["VAE", "AAE"])
    assert list(by_dict) == ["VAE", "AAE"] and list(by_dict["VAE"]) == ["w2", "fcd"]


# --------------------------------------------------------------------------- making
def test_a_short_trial_run_writes_a_valid_file_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(reference, "CLASSIFIER_STEPS", 20)
    monkeypatch.setattr(reference, "N_EVAL", 100)
    out, work = tmp_path / "results" / "ref.json", tmp_path / "work"
    torch.manual_seed(0)
    payload = reference.run_reference(["WAE-MMD"], seeds=(0, 1), steps=4, out=out,
                                      workdir=work, progress=False, device="cpu")
    assert reference.load(out)["provenance"]["steps_override"] == 4
    first = next(r for r in payload["runs"] if r["seed"] == 0)
    assert first["history"]["step"] == [1, 2, 3, 4]
    (x_train, _), _ = reference.fit_and_floor_digits()
    # the stored first step is the run's own (history thinned to 6 digits), the float32
    # replay gives the run back, and the float64 record is the float64 replay
    replay = payload["replay"]
    assert replay["run_first_step"]["WAE-MMD"]["loss"] == pytest.approx(
        first["history"]["loss"][0], rel=1e-5)
    replayed = reference.replay_history("WAE-MMD", x_train, 4, 0, dtype=torch.float32)
    np.testing.assert_allclose(replayed["loss"], first["history"]["loss"], rtol=1e-5)
    assert replay["dtype"] == "float64" and len(replay["terms"]["WAE-MMD"]["loss"]) == 5
    assert not reference.replay_mismatches(replay["terms"]["WAE-MMD"],
                                           reference.replay_history("WAE-MMD", x_train))
    assert (out.parent / "samples" / "wae-mmd.png").is_file()
    assert not list(work.glob("*-seed*.pt")), "checkpoints of finished runs are removed"

    # A second call finds every run done and trains nothing (but the float64 replay).
    replay_fit = recipes.fit

    def no_training(model, *args, **kwargs):
        if next(model.parameters()).dtype != torch.float64:
            raise AssertionError("a finished run was trained again")
        return replay_fit(model, *args, **kwargs)

    monkeypatch.setattr(recipes, "fit", no_training)
    again = reference.run_reference(["WAE-MMD"], seeds=(0, 1), steps=4, out=out,
                                    workdir=work, progress=False, device="cpu")
    assert again["runs"] == payload["runs"]


def test_slug_names_files_without_spaces_or_greek():
    assert reference.slug("VAE (σ² = 0.3)") == "vae-sigma2-0.3"
    assert reference.slug("WAE-MMD (weak)") == "wae-mmd-weak"


# --------------------------------------------------------------------------- the split
def test_the_library_part_neither_shells_out_nor_parses_arguments():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(reference))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in (node.names if isinstance(node, ast.Import) else
                              [ast.alias(node.module or "")])}
    assert not imported & {"subprocess", "argparse", "multiprocessing"}, imported
    assert "/proc/cpuinfo" not in inspect.getsource(reference)


def test_the_command_line_records_what_the_library_cannot_know(tmp_path):
    from vegan_lib.reference import __main__ as cli

    known = cli.provenance(torch.device("cpu"), jobs=2, threads=1)
    assert known["processes"] == 2 and known["threads_per_process"] == 1
    assert set(known) >= {"git_commit", "library_modified_since_commit"}
    out = subprocess.run([sys.executable, "-m", "vegan_lib.reference", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--replay-only" in out and "--jobs" in out


def test_a_run_records_the_provenance_its_caller_passes(tmp_path, monkeypatch):
    monkeypatch.setattr(reference, "CLASSIFIER_STEPS", 5)
    monkeypatch.setattr(reference, "N_EVAL", 50)
    out = tmp_path / "ref.json"
    calls = []

    def counting_map(function, jobs):
        calls.append(len(jobs))
        return map(function, jobs)

    payload = reference.run_reference(["WGAN-GP"], seeds=(0,), steps=3, out=out,
                                      workdir=tmp_path / "work", progress=False, device="cpu",
                                      provenance={"git_commit": "abc123", "processes": 3},
                                      map_runs=counting_map)
    assert calls == [1]
    assert payload["provenance"]["git_commit"] == "abc123"
    assert payload["provenance"]["processes"] == 3
    assert payload["replay"]["made"]["git_commit"] == "abc123"
    assert payload["runs"][0]["metrics"]["recon_error"] is None  # no encoder: no diagnostics
    assert "sharpness_recon" not in payload["runs"][0]["metrics"]
