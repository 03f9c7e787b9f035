"""The encoder reformulation of optimal transport, in its discrete form (chapter 2).

Theorem 1 of Bousquet et al. (2017) (Theorem 1 of Tolstikhin et al., 2018): for a
deterministic generator :math:`G: \\mathcal Z \\to \\mathcal X`, a latent prior
:math:`P_Z`, the model :math:`P_G = G_\\# P_Z` and any measurable cost :math:`c`,

.. math::

    \\begin{aligned}
    W_c(P_X, P_G) &= \\inf_{Q(Z|X):\\ Q_Z = P_Z}
    \\mathbb E_{P_X} \\mathbb E_{Q(Z|X)}\\, c\\big(X, G(Z)\\big), \\\\
    Q_Z &= \\mathbb E_{P_X} Q(Z|X).
    \\end{aligned}

The left side couples data with *model samples*; the right side couples data with
*latent codes* through an encoder :math:`Q(Z|X)` whose aggregated posterior
:math:`Q_Z` must equal the prior. For discrete measures
:math:`P_X = \\sum_i a_i \\delta_{x_i}` and :math:`P_Z = \\sum_j b_j \\delta_{z_j}` the
right side is a linear programme over couplings :math:`\\pi_{ij} = a_i Q(z_j|x_i)` of
:math:`(a, b)` with cost :math:`c(x_i, G(z_j))`, and this module solves it:

* :func:`encoder_form` returns the optimal value, the optimal encoder table and its
  aggregated posterior;
* :func:`pushforward` returns :math:`P_G` itself (latent atoms with the same image
  merged), so that the left side can be computed with
  :func:`vegan_lib.transport.wasserstein`;
* :func:`random_decoder_encoder_form` is the value for a noisy decoder
  :math:`Y = G(Z) + \\gamma \\varepsilon`, which only bounds :math:`W_2^2` from above;
* :func:`fold_generator` is the two-to-one generator of chapters 2 and 3, on which
  the theorem's non-injective case can be seen.
* :func:`random_encoder_problem` draws small random instances of the discrete problem,
  with injective and non-injective generators (the consistency check of chapter 2, and
  the tests).

The relaxation of the constraint :math:`Q_Z = P_Z` into a penalty (penalized optimal
transport, chapter 3) is solved in :mod:`vegan_lib.exact_pot`.

Costs are :math:`c(x, y) = \\|x - y\\|_2^p`; the transport problems are solved exactly by
:func:`vegan_lib.transport.exact_ot` (network simplex, float64).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from vegan_lib._checks import (
    check_choice,
    check_decoded,
    check_decoded_fits_data,
    check_non_negative,
    check_p,
    check_points,
    check_seed,
    check_weights,
    float64_on,
)
from vegan_lib.transport import exact_ot

__all__ = [
    "EncoderFormResult",
    "encoder_form",
    "fold_generator",
    "pushforward",
    "random_decoder_encoder_form",
    "random_encoder_problem",
]

GeneratorMap = Callable[[torch.Tensor], Any]


@dataclass(frozen=True)
class EncoderFormResult:
    """The solution of the discrete encoder form (see :func:`encoder_form`).

    Attributes
    ----------
    cost : Tensor, shape ()
        :math:`\\min_{\\pi \\in \\Pi(a, b)} \\sum_{ij} \\pi_{ij} \\|x_i - G(z_j)\\|^p`,
        which equals :math:`W_p^p(P_X, P_G)` by the theorem.
    encoder : Tensor, shape (n, m)
        An optimal encoder :math:`Q(z_j | x_i) = \\pi_{ij} / a_i`; every row is a
        probability vector (a row with :math:`a_i = 0` is set to the prior ``b``).
    plan : Tensor, shape (n, m)
        The optimal joint coupling :math:`\\pi_{ij} = a_i Q(z_j|x_i)` of data and codes.
    aggregated_posterior : Tensor, shape (m,)
        :math:`Q_Z(z_j) = \\sum_i a_i Q(z_j|x_i)`; it equals the prior weights ``b``.
    decoded : Tensor, shape (m, d_x)
        The decoded latent atoms :math:`G(z_j)`, as ``G`` returned them.
    """

    cost: torch.Tensor
    encoder: torch.Tensor
    plan: torch.Tensor
    aggregated_posterior: torch.Tensor
    decoded: torch.Tensor


def encoder_form(
    x: Any, z: Any, G: GeneratorMap, a: Any = None, b: Any = None, p: float = 2
) -> EncoderFormResult:
    """Minimise the expected cost over encoders whose aggregated posterior is the prior.

    With :math:`P_X = \\sum_{i=1}^n a_i \\delta_{x_i}` and
    :math:`P_Z = \\sum_{j=1}^m b_j \\delta_{z_j}`, an encoder is a row-stochastic table
    :math:`Q(z_j|x_i)`, its aggregated posterior is
    :math:`Q_Z(z_j) = \\sum_i a_i Q(z_j|x_i)`, and :math:`\\pi_{ij} = a_i Q(z_j|x_i)` is
    a coupling of :math:`(a, b)` exactly when :math:`Q_Z = P_Z`. So

    .. math::

        \\begin{aligned}
        &\\min_{Q:\\ Q_Z = P_Z} \\sum_{i} a_i \\sum_j Q(z_j|x_i)\\, \\|x_i - G(z_j)\\|_2^p \\\\
        &\\quad= \\min_{\\pi \\in \\Pi(a, b)} \\sum_{ij} \\pi_{ij} \\|x_i - G(z_j)\\|_2^p,
        \\end{aligned}

    a Kantorovich problem between data and *codes* whose cost passes through
    :math:`G`. By the theorem it equals :math:`W_p^p(P_X, P_G)`, also when :math:`G`
    maps several codes to one point. Solved exactly by
    :func:`vegan_lib.transport.exact_ot` on :math:`(x, G(z))`.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d_x)
        Data points :math:`x_i`.
    z : Tensor or array-like, shape (m, d_z)
        Latent atoms :math:`z_j` of the prior.
    G : callable
        Deterministic generator mapping a (m, d_z) tensor to a (m, d_x) tensor, e.g.
        an ``nn.Module`` or a lambda (called once, without gradient).
    a : Tensor or array-like, shape (n,), optional
        Data weights (non-negative, summing to 1); uniform by default.
    b : Tensor or array-like, shape (m,), optional
        Prior weights; uniform by default.
    p : float, default 2
        Exponent of the cost :math:`c(x, y) = \\|x - y\\|_2^p`, :math:`p \\ge 1`.

    Returns
    -------
    EncoderFormResult
        ``cost`` (shape ()), ``encoder`` (n, m), ``plan`` (n, m),
        ``aggregated_posterior`` (m,) in float64 on the inputs' device (float32 on
        Apple MPS), and ``decoded`` = G(z), shape (m, d_x).

    Raises
    ------
    ValueError
        If ``G`` is not callable or ``G(z)`` is not a finite (m, d_x) tensor with the
        dimension of ``x`` on its device, or for invalid points, weights or ``p``.
    RuntimeError
        If the network simplex stops before optimality.

    References
    ----------
    Bousquet et al. (2017), Theorem 1; Tolstikhin et al. (2018), Theorem 1.

    Examples
    --------
    Two codes decode onto the two data points, so nothing needs to move and the
    encoder sends each point to its own code:

    >>> x = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    >>> z = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    >>> res = encoder_form(x, z, lambda z: 2 * z)
    >>> round(float(res.cost), 6)
    0.0
    >>> res.encoder
    tensor([[1., 0.],
            [0., 1.]], dtype=torch.float64)

    A non-injective G: both codes decode to 0, and one data point must be encoded
    half to each code so that :math:`Q_Z` stays uniform:

    >>> res = encoder_form([[1.0]], [[-1.0], [1.0]], lambda z: 0 * z)
    >>> round(float(res.cost), 6), res.encoder.tolist()
    (1.0, [[0.5, 0.5]])
    """
    p = check_p(p)
    x = check_points(x, "x")
    z = check_points(z, "z")
    y = check_decoded(z, G)
    check_decoded_fits_data(x, y)
    result = exact_ot(x, y, a, b, p)

    plan = result.plan
    a_t = check_weights(a, x.shape[0], "a", plan.dtype, plan.device)
    b_t = check_weights(b, z.shape[0], "b", plan.dtype, plan.device)
    # Q(.|x_i) = pi_i. / a_i; a point of zero weight carries no mass, so any
    # probability vector is optimal for it: we use the prior.
    has_mass = a_t > 0
    safe_a = torch.where(has_mass, a_t, torch.ones_like(a_t))
    encoder = torch.where(has_mass[:, None], plan / safe_a[:, None], b_t[None, :])
    return EncoderFormResult(
        cost=result.cost,
        encoder=encoder,
        plan=plan,
        aggregated_posterior=a_t @ encoder,
        decoded=y,
    )


def _merge_labels(y: torch.Tensor, tol: float) -> torch.Tensor:
    """Label each row of ``y`` (m, d) with the index of its cluster representative.

    Greedy in order of appearance: the first unlabelled point opens a cluster holding
    every unlabelled point within Euclidean distance ``tol`` of it.
    """
    m = y.shape[0]
    labels = torch.full((m,), -1, dtype=torch.long, device=y.device)
    next_label = 0
    for i in range(m):
        if labels[i] >= 0:
            continue
        close = (y - y[i]).norm(dim=1) <= tol
        labels[close & (labels < 0)] = next_label
        next_label += 1
    return labels


def pushforward(
    z: Any, G: GeneratorMap, b: Any = None, tol: float = 1e-12
) -> tuple[torch.Tensor, torch.Tensor]:
    """The push-forward measure :math:`P_G = G_\\# P_Z` of a discrete prior, atoms merged.

    .. math::

        P_G = \\sum_{j=1}^m b_j \\delta_{G(z_j)} = \\sum_{k=1}^K w_k \\delta_{y_k},
        \\qquad w_k = \\sum_{j:\\ G(z_j) = y_k} b_j .

    A non-injective :math:`G` sends several codes to one point; their weights are
    added, so that :math:`W_c(P_X, P_G)` is computed on the measure itself. Images
    within Euclidean distance ``tol`` of a cluster's first image count as equal
    (greedy, in the order of the codes).

    Parameters
    ----------
    z : Tensor or array-like, shape (m, d_z)
        Latent atoms.
    G : callable
        Generator mapping a (m, d_z) tensor to a (m, d_x) tensor.
    b : Tensor or array-like, shape (m,), optional
        Prior weights (non-negative, summing to 1); uniform by default.
    tol : float, default 1e-12
        Merging distance, :math:`\\ge 0`.

    Returns
    -------
    support : Tensor, shape (K, d_x)
        The distinct images :math:`y_k`, in order of first appearance, as ``G``
        returned them (device and dtype of ``G(z)``).
    weights : Tensor, shape (K,)
        Their masses :math:`w_k`, float64 on the same device (float32 on MPS).

    Raises
    ------
    ValueError
        If ``G`` is not callable, ``G(z)`` is not a finite (m, d_x) tensor, or for
        invalid points, weights or ``tol``.

    Examples
    --------
    Rounding sends the codes 0.1 and -0.2 to 0, and 0.9 to 1:

    >>> support, weights = pushforward([[0.1], [0.9], [-0.2]], torch.round)
    >>> support.tolist(), [round(w, 4) for w in weights.tolist()]
    ([[0.0], [1.0]], [0.6667, 0.3333])
    """
    tol = check_non_negative(tol, "tol", "tol=1e-12, or tol=0 to merge only equal images")
    z = check_points(z, "z")
    y = check_decoded(z, G)
    b_t = check_weights(b, z.shape[0], "b", float64_on(y.device), y.device)
    labels = _merge_labels(y, float(tol))
    k = int(labels.max()) + 1
    first = torch.full((k,), z.shape[0], dtype=torch.long, device=y.device)
    first = first.scatter_reduce(0, labels, torch.arange(z.shape[0], device=y.device), "amin")
    weights = torch.zeros(k, dtype=b_t.dtype, device=y.device).index_add(0, labels, b_t)
    return y[first], weights


def random_decoder_encoder_form(
    x: Any, z: Any, G: GeneratorMap, gamma: float, a: Any = None, b: Any = None
) -> torch.Tensor:
    """Encoder form of the squared cost for a random decoder :math:`G(Z) + \\gamma\\varepsilon`.

    With :math:`\\varepsilon \\sim \\mathcal N(0, I_d)` independent of :math:`(X, Z)`,
    :math:`\\mathbb E \\varepsilon = 0` and :math:`\\mathbb E\\|\\varepsilon\\|^2 = d`, so for
    every encoder

    .. math::

        \\mathbb E \\|X - G(Z) - \\gamma\\varepsilon\\|^2
        = \\mathbb E \\|X - G(Z)\\|^2 + d \\gamma^2,

    and the minimum over encoders with :math:`Q_Z = P_Z` is the deterministic
    encoder form (:func:`encoder_form` with ``p=2``) plus :math:`d\\gamma^2`. Each such
    encoder yields a coupling of :math:`P_X` and :math:`P_Y`, so this value is only an
    **upper bound** of :math:`W_2^2(P_X, P_Y)`, where
    :math:`P_Y = P_G * \\mathcal N(0, \\gamma^2 I)` is the Gaussian-smoothed
    push-forward; the bound is strict in general (e.g. it is at least
    :math:`d\\gamma^2` even when :math:`P_X = P_Y`). Only the mean and the second moment
    of :math:`\\varepsilon` enter, so the value holds for any such noise.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        Data points.
    z : Tensor or array-like, shape (m, d_z)
        Latent atoms.
    G : callable
        Generator mapping a (m, d_z) tensor to a (m, d) tensor.
    gamma : float
        Noise scale :math:`\\gamma \\ge 0` (0 gives the deterministic encoder form).
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Data and prior weights; uniform by default.

    Returns
    -------
    Tensor, shape ()
        :math:`\\min_{Q:\\ Q_Z = P_Z} \\mathbb E\\|X - Y\\|^2`, float64 on the inputs'
        device (float32 on MPS).

    Raises
    ------
    ValueError
        If ``gamma`` is negative or not finite, and as :func:`encoder_form`.

    Examples
    --------
    Data and decoded codes coincide; the noise alone costs :math:`d\\gamma^2 = 2 \\cdot 0.5^2`:

    >>> x = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    >>> round(float(random_decoder_encoder_form(x, x, lambda z: z, gamma=0.5)), 6)
    0.5
    """
    gamma = check_non_negative(
        gamma, "gamma", "gamma=0.1 (the noise standard deviation), or gamma=0 for a "
        "deterministic decoder", maximum=1e150, why="d * gamma**2 must stay finite"
    )
    result = encoder_form(x, z, G, a, b, p=2)
    d = result.decoded.shape[1]
    return result.cost + d * gamma**2


def fold_generator(z: torch.Tensor) -> torch.Tensor:
    """A two-to-one generator of the plane: the fold of chapters 2 and 3.

    .. math::

        G(z_1, z_2) = \\big(1.2\\, |z_1| - 1,\\; z_2 + 0.3\\, z_1^2\\big),

    so :math:`(z_1, z_2)` and :math:`(-z_1, z_2)` decode to the same point: :math:`G` is
    two-to-one off the fold line :math:`z_1 = 0` (and one-to-one on each half-plane,
    since the first coordinate gives :math:`|z_1|` and then the second gives
    :math:`z_2`). It is the non-injective generator on which the encoder form must split
    a data point's mass between the two codes of one image. Differentiable in ``z``
    (except on the fold); computed in ``z``'s dtype on its device.

    Parameters
    ----------
    z : Tensor, shape (m, 2)
        Latent codes.

    Returns
    -------
    Tensor, shape (m, 2)
        The decoded points :math:`G(z)`.

    Raises
    ------
    ValueError
        If ``z`` is not a finite (m, 2) point cloud.

    Examples
    --------
    The codes (2, 1) and (-2, 1) decode to one point, (1.2 * 2 - 1, 1 + 0.3 * 4):

    >>> fold_generator(torch.tensor([[2.0, 1.0], [-2.0, 1.0]], dtype=torch.float64))
    tensor([[1.4000, 2.2000],
            [1.4000, 2.2000]], dtype=torch.float64)
    """
    z = check_points(z, "z")
    if z.shape[1] != 2:
        raise ValueError(
            f"z must hold codes of the plane, shape (m, 2), got {tuple(z.shape)}; "
            "fold_generator maps R^2 to R^2"
        )
    return torch.stack([1.2 * z[:, 0].abs() - 1.0, z[:, 1] + 0.3 * z[:, 0] ** 2], dim=1)


_KINDS = ("round", "lookup", "fold", "linear")


def random_encoder_problem(
    seed: int, kind: str | None = None
) -> tuple[torch.Tensor, torch.Tensor, GeneratorMap, torch.Tensor, torch.Tensor, str]:
    """A small random instance of the discrete encoder form: data, codes, generator, weights.

    .. math::

        P_X = \\sum_{i=1}^n a_i \\delta_{x_i}, \\qquad P_Z = \\sum_{j=1}^m b_j \\delta_{z_j},
        \\qquad G: \\mathcal Z \\to \\mathbb R^2,

    with :math:`n, m` uniform in :math:`\\{3, \\dots, 8\\}`, weights
    :math:`a \\sim \\mathrm{Dirichlet}(1_n)`, :math:`b \\sim \\mathrm{Dirichlet}(1_m)`,
    data :math:`x_i \\sim \\mathcal N(0, I_2)` and one of four generators:

    * ``"round"``: codes uniform in :math:`[-1.4, 1.4]^2`, :math:`G` rounds them to the nine
      points of :math:`\\{-1, 0, 1\\}^2` (non-injective once two codes share a point);
    * ``"lookup"``: codes :math:`z_j = j`, :math:`G(z_j)` a row of a table of
      :math:`\\lfloor m/2 \\rfloor` Gaussian rows drawn with repetition (non-injective);
    * ``"fold"``: Gaussian codes in mirror pairs :math:`(z_1, z_2), (-z_1, z_2)`, :math:`G` the
      two-to-one :func:`fold_generator` (non-injective);
    * ``"linear"``: Gaussian codes of :math:`\\mathbb R^3`, :math:`G(z) = z A + c` with Gaussian
      :math:`A` (3, 2) and :math:`c` (injective on the codes, with probability 1).

    Everything is drawn from ``numpy.random.default_rng(seed)``, in this order: ``n, m =
    rng.integers(3, 9, size=2)``, ``a``, ``b``, the generator's draws (``round``: the codes;
    ``lookup``: the table, then its row indices; ``fold``: the first code of each pair;
    ``linear``: ``A``, ``c``, then the codes), then ``x``; so a seed and a kind give the same
    instance on every machine. The tensors are float64 on the CPU; the generators work on any
    device and dtype of the codes.

    Parameters
    ----------
    seed : int
        Seed of the NumPy generator, in :math:`[0, 2^{32})`.
    kind : {"round", "lookup", "fold", "linear"}, optional
        The generator; by default the four in turn,
        ``("round", "lookup", "fold", "linear")[seed % 4]``.

    Returns
    -------
    x : Tensor, shape (n, 2)
    z : Tensor, shape (m, d_z)
        :math:`d_z = 3` for ``"linear"``, 1 for ``"lookup"``, 2 otherwise.
    G : callable
        Maps (m, d_z) codes to (m, 2) points.
    a, b : Tensor, shapes (n,) and (m,)
        Positive weights summing to 1.
    kind : str
        The generator's name.

    Raises
    ------
    ValueError
        A seed that is not an integer in :math:`[0, 2^{32})`, or an unknown kind.

    Examples
    --------
    >>> x, z, G, a, b, kind = random_encoder_problem(2)
    >>> kind, tuple(x.shape) == (len(a), 2), tuple(G(z).shape) == (len(b), 2)
    ('fold', True, True)
    >>> support, weights = pushforward(z, G, b)  # mirror codes share their image
    >>> len(support) < len(z)
    True
    """
    seed = check_seed(seed)
    kind = _KINDS[seed % len(_KINDS)] if kind is None else check_choice(kind, "kind", _KINDS)
    rng = np.random.default_rng(seed)
    n, m = rng.integers(3, 9, size=2)
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    G: GeneratorMap
    if kind == "round":
        z, G = torch.from_numpy(rng.uniform(-1.4, 1.4, size=(m, 2))), torch.round
    elif kind == "lookup":
        rows = torch.from_numpy(rng.normal(size=(max(1, m // 2), 2)))
        table = rows[rng.integers(0, len(rows), size=m)]  # repeated rows
        z = torch.arange(m, dtype=torch.float64)[:, None]

        def G(codes: torch.Tensor) -> torch.Tensor:
            return table.to(codes.device)[codes[:, 0].long()]

    elif kind == "fold":
        half = rng.normal(size=((m + 1) // 2, 2))
        z, G = torch.from_numpy(np.concatenate([half, half * [-1.0, 1.0]])[:m]), fold_generator
    else:
        A, c = torch.from_numpy(rng.normal(size=(3, 2))), torch.from_numpy(rng.normal(size=2))
        z = torch.from_numpy(rng.normal(size=(m, 3)))

        def G(codes: torch.Tensor) -> torch.Tensor:
            return codes @ A.to(codes) + c.to(codes)

    x = torch.from_numpy(rng.normal(size=(n, 2)))
    return x, z, G, torch.from_numpy(a), torch.from_numpy(b), kind
