r"""The VAE and adversarial variational Bayes (chapter 5), and the tools that explain their blur.

Both penalise *every* posterior :math:`q(z \mid x)` towards the prior :math:`p(z) = N(0,
I_{d_z})` rather than the aggregate :math:`Q_Z` as POT does (:mod:`vegan_lib.pot`), with a
Gaussian decoder :math:`p(x \mid z) = N(G(z), \sigma^2 I)`:

* the VAE (:class:`VAEModel`, :func:`vae_loss`) with a Gaussian encoder and the closed-form
  KL (:func:`gaussian_kl`);
* AVB (:class:`AVBModel`, :func:`avb_encoder_decoder_loss`,
  :func:`avb_discriminator_loss`) with an implicit encoder and a discriminator that learns
  the KL.

Why the VAE blurs: codes of different digits overlap, and the best decoder of an
overlapping code is the average :math:`\mathbb{E}[X \mid Z = z]` (:func:`posterior_weights`,
:func:`bayes_decoder`); the mean KL splits into the mutual information
:math:`I(X; Z) \le \log N` and :math:`\mathrm{KL}(Q_Z \,\|\, P_Z)` (:func:`kl_split`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
from torch import nn

from vegan_lib._checks import (
    check_codes,
    check_logits_or_scores,
    check_module,
    check_output_shape,
    check_per_sample,
    check_positive,
    check_positive_int,
    check_sigma2,
)
from vegan_lib.costs import gaussian_nll
from vegan_lib.nets import (
    AVBDiscriminator,
    ConvDecoder,
    GaussianConvEncoder,
    GaussianMLPEncoder,
    MLPDecoder,
    NoisyConvEncoder,
    NoisyMLPEncoder,
)
from vegan_lib.protocol import GaussianPriorMixin, ModelFacts

__all__ = [
    "gaussian_kl",
    "vae_loss",
    "avb_encoder_decoder_loss",
    "avb_discriminator_loss",
    "VAEModel",
    "AVBModel",
    "log_normal",
    "posterior_weights",
    "bayes_decoder",
    "KLSplit",
    "kl_split",
]

_LOG_2PI = math.log(2 * math.pi)
_CHUNK = 2**24  # elements of the (rows, N, d) tensors built at once by the posterior tools


# =========================================================================== losses
def _check_diag_gaussians(
    mean: Any, logvar: Any, names: tuple[str, str] = ("mean", "logvar")
) -> None:
    """Validate N >= 1 diagonal Gaussians: ``mean``, ``logvar`` float tensors of one shape (N, d).

    Examples
    --------
    >>> _check_diag_gaussians(torch.zeros(3, 2), torch.zeros(3, 2))  # passes silently
    """
    for name, t in zip(names, (mean, logvar), strict=True):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.ndim != 2:
            shape = getattr(t, "shape", None)
            raise ValueError(
                f"{name} must be a 2-D floating-point tensor of shape (N, z_dim), got shape "
                f"{None if shape is None else tuple(shape)}; the encoder returns (mean, logvar)"
            )
    if mean.shape != logvar.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {tuple(mean.shape)} and "
            f"{tuple(logvar.shape)}; the encoder must output one log-variance per code axis"
        )
    if mean.shape[0] == 0:
        raise ValueError(f"{names[0]} is empty; pass at least one posterior")


def _check_query_codes(z: Any, z_dim: int, name: str) -> None:
    """Raise ``ValueError`` unless ``z`` is a tensor of codes of shape (M, z_dim).

    Examples
    --------
    >>> _check_query_codes(torch.zeros(4, 2), 2, "mean_query")  # passes silently
    """
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != z_dim:
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"{name} must have shape (M, {z_dim}), one code per row, got {got}")


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""Per-sample :math:`\mathrm{KL}\big(N(\mu, \operatorname{diag} e^{v}) \,\|\, N(0, I)\big)`.

    :math:`\frac12 \sum_k (\mu_k^2 + e^{v_k} - 1 - v_k)` for ``mean`` and ``logvar`` of
    shape (N, z_dim); returns shape (N,).

    Examples
    --------
    >>> gaussian_kl(torch.tensor([[0.0], [1.0]]), torch.zeros(2, 1))
    tensor([0.0000, 0.5000])
    """
    _check_diag_gaussians(mean, logvar)
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def vae_loss(
    x: torch.Tensor, x_mean: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor,
    sigma2: float,
) -> dict[str, torch.Tensor]:
    r"""Negative ELBO of a VAE on a batch, with its parts.

    :math:`-\mathrm{ELBO}(x) = \mathbb{E}_{q(z \mid x)}[-\log p(x \mid z)] +
    \mathrm{KL}(q(z \mid x) \,\|\, p(z))`, the expectation estimated by the decoding
    ``x_mean`` (N, ...) of one reparameterised code per data point
    (:func:`~vegan_lib.costs.gaussian_nll`,
    :func:`gaussian_kl` of the encoder's ``mean``, ``logvar`` (N, z_dim)). Returns
    ``"loss"``, ``"nll"`` and ``"kl"``, batch means.

    Examples
    --------
    >>> x = torch.ones(3, 2); mean = torch.zeros(3, 1); logvar = torch.zeros(3, 1)
    >>> parts = vae_loss(x, x.clone(), mean, logvar, sigma2=1 / (2 * math.pi))
    >>> {k: round(v.item(), 4) for k, v in parts.items()}
    {'loss': 0.0, 'nll': 0.0, 'kl': 0.0}
    """
    nll = gaussian_nll(x, x_mean, sigma2)
    kl = gaussian_kl(mean, logvar)
    if kl.shape[0] != nll.shape[0]:
        raise ValueError(
            f"the encoder saw {kl.shape[0]} samples but the data has {nll.shape[0]}; "
            "pass mean and logvar of the same batch as x"
        )
    mean_nll, mean_kl = nll.mean(), kl.mean()
    return {"loss": mean_nll + mean_kl, "nll": mean_nll, "kl": mean_kl}


