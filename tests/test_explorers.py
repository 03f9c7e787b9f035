"""Tests for vegan_lib.explorers: each explorer's numbers against independent oracles, its
figures, its ipywidgets wiring, and bad input."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import ot  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from oracles import kantorovich_constraints  # noqa: E402
from scipy.optimize import linprog  # noqa: E402

from vegan_lib.explorers import (  # noqa: E402
    AAESigmaExplorer,
    CriticExplorer,
    POTRelaxationExplorer,
    SinkhornExplorer,
    _base,  # noqa: E402
)

F64 = torch.float64


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sinkhorn_problem():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 2, generator=gen, dtype=F64)
    y = torch.randn(5, 2, generator=gen, dtype=F64) + torch.tensor([1.5, 0.0], dtype=F64)
    b = torch.tensor([0.3, 0.1, 0.2, 0.25, 0.15], dtype=F64)
    return x, y, b


@pytest.fixture(scope="module")
def sinkhorn_explorer(sinkhorn_problem):
    x, y, b = sinkhorn_problem
    return SinkhornExplorer(x, y, b=b, eps_range=(0.01, 10.0), curve_points=6)


def _fold(z: torch.Tensor) -> torch.Tensor:
    return torch.stack([1.2 * z[:, 0].abs() - 1.0, z[:, 1] + 0.3 * z[:, 0] ** 2], dim=1)


@pytest.fixture(scope="module")
def pot_problem():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(6, 2, generator=gen, dtype=F64)
    z = torch.randn(5, 2, generator=gen, dtype=F64)
    return x, z


@pytest.fixture(scope="module")
def pot_explorer(pot_problem):
    x, z = pot_problem
    return POTRelaxationExplorer(x, z, _fold, lams=[0.0, 0.5, 2.0])


@pytest.fixture(scope="module")
def aae_batch():
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(8, 1, 4, 4, generator=gen, dtype=F64)
    x_hat = x + 0.3 * torch.randn(8, 1, 4, 4, generator=gen, dtype=F64)
    return x, x_hat


@pytest.fixture(scope="module")
def critic_explorer():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(24, 2, generator=gen)
    y = 0.5 * torch.randn(24, 2, generator=gen) + torch.tensor([2.0, 0.0])
    return CriticExplorer(x, y, clip_values=(0.01, 0.5), gp_weights=(1.0, 10.0), steps=15,
                          hidden=(8,), grid_size=6, progress=False)


# ============================================================================ chapter 1
def test_sinkhorn_explorer_plan_and_cost_match_pots_own_sinkhorn(sinkhorn_problem,
                                                                  sinkhorn_explorer):
    x, y, b = sinkhorn_problem
    a = np.full(len(x), 1 / len(x))
    M = ot.dist(x.numpy(), y.numpy(), metric="sqeuclidean")
    for eps in (1.0, 0.1):
        numbers = sinkhorn_explorer.update(eps)
        P = ot.sinkhorn(a, b.numpy(), M, eps, method="sinkhorn_log", numItermax=20_000,
                        stopThr=1e-12)
        oracle_cost = float((P * M).sum())
        oracle_entropy = float(-(P * (np.log(P) - 1)).sum())
        assert numbers["eps"] == eps
        assert abs(numbers["cost"] - oracle_cost) < 1e-6, (numbers["cost"], oracle_cost)
        assert abs(numbers["entropy"] - oracle_entropy) < 1e-5, (numbers["entropy"], oracle_entropy)
        plan = sinkhorn_explorer.plan(eps).numpy()
        assert np.abs(plan - P).max() < 1e-6


def test_sinkhorn_explorer_plan_has_the_two_weights_as_marginals(sinkhorn_problem,
                                                                  sinkhorn_explorer):
    x, _, b = sinkhorn_problem
    plan = sinkhorn_explorer.plan(0.05)
    assert torch.allclose(plan.sum(1), torch.full((len(x),), 1 / len(x), dtype=F64), atol=1e-8)
    assert torch.allclose(plan.sum(0), b, atol=1e-8)
    assert sinkhorn_explorer.update(0.05)["marginal_error"] < 1e-8


def test_sinkhorn_explorer_exact_cost_is_the_network_simplex_value_and_a_lower_bound(
    sinkhorn_problem, sinkhorn_explorer
):
    x, y, b = sinkhorn_problem
    M = ot.dist(x.numpy(), y.numpy(), metric="sqeuclidean")
    emd = float(ot.emd2(np.full(len(x), 1 / len(x)), b.numpy(), M))
    numbers = sinkhorn_explorer.update(0.5)
    assert abs(numbers["exact_cost"] - emd) < 1e-12, (numbers["exact_cost"], emd)
    assert numbers["cost"] >= emd - 1e-9
    assert math.isclose(numbers["excess"], numbers["cost"] / emd - 1, rel_tol=1e-12)


def test_sinkhorn_explorer_update_redraws_the_plan(sinkhorn_explorer):
    sinkhorn_explorer.update(5.0)
    blurred = sinkhorn_explorer.figure.axes[0].collections[0]
    widths_blurred, title_blurred = blurred.get_linewidths().copy(), _titles(
        sinkhorn_explorer.figure)[0]
    sinkhorn_explorer.update(0.01)
    sharp = sinkhorn_explorer.figure.axes[0].collections[0]
    assert isinstance(sharp, LineCollection)
    # a blurred plan draws more segments than a sharp one, and the title follows eps
    assert len(sharp.get_linewidths()) < len(widths_blurred)
    assert "0.01" in _titles(sinkhorn_explorer.figure)[0] and "5" in title_blurred


def test_sinkhorn_explorer_static_figure_has_one_panel_per_eps_plus_exact_and_curve(
    sinkhorn_explorer,
):
    fig = sinkhorn_explorer.static_figure([2.0, 0.2])
    assert len(fig.axes) == 4
    assert plt.fignum_exists(fig.number)  # a pyplot figure: a notebook cell shows it
    titles = _titles(fig)
    assert "= 2" in titles[0] and "= 0.2" in titles[1] and "exact" in titles[2]


def test_sinkhorn_explorer_legend_of_the_plans_sits_below_every_panel(sinkhorn_explorer):
    # inside a plan panel the legend covered points (chapter 1's static figure)
    for fig in (sinkhorn_explorer.static_figure([1.0, 0.01]), sinkhorn_explorer.figure):
        sinkhorn_explorer.update(0.5)  # a redraw of the live figure keeps one legend
        fig.draw_without_rendering()  # the layout engine places axes and legend
        assert all(ax.get_legend() is None for ax in fig.axes[:-1])  # the curve keeps its own
        assert len(fig.legends) == 1
        texts = [t.get_text() for t in fig.legends[0].get_texts()]
        assert texts == ["plan $\\pi$", "x", "y"]
        box = fig.legends[0].get_window_extent()
        assert all(box.y1 < ax.get_tightbbox().y0 for ax in fig.axes)


@pytest.mark.parametrize("eps", [0.0, -1.0, float("nan"), "a lot"])
def test_sinkhorn_explorer_rejects_a_non_positive_eps(sinkhorn_explorer, eps):
    with pytest.raises(ValueError, match="eps must be a positive"):
        sinkhorn_explorer.update(eps)


def test_building_and_updating_an_explorer_opens_no_pyplot_figure(sinkhorn_problem):
    x, y, b = sinkhorn_problem
    explorer = SinkhornExplorer(x, y, b=b, curve_points=3)
    explorer.update(0.3)
    # the live figure is drawn off pyplot, so the cell that builds an explorer shows nothing
    assert plt.get_fignums() == [] and explorer.figure.axes


def test_sinkhorn_explorer_rejects_bad_ranges_and_points(sinkhorn_problem):
    x, y, _ = sinkhorn_problem
    with pytest.raises(ValueError, match="eps_range must satisfy 0 < low < high"):
        SinkhornExplorer(x, y, eps_range=(1.0, 0.1))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        SinkhornExplorer(torch.zeros(4, 3), y)
    with pytest.raises(ValueError, match=r"values\[1\] must be a positive"):
        SinkhornExplorer(x, y).static_figure([0.1, 0.0])


# ============================================================================ chapter 3
def _relaxation_by_linprog(x, z, lam):
    """D_POT(lam) with TV, written with split slacks q - b = s+ - s- (not the library's form)."""
    C = ot.dist(x.numpy(), _fold(z).numpy(), metric="sqeuclidean")
    n, m = C.shape
    a, b = np.full(n, 1 / n), np.full(m, 1 / m)
    K = kantorovich_constraints(n, m)  # row sums, then column sums, of the plan
    A_eq = np.block([[K[:n], np.zeros((n, 2 * m))], [K[n:], -np.eye(m), np.eye(m)]])
    objective = np.concatenate([C.ravel(), np.full(2 * m, lam / 2)])
    res = linprog(objective, A_eq=A_eq, b_eq=np.concatenate([a, b]), bounds=(0, None),
                  method="highs")
    assert res.status == 0
    return float(res.fun), C


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.3, 2.0])
def test_pot_explorer_value_matches_an_independent_linear_programme(pot_problem, pot_explorer,
                                                                    lam):
    x, z = pot_problem
    oracle, _ = _relaxation_by_linprog(x, z, lam)
    numbers = pot_explorer.update(lam)
    assert abs(numbers["value"] - oracle) < 1e-8, (numbers["value"], oracle)
    assert math.isclose(numbers["value"], numbers["reconstruction"] + lam * numbers["tv"],
                        rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(numbers["gap"], numbers["w"] - numbers["value"], abs_tol=1e-12)


def test_pot_explorer_runs_from_the_nearest_code_to_the_exact_transport_cost(pot_problem,
                                                                             pot_explorer):
    x, z = pot_problem
    _, C = _relaxation_by_linprog(x, z, 0.0)
    nearest = C.min(axis=1).mean()
    emd = float(ot.emd2(np.full(len(x), 1 / len(x)), np.full(len(z), 1 / len(z)), C))
    assert abs(pot_explorer.update(0.0)["value"] - nearest) < 1e-9
    assert abs(pot_explorer.w - emd) < 1e-12
    at_threshold = pot_explorer.update(pot_explorer.threshold)
    assert abs(at_threshold["value"] - emd) < 1e-8, (at_threshold["value"], emd)
    assert pot_explorer.threshold <= pot_explorer.delta + 1e-12


def test_pot_explorer_grid_lookup_equals_a_fresh_solve(pot_problem, pot_explorer):
    x, z = pot_problem
    on_grid = pot_explorer.result(0.5)
    assert on_grid is pot_explorer.results[list(pot_explorer.lams).index(0.5)]
    fresh = POTRelaxationExplorer(x, z, _fold, lams=[1.0]).result(0.5)
    assert abs(float(on_grid.value) - float(fresh.value)) < 1e-10


def test_pot_explorer_update_moves_the_marker_and_retitles(pot_explorer):
    pot_explorer.update(0.0)
    marker_before = pot_explorer.figure.axes[0].lines[-1].get_xydata().copy()
    pot_explorer.update(2.0)
    marker_after = pot_explorer.figure.axes[0].lines[-1].get_xydata()
    assert not np.allclose(marker_before, marker_after)
    assert "2" in _titles(pot_explorer.figure)[1]


def test_pot_explorer_static_figure_draws_two_panels_per_lambda_and_the_curve(pot_explorer):
    fig = pot_explorer.static_figure([0.0, 2.0])
    assert len(fig.axes) == 1 + 2 * 2


@pytest.mark.parametrize("values", [[0.0, 2.0], [0.5]])
def test_pot_explorer_static_figure_without_the_curve_draws_the_panels_only(pot_explorer,
                                                                           values):
    with_curve = pot_explorer.static_figure(values)
    without = pot_explorer.static_figure(values, curve=False)
    assert len(without.axes) == 2 * len(values) == len(with_curve.axes) - 1
    # the panels are the same plans and Q_Z, in the same order
    titles = [ax.get_title() for ax in without.axes]
    assert titles == [ax.get_title() for ax in with_curve.axes[1:]], titles
    # the next figure draws the curve again: the keyword does not stick
    assert len(pot_explorer.static_figure(values).axes) == len(with_curve.axes)


@pytest.mark.parametrize("curve", [1, "no", None])
def test_pot_explorer_static_figure_rejects_a_curve_that_is_not_a_bool(pot_explorer, curve):
    with pytest.raises(ValueError, match="curve must be True or False"):
        pot_explorer.static_figure([0.0], curve=curve)


@pytest.mark.parametrize("lam", [-0.1, float("inf"), None])
def test_pot_explorer_rejects_a_negative_or_non_finite_lambda(pot_explorer, lam):
    with pytest.raises(ValueError, match="lam must be a"):
        pot_explorer.update(lam)


def test_pot_explorer_rejects_a_generator_that_leaves_the_plane(pot_problem):
    x, z = pot_problem
    with pytest.raises(ValueError, match=r"G\(z\) must be points of the plane"):
        POTRelaxationExplorer(x, z, lambda t: torch.cat([t, t], dim=1), lams=[0.0])
    with pytest.raises(ValueError, match="lams is empty"):
        POTRelaxationExplorer(x, z, _fold, lams=[])


# ============================================================================ chapter 4
@pytest.mark.parametrize("sigma2", [1e-3, 0.1, 1.0, 7.5])
def test_aae_explorer_pot_weight_is_two_sigma2_lam_aae(aae_batch, sigma2):
    x, x_hat = aae_batch
    numbers = AAESigmaExplorer(x, x_hat, penalty=0.7, lam_aae=5.0).update(sigma2)
    assert math.isclose(numbers["lam"], 2 * sigma2 * 5.0, rel_tol=1e-15)
    assert math.isclose(numbers["gradient_factor"], 1 / (2 * sigma2), rel_tol=1e-15)


@pytest.mark.parametrize("sigma2", [0.01, 0.1, 2.0])
def test_aae_explorer_losses_match_a_gaussian_log_density_and_the_affine_identity(aae_batch,
                                                                                   sigma2):
    x, x_hat = aae_batch
    D, lam_aae = 0.7, 5.0
    numbers = AAESigmaExplorer(x, x_hat, penalty=D, lam_aae=lam_aae).update(sigma2)
    log_density = torch.distributions.Normal(x_hat, math.sqrt(sigma2)).log_prob(x)
    aae_oracle = float(-log_density.sum((1, 2, 3)).mean()) + lam_aae * D
    cost = float(((x - x_hat) ** 2).sum((1, 2, 3)).mean())
    pot_oracle = cost + 2 * sigma2 * lam_aae * D
    constant = 16 / 2 * math.log(2 * math.pi * sigma2)
    assert math.isclose(numbers["aae_loss"], aae_oracle, rel_tol=1e-12), (numbers, aae_oracle)
    assert math.isclose(numbers["pot_loss"], pot_oracle, rel_tol=1e-12)
    assert math.isclose(numbers["aae_from_pot"], pot_oracle / (2 * sigma2) + constant,
                        rel_tol=1e-12)
    assert math.isclose(numbers["aae_loss"], numbers["aae_from_pot"], rel_tol=1e-12)


def test_aae_explorer_update_redraws_the_line_with_the_new_slope(aae_batch):
    x, x_hat = aae_batch
    explorer = AAESigmaExplorer(x, x_hat, penalty=0.7)
    explorer.update(0.01)
    slope_before = np.polyfit(*explorer.figure.axes[0].lines[0].get_data(), 1)[0]
    explorer.update(1.0)
    slope_after = np.polyfit(*explorer.figure.axes[0].lines[0].get_data(), 1)[0]
    assert math.isclose(slope_before, 50.0, rel_tol=1e-9)
    assert math.isclose(slope_after, 0.5, rel_tol=1e-9)
    assert len(explorer.static_figure([0.01, 1.0]).axes) == 3


def test_aae_explorer_rejects_bad_input(aae_batch):
    x, x_hat = aae_batch
    explorer = AAESigmaExplorer(x, x_hat, penalty=0.7)
    with pytest.raises(ValueError, match="sigma2 must be a positive"):
        explorer.update(0.0)
    with pytest.raises(ValueError, match="same non-empty shape"):
        AAESigmaExplorer(x, x_hat[:3], penalty=0.7)
    with pytest.raises(ValueError, match="penalty must be a finite number >= 0"):
        AAESigmaExplorer(x, x_hat, penalty=-0.1)
    with pytest.raises(ValueError, match="lam_aae must be a finite number >= 0"):
        AAESigmaExplorer(x, x_hat, penalty=0.7, lam_aae=-1.0)
    with pytest.raises(ValueError, match="sigma2_range must satisfy"):
        AAESigmaExplorer(x, x_hat, penalty=0.7, sigma2_range=(0.0, 1.0))


# ============================================================================ chapter 6
def test_critic_explorer_exact_w1_is_the_network_simplex_value(critic_explorer):
    x, y = critic_explorer.x.double().numpy(), critic_explorer.y.double().numpy()
    M = ot.dist(x, y, metric="euclidean")
    emd = float(ot.emd2(np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y)), M))
    assert abs(critic_explorer.exact_w1 - emd) < 1e-9, (critic_explorer.exact_w1, emd)


