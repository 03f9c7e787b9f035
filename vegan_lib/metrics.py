r"""Image quality measures: how sharp are a model's reconstructions and samples?

Chapter 5 explains why VAEs blur; this module puts a number on it, the blur measure of
the WAE paper (Tolstikhin et al., 2018, Section 4): convolve each image with the
discrete Laplacian and take the variance of the result. Edges give large Laplacian
responses of both signs, so sharp images have a large variance and blurred ones a small
one. Compare a model's images with the data's own value (:func:`sharpness_ratio`).

It also compares a model's images with held-out real ones by the exact Wasserstein
distance in pixel space (:func:`w2_to_data`), to be read against what real digits
themselves score at the same sample size (:func:`data_floor`).

Tensors in, tensors out: results are 0-dim tensors on the input's device and dtype
(float64 for the exact transport distances).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vegan_lib.transport import wasserstein

__all__ = ["LAPLACIAN", "sharpness", "sharpness_ratio", "w2_to_data", "data_floor"]

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


def _check_sample_size(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer (the number of images compared), got {n!r}")
    return n


def _first_n_flat(images: torch.Tensor, name: str, n: int) -> torch.Tensor:
    """Validate ``images`` (N, ...) and return its first ``n`` items flattened, (n, d)."""
    if not isinstance(images, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of shape (N, ...), got {type(images).__name__}; "
            f"convert it with torch.as_tensor({name})"
        )
    if not images.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {images.dtype}; convert "
            f"8-bit images with {name}.float() / 255 (the distance depends on the scale)"
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
    if not bool(torch.isfinite(flat).all()):
        raise ValueError(
            f"{name} contains NaN or inf values; check the decoder's output before measuring"
        )
    return flat


def _flat_pair(
    x: torch.Tensor, y: torch.Tensor, names: tuple[str, str], n: int
) -> tuple[torch.Tensor, torch.Tensor]:
    n = _check_sample_size(n)
    fx, fy = _first_n_flat(x, names[0], n), _first_n_flat(y, names[1], n)
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


def w2_to_data(samples: torch.Tensor, reference: torch.Tensor, n: int = 1000) -> torch.Tensor:
    r"""Exact :math:`W_2` between ``n`` model images and ``n`` reference images, in pixel space.

    .. math::

        W_2\big(\hat P_n, \hat Q_n\big) = \Big( \min_{\pi \in \Pi(\frac1n
            \mathbf 1, \frac1n \mathbf 1)} \sum_{i,j} \pi_{ij}\,
            \lVert x_i - y_j \rVert_2^2 \Big)^{1/2},

    where :math:`x_{1:n}` are the first ``n`` samples and :math:`y_{1:n}` the first
    ``n`` reference images (e.g. held-out test digits), each flattened to a vector of
    :math:`d` pixels, with uniform weights. The optimal plan is found exactly by the
    network simplex (:func:`vegan_lib.transport.wasserstein`) in float64. With finite
    ``n`` even a perfect model scores above 0: compare with :func:`data_floor` at the
    same ``n``.

    Parameters
    ----------
    samples : Tensor, shape (N, ...)
        Model images, e.g. (N, 1, 28, 28), floating point, :math:`N \ge n`.
    reference : Tensor, shape (M, ...)
        Real images of the same size, on the same device, :math:`M \ge n`.
    n : int
        Number of images taken from the front of each set.

    Returns
    -------
    Tensor, shape ()
        :math:`W_2` (not squared), a float64 0-dim tensor on the inputs' device, without
        gradient.

    Raises
    ------
    ValueError
        If an input is not a floating-point tensor of shape (N, ...), holds fewer than
        ``n`` images or NaN/inf, if the image sizes or devices differ, or if ``n`` is not
        a positive integer.

    Examples
    --------
    Two black and two white 2 x 2 images: every pair differs by 1 in 4 pixels, so each
    image moves by :math:`\sqrt 4 = 2`:

    >>> black, white = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    >>> round(w2_to_data(black, white, n=2).item(), 6)
    2.0
    """
    x, y = _flat_pair(samples, reference, ("samples", "reference"), n)
    return wasserstein(x, y, p=2)


def data_floor(
    train_images: torch.Tensor, test_images: torch.Tensor, n: int = 1000
) -> torch.Tensor:
    r"""The data floor: :func:`w2_to_data` for real training images, what a perfect model scores.

    .. math::

        W_2\big(\hat P^{\mathrm{train}}_n, \hat P^{\mathrm{test}}_n\big),

    the exact :math:`W_2` between the first ``n`` training and the first ``n`` test images
    (flattened, uniform weights). A model that samples exactly from the data distribution
    scores this on average at sample size ``n``, so a model's :func:`w2_to_data` is read as
    a ratio to it. The two sets must be disjoint: an image in both would lower the floor
    (identical sets give 0).

    Parameters
    ----------
    train_images : Tensor, shape (N, ...)
        Real images not in ``test_images``, :math:`N \ge n`.
    test_images : Tensor, shape (M, ...)
        Held-out real images of the same size and device, :math:`M \ge n`.
    n : int
        Number of images taken from the front of each set.

    Returns
    -------
    Tensor, shape ()
        A float64 0-dim tensor on the inputs' device, without gradient.

    Raises
    ------
    ValueError
        As :func:`w2_to_data`, or if the first ``n`` images of the two sets share an
        image (the floor needs two independent samples).

    Examples
    --------
    One-pixel "images" 0, 1 against 0.5, 1.5: each moves by 0.5.

    >>> train = torch.tensor([0.0, 1.0]).reshape(2, 1, 1, 1)
    >>> round(data_floor(train, train + 0.5, n=2).item(), 6)
    0.5
    """
    x, y = _flat_pair(train_images, test_images, ("train_images", "test_images"), n)
    shared = int((torch.cdist(x, y) == 0).sum())
    if shared:
        raise ValueError(
            f"train_images and test_images share {shared} identical image pair(s) among the "
            f"first n={n}; the floor needs two disjoint samples, e.g. "
            "mnist(split='train') and mnist(split='test')"
        )
    return wasserstein(x, y, p=2)
