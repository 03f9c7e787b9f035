"""Validation of stored reference runs (:mod:`vegan_lib.reference`)."""

from __future__ import annotations

import math
from typing import Any

REQUIRED_METRICS = ("w2", "w2_floor", "fcd", "fcd_floor", "sharpness", "recon_error",
                    "ms_per_step")
_TOP = ("schema", "provenance", "fingerprint", "floors", "seeds", "runs", "replay")
_PROVENANCE = ("git_commit", "date", "device_name", "torch", "pot", "data_source",
               "data_sizes", "wall_time_s")


def _bad(path: str, why: str) -> ValueError:
    return ValueError(f"{path} is not a reference run of vegan_lib ({why}); run "
                      "`make reference` again to rewrite it")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_reference_payload(payload: Any, path: str) -> dict:
    """Raise ``ValueError`` unless ``payload`` has the fields a reference run stores.

    Schema 1: the top-level keys, the provenance, one record per recipe and seed with the
    metrics every chapter reads (finite numbers; ``recon_error`` may be ``null`` for a
    model without an encoder), the float64 replay of every recipe's first steps and the
    first logged step of its stored seed-0 run.

    Examples
    --------
    >>> try:
    ...     check_reference_payload({"schema": 2}, "ref.json")
    ... except ValueError as err:
    ...     print(str(err)[:60])
    ref.json is not a reference run of vegan_lib (schema 2, expe
    """
    if not isinstance(payload, dict):
        raise _bad(path, f"it holds a {type(payload).__name__}, not an object")
    if payload.get("schema") != 1:
        raise _bad(path, f"schema {payload.get('schema')!r}, expected 1")
    missing = [k for k in _TOP if k not in payload]
    if missing:
        raise _bad(path, f"no {', '.join(missing)}")
    missing = [k for k in _PROVENANCE if k not in payload["provenance"]]
    if missing:
        raise _bad(path, f"its provenance lacks {', '.join(missing)}")
    runs = payload["runs"]
    if not isinstance(runs, list) or not runs:
        raise _bad(path, "no runs")
    names = []
    for run in runs:
        if not {"recipe", "seed", "steps", "metrics"} <= set(run):
            raise _bad(path, f"a run without recipe, seed, steps or metrics: {sorted(run)}")
        for key in REQUIRED_METRICS:
            value = run["metrics"].get(key, "missing")
            ok = value is None if key == "recon_error" and value is None else (
                _number(value) and math.isfinite(value))
            if not ok:
                raise _bad(path, f"{run['recipe']}, seed {run['seed']}: metric {key} = {value!r}")
        names.append(run["recipe"])
    pairs = {(r["recipe"], r["seed"]) for r in runs}
    expected = {(name, seed) for name in names for seed in payload["seeds"]}
    if pairs != expected:
        raise _bad(path, f"runs missing for {sorted(expected - pairs)}")
    replay = payload["replay"] if isinstance(payload["replay"], dict) else {}
    terms = replay.get("terms", {})
    if set(terms) != set(names):
        raise _bad(path, f"replayed first steps for {sorted(terms)}, runs of {sorted(set(names))}")
    if replay.get("dtype") != "float64":
        raise _bad(path, f"its replay was recorded in {replay.get('dtype', 'float32')}, which "
                         "other CPUs do not reproduce; `python -m vegan_lib.reference "
                         "--replay-only` rewrites it in float64")
    first = replay.get("run_first_step", {})
    if set(first) != set(names):
        raise _bad(path, f"the runs' own first steps for {sorted(first)}, runs of "
                         f"{sorted(set(names))}")
    return payload