def test_critic_explorer_runs_certify_what_their_networks_compute(critic_explorer):
    x, y = critic_explorer.x, critic_explorer.y
    points = torch.cat([x, y]).double().numpy()
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    off_diagonal = ~np.eye(len(points), dtype=bool)
    for run in critic_explorer.runs.values():
        with torch.no_grad():
            fx, fy = run.network(x).double().numpy(), run.network(y).double().numpy()
        f = np.concatenate([fx, fy])
        lipschitz = (np.abs(f[:, None] - f[None])[off_diagonal] / distances[off_diagonal]).max()
        estimate = fx.mean() - fy.mean()
        assert abs(run.estimate - estimate) < 1e-5, (run.critic, run.estimate, estimate)
        assert abs(run.lipschitz - lipschitz) < 1e-5 * max(1.0, lipschitz)
        assert run.bound <= critic_explorer.exact_w1 + 1e-9, (run.critic, run.bound)
        numbers = critic_explorer.update(run.critic, run.setting)
        assert numbers["estimate"] == run.estimate and numbers["bound"] == run.bound


def test_critic_explorer_clipped_weights_stay_within_the_clip_value(critic_explorer):
    for c in critic_explorer.grid["clip"]:
        run = critic_explorer.run("clip", c)
        largest = max(p.abs().max().item() for p in run.network.parameters())
        assert largest <= c + 1e-7, (c, largest)


