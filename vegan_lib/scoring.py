r"""Scoring trained models of digits: the scoreboard's numbers, their floors, the plateau
criterion and the cross-seed counts behind every comparative claim of the book.

* :func:`score`: what a trained model's samples score against held-out test digits
  (exact :math:`W_2`, FCD, sharpness, precision/recall/density/coverage in the digit
  classifier's feature space) and its reconstruction error;
* :func:`diagnostics`: the family's own measures beyond the score (codes against the prior,
  the VAE's posterior and Bayes decoder);
* :func:`data_floors`: the same numbers for *real* digits that neither the models nor the
  classifier saw (:func:`split_floor_digits`), the limit a perfect model would reach;
* :func:`fcd_drift` and :data:`PLATEAU_TOLERANCE`: whether a run's FCD had stopped moving;
* :func:`cross_seed_count`: on how many of the :math:`S_a \times S_b` unpaired pairs of runs
  one recipe's metric is below another's. A claim is asserted only at every pair.

:mod:`vegan_lib.recipes` re-exports :func:`score` and :func:`diagnostics` (as
``recipes.score``), beside the recipes they measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from vegan_lib._checks import (
    check_classifier,
    check_digit_images,
    check_int_at_least,
    check_positive_int,
    check_seed,
)
from vegan_lib.classifier import classifier_features
from vegan_lib.device import seed_everything
from vegan_lib.metrics import (
    data_floor,
    frechet_classifier_distance,
    precision_recall,
    sharpness_ratio,
    w2_to_data,
)
from vegan_lib.protocol import ModelFacts

__all__ = [
    "FLOOR_DIGITS",
    "PLATEAU_TOLERANCE",
    "PR_K",
    "cross_seed_count",
    "data_floors",
    "diagnostics",
    "fcd_drift",
    "score",
    "split_floor_digits",
]

PR_K = 3
"""Neighbours of the k-NN balls of precision and recall (both papers' choice)."""
PLATEAU_TOLERANCE = 0.05
"""A run has *plateaued* when :func:`fcd_drift` is below this in absolute value."""
FLOOR_DIGITS = 1000
"""Training digits held out of every fit (models and classifier) for the floors."""


def split_floor_digits(x: torch.Tensor, y: torch.Tensor | None = None,
                       n: int = FLOOR_DIGITS) -> tuple[Any, Any]:
    r"""Split training digits into those the models and the classifier fit, and the last
    ``n``, held out of both, on which every floor (:func:`data_floors`) is measured.

    With the test digits (what every model is scored against) the three sets are
    disjoint: a floor compares real digits that no network saw with the test digits, as
    a perfect model's fresh samples would be.

    Returns
    -------
    ((x_fit, y_fit), (x_floor, y_floor))
        ``y_*`` is ``None`` when ``y`` is.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer or leaves fewer than ``n`` digits to fit.
    """
    n = check_positive_int(n, "n", f"n={FLOOR_DIGITS}")
    if not isinstance(x, torch.Tensor) or len(x) < 2 * n:
        got = len(x) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must hold at least 2n = {2 * n} digits to hold n = {n} out, got "
                         f"{got}; pass all the training digits, or a smaller n")
    if y is not None and len(y) != len(x):
        raise ValueError(f"y has {len(y)} labels for {len(x)} digits; pass the labels of x")
    cut = len(x) - n
    return ((x[:cut], None if y is None else y[:cut]),
            (x[cut:], None if y is None else y[cut:]))


@torch.no_grad()
def _sample_metrics(images: torch.Tensor, x_test: torch.Tensor, classifier: nn.Module,
                    n: int) -> dict[str, float]:
    # the feature and pixel metrics, the same for a model's samples and for the floor
    f_real = classifier_features(classifier, x_test[:n])
    f_fake = classifier_features(classifier, images[:n])
    return {"fcd": frechet_classifier_distance(images, x_test, classifier, n=n).item(),
            "sharpness": sharpness_ratio(images[:n], x_test).item(),
            **precision_recall(f_real, f_fake, k=PR_K)}