def avb_encoder_decoder_loss(nll: torch.Tensor, t_q: torch.Tensor) -> dict[str, torch.Tensor]:
    r"""AVB objective of the encoder and decoder on a batch, with its parts.

    :math:`\frac1N \sum_i -\log p(x_i \mid z_i) + T(x_i, z_i)`: the negative ELBO with the
    KL replaced by :math:`\mathbb{E}_q T(x, z)`; at its optimum the discriminator of
    :func:`avb_discriminator_loss` is :math:`T^* = \log q(z \mid x) - \log p(z)`. ``nll``
    and ``t_q`` are per sample (N,), at the same codes :math:`z_i \sim q(z \mid x_i)`.
    Returns ``"loss"``, ``"nll"`` and ``"kl"`` (the mean of :math:`T`), as :func:`vae_loss`.

    Examples
    --------
    >>> parts = avb_encoder_decoder_loss(torch.tensor([2.0, 4.0]), torch.tensor([0.5, 1.5]))
    >>> {k: round(v.item(), 2) for k, v in parts.items()}
    {'loss': 4.0, 'nll': 3.0, 'kl': 1.0}
    """
    check_per_sample(nll, "nll", "use gaussian_nll(x, x_hat, sigma2) rather than its mean")
    check_logits_or_scores(t_q, "t_q")
    if nll.shape != t_q.shape:
        raise ValueError(
            f"nll and t_q must have the same length, got {nll.shape[0]} and {t_q.shape[0]}; "
            "evaluate T at the codes that were decoded"
        )
    mean_nll, kl = nll.mean(), t_q.mean()
    return {"loss": mean_nll + kl, "nll": mean_nll, "kl": kl}