def test_critic_explorer_defaults_and_grid_are_the_papers_choices(critic_explorer):
    assert critic_explorer.run("clip").setting == 0.01
    assert critic_explorer.run("gp").setting == 10.0
    assert critic_explorer.run("sn").setting is None
    assert critic_explorer.update("sn")["critic"] == "sn"


def test_critic_explorer_leaves_the_global_random_state_alone():
    x, y = torch.randn(8, 2), torch.randn(8, 2) + 1
    state = torch.get_rng_state()
    CriticExplorer(x, y, clip_values=(0.1,),
                   gp_weights=(10.0,), steps=2, hidden=(4,), grid_size=3, progress=False)
    assert torch.equal(state, torch.get_rng_state())


def test_critic_explorer_rejects_unknown_critics_and_off_grid_settings(critic_explorer):
    with pytest.raises(ValueError, match="unknown critic 'wgan'"):
        critic_explorer.update("wgan")
    with pytest.raises(ValueError, match="was not precomputed"):
        critic_explorer.update("gp", 3.0)
    with pytest.raises(ValueError, match="spectral normalisation has no setting"):
        critic_explorer.update("sn", 1.0)
    with pytest.raises(ValueError, match=r"clip_values\[0\] must be a positive"):
        CriticExplorer(torch.zeros(3, 2), torch.ones(3, 2), clip_values=(0.0,))


