r"""Penalized optimal transport solved exactly as linear programmes (chapters 3 and 6).

Penalized optimal transport (Bousquet et al., 2017) relaxes the constraint
:math:`Q_Z = P_Z` of the encoder form (:func:`vegan_lib.theory.encoder_form`) into a
penalty on the aggregated posterior:

.. math::

    \begin{aligned}
    D_{\mathrm{POT}}(\lambda) &= \inf_{Q(Z \mid X)}\
        \mathbb{E}_{P_X} \mathbb{E}_{Q(Z \mid X)}\, c\big(X, G(Z)\big)
        + \lambda\, \mathcal{D}_Z(Q_Z, P_Z), \\
    Q_Z &= \mathbb{E}_{P_X} Q(Z \mid X).
    \end{aligned}

For discrete measures :math:`P_X = \sum_i a_i \delta_{x_i}` and
:math:`P_Z = \sum_j b_j \delta_{z_j}` the encoder is a joint :math:`\pi_{ij} = a_i
Q(z_j \mid x_i)` with rows summing to :math:`a` and free column sums :math:`q = Q_Z`,
and for two divergences the whole problem is one linear programme, solved here with
SciPy's HiGHS simplex:

* :func:`pot_relaxation`: :math:`\mathcal{D}_Z = \mathrm{TV}` and
  :math:`c = \lVert x - y \rVert^p` (chapter 3): TV is an *exact* penalty, the relaxation
  reaches :math:`W_c(P_X, P_G)` at a finite :math:`\lambda`;
* :func:`pot_wgan_dual_lp`: :math:`\mathcal{D}_Z = W_{c_G}` with
  :math:`c_G(z, z') = \lVert G(z) - G(z') \rVert` and :math:`c = \lVert x - y \rVert`
  (chapter 6): its dual is a WGAN critic, and the value is :math:`W_1(P_X, P_G)` for
  :math:`\lambda \ge 1`.

Both return a :class:`PenalizedOTResult`: the value and its two terms, the optimal
encoder and its aggregated posterior, float64 on the inputs' device (float32 on Apple
MPS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import sparse
from scipy.optimize import linprog

from vegan_lib._checks import (
    check_decoded,
    check_decoded_fits_data,
    check_non_negative,
    check_p,
    check_points,
    check_weights,
    float64_on,
)
from vegan_lib.transport import cost_matrix, exact_ot

__all__ = ["PenalizedOTResult", "pot_relaxation", "pot_wgan_dual_lp"]

GeneratorMap = Callable[[torch.Tensor], Any]

_HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


@dataclass(frozen=True)
class PenalizedOTResult:
    r"""The solution of a discrete penalized OT problem (:func:`pot_relaxation`,
    :func:`pot_wgan_dual_lp`).

    Attributes
    ----------
    value : Tensor, shape ()
        :math:`D_{\mathrm{POT}}(\lambda)` = ``reconstruction + lam * penalty``.
    reconstruction : Tensor, shape ()
        The transport term :math:`\sum_{ij} \pi_{ij}\, c(x_i, G(z_j))`.
    penalty : Tensor, shape ()
        :math:`\mathcal{D}_Z(q, b)` of the optimal :math:`q`, without the factor
        :math:`\lambda`: :math:`\mathrm{TV}(q, b) = \tfrac12 \sum_j |q_j - b_j|` or
        :math:`W_{c_G}(q, b)`.
    lam : float
        The penalty weight :math:`\lambda` the problem was solved for.
    divergence : str
        ``"tv"`` (:func:`pot_relaxation`) or ``"w_cG"`` (:func:`pot_wgan_dual_lp`).
    plan : Tensor, shape (n, m)
        An optimal joint :math:`\pi_{ij} = a_i Q(z_j \mid x_i)`; its rows sum to ``a``.
    encoder : Tensor, shape (n, m)
        :math:`Q(z_j \mid x_i) = \pi_{ij} / a_i` (the prior ``b`` for a row with
        :math:`a_i = 0`).
    aggregated_posterior : Tensor, shape (m,)
        :math:`q = Q_Z`, the column sums of ``plan``; free, no longer equal to ``b``.
    decoded : Tensor, shape (m, d_x)
        The decoded latent atoms :math:`G(z_j)`, as ``G`` returned them.
    latent_plan : Tensor, shape (m, m), or None
        ``"w_cG"`` only: the coupling :math:`\rho` of :math:`(q, b)` of the programme.
    critic_data : Tensor, shape (n,), or None
        ``"w_cG"`` only: the dual critic on the data,
        :math:`u_i = \min_j (\lVert x_i - G(z_j) \rVert + h_j)`.
    critic_model : Tensor, shape (m,), or None
        ``"w_cG"`` only: the dual critic :math:`h` on the generated points,
        :math:`\lambda`-Lipschitz for :math:`c_G`.
    dual_value : Tensor, shape (), or None
        ``"w_cG"`` only: :math:`\sum_i a_i u_i - \sum_j b_j h_j`; equals ``value``.
    """

    value: torch.Tensor
    reconstruction: torch.Tensor
    penalty: torch.Tensor
    lam: float
    divergence: str
    plan: torch.Tensor
    encoder: torch.Tensor
    aggregated_posterior: torch.Tensor
    decoded: torch.Tensor
    latent_plan: torch.Tensor | None = None
    critic_data: torch.Tensor | None = None
    critic_model: torch.Tensor | None = None
    dual_value: torch.Tensor | None = None


@dataclass(frozen=True)
class _Problem:
    """A validated discrete problem: the data's device, G(z), weights and costs (CPU float64)."""

    device: torch.device
    decoded: torch.Tensor
    a: torch.Tensor
    b: torch.Tensor
    C: torch.Tensor
    decoded64: torch.Tensor


