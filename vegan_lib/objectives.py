r"""Loss functions on tensors: reconstruction costs and the POT objective.

These are pure functions (no networks, no state) so that each term of an objective can
be checked by hand and plotted on its own. The recipe of the VEGAN cookbook is

.. math::

    D_{\mathrm{POT}} = \mathbb{E}_{P_X}\, c\big(X, G(E(X))\big)
        + \lambda\, \mathcal{D}(Q_Z, P_Z),

with a per-sample cost :math:`c` (:data:`COSTS`) and a latent divergence
:math:`\mathcal{D}` from :mod:`vegan_lib.divergences`; :func:`pot_loss` assembles the
two and returns every part.

The other recipes of the book are written in the same terms:

* chapter 4, the adversarial auto-encoder (:func:`gaussian_nll`, :func:`aae_loss`):
  with a Gaussian decoder of variance :math:`\sigma^2` it is POT with the squared cost
  and :math:`\lambda = 2\sigma^2\lambda_{\mathrm{AAE}}` (:func:`aae_to_pot_lambda`);
* chapter 5, the VAE (:func:`gaussian_kl`, :func:`vae_loss`) and adversarial variational
  Bayes (:func:`avb_encoder_decoder_loss`, :func:`avb_discriminator_loss`), whose
  penalties act on every :math:`q(z \mid x)` rather than on the aggregate :math:`Q_Z`;
* chapter 6, the Wasserstein GAN, the dual of POT for :math:`c = \lVert x - y \rVert`
  (:func:`wgan_critic_loss`, :func:`wgan_generator_loss`, :func:`gradient_penalty`,
  :func:`clip_weights_`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = [
    "squared_cost",
    "euclidean_cost",
    "COSTS",
    "pot_loss",
    "gaussian_nll",
    "aae_loss",
    "aae_to_pot_lambda",
    "pot_to_aae_lambda",
    "gaussian_kl",
    "vae_loss",
    "avb_encoder_decoder_loss",
    "avb_discriminator_loss",
    "wgan_critic_loss",
    "wgan_generator_loss",
    "gradient_penalty",
    "clip_weights_",
]


def _check_same_shape(x: torch.Tensor, y: torch.Tensor) -> None:
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            raise ValueError(
                f"{name} must be a floating-point tensor with the batch on axis 0; "
                f"convert it with torch.as_tensor({name}, dtype=torch.float32)"
            )
        if t.ndim == 0:
            raise ValueError(
                f"{name} is 0-dimensional; costs are per sample, pass shape (N, ...)"
            )
    if x.shape != y.shape:
        raise ValueError(
            f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}; "
            "the decoder's output must have the data's shape"
        )
    if x.shape[0] == 0:
        raise ValueError(
            f"empty batches: shape {tuple(x.shape)} holds no samples; pass at least one sample"
        )


def squared_cost(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Per-sample squared Euclidean cost, summed over every coordinate or pixel.

    .. math::

        c(x, y) = \lVert x - y \rVert_2^2 = \sum_{k} (x_k - y_k)^2 .

    Summed, not averaged, over pixels: this is the cost of the WAE paper, and it sets
    the scale against which :math:`\lambda` is chosen.

    Parameters
    ----------
    x, y : Tensor, shape (N, ...)
        Two batches of the same shape (a 1-D tensor is N one-dimensional samples).

    Returns
    -------
    Tensor, shape (N,)

    Raises
    ------
    ValueError
        If the shapes differ or a tensor is 0-dimensional.

    Examples
    --------
    >>> x = torch.tensor([[0.0, 0.0], [1.0, 1.0]]); y = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    >>> squared_cost(x, y)
    tensor([25.,  0.])
    """
    _check_same_shape(x, y)
    return (x - y).pow(2).reshape(x.shape[0], -1).sum(1)


