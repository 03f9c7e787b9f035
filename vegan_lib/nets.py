r"""Small float32 networks: the building blocks of every model of the book.

Every model is built from the same few networks, so that differences between recipes
come from the objective and not from the architecture. Two backbones, the :class:`MLP`
for flat vectors and a convolutional stack for 28 x 28 grey images (two 4 x 4
convolutions with stride 2, :math:`28 \to 14 \to 7`: a CPU step with a batch of 100 takes
milliseconds), carry the heads:

* deterministic encoders and decoders (:class:`MLPEncoder`, :class:`MLPDecoder`,
  :class:`ConvEncoder`, :class:`ConvDecoder`) and :class:`LatentDiscriminator`, the
  WAE-GAN adversary on codes;
* chapter 5: Gaussian encoders returning a mean and log-variances
  (:class:`GaussianMLPEncoder`, :class:`GaussianConvEncoder`), implicit encoders that
  inject noise :math:`\varepsilon \sim N(0, I)` (:class:`NoisyMLPEncoder`,
  :class:`NoisyConvEncoder`) and :class:`AVBDiscriminator`, which scores pairs
  :math:`(x, z)`;
* chapters 6 and 7: the WGAN critics :class:`Critic` and :class:`ConvCritic`, and
  :class:`DigitClassifier`, whose penultimate layer gives the features of the Fréchet
  classifier distance (:mod:`vegan_lib.metrics`).

No network uses batch normalisation: an output depends on its own input only (batch
norm couples the samples of a batch and breaks gradient penalties). Constructors raise
``ValueError`` for a size that is not a positive integer, and ``forward`` for an input
of the wrong shape, saying how to fix it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from vegan_lib._checks import check_positive_int

__all__ = [
    "MLP", "MLPEncoder", "MLPDecoder", "ConvEncoder", "ConvDecoder", "LatentDiscriminator",
    "GaussianMLPEncoder", "GaussianConvEncoder", "NoisyMLPEncoder", "NoisyConvEncoder",
    "AVBDiscriminator", "Critic", "ConvCritic", "DigitClassifier",
]


# =========================================================================== checks
# Constructors check their sizes (_size, _widths, _channels, _check_mlp, _check_avb); forward
# passes check their batch: its shape, and the dtype and device of the network's weights.
def _size(value: int, name: str) -> int:
    return check_positive_int(value, name, f"{name}=8")


def _widths(widths: Any, name: str) -> tuple[int, ...]:
    """Layer widths: a (possibly empty) sequence of positive integers."""
    try:
        values = tuple(widths)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive integers, got {widths!r}; "
                         f"e.g. {name}=(128, 128)") from None
    for w in values:
        check_positive_int(w, f"every entry of {name}", f"{name}=(128, 128)")
    return values


def _channels(channels: Any) -> tuple[int, int]:
    """The channels of the two stride-2 convolutions: two positive integers."""
    values = _widths(channels, "channels")
    if len(values) != 2:
        raise ValueError(f"channels must hold exactly two widths (one per stride-2 layer), "
                         f"got {values}; e.g. channels=(32, 64)")
    return values  # type: ignore[return-value]


def _check_mlp(
    in_dim: Any, out_dim: Any, hidden: Any, activation: Any
) -> tuple[int, int, tuple[int, ...]]:
    """An MLP's sizes and its activation factory, a class or function making an nn.Module."""
    sizes = _size(in_dim, "in_dim"), _size(out_dim, "out_dim"), _widths(hidden, "hidden")
    if isinstance(activation, nn.Module) or not callable(activation):
        got = f"an instance {activation!r}" if isinstance(activation, nn.Module) else (
            f"{type(activation).__name__} {activation!r}")
        raise ValueError(
            "activation must be a class or function that makes an activation module, such as "
            f"nn.ReLU or lambda: nn.LeakyReLU(0.2), got {got}; pass the class, not an instance"
        )
    return sizes


