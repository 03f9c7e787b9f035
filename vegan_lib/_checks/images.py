"""Validation of digit images, shared by the classifier and the metrics.

Part of :mod:`vegan_lib._checks`, the library's one validation layer.
"""

from __future__ import annotations

from typing import Any

import torch

from vegan_lib._checks.tensors import check_float_tensor


def check_finite_images(images: torch.Tensor, name: str) -> None:
    """Raise ``ValueError`` if the images hold a NaN or an infinity.

    Examples
    --------
    >>> check_finite_images(torch.zeros(2, 1, 3, 3), "samples")  # passes silently
    """
    if not bool(torch.isfinite(images).all()):
        raise ValueError(
            f"{name} contains NaN or inf values; check the decoder's output before measuring"
        )


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
    check_finite_images(batch, name)
    return batch
