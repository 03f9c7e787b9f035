r"""The digit classifier of chapter 8: features for the Fréchet classifier distance.

Pixel distances weigh every pixel alike; a classifier's features weigh what tells digits
apart. :func:`train_digit_classifier` trains a small network
(:class:`~vegan_lib.nets.DigitClassifier`) on the embedded MNIST digits in seconds,
through the book's one training loop :func:`vegan_lib.train.fit`; check it with
:func:`classifier_accuracy` before trusting its features. :func:`classifier_features`
computes the features :math:`\phi(x)` that
:func:`vegan_lib.metrics.frechet_classifier_distance` compares (FID with a digit
classifier in place of the Inception network).

Tensors in, tensors out: accuracies are float64 0-dim tensors on the device of the
images; the network stays on its own device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vegan_lib._checks import (
    check_classifier,
    check_device,
    check_digit_images,
    check_int_at_least,
    check_positive,
    check_positive_int,
    check_seed,
    float64_on,
)
from vegan_lib.nets import DigitClassifier
from vegan_lib.train import fit

__all__ = ["train_digit_classifier", "classifier_accuracy", "classifier_features"]


def _check_digit_labels(labels: Any, n: int, name: str = "y", n_classes: int = 10) -> torch.Tensor:
    """Integer class labels of shape (n,) in {0, ..., n_classes - 1}, returned as int64."""
    if not isinstance(labels, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of integer labels, got {type(labels).__name__}; "
            f"convert it with torch.as_tensor({name})"
        )
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ValueError(
            f"{name} must hold integer class labels 0-{n_classes - 1}, got dtype "
            f"{labels.dtype}; convert it with {name}.long()"
        )
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"{name} must have shape ({n},), one label per image, got {tuple(labels.shape)}"
        )
    if bool(((labels < 0) | (labels >= n_classes)).any()):
        raise ValueError(
            f"{name} must hold class labels in {{0, ..., {n_classes - 1}}}, got values from "
            f"{int(labels.min())} to {int(labels.max())}"
        )
    return labels.long()


def _random_shifts(
    batch: torch.Tensor, max_shift: int, generator: torch.Generator
) -> torch.Tensor:
    """Translate each image by its own random offset in [-max_shift, max_shift]^2 (zeros in)."""
    n, s = batch.shape[0], max_shift
    padded = F.pad(batch, (s, s, s, s))
    offsets = torch.randint(0, 2 * s + 1, (2, n), generator=generator).to(batch.device)
    pixels = torch.arange(28, device=batch.device)
    rows = (offsets[0, :, None] + pixels)[:, :, None].expand(n, 28, 28)
    cols = (offsets[1, :, None] + pixels)[:, None, :].expand(n, 28, 28)
    index = torch.arange(n, device=batch.device)[:, None, None]
    return padded[index, 0, rows, cols].unsqueeze(1)


class _CrossEntropyWithShifts(nn.Module):
    """The classifier's objective in :func:`~vegan_lib.train.fit`'s protocol.

    ``losses((x, labels))`` is the mean cross-entropy of ``net`` on the batch, each
    image translated by its own random shift (a generator seeded once, on the CPU, so
    the shifts do not depend on the device).
    """

    uses_labels = True  # fit passes the whole batch (x, labels) to losses

    def __init__(self, net: DigitClassifier, max_shift: int, seed: int) -> None:
        super().__init__()
        self.net = net
        self.max_shift = max_shift
        self.generator = torch.Generator().manual_seed(seed)

    def losses(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        x, labels = batch
        if self.max_shift > 0:
            x = _random_shifts(x, self.max_shift, self.generator)
        return {"loss": F.cross_entropy(self.net(x), labels)}


def train_digit_classifier(
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 2000,
    batch_size: int = 64,
    lr: float = 1e-3,
    max_shift: int = 2,
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> DigitClassifier:
    r"""Train a :class:`~vegan_lib.nets.DigitClassifier` on labelled digits (cross-entropy, Adam).

    .. math::

        \min_\theta\ \frac1B \sum_{i \in \text{batch}}
            -\log \operatorname{softmax}\big(\mathrm{logits}_\theta(\tau_i x_i)\big)_{y_i},

    with minibatches of :math:`B` = ``batch_size`` images, each translated by its own
    random :math:`\tau_i` of at most ``max_shift`` pixels in each direction (zeros
    shifted in). The shifts are data augmentation: with the 4,000 embedded training
    digits they lift the test accuracy by about one point. Nothing is downloaded.

    The training loop is :func:`vegan_lib.train.fit` with ``data=(x, y)``: minibatches
    drawn without replacement, reshuffled every epoch (an incomplete last batch is
    dropped), Adam with betas (0.9, 0.999), the NaN guard and the progress bar of every
    model of the book. The initialisation, the minibatches and the shifts are seeded
    with ``seed``; torch's global random state (CPU, and CUDA when training there) is
    restored afterwards. The same seed gives the same weights (on the CPU; GPU kernels
    may differ in the last bits).

    With the defaults on ``mnist(split="train")`` it reaches about 97% accuracy on the
    1,000 digits of ``mnist(split="test")`` (:func:`classifier_accuracy`) in about 10 s
    on one CPU thread; ``python -m benchmarks.classifier`` checks both.

    Parameters
    ----------
    x : Tensor, shape (N, 1, 28, 28) or (N, 784)
        Images with pixels in [0, 1], e.g. ``mnist(split="train")[0]``.
    y : Tensor, shape (N,)
        Integer labels in :math:`\{0, \dots, 9\}`.
    steps : int
        Adam updates.
    batch_size : int
        Images per update, at most N.
    lr : float
        Adam's learning rate.
    max_shift : int
        Largest random translation in pixels; 0 turns the augmentation off.
    seed : int
        Seed of the initialisation, the minibatches and the shifts.
    device : str or torch.device, optional
        Where to train; defaults to the device of ``x``. The network stays there.
    progress : bool
        Show a ``tqdm`` progress bar with the current loss.

    Returns
    -------
    DigitClassifier
        The trained network, in evaluation mode.

    Raises
    ------
    ValueError
        If the images or labels have the wrong shape, dtype or values, or a setting is
        out of range (e.g. ``batch_size`` > N).
    RuntimeError
        If the loss or its gradient becomes NaN or inf (lower ``lr``).

    Examples
    --------
    >>> x, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10  # or mnist(split="train")
    >>> net = train_digit_classifier(x, y, steps=3, batch_size=16, progress=False)
    >>> tuple(net.features(x[:5]).shape), net.training
    ((5, 64), False)
    """
    images = check_digit_images(x, "x")
    labels = _check_digit_labels(y, images.shape[0], n_classes=DigitClassifier.n_classes)
    steps = check_positive_int(steps, "steps", "steps=2000")
    batch_size = check_positive_int(batch_size, "batch_size", "batch_size=64")
    lr = check_positive(lr, "lr", "lr=1e-3")
    max_shift = check_int_at_least(max_shift, "max_shift", 0, "max_shift=2")
    seed = check_seed(seed, bits=63)
    device = check_device(device)
    device = images.device if device is None else device
    cuda = []
    if device.type == "cuda":
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]

    with torch.random.fork_rng(devices=cuda):  # fit seeds the global generators
        torch.manual_seed(seed)
        net = DigitClassifier()
        objective = _CrossEntropyWithShifts(net, max_shift, seed)
        fit(objective, (images.to(device), labels.to(device)), steps=steps,
            batch_size=batch_size, lr=lr, seed=seed, device=device, progress=progress,
            desc="digit classifier")
    return net.eval()


@torch.no_grad()
def _apply_in_chunks(
    fn: Callable[[torch.Tensor], torch.Tensor],
    classifier: nn.Module,
    images: torch.Tensor,
    chunk: int = 1000,
) -> torch.Tensor:
    """``fn`` on the images in evaluation mode, by chunks, on the classifier's device."""
    first = next(iter(classifier.parameters()), None)
    device, dtype = (images.device, images.dtype) if first is None else (first.device, first.dtype)
    was_training = classifier.training
    classifier.eval()
    try:
        outputs = [
            fn(images[i : i + chunk].to(device, dtype)) for i in range(0, images.shape[0], chunk)
        ]
    finally:
        classifier.train(was_training)
    return torch.cat(outputs)


