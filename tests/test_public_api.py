"""The public names promised by DESIGN.md exist where the book imports them from, and the
package keeps the shape DESIGN.md gives it (one validation layer, one training loop)."""

from __future__ import annotations

import ast
import importlib
import json
import re
import types
from pathlib import Path

import pytest

import vegan_lib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vegan_lib"

PROMISED = {
    "device": ["get_device", "seed_everything"],
    "data": ["toy_2d", "mnist", "digits"],
    "transport": [
        "cost_matrix",
        "exact_ot",
        "wasserstein",
        "wasserstein_1d",
        "gaussian_w2",
        "sinkhorn",
        "sinkhorn_plan",
    ],
    "plotting": [
        "set_theme", "plot_coupling", "image_grid", "plot_2d", "plot_history", "plain_log_axis",
    ],
    "theory": ["encoder_form", "pushforward", "random_decoder_encoder_form", "fold_generator",
               "random_encoder_problem"],
    "exact_pot": ["pot_relaxation", "pot_wgan_dual_lp", "PenalizedOTResult"],
    "divergences": ["mmd2", "mmd2_estimate", "imq_constant", "latent_discriminator_loss",
                    "js_lower_bound"],
    "costs": ["squared_cost", "euclidean_cost", "COSTS", "gaussian_nll", "gaussian_nll_cost",
              "GaussianNLLCost"],
    "pot": [
        "pot_loss",
        "aae_to_pot_lambda",
        "pot_to_aae_lambda",
        "WAE_COST_SCALE",
        "WAE_MMD_SCALES",
        "POTModel",
        "pot_twin",
    ],
    "vae": ["gaussian_kl", "VAEModel", "AVBModel", "posterior_weights", "bayes_decoder",
            "log_normal", "kl_split"],
    "wgan": ["gradient_penalty", "clip_weights_", "LIPSCHITZ_CONSTRAINTS", "WGANModel"],
    "duality": ["kantorovich_potentials", "empirical_lipschitz", "certified_w1_lower_bound",
                "fit_critic"],
    "fdivergences": ["F_DIVERGENCES", "f_divergence", "kl_between_gaussians",
                     "js_between_unit_gaussians", "variational_bound", "optimal_critic",
                     "fit_variational_bound", "gan_generator_loss", "FGANModel"],
    "vegan_map": ["VEGAN_MAP", "ppca_log_likelihood", "ppca_posterior", "ppca_mle",
                  "LinearVAE", "c_transform", "gaussian_brenier"],
    "train": ["fit", "History", "load_checkpoint"],
    "classifier": ["train_digit_classifier", "classifier_accuracy", "classifier_features"],
    "metrics": [
        "sharpness",
        "sharpness_ratio",
        "w2_to_data",
        "model_w2_to_data",
        "data_floor",
        "frechet_distance",
        "frechet_classifier_distance",
        "precision_recall",
    ],
    "recipes": ["RECIPES", "SCOREBOARD", "build", "settings", "train", "score",
                "diagnostics", "protocol_table", "fingerprint", "Recipe", "FAMILIES"],
    "scoring": ["score", "diagnostics", "data_floors", "fcd_drift", "cross_seed_count",
                "split_floor_digits"],
    "protocol": ["ModelFacts", "GaussianPriorMixin", "GeneratorCriticModel"],
    "explorers": ["SinkhornExplorer", "POTRelaxationExplorer", "AAESigmaExplorer",
                  "CriticExplorer"],
}


@pytest.mark.parametrize("module", sorted(PROMISED))
def test_module_exports_the_promised_names(module):
    mod = importlib.import_module(f"vegan_lib.{module}")
    missing = [name for name in PROMISED[module] if name not in getattr(mod, "__all__", [])]
    assert not missing, f"vegan_lib.{module} does not export {missing}"


def test_top_level_reexports_resolve_to_the_module_objects():
    for name in vegan_lib.__all__:
        obj = getattr(vegan_lib, name)
        if isinstance(obj, types.ModuleType):
            assert obj.__name__ == f"vegan_lib.{name}", name
            continue
        home = getattr(obj, "__module__", None)
        if home is None:  # a constant (a dict, a float): find the module that defines it
            assert any(
                getattr(importlib.import_module(f"vegan_lib.{m}"), name, None) is obj
                for m in PROMISED
            ), name
            continue
        assert getattr(importlib.import_module(home), name) is obj, name


