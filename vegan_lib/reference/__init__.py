r"""Reference runs: the book's recipes trained at full settings, stored with provenance.

``make reference`` (``python -m vegan_lib.reference``) trains every recipe of
:data:`REFERENCE_RECIPES` (chapter 8's scoreboard, chapter 5's :math:`\sigma^2` sweep and
the weak WAE-MMD) with its *full* settings (:func:`~vegan_lib.recipes.settings` with
``full=True``) for every seed of :data:`SEEDS`, scores each run as chapter 8 does, and
writes one JSON file (:data:`DEFAULT_FILE`) with

* ``provenance``: git commit, date, device, library versions, data source and sizes,
  wall time;
* ``fingerprint``: :func:`~vegan_lib.recipes.fingerprint` of the recipes it ran (other
  recipes may change without invalidating it);
* ``protocol``: the budget rule (:data:`BUDGET_RULE`: the same generator updates for every
  recipe), the plateau criterion (:func:`~vegan_lib.scoring.fcd_drift` within
  :data:`~vegan_lib.scoring.PLATEAU_TOLERANCE`), and which digits each part saw: the
  models and the classifier fit the training digits but the last
  :data:`~vegan_lib.scoring.FLOOR_DIGITS`, on which every floor is measured
  (:func:`~vegan_lib.scoring.split_floor_digits`);
* ``settings``: each recipe's full settings and its adversary's updates;
* ``floors``: the same metrics for those held-out real digits against the test digits;
* ``runs``: one record per recipe and seed with its ``wall_s``, ``adversary_updates``,
  ``metrics`` (those of :func:`~vegan_lib.scoring.score`: ``w2``, ``fcd``, ``sharpness``,
  ``precision``, ``recall``, ``density``, ``coverage``, ``recon_error``; each floor,
  ``ms_per_step``, the plateau measure ``fcd_drift`` and the family's diagnostics), the FCD
  every twentieth of the run (``fcd_curve``), and a thinned loss history;
* ``replay``: the first ``REPLAY_STEPS`` logged steps of each recipe, seed 0, trained in
  float64 on the CPU (:func:`replay_history`), which a unit test recomputes with today's
  code (:func:`replay_mismatches`, relative tolerance :data:`REPLAY_RTOL`), and the first
  logged step of each stored seed-0 run (float32), which ties the replay to the run.

Why float64: float32 training is not bit-reproducible across CPUs (AVX-512, AVX2 and ARM
kernels round differently, adversarial terms amplify it within a few steps: 3e-4 after
three steps of WGAN-GP). In float64, with the weights *initialised* in float64, the same
five steps agree to about 1e-14 across kernels, while a 1 % change of a recipe's
:math:`\lambda` or learning rate moves them by 1e-4 or more: a tolerance of 1e-9 tells the
two apart. ``python -m vegan_lib.reference --replay-only`` rewrites this record alone.

This package is the library part: :func:`run_reference` takes explicit paths and objects
(what to run, where to write, the provenance its caller knows) and runs through any ``map``
it is given. The command line, ``python -m vegan_lib.reference`` (``__main__.py``), adds
what a library should not do: it asks git for the commit, reads the CPU's name, runs the
runs in worker processes (one per core on a CPU) and parses arguments. Each run
checkpoints itself every ``CHECKPOINT_EVERY`` steps and is skipped when its result exists,
so an interrupted reference run resumes where it stopped. The chapters read the file with
:func:`load` and summarise it with :func:`summary` and :func:`per_seed`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from vegan_lib import recipes
from vegan_lib._checks import check_int_at_least
from vegan_lib.classifier import classifier_accuracy, train_digit_classifier
from vegan_lib.data import mnist
from vegan_lib.device import get_device
from vegan_lib.metrics import frechet_classifier_distance
from vegan_lib.plotting import save_image_grid
from vegan_lib.reference._schema import SCHEMA, validate_payload
from vegan_lib.scoring import (
    FLOOR_DIGITS,
    PLATEAU_TOLERANCE,
    PR_K,
    data_floors,
    fcd_drift,
    split_floor_digits,
)

__all__ = [
    "BUDGET_RULE",
    "DEFAULT_FILE",
    "fit_and_floor_digits",
    "REFERENCE_RECIPES",
    "REPLAY_RTOL",
    "SEEDS",
    "load",
    "per_seed",
    "run_one",
    "refresh_replay",
    "replay_history",
    "replay_mismatches",
    "run_reference",
    "samples_file",
    "slug",
    "summary",
]

REFERENCE_RECIPES = (*recipes.SCOREBOARD, "VAE (σ² = 0.3)", "VAE (σ² = 1)", "WAE-MMD (weak)")
"""Chapter 8's seven families, the two other VAEs of chapter 5's sweep, the weak WAE-MMD."""
BUDGET_RULE = ("the same number of generator (decoder) updates for every recipe, on batches "
               "of the same size: every generator learns from the same number of digits, "
               "and what an adversary adds (its updates, the compute time) is shown beside it")
"""The one budget rule of the reference run (stored in its ``protocol``)."""
SEEDS = (0, 1, 2)
"""The seeds of every reference recipe."""
N_EVAL = 1000
"""Samples and test digits per score (the embedded test set has 1,000 digits)."""
CLASSIFIER_STEPS = 2000
REPLAY_STEPS = 5
REPLAY_RTOL = 1e-9
"""The relative tolerance of the float64 replay, far above kernel rounding (about 1e-14 after
five steps) and far below what a 1 % change of a recipe does (1e-4 and more)."""
CURVE_POINTS = 20
"""FCD evaluations per run: four in each fifth, for the plateau measure
(:func:`~vegan_lib.scoring.fcd_drift`)."""
HISTORY_POINTS = 100
CHECKPOINT_EVERY = 250
DEFAULT_FILE = Path(__file__).resolve().parents[1] / "results" / "reference.json"
"""Where ``make reference`` writes and :func:`load` reads: package data (``vegan_lib/results/``,
with the sample grids in ``samples/``), so a checkout and an installed package (pip, Colab,
Binder) read the same file."""


def slug(name: str) -> str:
    """A file-name form of a recipe name: ``"VAE (σ² = 0.3)"`` -> ``"vae-sigma2-0.3"``."""
    text = name.replace("σ²", "sigma2").lower()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9.]+", "-", text)).strip("-")


def samples_file(name: str, results: str | os.PathLike | None = None) -> Path:
    """The PNG grid of 36 samples of recipe ``name`` (seed 0) beside the results file."""
    folder = DEFAULT_FILE.parent if results is None else Path(results).parent
    return folder / "samples" / f"{slug(recipes.recipe(name).name)}.png"


def fit_and_floor_digits(source: str = "embedded") -> tuple[tuple[torch.Tensor, torch.Tensor],
                                                            tuple[torch.Tensor, torch.Tensor]]:
    """The training digits split as the reference run splits them.

    Returns ``((x, y) that the models and the classifier fit, (x, y) of the floors)``: the
    last :data:`~vegan_lib.scoring.FLOOR_DIGITS` are held out of both
    (:func:`~vegan_lib.scoring.split_floor_digits`).
    """
    x, y = mnist(split="train", source=source, download=source != "embedded")
    return split_floor_digits(x, y, n=FLOOR_DIGITS)


# --------------------------------------------------------------------------- provenance
def _device_name(device: torch.device) -> str:
    # the command line passes the CPU's model name; this is the library's fallback
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def _provenance(device: torch.device, source: str, sizes: dict[str, int],
                known: Mapping[str, Any]) -> dict:
    import ot

    return {
        "git_commit": "unknown",
        "library_modified_since_commit": None,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "device": str(device),
        "device_name": _device_name(device),
        "processes": 1,
        "threads_per_process": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pot": ot.__version__,
        "numpy": np.__version__,
        "data_source": source,
        "data_sizes": sizes,
        **known,  # what the caller knows better: the commit, the CPU's name, processes
    }


def _made(known: Mapping[str, Any]) -> dict:
    return {"git_commit": "unknown", "library_modified_since_commit": None,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "device_name": _device_name(torch.device("cpu")), "torch": torch.__version__,
            **{k: v for k, v in known.items()
               if k in ("git_commit", "library_modified_since_commit", "device_name")}}


# --------------------------------------------------------------------------- one run
def _thin(steps: list[int], terms: dict[str, list[float]], points: int) -> dict[str, list]:
    keep = sorted(set(np.linspace(0, len(steps) - 1, points).round().astype(int).tolist()))
    return {"step": [steps[i] for i in keep],
            **{k: [float(f"{v[i]:.6g}") for i in keep] for k, v in terms.items()}}


def run_one(job: Mapping[str, Any]) -> dict[str, Any]:
    """Train and score one recipe and seed; write its record to ``job["part"]``.

    ``job`` is one of the jobs :func:`run_reference` makes (plain data, so that a worker
    process can take it): the recipe, the seed, the data source, the device, the paths of
    the classifier, of the record and of the sample grid. A record that exists is read
    back instead: an interrupted reference run resumes.
    """
    part = Path(job["part"])
    if part.exists():
        return json.loads(part.read_text())
    device = torch.device(job["device"])
    if device.type == "cpu":
        torch.set_num_threads(job["threads"])
    (x_train, _), _ = fit_and_floor_digits(job["source"])  # the floor's digits stay out
    x_test, _ = mnist(split="test", source=job["source"])
    x_train, x_test = x_train.to(device), x_test.to(device)
    classifier = torch.load(job["classifier"], map_location=device, weights_only=False)
    name, seed, n = job["recipe"], job["seed"], job["n_eval"]
    steps = job["steps"] or recipes.settings(name, full=True)["steps"]
    every = max(1, steps // CURVE_POINTS)
    curve_file = part.with_suffix(".curve.json")  # kept beside the checkpoint, for resuming
    curve = json.loads(curve_file.read_text()) if curve_file.exists() else {"step": [], "fcd": []}

    def fcd_now(step: int, values: dict[str, float], model: torch.nn.Module) -> None:
        if step % every and step != steps:
            return
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(2000 + seed)
            model.eval()
            with torch.no_grad():
                fcd = frechet_classifier_distance(model.sample(n), x_test, classifier, n=n)
            model.train()
        curve["step"].append(step)
        curve["fcd"].append(fcd.item())
        curve_file.write_text(json.dumps(curve))

    ckpt = part.with_suffix(".pt")
    model, history = recipes.train(name, x_train, seed=seed, full=True, device=device,
                                   progress=job["progress"], steps=steps, callback=fcd_now,
                                   checkpoint=ckpt, checkpoint_every=CHECKPOINT_EVERY,
                                   resume=True)
    merged = dict(zip(curve["step"], curve["fcd"], strict=True))  # a step evaluated twice
    curve = {"step": sorted(merged), "fcd": [merged[k] for k in sorted(merged)]}  # (a crash)
    with torch.no_grad():
        scores, samples = recipes.score(model, x_test, classifier, n=n, seed=seed)
        extra = recipes.diagnostics(model, x_test, x_train, n)
    if not model.facts.has_encoder:
        scores["recon_error"] = None  # JSON has no NaN
    record = {
        "recipe": name, "seed": seed, "steps": steps, "wall_s": round(history.wall_time, 1),
        "adversary_updates": _adversary_updates(name, steps),
        "git_commit": job["commit"],
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "metrics": {**scores, **{f"{k}_floor": v for k, v in job["floors"].items()},
                    "ms_per_step": 1000 * history.wall_time / steps,
                    "fcd_drift": fcd_drift(curve["step"], curve["fcd"], steps), **extra},
        "fcd_curve": curve,
        "history": _thin(history.step, history.terms, HISTORY_POINTS),
        "first_steps": {k: v[:REPLAY_STEPS] for k, v in history.terms.items()},
    }
    if job["grid"]:
        save_image_grid(samples[:36], job["grid"])
    part.write_text(json.dumps(record))
    ckpt.unlink(missing_ok=True)
    curve_file.unlink(missing_ok=True)
    return record


# --------------------------------------------------------------------------- all runs
def replay_history(name: str, x_train: torch.Tensor, steps: int = REPLAY_STEPS,
                   seed: int = 0, dtype: torch.dtype = torch.float64,
                   recipe: recipes.Recipe | None = None) -> dict[str, list[float]]:
    r"""The first ``steps`` logged terms of recipe ``name`` (full settings), on the CPU.

    :func:`~vegan_lib.recipes.train` with the recipe's full settings, stopped after
    ``steps`` steps, with the model built *and initialised* in ``dtype`` (float64 by
    default, so the record is the same on every CPU to about 1e-14).

    Parameters
    ----------
    name : str
        A recipe of :data:`~vegan_lib.recipes.RECIPES`.
    x_train : Tensor, shape (N, 1, 28, 28)
        The training digits.
    steps, seed : int
        How many steps, and the seed of the weights and the batches.
    dtype : torch.dtype
        float64 for the replay record; float32 gives the first steps of a real run.
    recipe : Recipe, optional
        A variant of the recipe to train instead (e.g. ``dataclasses.replace`` with another
        :math:`\lambda`): the tests show that the replay tells it apart.

    Returns
    -------
    dict of str to list of float
        Every logged term, one value per step.
    """
    _, history = recipes.train(name if recipe is None else recipe, x_train.cpu(), seed=seed,
                               full=True, device="cpu", progress=False, steps=steps,
                               dtype=dtype)
    return history.terms


def replay_mismatches(stored: dict[str, list[float]], replayed: dict[str, list[float]],
                      rtol: float = REPLAY_RTOL) -> list[str]:
    r"""Where ``replayed`` differs from ``stored``: one line per term, empty if it agrees.

    A term agrees where :math:`|r_t - s_t| \le \mathrm{rtol}\,|s_t| + 10^{-12}` at every
    step; a term missing from either side is a mismatch.
    """
    lines = []
    for term in sorted(set(stored) | set(replayed)):
        if term not in stored or term not in replayed:
            lines.append(f"{term}: logged only by the {'replay' if term in replayed else 'record'}")
            continue
        s, r = np.asarray(stored[term], float), np.asarray(replayed[term], float)
        if s.shape != r.shape:
            lines.append(f"{term}: {r.size} steps replayed, {s.size} stored")
            continue
        bad = ~(np.abs(r - s) <= rtol * np.abs(s) + 1e-12)  # NaN counts as a mismatch
        if bad.any():
            i = int(np.argmax(bad))
            lines.append(f"{term}: step {i + 1} gives {r[i]:.15g}, stored {s[i]:.15g} "
                         f"(relative {abs(r[i] - s[i]) / max(abs(s[i]), 1e-300):.1e} > {rtol:g})")
    return lines


def _replay_record(names: Sequence[str], x_train: torch.Tensor, seed: int,
                   run_first_step: dict[str, dict[str, float]],
                   provenance: Mapping[str, Any]) -> dict[str, Any]:
    terms = {}
    for name in names:
        terms[name] = replay_history(name, x_train, REPLAY_STEPS, seed)
    return {"seed": seed, "steps": REPLAY_STEPS, "device": "cpu", "dtype": "float64",
            "rtol": REPLAY_RTOL, "terms": terms, "run_first_step": run_first_step,
            "made": _made(provenance)}


def refresh_replay(path: str | os.PathLike | None = None,
                   provenance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Rewrite only the ``replay`` record of a stored reference run, with today's code.

    For a reference run made before the float64 replay, or on purpose after a change that
    cannot alter the runs (the fingerprint of the recipes must still match). The first
    step of each stored run is kept as it was recorded. ``provenance`` may give the
    ``git_commit``, ``library_modified_since_commit`` and ``device_name`` to record (the
    command line asks git and the CPU); what is missing is recorded as unknown.

    Raises
    ------
    ValueError
        If the recipes changed since the run (then the runs themselves are stale: rerun
        ``make reference``), or the file is not a reference run.
    """
    path = Path(DEFAULT_FILE if path is None else path)
    try:  # the whole file is validated below, once the new record is in
        payload = json.loads(path.read_text(encoding="utf-8"))
        names = list(dict.fromkeys(r["recipe"] for r in payload["runs"]))
        old = payload["replay"]
        first = old.get("run_first_step") or {  # an old record: the run's own first steps
            name: {k: v[0] for k, v in old["terms"][name].items()} for name in names}
        stored_fingerprint, seed = payload["fingerprint"], payload["seeds"][0]
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
        raise ValueError(f"cannot read a reference run in {path} ({err!r}): run "
                         "`make reference`") from None
    if stored_fingerprint != recipes.fingerprint(names, modes=("full",)):
        raise ValueError(f"the recipes changed since the run stored in {path}: rerun "
                         "`make reference`; a new replay of stale runs would hide that")
    (x_train, _), _ = fit_and_floor_digits(payload["provenance"]["data_source"])
    payload["replay"] = _replay_record(names, x_train, seed, first, provenance or {})
    validate_payload(payload, str(path))
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return payload


