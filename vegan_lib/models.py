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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from vegan_lib.divergences import (
    KERNELS,
    adversarial_penalty,
    latent_discriminator_loss,
    mmd2,
)
from vegan_lib.nets import (
    ConvDecoder,
    ConvEncoder,
    LatentDiscriminator,
    MLPDecoder,
    MLPEncoder,
)
from vegan_lib.objectives import COSTS, pot_loss

__all__ = ["POTModel", "PENALTIES"]

PENALTIES = ("mmd", "gan")
"""Latent penalties of :class:`POTModel`: WAE-MMD and WAE-GAN."""


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


class POTModel(nn.Module):
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
