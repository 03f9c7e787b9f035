r"""Penalized optimal transport (chapters 3 and 4): costs, the POT loss and :class:`POTModel`.

.. math::

    D_{\mathrm{POT}} = \mathbb{E}_{P_X}\, c\big(X, G(E(X))\big)
        + \lambda\, \mathcal{D}(Q_Z, P_Z), \qquad P_Z = N(0, I_{d_z}),

with a per-sample cost :math:`c` (:data:`~vegan_lib.costs.COSTS`, or any callable such as
:func:`~vegan_lib.costs.gaussian_nll_cost`), a deterministic encoder :math:`E`, a decoder
:math:`G` and a latent divergence :math:`\mathcal{D}` (MMD or adversarial,
:mod:`vegan_lib.divergences`) between the codes' law :math:`Q_Z` and the prior.

**The AAE is POT** (chapter 4). An adversarial auto-encoder with Gaussian decoder
:math:`N(G(z), \sigma^2 I)` is ``POTModel(..., cost=gaussian_nll_cost(sigma2),
divergence="gan", lam_aae=lam_aae)`` (:meth:`POTModel.aae_for_mnist`), and since
:math:`-\log N(x; y, \sigma^2 I) = \lVert x - y\rVert^2 / (2\sigma^2) + \frac d2
\log(2\pi\sigma^2)`, its loss is that of its :func:`pot_twin` (squared cost,
:math:`\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}`, :func:`aae_to_pot_lambda`) divided by
:math:`2\sigma^2`, plus :math:`\frac d2 \log(2\pi\sigma^2)`.

Models follow the protocol of :func:`vegan_lib.train.fit` (``losses``,
``main_parameters``, ``adversary_parameters``, ``adversary_loss``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

# isort: off
import vegan_lib._pot_backends  # noqa: F401  (sets POT_BACKEND_DISABLE_*, so before ot)
import ot
# isort: on

from vegan_lib._checks import (
    check_codes,
    check_module,
    check_non_negative,
    check_output_shape,
    check_per_sample,
    check_positive,
    check_positive_int,
    check_scales,
    check_seed,
    check_sigma2,
)
from vegan_lib.costs import COSTS, GaussianNLLCost, gaussian_nll_cost
from vegan_lib.divergences import (
    KERNELS,
    adversarial_penalty,
    imq_constant,
    latent_discriminator_loss,
    mmd2,
    mmd2_estimate,
)
from vegan_lib.nets import (
    ConvDecoder,
    ConvEncoder,
    LatentDiscriminator,
    MLPDecoder,
    MLPEncoder,
)
from vegan_lib.protocol import GaussianPriorMixin, ModelFacts
from vegan_lib.transport import solve_emd

__all__ = [
    "pot_loss", "aae_loss", "aae_to_pot_lambda", "pot_to_aae_lambda", "WAE_COST_SCALE",
    "WAE_MMD_SCALES", "DIVERGENCES", "POTModel", "pot_twin",
]


def _check_scalar(t: Any, name: str) -> None:
    """Raise ``ValueError`` unless ``t`` is a 0-dimensional tensor.

    Examples
    --------
    >>> _check_scalar(torch.tensor(0.5), "penalty")  # passes silently
    """
    if not isinstance(t, torch.Tensor) or t.ndim != 0:
        shape = getattr(t, "shape", None)
        raise ValueError(
            f"{name} must be a 0-dimensional tensor, got shape "
            f"{None if shape is None else tuple(shape)}; reduce it to one number (e.g. .mean())"
        )
    if not t.is_floating_point():
        raise ValueError(
            f"{name} must be a real floating-point number, got dtype {t.dtype}; convert it "
            f"with {name}.float() (or take {name}.real of a complex tensor)"
        )


WAE_COST_SCALE = 0.05
r"""The factor by which the WAE authors' code multiplies the squared cost.

