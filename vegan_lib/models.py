r"""Models: networks plus the objective they are trained on, one class per recipe.

A model is an ``nn.Module`` that holds its networks and computes its loss, with every
part, on a batch. It follows the small protocol that :func:`vegan_lib.train.fit`
uses (see that module's docstring):

* ``losses(x)`` returns a dict of 0-dim tensors with the key ``"loss"``;
* ``main_parameters()`` lists what the main optimizer updates;
* ``adversary_parameters()`` lists the adversary's parameters (empty if none) and,
  when it is not empty, ``adversary_loss(x)`` returns the adversary's dict of losses.

:class:`POTModel` is the recipe of chapter 3: a deterministic encoder, a decoder, a
prior :math:`P_Z = N(0, I_{d_z})`, and the penalized optimal transport objective with an
MMD (WAE-MMD) or adversarial (WAE-GAN) latent penalty.

:class:`AAEModel` (chapter 4) is the adversarial auto-encoder with a Gaussian decoder,
literally a :class:`POTModel` with the squared cost and
:math:`\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}` (see :func:`pot_twin`).
:class:`VAEModel` and :class:`AVBModel` (chapter 5) penalise each :math:`q(z \mid x)`
instead of the aggregate :math:`Q_Z`: the VAE with the closed-form KL of a Gaussian
encoder, AVB with a discriminator :math:`T(x, z)` that learns it for an implicit encoder.

:class:`WGANModel` (chapter 6) is the Wasserstein GAN, the dual of POT for the cost
:math:`c = \lVert x - y \rVert`: a generator trained against a critic kept (close to)
1-Lipschitz by a gradient penalty, weight clipping or spectral normalisation.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from vegan_lib._checks import check_positive as _positive_float
from vegan_lib.divergences import (
    KERNELS,
    adversarial_penalty,
    latent_discriminator_loss,
    mmd2,
)
from vegan_lib.nets import (
    AVBDiscriminator,
    ConvCritic,
    ConvDecoder,
    ConvEncoder,
    Critic,
    GaussianConvEncoder,
    GaussianMLPEncoder,
    LatentDiscriminator,
    MLPDecoder,
    MLPEncoder,
    NoisyConvEncoder,
    NoisyMLPEncoder,
)
from vegan_lib.objectives import (
    COSTS,
    aae_loss,
    avb_discriminator_loss,
    avb_encoder_decoder_loss,
    clip_weights_,
    gaussian_nll,
    gradient_penalty,
    pot_loss,
    vae_loss,
    wgan_critic_loss,
    wgan_generator_loss,
)

__all__ = [
    "POTModel",
    "PENALTIES",
    "AAEModel",
    "pot_twin",
    "VAEModel",
    "AVBModel",
    "WGANModel",
    "WGAN_PENALTIES",
]

PENALTIES = ("mmd", "gan")
"""Latent penalties of :class:`POTModel` (WAE-MMD and WAE-GAN)."""


def _check_scales(scales: Iterable[float]) -> tuple[float, ...]:
    try:
        values = tuple(float(s) for s in scales)
    except (TypeError, ValueError):
        values = ()
    if not values or not all(math.isfinite(s) and s > 0 for s in values):
        raise ValueError(
            f"mmd_scales must be a non-empty iterable of positive numbers, got {scales!r}; "
            "e.g. (0.1, 0.2, 0.5, 1, 2, 5, 10), or None for one scale"
        )
    return values


class _GaussianPrior:
    """Device, dtype and prior sampling shared by every model with prior :math:`N(0, I_{d_z})`.

    Mixed into ``nn.Module`` subclasses that set ``self.z_dim``.
    """

    z_dim: int

    def _reference(self) -> torch.Tensor:
        for p in self.parameters():
            return p
        raise RuntimeError("the model has no parameters; give it an encoder and a decoder")

    @property
    def device(self) -> torch.device:
        """Device of the model's parameters (where prior samples are drawn)."""
        return self._reference().device

    @property
    def dtype(self) -> torch.dtype:
        """Floating dtype of the model's parameters."""
        return self._reference().dtype

    def sample_prior(self, n: int) -> torch.Tensor:
        r"""Draw :math:`n` codes from the prior :math:`P_Z = N(0, I_{d_z})`.

        Uses torch's global generator, on the model's device and dtype.

        Returns
        -------
        Tensor, shape (n, z_dim)
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        return torch.randn(n, self.z_dim, device=self.device, dtype=self.dtype)


class POTModel(_GaussianPrior, nn.Module):
    r"""Penalized optimal transport (Wasserstein auto-encoder) with a deterministic encoder.

    .. math::

        D_{\mathrm{POT}} = \mathbb{E}_{P_X}\, c\big(X, G(E(X))\big)
            + \lambda\, \mathcal{D}(Q_Z, P_Z), \qquad P_Z = N(0, I_{d_z}),

    where :math:`Q_Z` is the law of :math:`E(X)`. On a batch :math:`x_{1:N}`,
    :math:`\mathcal{D}` is either

    * ``penalty="mmd"``: :math:`\widehat{\mathrm{MMD}}^2_u(E(x_{1:N}), z_{1:N})` with
      :math:`z_i \sim P_Z` (:func:`~vegan_lib.divergences.mmd2`), or
    * ``penalty="gan"``: :math:`-\frac1N \sum_i \log \sigma(D(E(x_i)))`, with a latent
      discriminator :math:`D` trained by :meth:`adversary_loss`.

    Parameters
    ----------
    encoder : nn.Module
        Maps a batch of data (N, ...) to codes (N, z_dim).
    decoder : nn.Module
        Maps codes (N, z_dim) back to the data's shape.
    z_dim : int
        Dimension :math:`d_z` of the codes and of the prior.
    lam : float
        :math:`\lambda \ge 0`.
    cost : {"squared", "euclidean"}
        Per-sample reconstruction cost (see :data:`vegan_lib.objectives.COSTS`).
    penalty : {"mmd", "gan"}
        The latent divergence.
    discriminator : nn.Module, optional
        Codes (N, z_dim) to logits (N,); required for, and only for, ``penalty="gan"``.
    mmd_kernel : {"imq", "rbf"}
        Kernel of the MMD penalty (constant :math:`C = 2 d_z`).
    mmd_scales : iterable of float, optional
        Multipliers of :math:`C` for a multi-scale MMD kernel.

    Raises
    ------
    ValueError
        Unknown cost, penalty or kernel (the message lists the valid names), a missing
        or superfluous discriminator, ``lam < 0``, or ``z_dim < 1``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = POTModel.for_toy(x_dim=2, z_dim=2, hidden=(16,))
    >>> parts = model.losses(torch.randn(8, 2))
    >>> sorted(parts)
    ['loss', 'penalty', 'reconstruction']
    >>> tuple(model.sample(3).shape)
    (3, 2)
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        z_dim: int,
        lam: float = 10.0,
        cost: str = "squared",
        penalty: str = "mmd",
        discriminator: nn.Module | None = None,
        mmd_kernel: str = "imq",
        mmd_scales: Iterable[float] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(z_dim, bool) or not isinstance(z_dim, int) or z_dim < 1:
            raise ValueError(f"z_dim must be a positive integer, got {z_dim!r}")
        if cost not in COSTS:
            raise ValueError(f"unknown cost {cost!r}; choose one of {sorted(COSTS)}")
        if penalty not in PENALTIES:
            raise ValueError(f"unknown penalty {penalty!r}; choose one of {list(PENALTIES)}")
        if mmd_kernel not in KERNELS:
            raise ValueError(
                f"unknown mmd_kernel {mmd_kernel!r}; choose one of {sorted(KERNELS)}"
            )
        if penalty == "gan" and discriminator is None:
            raise ValueError(
                "penalty='gan' needs a latent discriminator; pass "
                "discriminator=LatentDiscriminator(z_dim) or use POTModel.for_toy / for_mnist"
            )
        if penalty != "gan" and discriminator is not None:
            raise ValueError(
                f"a discriminator is only used with penalty='gan' (got penalty={penalty!r}); "
                "drop the discriminator or set penalty='gan'"
            )
        try:
            lam_value = float(lam)
        except (TypeError, ValueError):
            raise ValueError(f"lam must be a non-negative number, got {lam!r}") from None
        if not (math.isfinite(lam_value) and lam_value >= 0):
            raise ValueError(f"lam must be a non-negative finite number, got {lam_value}")
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
        self.z_dim = z_dim
        self.lam = lam_value
        self.cost = cost
        self.penalty = penalty
        self.mmd_kernel = mmd_kernel
        self.mmd_scales = None if mmd_scales is None else _check_scales(mmd_scales)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def for_toy(
        cls,
        x_dim: int = 2,
        z_dim: int = 2,
        penalty: str = "mmd",
        lam: float = 10.0,
        hidden: Sequence[int] = (128, 128),
        **kwargs,
    ) -> POTModel:
        r"""POT model with MLP encoder, decoder (and discriminator) for flat toy data.

        Parameters
        ----------
        x_dim, z_dim : int
            Data and code dimensions.
        penalty : {"mmd", "gan"}
        lam : float
        hidden : sequence of int
            Hidden widths of every MLP.
        **kwargs
            Passed to :class:`POTModel` (``cost``, ``mmd_kernel``, ``mmd_scales``).

        Returns
        -------
        POTModel

        Examples
        --------
        >>> POTModel.for_toy(penalty="gan", hidden=(8,)).adversary_parameters() != []
        True
        """
        discriminator = LatentDiscriminator(z_dim, hidden) if penalty == "gan" else None
        return cls(
            MLPEncoder(x_dim, z_dim, hidden),
            MLPDecoder(z_dim, x_dim, hidden),
            z_dim,
            lam=lam,
            penalty=penalty,
            discriminator=discriminator,
            **kwargs,
        )

    @classmethod
    def for_mnist(
        cls, z_dim: int = 8, penalty: str = "mmd", lam: float = 10.0, **kwargs
    ) -> POTModel:
        r"""POT model with the convolutional encoder and decoder for (N, 1, 28, 28) images.

        Parameters
        ----------
        z_dim : int
            Code dimension (8 in the WAE paper's MNIST experiments).
        penalty : {"mmd", "gan"}
            ``"gan"`` adds a :class:`~vegan_lib.nets.LatentDiscriminator`.
        lam : float
        **kwargs
            Passed to :class:`POTModel` (``cost``, ``mmd_kernel``, ``mmd_scales``).

        Returns
        -------
        POTModel

        Examples
        --------
        >>> tuple(POTModel.for_mnist(z_dim=4).sample(2).shape)
        (2, 1, 28, 28)
        """
        discriminator = LatentDiscriminator(z_dim) if penalty == "gan" else None
        return cls(
            ConvEncoder(z_dim),
            ConvDecoder(z_dim),
            z_dim,
            lam=lam,
            penalty=penalty,
            discriminator=discriminator,
            **kwargs,
        )

    # ------------------------------------------------------------------ basics
    def extra_repr(self) -> str:
        return (
            f"z_dim={self.z_dim}, lam={self.lam}, cost={self.cost!r}, "
            f"penalty={self.penalty!r}"
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        r"""Codes :math:`E(x)`, shape (N, z_dim), for a batch of shape (N, ...)."""
        z = self.encoder(x)
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"the encoder returned shape {tuple(z.shape)} but codes must have shape "
                f"(N, {self.z_dim}); make the encoder's output size equal z_dim"
            )
        return z

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        r"""Decoded points :math:`G(z)` for codes of shape (N, z_dim)."""
        return self.decoder(z)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`G(E(x))`, same shape as ``x``."""
        return self.decode(self.encode(x))

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        r"""Generate :math:`n` points :math:`G(Z)`, :math:`Z \sim P_Z` (no gradient)."""
        return self.decode(self.sample_prior(n))

    # ------------------------------------------------------------------ objective
    def latent_penalty(self, z_q: torch.Tensor) -> torch.Tensor:
        r"""Batch estimate of :math:`\mathcal{D}(Q_Z, P_Z)` from codes of shape (N, z_dim).

        Returns
        -------
        Tensor, shape ()
        """
        if self.penalty == "mmd":
            z_p = self.sample_prior(z_q.shape[0])
            return mmd2(z_q, z_p, kernel=self.mmd_kernel, scales=self.mmd_scales)
        return adversarial_penalty(self.discriminator(z_q))

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""POT objective on a batch, with its parts (see :func:`~vegan_lib.objectives.pot_loss`).

        Parameters
        ----------
        x : Tensor, shape (N, ...)
            A batch of data (N >= 2 for the MMD penalty).

        Returns
        -------
        dict of str to Tensor, shape ()
            ``"loss"`` (:math:`= \text{reconstruction} + \lambda\,\text{penalty}`),
            ``"reconstruction"`` (mean per-sample cost) and ``"penalty"``.

        Raises
        ------
        ValueError
            If the decoder's output does not have the data's shape.
        """
        z_q = self.encode(x)
        x_hat = self.decode(z_q)
        if x_hat.shape != x.shape:
            raise ValueError(
                f"the decoder returned shape {tuple(x_hat.shape)} for data of shape "
                f"{tuple(x.shape)}; make the decoder's output match the data"
            )
        reconstruction = COSTS[self.cost](x, x_hat)
        return pot_loss(reconstruction, self.latent_penalty(z_q), self.lam)

    # ------------------------------------------------------------------ fit protocol
    def main_parameters(self) -> list[nn.Parameter]:
        """Encoder and decoder parameters: what the main optimizer updates."""
        return [*self.encoder.parameters(), *self.decoder.parameters()]

    def adversary_parameters(self) -> list[nn.Parameter]:
        """The discriminator's parameters (an empty list for ``penalty="mmd"``)."""
        if self.discriminator is None:
            return []
        return list(self.discriminator.parameters())

    def adversary_loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""Latent discriminator loss on a batch (codes detached from the encoder).

        .. math::

            \mathcal{L}_D = -\frac1N \sum_i \log \sigma(D(z_i))
                - \frac1N \sum_i \log\big(1 - \sigma(D(E(x_i)))\big),
                \quad z_i \sim P_Z .

        Returns
        -------
        dict of str to Tensor, shape ()
            ``{"loss": ...}``.

        Raises
        ------
        RuntimeError
            If the model has no discriminator (``penalty="mmd"``).
        """
        if self.discriminator is None:
            raise RuntimeError(
                f"penalty={self.penalty!r} has no adversary; adversary_loss is only "
                "defined for penalty='gan'"
            )
        with torch.no_grad():
            z_q = self.encode(x)
        z_p = self.sample_prior(z_q.shape[0])
        loss = latent_discriminator_loss(self.discriminator(z_p), self.discriminator(z_q))
        return {"loss": loss}


# =========================================================================== chapter 4: AAE
def _check_sigma2(sigma2: float) -> float:
    try:
        value = float(sigma2)
    except (TypeError, ValueError):
        raise ValueError(f"sigma2 must be a positive number, got {sigma2!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"sigma2 must be a positive finite number (the decoder's variance), got {value}; "
            "e.g. sigma2 = 1.0"
        )
    return value


def _check_lam_aae(lam_aae: float) -> float:
    try:
        value = float(lam_aae)
    except (TypeError, ValueError):
        raise ValueError(f"lam_aae must be a non-negative number, got {lam_aae!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"lam_aae must be a non-negative finite number, got {value}")
    return value


def _check_decoded(x_hat: torch.Tensor, x: torch.Tensor) -> None:
    if x_hat.shape != x.shape:
        raise ValueError(
            f"the decoder returned shape {tuple(x_hat.shape)} for data of shape "
            f"{tuple(x.shape)}; make the decoder's output match the data"
        )


class AAEModel(POTModel):
    r"""Adversarial auto-encoder with a Gaussian decoder: POT with the squared cost.

    .. math::

        \mathcal{L}_{\mathrm{AAE}} = \mathbb{E}_{P_X}\big[-\log p\big(X \mid E(X)\big)\big]
            + \lambda_{\mathrm{AAE}}\, \mathcal{D}_{\mathrm{GAN}}(Q_Z, P_Z),
        \qquad p(x \mid z) = N\big(G(z), \sigma^2 I_d\big),

    with a deterministic encoder :math:`E`, the prior :math:`P_Z = N(0, I_{d_z})` and the
    latent GAN penalty of WAE-GAN (Makhzani et al., 2015). Since
    :math:`-\log p(x \mid z) = \lVert x - G(z) \rVert^2 / (2\sigma^2)
    + \frac d2 \log(2\pi\sigma^2)`,

    .. math::

        \mathcal{L}_{\mathrm{AAE}} = \frac{1}{2\sigma^2}\, D_{\mathrm{POT}}\Big|_{c =
            \lVert\cdot\rVert^2,\ \lambda = 2\sigma^2\lambda_{\mathrm{AAE}}}
            + \frac d2 \log(2\pi\sigma^2)

    (VEGAN cookbook, Section 4.3). The class says so literally: it *is* a
    :class:`POTModel` with ``cost="squared"``, ``penalty="gan"`` and
    ``lam`` :math:`= 2\sigma^2\lambda_{\mathrm{AAE}}`, and only :meth:`losses` reports
    the AAE's own scale. Its discriminator and :meth:`~POTModel.adversary_loss` are those of
    :class:`POTModel`, so an AAE and its :func:`pot_twin` train the discriminator on the
    same loss.

    Parameters
    ----------
    encoder : nn.Module
        Data (N, ...) to codes (N, z_dim).
    decoder : nn.Module
        Codes (N, z_dim) to decoder means :math:`G(z)` of the data's shape.
    z_dim : int
        Code dimension :math:`d_z`.
    sigma2 : float
        Decoder variance :math:`\sigma^2 > 0` (fixed).
    lam_aae : float
        :math:`\lambda_{\mathrm{AAE}} \ge 0`.
    discriminator : nn.Module
        Latent discriminator, codes (N, z_dim) to logits (N,).

    Attributes
    ----------
    lam : float
        The equivalent POT weight :math:`2\sigma^2\lambda_{\mathrm{AAE}}`.

    Raises
    ------
    ValueError
        ``sigma2 <= 0``, ``lam_aae < 0``, a missing discriminator, or ``z_dim < 1``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = AAEModel.for_toy(sigma2=0.5, lam_aae=3.0, hidden=(8,))
    >>> model.lam  # 2 * 0.5 * 3
    3.0
    >>> sorted(model.losses(torch.randn(4, 2)))
    ['loss', 'nll', 'penalty']
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        z_dim: int,
        sigma2: float = 1.0,
        lam_aae: float = 1.0,
        discriminator: nn.Module | None = None,
    ) -> None:
        sigma2 = _check_sigma2(sigma2)
        lam_aae = _check_lam_aae(lam_aae)
        if discriminator is None:
            raise ValueError(
                "an AAE needs a latent discriminator; pass "
                "discriminator=LatentDiscriminator(z_dim) or use AAEModel.for_toy / for_mnist"
            )
        super().__init__(
            encoder,
            decoder,
            z_dim,
            lam=2.0 * sigma2 * lam_aae,
            cost="squared",
            penalty="gan",
            discriminator=discriminator,
        )
        self.sigma2 = sigma2
        self.lam_aae = lam_aae

    @property
    def lam(self) -> float:
        r"""The POT weight :math:`\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}`, always in step with
        ``sigma2`` and ``lam_aae`` (change those, not this)."""
        return 2.0 * self.sigma2 * self.lam_aae

    @lam.setter
    def lam(self, value: float) -> None:
        if "lam_aae" in self.__dict__:  # POTModel.__init__ sets lam before sigma2 exists
            raise AttributeError(
                "an AAE's POT weight is lam = 2 * sigma2 * lam_aae; set sigma2 or lam_aae instead"
            )

    @classmethod
    def for_toy(
        cls,
        x_dim: int = 2,
        z_dim: int = 2,
        sigma2: float = 1.0,
        lam_aae: float = 1.0,
        hidden: Sequence[int] = (128, 128),
    ) -> AAEModel:
        r"""AAE with the MLP networks of :meth:`POTModel.for_toy` for flat toy data.

        The networks are created in the same order as by
        ``POTModel.for_toy(penalty="gan")``, so under the same seed both start from the
        same weights.

        Parameters
        ----------
        x_dim, z_dim : int
            Data and code dimensions.
        sigma2 : float
            Decoder variance.
        lam_aae : float
            Weight of the adversarial penalty.
        hidden : sequence of int
            Hidden widths of every MLP.

        Returns
        -------
        AAEModel

        Examples
        --------
        >>> AAEModel.for_toy(hidden=(8,)).adversary_parameters() != []
        True
        """
        discriminator = LatentDiscriminator(z_dim, hidden)
        return cls(
            MLPEncoder(x_dim, z_dim, hidden),
            MLPDecoder(z_dim, x_dim, hidden),
            z_dim,
            sigma2=sigma2,
            lam_aae=lam_aae,
            discriminator=discriminator,
        )

    @classmethod
    def for_mnist(cls, z_dim: int = 8, sigma2: float = 1.0, lam_aae: float = 1.0) -> AAEModel:
        r"""AAE with the convolutional networks of :meth:`POTModel.for_mnist`.

        Created in the same order as ``POTModel.for_mnist(penalty="gan")``: same seed,
        same initial weights.

        Parameters
        ----------
        z_dim : int
            Code dimension.
        sigma2 : float
            Decoder variance.
        lam_aae : float
            Weight of the adversarial penalty.

        Returns
        -------
        AAEModel

        Examples
        --------
        >>> tuple(AAEModel.for_mnist(z_dim=4).sample(2).shape)
        (2, 1, 28, 28)
        """
        discriminator = LatentDiscriminator(z_dim)
        return cls(
            ConvEncoder(z_dim),
            ConvDecoder(z_dim),
            z_dim,
            sigma2=sigma2,
            lam_aae=lam_aae,
            discriminator=discriminator,
        )

    def extra_repr(self) -> str:
        return (
            f"z_dim={self.z_dim}, sigma2={self.sigma2}, lam_aae={self.lam_aae}, "
            f"pot_lam={self.lam}"
        )

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""AAE objective on a batch, with its parts (see :func:`~vegan_lib.objectives.aae_loss`).

        Parameters
        ----------
        x : Tensor, shape (N, ...)
            A batch of data.

        Returns
        -------
        dict of str to Tensor, shape ()
            ``"loss"`` (:math:`= \text{nll} + \lambda_{\mathrm{AAE}}\,\text{penalty}`),
            ``"nll"`` (mean Gaussian negative log-likelihood, constant included) and
            ``"penalty"`` (the adversarial :math:`\mathcal{D}_{\mathrm{GAN}}` estimate).

        Raises
        ------
        ValueError
            If the decoder's output does not have the data's shape.
        """
        z_q = self.encode(x)
        x_hat = self.decode(z_q)
        _check_decoded(x_hat, x)
        nll = gaussian_nll(x, x_hat, self.sigma2)
        return aae_loss(nll, self.latent_penalty(z_q), self.lam_aae)


def pot_twin(model: AAEModel) -> POTModel:
    r"""The POT model that an AAE minimises, starting from the AAE's current weights.

    .. math::

        \mathcal{L}_{\mathrm{AAE}} = \frac{1}{2\sigma^2}\, D_{\mathrm{POT}}
            + \frac d2 \log(2\pi\sigma^2), \qquad
        c = \lVert \cdot \rVert^2, \quad \lambda = 2\sigma^2\lambda_{\mathrm{AAE}}.

    The twin holds deep copies of the AAE's encoder, decoder and discriminator (training
    one leaves the other untouched), the squared cost, the adversarial penalty and
    :math:`\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}`. Consequently the encoder/decoder
    gradients satisfy :math:`\nabla \mathcal{L}_{\mathrm{AAE}} = \nabla
    D_{\mathrm{POT}} / (2\sigma^2)`, and plain SGD on the AAE with learning rate
    :math:`\eta` follows the same trajectory as SGD on the twin with learning rate
    :math:`\eta / (2\sigma^2)`; the discriminator's loss is the same function in both,
    so its updates (same optimizer, same learning rate) coincide too.

    Parameters
    ----------
    model : AAEModel

    Returns
    -------
    POTModel
        With ``cost="squared"``, ``penalty="gan"``, ``lam = model.lam``.

    Raises
    ------
    ValueError
        If ``model`` is not an :class:`AAEModel`.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> aae = AAEModel.for_toy(sigma2=2.0, lam_aae=0.25, hidden=(8,))
    >>> twin = pot_twin(aae)
    >>> twin.lam, twin.cost, twin.penalty
    (1.0, 'squared', 'gan')
    """
    if not isinstance(model, AAEModel):
        raise ValueError(
            f"pot_twin expects an AAEModel, got {type(model).__name__}; build one with "
            "AAEModel.for_toy / AAEModel.for_mnist"
        )
    return POTModel(
        copy.deepcopy(model.encoder),
        copy.deepcopy(model.decoder),
        model.z_dim,
        lam=model.lam,
        cost="squared",
        penalty="gan",
        discriminator=copy.deepcopy(model.discriminator),
    )


# =========================================================================== chapter 5
class _LatentVariableModel(_GaussianPrior, nn.Module):
    """Shared plumbing of the VAE and AVB: prior, decoder, device, dtype."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, z_dim: int, sigma2: float):
        super().__init__()
        if isinstance(z_dim, bool) or not isinstance(z_dim, int) or z_dim < 1:
            raise ValueError(f"z_dim must be a positive integer, got {z_dim!r}")
        self.sigma2 = _check_sigma2(sigma2)
        self.encoder = encoder
        self.decoder = decoder
        self.z_dim = z_dim

    def _check_codes(self, z: torch.Tensor, what: str) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != self.z_dim:
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(
                f"the encoder returned {what} of shape {shape} but it must have shape "
                f"(N, {self.z_dim}); make the encoder's output size equal z_dim"
            )
        return z

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        r"""Decoder means :math:`G(z)` for codes of shape (N, z_dim)."""
        return self.decoder(z)

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        r"""Generate :math:`n` decoder means :math:`G(Z)`, :math:`Z \sim p(z)` (no gradient).

        As in the book's other models, the decoder's noise :math:`N(0, \sigma^2 I)` is not
        added: these are the images a VAE shows.
        """
        return self.decode(self.sample_prior(n))

    def main_parameters(self) -> list[nn.Parameter]:
        """Encoder and decoder parameters: what the main optimizer updates."""
        return [*self.encoder.parameters(), *self.decoder.parameters()]


