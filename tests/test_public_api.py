"""The public names promised by DESIGN.md exist where the book imports them from."""

from __future__ import annotations

import importlib

import pytest

import vegan_lib

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
    ],
    "plotting": ["set_theme", "plot_coupling", "image_grid", "plot_2d"],
    "theory": ["encoder_form"],
    "divergences": ["mmd2"],
    "models": ["POTModel"],
    "train": ["fit"],
    "metrics": [
        "sharpness",
        "w2_to_data",
        "data_floor",
        "frechet_distance",
        "train_digit_classifier",
        "classifier_accuracy",
        "frechet_classifier_distance",
    ],
    "duality": ["kantorovich_potentials", "pot_wgan_dual_lp"],
}


@pytest.mark.parametrize("module", sorted(PROMISED))
def test_module_exports_the_promised_names(module):
    mod = importlib.import_module(f"vegan_lib.{module}")
    missing = [name for name in PROMISED[module] if name not in getattr(mod, "__all__", [])]
    assert not missing, f"vegan_lib.{module} does not export {missing}"


def test_top_level_reexports_resolve_to_the_module_objects():
    for name in vegan_lib.__all__:
        obj = getattr(vegan_lib, name)
        home = importlib.import_module(obj.__module__)
        assert getattr(home, name) is obj, name