Their :math:`\lambda_{\mathrm{MMD}} = 10` and :math:`\lambda_{\mathrm{GAN}} = 1` weigh the
penalty against :math:`0.05\,\lVert x - y\rVert^2`; on this module's unscaled
:func:`~vegan_lib.costs.squared_cost` the same objective (up to the factor 0.05) has
:math:`\lambda = 10 / 0.05 = 200` and :math:`1 / 0.05 = 20`.
"""

WAE_MMD_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
r"""Multipliers of the IMQ constant :math:`C = 2 d_z` summed by the WAE authors' MMD: their
training kernel, and the kernel of :meth:`POTModel.prior_mmd`, which compares every model's
codes with the prior on one scale."""

DIVERGENCES = ("mmd", "gan", "wcg")
"""Latent divergences of :class:`POTModel`: WAE-MMD, WAE-GAN / AAE, and the transport cost
:math:`W_{c_G}(Q_Z, P_Z)` through the decoder (chapter 6)."""

_LAM_EXAMPLE = "lam=200 (the WAE paper's 10 on its cost scaled by WAE_COST_SCALE)"

# Sinkhorn (log domain) works with c / wcg_reg: float64 rounding loses the plan (its mass
# drifts from 1) beyond |c| / wcg_reg ~ 1e15, and c / wcg_reg overflows below ~1e-308.
_WCG_REG_MIN = 1e-12  # at construction: costs up to 100 then stay within _WCG_RANGE
_WCG_RANGE = 1e14  # each batch: the largest |c_ij| / wcg_reg that Sinkhorn is given


# =========================================================================== losses
def pot_loss(
    reconstruction: torch.Tensor, penalty: torch.Tensor, lam: float
) -> dict[str, torch.Tensor]:
    r"""POT objective on a batch, with its parts.

    :math:`\frac1N \sum_i c_i + \lambda\, \widehat{\mathcal{D}}` from the per-sample
    costs ``reconstruction`` (N,), the divergence estimate ``penalty`` (shape ()) and
    :math:`\lambda \ge 0`. Returns ``"loss"``, ``"reconstruction"`` (the mean cost) and
    ``"penalty"`` (as given, not multiplied by :math:`\lambda`).

    Examples
    --------
    >>> parts = pot_loss(torch.tensor([1.0, 3.0]), torch.tensor(0.5), lam=10.0)
    >>> {k: round(v.item(), 2) for k, v in parts.items()}
    {'loss': 7.0, 'reconstruction': 2.0, 'penalty': 0.5}
    """
    check_per_sample(reconstruction, "reconstruction",
                     "use squared_cost(x, x_hat) rather than its mean")
    _check_scalar(penalty, "penalty")
    return _pot_terms(reconstruction, penalty, check_non_negative(lam, "lam", _LAM_EXAMPLE))


def _pot_terms(reconstruction: torch.Tensor, penalty: torch.Tensor,
               lam: float) -> dict[str, torch.Tensor]:
    # pot_loss without its checks: POTModel validated lam once, at construction
    rec = reconstruction.mean()
    return {"loss": rec + lam * penalty, "reconstruction": rec, "penalty": penalty}


def aae_loss(nll: torch.Tensor, penalty: torch.Tensor, lam_aae: float) -> dict[str, torch.Tensor]:
    r"""AAE objective on a batch: :func:`pot_loss` with the NLL as cost, keys renamed.

    :math:`\frac1N \sum_i -\log p(x_i \mid E(x_i)) + \lambda_{\mathrm{AAE}}\,
    \widehat{\mathcal{D}}`; returns ``"loss"``, ``"nll"`` (mean) and ``"penalty"``.
    :class:`POTModel` logs the same mean NLL as ``"reconstruction"``.

    Examples
    --------
    >>> parts = aae_loss(torch.tensor([1.0, 3.0]), torch.tensor(0.5), lam_aae=2.0)
    >>> {k: round(v.item(), 2) for k, v in parts.items()}
    {'loss': 3.0, 'nll': 2.0, 'penalty': 0.5}
    """
    check_per_sample(nll, "nll", "use gaussian_nll(x, x_hat, sigma2) rather than its mean")
    _check_scalar(penalty, "penalty")
    lam_aae = check_non_negative(lam_aae, "lam_aae")
    mean_nll = nll.mean()
    return {"loss": mean_nll + lam_aae * penalty, "nll": mean_nll, "penalty": penalty}


def aae_to_pot_lambda(sigma2: float, lam_aae: float) -> float:
    r"""The POT weight :math:`\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}` of an AAE.

    .. math::

        \begin{aligned}
        &\mathbb{E}\big[-\log p(X \mid Z)\big] + \lambda_{\mathrm{AAE}}\, \mathcal{D} \\
        &\quad= \frac{1}{2\sigma^2} \Big( \mathbb{E} \lVert X - G(Z) \rVert^2
            + 2 \sigma^2 \lambda_{\mathrm{AAE}}\, \mathcal{D} \Big)
        + \frac d2 \log(2\pi\sigma^2)
        \end{aligned}

    (VEGAN cookbook, Section 4.3). Raises ``ValueError`` for ``sigma2 <= 0`` or
    ``lam_aae < 0``.

    Examples
    --------
    >>> aae_to_pot_lambda(sigma2=0.5, lam_aae=3.0)
    3.0
    """
    return 2.0 * check_sigma2(sigma2) * check_non_negative(lam_aae, "lam_aae")


def pot_to_aae_lambda(sigma2: float, lam: float) -> float:
    r"""Inverse of :func:`aae_to_pot_lambda`: :math:`\lambda / (2\sigma^2)`.

    Examples
    --------
    >>> pot_to_aae_lambda(sigma2=2.0, lam=10.0)
    2.5
    """
    return check_non_negative(lam, "lam", _LAM_EXAMPLE) / (2.0 * check_sigma2(sigma2))


# =========================================================================== the model
class POTModel(GaussianPriorMixin, nn.Module):
    r"""Penalized optimal transport (Wasserstein auto-encoder) with a deterministic encoder.

    Minimises :math:`\mathbb{E}_{P_X} c(X, G(E(X))) + \lambda\, \mathcal{D}(Q_Z, P_Z)`;
    on a batch :math:`x_{1:N}`, :math:`\mathcal{D}` is

    * ``divergence="mmd"``: :math:`\widehat{\mathrm{MMD}}^2_u(E(x_{1:N}), z_{1:N})`,
      :math:`z_i \sim P_Z` (:func:`~vegan_lib.divergences.mmd2`), or
    * ``divergence="gan"``: :math:`-\frac1N \sum_i \log \sigma(D(E(x_i)))`, with a latent
      discriminator :math:`D` trained by :meth:`adversary_loss`, or
    * ``divergence="wcg"``: the transport cost between the batch's codes and as many prior
      draws for the cost seen through the decoder, :math:`c_G(z, z') = c(G(z), G(z'))`,

      .. math::

          \widehat W_{c_G} = \min_{P \in \Pi(\frac1N \mathbf 1, \frac1N \mathbf 1)}
              \sum_{ij} P_{ij}\, c\big(G(E(x_i)), G(z_j)\big),

      the plan :math:`P` solved on the detached cost matrix (network simplex, or Sinkhorn if
      ``wcg_reg`` is set) and the gradient taken through :math:`G` and :math:`E` with
      :math:`P` fixed (the envelope theorem). For :math:`c = \lVert x - y \rVert` and
      :math:`\lambda \ge 1` the POT objective is then :math:`W_1(P_X, P_G)` (chapter 6).

    With ``cost=gaussian_nll_cost(sigma2)`` and ``divergence="gan"`` this is the adversarial
    auto-encoder (:meth:`aae_for_mnist`, :func:`pot_twin`): its objective weighs the penalty
    by ``lam_aae`` :math:`= \lambda_{\mathrm{AAE}}`, and ``lam`` is still :math:`\lambda` in
    POT units, :math:`2\sigma^2\lambda_{\mathrm{AAE}}` (:func:`aae_to_pot_lambda`; with
    ``divergence="wcg"`` the penalty is priced in the NLL itself and the two coincide).

    Parameters
    ----------
    encoder, decoder : nn.Module
        Data (N, ...) to codes (N, z_dim), and codes back to the data's shape.
    z_dim : int
        Dimension :math:`d_z` of the codes and of the prior.
    lam : float, optional
        :math:`\lambda \ge 0` in POT units, on the squared cost (default 10). For every
        model but the AAE it is the divergence's weight in the objective.
    lam_aae : float, optional
        The AAE's weight :math:`\lambda_{\mathrm{AAE}} \ge 0` of the penalty beside the
        Gaussian NLL, instead of ``lam``; only with ``cost=gaussian_nll_cost(sigma2)``.
    cost : {"squared", "euclidean"} or callable
        A name in :data:`~vegan_lib.costs.COSTS`, or a per-sample cost
        ``c(x, x_hat) -> (N,)`` such as :func:`~vegan_lib.costs.gaussian_nll_cost`.
    divergence : {"mmd", "gan", "wcg"}
    discriminator : nn.Module, optional
        Codes (N, z_dim) to logits (N,); required for, and only for, ``divergence="gan"``.
    mmd_kernel : {"imq", "rbf"}
        Kernel of the MMD (constant :math:`C = 2 d_z`).
    mmd_scales : iterable of float, optional
        Multipliers of :math:`C` for a multi-scale kernel.
    wcg_reg : float, optional
        ``divergence="wcg"`` only: Sinkhorn's entropic regularisation :math:`\varepsilon
        \ge 10^{-12}` (POT's ``ot.sinkhorn``, log domain) instead of the exact plan of
        ``ot.emd``. Sinkhorn works with :math:`c_{ij} / \varepsilon`: a batch whose largest
        :math:`|c_{ij}|` exceeds :math:`10^{14}\varepsilon` raises ``ValueError`` in
        :meth:`losses` (float64 rounding would lose the plan).

    ``ValueError`` for an unknown cost, divergence or kernel, a ``wcg_reg`` below
    :math:`10^{-12}` or without ``divergence="wcg"``, a cost that is neither a name
    nor callable, networks that are not ``nn.Module``, a missing or superfluous
    discriminator, ``lam < 0`` or ``lam_aae < 0``, or ``z_dim < 1``. Under
    ``divergence="wcg"`` NaN or infinite codes or data give a NaN penalty without calling
    the solver, so that :func:`~vegan_lib.train.fit` names the step, as for the others.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = POTModel.for_toy(x_dim=2, z_dim=2, hidden=(16,))
    >>> sorted(model.losses(torch.randn(8, 2)))
    ['loss', 'penalty', 'reconstruction']
    >>> tuple(model.sample(3).shape)
    (3, 2)
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        z_dim: int,
        lam: float | None = None,
        cost: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "squared",
        divergence: str = "mmd",
        discriminator: nn.Module | None = None,
        mmd_kernel: str = "imq",
        mmd_scales: Iterable[float] | None = None,
        wcg_reg: float | None = None,
        lam_aae: float | None = None,
    ) -> None:
        super().__init__()
        z_dim = check_positive_int(z_dim, "z_dim", "z_dim=8")
        if isinstance(cost, str):
            if cost not in COSTS:
                raise ValueError(
                    f"unknown cost {cost!r}; choose one of {sorted(COSTS)} or pass a "
                    "per-sample cost c(x, y), e.g. cost=gaussian_nll_cost(sigma2=1.0)"
                )
        elif not callable(cost):
            raise ValueError(
                f"cost must be a name in {sorted(COSTS)} or a callable per-sample cost "
                f"c(x, y) -> shape (N,), got {type(cost).__name__}; "
                "e.g. cost=gaussian_nll_cost(sigma2=1.0)"
            )
        if not isinstance(divergence, str) or divergence not in DIVERGENCES:
            raise ValueError(
                f"unknown divergence {divergence!r}; choose one of {list(DIVERGENCES)}"
            )
        if not isinstance(mmd_kernel, str) or mmd_kernel not in KERNELS:  # a list: unhashable
            raise ValueError(f"unknown mmd_kernel {mmd_kernel!r}; choose one of {sorted(KERNELS)}")
        check_module(encoder, "encoder", "MLPEncoder(x_dim, z_dim)")
        check_module(decoder, "decoder", "MLPDecoder(z_dim, x_dim)")
        if discriminator is not None:
            check_module(discriminator, "discriminator", "LatentDiscriminator(z_dim)")
        if divergence == "gan" and discriminator is None:
            raise ValueError(
                "divergence='gan' needs a latent discriminator; pass discriminator="
                "LatentDiscriminator(z_dim) or use POTModel.for_toy / for_mnist / aae_for_mnist"
            )
        if divergence != "gan" and discriminator is not None:
            raise ValueError(
                f"a discriminator is only used with divergence='gan' (got "
                f"divergence={divergence!r}); drop the discriminator or set divergence='gan'"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
        self.z_dim = z_dim
        self.cost = cost
        self.divergence = divergence
        if lam_aae is None:
            self.lam = 10.0 if lam is None else lam
        elif lam is not None:
            raise ValueError(f"pass either lam (POT units) or lam_aae, not both (got lam={lam}, "
                             f"lam_aae={lam_aae}); lam = 2 sigma^2 lam_aae")
        elif isinstance(cost, GaussianNLLCost):
            self._penalty_weight = check_non_negative(lam_aae, "lam_aae")
        else:
            raise ValueError(
                f"lam_aae is the weight of an AAE, a POTModel with cost=gaussian_nll_cost("
                f"sigma2); got cost={cost!r}: pass lam instead, or use POTModel.aae_for_toy / "
                "aae_for_mnist")
        self.mmd_kernel = mmd_kernel
        self.mmd_scales = None if mmd_scales is None else check_scales(mmd_scales, "mmd_scales")
        if wcg_reg is not None and divergence != "wcg":
            raise ValueError(
                f"wcg_reg is only used with divergence='wcg' (got divergence={divergence!r}); "
                "drop wcg_reg or set divergence='wcg'"
            )
        self.wcg_reg = None if wcg_reg is None else check_positive(wcg_reg, "wcg_reg")
        if self.wcg_reg is not None and self.wcg_reg < _WCG_REG_MIN:
            raise ValueError(
                f"wcg_reg={self.wcg_reg!r} is below {_WCG_REG_MIN:g}: Sinkhorn divides the "
                "costs by wcg_reg, and float64 rounding (or overflow) would lose the plan; use "
                "e.g. wcg_reg=0.05, or wcg_reg=None for the exact plan of ot.emd")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def for_toy(
        cls,
        x_dim: int = 2,
        z_dim: int = 2,
        divergence: str = "mmd",
        lam: float | None = None,
        hidden: Sequence[int] = (128, 128),
        **kwargs,
    ) -> POTModel:
        r"""POT with MLP encoder, decoder (and, for ``"gan"``, discriminator) for flat data.

        ``hidden``: widths of every MLP; ``**kwargs`` go to :class:`POTModel`. Created in
        the order discriminator, encoder, decoder.

        Examples
        --------
        >>> POTModel.for_toy(divergence="gan", hidden=(8,)).adversary_parameters() != []
        True
        """
        discriminator = LatentDiscriminator(z_dim, hidden) if divergence == "gan" else None
        return cls(
            MLPEncoder(x_dim, z_dim, hidden),
            MLPDecoder(z_dim, x_dim, hidden),
            z_dim,
            lam=lam,
            divergence=divergence,
            discriminator=discriminator,
            **kwargs,
        )

    @classmethod
    def for_mnist(
        cls, z_dim: int = 8, divergence: str = "mmd", lam: float | None = None, **kwargs
    ) -> POTModel:
        r"""POT with the convolutional encoder and decoder for (N, 1, 28, 28) images.

        ``divergence="gan"`` adds a :class:`~vegan_lib.nets.LatentDiscriminator` (created
        first); ``**kwargs`` go to :class:`POTModel`.

        Examples
        --------
        >>> tuple(POTModel.for_mnist(z_dim=4).sample(2).shape)
        (2, 1, 28, 28)
        """
        discriminator = LatentDiscriminator(z_dim) if divergence == "gan" else None
        return cls(
            ConvEncoder(z_dim),
            ConvDecoder(z_dim),
            z_dim,
            lam=lam,
            divergence=divergence,
            discriminator=discriminator,
            **kwargs,
        )

    @classmethod
    def aae_for_toy(
        cls,
        x_dim: int = 2,
        z_dim: int = 2,
        sigma2: float = 1.0,
        lam_aae: float = 1.0,
        hidden: Sequence[int] = (128, 128),
    ) -> POTModel:
        r"""Adversarial auto-encoder with the MLPs of :meth:`for_toy`.

        ``POTModel.for_toy(x_dim, z_dim, divergence="gan", hidden=hidden,
        cost=gaussian_nll_cost(sigma2), lam_aae=lam_aae)``: same networks in the same order,
        so under one seed the AAE and ``for_toy(divergence="gan")`` start from the same weights.
        ``ValueError`` naming ``sigma2`` or ``lam_aae`` unless both are numbers, ``sigma2 > 0``
        and ``lam_aae >= 0``.

        Examples
        --------
        >>> POTModel.aae_for_toy(sigma2=0.5, lam_aae=3.0, hidden=(8,)).cost
        gaussian_nll_cost(sigma2=0.5)
        """
        cost = gaussian_nll_cost(sigma2)
        lam_aae = check_non_negative(lam_aae, "lam_aae")  # None would mean lam=10 instead
        return cls.for_toy(x_dim, z_dim, divergence="gan", hidden=hidden, cost=cost,
                           lam_aae=lam_aae)

    @classmethod
    def aae_for_mnist(cls, z_dim: int = 8, sigma2: float = 1.0, lam_aae: float = 1.0) -> POTModel:
        r"""Adversarial auto-encoder with the convolutional networks of :meth:`for_mnist`.

        ``POTModel.for_mnist(z_dim, divergence="gan", cost=gaussian_nll_cost(sigma2),
        lam_aae=lam_aae)``: same seed, same initial weights as ``for_mnist(divergence="gan")``.
        Errors as :meth:`aae_for_toy`.

        Examples
        --------
        >>> aae = POTModel.aae_for_mnist(z_dim=4, sigma2=0.1, lam_aae=5.0)
        >>> aae.lam_aae, aae.lam  # lam in POT units: 2 sigma^2 lam_aae
        (5.0, 1.0)
        """
        cost = gaussian_nll_cost(sigma2)
        lam_aae = check_non_negative(lam_aae, "lam_aae")  # None would mean lam=10 instead
        return cls.for_mnist(z_dim, divergence="gan", cost=cost, lam_aae=lam_aae)

    # ------------------------------------------------------------------ basics
    def extra_repr(self) -> str:
        cost = getattr(self.cost, "__name__", self.cost)  # a function's name, else its repr
        aae = "" if self.lam_aae is None else f", lam_aae={self.lam_aae}"
        return (f"z_dim={self.z_dim}, lam={self.lam}{aae}, cost={cost!r}, "
                f"divergence={self.divergence!r}")

    # ------------------------------------------------------------------ the weights
    def _pot_units(self) -> float:
        # lam / lam_aae: 2 sigma^2 for an AAE (cost NLL = squared / (2 sigma^2) + const),
        # 1 otherwise, and 1 for divergence="wcg", whose penalty is priced in the NLL too
        if isinstance(self.cost, GaussianNLLCost) and self.divergence != "wcg":
            return 2.0 * self.cost.sigma2
        return 1.0

    @property
    def lam(self) -> float:
        r""":math:`\lambda` in POT units, on the squared cost (the AAE's
        :math:`2\sigma^2\lambda_{\mathrm{AAE}}`). Setting it keeps the cost and rescales
        the AAE's ``lam_aae``."""
        return self._pot_units() * self._penalty_weight

    @lam.setter
    def lam(self, value: float) -> None:
        self._penalty_weight = check_non_negative(value, "lam", _LAM_EXAMPLE) / self._pot_units()

    @property
    def lam_aae(self) -> float | None:
        r""":math:`\lambda_{\mathrm{AAE}}`, the AAE's weight beside the Gaussian NLL; ``None``
        for a model whose cost is not :func:`~vegan_lib.costs.gaussian_nll_cost`."""
        return self._penalty_weight if isinstance(self.cost, GaussianNLLCost) else None

    @property
    def facts(self) -> ModelFacts:
        """Facts of POT and the AAE, OT in the primal with a deterministic encoder."""
        aae = isinstance(self.cost, GaussianNLLCost)
        cost = "Gaussian NLL" if aae else (
            self.cost if isinstance(self.cost, str) else getattr(self.cost, "__name__", "custom"))
        penalty, family = {"mmd": ("MMD", "MMD"), "gan": ("JS", "f-divergence"),
                           "wcg": ("W_cG (latent transport)", "OT")}[self.divergence]
        adversary = "latent discriminator" if self.divergence == "gan" else "none"
        return ModelFacts("AAE" if aae else "POT", "OT", "primal", "deterministic", cost,
                          penalty, family, adversary, self.lam)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        r"""Codes :math:`E(x)`, shape (N, z_dim), for a batch of shape (N, ...)."""
        return check_codes(self.encoder(x), self.z_dim)

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
        r"""Batch estimate (shape ()) of :math:`\mathcal{D}(Q_Z, P_Z)` from codes (N, z_dim)."""
        if self.divergence == "mmd":
            if z_q.shape[0] < 2:
                raise ValueError(
                    f"the MMD needs at least 2 codes per batch, got {z_q.shape[0]}; use a "
                    "larger batch"
                )
            z_p = self.sample_prior(z_q.shape[0])
            # Unchecked (no host sync): NaN codes give a NaN penalty, and fit's guard
            # then names the step, as for every other model.
            return mmd2_estimate(z_q, z_p, self.mmd_kernel, imq_constant(self.z_dim),
                                 self.mmd_scales)
        if self.divergence == "wcg":
            return self._latent_transport(z_q, self.sample_prior(z_q.shape[0]))
        return adversarial_penalty(self.discriminator(z_q))

    def _latent_transport(self, z_q: torch.Tensor, z_p: torch.Tensor) -> torch.Tensor:
        r""":math:`\sum_{ij} P_{ij} c(G(z^q_i), G(z^p_j))`, the plan :math:`P` held fixed."""
        y_q, y_p = self.decode(z_q), self.decode(z_p)
        n, m = y_q.shape[0], y_p.shape[0]
        cost = COSTS[self.cost] if isinstance(self.cost, str) else self.cost
        # every pair (i, j) as one batch of the per-sample cost: C_ij = c(G(z_i), G(z'_j))
        rows = y_q.unsqueeze(1).expand(n, m, *y_q.shape[1:]).reshape(n * m, *y_q.shape[1:])
        cols = y_p.unsqueeze(0).expand(n, m, *y_p.shape[1:]).reshape(n * m, *y_p.shape[1:])
        C = cost(rows, cols).reshape(n, m)
        C64 = C.detach().to("cpu", torch.float64).numpy()  # the update's one host copy
        if not np.isfinite(C64).all():  # NaN codes or data: no plan, a NaN for fit's guard
            return C.sum() * math.nan
        a, b = ot.unif(n), ot.unif(m)
        if self.wcg_reg is None:
            plan = solve_emd(a, b, C64, max(100_000, 10 * n * m))[0]
        else:
            largest = float(np.abs(C64).max())
            if largest > _WCG_RANGE * self.wcg_reg:
                raise ValueError(
                    f"wcg_reg={self.wcg_reg:g} is too small for this batch's costs (largest "
                    f"{largest:.3g}): Sinkhorn works with c / wcg_reg, which float64 rounding "
                    f"loses beyond {_WCG_RANGE:g}; raise wcg_reg to at least "
                    f"{largest / _WCG_RANGE:.2g}, or set wcg_reg=None for the exact plan"
                )
            plan = ot.sinkhorn(a, b, C64, self.wcg_reg, method="sinkhorn_log", numItermax=10_000)
        return (torch.as_tensor(plan, dtype=C.dtype, device=C.device) * C).sum()

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""The objective on a batch ``x`` (N, ...), with its parts (:func:`pot_loss`).

        Returns ``"loss"`` :math:`= \text{reconstruction} + \lambda\,\text{penalty}`,
        ``"reconstruction"`` (mean per-sample cost: the mean NLL for an AAE) and
        ``"penalty"``. Raises ``ValueError`` if the decoder's output does not have the
        data's shape, the cost does not return one floating-point value per sample, or
        (``divergence="wcg"`` with ``wcg_reg``) the costs outrun ``wcg_reg``.
        """
        z_q = self.encode(x)
        x_hat = self.decode(z_q)
        check_output_shape(x_hat, x, "decoder")
        cost = COSTS[self.cost] if isinstance(self.cost, str) else self.cost
        reconstruction = cost(x, x_hat)
        if (not isinstance(reconstruction, torch.Tensor) or reconstruction.shape != x.shape[:1]
                or not reconstruction.is_floating_point()):
            got = (f"shape {tuple(reconstruction.shape)} and dtype {reconstruction.dtype}"
                   if isinstance(reconstruction, torch.Tensor) else type(reconstruction).__name__)
            raise ValueError(
                f"the cost returned {got} for a batch of {x.shape[0]}; a cost returns one value "
                "per sample, a floating-point tensor of shape (N,)"
            )
        return _pot_terms(reconstruction, self.latent_penalty(z_q), self._penalty_weight)

    # ------------------------------------------------------------------ diagnostics
    @torch.no_grad()
    def prior_mmd(self, x: torch.Tensor, seed: int = 7,
                  scales: Iterable[float] | None = WAE_MMD_SCALES) -> torch.Tensor:
        r""":math:`\widehat{\mathrm{MMD}}^2_u(E(x_{1:N}), z_{1:N})`, shape (): how far the
        codes of ``x`` (N, ...) are from :math:`N` prior draws :math:`z_i \sim P_Z`.

        The draws come from a generator seeded with ``seed`` (torch's global one is not
        touched); the kernel is the IMQ summed over ``scales`` (default
        :data:`WAE_MMD_SCALES`, one kernel for every model; ``None``: one scale
        :math:`C = 2 d_z`), whatever penalty the model trains with.
        """
        codes = self.encode(x)
        gen = torch.Generator(device=codes.device).manual_seed(check_seed(seed))
        prior = torch.randn(codes.shape, generator=gen, device=codes.device, dtype=codes.dtype)
        return mmd2(codes, prior, scales=scales)

    def diagnostics(self, x: torch.Tensor, x_train: torch.Tensor | None = None,
                    seed: int = 7) -> dict[str, float]:
        r"""The family's own measure of a trained model: ``{"mmd_codes":`` :meth:`prior_mmd`
        ``(x, seed)}``, codes of ``x`` (N, ...) against the prior (``x_train`` unused)."""
        return {"mmd_codes": self.prior_mmd(x, seed).item()}

    # ------------------------------------------------------------------ fit protocol
    def main_parameters(self) -> list[nn.Parameter]:
        """Encoder and decoder parameters: what the main optimizer updates."""
        return [*self.encoder.parameters(), *self.decoder.parameters()]

    def adversary_parameters(self) -> list[nn.Parameter]:
        """The discriminator's parameters (an empty list for ``divergence="mmd"``)."""
        if self.discriminator is None:
            return []
        return list(self.discriminator.parameters())

    def adversary_loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""Latent discriminator loss ``{"loss": ...}`` on a batch (codes detached).

        .. math::

            \mathcal{L}_D = -\frac1N \sum_i \log \sigma(D(z_i))
                - \frac1N \sum_i \log\big(1 - \sigma(D(E(x_i)))\big),

        with :math:`z_i \sim P_Z`. Raises ``RuntimeError`` for ``divergence="mmd"`` (no
        discriminator).
        """
        if self.discriminator is None:
            raise RuntimeError(
                f"divergence={self.divergence!r} has no adversary; adversary_loss is only "
                "defined for divergence='gan'"
            )
        with torch.no_grad():
            z_q = self.encode(x)
        z_p = self.sample_prior(z_q.shape[0])
        loss = latent_discriminator_loss(self.discriminator(z_p), self.discriminator(z_q))
        return {"loss": loss}


def pot_twin(model: POTModel) -> POTModel:
    r"""The POT model (squared cost) that an AAE minimises, from the AAE's current weights.

    :math:`\mathcal{L}_{\mathrm{AAE}} = D_{\mathrm{POT}} / (2\sigma^2) + \frac d2
    \log(2\pi\sigma^2)` with :math:`\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}`. ``model``
    is a :class:`POTModel` with ``cost=gaussian_nll_cost(sigma2)`` (an AAE). The twin holds
    deep copies of its encoder, decoder and discriminator, the same divergence and
    :math:`\lambda =` ``model.lam`` :math:`= 2\sigma^2\lambda_{\mathrm{AAE}}`. Hence
    :math:`\nabla \mathcal{L}_{\mathrm{AAE}} = \nabla D_{\mathrm{POT}} / (2\sigma^2)`: SGD on
    the AAE with learning rate :math:`\eta` follows SGD on the twin with
    :math:`\eta / (2\sigma^2)`, and the discriminators' losses coincide.

    With ``divergence="wcg"`` the penalty is itself priced in the AAE's cost:
    :math:`\sum_{ij} P_{ij}\, c_{\mathrm{NLL}}(G(z_i), G(z'_j)) = W^{\mathrm{sq}}_{c_G} /
    (2\sigma^2) + \mathrm{const}`, so the twin keeps :math:`\lambda = \lambda_{\mathrm{AAE}}`
    (the :math:`1/(2\sigma^2)` is already in the penalty) and a Sinkhorn ``wcg_reg``
    :math:`\varepsilon` becomes :math:`2\sigma^2\varepsilon` (the same plan for the rescaled
    cost; the twin takes that :math:`\varepsilon` as it is, without the floor of
    :class:`POTModel`). Raises ``ValueError`` naming ``model`` for any other model.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> twin = pot_twin(POTModel.aae_for_toy(sigma2=2.0, lam_aae=0.25, hidden=(8,)))
    >>> twin.lam, twin.cost, twin.divergence
    (1.0, 'squared', 'gan')
    """
    if not isinstance(model, POTModel) or not isinstance(model.cost, GaussianNLLCost):
        cost = getattr(model, "cost", None)
        raise ValueError(
            f"model must be an AAE, a POTModel with cost=gaussian_nll_cost(sigma2), got "
            f"{type(model).__name__} with cost={cost!r}; build one with "
            "POTModel.aae_for_toy / POTModel.aae_for_mnist"
        )
    twin = POTModel(copy.deepcopy(model.encoder), copy.deepcopy(model.decoder), model.z_dim,
                    lam=model.lam, cost="squared", divergence=model.divergence,
                    discriminator=copy.deepcopy(model.discriminator),
                    mmd_kernel=model.mmd_kernel, mmd_scales=model.mmd_scales)
    # set, not passed: the AAE's plan, whose epsilon may fall below the floor for sigma2 < 1/2
    twin.wcg_reg = None if model.wcg_reg is None else 2.0 * model.cost.sigma2 * model.wcg_reg
    return twin
