"""The schema of a reference run's file: what :func:`vegan_lib.reference.load` accepts.

Beside the code that writes the file (``__init__``), in its own module: every field the
chapters read is checked for its presence and JSON type, so a damaged or stale file gives
one ``ValueError`` naming the field and how to rewrite it.
"""

from __future__ import annotations

import math
from typing import Any

SCHEMA = 2
"""The version of the file's layout; a file of another version is refused."""

_REQUIRED_METRICS = ("w2", "w2_floor", "fcd", "fcd_floor", "sharpness", "recon_error",
                    "ms_per_step", "precision", "recall", "density", "coverage", "fcd_drift")
_FLOORS = ("w2", "fcd", "sharpness", "precision", "recall", "density", "coverage")
_TOP = ("schema", "provenance", "fingerprint", "protocol", "floors", "seeds", "runs", "replay")
_PROVENANCE = ("git_commit", "date", "device_name", "torch", "pot", "data_source",
               "data_sizes", "wall_time_s")
_JSON_TYPES = {type(None): "null", bool: "a boolean", int: "a number", float: "a number",
               str: "a string", list: "a list", dict: "an object"}


def _bad(path: str, why: str) -> ValueError:
    return ValueError(f"{path} is not a reference run of vegan_lib ({why}); run "
                      "`make reference` again to rewrite it")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any, minimum: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _typed(path: str, value: Any, kind: type, where: str) -> Any:
    # value if it is a kind (dict, list or str), else the _bad error naming the field
    if not isinstance(value, kind):
        raise _bad(path, f"{where} is {_JSON_TYPES.get(type(value), type(value).__name__)}, "
                         f"not {_JSON_TYPES[kind]}")
    return value


def _check_run(run: Any, i: int, path: str) -> None:
    # one record of "runs": its recipe, seed, steps and metrics, each of its type
    run = _typed(path, run, dict, f"runs[{i}]")
    if not {"recipe", "seed", "steps", "metrics"} <= set(run):
        raise _bad(path, f"a run without recipe, seed, steps or metrics: {sorted(run)}")
    name = _typed(path, run["recipe"], str, f"runs[{i}].recipe")
    if not _integer(run["seed"]):
        raise _bad(path, f"{name}: seed {run['seed']!r} is not a non-negative integer")
    if not _integer(run["steps"], 1):
        raise _bad(path, f"{name}, seed {run['seed']}: steps {run['steps']!r} is not a "
                         "positive integer")
    metrics = _typed(path, run["metrics"], dict, f"the metrics of {name}, seed {run['seed']}")
    for key in (*_REQUIRED_METRICS, *(k for k in metrics if k not in _REQUIRED_METRICS)):
        value = metrics.get(key, "missing")
        optional = key == "recon_error" or key not in _REQUIRED_METRICS  # null: not measured
        if not (_finite(value) or (optional and value is None)):
            raise _bad(path, f"{name}, seed {run['seed']}: metric {key} = {value!r}")


def _check_replay(replay: Any, names: list[str], path: str) -> None:
    # the float64 replay: terms {recipe: {term: [number per step]}}, run_first_step
    # {recipe: {term: number}}, both for exactly the recipes of the runs
    replay = _typed(path, replay, dict, "replay")
    terms = _typed(path, replay.get("terms", {}), dict, "replay.terms")
    if set(terms) != set(names):
        raise _bad(path, f"replayed first steps for {sorted(terms)}, runs of {sorted(set(names))}")
    if replay.get("dtype") != "float64":
        raise _bad(path, f"its replay was recorded in {replay.get('dtype', 'float32')}, which "
                         "other CPUs do not reproduce; `python -m vegan_lib.reference "
                         "--replay-only` rewrites it in float64")
    for key, low in (("seed", 0), ("steps", 1)):
        if key in replay and not _integer(replay[key], low):
            raise _bad(path, f"replay.{key} = {replay[key]!r}, not an integer >= {low}")
    for name, record in terms.items():
        for term, values in _typed(path, record, dict, f"replay.terms[{name!r}]").items():
            where = f"replay.terms[{name!r}][{term!r}]"
            if not _typed(path, values, list, where) or not all(map(_finite, values)):
                raise _bad(path, f"{where} = {values!r}, not a list of finite numbers")
    first = _typed(path, replay.get("run_first_step", {}), dict, "replay.run_first_step")
    if set(first) != set(names):
        raise _bad(path, f"the runs' own first steps for {sorted(first)}, runs of "
                         f"{sorted(set(names))}")
    for name, record in first.items():
        where = f"replay.run_first_step[{name!r}]"
        for term, value in _typed(path, record, dict, where).items():
            if not _finite(value):
                raise _bad(path, f"{where}[{term!r}] = {value!r}, not a finite number")


