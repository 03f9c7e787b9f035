"""The encoder reformulation of optimal transport, in its discrete form (chapter 2).

Theorem 1 of Bousquet et al. (2017) (Theorem 1 of Tolstikhin et al., 2018): for a
deterministic generator :math:`G: \\mathcal Z \\to \\mathcal X`, a latent prior
:math:`P_Z`, the model :math:`P_G = G_\\# P_Z` and any measurable cost :math:`c`,

.. math::

    W_c(P_X, P_G) \\;=\\; \\inf_{Q(Z|X):\\ Q_Z = P_Z}
    \\mathbb E_{P_X} \\mathbb E_{Q(Z|X)}\\, c\\big(X, G(Z)\\big),
    \\qquad Q_Z = \\mathbb E_{P_X} Q(Z|X).

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
* :func:`pot_relaxation` relaxes the constraint :math:`Q_Z = P_Z` into the penalty
  :math:`\\lambda\\, \\mathrm{TV}(Q_Z, P_Z)` (penalized optimal transport, chapter 3) and
  solves the resulting linear programme exactly with ``scipy.optimize.linprog``.

Costs are :math:`c(x, y) = \\|x - y\\|_2^p`; the transport problems are solved exactly by
:func:`vegan_lib.transport.exact_ot` (network simplex, float64), the relaxation by the
HiGHS simplex solver of SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import sparse
from scipy.optimize import linprog

from vegan_lib._checks import (
    as_tensor,
    check_finite,
    check_p,
    check_points,
    check_weights,
)
from vegan_lib.transport import cost_matrix, exact_ot

__all__ = [
    "EncoderFormResult",
    "POTRelaxationResult",
    "encoder_form",
    "pot_relaxation",
    "pushforward",
    "random_decoder_encoder_form",
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


def _float64_on(device: torch.device) -> torch.dtype:
    # Apple's MPS has no float64; CPU and CUDA do.
    return torch.float32 if device.type == "mps" else torch.float64


def _real(value: Any, name: str, example: str) -> float:
    """A finite real number (Python, NumPy or 0-dim tensor), else ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a finite real number, got {value!r}; e.g. {example}")
    try:
        v = float(value)
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(
            f"{name} must be a finite real number, got {value!r}; e.g. {example}"
        ) from err
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}; e.g. {example}")
    return v


def _decode(z: torch.Tensor, G: GeneratorMap) -> torch.Tensor:
    """Apply ``G`` to the (m, d_z) latent atoms and check it returns (m, d_x) points."""
    if not callable(G):
        raise ValueError(
            f"G must be a callable generator mapping a (m, d_z) tensor of codes to a "
            f"(m, d_x) tensor of points (e.g. an nn.Module or a lambda), got "
            f"{type(G).__name__}"
        )
    with torch.no_grad():  # only values are needed; no graph through G
        out = G(z)
    try:
        y = as_tensor(out, "G(z)")
    except ValueError as err:
        raise ValueError(
            f"G(z) must return a tensor of shape (m, d_x) = ({z.shape[0]}, d_x); {err}"
        ) from err
    if y.ndim != 2 or y.shape[0] != z.shape[0]:
        raise ValueError(
            f"G(z) must map the {z.shape[0]} latent atoms z of shape {tuple(z.shape)} to "
            f"{z.shape[0]} points of shape ({z.shape[0]}, d_x), got shape {tuple(y.shape)}; "
            "G must act row-wise on a batch of codes (reshape its output to (m, d_x))"
        )
    if y.shape[1] == 0:
        raise ValueError("G(z) returned points of dimension 0; G must map codes to R^d_x")
    check_finite(y, "G(z)")
    return y


