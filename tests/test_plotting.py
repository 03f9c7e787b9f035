"""Tests for vegan_lib.plotting: every function returns Axes, draws what it says, checks input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from vegan_lib.plotting import (  # noqa: E402
    PALETTE,
    image_grid,
    plain_log_axis,
    plot_2d,
    plot_coupling,
    plot_history,
    save_image_grid,
    set_theme,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _line_collections(ax: Axes) -> list[LineCollection]:
    return [c for c in ax.collections if isinstance(c, LineCollection)]


# ----------------------------------------------------------------------------- theme
def test_set_theme_sets_the_figure_size_and_palette_is_a_list_of_hex_colours():
    with matplotlib.rc_context():  # keep the theme from leaking into other tests
        set_theme()
        assert list(matplotlib.rcParams["figure.figsize"]) == [5.0, 4.0]
        assert matplotlib.rcParams["axes.grid"], "whitegrid style should turn the grid on"
    assert isinstance(PALETTE, list) and len(PALETTE) >= 8
    assert all(c.startswith("#") and len(c) == 7 for c in PALETTE), PALETTE


# ----------------------------------------------------------------------------- plot_2d
def test_plot_2d_returns_axes_with_one_scatter_per_cloud_and_the_labels_in_the_legend():
    ax = plot_2d(np.zeros((5, 2)), torch.ones(3, 2), labels=["data", "model"], title="t")
    assert isinstance(ax, Axes)
    assert [len(c.get_offsets()) for c in ax.collections] == [5, 3]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["data", "model"]
    assert ax.get_title() == "t" and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_aspect() == 1.0


def test_plot_2d_gives_each_cloud_the_next_palette_colour():
    ax = plot_2d(np.zeros((2, 2)), np.ones((2, 2)), np.full((2, 2), 2.0))
    colours = [to_hex(c.get_facecolor()[0]) for c in ax.collections]
    assert colours == PALETTE[:3], (colours, PALETTE[:3])


def test_plot_2d_without_labels_draws_no_legend():
    assert plot_2d(np.zeros((2, 2))).get_legend() is None


def test_plot_2d_accepts_tensors_that_require_grad_and_draws_their_values():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    ax = plot_2d(x * 2)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[2.0, 4.0], [6.0, 8.0]])


def test_plot_2d_draws_on_the_given_axes():
    _, ax = plt.subplots()
    assert plot_2d(np.zeros((2, 2)), ax=ax) is ax


def test_plot_2d_rejects_clouds_that_are_not_n_by_2():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot_2d(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot_2d(np.zeros(4))


def test_plot_2d_rejects_no_cloud_and_a_wrong_number_of_labels():
    with pytest.raises(ValueError, match="at least one point cloud"):
        plot_2d()
    with pytest.raises(ValueError, match="one label per cloud"):
        plot_2d(np.zeros((2, 2)), labels=["a", "b"])


# ----------------------------------------------------------------------------- coupling
def test_plot_coupling_draws_one_segment_per_entry_above_the_threshold():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(5, 2))
    plan = rng.uniform(size=(6, 5))
    plan[plan < 0.5] = 0.0
    plan[0, 0] = 1e-12  # below threshold * max: not drawn
    expected = sum(
        1 for i in range(6) for j in range(5) if plan[i, j] > 1e-8 * plan.max()
    )
    ax = plot_coupling(x, y, plan / plan.sum())
    (lines,) = _line_collections(ax)
    assert len(lines.get_segments()) == expected, (len(lines.get_segments()), expected)


def test_plot_coupling_segments_join_x_i_to_y_j_with_width_proportional_to_mass():
    x = np.array([[0.0, 0.0], [0.0, 1.0]])
    y = np.array([[3.0, 0.0], [3.0, 1.0]])
    plan = np.array([[0.0, 0.5], [0.25, 0.0]])
    ax = plot_coupling(torch.tensor(x), torch.tensor(y), torch.tensor(plan), max_width=4.0)
    (lines,) = _line_collections(ax)
    segments = {tuple(map(tuple, s)): w for s, w in
                zip(lines.get_segments(), lines.get_linewidths(), strict=True)}
    assert segments == {((0.0, 0.0), (3.0, 1.0)): 4.0, ((0.0, 1.0), (3.0, 0.0)): 2.0}


def test_plot_coupling_has_a_legend_with_both_cloud_labels_and_equal_aspect():
    x = np.zeros((2, 2))
    ax = plot_coupling(x, x + 1, np.eye(2) / 2, labels=("source", "target"), title="plan")
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "source" in texts and "target" in texts, texts
    assert ax.get_aspect() == 1.0 and ax.get_title() == "plan"


def test_plot_coupling_accepts_tensors_that_require_grad():
    x = torch.zeros(3, 2, requires_grad=True)
    plan = torch.full((3, 4), 1 / 12, requires_grad=True)
    ax = plot_coupling(x, torch.ones(4, 2), plan)
    assert len(_line_collections(ax)[0].get_segments()) == 12


def test_plot_coupling_rejects_a_plan_of_the_wrong_shape_and_suggests_transposing():
    with pytest.raises(ValueError, match=r"\(3, 4\).*transposed"):
        plot_coupling(np.zeros((3, 2)), np.zeros((4, 2)), np.ones((4, 3)))


def test_plot_coupling_rejects_clouds_that_are_not_n_by_2():
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        plot_coupling(np.zeros((3, 3)), np.zeros((4, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"y must have shape \(n, 2\)"):
        plot_coupling(np.zeros((3, 2)), np.zeros(4), np.ones((3, 4)))


def test_plot_coupling_rejects_negative_zero_or_nan_plans_and_bad_thresholds():
    x = np.zeros((2, 2))
    with pytest.raises(ValueError, match="negative entries"):
        plot_coupling(x, x, np.array([[0.6, -0.1], [0.0, 0.5]]))
    with pytest.raises(ValueError, match="no positive entry"):
        plot_coupling(x, x, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        plot_coupling(x, x, np.array([[np.nan, 0.0], [0.0, 0.5]]))
    with pytest.raises(ValueError, match="threshold"):
        plot_coupling(x, x, np.eye(2), threshold=1.5)


# ----------------------------------------------------------------------------- image_grid
@pytest.mark.parametrize(
    ("count", "nrow", "pad", "expected"),
    [
        (6, 3, 1, (2 * 9 + 1, 3 * 9 + 1)),
        (7, 3, 2, (3 * 10 + 2, 3 * 10 + 2)),
        (5, 5, 0, (8, 40)),
        (10, None, 1, (3 * 9 + 1, 4 * 9 + 1)),  # ceil(sqrt(10)) = 4 per row
    ],
)
def test_image_grid_tiles_to_the_expected_pixel_shape(count, nrow, pad, expected):
    ax = image_grid(np.zeros((count, 1, 8, 8)), nrow=nrow, pad=pad)
    assert ax.images[0].get_array().shape == expected


def test_image_grid_places_image_k_in_row_k_div_nrow_and_column_k_mod_nrow():
    images = torch.arange(6, dtype=torch.float32).reshape(6, 1, 1, 1).expand(6, 1, 2, 2) / 10
    canvas = np.asarray(image_grid(images, nrow=3, pad=1, pad_value=-1.0).images[0].get_array())
    for k in range(6):
        top, left = 1 + (k // 3) * 3, 1 + (k % 3) * 3
        np.testing.assert_allclose(canvas[top : top + 2, left : left + 2], k / 10, rtol=1e-6)
    assert (canvas[0] == -1.0).all() and (canvas[:, 0] == -1.0).all()


def test_image_grid_accepts_n_h_w_tensors_that_require_grad_and_turns_the_axis_off():
    images = torch.rand(4, 5, 5, requires_grad=True)
    ax = image_grid(images * 1.0, title="samples")
    assert isinstance(ax, Axes) and not ax.axison and ax.get_title() == "samples"
    assert ax.images[0].get_array().shape == (2 * 6 + 1, 2 * 6 + 1)


def test_image_grid_rejects_bad_shapes_channels_and_arguments():
    with pytest.raises(ValueError, match="one channel"):
        image_grid(np.zeros((4, 3, 8, 8)))
    with pytest.raises(ValueError, match=r"image\[None\]"):
        image_grid(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="empty"):
        image_grid(np.zeros((0, 8, 8)))
    with pytest.raises(ValueError, match="nrow"):
        image_grid(np.zeros((4, 8, 8)), nrow=0)
    with pytest.raises(ValueError, match="pad"):
        image_grid(np.zeros((4, 8, 8)), pad=-1)
    with pytest.raises(ValueError, match="vmin"):
        image_grid(np.zeros((4, 8, 8)), vmin=1.0, vmax=0.0)


# ----------------------------------------------------------------------------- history
def test_plot_history_draws_one_labelled_curve_per_key_against_the_step():
    history = {"loss": [3.0, 2.0, 1.0], "penalty": [torch.tensor(0.5)] * 3, "lr": [1.0] * 3}
    ax = plot_history(history, keys=["penalty", "loss"], title="training")
    assert isinstance(ax, Axes)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["penalty", "loss"]
    np.testing.assert_allclose(lines[1].get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(lines[1].get_ydata(), [3.0, 2.0, 1.0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["penalty", "loss"]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() and ax.get_title() == "training"


def test_plot_history_logy_uses_a_log_axis():
    assert plot_history({"loss": [1.0, 0.1]}, logy=True).get_yscale() == "log"


def test_plot_history_rejects_empty_unknown_keys_bad_curves_and_nonpositive_logy():
    with pytest.raises(ValueError, match="history is empty"):
        plot_history({})
    with pytest.raises(ValueError, match=r"unknown history keys \['acc'\].*loss"):
        plot_history({"loss": [1.0]}, keys=["acc"])
    with pytest.raises(ValueError, match="non-empty"):
        plot_history({"loss": []})
    with pytest.raises(ValueError, match="not a number"):
        plot_history({"loss": ["high"]})
    with pytest.raises(ValueError, match=r"loss\.item\(\)"):
        plot_history({"loss": [torch.ones(2)]})
    with pytest.raises(ValueError, match="log axis"):
        plot_history({"critic": [1.0, -0.5]}, logy=True)


# ----------------------------------------------------------------------------- all
def test_every_function_creates_a_new_figure_when_ax_is_none():
    before = len(plt.get_fignums())
    plot_2d(np.zeros((2, 2)))
    plot_coupling(np.zeros((1, 2)), np.ones((1, 2)), np.ones((1, 1)))
    image_grid(np.zeros((1, 4, 4)))
    plot_history({"loss": [1.0]})
    assert len(plt.get_fignums()) == before + 4


def test_plot_history_accepts_the_history_returned_by_fit():
    from vegan_lib.train import History

    history = History()
    history.record(0, {"loss": 2.0, "penalty": 0.5})
    history.record(1, {"loss": 1.0, "penalty": 0.25})
    ax = plot_history(history)
    assert sorted(line.get_label() for line in ax.get_lines()) == ["loss", "penalty"]
    plt.close("all")


# ----------------------------------------------------------------------------- moved validators
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: image_grid(np.zeros((4, 8, 8)), nrow=0), r"nrow must be a positive .*nrow=8"),
        (lambda: image_grid(np.zeros((4, 8, 8)), pad=-1), r"pad must be a non-negative .*pad=1"),
        (lambda: plot_2d(np.zeros((3, 3))), r"cloud 0 must have shape \(n, 2\).*x\[:, :2\]"),
        (lambda: plot_coupling(np.zeros((2, 2)), np.zeros((2, 2)), "plan"), "plan must be a"),
        (lambda: plot_history({"loss": []}), r"history\['loss'\] must be a non-empty"),
        (lambda: plot_history({"loss": [torch.ones(2)]}), r"history\['loss'\].*loss\.item\(\)"),
    ],
)
def test_plotting_validators_name_the_argument_and_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()
    plt.close("all")


def test_plot_history_reads_tensors_on_any_grad_state():
    curve = torch.tensor([3.0, 2.0], requires_grad=True) * 1.0
    ax = plot_history({"loss": curve, "penalty": [torch.tensor(1.0), 0.5]})
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [3.0, 2.0])
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [1.0, 0.5])
    plt.close("all")


# --------------------------------------------------------------------------- plain_log_axis
def _labels(axis) -> tuple[list[str], list[str]]:
    axis.figure.canvas.draw()
    major = [t.get_text() for t in axis.get_ticklabels() if t.get_visible()]
    minor = [t.get_text() for t in axis.get_ticklabels(minor=True) if t.get_text()]
    return major, minor


def test_plain_log_axis_labels_less_than_a_decade_without_minor_labels():
    fig, ax = plt.subplots()
    ax.plot([0.12, 0.9], [1.0, 2.0])
    ax.set_xscale("log")
    _, minor_before = _labels(ax.xaxis)
    assert minor_before, "matplotlib labels minor ticks here: the test would be void"
    plain_log_axis(ax, "x")
    major, minor = _labels(ax.xaxis)
    assert minor == []
    shown = [float(t) for t in major if t]
    assert {0.2, 0.5} <= set(shown) and all("times" not in t for t in major)
    plt.close(fig)


def test_plain_log_axis_uses_the_given_ticks_on_y():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [25, 800])
    ax.set_yscale("log")
    plain_log_axis(ax, "y", ticks=[25, 50, 100, 200, 400, 800])
    major, minor = _labels(ax.yaxis)
    assert major == ["25", "50", "100", "200", "400", "800"] and minor == []
    plt.close(fig)


def test_plain_log_axis_rejects_bad_input_naming_the_fix():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"not log-scaled; call ax.set_xscale\('log'\)"):
        plain_log_axis(ax, "x")
    ax.set_yscale("log")
    with pytest.raises(ValueError, match='axis must be "x" or "y"'):
        plain_log_axis(ax, "z")
    with pytest.raises(ValueError, match="positive and finite"):
        plain_log_axis(ax, "y", ticks=[0.0, 1.0])
    plt.close(fig)


def test_plain_log_axis_labels_a_short_view_with_every_multiple():
    # From 5.5 to 19 only 10 is a 1-2-5 tick: the axis gets 6, 7, 8, 9, 10 as well.
    fig, ax = plt.subplots()
    ax.plot([1, 2], [5.5, 19.0])
    ax.set_yscale("log")
    ax.set_ylim(5.5, 19.0)
    plain_log_axis(ax, "y")
    major, minor = _labels(ax.yaxis)
    assert {"6", "8", "10"} <= set(major) and minor == []
    plt.close(fig)


def test_save_image_grid_writes_the_tiling_of_image_grid(tmp_path):
    images = torch.zeros(7, 1, 4, 5)
    images[3, 0, 1, 2] = 1.0  # one ink pixel in the 4th image: row 0, column 3
    path = save_image_grid(images, tmp_path / "grids" / "g.png", nrow=6, pad=2)
    picture = plt.imread(path)[..., 0]  # gray_r: ink 1 -> black 0, blank 0 -> white 1
    assert picture.shape == (2 * (4 + 2) + 2, 6 * (5 + 2) + 2)
    assert picture[2 + 1, 2 + 3 * 7 + 2] == 0.0 and picture[2 + 1, 2 + 3 * 7 + 1] == 1.0
    assert picture[0, 0] == 0.0  # the frame is black