def test_critic_explorer_static_figure_shows_each_critic_and_a_summary(critic_explorer):
    fig = critic_explorer.static_figure([("clip", 0.5), ("sn", None)])
    assert len(fig.axes) == 3
    assert "c = 0.5" in _titles(fig)[0] and "spectral" in _titles(fig)[1]


# ============================================================================ bad input
@pytest.mark.filterwarnings("error")
def test_critic_explorer_with_identical_samples_reports_nan_ratios_and_still_draws():
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(4))
    oracle = float(ot.emd2(np.full(6, 1 / 6), np.full(6, 1 / 6),
                           ot.dist(x.double().numpy(), x.double().numpy(), metric="euclidean")))
    explorer = CriticExplorer(x, x.clone(), clip_values=(0.1,), gp_weights=(10.0,), steps=3,
                              hidden=(4,), grid_size=4, progress=False)
    assert explorer.exact_w1 == oracle == 0.0
    for critic in ("clip", "gp", "sn"):
        numbers = explorer.update(critic)
        # W1 = 0: no ratio to W1 exists, and the same sample on both sides scores zero
        assert math.isnan(numbers["estimate_ratio"]) and math.isnan(numbers["bound_ratio"])
        assert abs(numbers["estimate"]) < 1e-6 and abs(numbers["bound"]) < 1e-6, numbers
    assert len(explorer.static_figure([("gp", 10.0), ("sn", None)]).axes) == 3


