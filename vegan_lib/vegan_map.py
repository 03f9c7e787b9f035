r"""The VEGAN map (chapter 7): where each recipe sits, and the two exact checks behind it.

The name of the paper is a map: VAE-like models work in the **primal** (an encoder, a cost,
a latent penalty), GAN-like models in the **dual** (a critic maximising a variational
bound), on one of two families of distances, f-divergences or optimal transport.
:data:`VEGAN_MAP` places every recipe of the book on it. Two exact models anchor the two
halves:

* the **primal, likelihood side**: probabilistic PCA (Tipping & Bishop, 1999), a linear
  Gaussian decoder whose log-likelihood and posterior are closed form
  (:func:`ppca_log_likelihood`, :func:`ppca_posterior`, :func:`ppca_mle`), and a VAE on it
  (:class:`LinearVAE`) whose ELBO gap is the exact posterior KL;
* the **dual, transport side**: Kantorovich duality for :math:`c = \lVert x - y \rVert^2`
  with c-concave potentials (:func:`c_transform`), and between Gaussians the Brenier map
  and its potentials in closed form (:func:`gaussian_brenier`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from vegan_lib import recipes
from vegan_lib._checks import (
    as_tensor,
    check_cloud,
    check_finite,
    check_gaussian_pair,
    check_positive,
    check_positive_int,
    psd_sqrt,
)

__all__ = [
    "MapEntry",
    "VEGAN_MAP",
    "ppca_log_likelihood",
    "ppca_posterior",
    "ppca_mle",
    "LinearVAE",
    "c_transform",
    "GaussianBrenier",
    "gaussian_brenier",
]


@dataclass(frozen=True)
class MapEntry:
    """One recipe on the VEGAN map, read from the recipe and its model's facts.

    Attributes
    ----------
    recipe : str
        The name of a recipe of :data:`vegan_lib.recipes.RECIPES`.
    distance : {"f-divergence", "OT"}
        The family of the distance between the data and the model that it minimises.
    formulation : {"primal", "dual"}
        Primal with an encoder, or dual with a critic or discriminator.
    latent : {"f-divergence", "MMD", "OT", "none"}
        The family of its latent penalty, if any.
    chapter : int
        The chapter that introduces it.
    what : str
        One line: the objective (the recipe's summary).
    """

    recipe: str
    distance: str
    formulation: str
    latent: str
    chapter: int
    what: str


def _vegan_map() -> tuple[MapEntry, ...]:
    # one entry per kind of model (family and latent penalty), its first recipe on the digits
    entries, seen = [], set()
    for r in recipes.RECIPES.values():
        facts = r.facts
        if r.data != "mnist" or (facts.family, facts.latent_penalty) in seen:
            continue
        seen.add((facts.family, facts.latent_penalty))
        entries.append(MapEntry(r.name, facts.distance, facts.formulation,
                                facts.latent_distance, r.chapter, r.summary))
    return tuple(entries)


VEGAN_MAP: tuple[MapEntry, ...] = _vegan_map()
"""Every kind of model of the book on the map, that is, for each model family and latent
penalty, its first recipe on the digits (so the variants of chapter 5's sweep and the weak WAE-MMD
stand behind their family's entry). Generated from :data:`~vegan_lib.recipes.RECIPES` and
each model's :class:`~vegan_lib.protocol.ModelFacts`, so it cannot disagree with them."""


# --------------------------------------------------------------------------- PPCA
def _ppca_params(x, W, b, sigma2):
    x = check_cloud(as_tensor(x, "x"), "x")
    W, b = as_tensor(W, "W").to(x.dtype), as_tensor(b, "b").to(x.dtype)
    d = x.shape[1]
    if W.ndim != 2 or W.shape[0] != d or b.shape != (d,):
        raise ValueError(
            f"W must be (d, k) and b (d,) for points x of shape (n, {d}); got W "
            f"{tuple(W.shape)} and b {tuple(b.shape)}"
        )
    check_finite(W, "W")
    check_finite(b, "b")
    return x, W, b, check_positive(float(sigma2), "sigma2", "sigma2=0.1")


def ppca_log_likelihood(x, W, b, sigma2: float) -> torch.Tensor:
    r"""Exact log-likelihood of probabilistic PCA, one value per point.

    .. math::

        \begin{aligned}
        &z \sim N(0, I_k),\quad x \mid z \sim N(W z + b, \sigma^2 I_d) \\
        &\quad\Longrightarrow\; \log p(x) = \log N\big(x;\ b,\ W W^\top + \sigma^2 I_d\big).
        \end{aligned}

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
    W : Tensor or array-like, shape (d, k)
    b : Tensor or array-like, shape (d,)
    sigma2 : float
        Noise variance :math:`\sigma^2 > 0`.

    Returns
    -------
    Tensor, shape (n,)
        In nats, differentiable in ``x``, ``W`` and ``b``.

    Raises
    ------
    ValueError
        Mismatched shapes, non-finite entries, ``sigma2 <= 0``.

    Examples
    --------
    With :math:`W = 0` it is the log-density of :math:`N(b, \sigma^2 I)`:

    >>> round(ppca_log_likelihood([[0.0]], [[0.0]], [0.0], 1.0).item(), 4)  # -log(2 pi)/2
    -0.9189
    """
    x, W, b, sigma2 = _ppca_params(x, W, b, sigma2)
    C = W @ W.T + sigma2 * torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    L = torch.linalg.cholesky(C)
    r = torch.linalg.solve_triangular(L, (x - b).T, upper=False)
    return -0.5 * (r.pow(2).sum(0) + 2 * torch.log(L.diagonal()).sum()
                   + x.shape[1] * math.log(2 * math.pi))


def ppca_posterior(x, W, b, sigma2: float) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Exact posterior :math:`p(z \mid x) = N(\mu(x), \Sigma)` of probabilistic PCA.

    .. math::

        M = W^\top W + \sigma^2 I_k, \qquad \mu(x) = M^{-1} W^\top (x - b), \qquad
        \Sigma = \sigma^2 M^{-1}.

    Parameters
    ----------
    x, W, b, sigma2 :
        As for :func:`ppca_log_likelihood`.

    Returns
    -------
    (Tensor, Tensor)
        Means, shape (n, k), and the covariance shared by all points, shape (k, k).

    Examples
    --------
    One latent, :math:`W = 1`, :math:`\sigma^2 = 1`: :math:`\mu = x/2`, variance 1/2.

    >>> mu, S = ppca_posterior([[2.0]], [[1.0]], [0.0], 1.0)
    >>> mu.item(), S.item()
    (1.0, 0.5)
    """
    x, W, b, sigma2 = _ppca_params(x, W, b, sigma2)
    M = W.T @ W + sigma2 * torch.eye(W.shape[1], dtype=x.dtype, device=x.device)
    return torch.linalg.solve(M, W.T @ (x - b).T).T, sigma2 * torch.linalg.inv(M)


def ppca_mle(x, k: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    r"""Maximum-likelihood probabilistic PCA in closed form (Tipping & Bishop, 1999).

    With :math:`S = \frac1n \sum_i (x_i - \bar x)(x_i - \bar x)^\top = U \Lambda U^\top`
    (eigenvalues in decreasing order),

    .. math::

        b = \bar x, \qquad \sigma^2 = \frac{1}{d - k} \sum_{j > k} \lambda_j, \qquad
        W = U_k (\Lambda_k - \sigma^2 I_k)^{1/2},

    unique up to a rotation :math:`W R` of the latent space.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
    k : int
        Latent dimension, :math:`1 \le k < d`.

    Returns
    -------
    (Tensor, Tensor, float)
        ``W`` (d, k), ``b`` (d,), ``sigma2``.

    Raises
    ------
    ValueError
        ``k`` not in :math:`[1, d)`, fewer than two points, non-finite points.

    Examples
    --------
    >>> x = torch.tensor([[-1.0, 0.1], [1.0, -0.1]], dtype=torch.float64)
    >>> W, b, s2 = ppca_mle(x, 1)
    >>> round(s2, 6), round(abs(W[0, 0].item()), 4)
    (0.0, 1.0)
    """
    x = check_cloud(as_tensor(x, "x"), "x", min_points=2)
    k = check_positive_int(k, "k", "k=2")
    d = x.shape[1]
    if k >= d:
        raise ValueError(f"k must be smaller than the dimension d = {d}, got k={k}; e.g. k={d - 1}")
    b = x.mean(0)
    S = (x - b).T @ (x - b) / x.shape[0]
    lam, U = torch.linalg.eigh(S)
    lam, U = lam.flip(0), U.flip(1)
    sigma2 = float(lam[k:].mean().clamp(min=0))
    W = U[:, :k] * (lam[:k] - sigma2).clamp(min=0).sqrt()
    return W, b, sigma2


class LinearVAE(nn.Module):
    r"""A VAE on probabilistic PCA: linear Gaussian decoder, linear Gaussian encoder.

    Decoder :math:`p(x \mid z) = N(W z + b, \sigma^2 I_d)`, prior :math:`N(0, I_k)`, encoder
    :math:`q(z \mid x) = N(V x + c, \operatorname{diag}(s))` (the exact posterior's
    covariance does not depend on :math:`x`, so neither does :math:`s`). The ELBO is exact
    in closed form (no sampling):

    .. math::

        \begin{aligned}
        \mathrm{ELBO}(x) &= -\frac d2 \log(2\pi\sigma^2) - \frac{\lVert x - W\mu - b\rVert^2
            + \sum_j s_j \lVert W_{:j} \rVert^2}{2\sigma^2} \\
            &\quad - \tfrac12 \sum_j \big(s_j + \mu_j^2 - 1 - \log s_j\big) \\
        &= \log p(x) - \mathrm{KL}\big(q(z\mid x) \,\|\, p(z \mid x)\big).
        \end{aligned}

    It follows the protocol of :func:`vegan_lib.train.fit`: ``losses(x)`` returns
    ``{"loss": -mean ELBO, "reconstruction", "kl"}``.

    Parameters
    ----------
    x_dim, z_dim : int
        :math:`d` and :math:`k`.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> vae = LinearVAE(3, 1).double()
    >>> x = torch.randn(4, 3, dtype=torch.float64)
    >>> gap = vae.log_likelihood(x) - vae.elbo(x)
    >>> torch.allclose(gap, vae.posterior_gap(x))
    True
    """

    def __init__(self, x_dim: int, z_dim: int) -> None:
        super().__init__()
        self.x_dim = check_positive_int(x_dim, "x_dim", "x_dim=5")
        self.z_dim = check_positive_int(z_dim, "z_dim", "z_dim=2")
        self.W = nn.Parameter(0.1 * torch.randn(self.x_dim, self.z_dim))
        self.b = nn.Parameter(torch.zeros(self.x_dim))
        self.log_sigma2 = nn.Parameter(torch.zeros(()))
        self.encoder = nn.Linear(self.x_dim, self.z_dim)
        self.log_s = nn.Parameter(torch.zeros(self.z_dim))

    @property
    def sigma2(self) -> torch.Tensor:
        """The decoder's noise variance :math:`\\sigma^2`, shape ()."""
        return self.log_sigma2.exp()

    def _terms(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != self.x_dim:
            raise ValueError(f"x must be a tensor of shape (n, {self.x_dim}), got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        mu, s, W = self.encoder(x), self.log_s.exp(), self.W
        sq = (x - mu @ W.T - self.b).pow(2).sum(1) + (s * W.pow(2).sum(0)).sum()
        nll = 0.5 * (self.x_dim * torch.log(2 * math.pi * self.sigma2) + sq / self.sigma2)
        kl = 0.5 * (s + mu.pow(2) - 1 - self.log_s).sum(1)
        return nll, kl

    def elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Exact ELBO of each point, shape (n,), for ``x`` of shape (n, x_dim)."""
        nll, kl = self._terms(x)
        return -nll - kl

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``fit``'s protocol: minus the mean ELBO, with its two terms."""
        nll, kl = self._terms(x)
        return {"loss": (nll + kl).mean(), "reconstruction": nll.mean(), "kl": kl.mean()}

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\log p(x)` of the decoder, shape (n,) (:func:`ppca_log_likelihood`)."""
        return ppca_log_likelihood(x, self.W, self.b, self.sigma2.item())

    def posterior_gap(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`\mathrm{KL}(q(z \mid x) \,\|\, p(z \mid x))` in closed form, shape (n,)."""
        m_post, S_post = ppca_posterior(x, self.W, self.b, self.sigma2.item())
        mu, s = self.encoder(x), self.log_s.exp()
        P = torch.linalg.inv(S_post)
        diff = m_post - mu
        return 0.5 * ((P.diagonal() * s).sum() + ((diff @ P) * diff).sum(1) - self.z_dim
                      + torch.linalg.slogdet(S_post)[1] - self.log_s.sum())


# --------------------------------------------------------------------------- W2 duality
def c_transform(g, C) -> torch.Tensor:
    r"""The c-transform :math:`g^c(x_i) = \min_j\, C_{ij} - g_j` of a potential on the targets.

    A pair :math:`(f, g)` with :math:`f = g^c` is *c-concave*: :math:`f_i + g_j \le C_{ij}`
    for all :math:`i, j`, with equality for at least one :math:`j` per :math:`i`.
    Optimal Kantorovich potentials can always be taken c-concave.

    Parameters
    ----------
    g : Tensor or array-like, shape (m,)
    C : Tensor or array-like, shape (n, m)
        Cost matrix :math:`C_{ij} = c(x_i, y_j)`.

    Returns
    -------
    Tensor, shape (n,)

    Raises
    ------
    ValueError
        Shapes that do not match, or non-finite entries.

    Examples
    --------
    >>> c_transform([0.0, 1.0], [[0.0, 4.0], [4.0, 0.0]])
    tensor([ 0., -1.], dtype=torch.float64)
    """
    g, C = as_tensor(g, "g"), as_tensor(C, "C")
    if C.ndim != 2 or g.shape != (C.shape[1],):
        raise ValueError(f"C must be (n, m) and g (m,), got C {tuple(C.shape)} and g "
                         f"{tuple(g.shape)}; pass g = the potential of the columns of C")
    check_finite(g, "g")
    check_finite(C, "C")
    return (C - g.to(C.dtype)).min(1).values


@dataclass(frozen=True)
class GaussianBrenier:
    r"""Optimal transport from :math:`N(m_1, S_1)` to :math:`N(m_2, S_2)` for the squared cost.

    The Brenier map is :math:`T(x) = m_2 + A (x - m_1)`, the gradient of the convex
    :math:`\varphi(x) = \tfrac12 (x - m_1)^\top A (x - m_1) + m_2^\top x`, with

    .. math::

        A = S_1^{-1/2} \big(S_1^{1/2} S_2 S_1^{1/2}\big)^{1/2} S_1^{-1/2}.

    The Kantorovich potentials for :math:`c(x, y) = \lVert x - y \rVert^2` are
    :math:`f(x) = \lVert x\rVert^2 - 2\varphi(x)` and
    :math:`g(y) = \lVert y\rVert^2 - 2\varphi^*(y)`, with
    :math:`\varphi^*(y) = \tfrac12 (y - m_2)^\top A^{-1} (y - m_2) + m_1^\top (y - m_2)`:
    :math:`f(x) + g(y) \le \lVert x - y\rVert^2` (Fenchel–Young), with equality iff
    :math:`y = T(x)`, and :math:`\mathbb{E} f(X) + \mathbb{E} g(Y) = W_2^2`.

    Attributes
    ----------
    A : Tensor, shape (d, d)
    m1, m2 : Tensor, shape (d,)
    """

    A: torch.Tensor
    m1: torch.Tensor
    m2: torch.Tensor

    def map(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`T(x)` for points of shape (n, d)."""
        return self.m2 + (x - self.m1) @ self.A.T

    def f(self, x: torch.Tensor) -> torch.Tensor:
        """The source potential :math:`f(x) = \\lVert x\\rVert^2 - 2\\varphi(x)`, shape (n,)."""
        u = x - self.m1
        phi = 0.5 * ((u @ self.A) * u).sum(1) + x @ self.m2
        return x.pow(2).sum(1) - 2 * phi

    def g(self, y: torch.Tensor) -> torch.Tensor:
        """The target potential :math:`g(y) = \\lVert y\\rVert^2 - 2\\varphi^*(y)`, shape (m,)."""
        v = y - self.m2
        phi_star = 0.5 * (v * torch.linalg.solve(self.A, v.T).T).sum(1) + v @ self.m1
        return y.pow(2).sum(1) - 2 * phi_star


def gaussian_brenier(m1, S1, m2, S2) -> GaussianBrenier:
    r"""The Brenier map and Kantorovich potentials between two Gaussians (see
    :class:`GaussianBrenier`).

    Parameters
    ----------
    m1, m2 : Tensor or array-like, shape (d,)
    S1, S2 : Tensor or array-like, shape (d, d)
        Covariances; :math:`S_1` positive definite, :math:`S_2` positive definite for
        :math:`g` (it inverts :math:`A`).

    Returns
    -------
    GaussianBrenier

    Raises
    ------
    ValueError
        Shapes that do not match, non-finite entries, a covariance that is not symmetric
        PSD, or a singular :math:`S_1`.

    Examples
    --------
    Variances 1 and 4 in 1-D: the map doubles.

    >>> gaussian_brenier([0.0], [[1.0]], [0.0], [[4.0]]).A.item()
    2.0
    """
    m1, S1, m2, S2 = check_gaussian_pair(m1, S1, m2, S2)
    if torch.linalg.eigvalsh(S1).min() <= 0:
        raise ValueError("S1 must be positive definite for a Brenier map; add a small "
                         "multiple of the identity, e.g. S1 + 1e-6 * I")
    r1 = psd_sqrt(S1)
    r1_inv = torch.linalg.inv(r1)
    A = r1_inv @ psd_sqrt(r1 @ S2 @ r1) @ r1_inv
    return GaussianBrenier(0.5 * (A + A.T), m1, m2)
