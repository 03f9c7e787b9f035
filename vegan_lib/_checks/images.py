"""Validation of image batches, features and digit labels (metrics and the classifier).

Part of :mod:`vegan_lib._checks`, the library's one validation layer.
"""

from __future__ import annotations

from typing import Any

import torch

from vegan_lib._checks.tensors import check_float_tensor
from vegan_lib._checks.values import check_positive_int


def _check_finite_images(images: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(images).all()):
        raise ValueError(
            f"{name} contains NaN or inf values; check the decoder's output before measuring"
        )


def check_grey_images(images: Any, name: str) -> torch.Tensor:
    """Validate grey images (N, H, W) or (N, 1, H, W), H, W >= 3; return them as (N, 1, H, W).

    Examples
    --------
    >>> check_grey_images(torch.zeros(2, 5, 5), "images").shape
    torch.Size([2, 1, 5, 5])
    """
    images = check_float_tensor(
        images, name, "(N, H, W) or (N, 1, H, W)",
        f"convert 8-bit images with {name}.float() / 255 (the sharpness depends on the scale)",
    )
    if images.ndim == 4 and images.shape[1] != 1:
        raise ValueError(
            f"{name} must be grey images with one channel, got shape {tuple(images.shape)} "
            f"({images.shape[1]} channels); convert to grey, e.g. {name}.mean(1, keepdim=True)"
        )
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{name} must have shape (N, H, W) or (N, 1, H, W), got {tuple(images.shape)}; "
            f"add a batch axis to a single image with {name}[None]"
        )
    batch = images if images.ndim == 4 else images.unsqueeze(1)
    n, _, h, w = batch.shape
    if n == 0:
        raise ValueError(f"{name} is empty; pass at least one image")
    if h < 3 or w < 3:
        raise ValueError(
            f"{name} must be at least 3 x 3 pixels for a 3 x 3 filter with valid padding, "
            f"got {h} x {w}"
        )
    _check_finite_images(batch, name)
    return batch


def check_flat_images(images: Any, name: str, n: int) -> torch.Tensor:
    """Validate images (N, ...) with N >= n; return the first ``n`` flattened, (n, d), detached.

    Examples
    --------
    >>> check_flat_images(torch.zeros(3, 1, 2, 2), "samples", n=2).shape
    torch.Size([2, 4])
    """
    images = check_float_tensor(
        images, name, "(N, ...)",
        f"convert 8-bit images with {name}.float() / 255 (the distance depends on the scale)",
    )
    if images.ndim < 2:
        raise ValueError(
            f"{name} must have shape (N, ...) with one image per row, got "
            f"{tuple(images.shape)}; add a batch axis with {name}[None]"
        )
    if images.shape[0] < n:
        raise ValueError(
            f"{name} holds {images.shape[0]} images but n={n} are compared; pass at least "
            "n images or lower n"
        )
    flat = images[:n].detach().flatten(1)
    if flat.shape[1] == 0:
        raise ValueError(f"{name} has empty images, shape {tuple(images.shape)}")
    _check_finite_images(flat, name)
    return flat


def check_flat_image_pair(
    x: Any, y: Any, names: tuple[str, str], n: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`check_flat_images` for two sets of one image size and device; float64 (n, d) each.

    Examples
    --------
    >>> a, b = check_flat_image_pair(torch.zeros(2, 2, 2), torch.ones(3, 4), ("x", "y"), 2)
    >>> a.shape, b.dtype
    (torch.Size([2, 4]), torch.float64)
    """
    n = check_positive_int(n, "n", "n=1000 (the number of images compared)")
    fx, fy = check_flat_images(x, names[0], n), check_flat_images(y, names[1], n)
    if fx.shape[1] != fy.shape[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must hold images of the same size, got "
            f"{tuple(x.shape[1:])} ({fx.shape[1]} values) and {tuple(y.shape[1:])} "
            f"({fy.shape[1]} values); compare images of one data set"
        )
    if fx.device != fy.device:
        raise ValueError(
            f"{names[0]} is on {fx.device} but {names[1]} on {fy.device}; move them to one "
            f"device first, e.g. {names[1]} = {names[1]}.to({names[0]}.device)"
        )
    return fx.to(torch.float64), fy.to(torch.float64)


def check_features(features: Any, name: str) -> torch.Tensor:
    """Validate a finite feature matrix (n, d), n >= 2 rows (for a covariance); return it detached.

    Examples
    --------
    >>> check_features(torch.zeros(3, 2), "x_features").shape
    torch.Size([3, 2])
    """
    features = check_float_tensor(
        features, name, "(n, d)", f"convert it with {name}.double()"
    )
    if features.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n, d), one feature vector per row, got "
            f"{tuple(features.shape)}; flatten each sample with {name}.flatten(1)"
        )
    n, d = features.shape
    if d == 0:
        raise ValueError(f"{name} has no features (shape {tuple(features.shape)}); d must be >= 1")
    if n < 2:
        raise ValueError(
            f"{name} holds {n} sample(s) but a covariance needs at least 2; pass more "
            "samples (in practice many more than d)"
        )
    if not bool(torch.isfinite(features).all()):
        raise ValueError(
            f"{name} contains NaN or inf values; check the images and the network that "
            "computed the features"
        )
    return features.detach()


def check_digit_images(images: Any, name: str, n: int | None = None) -> torch.Tensor:
    """Validate 28 x 28 grey images (N, 1, 28, 28) or (N, 784); return the first ``n`` as 4-D.

    Examples
    --------
    >>> check_digit_images(torch.zeros(3, 784), "x", n=2).shape
    torch.Size([2, 1, 28, 28])
    """
    images = check_float_tensor(
        images, name, "(N, 1, 28, 28) or (N, 784)",
        f"convert 8-bit images with {name}.float() / 255 (pixels in [0, 1])",
    )
    flat = images.ndim == 2 and images.shape[1] == 784
    if not flat and (images.ndim != 4 or tuple(images.shape[1:]) != (1, 28, 28)):
        raise ValueError(
            f"{name} must have shape (N, 1, 28, 28) or (N, 784), got {tuple(images.shape)}; "
            f"reshape 28 x 28 images with {name}.reshape(-1, 1, 28, 28)"
        )
    if images.shape[0] == 0:
        raise ValueError(f"{name} is empty; pass at least one image")
    if n is not None and images.shape[0] < n:
        raise ValueError(
            f"{name} holds {images.shape[0]} images but n={n} are compared; pass at least "
            "n images or lower n"
        )
    batch = images[:n].detach().reshape(-1, 1, 28, 28)
    _check_finite_images(batch, name)
    return batch


def check_digit_labels(labels: Any, n: int, name: str = "y", n_classes: int = 10) -> torch.Tensor:
    """Validate integer class labels of shape (n,) in {0, ..., n_classes - 1}; return them as int64.

    Examples
    --------
    >>> check_digit_labels(torch.tensor([3, 1], dtype=torch.int32), 2)
    tensor([3, 1])
    """
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