def _problem(x: Any, z: Any, G: GeneratorMap, a: Any, b: Any, p: float) -> _Problem:
    x_t = check_points(x, "x")
    z_t = check_points(z, "z")
    y = check_decoded(z_t, G)
    check_decoded_fits_data(x_t, y)
    a64 = check_weights(a, x_t.shape[0], "a", torch.float64, torch.device("cpu"))
    b64 = check_weights(b, z_t.shape[0], "b", torch.float64, torch.device("cpu"))
    x64 = x_t.detach().to("cpu", torch.float64)
    y64 = y.detach().to("cpu", torch.float64)
    return _Problem(x_t.device, y, a64, b64, cost_matrix(x64, y64, p), y64)


def _result(
    problem: _Problem,
    plan: torch.Tensor,
    penalty: torch.Tensor,
    lam: float,
    divergence: str,
    **dual: torch.Tensor,
) -> PenalizedOTResult:
    """Assemble the result from the optimal plan (CPU float64), on the data's device."""
    a = problem.a
    q = plan.sum(0)
    reconstruction = (plan * problem.C).sum()
    has_mass = a > 0
    safe_a = torch.where(has_mass, a, torch.ones_like(a))
    encoder = torch.where(has_mass[:, None], plan / safe_a[:, None], problem.b[None, :])
    device = problem.device
    dtype = float64_on(device)

    def out(t: torch.Tensor) -> torch.Tensor:
        return t.to(device=device, dtype=dtype)

    return PenalizedOTResult(
        value=out(reconstruction + lam * penalty),
        reconstruction=out(reconstruction),
        penalty=out(penalty),
        lam=lam,
        divergence=divergence,
        plan=out(plan),
        encoder=out(encoder),
        aggregated_posterior=out(q),
        decoded=problem.decoded,
        **{name: out(t) for name, t in dual.items()},
    )


def _linprog_or_raise(objective: np.ndarray, what: str, **constraints: Any) -> Any:
    result = linprog(
        objective, bounds=(0, None), method="highs", options=_HIGHS_OPTIONS, **constraints
    )
    if result.status != 0:
        raise RuntimeError(
            f"the {what} was not solved to optimality (HiGHS status {result.status}: "
            f"{result.message}); rescale the costs (e.g. divide x by its spread) or use "
            "fewer points"
        )
    return result