def _serial(function: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
    return map(function, jobs)


def run_reference(
    names: Sequence[str] = REFERENCE_RECIPES,
    seeds: Sequence[int] = SEEDS,
    source: str = "embedded",
    device: str | torch.device | None = None,
    out: str | os.PathLike = DEFAULT_FILE,
    workdir: str | os.PathLike = ".cache/reference",
    progress: bool = True,
    steps: int | None = None,
    provenance: Mapping[str, Any] | None = None,
    map_runs: Callable[[Callable[[Any], Any], list], Iterable[Any]] = _serial,
    threads: int | None = None,
) -> dict[str, Any]:
    """Train, score and store every ``names`` x ``seeds`` run; return the stored payload.

    ``steps`` overrides the recipes' full number of steps, for a trial of the machinery; a
    file written so records it in ``provenance["steps_override"]`` and is not a reference.

    Each run's record is kept in ``workdir`` as soon as it finishes (and each run
    checkpoints there as it goes), so calling this again after an interruption resumes.

    Parameters
    ----------
    provenance : mapping, optional
        What the caller knows and the library does not ask for: ``git_commit``,
        ``library_modified_since_commit``, ``device_name``, ``processes``,
        ``threads_per_process``. Recorded as given, over the library's defaults
        ("unknown", the platform's processor name).
    map_runs : callable, optional
        ``map_runs(run_one, jobs)`` runs :func:`run_one` on every job and yields the
        records in any order; the default runs them one after another here. The command
        line passes a process pool's ``imap_unordered``.
    threads : int, optional
        torch threads per run on a CPU (default: as set now).
    """
    t0 = time.perf_counter()
    if steps is not None:  # the plateau measure needs evaluations in the last two fifths
        check_int_at_least(steps, "steps", 3, "steps=20 (a trial of the machinery)")
    names = [recipes.recipe(name).name for name in names]
    known = dict(provenance or {})
    device = get_device(os.environ.get("VEGAN_DEVICE")) if device is None else torch.device(
        device)
    workdir, out = Path(workdir), Path(out)
    workdir.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_floor, _) = fit_and_floor_digits(source)
    x_test, y_test = mnist(split="test", source=source, download=source != "embedded")
    n = min(N_EVAL, len(x_test))
    sizes = {"train": len(x_train), "floor": len(x_floor), "test": len(x_test)}

    classifier_file = workdir / f"classifier-{source}-{CLASSIFIER_STEPS}-fit{len(x_train)}.pt"
    if classifier_file.exists():
        classifier = torch.load(classifier_file, weights_only=False)
    else:
        classifier = train_digit_classifier(x_train, y_train, seed=0, steps=CLASSIFIER_STEPS,
                                            progress=progress)
        torch.save(classifier, classifier_file)
    accuracy = classifier_accuracy(classifier, x_test, y_test).item()
    floors = data_floors(x_floor, x_test, classifier, n=n)

    order = sorted(((name, seed) for name in names for seed in seeds),
                   key=lambda p: -_cost(p[0]))  # longest first: a pool ends together
    todo = [{"recipe": name, "seed": seed, "source": source, "device": str(device),
             "threads": threads or torch.get_num_threads(), "n_eval": n, "steps": steps,
             "floors": floors, "progress": progress, "classifier": str(classifier_file),
             "commit": known.get("git_commit", "unknown"),
             "part": str(workdir / f"{slug(name)}-seed{seed}-{source}.json"),
             "grid": str(samples_file(name, out)) if seed == seeds[0] else ""}
            for name, seed in order]
    runs = list(tqdm(map_runs(run_one, todo), total=len(todo), desc="reference runs",
                     disable=not progress))
    runs.sort(key=lambda r: (names.index(r["recipe"]), r["seed"]))

    first_step = {r["recipe"]: {k: v[0] for k, v in r["first_steps"].items()}
                  for r in runs if r["seed"] == seeds[0]}
    payload = {
        "schema": SCHEMA,
        "provenance": {**_provenance(device, source, sizes, known),
                       "steps_override": steps,
                       "wall_time_s": round(time.perf_counter() - t0, 1),
                       "run_wall_time_s": round(sum(r["wall_s"] for r in runs), 1)},
        "fingerprint": recipes.fingerprint(names, modes=("full",)),
        "protocol": {"budget_rule": BUDGET_RULE,
                     "plateau": f"|fcd_drift| < {PLATEAU_TOLERANCE:g}: the mean FCD of the "
                                "last fifth of the steps within that fraction of the fifth's "
                                "before", "plateau_tolerance": PLATEAU_TOLERANCE,
                     "fcd_evaluations": CURVE_POINTS, "precision_recall_k": PR_K,
                     "digits": "models and classifier fit the first "
                               f"{sizes['train']} training digits; every floor measures the "
                               f"last {sizes['floor']} (held out of both) against the "
                               f"{sizes['test']} test digits"},
        "settings": {name: {**recipes.settings(name, full=True),
                            "adversary_updates": _adversary_updates(name)} for name in names},
        "evaluation": {"n_eval": n, "classifier_steps": CLASSIFIER_STEPS,
                       "classifier_accuracy": accuracy},
        "floors": floors,
        "seeds": list(seeds),
        "runs": [{k: v for k, v in r.items() if k != "first_steps"} for r in runs],
        "replay": _replay_record(names, x_train.cpu(), seeds[0], first_step, known),
    }
    validate_payload(payload, str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return payload


def _adversary_updates(name: str, steps: int | None = None) -> int:
    # the adversary's updates in a run of `steps` generator updates (default: the recipe's
    # full number), 0 without an adversary
    facts, s = recipes.recipe(name).facts, recipes.settings(name, full=True)
    return (s["steps"] if steps is None else steps) * s["adversary_steps"] \
        if facts.has_adversary else 0


def _cost(name: str) -> float:
    # for the order of the runs only: the updates of a step, adversary updates counted twice
    s, facts = recipes.settings(name, full=True), recipes.recipe(name).facts
    return s["steps"] * (1 + 2 * s["adversary_steps"] if facts.has_adversary else 1)


# --------------------------------------------------------------------------- reading
def load(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The stored reference run (:data:`DEFAULT_FILE` by default), validated.

    Raises
    ------
    FileNotFoundError
        Without the file; the message says how to make it (``make reference``).
    ValueError
        If ``path`` is not a path, or the file is not a reference run of this library (not
        UTF-8 JSON, wrong schema, missing fields, a field of the wrong JSON type such as
        ``metrics`` that is not an object or a seed that is not an integer, metrics that
        are not finite numbers, runs missing); the message names the file and the field.
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be the path of a reference run (a str or os.PathLike), "
                         f"got {type(path).__name__} {path!r}; e.g. path='reference.json', "
                         "or None for the stored one")
    path = Path(DEFAULT_FILE if path is None else path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no reference run at {path}: run `make reference` (python -m "
            "vegan_lib.reference) in a checkout of the repository, or pass its path; an "
            "installed vegan_lib carries it as package data")
    try:
        payload = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not UTF-8 text (byte {err.start}: {err.reason}), so not "
                         "the JSON of a reference run: pass the file `make reference` wrote, "
                         "or run `make reference` again") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not JSON ({err}); run `make reference` again") from None
    return validate_payload(payload, str(path))


def _check_reference(reference: Any) -> list[dict]:
    # the runs of a loaded reference run, or the error that says how to load one
    runs = reference.get("runs") if isinstance(reference, dict) else None
    if not (isinstance(runs, list) and all(isinstance(r, dict) and {"recipe", "seed"} <= set(r)
                                           and isinstance(r.get("metrics"), dict)
                                           for r in runs)):
        raise ValueError(f"reference must be a reference run as load() returns it (a dict "
                         f"with runs), got {type(reference).__name__}; e.g. "
                         "ref = reference.load(), then per_seed(ref, 'w2')")
    return runs


def _check_strings(value: Any, arg: str, what: str, example: str) -> list[str]:
    # a list (any iterable but a string) of strings: metrics, names
    items = None if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) else [
        *value]
    if items is None or not all(isinstance(v, str) for v in items):
        raise ValueError(f"{arg} must be a list of {what} names, e.g. {arg}={example}, got "
                         f"{value if items is None else items!r}")
    return items