def _notebook_code(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_import_only_public_names(notebook):
    # Every `from vegan_lib[.module] import a, b` names public modules and exported names.
    code = _notebook_code(notebook)
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("!", "%")))
    tree = ast.parse(code)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vegan_lib"):
            mod = importlib.import_module(node.module)
            if any(part.startswith("_") for part in node.module.split(".")):
                bad.append(node.module)
            exported = set(getattr(mod, "__all__", []))
            folder = PACKAGE / node.module.replace("vegan_lib", "").strip(".").replace(".", "/")
            submodules = {p.stem for p in folder.glob("*.py")} | {
                p.parent.name for p in folder.glob("*/__init__.py")}
            bad += [f"{node.module}.{a.name}" for a in node.names
                    if a.name not in exported and a.name not in submodules]
    assert not bad, f"{notebook.name} imports private or unexported names: {bad}"


def _library_sources():
    return sorted(PACKAGE.rglob("*.py"))


def _functions(tree: ast.AST):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_no_public_validator_outside_checks():
    # A public check_* is a shared validator and lives in vegan_lib/_checks; a check that
    # serves one module lives in that module, private (def _check...).
    offenders = [
        f"{p.relative_to(ROOT)}:{f.lineno} {f.name}"
        for p in _library_sources()
        if p.parent.name != "_checks"
        for f in _functions(ast.parse(p.read_text()))
        if re.match(r"check(_|$)", f.name)
    ]
    assert not offenders, (
        f"public validators outside vegan_lib/_checks: {offenders}; a check that one module "
        "uses belongs in that module as a private def _check_...; one that several use, in "
        "vegan_lib/_checks"
    )


def _checks_calls() -> tuple[dict[str, set[str]], set[str]]:
    """The functions defined in vegan_lib/_checks, each with the names its body uses, and
    the names that the modules outside _checks import from _checks (the re-exports of
    _checks/__init__.py and the examples in docstrings do not count as uses)."""
    calls: dict[str, set[str]] = {}
    imported: set[str] = set()
    for p in _library_sources():
        tree = ast.parse(p.read_text())
        if p.parent.name == "_checks":
            for f in tree.body:
                if isinstance(f, ast.FunctionDef):
                    calls[f.name] = {n.id for n in ast.walk(f) if isinstance(n, ast.Name)}
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "vegan_lib._checks"):
                imported.update(alias.name for alias in node.names)
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id == "_checks"):
                imported.add(node.attr)
    return calls, imported


def test_every_function_in_checks_is_used():
    # No unused validators: each function of vegan_lib/_checks serves a module of the
    # library outside _checks, directly or through the other functions of _checks.
    calls, imported = _checks_calls()
    used, todo = set(), [name for name in imported if name in calls]
    while todo:
        name = todo.pop()
        if name not in used:
            used.add(name)
            todo += [other for other in calls[name] if other in calls]
    unused = sorted(set(calls) - used)
    assert not unused, (
        f"functions in vegan_lib/_checks that no module of the library uses: {unused}; delete "
        "them (a check that only tests call is not part of the library)"
    )


def test_train_holds_the_only_training_loop():
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in _library_sources()
        if p.name != "train.py"
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if ".backward(" in line and not line.lstrip().startswith((">>>", "#"))
    ]
    # A notebook may take one gradient to check a theorem (chapter 4); a loop that steps an
    # optimizer after .backward() is training, and belongs in fit.
    offenders += [nb.name for nb in NOTEBOOKS if ".backward(" in _notebook_code(nb)
                  and re.search(r"\.step\(\)", _notebook_code(nb))]
    assert not offenders, f"a training loop outside vegan_lib.train.fit: {offenders}"


@pytest.mark.parametrize("path", _library_sources(), ids=lambda p: p.name)
def test_modules_stay_readable_in_one_sitting(path):
    n = len(path.read_text().splitlines())
    assert n <= 700, f"{path.relative_to(ROOT)} has {n} lines; DESIGN.md asks for at most 700"