def test_aae_explorer_rejects_nan_in_x_or_x_hat_naming_it(aae_batch):
    x, x_hat = aae_batch
    bad = x.clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"^x contains 1 NaN or infinite"):
        AAESigmaExplorer(bad, x_hat, penalty=0.7)
    with pytest.raises(ValueError, match=r"^x_hat contains 1 NaN or infinite"):
        AAESigmaExplorer(x, bad, penalty=0.7)


def test_explorers_reject_complex_input_naming_it(sinkhorn_problem, pot_problem, aae_batch):
    x, y, _ = sinkhorn_problem
    with pytest.raises(ValueError, match="x is complex"):
        SinkhornExplorer(x.numpy() + 1j, y)
    with pytest.raises(ValueError, match="y is complex"):
        CriticExplorer(x, y.to(torch.complex128), steps=1, progress=False)
    px, z = pot_problem
    with pytest.raises(ValueError, match="z is complex"):
        POTRelaxationExplorer(px, z.numpy() * 1j, _fold, lams=[0.0])
    xa, x_hat = aae_batch
    with pytest.raises(ValueError, match="x is complex"):
        AAESigmaExplorer(xa.to(torch.complex128), x_hat, penalty=0.7)


def test_every_static_figure_rejects_an_empty_list_of_settings(sinkhorn_explorer, pot_explorer,
                                                               critic_explorer, aae_batch):
    aae = AAESigmaExplorer(*aae_batch, penalty=0.7)
    for explorer in (sinkhorn_explorer, pot_explorer, aae, critic_explorer):
        with pytest.raises(ValueError, match="values is empty"):
            explorer.static_figure([])


# ================================================================ bad input, table-driven
# Each call gets a ValueError naming the argument the caller typed (under the caller's name:
# eps, not reg; values[1], not eps) and the fix, never a deep torch or Python error. The
# constructors refuse before training or solving anything. The first seven rows are the
# reproducers of issue 23; before the fix they gave: a message naming reg; "could not convert
# string to float"; "only one element tensors ..."; two TypeErrors; "unhashable type"; and a
# silent score of integer images on their 0-255 scale.
_S = torch.randn(5, 2, generator=torch.Generator().manual_seed(5), dtype=F64)
_IMAGES = torch.rand(4, 1, 3, 3, generator=torch.Generator().manual_seed(6), dtype=F64)


def _critic(**kwargs):
    settings = {"clip_values": (0.1,), "gp_weights": (10.0,), "steps": 2, "hidden": (4,),
                "grid_size": 3, "progress": False, **kwargs}
    return CriticExplorer(_S.float(), _S.float() + 1, **settings)


def _aae(x=_IMAGES, x_hat=_IMAGES + 0.1, penalty=0.5, **kwargs):
    return AAESigmaExplorer(x, x_hat, penalty, **kwargs)