def _check_data_and_decoded(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"G(z) has points of dimension {y.shape[1]} but the data x has dimension "
            f"{x.shape[1]} (x: {tuple(x.shape)}, G(z): {tuple(y.shape)}); G must map codes "
            "into the data space, so its output dimension must be x.shape[1]"
        )
    if x.device != y.device:
        raise ValueError(
            f"x lives on {x.device} but G(z) on {y.device}; move the data, the codes and "
            "the generator to one device, e.g. x = x.to(z.device)"
        )


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

        \\min_{Q:\\ Q_Z = P_Z} \\sum_{i} a_i \\sum_j Q(z_j|x_i)\\, \\|x_i - G(z_j)\\|_2^p
        \\;=\\; \\min_{\\pi \\in \\Pi(a, b)} \\sum_{ij} \\pi_{ij} \\|x_i - G(z_j)\\|_2^p,

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
    y = _decode(z, G)
    _check_data_and_decoded(x, y)
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
    tol = _real(tol, "tol", "tol=1e-12")
    if tol < 0:
        raise ValueError(f"tol must be >= 0, got {tol}; use tol=0 to merge only equal images")
    z = check_points(z, "z")
    y = _decode(z, G)
    b_t = check_weights(b, z.shape[0], "b", _float64_on(y.device), y.device)
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
    gamma = _real(gamma, "gamma", "gamma=0.1")
    if gamma < 0:
        raise ValueError(
            f"gamma must be a finite number >= 0 (the noise standard deviation), got "
            f"{gamma}; pass e.g. gamma=0.1, or gamma=0 for a deterministic decoder"
        )
    result = encoder_form(x, z, G, a, b, p=2)
    d = result.decoded.shape[1]
    return result.cost + d * gamma**2


# ----------------------------------------------------------------------------- relaxation
@dataclass(frozen=True)
class POTRelaxationResult:
    """The solution of the discrete penalized relaxation (see :func:`pot_relaxation`).

    Attributes
    ----------
    value : Tensor, shape ()
        :math:`D_{\\mathrm{POT}}(\\lambda) = \\sum_{ij} \\pi_{ij} C_{ij}
        + \\lambda\\, \\mathrm{TV}(q, b)` at the optimal plan; equals
        ``reconstruction + lam * penalty``.
    reconstruction : Tensor, shape ()
        The transport term :math:`\\sum_{ij} \\pi_{ij} \\|x_i - G(z_j)\\|^p`.
    penalty : Tensor, shape ()
        :math:`\\mathrm{TV}(q, b) = \\tfrac12 \\sum_j |q_j - b_j|`, without the factor
        :math:`\\lambda`.
    plan : Tensor, shape (n, m)
        An optimal joint :math:`\\pi_{ij} = a_i Q(z_j|x_i)`; its rows sum to ``a``.
    encoder : Tensor, shape (n, m)
        The encoder :math:`Q(z_j|x_i) = \\pi_{ij} / a_i` (the prior ``b`` for a row
        with :math:`a_i = 0`).
    aggregated_posterior : Tensor, shape (m,)
        :math:`q = Q_Z`, the column sums of ``plan``; free, no longer equal to ``b``.
    decoded : Tensor, shape (m, d_x)
        The decoded latent atoms :math:`G(z_j)`.
    lam : float
        The penalty weight :math:`\\lambda` the problem was solved for.
    """

    value: torch.Tensor
    reconstruction: torch.Tensor
    penalty: torch.Tensor
    plan: torch.Tensor
    encoder: torch.Tensor
    aggregated_posterior: torch.Tensor
    decoded: torch.Tensor
    lam: float


