"""Tests for vegan_lib.classifier: the digit classifier of the Fréchet classifier distance."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from torch import nn

import vegan_lib.classifier as classifier_module
from vegan_lib.classifier import (
    _CrossEntropyWithShifts,
    _random_shifts,
    classifier_accuracy,
    classifier_features,
    train_digit_classifier,
)
from vegan_lib.nets import DigitClassifier


def test_digit_classifier_logits_are_affine_in_nonnegative_features():
    net = DigitClassifier(feature_dim=12, channels=(4, 8))
    x = torch.rand(5, 1, 28, 28)
    phi = net.features(x)
    assert phi.shape == (5, 12) and bool((phi >= 0).all())
    torch.testing.assert_close(net(x), phi @ net.head.weight.T + net.head.bias)


def test_digit_classifier_rejects_flat_images_and_says_to_reshape():
    with pytest.raises(ValueError, match="reshape"):
        DigitClassifier().features(torch.zeros(2, 784))
    with pytest.raises(ValueError, match="feature_dim"):
        DigitClassifier(feature_dim=0)


def test_trained_classifier_beats_chance_by_far_on_held_out_digits(
    labelled_digits, small_classifier
):
    _, _, test_x, test_y = labelled_digits
    untrained = DigitClassifier()
    before = classifier_accuracy(untrained, test_x, test_y).item()
    after = classifier_accuracy(small_classifier, test_x, test_y).item()
    assert small_classifier.training is False
    assert after > 0.7 and after > before + 0.4, (before, after)  # chance is 0.1


def test_training_is_deterministic_given_the_seed_and_leaves_the_global_rng_alone():
    x, y = torch.rand(40, 1, 28, 28), torch.arange(40) % 10
    state = torch.get_rng_state()
    a = train_digit_classifier(x, y, steps=4, batch_size=8, seed=3, progress=False)
    assert torch.equal(torch.get_rng_state(), state)
    b = train_digit_classifier(x.flatten(1), y, steps=4, batch_size=8, seed=3, progress=False)
    c = train_digit_classifier(x, y, steps=4, batch_size=8, seed=4, progress=False)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb), name
    pairs = zip(a.parameters(), c.parameters(), strict=True)
    assert any(not torch.equal(pa, pc) for pa, pc in pairs)


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (torch.rand(4, 28, 28), torch.zeros(4, dtype=torch.long), {}, r"\(N, 1, 28, 28\)"),
        (torch.zeros(4, 1, 28, 28, dtype=torch.uint8), torch.zeros(4, dtype=torch.long), {},
         "255"),
        (torch.rand(4, 784), torch.zeros(3, dtype=torch.long), {}, r"shape \(4,\)"),
        (torch.rand(4, 784), torch.zeros(4), {}, r"y.long\(\)"),
        (torch.rand(4, 784), torch.tensor([0, 1, 2, 10]), {}, "labels in"),
        (torch.rand(4, 784), torch.zeros(4, dtype=torch.long), {"steps": 0}, "steps"),
        (torch.rand(4, 784), torch.zeros(4, dtype=torch.long), {"max_shift": -1}, "max_shift"),
        (torch.rand(4, 784), torch.zeros(4, dtype=torch.long), {"lr": float("nan")}, "lr"),
        (torch.full((4, 784), float("nan")), torch.zeros(4, dtype=torch.long), {}, "NaN"),
    ],
)
def test_train_digit_classifier_rejects_bad_input(x, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_digit_classifier(x, y, progress=False, **kwargs)


class _FixedLogits(nn.Module):
    """Predicts digit (number of bright pixels) mod 10: a rule an oracle can recompute."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        counts = (x.flatten(1) > 0.5).sum(1) % 10
        return nn.functional.one_hot(counts, 10).float()


