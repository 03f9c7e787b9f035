r"""Image quality measures: how sharp are a model's reconstructions and samples?

Chapter 5 explains why VAEs blur; this module puts a number on it, the blur measure of
the WAE paper (Tolstikhin et al., 2018, Section 4): convolve each image with the
discrete Laplacian and take the variance of the result. Edges give large Laplacian
responses of both signs, so sharp images have a large variance and blurred ones a small
one. Compare a model's images with the data's own value (:func:`sharpness_ratio`).

It also compares a model's images with held-out real ones by the exact Wasserstein
distance in pixel space (:func:`w2_to_data`), to be read against what real digits
themselves score at the same sample size (:func:`data_floor`).

Pixel distances weigh every pixel alike; a classifier's features weigh what tells digits
apart. :func:`train_digit_classifier` trains a small network
(:class:`~vegan_lib.nets.DigitClassifier`) on the embedded MNIST digits in seconds, and
:func:`frechet_classifier_distance` compares a model's images with real ones by the
Fréchet distance (:func:`frechet_distance`) between Gaussian fits of their features:
FID with a digit classifier in place of the Inception network. Check the classifier with
:func:`classifier_accuracy` first.

Tensors in, tensors out: results are 0-dim tensors on the input's device and dtype
(float64 for the exact transport distances and the Fréchet distances).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from vegan_lib.nets import DigitClassifier
from vegan_lib.transport import wasserstein

__all__ = [
    "LAPLACIAN",
    "sharpness",
    "sharpness_ratio",
    "w2_to_data",
    "data_floor",
    "frechet_distance",
    "train_digit_classifier",
    "classifier_accuracy",
    "frechet_classifier_distance",
]

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


# --------------------------------------------------------------------------- Fréchet distance
def _check_features(features: torch.Tensor, name: str) -> torch.Tensor:
    """Validate a feature matrix (n, d) with n >= 2 and return it detached."""
    if not isinstance(features, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of shape (n, d), got {type(features).__name__}; "
            f"convert it with torch.as_tensor({name})"
        )
    if not features.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {features.dtype}; convert "
            f"it with {name}.double()"
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


def _float64_on(device: torch.device) -> torch.dtype:
    # Apple's MPS has no float64; everything else (CPU, CUDA) does.
    return torch.float32 if device.type == "mps" else torch.float64


def _mean_and_covariance(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample mean (d,) and unbiased sample covariance (d, d), in float64."""
    f = features.to(torch.float64)
    mean = f.mean(dim=0)
    centred = f - mean
    return mean, centred.T @ centred / (f.shape[0] - 1)