def avb_discriminator_loss(logits_q: torch.Tensor, logits_p: torch.Tensor) -> torch.Tensor:
    r"""Logistic loss of the AVB discriminator (posterior pairs = 1, prior pairs = 0).

    .. math::

        \mathcal{L}_T = -\mathbb{E}_{x}\, \mathbb{E}_{q(z \mid x)} \log \sigma\big(T(x, z)\big)
            - \mathbb{E}_{x}\, \mathbb{E}_{p(z)} \log\big(1 - \sigma(T(x, z))\big),

    minimised by :math:`T^* = \log q(z \mid x) - \log p(z)`. ``logits_q`` (n,) and
    ``logits_p`` (m,) are :math:`T` at posterior and prior codes; computed with softplus.

    Examples
    --------
    >>> round(avb_discriminator_loss(torch.zeros(4), torch.zeros(4)).item(), 4)
    1.3863
    """
    check_logits_or_scores(logits_q, "logits_q")
    check_logits_or_scores(logits_p, "logits_p")
    # -log sigma(t) = softplus(-t) and -log(1 - sigma(t)) = softplus(t).
    softplus = torch.nn.functional.softplus
    return softplus(-logits_q).mean() + softplus(logits_p).mean()


# =========================================================================== models
class _LatentVariableModel(GaussianPriorMixin, nn.Module):
    """Shared plumbing of the VAE and AVB: prior, decoder, device, dtype."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, z_dim: int, sigma2: float):
        super().__init__()
        self.z_dim = check_positive_int(z_dim, "z_dim", "z_dim=8")
        self.sigma2 = check_sigma2(sigma2)
        self.encoder = check_module(encoder, "encoder", "GaussianMLPEncoder(x_dim, z_dim)")
        self.decoder = check_module(decoder, "decoder", "MLPDecoder(z_dim, x_dim)")

    def extra_repr(self) -> str:
        return f"z_dim={self.z_dim}, sigma2={self.sigma2}"

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        r"""Decoder means :math:`G(z)` for codes of shape (N, z_dim)."""
        return self.decoder(z)

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        r"""Decoder means :math:`G(Z)`, :math:`Z \sim p(z)`, without the decoder's noise."""
        return self.decode(self.sample_prior(n))

    def main_parameters(self) -> list[nn.Parameter]:
        """Encoder and decoder parameters: what the main optimizer updates."""
        return [*self.encoder.parameters(), *self.decoder.parameters()]