_BAD_INPUT = [
    # --- the reproducers of the issue
    ("sinkhorn.update(1e-320)", lambda e: e["sinkhorn"].update(1e-320),
     r"^eps=1e-320 is too small for these costs .*raise it, e\.g\. eps=0\.0"),
    ("critic.update('gp', 'ten')", lambda e: e["critic"].update("gp", "ten"),
     r"^setting must be a positive number, got 'ten'; e\.g\. setting="),
    ("AAE penalty of two elements", lambda e: _aae(penalty=torch.tensor([0.5, 0.5])),
     r"^penalty must be one number, got an array of shape \(2,\)"),
    ("POT G=3", lambda e: POTRelaxationExplorer(_S, _S, 3),
     r"^G must be a generator, .* got int; e\.g\. G="),
    ("critic clip_values=0.5", lambda e: _critic(clip_values=0.5),
     r"^clip_values must be a sequence .* got float 0\.5; e\.g\. clip_values=\("),
    ("critic.update(['gp'])", lambda e: e["critic"].update(["gp"]),
     r"^unknown critic \['gp'\]; critic must be one of \['clip', 'gp', 'sn'\]"),
    ("AAE integer images", lambda e: _aae((255 * _IMAGES).long(), (255 * _IMAGES).long()),
     r"^x must be a floating-point tensor, got dtype torch\.int64.*x\.float\(\) / 255"),
    # --- SinkhornExplorer
    ("sinkhorn.update(10**400)", lambda e: e["sinkhorn"].update(10**400), r"^eps is too large"),
    ("sinkhorn.update(complex tensor)", lambda e: e["sinkhorn"].update(torch.tensor(1 + 1j)),
     r"^eps must be a positive number, got a Tensor of dtype torch\.complex64"),
    ("sinkhorn.update(bool tensor)", lambda e: e["sinkhorn"].update(torch.tensor(True)),
     r"^eps must be a positive number, got a Tensor of dtype torch\.bool"),
    ("sinkhorn.update(two-element tensor)",
     lambda e: e["sinkhorn"].update(torch.tensor([0.1, 0.2])), r"^eps must be one number"),
    ("Sinkhorn eps=1e-320", lambda e: SinkhornExplorer(_S, _S + 1, eps=1e-320),
     r"^eps=1e-320 is too small"),
    ("Sinkhorn eps_range from 1e-320", lambda e: SinkhornExplorer(_S, _S + 1,
                                                                  eps_range=(1e-320, 1.0)),
     r"^the low end of eps_range, 1e-320, is too small .*e\.g\. eps_range=\("),
    ("Sinkhorn p=complex tensor", lambda e: SinkhornExplorer(_S, _S + 1, p=torch.tensor(2j)),
     r"^p must be a real number >= 1, got a Tensor of dtype torch\.complex64"),
    ("Sinkhorn p=10**400", lambda e: SinkhornExplorer(_S, _S + 1, p=10**400),
     r"^p is too large"),
    ("sinkhorn.static_figure(0.5)", lambda e: e["sinkhorn"].static_figure(0.5),
     r"^values must be a sequence of settings .* got float 0\.5"),
    ("sinkhorn.static_figure([1, 1e-320])",
     lambda e: e["sinkhorn"].static_figure([1.0, 1e-320]), r"^values\[1\]=1e-320 is too small"),
    # --- POTRelaxationExplorer
    ("POT G=None", lambda e: POTRelaxationExplorer(_S, _S, None), r"^G must be a generator"),
    ("POT z='abc'", lambda e: POTRelaxationExplorer(_S, "abc", _fold),
     r"^z could not be read as latent atoms"),
    ("POT z=None", lambda e: POTRelaxationExplorer(_S, None, _fold),
     r"^z could not be read as latent atoms"),
    ("POT ragged z", lambda e: POTRelaxationExplorer(_S, [[1.0], [1.0, 2.0]], _fold),
     r"^z could not be read as latent atoms"),
    ("POT empty z", lambda e: POTRelaxationExplorer(_S, _S[:0], _fold),
     r"^z must hold latent atoms of shape \(m, d_z\).* got shape \(0, 2\)"),
    ("POT G fails on z", lambda e: POTRelaxationExplorer(_S, _S, torch.nn.Linear(2, 2)),
     r"^G\(z\) failed on z of shape \(5, 2\) and dtype torch\.float64 \(RuntimeError: "),
    ("POT lams=1.0", lambda e: POTRelaxationExplorer(_S, _S, _fold, lams=1.0),
     r"^lams must be a sequence of settings"),
    ("POT lams='ab'", lambda e: POTRelaxationExplorer(_S, _S, _fold, lams="ab"),
     r"^lams must be a sequence of settings"),
    ("POT lams=[0, nan]", lambda e: POTRelaxationExplorer(_S, _S, _fold, lams=[0.0, math.nan]),
     r"^lams\[1\] must be a finite number >= 0, got nan"),
    ("POT lam=10**400", lambda e: POTRelaxationExplorer(_S, _S, _fold, lams=[0.0], lam=10**400),
     r"^lam is too large"),
    ("POT p=bool tensor", lambda e: POTRelaxationExplorer(_S, _S, _fold, p=torch.tensor(True)),
     r"^p must be a real number >= 1, got a Tensor of dtype torch\.bool"),
    ("pot.update(complex tensor)", lambda e: e["pot"].update(torch.tensor(1 + 1j)),
     r"^lam must be a number >= 0, got a Tensor of dtype torch\.complex64"),
    ("pot.static_figure(0-d tensor)", lambda e: e["pot"].static_figure(torch.tensor(1.0)),
     r"^values must be a sequence of settings"),
    # --- AAESigmaExplorer
    ("aae.update(1e-320)", lambda e: e["aae"].update(1e-320),
     r"^sigma2=1e-320 is too small for this batch: .* raise it"),
    ("aae.update(1e308)", lambda e: e["aae"].update(1e308),
     r"^sigma2=1e\+308 is too large for this batch: .* lower it"),
    ("aae.update(bool tensor)", lambda e: e["aae"].update(torch.tensor(True)),
     r"^sigma2 must be a positive number, got a Tensor of dtype torch\.bool"),
    ("AAE uint8 x_hat", lambda e: _aae(x_hat=(255 * _IMAGES).to(torch.uint8)),
     r"^x_hat must be a floating-point tensor, got dtype torch\.uint8"),
    ("AAE boolean x", lambda e: _aae(x=_IMAGES > 0.5), r"^x must be a floating-point tensor"),
    ("AAE NumPy x", lambda e: _aae(x=_IMAGES.numpy()),
     r"^x must be a tensor of shape \(N, \.\.\.\), got ndarray"),
    ("AAE samples of no values", lambda e: _aae(torch.ones(3, 0), torch.zeros(3, 0)),
     r"samples of no coordinates"),
    ("AAE costs overflow", lambda e: _aae(x=1e200 * _IMAGES),
     r"^the squared costs .* overflows torch\.float64: x has entries"),
    ("AAE penalty=1e308", lambda e: _aae(penalty=1e308),
     r"^lam_aae \* penalty = 5 \* 1e\+308 overflows"),
    ("AAE penalty=10**400", lambda e: _aae(penalty=10**400), r"^penalty is too large"),
    ("AAE lam_aae=complex tensor", lambda e: _aae(lam_aae=torch.tensor(1j)),
     r"^lam_aae must be a number >= 0, got a Tensor of dtype torch\.complex64"),
    ("AAE sigma2_range from 1e-320", lambda e: _aae(sigma2_range=(1e-320, 1.0)),
     r"^the low end of sigma2_range, 1e-320, is too small"),
    ("aae.static_figure([0.1, 1e308])", lambda e: e["aae"].static_figure([0.1, 1e308]),
     r"^values\[1\]=1e\+308 is too large"),
    # --- CriticExplorer (each refused before any critic is trained)
    ("critic gp_weights=None", lambda e: _critic(gp_weights=None),
     r"^gp_weights must be a sequence"),
    ("critic gp_weights='10'", lambda e: _critic(gp_weights="10"),
     r"^gp_weights must be a sequence"),
    ("critic clip_values=0-d tensor", lambda e: _critic(clip_values=torch.tensor(0.1)),
     r"^clip_values must be a sequence"),
    ("critic clip_values=[nan]", lambda e: _critic(clip_values=[math.nan]),
     r"^clip_values\[0\] must be a positive finite number, got nan"),
    ("critic gp_weights=[]", lambda e: _critic(gp_weights=[]), r"^gp_weights is empty"),
    ("critic gp_weights=[1e308]", lambda e: _critic(gp_weights=[1e308]),
     r"^gp_weights\[0\]=1e\+308 is too large: .*float32"),
    ("critic steps='200'", lambda e: _critic(steps="200"),
     r"^steps must be a positive integer, got '200'"),
    ("critic steps=None", lambda e: _critic(steps=None), r"^steps must be a positive integer"),
    ("critic steps=1e308", lambda e: _critic(steps=1e308), r"^steps must be a positive integer"),
    ("critic seed='0'", lambda e: _critic(seed="0"), r"^seed must be an integer, got '0'"),
    ("critic seed=nan", lambda e: _critic(seed=math.nan), r"^seed must be an integer, got nan"),
    ("critic seed=None", lambda e: _critic(seed=None), r"^seed must be an integer, got None"),
    ("critic lr=complex tensor", lambda e: _critic(lr=torch.tensor(1j)),
     r"^lr must be a positive number, got a Tensor of dtype torch\.complex64"),
    ("critic lr=10**400", lambda e: _critic(lr=10**400), r"^lr is too large"),
    ("critic progress='yes'", lambda e: _critic(progress="yes"),
     r"^progress must be True or False, got 'yes'"),
    ("critic.update('gp', [10.0])", lambda e: e["critic"].update("gp", [10.0]),
     r"^setting must be a positive number, got \[10\.0\]"),
    ("critic.update('gp', nan)", lambda e: e["critic"].update("gp", math.nan),
     r"^setting must be a positive finite number, got nan"),
    ("critic.update('gp', True)", lambda e: e["critic"].update("gp", True),
     r"^setting must be a positive number, got True"),
    ("critic.update({})", lambda e: e["critic"].update({}), r"^unknown critic \{\}; critic"),
    ("critic.update(array)", lambda e: e["critic"].update(np.array(["gp"])),
     r"^unknown critic array\(\['gp'\]"),
    ("critic.static_figure('gp')", lambda e: e["critic"].static_figure("gp"),
     r"^values must be a sequence of settings"),
    ("critic.static_figure(['gp'])", lambda e: e["critic"].static_figure(["gp"]),
     r"^values\[0\] must be a pair \(critic, setting\), got 'gp'"),
    ("critic.static_figure([('gp', 'ten')])",
     lambda e: e["critic"].static_figure([("gp", "ten")]),
     r"^values\[0\]\[1\] must be a positive number, got 'ten'"),
    ("critic.static_figure([(['gp'], 1.0)])",
     lambda e: e["critic"].static_figure([(["gp"], 1.0)]),
     r"^unknown critic \['gp'\]; values\[0\]\[0\] must be one of"),
]