def _psd_sqrt(S: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a symmetric PSD matrix, tiny negative eigenvalues -> 0."""
    eigenvalues, V = torch.linalg.eigh(S)
    return (V * eigenvalues.clamp(min=0).sqrt()) @ V.T


def frechet_distance(x_features: torch.Tensor, y_features: torch.Tensor) -> torch.Tensor:
    r"""Fréchet distance between Gaussian fits of two feature sets (the FID formula).

    .. math::

        d_F^2 = \lVert \mu_1 - \mu_2 \rVert_2^2 + \operatorname{Tr}\Big(\Sigma_1 + \Sigma_2
            - 2 \big(\Sigma_1 \Sigma_2\big)^{1/2}\Big),

    where :math:`\mu_1, \Sigma_1` are the sample mean and the unbiased sample covariance
    (divided by :math:`n - 1`) of the rows of ``x_features``, and :math:`\mu_2, \Sigma_2`
    those of ``y_features``. It is the *squared* Wasserstein-2 distance between
    :math:`N(\mu_1, \Sigma_1)` and :math:`N(\mu_2, \Sigma_2)` (compare
    :func:`vegan_lib.transport.gaussian_w2`, which returns :math:`W_2` itself), and what
    FID reports. The trace of the matrix square root is computed from the symmetric
    matrix :math:`\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2}`, which has the same eigenvalues
    as :math:`\Sigma_1 \Sigma_2`:

    .. math::

        \operatorname{Tr}\big(\Sigma_1 \Sigma_2\big)^{1/2}
            = \sum_i \sqrt{\lambda_i\big(\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2}\big)},

    by symmetric eigendecompositions in float64 with tiny negative eigenvalues (rounding)
    set to 0, so singular covariances (:math:`n \le d`) are fine. The result is
    :math:`\ge 0`. With finite samples it is biased upwards: two samples of one law score
    above 0, by an amount that shrinks roughly like :math:`1/n`, so compare values at the
    same sample sizes only.

    Parameters
    ----------
    x_features : Tensor, shape (n, d)
        One feature vector per row, :math:`n \ge 2`.
    y_features : Tensor, shape (m, d)
        Same ``d`` and device, :math:`m \ge 2` (``m`` may differ from ``n``).

    Returns
    -------
    Tensor, shape ()
        :math:`d_F^2`, a float64 0-dim tensor on the inputs' device, without gradient.

    Raises
    ------
    ValueError
        If an input is not a floating-point tensor of shape (n, d), has fewer than 2 rows
        or contains NaN/inf, if the feature dimensions ``d`` differ, or if the inputs are
        on different devices.

    References
    ----------
    Heusel et al., "GANs trained by a two time-scale update rule converge to a local Nash
    equilibrium", NeurIPS 2017 (FID). Dowson & Landau, "The Fréchet distance between
    multivariate normal distributions", J. Multivariate Anal. 12 (1982).

    Examples
    --------
    Translating a feature set by :math:`t = (3, 4)` gives :math:`\lVert t \rVert^2 = 25`;
    in 1-D, samples :math:`\{0, 2\}` and :math:`\{0, 4\}` (means 1 and 2, variances 2 and
    8) give :math:`1 + (\sqrt 2 - \sqrt 8)^2 = 3`:

    >>> x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    >>> round(frechet_distance(x, x + torch.tensor([3.0, 4.0])).item(), 6)
    25.0
    >>> a, b = torch.tensor([[0.0], [2.0]]), torch.tensor([[0.0], [4.0]])
    >>> round(frechet_distance(a, b).item(), 6)
    3.0
    """
    x = _check_features(x_features, "x_features")
    y = _check_features(y_features, "y_features")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x_features has d={x.shape[1]} features per row but y_features has "
            f"d={y.shape[1]}; compute both with the same network"
        )
    if x.device != y.device:
        raise ValueError(
            f"x_features is on {x.device} but y_features on {y.device}; move them to one "
            "device first, e.g. y_features = y_features.to(x_features.device)"
        )
    device = x.device
    if device.type == "mps":  # Apple's MPS has neither float64 nor eigh: compute on the CPU
        x, y = x.cpu(), y.cpu()
    mu1, S1 = _mean_and_covariance(x)
    mu2, S2 = _mean_and_covariance(y)
    root1 = _psd_sqrt(S1)
    middle = root1 @ S2 @ root1
    middle = (middle + middle.T) / 2  # symmetric up to rounding; eigvalsh reads one triangle
    trace_sqrt = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()
    d2 = (mu1 - mu2).pow(2).sum() + torch.trace(S1) + torch.trace(S2) - 2 * trace_sqrt
    d2 = d2.clamp(min=0)  # rounding can leave -1e-15 for identical sets
    return d2.to(device, _float64_on(device))


# --------------------------------------------------------------------------- digit classifier
def _digit_images(images: torch.Tensor, name: str, n: int | None = None) -> torch.Tensor:
    """Validate 28 x 28 grey images, (N, 1, 28, 28) or (N, 784); return the first n as 4-D."""
    if not isinstance(images, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of shape (N, 1, 28, 28) or (N, 784), got "
            f"{type(images).__name__}; convert it with torch.as_tensor({name})"
        )
    if not images.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor with pixels in [0, 1], got dtype "
            f"{images.dtype}; convert 8-bit images with {name}.float() / 255"
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
    if not bool(torch.isfinite(batch).all()):
        raise ValueError(
            f"{name} contains NaN or inf values; check the decoder's output before measuring"
        )
    return batch


def _digit_labels(labels: torch.Tensor, n: int, name: str = "y") -> torch.Tensor:
    if not isinstance(labels, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of integer labels, got {type(labels).__name__}; "
            f"convert it with torch.as_tensor({name})"
        )
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ValueError(
            f"{name} must hold integer class labels 0-9, got dtype {labels.dtype}; convert "
            f"it with {name}.long()"
        )
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"{name} must have shape ({n},), one label per image, got {tuple(labels.shape)}"
        )
    if bool(((labels < 0) | (labels >= DigitClassifier.n_classes)).any()):
        raise ValueError(
            f"{name} must hold digit labels in {{0, ..., 9}}, got values from "
            f"{int(labels.min())} to {int(labels.max())}"
        )
    return labels.long()


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be a {kind} integer, got {value!r}")
    return value


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

    with minibatches of :math:`B` = ``batch_size`` images drawn uniformly with
    replacement, each translated by its own random :math:`\tau_i` of at most
    ``max_shift`` pixels in each direction (zeros shifted in). The shifts are data
    augmentation: with the 4,000 embedded training digits they lift the test accuracy
    by about one point. Nothing is downloaded.

    The initialisation, the minibatches and the shifts are drawn from generators seeded
    with ``seed``, without touching torch's global random state: the same seed gives
    the same weights (on the CPU; GPU kernels may differ in the last bits).

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
        Images per update.
    lr : float
        Adam's learning rate (betas (0.9, 0.999)).
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
        out of range.
    RuntimeError
        If the loss becomes NaN or inf (lower ``lr``).

    Examples
    --------
    >>> x, y = torch.rand(64, 1, 28, 28), torch.arange(64) % 10  # or mnist(split="train")
    >>> net = train_digit_classifier(x, y, steps=3, batch_size=16, progress=False)
    >>> tuple(net.features(x[:5]).shape), net.training
    ((5, 64), False)
    """
    images = _digit_images(x, "x")
    labels = _digit_labels(y, images.shape[0])
    steps = _check_int(steps, "steps", minimum=1)
    batch_size = _check_int(batch_size, "batch_size", minimum=1)
    max_shift = _check_int(max_shift, "max_shift", minimum=0)
    seed = _check_int(seed, "seed", minimum=0)
    valid_lr = isinstance(lr, (int, float)) and not isinstance(lr, bool)
    if not (valid_lr and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}; try 1e-3")
    device = images.device if device is None else torch.device(device)

    with torch.random.fork_rng(devices=[]):  # seeded initialisation, global state untouched
        torch.manual_seed(seed)
        net = DigitClassifier()
    net.to(device).train()
    images, labels = images.to(device), labels.to(device)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    bar = tqdm(range(1, steps + 1), desc="digit classifier", disable=not progress)
    for step in bar:
        index = torch.randint(0, images.shape[0], (batch_size,), generator=generator)
        index = index.to(device)
        batch = images[index]
        if max_shift > 0:
            batch = _random_shifts(batch, max_shift, generator)
        loss = F.cross_entropy(net(batch), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == steps:  # one host sync every 100 steps
            value = loss.item()
            if not math.isfinite(value):
                raise RuntimeError(
                    f"step {step}: the classifier's loss is {value}; lower lr (lr={lr:g}) "
                    "and check the images for extreme values"
                )
            bar.set_postfix(loss=f"{value:.3f}", refresh=False)
    bar.close()
    return net.eval()


def _check_module(classifier: object, needs_features: bool) -> nn.Module:
    if not isinstance(classifier, nn.Module):
        raise ValueError(
            f"classifier must be an nn.Module, got {type(classifier).__name__}; train one "
            "with train_digit_classifier(x, y)"
        )
    if needs_features and not callable(getattr(classifier, "features", None)):
        raise ValueError(
            f"classifier ({type(classifier).__name__}) has no features(x) method; use a "
            "DigitClassifier, e.g. train_digit_classifier(x, y)"
        )
    return classifier


@torch.no_grad()
def _apply_in_chunks(
    fn, classifier: nn.Module, images: torch.Tensor, chunk: int = 1000
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
    classifier = _check_module(classifier, needs_features=False)
    images = _digit_images(x, "x")
    labels = _digit_labels(y, images.shape[0])
    logits = _apply_in_chunks(classifier, classifier, images)
    if logits.ndim != 2 or logits.shape[0] != images.shape[0]:
        raise ValueError(
            f"the classifier returned shape {tuple(logits.shape)} for {images.shape[0]} "
            "images; it must return logits of shape (N, K)"
        )
    correct = logits.argmax(dim=1).to(labels.device) == labels
    return correct.to(_float64_on(labels.device)).mean()


def frechet_classifier_distance(
    samples: torch.Tensor,
    reference: torch.Tensor,
    classifier: nn.Module,
    n: int = 1000,
) -> torch.Tensor:
    r"""Fréchet classifier distance (FCD): :func:`frechet_distance` on a classifier's features.

    .. math::

        \mathrm{FCD} = d_F^2\big(\phi(x_{1:n}), \phi(y_{1:n})\big)
            = \lVert \mu_x - \mu_y \rVert^2 + \operatorname{Tr}\big(\Sigma_x + \Sigma_y
                - 2 (\Sigma_x \Sigma_y)^{1/2}\big),

    where :math:`\phi` is ``classifier.features`` (the penultimate layer of a
    :class:`~vegan_lib.nets.DigitClassifier`), :math:`x_{1:n}` the first ``n`` samples
    and :math:`y_{1:n}` the first ``n`` reference images (e.g. held-out test digits):
    FID with a digit classifier in place of the Inception network. Lower is better. Like
    :func:`w2_to_data` it is above 0 even for a perfect model at finite ``n``: read it
    against the FCD of real training digits to the reference (the data floor) at the same
    ``n``, with the same classifier. Values from different classifiers are not comparable.

    Parameters
    ----------
    samples : Tensor, shape (N, 1, 28, 28) or (N, 784)
        Model images with pixels in [0, 1], :math:`N \ge n`.
    reference : Tensor, shape (M, 1, 28, 28) or (M, 784)
        Real images, :math:`M \ge n`.
    classifier : nn.Module
        Has a ``features(x)`` method mapping (N, 1, 28, 28) to (N, k), e.g. from
        :func:`train_digit_classifier`. Run in evaluation mode without gradient on its
        own device (the images are moved there); its mode is restored afterwards.
    n : int
        Number of images taken from the front of each set; use :math:`n \gg k`
        (1,000 for the 64 features of the default classifier).

    Returns
    -------
    Tensor, shape ()
        The FCD, a float64 0-dim tensor on the device of ``samples``, without gradient.

    Raises
    ------
    ValueError
        If an input is not a floating-point tensor of one of the two shapes, holds fewer
        than ``n`` images or NaN/inf, if ``n`` is not an integer >= 2, or if the
        classifier has no ``features`` method or its features are not of shape (n, k).

    Examples
    --------
    A set of images is at distance 0 from itself, whatever the classifier:

    >>> _ = torch.manual_seed(0)
    >>> x = torch.rand(50, 1, 28, 28)
    >>> round(frechet_classifier_distance(x, x, DigitClassifier(), n=50).item(), 4)
    0.0
    """
    n = _check_sample_size(n)
    if n < 2:
        raise ValueError(f"n must be at least 2 to estimate covariances, got n={n}")
    classifier = _check_module(classifier, needs_features=True)
    x = _digit_images(samples, "samples", n)
    y = _digit_images(reference, "reference", n)
    fx = _apply_in_chunks(classifier.features, classifier, x)
    fy = _apply_in_chunks(classifier.features, classifier, y)
    if fx.ndim != 2 or fx.shape[0] != n:
        raise ValueError(
            f"classifier.features returned shape {tuple(fx.shape)} for {n} images; it must "
            "return one feature vector per image, shape (n, k)"
        )
    return frechet_distance(fx, fy).to(samples.device, _float64_on(samples.device))
