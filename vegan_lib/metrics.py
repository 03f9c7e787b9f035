r"""Image quality measures: how sharp are a model's reconstructions and samples?

Chapter 5 explains why VAEs blur; this module puts a number on it, the blur measure of
the WAE paper (Tolstikhin et al., 2018, Section 4): convolve each image with the
discrete Laplacian and take the variance of the result. Edges give large Laplacian
responses of both signs, so sharp images have a large variance and blurred ones a small
one. Compare a model's images with the data's own value (:func:`sharpness_ratio`).

It also compares a model's images with held-out real ones by the exact Wasserstein
distance in pixel space (:func:`w2_to_data`, or :func:`model_w2_to_data` straight from a
model's sampler), to be read against what real digits themselves score at the same
sample size (:func:`data_floor`).

Pixel distances weigh every pixel alike; a classifier's features weigh what tells digits
apart. :func:`frechet_classifier_distance` compares a model's images with real ones by
the Fréchet distance (:func:`frechet_distance`, the squared
:func:`~vegan_lib.transport.gaussian_w2`) between Gaussian fits of the features of a
digit classifier (:mod:`vegan_lib.classifier`): FID with a digit classifier in place of
the Inception network. :func:`precision_recall` splits fidelity from diversity (a dict).

Tensors in, tensors out: results are 0-dim tensors on the input's device and dtype
(float64 for the exact transport distances and the Fréchet distances).
"""

from __future__ import annotations

from contextlib import redirect_stdout
from typing import Any

import torch
import torch.nn.functional as F
from prdc import compute_prdc
from torch import nn

from vegan_lib._checks import (
    as_numpy,
    check_classifier,
    check_digit_images,
    check_finite_images,
    check_float_tensor,
    check_int_at_least,
    check_points,
    check_positive_int,
    check_same_dim,
    float64_on,
)
from vegan_lib.classifier import classifier_features
from vegan_lib.transport import gaussian_w2, wasserstein

__all__ = [
    "LAPLACIAN",
    "sharpness",
    "sharpness_ratio",
    "w2_to_data",
    "model_w2_to_data",
    "data_floor",
    "frechet_distance",
    "frechet_classifier_distance",
    "precision_recall",
]

LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))
"""The 3 x 3 discrete Laplacian used by :func:`sharpness`."""


# ----------------------------------------------------------------------------- input checks
def _check_grey_images(images: Any, name: str) -> torch.Tensor:
    """Grey images (N, H, W) or (N, 1, H, W), H, W >= 3, finite; returned as (N, 1, H, W)."""
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
    check_finite_images(batch, name)
    return batch


def _check_flat_images(images: Any, name: str, n: int) -> torch.Tensor:
    """Finite images (N, ...) with N >= n; the first ``n`` flattened, (n, d), detached."""
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
    check_finite_images(flat, name)
    return flat