@pytest.fixture(scope="module")
def explorers(sinkhorn_explorer, pot_explorer, critic_explorer, aae_batch):
    return {"sinkhorn": sinkhorn_explorer, "pot": pot_explorer, "critic": critic_explorer,
            "aae": AAESigmaExplorer(*aae_batch, penalty=0.7)}


@pytest.mark.parametrize(("call", "message"), [case[1:] for case in _BAD_INPUT],
                         ids=[case[0] for case in _BAD_INPUT])
def test_explorers_refuse_bad_input_naming_the_argument(explorers, call, message):
    with pytest.raises(ValueError, match=message):
        call(explorers)


def _state(explorer):
    """What an update changes: the numbers shown and what the live figure draws."""
    lines = [line.get_xydata().tolist() for ax in explorer.figure.axes for line in ax.lines]
    return repr(explorer.values), _titles(explorer.figure), lines


@pytest.mark.parametrize(("name", "shown", "refused"), [
    ("sinkhorn", (0.5,), [(1e-320,), ("0.1",), (torch.tensor([0.1, 0.2]),)]),
    ("pot", (2.0,), [(-1.0,), (math.inf,), (torch.tensor(1j),)]),
    ("aae", (1.0,), [(1e308,), (1e-320,), (0.0,)]),
    ("critic", ("clip", 0.5), [(["gp"],), ("gp", "ten"), ("gp", 3.0), ("sn", 1.0)]),
])
def test_a_refused_update_leaves_the_explorer_as_it_was(explorers, name, shown, refused):
    explorer = explorers[name]
    numbers = explorer.update(*shown)
    before = _state(explorer)
    for args in refused:
        with pytest.raises(ValueError):
            explorer.update(*args)
        assert _state(explorer) == before, (name, args)
    assert explorer.values == numbers