class VAEModel(_LatentVariableModel):
    r"""Variational auto-encoder with Gaussian encoder and Gaussian decoder.

    .. math::

        -\mathrm{ELBO} = \mathbb{E}_{P_X} \Big[ \mathbb{E}_{q(z \mid X)}\big[-\log
            p(X \mid z)\big] + \mathrm{KL}\big(q(z \mid X) \,\|\, p(z)\big) \Big],

    with :math:`q(z \mid x) = N(\mu(x), \operatorname{diag} e^{v(x)})`,
    :math:`p(x \mid z) = N(G(z), \sigma^2 I)` and :math:`p(z) = N(0, I_{d_z})`
    (Kingma & Welling, 2014). The expectation over :math:`q` is estimated with one
    reparameterised draw :math:`z = \mu(x) + e^{v(x)/2} \odot \varepsilon` per data
    point (:func:`~vegan_lib.objectives.vae_loss`). Unlike POT's penalty on the
    aggregate :math:`Q_Z`, the KL term pulls *every* :math:`q(z \mid x)` towards the
    prior, so codes of different points overlap and the decoder averages them: the
    blur that chapter 5 measures.

    Parameters
    ----------
    encoder : nn.Module
        Data (N, ...) to ``(mean, logvar)``, each (N, z_dim), e.g.
        :class:`~vegan_lib.nets.GaussianConvEncoder`.
    decoder : nn.Module
        Codes (N, z_dim) to decoder means of the data's shape.
    z_dim : int
        Code dimension.
    sigma2 : float
        Decoder variance :math:`\sigma^2 > 0` (a fixed hyper-parameter; smaller values
        weigh the reconstruction more against the KL term).

    Raises
    ------
    ValueError
        ``sigma2 <= 0`` or ``z_dim < 1``; in :meth:`losses`, wrongly shaped encoder or
        decoder outputs.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = VAEModel.for_toy(x_dim=2, z_dim=1, hidden=(8,))
    >>> sorted(model.losses(torch.randn(5, 2)))
    ['kl', 'loss', 'nll']
    >>> tuple(model.sample(3).shape)
    (3, 2)
    """

    def __init__(
        self, encoder: nn.Module, decoder: nn.Module, z_dim: int, sigma2: float = 1.0
    ) -> None:
        super().__init__(encoder, decoder, z_dim, sigma2)

    @classmethod
    def for_toy(
        cls,
        x_dim: int = 2,
        z_dim: int = 2,
        sigma2: float = 1.0,
        hidden: Sequence[int] = (128, 128),
    ) -> VAEModel:
        r"""VAE with MLP networks for flat toy data (the widths of :meth:`POTModel.for_toy`).

        Returns
        -------
        VAEModel

        Examples
        --------
        >>> VAEModel.for_toy(hidden=(8,)).adversary_parameters()
        []
        """
        return cls(
            GaussianMLPEncoder(x_dim, z_dim, hidden),
            MLPDecoder(z_dim, x_dim, hidden),
            z_dim,
            sigma2=sigma2,
        )

    @classmethod
    def for_mnist(cls, z_dim: int = 8, sigma2: float = 1.0) -> VAEModel:
        r"""VAE with the convolutional backbones of :meth:`POTModel.for_mnist`.

        The encoder is :class:`~vegan_lib.nets.GaussianConvEncoder` (the
        :class:`~vegan_lib.nets.ConvEncoder` stack with a head of :math:`2 d_z` outputs),
        the decoder :class:`~vegan_lib.nets.ConvDecoder`.

        Returns
        -------
        VAEModel

        Examples
        --------
        >>> tuple(VAEModel.for_mnist(z_dim=4).sample(2).shape)
        (2, 1, 28, 28)
        """
        return cls(GaussianConvEncoder(z_dim), ConvDecoder(z_dim), z_dim, sigma2=sigma2)

    def extra_repr(self) -> str:
        return f"z_dim={self.z_dim}, sigma2={self.sigma2}"

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Posterior parameters ``(mean, logvar)``, each of shape (N, z_dim)."""
        out = self.encoder(x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ValueError(
                f"the VAE's encoder must return a pair (mean, logvar), got "
                f"{type(out).__name__}; use GaussianConvEncoder / GaussianMLPEncoder"
            )
        mean, logvar = out
        return self._check_codes(mean, "mean"), self._check_codes(logvar, "logvar")

    @staticmethod
    def reparameterize(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        r""":math:`z = \mu + e^{v/2} \odot \varepsilon`, :math:`\varepsilon \sim N(0, I)`.

        Differentiable in ``mean`` and ``logvar``; shape (N, z_dim).
        """
        return mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)

    def sample_posterior(self, x: torch.Tensor) -> torch.Tensor:
        r"""One reparameterised code :math:`z \sim q(z \mid x)` per data point, (N, z_dim)."""
        return self.reparameterize(*self.encode(x))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`G(\mu(x))`: the decoded posterior mean (no sampling), same shape as ``x``."""
        mean, _ = self.encode(x)
        return self.decode(mean)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""Negative ELBO on a batch, with its parts (:func:`~vegan_lib.objectives.vae_loss`).

        Parameters
        ----------
        x : Tensor, shape (N, ...)

        Returns
        -------
        dict of str to Tensor, shape ()
            ``"loss"`` (:math:`-\mathrm{ELBO}`, batch mean), ``"nll"`` (one-sample
            estimate of :math:`\mathbb{E}_q[-\log p(x \mid z)]`) and ``"kl"``.
        """
        mean, logvar = self.encode(x)
        x_hat = self.decode(self.reparameterize(mean, logvar))
        _check_decoded(x_hat, x)
        return vae_loss(x, x_hat, mean, logvar, self.sigma2)

    def adversary_parameters(self) -> list[nn.Parameter]:
        """A VAE has no adversary: an empty list."""
        return []


class AVBModel(_LatentVariableModel):
    r"""Adversarial variational Bayes: a VAE with an implicit encoder and a learned KL.

    .. math::

        \min_{E, G}\ \mathbb{E}_{P_X} \mathbb{E}_{z \sim q(z \mid X)} \big[ -\log
            p(X \mid z) + T(X, z) \big], \qquad
        T \approx T^* = \log q(z \mid x) - \log p(z),

    where :math:`z = E(x, \varepsilon)` with noise :math:`\varepsilon \sim N(0, I)`
    (no density formula for :math:`q`), :math:`p(x \mid z) = N(G(z), \sigma^2 I)`, and
    the discriminator :math:`T` is trained by logistic regression to tell
    :math:`(x, z \sim q(z \mid x))` from :math:`(x, z \sim p(z))`
    (:func:`~vegan_lib.objectives.avb_discriminator_loss`). With the optimal :math:`T`
    the objective is the negative ELBO (Mescheder et al., 2017).

    The discriminator is the adversary of :func:`vegan_lib.train.fit`. :meth:`losses`
    evaluates :math:`T` with its parameters detached: the gradient flows through
    :math:`T`'s *input* into the codes and the encoder, while :math:`T` itself is
    trained only by :meth:`adversary_loss`.

    Parameters
    ----------
    encoder : nn.Module
        Noisy encoder, data (N, ...) to codes (N, z_dim), drawing its own noise, e.g.
        :class:`~vegan_lib.nets.NoisyConvEncoder`.
    decoder : nn.Module
        Codes (N, z_dim) to decoder means of the data's shape.
    discriminator : nn.Module
        :math:`T(x, z)`: (data (N, ...), codes (N, z_dim)) to logits (N,), e.g.
        :class:`~vegan_lib.nets.AVBDiscriminator`.
    z_dim : int
        Code dimension.
    sigma2 : float
        Decoder variance :math:`\sigma^2 > 0`.

    Raises
    ------
    ValueError
        ``sigma2 <= 0``, ``z_dim < 1`` or a missing discriminator.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = AVBModel.for_toy(x_dim=2, z_dim=1, hidden=(8,))
    >>> sorted(model.losses(torch.randn(5, 2))), sorted(model.adversary_loss(torch.randn(5, 2)))
    (['kl', 'loss', 'nll'], ['loss'])
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        discriminator: nn.Module,
        z_dim: int,
        sigma2: float = 1.0,
    ) -> None:
        super().__init__(encoder, decoder, z_dim, sigma2)
        if not isinstance(discriminator, nn.Module):
            raise ValueError(
                "AVB needs a discriminator T(x, z), an nn.Module; pass "
                "AVBDiscriminator(z_dim, x_dim) or use AVBModel.for_toy / for_mnist"
            )
        self.discriminator = discriminator

    @classmethod
    def for_toy(
        cls,
        x_dim: int = 2,
        z_dim: int = 2,
        noise_dim: int = 8,
        sigma2: float = 1.0,
        hidden: Sequence[int] = (128, 128),
    ) -> AVBModel:
        r"""AVB with MLP networks for flat toy data.

        :class:`~vegan_lib.nets.NoisyMLPEncoder`, :class:`~vegan_lib.nets.MLPDecoder`
        and a flat :class:`~vegan_lib.nets.AVBDiscriminator`, all with widths ``hidden``.

        Returns
        -------
        AVBModel

        Examples
        --------
        >>> AVBModel.for_toy(hidden=(8,)).adversary_parameters() != []
        True
        """
        return cls(
            NoisyMLPEncoder(x_dim, z_dim, noise_dim, hidden),
            MLPDecoder(z_dim, x_dim, hidden),
            AVBDiscriminator(z_dim, x_dim, hidden),
            z_dim,
            sigma2=sigma2,
        )

    @classmethod
    def for_mnist(cls, z_dim: int = 8, noise_dim: int = 8, sigma2: float = 1.0) -> AVBModel:
        r"""AVB with the convolutional backbones of :meth:`POTModel.for_mnist`.

        :class:`~vegan_lib.nets.NoisyConvEncoder` (the :class:`~vegan_lib.nets.ConvEncoder`
        stack, noise joined after it), :class:`~vegan_lib.nets.ConvDecoder` and an image
        :class:`~vegan_lib.nets.AVBDiscriminator`.

        Returns
        -------
        AVBModel

        Examples
        --------
        >>> tuple(AVBModel.for_mnist(z_dim=4).sample(2).shape)
        (2, 1, 28, 28)
        """
        return cls(
            NoisyConvEncoder(z_dim, noise_dim),
            ConvDecoder(z_dim),
            AVBDiscriminator(z_dim),
            z_dim,
            sigma2=sigma2,
        )

    def extra_repr(self) -> str:
        return f"z_dim={self.z_dim}, sigma2={self.sigma2}"

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        r"""One code :math:`z = E(x, \varepsilon) \sim q(z \mid x)` per data point, (N, z_dim)."""
        return self._check_codes(self.encoder(x), "codes")

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`G(z)` for one draw :math:`z \sim q(z \mid x)`, same shape as ``x``.

        An implicit encoder has no closed-form posterior mean, so unlike
        :meth:`VAEModel.reconstruct` this is random.
        """
        return self.decode(self.encode(x))

    def _frozen_discriminator(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        # T(x, z) with T's parameters detached: differentiable in (x, z) only.
        params = {k: p.detach() for k, p in self.discriminator.named_parameters()}
        return torch.func.functional_call(self.discriminator, params, (x, z))

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""AVB objective of the encoder and decoder on a batch, with its parts.

        See :func:`~vegan_lib.objectives.avb_encoder_decoder_loss`.

        Returns
        -------
        dict of str to Tensor, shape ()
            ``"loss"``, ``"nll"`` and ``"kl"`` (:math:`\frac1N\sum_i T(x_i, z_i)`, the
            discriminator's estimate of the mean KL).
        """
        z = self.encode(x)
        x_hat = self.decode(z)
        _check_decoded(x_hat, x)
        nll = gaussian_nll(x, x_hat, self.sigma2)
        return avb_encoder_decoder_loss(nll, self._frozen_discriminator(x, z))

    def adversary_parameters(self) -> list[nn.Parameter]:
        """The parameters of the discriminator :math:`T`."""
        return list(self.discriminator.parameters())

    def adversary_loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""Logistic loss of :math:`T` on a batch (codes detached from the encoder).

        .. math::

            \mathcal{L}_T = -\frac1N \sum_i \log \sigma\big(T(x_i, z^q_i)\big)
                - \frac1N \sum_i \log\big(1 - \sigma(T(x_i, z^p_i))\big),
            \quad z^q_i \sim q(z \mid x_i),\ z^p_i \sim p(z).

        Returns
        -------
        dict of str to Tensor, shape ()
            ``{"loss": ...}``.
        """
        with torch.no_grad():
            z_q = self.encode(x)
        z_p = self.sample_prior(z_q.shape[0])
        loss = avb_discriminator_loss(self.discriminator(x, z_q), self.discriminator(x, z_p))
        return {"loss": loss}


# =========================================================================== chapter 6: WGAN
WGAN_PENALTIES = ("gp", "clip", "sn")
"""How :class:`WGANModel` keeps its critic (close to) 1-Lipschitz."""


class WGANModel(_GaussianPrior, nn.Module):
    r"""Wasserstein GAN: a generator trained against a (near) 1-Lipschitz critic.

    .. math::

        \min_G\ \max_{f \in \mathcal{F}}\ \mathbb{E}_{P_X} f(X) - \mathbb{E}_{P_Z} f(G(Z)),
        \qquad P_Z = N(0, I_{d_z}),

    where the critic class :math:`\mathcal{F}` approximates the 1-Lipschitz functions, for
    which the inner maximum is :math:`W_1(P_X, P_G)` (Kantorovich–Rubinstein). Three ways
    to constrain the critic (``penalty``):

    * ``"gp"`` (Gulrajani et al., 2017): add :math:`\lambda_{\mathrm{GP}}\,\mathrm{GP}(f)`
      (:func:`~vegan_lib.objectives.gradient_penalty`) to the critic's loss;
    * ``"clip"`` (Arjovsky et al., 2017): clip the critic's weights to :math:`[-c, c]` at
      construction and after each critic update (:meth:`after_adversary_step`, called by
      :func:`vegan_lib.train.fit`);
    * ``"sn"`` (Miyato et al., 2018): a spectrally normalised critic, e.g.
      ``Critic(x_dim, spectral_norm=True)``; nothing is added to the loss.

    It follows the protocol of :func:`vegan_lib.train.fit`: the generator is the main
    network (:meth:`losses`), the critic the adversary (:meth:`adversary_loss`), updated
    ``adversary_steps`` times per generator step (5 in both papers).

    Parameters
    ----------
    generator : nn.Module
        Maps codes (N, z_dim) to samples of the data's shape.
    critic : nn.Module
        Maps samples (N, ...) to scores (N,); no batch norm.
    z_dim : int
        Dimension of the prior's codes.
    penalty : {"gp", "clip", "sn"}
    gp_weight : float
        :math:`\lambda_{\mathrm{GP}} > 0` (10 in the WGAN-GP paper); used with ``"gp"``.
    clip : float
        :math:`c > 0` (0.01 in the WGAN paper); used with ``"clip"``.

    Raises
    ------
    ValueError
        Unknown penalty, non-positive ``gp_weight`` or ``clip``, ``z_dim < 1``, or
        ``penalty="sn"`` with a critic that has no spectral-norm parametrization.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = WGANModel.for_toy(penalty="gp", hidden=(16,))
    >>> sorted(model.adversary_loss(torch.randn(8, 2)))
    ['estimate', 'gradient_penalty', 'loss']
    >>> sorted(model.losses(torch.randn(8, 2))), tuple(model.sample(3).shape)
    (['loss'], (3, 2))
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        z_dim: int,
        penalty: str = "gp",
        gp_weight: float = 10.0,
        clip: float = 0.01,
    ) -> None:
        super().__init__()
        if isinstance(z_dim, bool) or not isinstance(z_dim, int) or z_dim < 1:
            raise ValueError(f"z_dim must be a positive integer, got {z_dim!r}")
        if penalty not in WGAN_PENALTIES:
            raise ValueError(
                f"unknown penalty {penalty!r}; choose one of {list(WGAN_PENALTIES)}"
            )
        if not isinstance(generator, nn.Module) or not isinstance(critic, nn.Module):
            raise ValueError("generator and critic must be nn.Modules")
        self.gp_weight = _positive_float(gp_weight, "gp_weight", "gp_weight=10.0")
        self.clip = _positive_float(clip, "clip", "clip=0.01")
        if penalty == "sn" and not any(
            torch.nn.utils.parametrize.is_parametrized(m) for m in critic.modules()
        ):
            raise ValueError(
                "penalty='sn' needs a spectrally normalised critic; build it with "
                "Critic(x_dim, spectral_norm=True) or use WGANModel.for_toy(penalty='sn')"
            )
        self.generator = generator
        self.critic = critic
        self.z_dim = z_dim
        self.penalty = penalty
        if penalty == "clip":
            clip_weights_(self.critic, self.clip)

    @classmethod
    def for_toy(
        cls,
        x_dim: int = 2,
        z_dim: int = 2,
        penalty: str = "gp",
        hidden: Sequence[int] = (128, 128),
        **kwargs,
    ) -> WGANModel:
        r"""WGAN with an MLP generator and an MLP critic for flat toy data.

        The generator is :class:`~vegan_lib.nets.MLPDecoder` (the decoder of
        :meth:`POTModel.for_toy`, so both recipes train the same network), the critic a
        :class:`~vegan_lib.nets.Critic`, spectrally normalised for ``penalty="sn"``.

        Parameters
        ----------
        x_dim, z_dim : int
        penalty : {"gp", "clip", "sn"}
        hidden : sequence of int
            Hidden widths of both networks.
        **kwargs
            ``gp_weight``, ``clip``.

        Returns
        -------
        WGANModel

        Examples
        --------
        >>> WGANModel.for_toy(penalty="sn", hidden=(8,)).critic.is_spectral_normalised()
        True
        """
        return cls(
            MLPDecoder(z_dim, x_dim, hidden),
            Critic(x_dim, hidden, spectral_norm=penalty == "sn"),
            z_dim,
            penalty=penalty,
            **kwargs,
        )

    @classmethod
    def for_mnist(cls, z_dim: int = 8, penalty: str = "gp", **kwargs) -> WGANModel:
        r"""WGAN for (N, 1, 28, 28) images: the decoder of :meth:`POTModel.for_mnist` as generator.

        The generator is :class:`~vegan_lib.nets.ConvDecoder`, the network every auto-encoder
        recipe of the book decodes with, so a scoreboard compares objectives, not networks;
        the critic is a :class:`~vegan_lib.nets.ConvCritic`, spectrally normalised for
        ``penalty="sn"``.

        Parameters
        ----------
        z_dim : int
            Code dimension.
        penalty : {"gp", "clip", "sn"}
        **kwargs
            ``gp_weight``, ``clip``.

        Returns
        -------
        WGANModel

        Examples
        --------
        >>> tuple(WGANModel.for_mnist(z_dim=4).sample(2).shape)
        (2, 1, 28, 28)
        """
        return cls(
            ConvDecoder(z_dim),
            ConvCritic(spectral_norm=penalty == "sn"),
            z_dim,
            penalty=penalty,
            **kwargs,
        )

    def extra_repr(self) -> str:
        return f"z_dim={self.z_dim}, penalty={self.penalty!r}"

    def _reference(self) -> torch.Tensor:
        # prior samples feed the generator, so they follow its device and dtype
        return next(iter(self.generator.parameters()))

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        r"""Generate :math:`n` samples :math:`G(Z)`, :math:`Z \sim P_Z` (no gradient)."""
        return self.generator(self.sample_prior(n))

    def _fake_like(self, x: torch.Tensor) -> torch.Tensor:
        fake = self.generator(self.sample_prior(x.shape[0]))
        if fake.shape != x.shape:
            raise ValueError(
                f"the generator returned shape {tuple(fake.shape)} for data of shape "
                f"{tuple(x.shape)}; make the generator's output match the data"
            )
        return fake

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""The generator's loss on a batch, :math:`-\frac1N \sum_i f(G(z_i))`.

        The batch ``x`` only sets the batch size; the critic's parameters receive
        gradients too, which :func:`vegan_lib.train.fit` discards (it zeroes them before
        each critic update).

        Returns
        -------
        dict of str to Tensor, shape ()
            ``{"loss": ...}`` (:func:`~vegan_lib.objectives.wgan_generator_loss`).
        """
        return {"loss": wgan_generator_loss(self.critic(self._fake_like(x)))}

    def main_parameters(self) -> list[nn.Parameter]:
        """The generator's parameters."""
        return list(self.generator.parameters())

    def adversary_parameters(self) -> list[nn.Parameter]:
        """The critic's parameters."""
        return list(self.critic.parameters())

    def adversary_loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""The critic's loss on a batch (generated samples detached from :math:`G`).

        .. math::

            \mathcal{L}_f = \frac1N \sum_i f(G(z_i)) - \frac1N \sum_i f(x_i)
                \;\big[ + \lambda_{\mathrm{GP}}\, \mathrm{GP}(f) \big].

        Returns
        -------
        dict of str to Tensor, shape ()
            ``"loss"``; ``"estimate"``, the batch estimate
            :math:`\frac1N \sum_i f(x_i) - \frac1N \sum_i f(G(z_i))` of :math:`W_1` (up to
            the critic's Lipschitz constant); and, for ``"gp"``, ``"gradient_penalty"``
            (without the weight).
        """
        with torch.no_grad():
            fake = self._fake_like(x)
        # one forward pass: a spectrally normalised critic changes its weights at every call
        scores = self.critic(torch.cat([x, fake]))
        critic_loss = wgan_critic_loss(scores[: x.shape[0]], scores[x.shape[0] :])
        parts = {"loss": critic_loss, "estimate": -critic_loss.detach()}
        if self.penalty == "gp":
            gp = gradient_penalty(self.critic, x, fake)
            parts["loss"] = critic_loss + self.gp_weight * gp
            parts["gradient_penalty"] = gp
        return parts

    def after_adversary_step(self) -> None:
        """Clip the critic's weights to :math:`[-c, c]` (``penalty="clip"`` only)."""
        if self.penalty == "clip":
            clip_weights_(self.critic, self.clip)