def _solve_relaxation_lp(C: np.ndarray, a: np.ndarray, b: np.ndarray, lam: float) -> np.ndarray:
    """Optimal plan (n, m) of min <pi, C> + lam/2 sum_j t_j, t_j >= |q_j - b_j|."""
    n, m = C.shape
    # Variables: pi (row-major, n*m entries) then t (m entries), all >= 0.
    rows = sparse.kron(sparse.eye(n), np.ones((1, m)))  # (n, n*m): sum_j pi_ij
    cols = sparse.kron(np.ones((1, n)), sparse.eye(m))  # (m, n*m): sum_i pi_ij = q_j
    no_t = sparse.csr_matrix((n, m))
    A_eq = sparse.hstack([rows, no_t])
    minus_t = -sparse.eye(m)
    A_ub = sparse.vstack([sparse.hstack([cols, minus_t]), sparse.hstack([-cols, minus_t])])
    b_ub = np.concatenate([b, -b])  # q - t <= b and -q - t <= -b
    objective = np.concatenate([C.ravel(), np.full(m, lam / 2.0)])
    result = linprog(
        objective,
        A_ub=A_ub.tocsr(),
        b_ub=b_ub,
        A_eq=A_eq.tocsr(),
        b_eq=a,
        bounds=(0, None),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if result.status != 0:
        raise RuntimeError(
            f"the relaxation LP was not solved to optimality (HiGHS status {result.status}: "
            f"{result.message}); rescale the costs (e.g. divide x by its spread) or use "
            "fewer points"
        )
    return np.clip(result.x[: n * m].reshape(n, m), 0.0, None)


def pot_relaxation(
    x: Any,
    z: Any,
    G: GeneratorMap,
    lam: float,
    a: Any = None,
    b: Any = None,
    p: float = 2,
) -> POTRelaxationResult:
    """Penalized optimal transport with the total variation penalty, solved exactly.

    The constraint :math:`Q_Z = P_Z` of :func:`encoder_form` is replaced by a penalty
    (Bousquet et al., 2017, Sec. 4; Tolstikhin et al., 2018, eq. (4)). With
    :math:`P_X = \\sum_i a_i \\delta_{x_i}`, :math:`P_Z = \\sum_j b_j \\delta_{z_j}`,
    :math:`C_{ij} = \\|x_i - G(z_j)\\|_2^p` and :math:`\\mathcal D = \\mathrm{TV}`,

    .. math::

        D_{\\mathrm{POT}}(\\lambda) = \\min_{\\pi \\ge 0,\\ \\pi \\mathbf 1 = a}\\;
        \\sum_{ij} \\pi_{ij} C_{ij} + \\lambda\\, \\mathrm{TV}(q, b),
        \\qquad q = \\pi^\\top \\mathbf 1 = Q_Z,\\quad
        \\mathrm{TV}(q, b) = \\tfrac12 \\sum_j |q_j - b_j| :

    the encoder :math:`Q(z_j|x_i) = \\pi_{ij}/a_i` is free and its aggregated
    posterior :math:`q` pays :math:`\\lambda` per unit of mass it misplaces. It is solved
    as a linear programme (HiGHS) with auxiliary variables
    :math:`t_j \\ge |q_j - b_j|` and objective
    :math:`\\langle \\pi, C\\rangle + \\tfrac{\\lambda}{2} \\sum_j t_j`.

    For fixed :math:`G`, with :math:`W = W_c(P_X, P_G)` (= :func:`encoder_form`):

    * :math:`D_{\\mathrm{POT}}(0) = \\sum_i a_i \\min_j C_{ij}` (nearest code);
    * :math:`D_{\\mathrm{POT}}(\\lambda) \\le W`: the optimal constrained encoder is
      feasible and pays no penalty;
    * :math:`\\lambda \\mapsto D_{\\mathrm{POT}}(\\lambda)` is non-decreasing and concave
      (a minimum of non-decreasing affine functions of :math:`\\lambda`);
    * TV is an **exact penalty**: :math:`D_{\\mathrm{POT}}(\\lambda) = W` as soon as

      .. math::

          \\lambda \\ge \\Delta = \\max_i \\big(\\max_j C_{ij} - \\min_j C_{ij}\\big)
          \\;(\\le \\max_{ij} C_{ij}).

      Proof: from any :math:`\\pi` with column sums :math:`q`, remove the excess
      :math:`(q_j - b_j)_+` from over-full columns (total mass
      :math:`\\mathrm{TV}(q, b)`) and give it, within the same rows, to the deficient
      columns. This yields a coupling of :math:`(a, b)`, and each moved unit costs at
      most :math:`\\Delta` more, so :math:`W \\le \\langle \\pi, C\\rangle + \\Delta\\,
      \\mathrm{TV}(q, b)`. The constant is sharp: one point, two codes with costs
      :math:`0, c` and :math:`b = (\\tfrac12, \\tfrac12)` give
      :math:`D_{\\mathrm{POT}}(\\lambda) = \\tfrac12 \\min(\\lambda, c)`, which reaches
      :math:`W = c/2` at :math:`\\lambda = c = \\Delta` and not before. (So
      :math:`\\lambda \\ge 2 \\max C` suffices too, with room to spare.)

      On a given instance the threshold is often much lower: :math:`D_{\\mathrm{POT}}
      (\\lambda) = W` for :math:`\\lambda \\ge \\max_j g_j - \\min_j g_j`, where :math:`g` is
      any optimal dual potential of the codes (e.g. ``exact_ot(x, G(z)).g``), because the
      dual of the relaxation is the transport semi-dual with this oscillation bounded by
      :math:`\\lambda`.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d_x)
        Data points :math:`x_i`.
    z : Tensor or array-like, shape (m, d_z)
        Latent atoms :math:`z_j`.
    G : callable
        Deterministic generator mapping a (m, d_z) tensor to a (m, d_x) tensor
        (called once, without gradient).
    lam : float
        Penalty weight :math:`\\lambda \\ge 0`.
    a : Tensor or array-like, shape (n,), optional
        Data weights (non-negative, summing to 1); uniform by default.
    b : Tensor or array-like, shape (m,), optional
        Prior weights; uniform by default.
    p : float, default 2
        Exponent of the cost, :math:`p \\ge 1`.

    Returns
    -------
    POTRelaxationResult
        ``value``, ``reconstruction``, ``penalty`` (shape ()), ``plan``, ``encoder``
        (n, m) and ``aggregated_posterior`` (m,) in float64 on the inputs' device
        (float32 on Apple MPS), ``decoded`` = G(z) and ``lam``.

    Raises
    ------
    ValueError
        If ``lam`` is negative or not a finite real number, and as :func:`encoder_form`
        for the points, the generator, the weights and ``p``.
    RuntimeError
        If HiGHS does not reach optimality.

    References
    ----------
    Bousquet et al. (2017), Section 4; Tolstikhin et al. (2018), eq. (4).

    Examples
    --------
    One point at 0 and two codes decoded to 0 and 2 (costs 0 and 4, :math:`W = 2`):
    the penalty is cheaper than moving half the mass until :math:`\\lambda = 4`.

    >>> x = torch.tensor([[0.0]], dtype=torch.float64)
    >>> z = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    >>> [round(float(pot_relaxation(x, z, lambda c: c, lam).value), 6) for lam in (0, 2, 4, 8)]
    [0.0, 1.0, 2.0, 2.0]
    >>> res = pot_relaxation(x, z, lambda c: c, lam=1.0)
    >>> res.aggregated_posterior.tolist(), round(float(res.penalty), 6)
    ([1.0, 0.0], 0.5)
    """
    lam = _real(lam, "lam", "lam=10.0")
    if lam < 0:
        raise ValueError(
            f"lam must be >= 0 (the weight of the penalty), got {lam}; pass e.g. lam=10.0, "
            "or lam=0 for no penalty"
        )
    p = check_p(p)
    x = check_points(x, "x")
    z = check_points(z, "z")
    y = _decode(z, G)
    _check_data_and_decoded(x, y)
    a64 = check_weights(a, x.shape[0], "a", torch.float64, torch.device("cpu"))
    b64 = check_weights(b, z.shape[0], "b", torch.float64, torch.device("cpu"))
    C = cost_matrix(x.detach().to("cpu", torch.float64), y.detach().to("cpu", torch.float64), p)
    plan_np = _solve_relaxation_lp(C.numpy(), a64.numpy(), b64.numpy(), lam)

    plan = torch.from_numpy(plan_np)
    q = plan.sum(0)
    reconstruction = (plan * C).sum()
    penalty = 0.5 * (q - b64).abs().sum()
    has_mass = a64 > 0
    safe_a = torch.where(has_mass, a64, torch.ones_like(a64))
    encoder = torch.where(has_mass[:, None], plan / safe_a[:, None], b64[None, :])

    dtype, device = _float64_on(x.device), x.device

    def out(t: torch.Tensor) -> torch.Tensor:
        return t.to(device=device, dtype=dtype)

    return POTRelaxationResult(
        value=out(reconstruction + lam * penalty),
        reconstruction=out(reconstruction),
        penalty=out(penalty),
        plan=out(plan),
        encoder=out(encoder),
        aggregated_posterior=out(q),
        decoded=y,
        lam=lam,
    )
