r"""The Wasserstein GAN (chapter 6): critic and generator losses, Lipschitz constraints, model.

The WGAN is the dual of POT for the cost :math:`c = \lVert x - y \rVert`: a generator
trained against a critic kept (close to) 1-Lipschitz (:data:`LIPSCHITZ_CONSTRAINTS`) by a
gradient penalty (:func:`gradient_penalty`), weight clipping (:func:`clip_weights_`) or
spectral normalisation, for which the critic's objective estimates
:math:`W_1(P_X, P_G)` (Kantorovich–Rubinstein).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from vegan_lib._checks import check_batch_pair, check_logits_or_scores, check_positive
from vegan_lib.nets import ConvCritic, ConvDecoder, Critic, MLPDecoder
from vegan_lib.protocol import GeneratorCriticModel, ModelFacts

__all__ = [
    "wgan_critic_loss",
    "wgan_generator_loss",
    "gradient_penalty",
    "clip_weights_",
    "LIPSCHITZ_CONSTRAINTS",
    "WGANModel",
]

LIPSCHITZ_CONSTRAINTS = ("gp", "clip", "sn", "none")
"""How a critic is kept close to 1-Lipschitz, by name.

The gradient penalty, weight clipping, spectral normalisation, or nothing (``"none"``, whose
critic objective is then unbounded).
"""


def _check_lipschitz(lipschitz: str) -> str:
    if not isinstance(lipschitz, str) or lipschitz not in LIPSCHITZ_CONSTRAINTS:
        raise ValueError(
            f"unknown lipschitz constraint {lipschitz!r}; choose one of "
            f"{list(LIPSCHITZ_CONSTRAINTS)}, e.g. lipschitz='gp'"
        )
    return lipschitz


def wgan_critic_loss(scores_real: torch.Tensor, scores_fake: torch.Tensor) -> torch.Tensor:
    r"""The critic's loss of a Wasserstein GAN: minus its estimate of :math:`W_1`.

    .. math::

        \mathcal{L}_f = \frac1m \sum_{j=1}^m f(\tilde x_j) - \frac1n \sum_{i=1}^n f(x_i)
        \;=\; -\Big(\widehat{\mathbb{E}}_{P_X} f - \widehat{\mathbb{E}}_{P_G} f\Big),

    so minimising it maximises the Kantorovich–Rubinstein objective; over 1-Lipschitz
    :math:`f` the maximum is :math:`W_1(P_X, P_G)` (Arjovsky et al., 2017).

    Parameters
    ----------
    scores_real : Tensor, shape (n,)
        :math:`f(x_i)` on data.
    scores_fake : Tensor, shape (m,)
        :math:`f(\tilde x_j)` on generated samples.

    Returns
    -------
    Tensor, shape ()

    Raises
    ------
    ValueError
        If a score tensor is not a non-empty 1-D floating-point tensor.

    Examples
    --------
    >>> wgan_critic_loss(torch.tensor([2.0, 4.0]), torch.tensor([1.0]))
    tensor(-2.)
    """
    check_logits_or_scores(scores_real, "scores_real")
    check_logits_or_scores(scores_fake, "scores_fake")
    return scores_fake.mean() - scores_real.mean()


def wgan_generator_loss(scores_fake: torch.Tensor) -> torch.Tensor:
    r"""The generator's loss of a Wasserstein GAN.

    .. math::

        \mathcal{L}_G = -\frac1m \sum_{j=1}^m f\big(G(z_j)\big),

    the part of :math:`\widehat{\mathbb{E}}_{P_X} f - \widehat{\mathbb{E}}_{P_G} f` that
    depends on :math:`G`: for a fixed critic its gradient is that of the estimate of
    :math:`W_1(P_X, P_G)`.

    Parameters
    ----------
    scores_fake : Tensor, shape (m,)
        :math:`f(G(z_j))`.

    Returns
    -------
    Tensor, shape ()

    Raises
    ------
    ValueError
        If ``scores_fake`` is not a non-empty 1-D floating-point tensor.

    Examples
    --------
    >>> wgan_generator_loss(torch.tensor([1.0, 3.0]))
    tensor(-2.)
    """
    check_logits_or_scores(scores_fake, "scores_fake")
    return -scores_fake.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""The WGAN-GP gradient penalty (Gulrajani et al., 2017) on random interpolates.

    .. math::

        \begin{aligned}
        \mathrm{GP}(f) &= \frac1N \sum_{i=1}^N \big( \lVert \nabla_x f(\hat x_i) \rVert_2
            - 1 \big)^2, \\
        \hat x_i &= t_i\, x_i + (1 - t_i)\, \tilde x_i, \quad t_i \sim U[0, 1],
        \end{aligned}

    with **one** coefficient :math:`t_i` per sample (shared by all its coordinates) and
    the norm taken over the flattened sample. The optimal 1-Lipschitz critic has gradient
    norm 1 on the segments between coupled points, hence the target 1. The gradient is
    computed with ``create_graph=True`` so that the penalty can be differentiated with
    respect to the critic's parameters. ``real`` and ``fake`` are detached: the penalty
    trains the critic only.

    Parameters
    ----------
    critic : callable
        Maps a batch (N, ...) to scores (N,); must not couple samples (no batch norm).
    real : Tensor, shape (N, ...)
        Data :math:`x_i`.
    fake : Tensor, shape (N, ...)
        Generated samples :math:`\tilde x_i`, same shape.
    generator : torch.Generator, optional
        Source of the coefficients, drawn as ``torch.rand(N, generator=generator)`` on the
        generator's device and moved to the data's; torch's global generator by default.

    Returns
    -------
    Tensor, shape ()
        On the inputs' device and dtype, differentiable in the critic's parameters.

    Raises
    ------
    ValueError
        If ``real`` and ``fake`` are not floating-point tensors of one shape, dtype and
        device with at least one sample; ``critic`` is not callable, does not return one
        score per sample, or returns scores without gradient (computed under
        ``torch.no_grad()``); ``generator`` is neither a ``torch.Generator`` nor None. (A
        critic whose scores do not depend on its input has gradient 0: penalty 1.)

    Examples
    --------
    A linear critic :math:`f(x) = w^\top x` has :math:`\lVert\nabla f\rVert = \lVert w
    \rVert` everywhere; for :math:`w = (3, 4)` the penalty is :math:`(5 - 1)^2`:

    >>> w = torch.tensor([3.0, 4.0])
    >>> gradient_penalty(lambda x: x @ w, torch.zeros(6, 2), torch.ones(6, 2))
    tensor(16.)
    """
    check_batch_pair(real, fake, ("real", "fake"))
    if real.dtype != fake.dtype:  # their interpolates would take the wider dtype
        raise ValueError(
            f"real and fake must have one dtype, got {real.dtype} and {fake.dtype}; convert "
            "both to the dtype of the critic's parameters, e.g. fake = fake.to(real.dtype)"
        )
    n = real.shape[0]
    if not callable(critic):
        raise ValueError(f"critic must be callable (an nn.Module), got {type(critic).__name__}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__} "
            f"{generator!r}; e.g. generator=torch.Generator().manual_seed(0)"
        )
    if generator is None:
        t = torch.rand(n, device=real.device, dtype=real.dtype)
    else:
        t = torch.rand(n, generator=generator, device=generator.device, dtype=real.dtype)
    t = t.to(real.device).reshape(n, *([1] * (real.ndim - 1)))
    interpolates = (t * real.detach() + (1 - t) * fake.detach()).requires_grad_(True)
    scores = critic(interpolates)
    if not isinstance(scores, torch.Tensor) or scores.shape != (n,):
        shape = getattr(scores, "shape", None)
        raise ValueError(
            f"the critic must return one score per sample, shape ({n},), got "
            f"{None if shape is None else tuple(shape)}; squeeze a trailing axis with "
            ".squeeze(-1)"
        )
    if not scores.requires_grad:
        raise ValueError(
            "the critic's scores carry no gradient (computed under torch.no_grad(), or "
            "detached); call gradient_penalty with a critic that autograd can differentiate"
        )
    (grad,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True,
                                  allow_unused=True)
    if grad is None:  # scores that do not depend on the input: a zero gradient
        grad = torch.zeros_like(interpolates)
    norms = torch.linalg.vector_norm(grad.reshape(n, -1), dim=1)
    return (norms - 1.0).pow(2).mean()


