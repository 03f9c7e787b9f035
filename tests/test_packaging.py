"""The conda environment and pyproject.toml must install the same packages."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> dict[str, Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(meta["dependencies"])
    for extra in ("book", "dev"):
        lines += meta["optional-dependencies"][extra]
    reqs = [Requirement(line) for line in lines]
    return {r.name.lower(): r for r in reqs}


def _environment_requirements() -> dict[str, Requirement]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml must have exactly one pip: section"
    lines = [line for line in pip_lists[0] if not line.startswith("-")]
    reqs = [Requirement(line) for line in lines]
    return {r.name.lower(): r for r in reqs}


def test_environment_and_pyproject_list_the_same_packages():
    py, env = _pyproject_requirements(), _environment_requirements()
    assert sorted(py) == sorted(env), (
        f"only in pyproject: {sorted(set(py) - set(env))}; "
        f"only in environment.yml: {sorted(set(env) - set(py))}"
    )


def test_environment_versions_match_pyproject():
    py, env = _pyproject_requirements(), _environment_requirements()
    for name, req in env.items():
        if name == "torch":
            # environment.yml pins the exact build; it must satisfy pyproject's range
            pinned = next(iter(req.specifier)).version
            assert py[name].specifier.contains(pinned), (name, str(py[name].specifier), pinned)
        else:
            assert req.specifier == py[name].specifier, (
                name,
                str(req.specifier),
                str(py[name].specifier),
            )


def test_environment_uses_python_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_makefile_default_torch_pin_matches_environment():
    makefile = (ROOT / "Makefile").read_text()
    pin = str(_environment_requirements()["torch"])
    assert f"TORCH_SPEC ?= {pin}" in makefile, f"Makefile TORCH_SPEC differs from {pin}"