def test_critic_explorer_names_the_setting_whose_training_diverged():
    # fit_critic's own advice ("lower ... λ (lam)") names an argument the explorer has not
    with pytest.raises(RuntimeError, match=r"^the gradient penalty critic \(gp_weights entry "
                       r"10\) diverged in training .*lower lr \(lr=1e\+10\) or that entry"):
        _critic(lr=1e10, steps=20)


def test_critic_explorer_finds_a_grid_setting_given_in_float32(critic_explorer):
    # 0.01 read from a float32 tensor is 0.0099999998: still the grid's 0.01
    assert critic_explorer.update("clip", torch.tensor(0.01))["setting"] == 0.01


# ============================================================================ the widgets
@pytest.fixture
def _small_images(monkeypatch):
    # The widget's PNG is the slow part of a refresh; a low resolution keeps the tests quick.
    monkeypatch.setattr(_base, "_PNG_DPI", 15)


@pytest.mark.usefixtures("_small_images")
def test_each_widget_is_a_vbox_whose_slider_calls_update(sinkhorn_explorer, pot_explorer,
                                                         aae_batch):
    x, x_hat = aae_batch
    aae = AAESigmaExplorer(x, x_hat, penalty=0.7)
    cases = [(sinkhorn_explorer, "eps", ipywidgets.FloatLogSlider, 0.1, 1.0),
             (pot_explorer, "lam", ipywidgets.SelectionSlider, 0.5, 2.0),
             (aae, "sigma2", ipywidgets.FloatLogSlider, 0.1, 1.0)]
    for explorer, name, kind, old, new in cases:
        explorer.update(old)
        box = explorer.widget()
        assert isinstance(box, ipywidgets.VBox)
        slider = explorer.controls[name]
        assert isinstance(slider, kind)
        before = explorer.image.value
        slider.value = new
        assert math.isclose(explorer.values[name], new, rel_tol=1e-9), (name, explorer.values)
        assert explorer.image.value != before
        assert f"{new:.4g}" in explorer.numbers.value


@pytest.mark.usefixtures("_small_images")
def test_critic_widget_dropdown_swaps_the_grid_and_the_slider_picks_a_setting(critic_explorer):
    box = critic_explorer.widget()
    assert isinstance(box, ipywidgets.VBox)
    dropdown, slider = critic_explorer.controls["critic"], critic_explorer.controls["setting"]
    assert isinstance(dropdown, ipywidgets.Dropdown)
    dropdown.value = "clip"
    assert [label for label, _ in slider.options] == ["0.01", "0.5"]
    assert critic_explorer.values["critic"] == "clip"
    assert critic_explorer.values["setting"] == 0.01
    slider.value = 1  # the second clip value
    assert critic_explorer.values["setting"] == 0.5
    dropdown.value = "sn"
    assert slider.disabled and critic_explorer.values["critic"] == "sn"


def test_static_figures_fit_the_book_column_whatever_the_number_of_settings(
        sinkhorn_explorer, pot_explorer, critic_explorer, aae_batch):
    # The book's column shows a figure at most STATIC_MAX_WIDTH inches wide with legible
    # (>= 8 px) tick labels; more settings add rows, not width.
    aae = AAESigmaExplorer(*aae_batch, penalty=0.7)
    cases = [(sinkhorn_explorer, [1.0, 0.3, 0.1, 0.03, 0.01]), (pot_explorer, [0.0, 0.5, 1.0, 2.0]),
             (aae, [0.01, 0.1, 1.0, 3.0]),
             (critic_explorer, [("clip", 0.5), ("sn", None), ("clip", 0.5)])]
    for explorer, values in cases:
        for n in (1, 3, len(values)):
            fig = explorer.static_figure(values[:n])
            width, height = fig.get_size_inches()
            name = type(explorer).__name__
            assert width <= _base.STATIC_MAX_WIDTH, f"{name}, {n} settings: {width} in wide"
            assert height <= 12.0, f"{name}, {n} settings: {height} in high"
            plt.close(fig)