def test_classifier_accuracy_equals_a_count_of_correct_predictions(labelled_digits):
    _, _, test_x, test_y = labelled_digits
    predicted = (test_x.flatten(1).numpy() > 0.5).sum(1) % 10
    want = float(np.mean(predicted == test_y.numpy()))
    got = classifier_accuracy(_FixedLogits(), test_x, test_y)
    assert got.dtype == torch.float64 and got.ndim == 0
    assert got.item() == pytest.approx(want, abs=1e-15), (got.item(), want)
    flat = classifier_accuracy(_FixedLogits(), test_x.flatten(1), test_y).item()
    assert flat == got.item()


def test_classifier_accuracy_restores_the_training_mode(small_classifier):
    small_classifier.train()
    classifier_accuracy(small_classifier, torch.rand(3, 784), torch.tensor([1, 2, 3]))
    assert small_classifier.training
    small_classifier.eval()



# --------------------------------------------------------------------------- training through fit
def test_training_equals_plain_adam_on_fits_minibatches_without_shifts():
    # Oracle: the documented loop by hand. fit draws batches from a generator seeded with
    # `seed` (a permutation per epoch, taken in order) and takes Adam steps (0.9, 0.999).
    gen = torch.Generator().manual_seed(1)
    x, y = torch.rand(40, 1, 28, 28, generator=gen), torch.arange(40) % 10
    got = train_digit_classifier(x, y, steps=3, batch_size=8, lr=1e-2, max_shift=0, seed=5,
                                 progress=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        net = DigitClassifier()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2, betas=(0.9, 0.999))
    order = torch.randperm(40, generator=torch.Generator().manual_seed(5))
    for step in range(3):
        index = order[8 * step : 8 * (step + 1)]
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(x[index]), y[index]).backward()
        optimizer.step()
    for (name, a), b in zip(got.named_parameters(), net.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)


def test_train_digit_classifier_goes_through_fit_with_labelled_batches(monkeypatch):
    calls = []
    real_fit = classifier_module.fit

    def spy(model, data, **kwargs):
        calls.append((model, data, kwargs))
        return real_fit(model, data, **kwargs)

    monkeypatch.setattr(classifier_module, "fit", spy)
    x, y = torch.rand(20, 784), torch.arange(20) % 10
    net = train_digit_classifier(x, y, steps=2, batch_size=10, lr=3e-3, seed=2, progress=False)
    (model, data, kwargs), = calls
    assert type(model).uses_labels is True and model.net is net
    assert isinstance(data, tuple) and data[0].shape == (20, 1, 28, 28)
    assert torch.equal(data[1], y)
    assert {k: kwargs[k] for k in ("steps", "batch_size", "lr", "seed", "progress")} == {
        "steps": 2, "batch_size": 10, "lr": 3e-3, "seed": 2, "progress": False}
    source = inspect.getsource(classifier_module)
    assert ".backward(" not in source and "import tqdm" not in source and "optim." not in source


def test_objective_is_the_mean_cross_entropy_of_the_labelled_batch():
    torch.manual_seed(0)
    net = DigitClassifier(feature_dim=8, channels=(2, 4))
    objective = _CrossEntropyWithShifts(net, max_shift=0, seed=0)
    x, labels = torch.rand(6, 1, 28, 28), torch.tensor([0, 1, 2, 3, 4, 9])
    with torch.no_grad():
        logits = net(x).double().numpy()
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    want = -log_softmax[np.arange(6), labels.numpy()].mean()
    terms = objective.losses((x, labels))
    assert _CrossEntropyWithShifts.uses_labels is True and list(terms) == ["loss"]
    assert terms["loss"].item() == pytest.approx(want, rel=1e-5), (terms["loss"].item(), want)


@pytest.mark.parametrize("max_shift", [1, 2])
def test_random_shifts_translate_each_image_by_at_most_max_shift(max_shift):
    images = torch.rand(30, 1, 28, 28, generator=torch.Generator().manual_seed(0)) + 0.1
    shifted = _random_shifts(images, max_shift, torch.Generator().manual_seed(1)).numpy()
    assert shifted.shape == (30, 1, 28, 28)
    seen = set()
    for image, out in zip(images[:, 0].numpy(), shifted[:, 0], strict=True):
        matches = []
        for dr in range(-max_shift, max_shift + 1):
            for dc in range(-max_shift, max_shift + 1):
                # out[r, c] = image[r + dr, c + dc] where inside, zeros shifted in elsewhere
                padded = np.pad(image, max_shift)
                want = padded[max_shift + dr : max_shift + dr + 28,
                              max_shift + dc : max_shift + dc + 28]
                if np.array_equal(out, want):
                    matches.append((dr, dc))
        assert len(matches) == 1, matches
        seen.add(matches[0])
    assert len(seen) > 3, seen  # each image draws its own offset