def validate_payload(payload: Any, path: str) -> dict:
    """Raise ``ValueError`` unless ``payload`` has the fields a reference run stores.

    Schema 2: the top-level keys, the provenance, the protocol, every floor, one record per
    recipe and seed with the metrics every chapter reads (finite numbers; ``recon_error``
    may be ``null`` for a model without an encoder, as may any metric beyond those), the
    float64 replay of every
    recipe's first steps and the first logged step of its stored seed-0 run. Every field
    read is checked for its JSON type too (an object, a list of integers, ...), so that a
    damaged file gives this error, naming the field, rather than a ``TypeError``.

    Examples
    --------
    >>> try:
    ...     validate_payload({"schema": 1}, "ref.json")
    ... except ValueError as err:
    ...     print(str(err)[:60])
    ref.json is not a reference run of vegan_lib (schema 1, expe
    """
    if not isinstance(payload, dict):
        raise _bad(path, f"it holds a {type(payload).__name__}, not an object")
    if not (_integer(payload.get("schema")) and payload["schema"] == SCHEMA):
        raise _bad(path, f"schema {payload.get('schema')!r}, expected {SCHEMA}")
    missing = [k for k in _TOP if k not in payload]
    if missing:
        raise _bad(path, f"no {', '.join(missing)}")
    provenance = _typed(path, payload["provenance"], dict, "provenance")
    missing = [k for k in _PROVENANCE if k not in provenance]
    if missing:
        raise _bad(path, f"its provenance lacks {', '.join(missing)}")
    _typed(path, provenance["data_source"], str, "provenance.data_source")
    _typed(path, payload["fingerprint"], str, "fingerprint")
    _typed(path, payload["protocol"], dict, "protocol")
    floors = _typed(path, payload["floors"], dict, "floors")
    missing = [k for k in _FLOORS if k not in floors]
    if missing:
        raise _bad(path, f"its floors lack {', '.join(missing)}")
    for key, value in floors.items():
        if not _finite(value):
            raise _bad(path, f"floors.{key} = {value!r}, not a finite number")
    for key, value in _typed(path, payload.get("settings", {}), dict, "settings").items():
        _typed(path, value, dict, f"settings[{key!r}]")
    seeds = _typed(path, payload["seeds"], list, "seeds")
    if not seeds or not all(map(_integer, seeds)) or len(set(seeds)) < len(seeds):
        raise _bad(path, f"seeds = {seeds!r}, not a list of distinct non-negative integers")
    runs = _typed(path, payload["runs"], list, "runs")
    if not runs:
        raise _bad(path, "no runs")
    for i, run in enumerate(runs):
        _check_run(run, i, path)
    names = [run["recipe"] for run in runs]
    pairs = [(r["recipe"], r["seed"]) for r in runs]
    expected = {(name, seed) for name in names for seed in seeds}
    if len(set(pairs)) < len(pairs):
        raise _bad(path, f"runs repeated: {sorted({p for p in pairs if pairs.count(p) > 1})}")
    if set(pairs) != expected:
        extra = sorted(set(pairs) - expected)
        raise _bad(path, f"runs missing for {sorted(expected - set(pairs))}"
                         + (f", runs of seeds not in seeds: {extra}" if extra else ""))
    _check_replay(payload["replay"], names, path)
    return payload
