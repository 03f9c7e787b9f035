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


# ---------------------------------------------------------------- one repository URL


def _config_repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return str(config["repository"]["url"]).rstrip("/")


def test_pyproject_urls_name_the_repository_of_config_yml():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    repo = _config_repository_url()
    assert urls["Repository"].rstrip("/") == repo, (urls["Repository"], repo)
    assert urls["Homepage"].rstrip("/") == repo, (urls["Homepage"], repo)
    assert urls["Issues"].rstrip("/") == f"{repo}/issues", urls["Issues"]


# ---------------------------------------------------------------- Binder and conda


def _binder_requirements() -> tuple[list[str], dict[str, Requirement]]:
    lines = [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text()
             .splitlines() if line.strip() and not line.lstrip().startswith("#")]
    options = [line for line in lines if line.startswith("-")]
    reqs = [Requirement(line) for line in lines if not line.startswith("-")]
    return options, {r.name.lower(): r for r in reqs}


def test_binder_installs_the_runtime_dependencies_with_the_cpu_torch():
    options, binder = _binder_requirements()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {Requirement(line).name.lower(): Requirement(line) for line in meta["dependencies"]}
    assert sorted(binder) == sorted(runtime), (sorted(binder), sorted(runtime))
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in options, options
    torch_pin = next(iter(binder["torch"].specifier)).version
    assert torch_pin.endswith("+cpu"), f"Binder must get the CPU wheel, not {torch_pin}"
    env_pin = next(iter(_environment_requirements()["torch"].specifier)).version
    assert torch_pin.removesuffix("+cpu") == env_pin, (torch_pin, env_pin)
    for name, req in binder.items():
        if name != "torch":
            assert req.specifier == runtime[name].specifier, (name, str(req.specifier))


def test_binder_postbuild_installs_the_package_from_the_copied_source():
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & 0o111, "binder/postBuild must be executable"
    commands = [line for line in post.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert any("pip install" in line and "--no-deps" in line and line.rstrip().endswith(" .")
               for line in commands), commands


def test_environment_installs_the_cpu_torch_and_nothing_repo2docker_cannot():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    editable = [line for line in pip if line.startswith(("-e", "--editable"))]
    assert not editable, f"environment.yml installs {editable}: install the package separately"
    assert "--index-url https://download.pytorch.org/whl/cpu" in pip, pip
    assert "--extra-index-url https://pypi.org/simple" in pip, pip


def test_ipywidgets_floor_is_what_colab_ships():
    py = _pyproject_requirements()
    assert py["ipywidgets"].specifier.contains("7.7.1"), str(py["ipywidgets"].specifier)


def test_citation_cites_the_software_and_both_papers():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["repository-code"].rstrip("/") == _config_repository_url()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert str(cff["version"]) == version
    ids = {i["value"] for ref in cff["references"] for i in ref.get("identifiers", [])}
    assert {"arXiv:1705.07642", "arXiv:1711.01558"} <= ids, ids
    titles = {ref["title"] for ref in cff["references"]}
    assert "Wasserstein Auto-Encoders" in titles, titles
    assert any(t.startswith("From optimal transport to generative modeling") for t in titles)