def test_train_digit_classifier_rejects_a_batch_larger_than_the_data():
    with pytest.raises(ValueError, match="batch_size"):
        train_digit_classifier(torch.rand(8, 784), torch.arange(8) % 10, batch_size=16,
                               progress=False)
    with pytest.raises(ValueError, match="seed"):
        train_digit_classifier(torch.rand(8, 784), torch.arange(8) % 10, seed=-1,
                               progress=False)


# --------------------------------------------------------------------------- features
def test_classifier_features_equal_the_networks_features_in_eval_mode():
    torch.manual_seed(0)
    net = DigitClassifier(feature_dim=16, channels=(4, 8))
    x = torch.rand(7, 784)
    with torch.no_grad():
        want = net.features(x.reshape(-1, 1, 28, 28))
    net.train()
    got = classifier_features(net, x)
    assert net.training and not got.requires_grad
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_classifier_features_work_in_chunks_of_a_thousand():
    torch.manual_seed(0)
    net = DigitClassifier(feature_dim=4, channels=(2, 2))
    x = torch.rand(1003, 1, 28, 28)
    with torch.no_grad():
        want = torch.cat([net.features(x[:500]), net.features(x[500:])])
    torch.testing.assert_close(classifier_features(net, x), want)


class _FlatFeatures(nn.Module):
    def features(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1).sum(1)  # one number per image: shape (N,), not (N, k)


@pytest.mark.parametrize(
    ("classifier", "x", "match"),
    [
        (nn.Linear(784, 10), torch.rand(3, 784), "no features"),
        ("net", torch.rand(3, 784), "nn.Module"),
        (DigitClassifier(), torch.rand(3, 28, 28), r"reshape"),
        (_FlatFeatures(), torch.rand(3, 784), r"shape \(N, k\)"),
    ],
)
def test_classifier_features_reject_bad_input(classifier, x, match):
    with pytest.raises(ValueError, match=match):
        classifier_features(classifier, x)


def test_classifier_accuracy_rejects_bad_classifiers():
    x, y = torch.rand(3, 784), torch.tensor([1, 2, 3])
    with pytest.raises(ValueError, match="nn.Module"):
        classifier_accuracy("net", x, y)
    with pytest.raises(ValueError, match=r"logits of shape \(N, K\)"):
        classifier_accuracy(nn.Sequential(nn.Flatten(0), nn.Linear(3 * 784, 10)), x, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_classifier_trains_on_cuda_and_leaves_the_cuda_rng_alone():
    x, y = torch.rand(40, 1, 28, 28), torch.arange(40) % 10
    state = torch.cuda.get_rng_state()
    net = train_digit_classifier(x, y, steps=3, batch_size=8, device="cuda", progress=False)
    assert torch.equal(torch.cuda.get_rng_state(), state)
    assert next(net.parameters()).device.type == "cuda"
    assert classifier_accuracy(net, x.cuda(), y.cuda()).device.type == "cuda"


# --------------------------------------------------------------------------- bad input (issue 16)
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"seed": 2**70}, r"seed must be in \[0, 2\*\*63\)"), ({"lr": "1e-3"}, "lr must be a")],
)
def test_train_digit_classifier_names_settings_torch_cannot_take(kwargs, match):
    # Before: "Overflow when unpacking long long" from torch.manual_seed.
    x, y = torch.rand(16, 1, 28, 28), torch.arange(16) % 10
    with pytest.raises(ValueError, match=match):
        train_digit_classifier(x, y, steps=1, batch_size=8, progress=False, **kwargs)