@torch.no_grad()
def clip_weights_(module: torch.nn.Module, c: float) -> torch.nn.Module:
    r"""Clip every parameter of ``module`` to :math:`[-c, c]`, in place (the original WGAN).

    .. math::

        w \leftarrow \min\big(\max(w, -c),\, c\big) \quad \text{for every weight and bias.}

    Arjovsky et al. (2017) clip the critic after each update so that its weights stay in
    a compact set: the critic is then :math:`K`-Lipschitz for *some* :math:`K` that
    depends on :math:`c` and the architecture, so its objective estimates
    :math:`K \cdot W_1` at best, with :math:`K` unknown.

    Parameters
    ----------
    module : nn.Module
        The critic.
    c : float
        Clipping bound :math:`c > 0` (0.01 in the WGAN paper).

    Returns
    -------
    nn.Module
        ``module`` itself.

    Raises
    ------
    ValueError
        If ``c`` is not a positive finite number or ``module`` is not an ``nn.Module``.

    Examples
    --------
    >>> layer = torch.nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[0.5, -0.003]]))
    >>> clip_weights_(layer, 0.01).weight
    Parameter containing:
    tensor([[ 0.0100, -0.0030]], requires_grad=True)
    """
    if not isinstance(module, torch.nn.Module):
        raise ValueError(f"module must be an nn.Module, got {type(module).__name__}")
    bound = check_positive(c, "c", "c=0.01")
    for p in module.parameters():
        # A bound beyond the dtype's range clips nothing (and torch cannot convert it).
        b = min(bound, torch.finfo(p.dtype).max) if p.is_floating_point() else bound
        p.clamp_(-b, b)
    return module