def _activation_layer(activation: Callable[[], nn.Module]) -> nn.Module:
    """A layer made by the factory ``activation``, which must return an ``nn.Module``."""
    layer = activation()
    if not isinstance(layer, nn.Module):
        raise ValueError(f"activation() must return an nn.Module such as nn.ReLU(), got "
                         f"{type(layer).__name__}; pass e.g. activation=nn.ReLU")
    return layer


def _check_avb(
    z_dim: Any, x_dim: Any, hidden: Any, channels: Any
) -> tuple[int, int | None, tuple[int, ...], tuple[int, int] | None]:
    """AVBDiscriminator's sizes; for images (``x_dim=None``), non-empty ``hidden`` and channels."""
    z_dim = _size(z_dim, "z_dim")
    x_dim = None if x_dim is None else _size(x_dim, "x_dim")
    hidden = _widths(hidden, "hidden")
    if x_dim is not None:
        return z_dim, x_dim, hidden, None
    if not hidden:
        raise ValueError("hidden must hold at least one width for images (it sets the width "
                         "of the z branch); e.g. hidden=(128, 128)")
    return z_dim, x_dim, hidden, _channels(channels)


def _weight(module: nn.Module) -> torch.Tensor | None:
    """A parameter of ``module``: its dtype and device are what a batch must have."""
    return next(module.parameters(), None)


def _expect_tensor(x: Any, who: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{who} expects a torch.Tensor, got {type(x).__name__}; "
            "convert it with torch.as_tensor(x, dtype=torch.float32)"
        )


def _check_like(x: torch.Tensor, like: torch.Tensor | None, who: str, name: str) -> None:
    """The batch ``x`` must have the dtype and the device of ``like`` (the network's weights)."""
    if like is None:
        return
    v = "noise" if name == "noise" else "x"
    if x.dtype != like.dtype:
        fix = (
            f"convert 8-bit images with {v}.float() / 255, other integers with "
            f"{v}.to({like.dtype})" if not x.is_floating_point()
            else f"convert it with {v}.to({like.dtype}), or the network with "
            f"net.to({x.dtype})"
        )
        raise ValueError(
            f"{who} expects {name} of dtype {like.dtype} (the dtype of its weights), got "
            f"{x.dtype}; {fix}"
        )
    if x.device != like.device:
        raise ValueError(
            f"{who} lives on {like.device} but its {name} on {x.device}; move one of them, "
            f"e.g. {v} = {v}.to({str(like.device)!r})"
        )


def _check_input(
    x: Any, dim: int, who: str, name: str = "input", like: torch.Tensor | None = None
) -> None:
    """``x`` must be a tensor of shape (N, dim), the input of ``who``, like ``like``."""
    _expect_tensor(x, who)
    if x.ndim != 2 or x.shape[1] != dim:
        flat = x.ndim > 2 and math.prod(x.shape[1:]) == dim
        hint = "; flatten each sample with x.flatten(1)" if flat else ""
        raise ValueError(f"{who} expects {name} of shape (N, {dim}), got {tuple(x.shape)}{hint}")
    _check_like(x, like, who, name)


def _check_images(x: Any, who: str, like: torch.Tensor | None = None) -> None:
    """``x`` must be a batch of 28 x 28 grey images (N, 1, 28, 28), like ``like``."""
    _expect_tensor(x, who)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        flat = x.numel() > 0 and x.numel() % 784 == 0
        hint = "; reshape flat images with x.reshape(-1, 1, 28, 28)" if flat else ""
        raise ValueError(
            f"{who} expects images of shape (N, 1, 28, 28), got {tuple(x.shape)}{hint}"
        )
    _check_like(x, like, who, "images")


