"""vegan_lib.scoring: the floors on held-out digits, the plateau measure, the cross-seed
counts behind every comparative claim, and precision/recall inside score."""

from __future__ import annotations

import pytest
import torch

from vegan_lib import recipes
from vegan_lib.metrics import data_floor, frechet_classifier_distance, w2_to_data
from vegan_lib.scoring import (
    PLATEAU_TOLERANCE,
    cross_seed_count,
    data_floors,
    fcd_drift,
    score,
    split_floor_digits,
)

KEYS = {"w2", "fcd", "sharpness", "precision", "recall", "density", "coverage"}


def test_data_floors_are_what_real_digits_score_and_beat_noise(labelled_digits, small_classifier):
    train_x, _, test_x, _ = labelled_digits
    floors = data_floors(train_x, test_x, small_classifier, n=200)
    assert set(floors) == KEYS
    assert floors["w2"] == pytest.approx(data_floor(train_x, test_x, n=200).item(), rel=1e-12)
    assert 0.8 < floors["sharpness"] < 1.25  # real digits are as sharp as real digits
    noise = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    fcd_noise = frechet_classifier_distance(noise, test_x, small_classifier, n=200).item()
    assert 0 < floors["fcd"] < fcd_noise / 10
    assert floors["w2"] < w2_to_data(noise, test_x, n=200).item()
    # real digits against real digits: most of each set lies in the other's k-NN manifold
    assert floors["precision"] > 0.6 and floors["recall"] > 0.6


def test_every_floor_reads_the_same_first_n_real_digits(labelled_digits, small_classifier):
    train_x, _, test_x, _ = labelled_digits
    first = data_floors(train_x, test_x, small_classifier, n=100)
    again = data_floors(torch.cat([train_x[:100], torch.rand(50, 1, 28, 28)]), test_x,
                        small_classifier, n=100)
    assert first == again  # digits past the first n are never read


def test_score_reports_precision_and_recall_that_see_blur_and_collapse(labelled_digits,
                                                                       small_classifier):
    train_x, _, test_x, _ = labelled_digits

    class Replay(torch.nn.Module):  # a "model" whose samples are given images
        def __init__(self, images):
            super().__init__()
            self.images = images

        def sample(self, n):
            return self.images[:n]

    n = 150
    real, _ = score(Replay(train_x[:n]), test_x, small_classifier, n=n)
    collapsed, _ = score(Replay(train_x[:1].expand(n, -1, -1, -1).contiguous()), test_x,
                         small_classifier, n=n)
    assert KEYS <= set(real)
    assert collapsed["recall"] < real["recall"] / 3  # one digit drawn every time: no recall


def test_recipes_reexports_the_scoring_functions():
    assert recipes.score is score


def test_split_holds_the_last_n_digits_out_and_keeps_labels_aligned():
    x, y = torch.arange(10.0).reshape(10, 1, 1, 1), torch.arange(10)
    (x_fit, y_fit), (x_floor, y_floor) = split_floor_digits(x, y, n=3)
    assert x_fit.flatten().tolist() == list(range(7)) and y_floor.tolist() == [7, 8, 9]
    assert torch.equal(x_fit.flatten().long(), y_fit) and torch.equal(
        x_floor.flatten().long(), y_floor)
    (_, none), _ = split_floor_digits(x, n=5)
    assert none is None


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n": 6}, r"at least 2n = 12"),
    ({"n": 0}, r"n must be"),
    ({"y": torch.arange(3), "n": 3}, r"3 labels for 10 digits"),
])
def test_split_refuses_what_it_cannot_hold_out(kwargs, match):
    with pytest.raises(ValueError, match=match):
        split_floor_digits(torch.zeros(10, 1, 28, 28), **kwargs)


def test_fcd_drift_compares_the_last_fifth_with_the_fifth_before():
    steps = list(range(100, 2001, 100))
    flat = [50.0] * 20
    assert fcd_drift(steps, flat, 2000) == 0.0
    falling = [100.0] * 12 + [60.0] * 4 + [54.0] * 4  # 1300..1600: 60, 1700..2000: 54
    assert fcd_drift(steps, falling, 2000) == pytest.approx(-0.1)
    assert abs(fcd_drift(steps, falling, 2000)) > PLATEAU_TOLERANCE
    rising = [50.0] * 16 + [55.0] * 4
    assert fcd_drift(steps, rising, 2000) == pytest.approx(0.1)


def test_fcd_drift_needs_evaluations_in_both_fifths():
    with pytest.raises(ValueError, match="both of the last two fifths"):
        fcd_drift([1000, 2000], [5.0, 4.0], 2000)
    with pytest.raises(ValueError, match="same length"):
        fcd_drift([1000, 2000], [5.0], 2000)


def test_cross_seed_count_compares_every_unpaired_pair():
    assert cross_seed_count([1, 2, 3], [4, 5, 6]) == (9, 9)
    assert cross_seed_count([1, 2, 3], [2.5, 4, 5]) == (8, 9)  # 3 > 2.5: one pair against
    assert cross_seed_count([4, 5, 6], [1, 2, 3]) == (0, 9)
    assert cross_seed_count([1.0], [1.0]) == (0, 1)  # a tie is not "below"
    assert cross_seed_count([1, 2], [3, 4, 5]) == (6, 6)


@pytest.mark.parametrize("bad", [[], [float("nan"), 1.0]])
def test_cross_seed_count_refuses_missing_values(bad):
    with pytest.raises(ValueError, match="without NaN"):
        cross_seed_count(bad, [1.0, 2.0])
