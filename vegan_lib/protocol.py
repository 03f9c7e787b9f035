r"""The model protocol: what every generative model of the book says about itself.

Two bases carry what the models share: :class:`GaussianPriorMixin` (the prior
:math:`N(0, I_{d_z})` on the model's device and dtype) and :class:`GeneratorCriticModel` (a
generator trained against a critic: the WGAN and the f-GAN).

Each model class (:class:`~vegan_lib.pot.POTModel`, :class:`~vegan_lib.vae.VAEModel`,
:class:`~vegan_lib.vae.AVBModel`, :class:`~vegan_lib.wgan.WGANModel`,
:class:`~vegan_lib.fdivergences.FGANModel`) states its family's facts once, in its
``facts`` property, as a :class:`ModelFacts`. The recipes, the VEGAN map, the protocol
table, the reference run and chapter 8 read these facts instead of testing a family's
name or a model's type.

Besides ``facts``, a model of the book has

* ``losses(x) -> dict`` (and, with an adversary, ``adversary_loss(x)``,
  ``main_parameters()``, ``adversary_parameters()``): what :func:`~vegan_lib.train.fit`
  trains;
* ``sample(n) -> Tensor``: :math:`n` draws of :math:`P_G`;
* with an encoder, ``encode(x)``, ``reconstruct(x)`` and ``diagnostics(x, x_train)``: its
  family's own measures of a trained model (codes against the prior, posterior widths).

Examples
--------
>>> facts = ModelFacts("POT", "OT", "primal", "deterministic", "squared", "MMD", "MMD",
...                    "none", 10.0)
>>> facts.has_encoder, facts.has_adversary
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from vegan_lib._checks import check_output_shape, check_positive_int

__all__ = ["ModelFacts", "GaussianPriorMixin", "GeneratorCriticModel"]

_DISTANCES = ("OT", "f-divergence")
_FORMULATIONS = ("primal", "dual")
_ENCODERS = ("deterministic", "stochastic", "none")
_LATENT_DISTANCES = ("MMD", "f-divergence", "OT", "none")


@dataclass(frozen=True)
class ModelFacts:
    r"""One model's place in the paper's map, and how it is built and trained.

    Attributes
    ----------
    family : str
        A short name: ``"POT"``, ``"AAE"``, ``"VAE"``, ``"AVB"``, ``"WGAN"``, ``"f-GAN"``.
    distance : {"OT", "f-divergence"}
        The family of the distance between :math:`P_X` and :math:`P_G` it minimises.
    formulation : {"primal", "dual"}
        Primal (an encoder, a cost, a latent penalty) or dual (a critic of a variational
        bound).
    encoder : {"deterministic", "stochastic", "none"}
        :math:`Q(Z \mid X)` a point mass, a distribution, or no encoder at all.
    cost : str
        The reconstruction cost :math:`c(x, G(z))` (``"squared"``, ``"Gaussian NLL"``,
        ...), ``"none"`` for a dual model.
    latent_penalty : str
        :math:`D(Q_Z, P_Z)` in words (``"MMD"``, ``"JS"``, ``"KL"``, ...), or
        ``"none"``.
    latent_distance : {"MMD", "f-divergence", "OT", "none"}
        The family of that penalty.
    adversary : str
        The second network trained against the model (``"latent discriminator"``,
        ``"critic"``, ...), or ``"none"``.
    lam_pot : float or None
        :math:`\lambda` in POT units on the squared cost, for a POT model (the AAE
        included); ``None`` otherwise.
    """

    family: str
    distance: str
    formulation: str
    encoder: str
    cost: str
    latent_penalty: str
    latent_distance: str
    adversary: str
    lam_pot: float | None = None

    def __post_init__(self) -> None:
        for name, allowed in (("distance", _DISTANCES), ("formulation", _FORMULATIONS),
                              ("encoder", _ENCODERS), ("latent_distance", _LATENT_DISTANCES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"ModelFacts.{name} must be one of {allowed}, got "
                                 f"{getattr(self, name)!r}")

    @property
    def has_encoder(self) -> bool:
        """Whether the model encodes data (a primal model)."""
        return self.encoder != "none"

    @property
    def has_adversary(self) -> bool:
        """Whether a second network is trained against the model."""
        return self.adversary != "none"


class GaussianPriorMixin:
    """Device, dtype and sampling of the prior :math:`N(0, I_{d_z})`, for modules with z_dim."""

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
        r"""Draw ``n`` codes (n, z_dim) from :math:`N(0, I_{d_z})` with torch's global generator."""
        n = check_positive_int(n, "n", "n=64")
        return torch.randn(n, self.z_dim, device=self.device, dtype=self.dtype)


class GeneratorCriticModel(GaussianPriorMixin, nn.Module):
    r"""A generator :math:`G` of prior codes trained against a critic: the dual models' base.

    Holds what the WGAN (:class:`~vegan_lib.wgan.WGANModel`) and the f-GAN
    (:class:`~vegan_lib.fdivergences.FGANModel`) share: the networks, prior samples on the
    generator's device and dtype, :meth:`sample`, and the parameter split of
    :func:`~vegan_lib.train.fit`'s protocol (the generator is the main network, the critic
    the adversary). Each subclass adds its objective (``losses``, ``adversary_loss``).

    Parameters
    ----------
    generator : nn.Module
        Maps codes (N, z_dim) to samples of the data's shape.
    critic : nn.Module
        Maps samples (N, ...) to scores (N,).
    z_dim : int
        Dimension of the prior's codes.
    """

    def __init__(self, generator: nn.Module, critic: nn.Module, z_dim: int) -> None:
        super().__init__()
        z_dim = check_positive_int(z_dim, "z_dim", "z_dim=8")
        if not isinstance(generator, nn.Module) or not isinstance(critic, nn.Module):
            raise ValueError("generator and critic must be nn.Modules")
        self.generator = generator
        self.critic = critic
        self.z_dim = z_dim

    def _reference(self) -> torch.Tensor:
        # prior samples feed the generator, so they follow its device and dtype
        return next(iter(self.generator.parameters()))

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        r"""Generate :math:`n` samples :math:`G(Z)`, :math:`Z \sim P_Z` (no gradient)."""
        return self.generator(self.sample_prior(n))

    def _fake_like(self, x: torch.Tensor) -> torch.Tensor:
        fake = self.generator(self.sample_prior(x.shape[0]))
        check_output_shape(fake, x, "generator")
        return fake

    def main_parameters(self) -> list[nn.Parameter]:
        """The generator's parameters."""
        return list(self.generator.parameters())

    def adversary_parameters(self) -> list[nn.Parameter]:
        """The critic's parameters."""
        return list(self.critic.parameters())