# ----------------------------------------------------------------------------- TV (chapter 3)
def _solve_relaxation_lp(C: np.ndarray, a: np.ndarray, b: np.ndarray, lam: float) -> np.ndarray:
    """Optimal plan (n, m) of min <pi, C> + lam/2 sum_j t_j, t_j >= |q_j - b_j|."""
    n, m = C.shape
    # Variables: pi (row-major, n*m entries) then t (m entries), all >= 0.
    rows = sparse.kron(sparse.eye(n), np.ones((1, m)))  # (n, n*m): sum_j pi_ij
    cols = sparse.kron(np.ones((1, n)), sparse.eye(m))  # (m, n*m): sum_i pi_ij = q_j
    A_eq = sparse.hstack([rows, sparse.csr_matrix((n, m))])
    minus_t = -sparse.eye(m)
    A_ub = sparse.vstack([sparse.hstack([cols, minus_t]), sparse.hstack([-cols, minus_t])])
    b_ub = np.concatenate([b, -b])  # q - t <= b and -q - t <= -b
    objective = np.concatenate([C.ravel(), np.full(m, lam / 2.0)])
    result = _linprog_or_raise(
        objective, "relaxation LP", A_ub=A_ub.tocsr(), b_ub=b_ub, A_eq=A_eq.tocsr(), b_eq=a
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
) -> PenalizedOTResult:
    r"""Penalized optimal transport with the total variation penalty, solved exactly.

    The constraint :math:`Q_Z = P_Z` of :func:`~vegan_lib.theory.encoder_form` is replaced
    by a penalty (Bousquet et al., 2017, Sec. 4; Tolstikhin et al., 2018, eq. (4)). With
    :math:`C_{ij} = \lVert x_i - G(z_j) \rVert_2^p` and :math:`\mathcal D = \mathrm{TV}`,

    .. math::

        \begin{aligned}
        D_{\mathrm{POT}}(\lambda) &= \min_{\pi \ge 0,\ \pi \mathbf 1 = a}\;
        \sum_{ij} \pi_{ij} C_{ij} + \lambda\, \mathrm{TV}(q, b), \\
        q &= \pi^\top \mathbf 1 = Q_Z,\quad
        \mathrm{TV}(q, b) = \tfrac12 \sum_j |q_j - b_j| :
        \end{aligned}

    the encoder :math:`Q(z_j|x_i) = \pi_{ij}/a_i` is free and its aggregated
    posterior :math:`q` pays :math:`\lambda` per unit of mass it misplaces. It is solved
    as a linear programme (HiGHS) with auxiliary variables
    :math:`t_j \ge |q_j - b_j|` and objective
    :math:`\langle \pi, C\rangle + \tfrac{\lambda}{2} \sum_j t_j`.

    For fixed :math:`G`, with :math:`W = W_c(P_X, P_G)` (= ``encoder_form``):

    * :math:`D_{\mathrm{POT}}(0) = \sum_i a_i \min_j C_{ij}` (nearest code);
    * :math:`D_{\mathrm{POT}}(\lambda) \le W`: the optimal constrained encoder is
      feasible and pays no penalty;
    * :math:`\lambda \mapsto D_{\mathrm{POT}}(\lambda)` is non-decreasing and concave
      (a minimum of non-decreasing affine functions of :math:`\lambda`);
    * TV is an **exact penalty**: :math:`D_{\mathrm{POT}}(\lambda) = W` as soon as

      .. math::

          \lambda \ge \Delta = \max_i \big(\max_j C_{ij} - \min_j C_{ij}\big)
          \;(\le \max_{ij} C_{ij}).

      Proof: from any :math:`\pi` with column sums :math:`q`, remove the excess
      :math:`(q_j - b_j)_+` from over-full columns (total mass
      :math:`\mathrm{TV}(q, b)`) and give it, within the same rows, to the deficient
      columns. This yields a coupling of :math:`(a, b)`, and each moved unit costs at
      most :math:`\Delta` more, so :math:`W \le \langle \pi, C\rangle + \Delta\,
      \mathrm{TV}(q, b)`. The constant is sharp: one point, two codes with costs
      :math:`0, c` and :math:`b = (\tfrac12, \tfrac12)` give
      :math:`D_{\mathrm{POT}}(\lambda) = \tfrac12 \min(\lambda, c)`, which reaches
      :math:`W = c/2` at :math:`\lambda = c = \Delta` and not before. (So
      :math:`\lambda \ge 2 \max C` suffices too, with room to spare.)

      On a given instance the threshold is often much lower: :math:`D_{\mathrm{POT}}
      (\lambda) = W` for :math:`\lambda \ge \max_j g_j - \min_j g_j`, where :math:`g` is
      any optimal dual potential of the codes (e.g. ``exact_ot(x, G(z)).g``), because the
      dual of the relaxation is the transport semi-dual with this oscillation bounded by
      :math:`\lambda`.

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
        Penalty weight :math:`\lambda \ge 0`.
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Data and prior weights (non-negative, summing to 1); uniform by default.
    p : float, default 2
        Exponent of the cost, :math:`p \ge 1`.

    Returns
    -------
    PenalizedOTResult
        ``value``, ``reconstruction``, ``penalty`` (= TV, shape ()), ``plan``,
        ``encoder`` (n, m) and ``aggregated_posterior`` (m,) in float64 on the inputs'
        device (float32 on Apple MPS), ``decoded`` = G(z), ``lam`` and
        ``divergence="tv"``.

    Raises
    ------
    ValueError
        If ``lam`` is negative or not a finite number, and as ``encoder_form`` for the
        points, the generator, the weights and ``p``.
    RuntimeError
        If HiGHS does not reach optimality.

    References
    ----------
    Bousquet et al. (2017), Section 4; Tolstikhin et al. (2018), eq. (4).

    Examples
    --------
    One point at 0 and two codes decoded to 0 and 2 (costs 0 and 4, :math:`W = 2`):
    the penalty is cheaper than moving half the mass until :math:`\lambda = 4`.

    >>> x = torch.tensor([[0.0]], dtype=torch.float64)
    >>> z = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    >>> [round(float(pot_relaxation(x, z, lambda c: c, lam).value), 6) for lam in (0, 2, 4, 8)]
    [0.0, 1.0, 2.0, 2.0]
    >>> res = pot_relaxation(x, z, lambda c: c, lam=1.0)
    >>> res.aggregated_posterior.tolist(), round(float(res.penalty), 6)
    ([1.0, 0.0], 0.5)
    """
    lam = check_non_negative(lam, "lam", "lam=10.0, or lam=0 for no penalty")
    p = check_p(p)
    problem = _problem(x, z, G, a, b, p)
    plan = torch.from_numpy(
        _solve_relaxation_lp(problem.C.numpy(), problem.a.numpy(), problem.b.numpy(), lam)
    )
    penalty = 0.5 * (plan.sum(0) - problem.b).abs().sum()
    return _result(problem, plan, penalty, lam, "tv")