@torch.no_grad()
def score(
    model: nn.Module,
    x_test: torch.Tensor,
    classifier: nn.Module,
    n: int = 500,
    seed: int = 0,
) -> tuple[dict[str, float], torch.Tensor]:
    r"""The scoreboard's numbers for a trained model, on ``n`` samples and test digits.

    * ``w2``: exact :math:`W_2` between ``n`` samples and ``n`` test digits
      (:func:`~vegan_lib.metrics.w2_to_data`), chapter 1's lesson, never a ranking;
    * ``fcd``: the Fréchet classifier distance
      (:func:`~vegan_lib.metrics.frechet_classifier_distance`);
    * ``sharpness``: the samples' sharpness over the test digits'
      (:func:`~vegan_lib.metrics.sharpness_ratio`);
    * ``precision``, ``recall``, ``density``, ``coverage``: k-nearest-neighbour manifolds
      (:math:`k` = :data:`~vegan_lib.scoring.PR_K`) in the classifier's feature space
      (:func:`~vegan_lib.metrics.precision_recall`): precision is the share of samples that
      fall among real digits' balls (blur costs it), recall the share of real digits that
      fall among the samples' balls (dropped modes cost it);
    * ``recon_error``: :math:`\frac1n \sum_i \lVert x_i - G(E(x_i)) \rVert^2` on the
      first ``n`` test digits, or NaN for a model without an encoder (GAN, WGAN).

    The samples are drawn after seeding every generator with ``1000 + seed`` (samplers
    and AVB's encoder draw noise), so a score is reproducible.

    Parameters
    ----------
    model : nn.Module
        A trained model with ``sample(n)`` (and ``reconstruct(x)`` if it has an encoder).
    x_test : Tensor, shape (M, 1, 28, 28)
        Held-out digits, ``M >= n``.
    classifier : nn.Module
        The digit classifier of :func:`~vegan_lib.classifier.train_digit_classifier`.
    n : int
        Number of samples and of test digits.
    seed : int
        The run's seed.

    Returns
    -------
    (dict, Tensor)
        The numbers (python floats) and the ``n`` samples, shape (n, 1, 28, 28).

    Raises
    ------
    ValueError
        Before anything is seeded or sampled: a ``model`` without ``sample(n)``, ``x_test``
        that is not at least ``n`` finite digit images, a ``classifier`` without ``features``,
        ``n < 5`` (covariances and 3 neighbours), a bad ``seed``; then ``model.sample(n)``
        that is not ``n`` digit images.
    """
    if not callable(getattr(model, "sample", None)):
        raise ValueError(f"model must be a trained model with sample(n), got "
                         f"{type(model).__name__}; e.g. model, _ = recipes.train('VAE', x)")
    n = check_int_at_least(n, "n", PR_K + 2, "n=500 (the FCD estimates covariances, "
                           "precision and recall need k + 2 = 5 points)")
    check_digit_images(x_test, "x_test", n)  # at least n, finite (all: sharpness reads all)
    check_digit_images(x_test, "x_test")
    check_classifier(classifier, needs_features=True)
    check_seed(seed)
    seed_everything(1000 + seed)
    samples = model.sample(n)
    if not (isinstance(samples, torch.Tensor) and samples.shape[:1] == (n,)
            and tuple(samples.shape[1:]) in ((1, 28, 28), (784,))):
        got = tuple(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        raise ValueError(f"model.sample({n}) returned {got}, not {n} digit images of shape "
                         f"({n}, 1, 28, 28) or ({n}, 784); score measures a model of digits")
    images = samples.reshape(n, 1, 28, 28)
    row = {"w2": w2_to_data(images, x_test, n=n).item(),
           **_sample_metrics(images, x_test, classifier, n), "recon_error": float("nan")}
    if hasattr(model, "reconstruct"):
        x = x_test[:n]
        row["recon_error"] = (model.reconstruct(x) - x).pow(2).flatten(1).sum(1).mean().item()
    return row, samples


@torch.no_grad()
def data_floors(
    floor_images: torch.Tensor,
    test_images: torch.Tensor,
    classifier: nn.Module,
    n: int = 1000,
) -> dict[str, float]:
    r"""What real digits score on the scoreboard's sample metrics: every model's floor.

    The first ``n`` of ``floor_images`` (one real subset for every floor) against the
    test digits, measured exactly as :func:`score` measures samples: ``w2``
    (:func:`~vegan_lib.metrics.data_floor`), ``fcd``, ``sharpness`` (about 1),
    ``precision``, ``recall``, ``density`` and ``coverage``.

    Parameters
    ----------
    floor_images : Tensor, shape (N, 1, 28, 28)
        Real digits, :math:`N \ge n`, none among the test digits; held out of the
        classifier's and the models' training (:func:`split_floor_digits`) for a floor
        that does not flatter.
    test_images : Tensor, shape (M, 1, 28, 28)
        The test digits, :math:`M \ge n`.
    classifier : nn.Module
        The digit classifier of :func:`~vegan_lib.classifier.train_digit_classifier`.
    n : int
        Images per side.

    Returns
    -------
    dict of str to float
    """
    n = check_int_at_least(n, "n", PR_K + 2, "n=1000")
    check_digit_images(floor_images, "floor_images", n)
    check_digit_images(test_images, "test_images", n)
    real = floor_images[:n]
    return {"w2": data_floor(real, test_images, n=n).item(),
            **_sample_metrics(real, test_images, classifier, n)}


def fcd_drift(steps: Sequence[int], fcd: Sequence[float], total: int) -> float:
    r"""How much a run's FCD still moved at the end: the plateau measure of the book.

    .. math::

        \mathrm{drift} = \frac{\bar F_{(0.8T,\,T]} - \bar F_{(0.6T,\,0.8T]}}
                              {\bar F_{(0.6T,\,0.8T]}},

    the mean FCD over the evaluations of the last fifth of the :math:`T` steps against the
    fifth before it: :math:`-0.1` is still falling by 10 % a fifth of the run. A run has
    *plateaued* when :math:`|\mathrm{drift}| <` :data:`~vegan_lib.scoring.PLATEAU_TOLERANCE`.

    Raises
    ------
    ValueError
        If either fifth holds no evaluation, or the lists differ in length.
    """
    s, f = np.asarray(steps, float), np.asarray(fcd, float)
    if s.shape != f.shape or s.ndim != 1:
        raise ValueError(f"steps and fcd must be two lists of the same length, got "
                         f"{s.shape} and {f.shape}")
    last, before = f[(s > 0.8 * total) & (s <= total)], f[(s > 0.6 * total) & (s <= 0.8 * total)]
    if not (len(last) and len(before)):
        raise ValueError(f"the FCD must be evaluated in both of the last two fifths of the "
                         f"{total} steps, got evaluations at steps {s.astype(int).tolist()}; "
                         "evaluate every tenth of the run or more often")
    return float(last.mean() / before.mean() - 1)


def cross_seed_count(a: Sequence[float], b: Sequence[float]) -> tuple[int, int]:
    r"""On how many unpaired pairs of runs ``a`` is below ``b``: ``(k, len(a) * len(b))``.

    Runs of two recipes with the same seed index share nothing (other networks, other
    batches), so pairing them by index would be arbitrary: every run of one is compared with
    every run of the other, :math:`k = \#\{(i, j) : a_i < b_j\}` (the Mann–Whitney count).
    A claim "a below b" is asserted only at :math:`k = S_a S_b`; short of it, it is printed as
    an observation with its count, e.g. ``8/9``.

    Examples
    --------
    >>> cross_seed_count([1.0, 2.0, 3.0], [2.5, 4.0, 5.0])
    (8, 9)
    """
    va, vb = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    if not (len(va) and len(vb)) or np.isnan(va).any() or np.isnan(vb).any():
        raise ValueError(f"a and b must be non-empty lists of numbers without NaN, got "
                         f"{list(va)} and {list(vb)}; a metric a recipe does not have "
                         "(the reconstruction of a GAN) cannot be compared")
    return int((va[:, None] < vb[None, :]).sum()), len(va) * len(vb)


@torch.no_grad()
def diagnostics(
    model: nn.Module,
    x_test: torch.Tensor,
    x_train: torch.Tensor,
    n: int = 500,
    seed: int = 7,
) -> dict[str, float]:
    r"""A trained model's diagnostics beyond :func:`score`: the one function the reference
    run and the chapters call.

    For a model with an encoder (``model.facts.has_encoder``): ``sharpness_recon``, the
    sharpness ratio (:func:`~vegan_lib.metrics.sharpness_ratio`, over ``x_test``) of the
    reconstructions of the first ``n`` test digits, then the family's own measures,
    ``model.diagnostics(x_test[:n], x_train, seed)``: POT's ``mmd_codes``
    (:meth:`~vegan_lib.pot.POTModel.prior_mmd`), the VAE's ``kl``, ``posterior_std``,
    ``shared_codes`` and ``sharpness_bayes`` (:meth:`~vegan_lib.vae.VAEModel.diagnostics`).
    A measure that is a batch of images is reported as its sharpness ratio,
    ``sharpness_<name>``. A model without an encoder (WGAN, GAN) has none: ``{}``.

    Reconstructions draw noise for AVB (its encoder is random): they follow torch's global
    generator as it stands, so seed it first for a reproducible number.

    Parameters
    ----------
    model : nn.Module
        A trained model of the book (with ``facts``).
    x_test : Tensor, shape (M, 1, 28, 28)
        Held-out digits, ``M >= n``.
    x_train : Tensor, shape (K, 1, 28, 28)
        Training digits (the VAE's posterior weights and Bayes decoder).
    n : int
        Test digits measured.
    seed : int
        Seed of the measures' own draws (POT's prior sample).

    Returns
    -------
    dict of str to float

    Raises
    ------
    ValueError
        Before any measure: a ``model`` without ``facts``, ``x_test`` or ``x_train`` that
        are not finite digit images, fewer than ``n`` test digits, a bad ``n`` or ``seed``.
    """
    facts = getattr(model, "facts", None)
    if not isinstance(facts, ModelFacts) or facts.has_encoder and not all(
            callable(getattr(model, m, None)) for m in ("reconstruct", "diagnostics")):
        raise ValueError(f"model must be a model of the book with facts (a ModelFacts), got "
                         f"{type(model).__name__}; e.g. recipes.train(name, x_train)[0]")
    n = check_positive_int(n, "n", "n=500")
    check_digit_images(x_test, "x_test", n)
    check_digit_images(x_test, "x_test")
    check_digit_images(x_train, "x_train")
    seed = check_seed(seed)
    if not model.facts.has_encoder:
        return {}
    x = x_test[:n]
    out = {"sharpness_recon": sharpness_ratio(model.reconstruct(x), x_test).item()}
    for key, value in model.diagnostics(x, x_train, seed).items():
        if isinstance(value, torch.Tensor) and value.ndim > 0:
            out[f"sharpness_{key}"] = sharpness_ratio(value, x_test).item()
        else:
            out[key] = float(value)
    return out