class VAEModel(_LatentVariableModel):
    r"""Variational auto-encoder with Gaussian encoder and Gaussian decoder.

    Minimises :math:`-\mathrm{ELBO}` (:func:`vae_loss`) with :math:`q(z \mid x) =
    N(\mu(x), \operatorname{diag} e^{v(x)})`, :math:`p(x \mid z) = N(G(z), \sigma^2 I)` and
    :math:`p(z) = N(0, I_{d_z})`, one reparameterised draw per data point (Kingma &
    Welling, 2014). ``encoder`` maps data (N, ...) to ``(mean, logvar)``, each (N, z_dim)
    (e.g. :class:`~vegan_lib.nets.GaussianConvEncoder`); ``sigma2 > 0`` is fixed (smaller
    values weigh the reconstruction more against the KL).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = VAEModel.for_toy(x_dim=2, z_dim=1, hidden=(8,))
    >>> sorted(model.losses(torch.randn(5, 2))), tuple(model.sample(3).shape)
    (['kl', 'loss', 'nll'], (3, 2))
    """

    def __init__(
        self, encoder: nn.Module, decoder: nn.Module, z_dim: int, sigma2: float = 1.0,
        beta: float = 1.0,
    ) -> None:
        super().__init__(encoder, decoder, z_dim, sigma2)
        self.beta = check_positive(beta, "beta", "beta=1.0 (the VAE), beta=4.0 (a beta-VAE)")

    @classmethod
    def for_toy(
        cls, x_dim: int = 2, z_dim: int = 2, sigma2: float = 1.0,
        hidden: Sequence[int] = (128, 128), beta: float = 1.0,
    ) -> VAEModel:
        r"""VAE with MLP networks for flat toy data.

        Examples
        --------
        >>> VAEModel.for_toy(hidden=(8,)).adversary_parameters()
        []
        """
        return cls(
            GaussianMLPEncoder(x_dim, z_dim, hidden), MLPDecoder(z_dim, x_dim, hidden), z_dim,
            sigma2=sigma2, beta=beta,
        )

    @classmethod
    def for_mnist(cls, z_dim: int = 8, sigma2: float = 1.0, beta: float = 1.0) -> VAEModel:
        r"""VAE with the convolutional backbones of :meth:`~vegan_lib.pot.POTModel.for_mnist`.

        Examples
        --------
        >>> tuple(VAEModel.for_mnist(z_dim=4).sample(2).shape)
        (2, 1, 28, 28)
        """
        return cls(GaussianConvEncoder(z_dim), ConvDecoder(z_dim), z_dim, sigma2=sigma2,
                   beta=beta)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Posterior parameters ``(mean, logvar)``, each of shape (N, z_dim)."""
        out = self.encoder(x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ValueError(
                f"the VAE's encoder must return a pair (mean, logvar), got "
                f"{type(out).__name__}; use GaussianConvEncoder / GaussianMLPEncoder"
            )
        mean, logvar = out
        return check_codes(mean, self.z_dim, "mean"), check_codes(logvar, self.z_dim, "logvar")

    @staticmethod
    def reparameterize(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        r""":math:`z = \mu + e^{v/2} \odot \varepsilon`, :math:`\varepsilon \sim N(0, I)`."""
        return mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)

    def sample_posterior(self, x: torch.Tensor) -> torch.Tensor:
        r"""One reparameterised code :math:`z \sim q(z \mid x)` per data point, (N, z_dim)."""
        return self.reparameterize(*self.encode(x))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`G(\mu(x))`: the decoded posterior mean (no sampling)."""
        mean, _ = self.encode(x)
        return self.decode(mean)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""Negative ELBO on a batch: ``"loss"``, ``"nll"`` and ``"kl"`` (:func:`vae_loss`).

        With ``beta`` :math:`\ne 1` (a :math:`\beta`-VAE) the loss is
        :math:`\mathrm{NLL} + \beta\,\mathrm{KL}`; ``"nll"`` and ``"kl"`` are unchanged.
        """
        mean, logvar = self.encode(x)
        x_hat = self.decode(self.reparameterize(mean, logvar))
        check_output_shape(x_hat, x, "decoder")
        terms = vae_loss(x, x_hat, mean, logvar, self.sigma2)
        if self.beta != 1.0:
            terms["loss"] = terms["nll"] + self.beta * terms["kl"]
        return terms

    def adversary_parameters(self) -> list[nn.Parameter]:
        """A VAE has no adversary: an empty list."""
        return []

    @property
    def facts(self) -> ModelFacts:
        """Facts of the VAE, an f-divergence (KL) in the primal with a Gaussian encoder."""
        return ModelFacts("VAE", "f-divergence", "primal", "stochastic", "Gaussian NLL", "KL",
                          "f-divergence", "none")

    @torch.no_grad()
    def diagnostics(self, x: torch.Tensor, x_train: torch.Tensor,
                    seed: int = 7) -> dict[str, float | torch.Tensor]:
        r"""The VAE's own measures on data ``x`` (N, ...), beside training data ``x_train``
        (M, ...) (chapter 5; ``seed`` unused: nothing is drawn).

        * ``"kl"``: :math:`\frac1N \sum_i \mathrm{KL}(q(z \mid x_i) \,\|\, p(z))`;
        * ``"posterior_std"``: the mean posterior standard deviation;
        * ``"shared_codes"``: the median over :math:`x_i` of :math:`1 / \sum_j w_{ij}^2`, how
          many training digits share the code :math:`\mu(x_i)`
          (:func:`posterior_weights`);
        * ``"bayes"``: images (N, ...), the best decoder of :math:`\mu(x_i)`,
          :math:`\mathbb{E}[X \mid Z = \mu(x_i)]` over the training digits
          (:func:`bayes_decoder`).
        """
        mean, logvar = self.encode(x)
        mean_tr, logvar_tr = self.encode(x_train)
        w = posterior_weights(mean, mean_tr, logvar_tr)
        return {"kl": gaussian_kl(mean, logvar).mean().item(),
                "posterior_std": (0.5 * logvar).exp().mean().item(),
                "shared_codes": (1.0 / (w**2).sum(1)).median().item(),
                "bayes": bayes_decoder(mean, mean_tr, logvar_tr, x_train)}


class AVBModel(_LatentVariableModel):
    r"""Adversarial variational Bayes: a VAE with an implicit encoder and a learned KL.

    Minimises :math:`\mathbb{E}_x \mathbb{E}_{z \sim q(z \mid x)}[-\log p(x \mid z) +
    T(x, z)]` where :math:`z = E(x, \varepsilon)` draws its own noise (no density for
    :math:`q`) and the discriminator :math:`T \approx \log q(z \mid x) - \log p(z)` is
    trained by :meth:`adversary_loss` (Mescheder et al., 2017). :meth:`losses` evaluates
    :math:`T` with its parameters detached: the gradient reaches the encoder through
    :math:`T`'s input only.

    ``encoder``: a noisy encoder (e.g. :class:`~vegan_lib.nets.NoisyConvEncoder`);
    ``discriminator``: :math:`T(x, z)`, (data (N, ...), codes (N, z_dim)) to logits (N,)
    (e.g. :class:`~vegan_lib.nets.AVBDiscriminator`); ``sigma2 > 0``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = AVBModel.for_toy(x_dim=2, z_dim=1, hidden=(8,))
    >>> sorted(model.losses(torch.randn(5, 2))), sorted(model.adversary_loss(torch.randn(5, 2)))
    (['kl', 'loss', 'nll'], ['loss'])
    """

    def __init__(
        self, encoder: nn.Module, decoder: nn.Module, discriminator: nn.Module, z_dim: int,
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
        cls, x_dim: int = 2, z_dim: int = 2, noise_dim: int = 8, sigma2: float = 1.0,
        hidden: Sequence[int] = (128, 128),
    ) -> AVBModel:
        r"""AVB with MLP networks of widths ``hidden`` for flat toy data.

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
        r"""AVB with the convolutional backbones of :meth:`~vegan_lib.pot.POTModel.for_mnist`.

        Examples
        --------
        >>> tuple(AVBModel.for_mnist(z_dim=4).sample(2).shape)
        (2, 1, 28, 28)
        """
        return cls(
            NoisyConvEncoder(z_dim, noise_dim), ConvDecoder(z_dim), AVBDiscriminator(z_dim),
            z_dim, sigma2=sigma2,
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        r"""One code :math:`z = E(x, \varepsilon) \sim q(z \mid x)` per data point, (N, z_dim)."""
        return check_codes(self.encoder(x), self.z_dim)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`G(z)` for one draw :math:`z \sim q(z \mid x)`: random, unlike the VAE's."""
        return self.decode(self.encode(x))

    def _frozen_discriminator(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        # T(x, z) with T's parameters detached: differentiable in (x, z) only.
        params = {k: p.detach() for k, p in self.discriminator.named_parameters()}
        return torch.func.functional_call(self.discriminator, params, (x, z))

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""``"loss"``, ``"nll"`` and ``"kl"`` (the mean of :math:`T`) on a batch.

        See :func:`avb_encoder_decoder_loss`.
        """
        z = self.encode(x)
        x_hat = self.decode(z)
        check_output_shape(x_hat, x, "decoder")
        nll = gaussian_nll(x, x_hat, self.sigma2)
        return avb_encoder_decoder_loss(nll, self._frozen_discriminator(x, z))

    def adversary_parameters(self) -> list[nn.Parameter]:
        """The parameters of the discriminator :math:`T`."""
        return list(self.discriminator.parameters())

    @property
    def facts(self) -> ModelFacts:
        """Facts of AVB, the VAE's KL in the primal, estimated by a discriminator."""
        return ModelFacts("AVB", "f-divergence", "primal", "stochastic", "Gaussian NLL",
                          "KL via T", "f-divergence", "discriminator T(x, z)")

    def diagnostics(self, x: torch.Tensor, x_train: torch.Tensor | None = None,
                    seed: int = 7) -> dict[str, float | torch.Tensor]:
        """AVB's codes have no density to measure: no measures beyond the reconstructions."""
        return {}

    def adversary_loss(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r"""``{"loss": ...}``: :func:`avb_discriminator_loss` at codes detached from the encoder."""
        with torch.no_grad():
            z_q = self.encode(x)
        z_p = self.sample_prior(z_q.shape[0])
        loss = avb_discriminator_loss(self.discriminator(x, z_q), self.discriminator(x, z_p))
        return {"loss": loss}


# =========================================================================== posterior tools
def log_normal(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""Log-density of the diagonal Gaussian :math:`N(\mu, \operatorname{diag} e^{v})` at ``z``.

    .. math::

        \log N(z; \mu, \operatorname{diag} e^{v}) = -\frac12 \sum_k \Big(
            \frac{(z_k - \mu_k)^2}{e^{v_k}} + v_k + \log 2\pi \Big),

    summed over the last axis; the leading axes of ``z``, ``mean`` and ``logvar``
    broadcast. Returns their broadcast shape without the last axis.

    Examples
    --------
    >>> round(log_normal(torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, 2)).item(), 4)
    -1.8379
    """
    tensors = {"z": z, "mean": mean, "logvar": logvar}
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.ndim == 0:
            raise ValueError(f"{name} must be a floating-point tensor (..., d), got {t!r:.60}")
    try:
        torch.broadcast_shapes(z.shape, mean.shape, logvar.shape)
    except RuntimeError:
        shapes = {k: tuple(t.shape) for k, t in tensors.items()}
        raise ValueError(
            f"z, mean and logvar must broadcast to one shape (..., d), got {shapes}"
        ) from None
    return -0.5 * (((z - mean) ** 2) / logvar.exp() + logvar + _LOG_2PI).sum(-1)


def posterior_weights(
    mean_query: torch.Tensor, mean_train: torch.Tensor, logvar_train: torch.Tensor
) -> torch.Tensor:
    r"""Weights :math:`w_{ij}` of the data points :math:`x_j` given the code ``mean_query[i]``.

    .. math::

        w_{ij} = \frac{q(z_i \mid x_j)}{\sum_{k=1}^N q(z_i \mid x_k)}, \qquad
        q(z \mid x_j) = N\big(\mu_j, \operatorname{diag} e^{v_j}\big),

    the posterior :math:`P(J = j \mid Z = z_i)` of the data index under the aggregated
    posterior with uniform data, computed as a softmax of log-densities (stable).
    ``mean_query`` is (M, d), ``mean_train`` and ``logvar_train`` are (N, d); returns
    (M, N), rows summing to 1.

    Examples
    --------
    >>> w = posterior_weights(torch.zeros(1, 1), torch.tensor([[-1.0], [1.0]]), torch.zeros(2, 1))
    >>> w
    tensor([[0.5000, 0.5000]])
    """
    _check_diag_gaussians(mean_train, logvar_train, ("mean_train", "logvar_train"))
    _check_query_codes(mean_query, mean_train.shape[1], "mean_query")
    variance = logvar_train.exp()[None]
    rows = max(1, _CHUNK // mean_train.numel())
    out = []
    for z in mean_query.split(rows):
        # log q(z | x_j) up to the constant -d/2 log 2 pi, which the softmax cancels
        log_q = -0.5 * (((z[:, None, :] - mean_train[None]) ** 2) / variance
                        + logvar_train[None]).sum(-1)
        out.append(torch.softmax(log_q, dim=1))
    return torch.cat(out)


def bayes_decoder(
    mean_query: torch.Tensor, mean_train: torch.Tensor, logvar_train: torch.Tensor,
    x_train: torch.Tensor,
) -> torch.Tensor:
    r"""The best decoder of a code: :math:`\mathbb{E}[X \mid Z = z] = \sum_j w_j(z)\, x_j`.

    Under the aggregated posterior :math:`\frac1N \sum_j q(z \mid x_j)` with uniform data,
    with the weights of :func:`posterior_weights`. ``x_train`` (N, ...) holds the data of
    the posteriors; returns (M, ...), shaped like its samples.

    Examples
    --------
    >>> bayes_decoder(torch.zeros(1, 1), torch.tensor([[-1.0], [1.0]]), torch.zeros(2, 1),
    ...               torch.tensor([[0.0, 2.0], [4.0, 6.0]]))
    tensor([[2., 4.]])
    """
    w = posterior_weights(mean_query, mean_train, logvar_train)
    if not isinstance(x_train, torch.Tensor) or x_train.ndim < 1 or x_train.shape[0] != w.shape[1]:
        raise ValueError(
            f"x_train must hold the {w.shape[1]} data points of the posteriors, shape "
            f"({w.shape[1]}, ...), got {tuple(getattr(x_train, 'shape', ())) or x_train!r:.40}"
        )
    flat = x_train.reshape(x_train.shape[0], -1)
    dtype = torch.promote_types(w.dtype, flat.dtype)
    return (w.to(dtype) @ flat.to(dtype)).reshape(-1, *x_train.shape[1:])


class KLSplit(NamedTuple):
    r"""The parts of :math:`\mathbb{E}_x \mathrm{KL}(q(z \mid x) \,\|\, p(z))` (nats)."""

    mutual_information: float
    """:math:`I(X; Z)`, at most :math:`\\log N`."""
    aggregate_kl: float
    r""":math:`\mathrm{KL}(Q_Z \,\|\, P_Z)`."""
    total: float
    """The Monte Carlo estimate of the mean KL on the same draws, which is the parts' sum."""


def kl_split(
    mean: torch.Tensor, logvar: torch.Tensor, n_samples: int = 1,
    generator: torch.Generator | None = None,
) -> KLSplit:
    r"""Split the mean KL of N Gaussian posteriors into mutual information and aggregate KL.

    .. math::

        \begin{aligned}
        \frac1N \sum_i \mathrm{KL}\big(q(z \mid x_i) \,\|\, p(z)\big)
        &= \underbrace{\mathbb{E} \log \frac{q(Z \mid X)}{q(Z)}}_{I(X; Z)}
        + \underbrace{\mathbb{E} \log \frac{q(Z)}{p(Z)}}_{\mathrm{KL}(Q_Z \| P_Z)}, \\
        q(z) &= \frac1N \sum_j q(z \mid x_j),
        \end{aligned}

    with :math:`X` uniform on the N data points, :math:`Z \sim q(z \mid X)`,
    :math:`p = N(0, I)`, and :math:`\log q(z)` the log-mean-exp of :func:`log_normal` over
    j. The expectations are averaged over ``n_samples`` draws :math:`z = \mu_i + e^{v_i/2}
    \odot \varepsilon` per point, ``eps = torch.randn(n_samples, N, d, generator=...)``.
    Since :math:`q(z) \ge q(z \mid x_i) / N`, :math:`I(X; Z) \le \log N` on every draw. The
    total estimates ``gaussian_kl(mean, logvar).mean()``.

    Examples
    --------
    Identical posteriors carry no information about :math:`x`:

    >>> parts = kl_split(torch.ones(3, 2), torch.zeros(3, 2), generator=torch.Generator())
    >>> abs(parts.mutual_information) < 1e-6
    True
    """
    _check_diag_gaussians(mean, logvar)
    n_samples = check_positive_int(n_samples, "n_samples", "n_samples=2")
    n, d = mean.shape
    device = mean.device if generator is None else generator.device
    eps = torch.randn(n_samples, n, d, generator=generator, device=device, dtype=mean.dtype)
    z = mean + (0.5 * logvar).exp() * eps.to(mean.device)  # (n_samples, n, d)
    log_q_own = log_normal(z, mean, logvar)  # log q(z | x_i) at its own draws
    rows = max(1, _CHUNK // mean.numel())
    flat = z.reshape(-1, d)
    log_q_agg = torch.cat([
        torch.logsumexp(log_normal(part[:, None, :], mean[None], logvar[None]), dim=-1)
        for part in flat.split(rows)
    ]).reshape(n_samples, n) - math.log(n)  # log q(z) = logmeanexp_j log q(z | x_j)
    log_p = log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
    return KLSplit(
        (log_q_own - log_q_agg).mean().item(),
        (log_q_agg - log_p).mean().item(),
        (log_q_own - log_p).mean().item(),
    )