def _noise(x: torch.Tensor, noise: Any, noise_dim: int, who: str) -> torch.Tensor:
    """The injected noise: ``noise`` (n, noise_dim) checked, or fresh N(0, I) in x's dtype."""
    if noise is None:
        return torch.randn(x.shape[0], noise_dim, device=x.device, dtype=x.dtype)
    _expect_tensor(noise, who)
    if tuple(noise.shape) != (x.shape[0], noise_dim):
        raise ValueError(
            f"{who} expects noise of shape ({x.shape[0]}, {noise_dim}), got "
            f"{tuple(noise.shape)}; pass noise=None to draw it from N(0, I)"
        )
    _check_like(noise, x, who, "noise")
    return noise


def _conv_features(
    channels: tuple[int, int], activation: Callable[[], nn.Module] = nn.ReLU
) -> nn.Sequential:
    """The convolutional backbone: (N, 1, 28, 28) -> (N, c2 * 7 * 7), 28 -> 14 -> 7."""
    c1, c2 = channels
    return nn.Sequential(
        nn.Conv2d(1, c1, kernel_size=4, stride=2, padding=1),
        activation(),
        nn.Conv2d(c1, c2, kernel_size=4, stride=2, padding=1),
        activation(),
        nn.Flatten(),
    )


def _mean_logvar(out: torch.Tensor, z_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    return out[:, :z_dim], out[:, z_dim:]


# =========================================================================== flat data
class MLP(nn.Module):
    r"""Fully connected network :math:`x \mapsto W_L\, a(\cdots a(W_1 x + b_1) \cdots) + b_L`.

    Linear layers of widths ``in_dim -> hidden[0] -> ... -> hidden[-1] -> out_dim`` with
    the activation :math:`a` between them and none after the last one.

    Parameters
    ----------
    in_dim, out_dim : int
        Input and output sizes; ``forward`` maps (N, in_dim) to (N, out_dim).
    hidden : sequence of int
        Widths of the hidden layers; ``()`` gives an affine map.
    activation : callable returning an nn.Module
        E.g. ``nn.ReLU`` (default), ``nn.LeakyReLU``, ``nn.Tanh``.

    Examples
    --------
    >>> net = MLP(3, 2, hidden=(8,))
    >>> tuple(net(torch.zeros(5, 3)).shape)
    (5, 2)
    """

    def __init__(
        self, in_dim: int, out_dim: int, hidden: Sequence[int] = (128, 128),
        activation: Callable[[], nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.in_dim, self.out_dim, self.hidden = _check_mlp(in_dim, out_dim, hidden, activation)
        widths = (self.in_dim, *self.hidden, self.out_dim)
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            if i > 0:
                layers.append(_activation_layer(activation))
            layers.append(nn.Linear(a, b))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a batch of shape (N, in_dim) to shape (N, out_dim)."""
        _check_input(x, self.in_dim, type(self).__name__, like=_weight(self))
        return self.net(x)


class MLPEncoder(MLP):
    r"""Deterministic encoder :math:`E: \mathbb{R}^{d_x} \to \mathbb{R}^{d_z}`, an :class:`MLP`.

    Examples
    --------
    >>> tuple(MLPEncoder(2, 1, hidden=(16,))(torch.zeros(4, 2)).shape)
    (4, 1)
    """

    def __init__(self, x_dim: int, z_dim: int, hidden: Sequence[int] = (128, 128)) -> None:
        super().__init__(_size(x_dim, "x_dim"), _size(z_dim, "z_dim"), hidden)
        self.x_dim, self.z_dim = self.in_dim, self.out_dim


class MLPDecoder(MLP):
    r"""Deterministic decoder :math:`G: \mathbb{R}^{d_z} \to \mathbb{R}^{d_x}` (linear output).

    Examples
    --------
    >>> tuple(MLPDecoder(1, 2, hidden=(16,))(torch.zeros(4, 1)).shape)
    (4, 2)
    """

    def __init__(self, z_dim: int, x_dim: int, hidden: Sequence[int] = (128, 128)) -> None:
        super().__init__(_size(z_dim, "z_dim"), _size(x_dim, "x_dim"), hidden)
        self.z_dim, self.x_dim = self.in_dim, self.out_dim


class LatentDiscriminator(MLP):
    r"""Discriminator on codes, :math:`D: \mathbb{R}^{d_z} \to \mathbb{R}` (a logit), shape (N,).

    :math:`\sigma(D(z))` is the probability that :math:`z` was drawn from the prior
    rather than produced by the encoder; see
    :func:`vegan_lib.divergences.latent_discriminator_loss`.

    Examples
    --------
    >>> tuple(LatentDiscriminator(8, hidden=(16,))(torch.zeros(5, 8)).shape)
    (5,)
    """

    def __init__(self, z_dim: int, hidden: Sequence[int] = (128, 128)) -> None:
        super().__init__(_size(z_dim, "z_dim"), 1, hidden)
        self.z_dim = self.in_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of shape (N,) for codes of shape (N, z_dim)."""
        return super().forward(z).squeeze(-1)


class GaussianMLPEncoder(nn.Module):
    r"""Gaussian encoder for flat data: :math:`x \mapsto (\mu(x), v(x))`.

    The VAE's posterior :math:`q(z \mid x) = N\big(\mu(x), \operatorname{diag}
    e^{v(x)}\big)`: one :class:`MLP` with :math:`2 d_z` outputs, the first :math:`d_z`
    being the mean and the last :math:`d_z` the log-variances.

    Examples
    --------
    >>> mean, logvar = GaussianMLPEncoder(2, 3, hidden=(8,))(torch.zeros(5, 2))
    >>> tuple(mean.shape), tuple(logvar.shape)
    ((5, 3), (5, 3))
    """

    def __init__(self, x_dim: int, z_dim: int, hidden: Sequence[int] = (128, 128)) -> None:
        super().__init__()
        self.x_dim = _size(x_dim, "x_dim")
        self.z_dim = _size(z_dim, "z_dim")
        self.net = MLP(self.x_dim, 2 * self.z_dim, hidden)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, logvar)``, each of shape (N, z_dim), for a batch of shape (N, x_dim)."""
        _check_input(x, self.x_dim, "GaussianMLPEncoder", like=_weight(self))
        return _mean_logvar(self.net(x), self.z_dim)


class NoisyMLPEncoder(nn.Module):
    r"""Implicit (noisy) encoder for flat data: :math:`z = E(x, \varepsilon)`.

    .. math::

        z = E\big([x; \varepsilon]\big), \qquad \varepsilon \sim N(0, I_{d_\varepsilon}),

    an :class:`MLP` on the data joined with fresh noise. The law of :math:`z` given
    :math:`x` is an implicit :math:`q(z \mid x)` with no density formula: the encoder of
    adversarial variational Bayes. ``forward(x, noise=None)`` takes (N, x_dim) data and
    optional (N, noise_dim) noise.

    Examples
    --------
    >>> enc = NoisyMLPEncoder(2, 3, noise_dim=4, hidden=(8,))
    >>> x = torch.zeros(5, 2)
    >>> tuple(enc(x).shape), bool((enc(x) != enc(x)).any())  # two calls, two draws
    ((5, 3), True)
    """

    def __init__(
        self, x_dim: int, z_dim: int, noise_dim: int = 8, hidden: Sequence[int] = (128, 128)
    ) -> None:
        super().__init__()
        self.x_dim = _size(x_dim, "x_dim")
        self.z_dim = _size(z_dim, "z_dim")
        self.noise_dim = _size(noise_dim, "noise_dim")
        self.net = MLP(self.x_dim + self.noise_dim, self.z_dim, hidden)

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Codes (N, z_dim) for data (N, x_dim); ``noise`` (N, noise_dim) defaults to N(0, I)."""
        _check_input(x, self.x_dim, "NoisyMLPEncoder", like=_weight(self))
        eps = _noise(x, noise, self.noise_dim, "NoisyMLPEncoder")
        return self.net(torch.cat([x, eps], dim=1))


# =========================================================================== 28 x 28 images
class _ConvLinear(nn.Module):
    """The convolutional backbone with a linear head to ``out_dim`` values."""

    def __init__(self, out_dim: int, channels: Sequence[int]) -> None:
        super().__init__()
        self.channels = _channels(channels)
        self.features = _conv_features(self.channels)
        self.head = nn.Linear(self.channels[1] * 7 * 7, out_dim)

    def _linear(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, type(self).__name__, like=_weight(self))
        return self.head(self.features(x))


class ConvEncoder(_ConvLinear):
    r"""Convolutional encoder for 28 x 28 grey images, :math:`(N, 1, 28, 28) \to (N, d_z)`.

    Two 4 x 4 convolutions with stride 2 and padding 1 (:math:`28 \to 14 \to 7`) with
    ``channels`` :math:`(c_1, c_2)`, each followed by ReLU, then a linear layer from
    :math:`c_2 \cdot 7 \cdot 7` features to :math:`d_z` = ``z_dim``.

    Examples
    --------
    >>> tuple(ConvEncoder(8, channels=(4, 8))(torch.zeros(2, 1, 28, 28)).shape)
    (2, 8)
    """

    def __init__(self, z_dim: int, channels: Sequence[int] = (32, 64)) -> None:
        z_dim = _size(z_dim, "z_dim")
        super().__init__(z_dim, channels)
        self.z_dim = z_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Codes of shape (N, z_dim) for images of shape (N, 1, 28, 28)."""
        return self._linear(x)


class GaussianConvEncoder(_ConvLinear):
    r"""Gaussian encoder for 28 x 28 grey images: :math:`x \mapsto (\mu(x), v(x))`.

    The convolutional stack of :class:`ConvEncoder` with a linear head of :math:`2 d_z`
    outputs: the mean and the log-variances of :math:`q(z \mid x) = N\big(\mu(x),
    \operatorname{diag} e^{v(x)}\big)`. Parameters as for :class:`ConvEncoder`.

    Examples
    --------
    >>> mean, logvar = GaussianConvEncoder(4, channels=(4, 8))(torch.zeros(2, 1, 28, 28))
    >>> tuple(mean.shape), tuple(logvar.shape)
    ((2, 4), (2, 4))
    """

    def __init__(self, z_dim: int, channels: Sequence[int] = (32, 64)) -> None:
        z_dim = _size(z_dim, "z_dim")
        super().__init__(2 * z_dim, channels)
        self.z_dim = z_dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, logvar)``, each of shape (N, z_dim), for images (N, 1, 28, 28)."""
        return _mean_logvar(self._linear(x), self.z_dim)


class NoisyConvEncoder(nn.Module):
    r"""Implicit (noisy) encoder for 28 x 28 images: :math:`z = E(x, \varepsilon)`.

    .. math::

        z = h\big([f(x); \varepsilon]\big), \qquad \varepsilon \sim N(0, I_{d_\varepsilon}),

    where :math:`f` is the convolutional stack of :class:`ConvEncoder` (flattened) and
    :math:`h` an :class:`MLP` with hidden widths ``hidden``: the noise joins right after
    the convolutions and goes through at least one non-linearity when ``hidden`` is not
    empty, so :math:`q(z \mid x)` need not be Gaussian.

    Examples
    --------
    >>> enc = NoisyConvEncoder(4, noise_dim=2, channels=(4, 8), hidden=(16,))
    >>> tuple(enc(torch.zeros(3, 1, 28, 28)).shape)
    (3, 4)
    """

    def __init__(
        self, z_dim: int, noise_dim: int = 8, channels: Sequence[int] = (32, 64),
        hidden: Sequence[int] = (128,),
    ) -> None:
        super().__init__()
        self.z_dim = _size(z_dim, "z_dim")
        self.noise_dim = _size(noise_dim, "noise_dim")
        self.channels = _channels(channels)
        self.features = _conv_features(self.channels)
        self.head = MLP(self.channels[1] * 7 * 7 + self.noise_dim, self.z_dim, hidden)

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Codes (N, z_dim) for images (N, 1, 28, 28); ``noise`` defaults to fresh N(0, I)."""
        _check_images(x, "NoisyConvEncoder", like=_weight(self))
        eps = _noise(x, noise, self.noise_dim, "NoisyConvEncoder")
        return self.head(torch.cat([self.features(x), eps], dim=1))


class ConvDecoder(nn.Module):
    r"""Convolutional decoder, :math:`(N, d_z) \to (N, 1, 28, 28)` with pixels in (0, 1).

    A linear layer to :math:`c_1 \cdot 7 \cdot 7` features and ReLU, then two 4 x 4
    transposed convolutions with stride 2 and padding 1 (:math:`7 \to 14 \to 28`), ReLU
    between them and a sigmoid at the end; ``channels`` :math:`(c_1, c_2)` are the
    channels before each transposed convolution.

    Examples
    --------
    >>> images = ConvDecoder(8, channels=(8, 4))(torch.zeros(2, 8))
    >>> tuple(images.shape), bool(((images > 0) & (images < 1)).all())
    ((2, 1, 28, 28), True)
    """

    def __init__(self, z_dim: int, channels: Sequence[int] = (64, 32)) -> None:
        super().__init__()
        self.z_dim = _size(z_dim, "z_dim")
        c1, c2 = self.channels = _channels(channels)
        self.head = nn.Sequential(nn.Linear(self.z_dim, c1 * 7 * 7), nn.ReLU())
        self.body = nn.Sequential(
            nn.ConvTranspose2d(c1, c2, kernel_size=4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(c2, 1, kernel_size=4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Images of shape (N, 1, 28, 28) for codes of shape (N, z_dim)."""
        _check_input(z, self.z_dim, "ConvDecoder", name="codes", like=_weight(self))
        features = self.head(z).reshape(z.shape[0], self.channels[0], 7, 7)
        return self.body(features)


# =========================================================================== adversaries
class AVBDiscriminator(nn.Module):
    r"""Discriminator of adversarial variational Bayes, :math:`T(x, z) \in \mathbb{R}` (a logit).

    Trained to tell pairs :math:`(x, z \sim q(z \mid x))` from pairs
    :math:`(x, z \sim p(z))`; at the optimum :math:`T^*(x, z) = \log q(z \mid x) - \log
    p(z)`. No batch normalisation, so :math:`T(x_i, z_i)` depends on its own pair only.

    * Flat data (``x_dim`` given): :math:`T(x, z) = \mathrm{MLP}([x; z])`, hidden widths
      ``hidden``.
    * Images (``x_dim=None``, shape (N, 1, 28, 28)): :math:`T(x, z) =
      \mathrm{MLP}\big([f(x); g(z)]\big)` with :math:`f` the convolutional stack of
      :class:`ConvEncoder` (``channels``) and :math:`g` a one-hidden-layer MLP of
      :math:`z` of width ``hidden[0]`` (so ``hidden`` may not be empty).

    Examples
    --------
    >>> T = AVBDiscriminator(z_dim=3, x_dim=2, hidden=(8,))
    >>> tuple(T(torch.zeros(5, 2), torch.zeros(5, 3)).shape)
    (5,)
    >>> T = AVBDiscriminator(z_dim=3, hidden=(8,), channels=(4, 8))
    >>> tuple(T(torch.zeros(2, 1, 28, 28), torch.zeros(2, 3)).shape)
    (2,)
    """

    def __init__(
        self, z_dim: int, x_dim: int | None = None, hidden: Sequence[int] = (128, 128),
        channels: Sequence[int] = (32, 64),
    ) -> None:
        super().__init__()
        self.z_dim, self.x_dim, hidden, channels = _check_avb(z_dim, x_dim, hidden, channels)
        if self.x_dim is not None:
            self.features = None
            self.z_features = None
            self.joint = MLP(self.x_dim + self.z_dim, 1, hidden)
            return
        self.channels = channels
        self.features = _conv_features(self.channels)
        self.z_features = nn.Sequential(MLP(self.z_dim, hidden[0], (hidden[0],)), nn.ReLU())
        self.joint = MLP(self.channels[1] * 7 * 7 + hidden[0], 1, hidden)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Logits of shape (N,) for data (N, x_dim) or (N, 1, 28, 28) and codes (N, z_dim)."""
        like = _weight(self)
        _check_input(z, self.z_dim, "AVBDiscriminator", name="codes z", like=like)
        if self.features is None:
            _check_input(x, self.x_dim, "AVBDiscriminator", name="data x", like=like)
        else:
            _check_images(x, "AVBDiscriminator", like=like)
        if x.shape[0] != z.shape[0]:
            raise ValueError(
                f"AVBDiscriminator got {x.shape[0]} data points but {z.shape[0]} codes; "
                "pass one code per data point"
            )
        if self.features is None:
            joint = torch.cat([x, z], dim=1)
        else:
            joint = torch.cat([self.features(x), self.z_features(z)], dim=1)
        return self.joint(joint).squeeze(-1)


class Critic(nn.Module):
    r"""WGAN critic for flat data, :math:`f: \mathbb{R}^{d} \to \mathbb{R}` (a score).

    .. math::

        W_1(P, Q) = \sup_{\lVert f \rVert_L \le 1}\ \mathbb{E}_P f(X) - \mathbb{E}_Q f(Y)

    asks for a 1-Lipschitz :math:`f`. The critic is an :class:`MLP` ``x_dim -> hidden ->
    1`` (per-sample gradients :math:`\nabla_x f(x_i)`, as the gradient penalty needs),
    kept close to that class by weight clipping, a gradient penalty or, with
    ``spectral_norm=True``, by dividing every weight matrix by its largest singular value
    :math:`\sigma(W)` (``torch.nn.utils.parametrizations.spectral_norm``, one power
    iteration per forward pass in training mode). With a 1-Lipschitz ``activation``
    (``nn.ReLU``, ``nn.LeakyReLU``) a spectrally normalised critic is 1-Lipschitz.

    Examples
    --------
    >>> critic = Critic(2, hidden=(8,))
    >>> tuple(critic(torch.zeros(5, 2)).shape)
    (5,)
    >>> _ = torch.manual_seed(0)
    >>> sn = Critic(2, hidden=(8, 8), spectral_norm=True).eval()
    >>> round(sn.lipschitz_upper_bound(), 2)
    1.0
    """

    def __init__(
        self, x_dim: int, hidden: Sequence[int] = (128, 128),
        activation: Callable[[], nn.Module] = nn.ReLU, spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.net = MLP(_size(x_dim, "x_dim"), 1, hidden, activation)
        self.x_dim = self.net.in_dim
        self.spectral_norm = bool(spectral_norm)
        if self.spectral_norm:
            for layer in self.linear_layers():
                torch.nn.utils.parametrizations.spectral_norm(layer)

    def linear_layers(self) -> list[nn.Linear]:
        """The linear layers, input to output."""
        return [m for m in self.net.net if isinstance(m, nn.Linear)]

    def is_spectral_normalised(self) -> bool:
        """True when every linear layer carries a spectral-norm parametrization."""
        parametrized = torch.nn.utils.parametrize.is_parametrized
        return all(parametrized(layer, "weight") for layer in self.linear_layers())

    @torch.no_grad()
    def lipschitz_upper_bound(self) -> float:
        r"""The product of the layers' spectral norms, :math:`\prod_l \sigma(W_l)`.

        For 1-Lipschitz activations this bounds the Lipschitz constant of :math:`f`
        (with respect to :math:`\lVert \cdot \rVert_2`) from above; it is usually loose.
        The singular values are computed exactly (``torch.linalg.matrix_norm(ord=2)``) on
        the weights the forward pass uses (after spectral normalisation, if any).
        """
        bound = 1.0
        for layer in self.linear_layers():
            bound *= float(torch.linalg.matrix_norm(layer.weight.detach(), ord=2))
        return bound

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of shape (N,) for a batch of shape (N, x_dim)."""
        _check_input(x, self.x_dim, "Critic", like=_weight(self))
        return self.net(x).squeeze(-1)


class ConvCritic(nn.Module):
    r"""WGAN critic for 28 x 28 grey images, :math:`f: (N, 1, 28, 28) \to (N,)` (scores).

    The image counterpart of :class:`Critic`: the :class:`ConvEncoder` stack with
    LeakyReLU(0.2) (channels :math:`(c_1, c_2)`, :math:`28 \to 14 \to 7`), then a linear
    layer from :math:`c_2 \cdot 7 \cdot 7` features to one score. ``spectral_norm=True``
    normalises every layer, each convolution's kernel reshaped to a matrix: this controls,
    but does not exactly bound, the convolution's Lipschitz constant.

    Examples
    --------
    >>> critic = ConvCritic(channels=(4, 8))
    >>> tuple(critic(torch.zeros(3, 1, 28, 28)).shape)
    (3,)
    """

    def __init__(self, channels: Sequence[int] = (32, 64), spectral_norm: bool = False) -> None:
        super().__init__()
        self.channels = _channels(channels)
        self.net = nn.Sequential(
            *_conv_features(self.channels, lambda: nn.LeakyReLU(0.2)),
            nn.Linear(self.channels[1] * 7 * 7, 1),
        )
        self.spectral_norm = bool(spectral_norm)
        if self.spectral_norm:
            for layer in self.net:
                if isinstance(layer, (nn.Conv2d, nn.Linear)):
                    torch.nn.utils.parametrizations.spectral_norm(layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of shape (N,) for images of shape (N, 1, 28, 28)."""
        _check_images(x, "ConvCritic", like=_weight(self))
        return self.net(x).squeeze(-1)


# =========================================================================== chapter 8
class DigitClassifier(nn.Module):
    r"""Small convolutional digit classifier whose penultimate layer serves as features.

    .. math::

        \phi(x) = \mathrm{ReLU}\big(W f(x) + b\big) \in \mathbb{R}^{k}, \qquad
        \mathrm{logits}(x) = V \phi(x) + c \in \mathbb{R}^{10},

    where :math:`f` is the convolutional stack of :class:`ConvEncoder` with channels
    :math:`(c_1, c_2)` and :math:`k` = ``feature_dim``. The logits are an affine function
    of :math:`\phi(x)`, so digits the classifier tells apart have distinct features: the
    Fréchet distance of :func:`vegan_lib.metrics.frechet_distance` compares the laws of
    :math:`\phi(X)` (as FID does with an Inception network's last pooling layer).

    Examples
    --------
    >>> net = DigitClassifier(feature_dim=16, channels=(4, 8))
    >>> x = torch.zeros(3, 1, 28, 28)
    >>> tuple(net.features(x).shape), tuple(net(x).shape)
    ((3, 16), (3, 10))
    """

    n_classes = 10

    def __init__(self, feature_dim: int = 64, channels: Sequence[int] = (16, 32)) -> None:
        super().__init__()
        self.feature_dim = _size(feature_dim, "feature_dim")
        self.channels = _channels(channels)
        self.body = nn.Sequential(
            _conv_features(self.channels),
            nn.Linear(self.channels[1] * 7 * 7, self.feature_dim),
            nn.ReLU(),
        )
        self.head = nn.Linear(self.feature_dim, self.n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        r"""Penultimate-layer features :math:`\phi(x)`, shape (N, feature_dim), all >= 0."""
        _check_images(x, "DigitClassifier", like=_weight(self))
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (N, 10) for images of shape (N, 1, 28, 28)."""
        return self.head(self.features(x))