# ----------------------------------------------------------------------------- W_cG (chapter 6)
def _solve_pot_w1_lp(
    C: np.ndarray, D: np.ndarray, a: np.ndarray, b: np.ndarray, lam: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Solve the joint LP; return (pi, rho, u, w) with u, w the first two dual blocks."""
    n, m = C.shape
    ones_m = np.ones((1, m))
    # Variables: pi (n*m, row-major) then rho (m*m, row-major), all >= 0.
    rows_pi = sparse.kron(sparse.eye(n), ones_m)  # sum_j pi_ij = a_i
    cols_pi = sparse.kron(np.ones((1, n)), sparse.eye(m))  # sum_i pi_ij = q_j
    rows_rho = sparse.kron(sparse.eye(m), ones_m)  # sum_k rho_jk = q_j
    cols_rho = sparse.kron(ones_m, sparse.eye(m))  # sum_j rho_jk = b_k
    A_eq = sparse.vstack(
        [
            sparse.hstack([rows_pi, sparse.csr_matrix((n, m * m))]),
            sparse.hstack([cols_pi, -rows_rho]),
            sparse.hstack([sparse.csr_matrix((m, n * m)), cols_rho]),
        ]
    ).tocsr()
    b_eq = np.concatenate([a, np.zeros(m), b])
    objective = np.concatenate([C.ravel(), lam * D.ravel()])
    result = _linprog_or_raise(objective, "POT linear programme", A_eq=A_eq, b_eq=b_eq)
    pi = np.clip(result.x[: n * m].reshape(n, m), 0.0, None)
    rho = np.clip(result.x[n * m :].reshape(m, m), 0.0, None)
    duals = result.eqlin.marginals
    return pi, rho, duals[:n], duals[n : n + m]


def pot_wgan_dual_lp(
    x: Any,
    z: Any,
    G: GeneratorMap,
    lam: float,
    a: Any = None,
    b: Any = None,
) -> PenalizedOTResult:
    r"""Penalized OT for :math:`c = \lVert x - y \rVert` with a Wasserstein latent penalty, exactly.

    Bousquet et al. (2017, Section 5) take the latent divergence
    :math:`\mathcal{D}_Z = W_{c_G}` with :math:`c_G(z, z') = \lVert G(z) - G(z') \rVert`:

    .. math::

        D_{\mathrm{POT}}(\lambda) = \inf_{Q(Z \mid X)}\
            \mathbb{E}_{P_X} \mathbb{E}_{Q(Z \mid X)} \lVert X - G(Z) \rVert
            + \lambda\, W_{c_G}(Q_Z, P_Z).

    For discrete measures this is one linear programme over a joint :math:`\pi` (rows
    summing to :math:`a`, free column sums :math:`q = Q_Z`) and a coupling :math:`\rho`
    of :math:`(q, b)`:

    .. math::

        \begin{aligned}
        \min_{\pi, \rho \ge 0}\quad &\sum_{ij} \pi_{ij} \lVert x_i - G(z_j) \rVert
            + \lambda \sum_{jk} \rho_{jk} \lVert G(z_j) - G(z_k) \rVert \\
        \text{s.t.}\quad &\pi \mathbf{1} = a,\ \pi^\top \mathbf{1} = \rho \mathbf{1},
            \ \rho^\top \mathbf{1} = b,
        \end{aligned}

    solved with HiGHS. Its dual is a WGAN: a critic :math:`h` on the generated points
    that is :math:`\lambda`-Lipschitz for :math:`c_G`, and its c-transform
    :math:`u_i = \min_j (\lVert x_i - G(z_j) \rVert + h_j)` on the data,

    .. math::

        D_{\mathrm{POT}}(\lambda) = \max_{h\ \lambda\text{-Lipschitz}}\
            \sum_i a_i u_i - \sum_j b_j h_j .

    The critic is built from HiGHS's dual variables :math:`w_j` of the middle
    constraints as the :math:`\lambda`-Lipschitz envelope
    :math:`h_k = \max_j (-w_j - \lambda c_G(z_j, z_k))`. For :math:`\lambda \ge 1` the
    triangle inequality gives :math:`D_{\mathrm{POT}}(\lambda) = W_1(P_X, P_G)`; for
    :math:`\lambda < 1` it can be strictly smaller.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        Data points.
    z : Tensor or array-like, shape (m, d_z)
        Latent atoms.
    G : callable
        Generator mapping (m, d_z) codes to (m, d) points (called once, no gradient).
    lam : float
        :math:`\lambda \ge 0`.
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Data and prior weights; uniform by default.

    Returns
    -------
    PenalizedOTResult
        Value, its parts (``penalty`` = :math:`W_{c_G}(q, b)`, computed exactly for the
        optimal :math:`q`), the plans, the encoder and the dual critic (``latent_plan``,
        ``critic_data``, ``critic_model``, ``dual_value``), float64 on the inputs'
        device (float32 on Apple MPS); ``decoded`` as ``G`` returned it;
        ``divergence="w_cG"``.

    Raises
    ------
    ValueError
        For a negative or non-finite ``lam``, invalid points or weights, a non-callable
        ``G``, or ``G(z)`` of the wrong shape or dimension.
    RuntimeError
        If HiGHS does not reach optimality.

    References
    ----------
    Bousquet et al. (2017), Section 5 (POT and WGAN are dual for the 1-Wasserstein cost).

    Examples
    --------
    Data at 0; the model puts half its mass at 0 and half at 1, so :math:`W_1 = 1/2`.
    With :math:`\lambda < 1` the encoder sends everything to the code of 0 and pays
    :math:`\lambda/2` of penalty instead:

    >>> x = torch.tensor([[0.0]], dtype=torch.float64)
    >>> z = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    >>> [round(float(pot_wgan_dual_lp(x, z, lambda c: c, lam).value), 6)
    ...  for lam in (0.0, 0.5, 1.0, 2.0)]
    [0.0, 0.25, 0.5, 0.5]
    """
    lam = check_non_negative(lam, "lam", "lam=1.0 (the weight of the latent penalty)")
    problem = _problem(x, z, G, a, b, 1)
    y64, a64, b64, C = problem.decoded64, problem.a, problem.b, problem.C
    D = cost_matrix(y64, y64, p=1)
    pi_np, rho_np, _, w_np = _solve_pot_w1_lp(C.numpy(), D.numpy(), a64.numpy(), b64.numpy(), lam)
    pi, rho, w = torch.from_numpy(pi_np), torch.from_numpy(rho_np), torch.from_numpy(w_np)

    q = pi.sum(0).clamp_min(0)
    penalty = exact_ot(y64, y64, q / q.sum(), b64, p=1).cost
    # Dual critic: the lambda-Lipschitz envelope of -w on the generated points, and its
    # c-transform on the data (both only raise the dual objective, keeping feasibility).
    h = (-w[:, None] - lam * D).max(dim=0).values
    u = (C + h[None, :]).min(dim=1).values
    return _result(
        problem, pi, penalty, lam, "w_cG",
        latent_plan=rho, critic_data=u, critic_model=h, dual_value=a64 @ u - b64 @ h,
    )
