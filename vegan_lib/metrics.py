r"""Image quality measures: how sharp are a model's reconstructions and samples?

Chapter 5 explains why VAEs blur; this module puts a number on it, the blur measure of
the WAE paper (Tolstikhin et al., 2018, Section 4): convolve each image with the
discrete Laplacian and take the variance of the result. Edges give large Laplacian
responses of both signs, so sharp images have a large variance and blurred ones a small
one. Compare a model's images with the data's own value (:func:`sharpness_ratio`).

Tensors in, tensors out: results are 0-dim tensors on the input's device and dtype.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["LAPLACIAN", "sharpness", "sharpness_ratio"]

LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))
"""The 3 x 3 discrete Laplacian used by :func:`sharpness`."""


def _as_batch_of_grey_images(images: torch.Tensor, name: str) -> torch.Tensor:
    """Validate ``images`` and return them with shape (N, 1, H, W)."""
    if not isinstance(images, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of shape (N, H, W) or (N, 1, H, W), got "
            f"{type(images).__name__}; convert it with torch.as_tensor({name})"
        )
    if not images.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {images.dtype}; convert "
            f"8-bit images with {name}.float() / 255 (the sharpness depends on the scale)"
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
    if not bool(torch.isfinite(batch).all()):
        raise ValueError(
            f"{name} contains NaN or inf values; check the decoder's output before measuring"
        )
    return batch


def _laplacian_variances(batch: torch.Tensor) -> torch.Tensor:
    kernel = torch.tensor(LAPLACIAN, device=batch.device, dtype=batch.dtype).reshape(1, 1, 3, 3)
    # The Laplacian is symmetric, so cross-correlation (conv2d) equals convolution.
    response = F.conv2d(batch, kernel)  # valid padding: (N, 1, H - 2, W - 2)
    return response.flatten(1).var(dim=1, correction=0)


def sharpness(images: torch.Tensor) -> torch.Tensor:
    r"""Mean variance of the images' Laplacian: the WAE paper's sharpness (larger = sharper).

    .. math::

        \mathrm{sharpness}(x_{1:N}) = \frac1N \sum_{i=1}^N \operatorname{Var}\big(
            x_i * L \big), \qquad
        L = \begin{pmatrix} 0 & 1 & 0 \\ 1 & -4 & 1 \\ 0 & 1 & 0 \end{pmatrix},

    where :math:`x_i * L` is the 2-D convolution with valid padding (an
    :math:`(H-2) \times (W-2)` map) and :math:`\operatorname{Var}` the population
    variance (divided by the number of pixels, not by one less) over its pixels.

    Parameters
    ----------
    images : Tensor, shape (N, H, W) or (N, 1, H, W)
        Grey images, floating point, :math:`H, W \ge 3` (e.g. pixels in [0, 1]).

    Returns
    -------
    Tensor, shape ()
        A 0-dim tensor on the images' device and dtype (use ``.item()`` for a float).

    Raises
    ------
    ValueError
        If ``images`` is not a floating-point tensor of one of the two shapes, has more
        than one channel, is empty, smaller than 3 x 3, or contains NaN or inf.

    References
    ----------
    Tolstikhin et al., "Wasserstein auto-encoders", ICLR 2018, Section 4 (Table 1).

    Examples
    --------
    A 4 x 4 image with one bright pixel at (1, 1) has four valid positions, where the
    Laplacian reads -4, 1, 1 and 0: mean -1/2, variance
    :math:`(3.5^2 + 1.5^2 + 1.5^2 + 0.5^2) / 4 = 4.25`.

    >>> x = torch.zeros(1, 4, 4); x[0, 1, 1] = 1.0
    >>> round(sharpness(x).item(), 4)
    4.25
    >>> round(sharpness(torch.ones(2, 1, 5, 5)).item(), 4)  # a flat image has no edges
    0.0
    """
    return _laplacian_variances(_as_batch_of_grey_images(images, "images")).mean()


def sharpness_ratio(images: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    r"""Sharpness of ``images`` relative to that of ``reference`` (e.g. real data).

    .. math::

        \frac{\mathrm{sharpness}(x_{1:N})}{\mathrm{sharpness}(y_{1:M})} .

    1 means "as sharp as the reference", below 1 blurrier.

    Parameters
    ----------
    images : Tensor, shape (N, H, W) or (N, 1, H, W)
    reference : Tensor, shape (M, H', W') or (M, 1, H', W')

    Returns
    -------
    Tensor, shape ()
        On the device and dtype of ``images``.

    Raises
    ------
    ValueError
        As :func:`sharpness` for either input, or if the reference's sharpness is 0
        (constant images): the ratio would be undefined.

    Examples
    --------
    >>> x = torch.zeros(1, 4, 4); x[0, 1, 1] = 1.0
    >>> round(sharpness_ratio(0.5 * x, x).item(), 4)  # halving contrast quarters it
    0.25
    """
    numerator = sharpness(images)
    denominator = _laplacian_variances(_as_batch_of_grey_images(reference, "reference")).mean()
    if float(denominator) <= 0.0:
        raise ValueError(
            "the reference images have sharpness 0 (they are constant), so the ratio is "
            "undefined; pass real images as the reference"
        )
    return numerator / denominator.to(device=numerator.device, dtype=numerator.dtype)