def classifier_accuracy(
    classifier: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    r"""Fraction of images whose largest logit is the true label.

    .. math::

        \mathrm{acc} = \frac1N \sum_{i=1}^N
            \mathbf 1\big[\operatorname{arg\,max}_k \mathrm{logits}(x_i)_k = y_i\big].

    The classifier runs in evaluation mode without gradient (its mode is restored
    afterwards), by chunks of 1,000 images, on its own device.

    Parameters
    ----------
    classifier : nn.Module
        Maps images (N, 1, 28, 28) to logits (N, K), e.g. a
        :class:`~vegan_lib.nets.DigitClassifier`.
    x : Tensor, shape (N, 1, 28, 28) or (N, 784)
        Images, e.g. ``mnist(split="test")[0]``.
    y : Tensor, shape (N,)
        Integer labels in :math:`\{0, \dots, 9\}`.

    Returns
    -------
    Tensor, shape ()
        The accuracy in [0, 1], a float64 0-dim tensor on the device of ``x``.

    Raises
    ------
    ValueError
        If ``classifier`` is not an ``nn.Module``, the images or labels are malformed, or
        the logits are not of shape (N, K).

    Examples
    --------
    A "classifier" whose logits always favour digit 0 is right exactly on the zeros:

    >>> always_zero = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    >>> _ = nn.init.zeros_(always_zero[1].weight); _ = always_zero[1].bias.data[0].fill_(1.0)
    >>> x, y = torch.zeros(4, 1, 28, 28), torch.tensor([0, 0, 1, 2])
    >>> classifier_accuracy(always_zero, x, y).item()
    0.5
    """
    classifier = check_classifier(classifier)
    images = check_digit_images(x, "x")
    labels = _check_digit_labels(y, images.shape[0], n_classes=DigitClassifier.n_classes)
    logits = _apply_in_chunks(classifier, classifier, images)
    if logits.ndim != 2 or logits.shape[0] != images.shape[0]:
        raise ValueError(
            f"the classifier returned shape {tuple(logits.shape)} for {images.shape[0]} "
            "images; it must return logits of shape (N, K)"
        )
    correct = logits.argmax(dim=1).to(labels.device) == labels
    return correct.to(float64_on(labels.device)).mean()


def classifier_features(classifier: nn.Module, x: torch.Tensor) -> torch.Tensor:
    r"""The classifier's features :math:`\phi(x_i)`, one row per image, without gradient.

    .. math::

        \Phi = \big(\phi(x_1), \dots, \phi(x_N)\big)^\top \in \mathbb{R}^{N \times k},

    with :math:`\phi` = ``classifier.features`` (the penultimate layer of a
    :class:`~vegan_lib.nets.DigitClassifier`), run in evaluation mode by chunks of
    1,000 images on the classifier's device (its mode is restored afterwards). These
    are what :func:`vegan_lib.metrics.frechet_classifier_distance` compares.

    Parameters
    ----------
    classifier : nn.Module
        Has a ``features(x)`` method mapping (N, 1, 28, 28) to (N, k).
    x : Tensor, shape (N, 1, 28, 28) or (N, 784)
        Images with pixels in [0, 1].

    Returns
    -------
    Tensor, shape (N, k)
        On the classifier's device, in its dtype.

    Raises
    ------
    ValueError
        If ``classifier`` has no ``features`` method, the images are malformed, or the
        features are not of shape (N, k).

    Examples
    --------
    >>> net = DigitClassifier(feature_dim=8)
    >>> phi = classifier_features(net, torch.rand(3, 784))
    >>> tuple(phi.shape), bool((phi >= 0).all())  # ReLU features
    ((3, 8), True)
    """
    classifier = check_classifier(classifier, needs_features=True)
    images = check_digit_images(x, "x")
    features = _apply_in_chunks(classifier.features, classifier, images)
    if features.ndim != 2 or features.shape[0] != images.shape[0]:
        raise ValueError(
            f"classifier.features returned shape {tuple(features.shape)} for "
            f"{images.shape[0]} images; it must return one feature vector per image, "
            "shape (N, k)"
        )
    return features