class WGANModel(GeneratorCriticModel):
    r"""Wasserstein GAN: a generator trained against a (near) 1-Lipschitz critic.

    .. math::

        \min_G\ \max_{f \in \mathcal{F}}\ \mathbb{E}_{P_X} f(X) - \mathbb{E}_{P_Z} f(G(Z)),
        \qquad P_Z = N(0, I_{d_z}),

    where the critic class :math:`\mathcal{F}` approximates the 1-Lipschitz functions, for
    which the inner maximum is :math:`W_1(P_X, P_G)` (Kantorovich–Rubinstein). The
    critic's constraint, ``lipschitz`` (:data:`LIPSCHITZ_CONSTRAINTS`):

    * ``"gp"`` (Gulrajani et al., 2017): add :math:`\lambda_{\mathrm{GP}}\,\mathrm{GP}(f)`
      (:func:`gradient_penalty`) to the critic's loss;
    * ``"clip"`` (Arjovsky et al., 2017): clip the critic's weights to :math:`[-c, c]` at
      construction and after each critic update (:meth:`after_adversary_step`, called by
      :func:`vegan_lib.train.fit`);
    * ``"sn"`` (Miyato et al., 2018): a spectrally normalised critic, e.g.
      ``Critic(x_dim, spectral_norm=True)``; nothing is added to the loss;
    * ``"none"``: no constraint, the control that shows why one is needed.

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
    lipschitz : {"gp", "clip", "sn", "none"}
    gp_weight : float
        :math:`\lambda_{\mathrm{GP}} > 0` (10 in the WGAN-GP paper); used with ``"gp"``.
    clip : float
        :math:`c > 0` (0.01 in the WGAN paper); used with ``"clip"``.

    Raises
    ------
    ValueError
        Unknown constraint, non-positive ``gp_weight`` or ``clip``, ``z_dim < 1``, or
        ``lipschitz="sn"`` with a critic that has no spectral-norm parametrization.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = WGANModel.for_toy(lipschitz="gp", hidden=(16,))
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
        lipschitz: str = "gp",
        gp_weight: float = 10.0,
        clip: float = 0.01,
    ) -> None:
        _check_lipschitz(lipschitz)
        super().__init__(generator, critic, z_dim)
        self.gp_weight = check_positive(gp_weight, "gp_weight", "gp_weight=10.0")
        self.clip = check_positive(clip, "clip", "clip=0.01")
        if lipschitz == "sn" and not any(
            torch.nn.utils.parametrize.is_parametrized(m) for m in critic.modules()
        ):
            raise ValueError(
                "lipschitz='sn' needs a spectrally normalised critic; build it with "
                "Critic(x_dim, spectral_norm=True) or use WGANModel.for_toy(lipschitz='sn')"
            )
        self.lipschitz = lipschitz
        if lipschitz == "clip":
            clip_weights_(self.critic, self.clip)

    @classmethod
    def for_toy(
        cls,
        x_dim: int = 2,
        z_dim: int = 2,
        lipschitz: str = "gp",
        hidden: Sequence[int] = (128, 128),
        **kwargs,
    ) -> WGANModel:
        r"""WGAN with an MLP generator and an MLP critic for flat toy data.

        The generator is :class:`~vegan_lib.nets.MLPDecoder` (the decoder of
        :meth:`~vegan_lib.pot.POTModel.for_toy`, so both recipes train the same network), the
        critic a
        :class:`~vegan_lib.nets.Critic`, spectrally normalised for ``lipschitz="sn"``.

        Parameters
        ----------
        x_dim, z_dim : int
        lipschitz : {"gp", "clip", "sn", "none"}
        hidden : sequence of int
            Hidden widths of both networks.
        **kwargs
            ``gp_weight``, ``clip``.

        Returns
        -------
        WGANModel

        Examples
        --------
        >>> WGANModel.for_toy(lipschitz="sn", hidden=(8,)).critic.is_spectral_normalised()
        True
        """
        return cls(
            MLPDecoder(z_dim, x_dim, hidden),
            Critic(x_dim, hidden, spectral_norm=_check_lipschitz(lipschitz) == "sn"),
            z_dim,
            lipschitz=lipschitz,
            **kwargs,
        )

    @classmethod
    def for_mnist(cls, z_dim: int = 8, lipschitz: str = "gp", **kwargs) -> WGANModel:
        r"""WGAN for (N, 1, 28, 28) images, with the auto-encoders' decoder as generator.

        The generator is :class:`~vegan_lib.nets.ConvDecoder`, the decoder of
        :meth:`~vegan_lib.pot.POTModel.for_mnist` and the network every auto-encoder
        recipe of the book decodes with, so a scoreboard compares objectives, not networks;
        the critic is a :class:`~vegan_lib.nets.ConvCritic`, spectrally normalised for
        ``lipschitz="sn"``.

        Parameters
        ----------
        z_dim : int
            Code dimension.
        lipschitz : {"gp", "clip", "sn", "none"}
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
            ConvCritic(spectral_norm=_check_lipschitz(lipschitz) == "sn"),
            z_dim,
            lipschitz=lipschitz,
            **kwargs,
        )

    @property
    def facts(self) -> ModelFacts:
        """Facts of the WGAN, optimal transport (:math:`W_1`) in the dual, with a critic."""
        return ModelFacts("WGAN", "OT", "dual", "none", "none", "none", "none", "critic")

    def extra_repr(self) -> str:
        return f"z_dim={self.z_dim}, lipschitz={self.lipschitz!r}"

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""The generator's loss on a batch, :math:`-\frac1N \sum_i f(G(z_i))`.

        The batch ``x`` only sets the batch size; the critic's parameters receive
        gradients too, which :func:`vegan_lib.train.fit` discards (it zeroes them before
        each critic update).

        Returns
        -------
        dict of str to Tensor, shape ()
            ``{"loss": ...}`` (:func:`wgan_generator_loss`).
        """
        return {"loss": wgan_generator_loss(self.critic(self._fake_like(x)))}

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
        if self.lipschitz == "gp":
            gp = gradient_penalty(self.critic, x, fake)
            parts["loss"] = critic_loss + self.gp_weight * gp
            parts["gradient_penalty"] = gp
        return parts

    def after_adversary_step(self) -> None:
        """Clip the critic's weights to :math:`[-c, c]` (``lipschitz="clip"`` only)."""
        if self.lipschitz == "clip":
            clip_weights_(self.critic, self.clip)