def euclidean_cost(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Per-sample Euclidean distance of the flattened samples.

    .. math::

        c(x, y) = \lVert x - y \rVert_2 = \Big(\sum_k (x_k - y_k)^2\Big)^{1/2} .

    The gradient at :math:`x = y` is taken to be 0 (a subgradient), never NaN.

    Parameters
    ----------
    x, y : Tensor, shape (N, ...)

    Returns
    -------
    Tensor, shape (N,)

    Raises
    ------
    ValueError
        If the shapes differ or a tensor is 0-dimensional.

    Examples
    --------
    >>> euclidean_cost(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([5.])
    """
    _check_same_shape(x, y)
    # vector_norm's backward masks the zero-norm case, so the gradient at x == y is 0.
    return torch.linalg.vector_norm((x - y).reshape(x.shape[0], -1), dim=1)


COSTS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "squared": squared_cost,
    "euclidean": euclidean_cost,
}
"""Reconstruction costs by name, as accepted by the models' ``cost`` argument."""


def _check_lam(lam: float) -> float:
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"lam must be a non-negative number, got {lam!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(
            f"lam must be a non-negative finite number, got {value}; the WAE paper uses "
            "lam = 10 (MMD) or lam = 1 (GAN) on MNIST"
        )
    return value


def pot_loss(
    reconstruction: torch.Tensor, penalty: torch.Tensor, lam: float
) -> dict[str, torch.Tensor]:
    r"""Penalized optimal transport objective on a batch, with its parts.

    .. math::

        \widehat{D}_{\mathrm{POT}} = \frac{1}{N} \sum_{i=1}^{N} c\big(x_i, G(E(x_i))\big)
            + \lambda\, \widehat{\mathcal{D}}(Q_Z, P_Z).

    Parameters
    ----------
    reconstruction : Tensor, shape (N,)
        Per-sample costs :math:`c(x_i, G(E(x_i)))`.
    penalty : Tensor, shape ()
        The batch estimate of :math:`\mathcal{D}(Q_Z, P_Z)`.
    lam : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    dict of str to Tensor, shape ()
        ``"loss"`` (what the optimizer minimises), ``"reconstruction"`` (the mean cost)
        and ``"penalty"`` (as given, not multiplied by :math:`\lambda`).

    Raises
    ------
    ValueError
        If ``reconstruction`` is not 1-D and non-empty, ``penalty`` is not a scalar, or
        ``lam`` is negative or not finite.

    Examples
    --------
    >>> parts = pot_loss(torch.tensor([1.0, 3.0]), torch.tensor(0.5), lam=10.0)
    >>> {k: round(v.item(), 2) for k, v in parts.items()}
    {'loss': 7.0, 'reconstruction': 2.0, 'penalty': 0.5}
    """
    if not isinstance(reconstruction, torch.Tensor) or reconstruction.ndim != 1:
        shape = getattr(reconstruction, "shape", None)
        raise ValueError(
            f"reconstruction must be the per-sample costs, shape (N,), got shape {shape}; "
            "use squared_cost(x, x_hat) rather than its mean"
        )
    if reconstruction.shape[0] == 0:
        raise ValueError("reconstruction is empty; use a batch with at least one sample")
    if not isinstance(penalty, torch.Tensor) or penalty.ndim != 0:
        shape = getattr(penalty, "shape", None)
        raise ValueError(
            f"penalty must be a 0-dimensional tensor, got shape {shape}; "
            "reduce it to one number (e.g. with .mean())"
        )
    lam = _check_lam(lam)
    rec = reconstruction.mean()
    return {"loss": rec + lam * penalty, "reconstruction": rec, "penalty": penalty}


# =========================================================================== chapter 4: AAE
# The adversarial auto-encoder with a Gaussian decoder is POT with the squared cost:
#   E[-log p(X|Z)] + lam_aae D = (1 / (2 sigma2)) (E||X - G(Z)||^2 + 2 sigma2 lam_aae D)
#                                + (d / 2) log(2 pi sigma2).


def _check_sigma2(sigma2: float) -> float:
    if isinstance(sigma2, torch.Tensor):
        if sigma2.numel() != 1:
            raise ValueError(
                f"sigma2 must be one number, got a tensor of shape {tuple(sigma2.shape)}; "
                "the decoder variance is a scalar hyper-parameter"
            )
        sigma2 = sigma2.item()
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


def _check_per_sample(t: torch.Tensor, name: str, hint: str) -> None:
    if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.ndim != 1:
        shape = getattr(t, "shape", None)
        raise ValueError(
            f"{name} must be a 1-D floating-point tensor of per-sample values, shape (N,), "
            f"got shape {None if shape is None else tuple(shape)}; {hint}"
        )
    if t.shape[0] == 0:
        raise ValueError(f"{name} is empty; use a batch with at least one sample")


def _check_scalar(t: torch.Tensor, name: str) -> None:
    if not isinstance(t, torch.Tensor) or t.ndim != 0:
        shape = getattr(t, "shape", None)
        raise ValueError(
            f"{name} must be a 0-dimensional tensor, got shape "
            f"{None if shape is None else tuple(shape)}; reduce it to one number (e.g. .mean())"
        )


def gaussian_nll(x: torch.Tensor, mean: torch.Tensor, sigma2: float) -> torch.Tensor:
    r"""Per-sample negative log-likelihood of a Gaussian decoder :math:`N(G(z), \sigma^2 I)`.

    .. math::

        -\log p(x \mid z) = \frac{\lVert x - G(z) \rVert_2^2}{2 \sigma^2}
            + \frac{d}{2} \log(2 \pi \sigma^2),

    where :math:`d` is the number of coordinates (pixels) of one sample. The constant is
    included, so this is a true negative log-density: it is
    ``squared_cost(x, mean) / (2 * sigma2)`` plus :math:`\frac d2 \log(2\pi\sigma^2)`.

    Parameters
    ----------
    x : Tensor, shape (N, ...)
        Data.
    mean : Tensor, shape (N, ...)
        Decoder means :math:`G(z)`, same shape as ``x``.
    sigma2 : float
        The decoder's variance :math:`\sigma^2 > 0` (a fixed hyper-parameter).

    Returns
    -------
    Tensor, shape (N,)
        Summed over every non-batch axis; on ``x``'s device and dtype.

    Raises
    ------
    ValueError
        If the shapes differ, a tensor is 0-dimensional, the batch is empty, or
        ``sigma2`` is not positive.

    Examples
    --------
    For :math:`\sigma^2 = 1/(2\pi)` the constant vanishes and the NLL is
    :math:`\pi \lVert x - G(z) \rVert^2`:

    >>> x = torch.tensor([[1.0, 0.0], [0.0, 0.0]]); mean = torch.zeros(2, 2)
    >>> gaussian_nll(x, mean, sigma2=1 / (2 * math.pi))
    tensor([3.1416, 0.0000])
    """
    sigma2 = _check_sigma2(sigma2)
    if isinstance(x, torch.Tensor) and x.ndim > 0 and x.shape[0] == 0:
        raise ValueError("x is an empty batch; pass at least one sample")
    cost = squared_cost(x, mean)
    d = math.prod(x.shape[1:])  # coordinates per sample; 1 for a 1-D batch
    return cost / (2.0 * sigma2) + 0.5 * d * math.log(2.0 * math.pi * sigma2)


def aae_loss(
    nll: torch.Tensor, penalty: torch.Tensor, lam_aae: float
) -> dict[str, torch.Tensor]:
    r"""Adversarial auto-encoder objective on a batch, with its parts.

    .. math::

        \widehat{\mathcal{L}}_{\mathrm{AAE}} = \frac1N \sum_{i=1}^N -\log p\big(x_i \mid
            E(x_i)\big) + \lambda_{\mathrm{AAE}}\, \widehat{\mathcal{D}}_{\mathrm{GAN}}(Q_Z, P_Z).

    With the Gaussian decoder of :func:`gaussian_nll` this is the POT objective with the
    squared cost and :math:`\lambda = 2\sigma^2 \lambda_{\mathrm{AAE}}`
    (:func:`aae_to_pot_lambda`), divided by :math:`2\sigma^2`, plus
    :math:`\frac d2 \log(2\pi\sigma^2)`.

    Parameters
    ----------
    nll : Tensor, shape (N,)
        Per-sample negative log-likelihoods (e.g. from :func:`gaussian_nll`).
    penalty : Tensor, shape ()
        The batch estimate of :math:`\mathcal{D}_{\mathrm{GAN}}(Q_Z, P_Z)`.
    lam_aae : float
        :math:`\lambda_{\mathrm{AAE}} \ge 0`.

    Returns
    -------
    dict of str to Tensor, shape ()
        ``"loss"``, ``"nll"`` (the mean NLL) and ``"penalty"`` (not multiplied by
        :math:`\lambda_{\mathrm{AAE}}`).

    Raises
    ------
    ValueError
        If ``nll`` is not a non-empty 1-D tensor, ``penalty`` is not 0-dimensional, or
        ``lam_aae`` is negative or not finite.

    Examples
    --------
    >>> parts = aae_loss(torch.tensor([1.0, 3.0]), torch.tensor(0.5), lam_aae=2.0)
    >>> {k: round(v.item(), 2) for k, v in parts.items()}
    {'loss': 3.0, 'nll': 2.0, 'penalty': 0.5}
    """
    _check_per_sample(nll, "nll", "use gaussian_nll(x, x_hat, sigma2) rather than its mean")
    _check_scalar(penalty, "penalty")
    lam_aae = _check_lam(lam_aae)
    mean_nll = nll.mean()
    return {"loss": mean_nll + lam_aae * penalty, "nll": mean_nll, "penalty": penalty}


def aae_to_pot_lambda(sigma2: float, lam_aae: float) -> float:
    r"""The POT weight :math:`\lambda` of an AAE with Gaussian decoder variance :math:`\sigma^2`.

    .. math::

        \mathbb{E}\big[-\log p(X \mid Z)\big] + \lambda_{\mathrm{AAE}}\, \mathcal{D}
        = \frac{1}{2\sigma^2} \Big( \mathbb{E} \lVert X - G(Z) \rVert^2
            + \underbrace{2 \sigma^2 \lambda_{\mathrm{AAE}}}_{\lambda}\, \mathcal{D} \Big)
        + \frac d2 \log(2\pi\sigma^2),

    so the AAE minimises the POT objective with :math:`c = \lVert \cdot \rVert^2` and
    :math:`\lambda = 2 \sigma^2 \lambda_{\mathrm{AAE}}`: same minimisers, gradients
    divided by :math:`2\sigma^2` (VEGAN cookbook, Section 4.3).

    Parameters
    ----------
    sigma2 : float
        Decoder variance :math:`\sigma^2 > 0`.
    lam_aae : float
        :math:`\lambda_{\mathrm{AAE}} \ge 0`.

    Returns
    -------
    float
        :math:`\lambda = 2 \sigma^2 \lambda_{\mathrm{AAE}}`.

    Raises
    ------
    ValueError
        If ``sigma2 <= 0`` or ``lam_aae < 0`` (or either is not finite).

    Examples
    --------
    >>> aae_to_pot_lambda(sigma2=0.5, lam_aae=3.0)
    3.0
    """
    return 2.0 * _check_sigma2(sigma2) * _check_lam(lam_aae)


def pot_to_aae_lambda(sigma2: float, lam: float) -> float:
    r"""Inverse of :func:`aae_to_pot_lambda`: the AAE weight of a POT weight.

    .. math::

        \lambda_{\mathrm{AAE}} = \frac{\lambda}{2 \sigma^2}.

    Parameters
    ----------
    sigma2 : float
        Decoder variance :math:`\sigma^2 > 0`.
    lam : float
        POT weight :math:`\lambda \ge 0`.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``sigma2 <= 0`` or ``lam < 0`` (or either is not finite).

    Examples
    --------
    >>> pot_to_aae_lambda(sigma2=2.0, lam=10.0)
    2.5
    """
    return _check_lam(lam) / (2.0 * _check_sigma2(sigma2))


# =========================================================================== chapter 5: VAE
def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""Per-sample :math:`\mathrm{KL}\big(N(\mu, \operatorname{diag} e^{v}) \,\|\, N(0, I)\big)`.

    .. math::

        \mathrm{KL} = \frac12 \sum_{k=1}^{d_z} \big( \mu_k^2 + e^{v_k} - 1 - v_k \big),

    the closed form of the VAE's regulariser for a Gaussian encoder with mean
    :math:`\mu` and log-variances :math:`v`.

    Parameters
    ----------
    mean : Tensor, shape (N, z_dim)
    logvar : Tensor, shape (N, z_dim)

    Returns
    -------
    Tensor, shape (N,)

    Raises
    ------
    ValueError
        If the inputs are not 2-D floating-point tensors of the same shape.

    Examples
    --------
    The prior itself costs nothing, a unit shift costs :math:`1/2`:

    >>> gaussian_kl(torch.tensor([[0.0], [1.0]]), torch.zeros(2, 1))
    tensor([0.0000, 0.5000])
    """
    for name, t in (("mean", mean), ("logvar", logvar)):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.ndim != 2:
            shape = getattr(t, "shape", None)
            raise ValueError(
                f"{name} must be a 2-D floating-point tensor of shape (N, z_dim), got shape "
                f"{None if shape is None else tuple(shape)}; the encoder returns (mean, logvar)"
            )
    if mean.shape != logvar.shape:
        raise ValueError(
            f"mean and logvar must have the same shape, got {tuple(mean.shape)} and "
            f"{tuple(logvar.shape)}; the encoder must output one log-variance per code axis"
        )
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def vae_loss(
    x: torch.Tensor,
    x_mean: torch.Tensor,
    mean: torch.Tensor,
    logvar: torch.Tensor,
    sigma2: float,
) -> dict[str, torch.Tensor]:
    r"""Negative ELBO of a VAE with Gaussian encoder and Gaussian decoder, with its parts.

    .. math::

        -\mathrm{ELBO}(x) = \mathbb{E}_{q(z \mid x)}\big[-\log p(x \mid z)\big]
            + \mathrm{KL}\big(q(z \mid x) \,\|\, p(z)\big),

    with :math:`q(z \mid x) = N(\mu(x), \operatorname{diag} e^{v(x)})`,
    :math:`p(x \mid z) = N(G(z), \sigma^2 I)` (:func:`gaussian_nll`) and the prior
    :math:`p(z) = N(0, I)` (:func:`gaussian_kl`). The expectation is estimated by one
    reparameterised sample :math:`z = \mu + e^{v/2} \odot \varepsilon` per data point,
    whose decoding is ``x_mean``. Everything is averaged over the batch.

    Parameters
    ----------
    x : Tensor, shape (N, ...)
        Data.
    x_mean : Tensor, shape (N, ...)
        Decoder means :math:`G(z_i)` at the sampled codes.
    mean, logvar : Tensor, shape (N, z_dim)
        Encoder outputs :math:`\mu(x_i)` and :math:`v(x_i)`.
    sigma2 : float
        Decoder variance :math:`\sigma^2 > 0`.

    Returns
    -------
    dict of str to Tensor, shape ()
        ``"loss"`` (:math:`-\mathrm{ELBO}`, averaged), ``"nll"`` and ``"kl"``.

    Raises
    ------
    ValueError
        On shape mismatches (data vs decoder, batch sizes, mean vs logvar) or
        ``sigma2 <= 0``.

    Examples
    --------
    A perfect reconstruction with :math:`\sigma^2 = 1/(2\pi)` and a prior-matching
    encoder has :math:`-\mathrm{ELBO} = 0`:

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


# =========================================================================== chapter 5: AVB
def avb_encoder_decoder_loss(nll: torch.Tensor, t_q: torch.Tensor) -> dict[str, torch.Tensor]:
    r"""Adversarial variational Bayes objective of the encoder and the decoder.

    .. math::

        \widehat{\mathcal{L}} = \frac1N \sum_{i=1}^N \Big( -\log p(x_i \mid z_i)
            + T(x_i, z_i) \Big), \qquad z_i \sim q(z \mid x_i),

    the negative ELBO in which the KL term
    :math:`\mathbb{E}_{q}\big[\log q(z \mid x) - \log p(z)\big]` is replaced by
    :math:`\mathbb{E}_q T(x, z)`: at its optimum the discriminator of
    :func:`avb_discriminator_loss` is :math:`T^*(x, z) = \log q(z \mid x) - \log p(z)`.
    The codes :math:`z_i` are reparameterised through the noisy encoder, so the gradient
    reaches the encoder through :math:`T`'s input; :math:`T`'s own parameters are not
    trained on this loss (the training loop updates only the encoder and the decoder).

    Parameters
    ----------
    nll : Tensor, shape (N,)
        :math:`-\log p(x_i \mid z_i)` (e.g. from :func:`gaussian_nll`).
    t_q : Tensor, shape (N,)
        :math:`T(x_i, z_i)` at the same codes.

    Returns
    -------
    dict of str to Tensor, shape ()
        ``"loss"``, ``"nll"`` (mean NLL) and ``"kl"`` (:math:`\frac1N \sum_i T(x_i, z_i)`,
        the estimate of the mean KL), the same keys as :func:`vae_loss`.

    Raises
    ------
    ValueError
        If the inputs are not non-empty 1-D tensors of the same length.

    Examples
    --------
    >>> parts = avb_encoder_decoder_loss(torch.tensor([2.0, 4.0]), torch.tensor([0.5, 1.5]))
    >>> {k: round(v.item(), 2) for k, v in parts.items()}
    {'loss': 4.0, 'nll': 3.0, 'kl': 1.0}
    """
    _check_per_sample(nll, "nll", "use gaussian_nll(x, x_hat, sigma2) rather than its mean")
    _check_per_sample(t_q, "t_q", "squeeze the discriminator's trailing axis with .squeeze(-1)")
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

        \mathcal{L}_T = -\mathbb{E}_{P_X}\, \mathbb{E}_{q(z \mid x)} \log \sigma\big(T(x, z)\big)
            - \mathbb{E}_{P_X}\, \mathbb{E}_{p(z)} \log\big(1 - \sigma(T(x, z))\big).

    Its minimiser over all functions is
    :math:`T^*(x, z) = \log q(z \mid x) - \log p(z)` (pointwise, :math:`\sigma(T^*) =
    q / (q + p)`), whose mean under :math:`q` is
    :math:`\mathrm{KL}(q(z \mid x) \,\|\, p(z))` averaged over :math:`x`. Computed from
    logits with softplus, so it never overflows.

    Parameters
    ----------
    logits_q : Tensor, shape (n,)
        :math:`T(x_i, z_i)` with :math:`z_i \sim q(z \mid x_i)` (detached from the encoder).
    logits_p : Tensor, shape (m,)
        :math:`T(x_j, z_j)` with :math:`z_j \sim p(z)`.

    Returns
    -------
    Tensor, shape ()

    Raises
    ------
    ValueError
        If a logits tensor is not a non-empty 1-D floating-point tensor.

    Examples
    --------
    A discriminator that cannot tell (all logits 0) pays :math:`2 \log 2`:

    >>> round(avb_discriminator_loss(torch.zeros(4), torch.zeros(4)).item(), 4)
    1.3863
    """
    hint = "squeeze the discriminator's trailing axis with .squeeze(-1)"
    _check_per_sample(logits_q, "logits_q", hint)
    _check_per_sample(logits_p, "logits_p", hint)
    # -log sigma(t) = softplus(-t) and -log(1 - sigma(t)) = softplus(t).
    return torch.nn.functional.softplus(-logits_q).mean() + torch.nn.functional.softplus(
        logits_p
    ).mean()


# =========================================================================== chapter 6: WGAN
def _check_scores(t: torch.Tensor, name: str) -> None:
    _check_per_sample(t, name, "a critic returns one score per sample; squeeze a trailing axis")


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
    _check_scores(scores_real, "scores_real")
    _check_scores(scores_fake, "scores_fake")
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
    _check_scores(scores_fake, "scores_fake")
    return -scores_fake.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""The WGAN-GP gradient penalty (Gulrajani et al., 2017) on random interpolates.

    .. math::

        \mathrm{GP}(f) = \frac1N \sum_{i=1}^N \big( \lVert \nabla_x f(\hat x_i) \rVert_2
            - 1 \big)^2, \qquad \hat x_i = t_i\, x_i + (1 - t_i)\, \tilde x_i,
            \quad t_i \sim U[0, 1],

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
        If ``real`` and ``fake`` are not floating-point tensors of one shape with at least
        one sample, or the critic does not return one score per sample.

    Examples
    --------
    A linear critic :math:`f(x) = w^\top x` has :math:`\lVert\nabla f\rVert = \lVert w
    \rVert` everywhere; for :math:`w = (3, 4)` the penalty is :math:`(5 - 1)^2`:

    >>> w = torch.tensor([3.0, 4.0])
    >>> gradient_penalty(lambda x: x @ w, torch.zeros(6, 2), torch.ones(6, 2))
    tensor(16.)
    """
    _check_same_shape(real, fake)
    n = real.shape[0]
    if n == 0:
        raise ValueError("real and fake are empty batches; pass at least one sample")
    if not callable(critic):
        raise ValueError(f"critic must be callable (an nn.Module), got {type(critic).__name__}")
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
    (grad,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
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
    try:
        bound = float(c)
    except (TypeError, ValueError):
        raise ValueError(f"c must be a positive number, got {c!r}; e.g. c=0.01") from None
    if isinstance(c, bool) or not (math.isfinite(bound) and bound > 0):
        raise ValueError(f"c must be a positive finite number, got {c!r}; e.g. c=0.01")
    for p in module.parameters():
        p.clamp_(-bound, bound)
    return module