def _check_flat_image_pair(
    x: Any, y: Any, names: tuple[str, str], n: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`_check_flat_images` for two sets of one image size and device; float64 (n, d)."""
    n = check_positive_int(n, "n", "n=1000 (the number of images compared)")
    fx, fy = _check_flat_images(x, names[0], n), _check_flat_images(y, names[1], n)
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


def _check_features(features: Any, name: str) -> torch.Tensor:
    """A finite feature matrix (n, d) with n >= 2 rows (for a covariance), detached."""
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
    return _laplacian_variances(_check_grey_images(images, "images")).mean()


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
    denominator = _laplacian_variances(_check_grey_images(reference, "reference")).mean()
    if float(denominator) <= 0.0:
        raise ValueError(
            "the reference images have sharpness 0 (they are constant), so the ratio is "
            "undefined; pass real images as the reference"
        )
    return numerator / denominator.to(device=numerator.device, dtype=numerator.dtype)


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
    x, y = _check_flat_image_pair(samples, reference, ("samples", "reference"), n)
    return wasserstein(x, y, p=2)


def model_w2_to_data(
    model: nn.Module, reference: torch.Tensor, n: int = 1000, seed: int = 1
) -> torch.Tensor:
    r""":func:`w2_to_data` of ``n`` fresh samples :math:`G(Z_i)`, :math:`Z_i \sim P_Z`, of a model.

    .. math::

        W_2\big(\tfrac1n \textstyle\sum_i \delta_{G(Z_i)},\
            \tfrac1n \sum_j \delta_{y_j}\big),
            \qquad Z_1, \dots, Z_n \sim P_Z \text{ i.i.d.},

    with :math:`y_{1:n}` the first ``n`` reference points, exactly (network simplex,
    float64). The samples are ``model.sample(n)`` drawn without gradient after
    ``torch.manual_seed(seed)`` (torch's global generator, as :func:`~vegan_lib.train.fit`
    seeds it), so the same seed compares the same latent draws before and after
    training. They are moved to the reference's device, so a float64 CPU reference is
    fine for a model on a GPU.

    Parameters
    ----------
    model : nn.Module
        Has a ``sample(n)`` method returning (n, ...) points or images, e.g. a
        :class:`~vegan_lib.pot.POTModel`. Its training mode is left as it is.
    reference : Tensor, shape (M, ...)
        Held-out data of the samples' size, :math:`M \ge n`.
    n : int
        Number of samples, and of reference points taken from the front.
    seed : int
        Seed of torch's global generator before sampling.

    Returns
    -------
    Tensor, shape ()
        :math:`W_2` (not squared), float64, on the reference's device, without gradient.

    Raises
    ------
    ValueError
        If ``model`` has no ``sample`` method, ``n`` or ``seed`` is not a valid integer,
        or as :func:`w2_to_data`.

    Examples
    --------
    A "model" whose samples are all at the point :math:`(3, 4)`, against data at the
    origin, moves every point by 5:

    >>> class Constant(nn.Module):
    ...     def sample(self, n):
    ...         return torch.tensor([3.0, 4.0]).expand(n, 2)
    >>> round(model_w2_to_data(Constant(), torch.zeros(10, 2), n=10).item(), 6)
    5.0
    """
    if not callable(getattr(model, "sample", None)):
        raise ValueError(
            f"model ({type(model).__name__}) has no sample(n) method; pass a generative "
            "model such as a POTModel, or score its samples with w2_to_data(samples, reference)"
        )
    n = check_int_at_least(n, "n", 1, "n=1000 (the number of samples compared)")
    seed = check_int_at_least(seed, "seed", 0, "seed=1")
    torch.manual_seed(seed)
    with torch.no_grad():
        samples = model.sample(n)
    if isinstance(samples, torch.Tensor) and isinstance(reference, torch.Tensor):
        samples = samples.to(reference.device)
    return w2_to_data(samples, reference, n=n)


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
    x, y = _check_flat_image_pair(train_images, test_images, ("train_images", "test_images"), n)
    shared = int((torch.cdist(x, y) == 0).sum())
    if shared:
        raise ValueError(
            f"train_images and test_images share {shared} identical image pair(s) among the "
            f"first n={n}; the floor needs two disjoint samples, e.g. "
            "mnist(split='train') and mnist(split='test')"
        )
    return wasserstein(x, y, p=2)


# --------------------------------------------------------------------------- Fréchet distance
def _mean_and_covariance(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample mean (d,) and unbiased sample covariance (d, d), in float64."""
    f = features.to(torch.float64)
    mean = f.mean(dim=0)
    centred = f - mean
    covariance = centred.T @ centred / (f.shape[0] - 1)
    return mean, (covariance + covariance.T) / 2  # symmetric to the last bit


def frechet_distance(x_features: torch.Tensor, y_features: torch.Tensor) -> torch.Tensor:
    r"""Fréchet distance between Gaussian fits of two feature sets (the FID formula).

    .. math::

        d_F^2 = \lVert \mu_1 - \mu_2 \rVert_2^2 + \operatorname{Tr}\Big(\Sigma_1 + \Sigma_2
            - 2 \big(\Sigma_1 \Sigma_2\big)^{1/2}\Big),

    where :math:`\mu_1, \Sigma_1` are the sample mean and the unbiased sample covariance
    (divided by :math:`n - 1`) of the rows of ``x_features``, and :math:`\mu_2, \Sigma_2`
    those of ``y_features``. It is the *squared* Wasserstein-2 distance between
    :math:`N(\mu_1, \Sigma_1)` and :math:`N(\mu_2, \Sigma_2)`, and what FID reports:

    .. math::

        d_F^2 = W_2^2\big(N(\mu_1, \Sigma_1), N(\mu_2, \Sigma_2)\big),

    computed as ``gaussian_w2(mu_1, Sigma_1, mu_2, Sigma_2) ** 2``
    (:func:`vegan_lib.transport.gaussian_w2`, the Bures formula) with the moments in
    float64. :math:`\Sigma_1 \Sigma_2` has the eigenvalues of the symmetric
    :math:`\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2}`, so the trace term is
    :math:`\operatorname{Tr}(\Sigma_1^{1/2} \Sigma_2 \Sigma_1^{1/2})^{1/2}`; singular
    covariances (:math:`n \le d`) are fine. The result is :math:`\ge 0`. With finite
    samples it is biased upwards: two samples of one law score above 0, by an amount
    that shrinks roughly like :math:`1/n`, so compare values at the same sample sizes
    only.

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
    mean_x, cov_x = _mean_and_covariance(x)
    mean_y, cov_y = _mean_and_covariance(y)
    d2 = gaussian_w2(mean_x, cov_x, mean_y, cov_y) ** 2
    return d2.to(device, float64_on(device))


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
        :func:`~vegan_lib.classifier.train_digit_classifier`. Run in evaluation mode
        without gradient on its own device (the images are moved there); its mode is
        restored afterwards (:func:`~vegan_lib.classifier.classifier_features`).
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

    >>> from vegan_lib.nets import DigitClassifier
    >>> _ = torch.manual_seed(0)
    >>> x = torch.rand(50, 1, 28, 28)
    >>> round(frechet_classifier_distance(x, x, DigitClassifier(), n=50).item(), 4)
    0.0
    """
    n = check_positive_int(n, "n", "n=1000 (the number of images compared)")
    if n < 2:
        raise ValueError(f"n must be at least 2 to estimate covariances, got n={n}; e.g. n=1000")
    classifier = check_classifier(classifier, needs_features=True)
    x = check_digit_images(samples, "samples", n)
    y = check_digit_images(reference, "reference", n)
    fx, fy = classifier_features(classifier, x), classifier_features(classifier, y)
    return frechet_distance(fx, fy).to(samples.device, float64_on(samples.device))


def precision_recall(real_features: Any, fake_features: Any, k: int = 3) -> dict[str, float]:
    r"""Precision, recall, density and coverage of samples by k-nearest-neighbour balls.

    Each of :math:`N` real points gets the ball :math:`B_i = B(X_i, \mathrm{NND}_k(X_i))`,
    its radius the distance to the k-th nearest other real point; each of :math:`M` fakes
    gets :math:`B'_j = B(Y_j, \mathrm{NND}_k(Y_j))`, radius set among the fakes. Then

    .. math::

        \mathrm{precision} = \frac1M \sum_{j} \mathbb 1\Big[Y_j \in \bigcup_{i} B_i\Big],
        \quad \mathrm{recall} = \frac1N \sum_{i} \mathbb 1\Big[X_i \in \bigcup_{j} B'_j\Big],
        \\ \mathrm{density} = \frac{1}{kM} \sum_{i, j} \mathbb 1[Y_j \in B_i], \quad
        \mathrm{coverage} = \frac1N \sum_{i} \mathbb 1\big[\exists j:\ Y_j \in B_i\big].

    Precision is the share of samples that look real (blur costs it), recall the share of
    real points they reach (mode dropping costs it); density (may exceed 1) and coverage
    read only real balls, which outlying samples cannot inflate. The balls are open: two
    copies of one set (no repeated points) score 1 on all four. prdc computes in float64 on
    the CPU, in :math:`8 (N + M)^2` bytes of distances (24 MB at N = M = 1000).

    Parameters
    ----------
    real_features : Tensor or array, shape (N, D)
        Real data's features, e.g. :func:`~vegan_lib.classifier.classifier_features`; any device.
    fake_features : Tensor or array, shape (M, D)
        Model samples' features in the same space (:math:`N, M \ge k + 2`); any device.
    k : int
        The neighbour that sets each radius; 3 in both papers.

    Returns
    -------
    dict of str to float
        ``{"precision": ..., "recall": ..., "density": ..., "coverage": ...}``.

    Raises
    ------
    ValueError
        If an input is not finite numbers of shape (n, D), n >= k + 2, one D for both, or k < 1.

    References
    ----------
    Kynkäänniemi et al., "Improved precision and recall metric for assessing generative
    models", NeurIPS 2019 (arXiv:1904.06991); Naeem et al., "Reliable fidelity and diversity
    metrics for generative models", ICML 2020 (arXiv:2002.09797; code: clovaai/prdc).

    Examples
    --------
    >>> real = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    >>> {key: round(value, 2) for key, value in precision_recall(real, real.clone()).items()}
    {'precision': 1.0, 'recall': 1.0, 'density': 1.0, 'coverage': 1.0}
    >>> precision_recall(real, real + 100.0)  # far apart: no sample looks real
    {'precision': 0.0, 'recall': 0.0, 'density': 0.0, 'coverage': 0.0}
    """
    k = check_positive_int(k, "k", "k=3 (both papers' choice)")
    names = ("real_features", "fake_features")
    real, fake = map(check_points, (real_features, fake_features), names)
    check_same_dim(real, fake, names)
    for x, name in zip((real, fake), names, strict=True):
        if x.shape[0] < k + 2:
            raise ValueError(f"{name} holds {x.shape[0]} points but k={k} needs k + 2 = {k + 2}"
                             " (prdc sorts k + 1 neighbours); pass more points or lower k")
    with redirect_stdout(None):  # prdc prints the two sample sizes; print() to None is silent
        scores = compute_prdc(as_numpy(real, names[0]), as_numpy(fake, names[1]), nearest_k=k)
    return {key: float(scores[key]) for key in ("precision", "recall", "density", "coverage")}