def per_seed(reference: dict[str, Any], metric: str,
             names: Iterable[str] | None = None) -> dict[str, list[float]]:
    """``{recipe: [metric of seed 0, seed 1, ...]}`` from a loaded reference run.

    ``metric`` is one metric name (``"w2"``); ``names`` a list of recipes (default: all,
    in the order of the runs). A metric stored as ``null`` (not measured) reads as NaN.

    Raises
    ------
    ValueError
        If ``reference`` is not what :func:`load` returns, ``metric`` is not a string,
        ``names`` is not a list of strings, or a recipe or metric is not in the run.
    """
    runs = _check_reference(reference)
    if not isinstance(metric, str):
        raise ValueError(f"metric must be one metric name (a str), got {metric!r}; e.g. "
                         "metric='w2' (summary takes a list of them)")
    stored = list(dict.fromkeys(r["recipe"] for r in runs))
    names = stored if names is None else _check_strings(names, "names", "recipe", "['VAE']")
    out = {}
    for name in names:
        mine = sorted((r for r in runs if r["recipe"] == name), key=lambda r: r["seed"])
        if not mine:
            raise ValueError(f"the reference run has no recipe {name!r} (names); it holds "
                             f"runs of {stored}")
        if any(metric not in r["metrics"] for r in mine):
            raise ValueError(f"the reference run has no {metric!r} for {name!r}; its metrics "
                             f"are {sorted(mine[0]['metrics'])}")
        out[name] = [math.nan if r["metrics"][metric] is None else float(r["metrics"][metric])
                     for r in mine]
    return out


def summary(reference: dict[str, Any], metrics: Iterable[str],
            names: Iterable[str] | None = None) -> dict[str, dict[str, tuple[float, float]]]:
    """``{recipe: {metric: (mean, std over seeds)}}`` (``std`` with ``ddof=1``).

    ``metrics`` is a list of metric names (any iterable of strings, e.g. a dict's keys),
    ``names`` a list of recipes (default: all).

    Raises
    ------
    ValueError
        As :func:`per_seed`, and if ``metrics`` is not a list of strings (``["w2"]``, not
        ``"w2"``).
    """
    runs = _check_reference(reference)
    metrics = _check_strings(metrics, "metrics", "metric", "['w2']")
    stored = list(dict.fromkeys(r["recipe"] for r in runs))
    names = stored if names is None else _check_strings(names, "names", "recipe", "['VAE']")
    table: dict[str, dict[str, tuple[float, float]]] = {name: {} for name in names}
    for metric in metrics:
        for name, values in per_seed(reference, metric, names).items():
            v = np.asarray(values)
            table[name][metric] = (float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0)
    return table
