"""Optimal transport between point clouds: the oracle of every chapter.

Chapter 1 of the book states the Kantorovich problem between two discrete measures
:math:`\\mu = \\sum_i a_i \\delta_{x_i}` and :math:`\\nu = \\sum_j b_j \\delta_{y_j}`,

.. math::

    \\begin{aligned}
    W_p^p(\\mu, \\nu) &= \\min_{\\pi \\in \\Pi(a, b)} \\sum_{ij} \\pi_{ij} \\|x_i - y_j\\|_2^p, \\\\
    \\Pi(a, b) &= \\{\\pi \\ge 0 : \\pi 1 = a,\\ \\pi^\\top 1 = b\\},
    \\end{aligned}

and this module computes it:

* :func:`exact_ot` solves the linear programme exactly (network simplex, float64) and
  returns the plan, the cost and the dual potentials;
* :func:`wasserstein` returns :math:`W_p` itself, differentiable in the points;
* :func:`wasserstein_1d` uses the sorted-samples formula on the line;
* :func:`gaussian_w2` is the closed form between Gaussians (Bures);
* :func:`sinkhorn` and :func:`sinkhorn_plan` solve the entropic problem, on any device.

The solvers are POT's (``ot.emd``, ``ot.sinkhorn2``, ``ot.wasserstein_1d``); this
module adds input checks, devices, dtypes and gradients.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.spatial.distance import cdist

# isort: off
import vegan_lib._pot_backends  # noqa: F401  (sets POT_BACKEND_DISABLE_*, so before ot)
import ot
# isort: on

from vegan_lib._checks import (
    as_tensor,
    at_least_float32,
    check_finite,
    check_gaussian_pair,
    check_no_overflow,
    check_p,
    check_points,
    check_positive,
    check_positive_int,
    check_same_dim,
    check_weights,
    common_dtype_device,
    float64_on,
    psd_sqrt,
)

__all__ = [
    "OTResult",
    "cost_matrix",
    "exact_ot",
    "gaussian_w2",
    "sinkhorn",
    "sinkhorn_plan",
    "solve_emd",
    "uniform_weights",
    "wasserstein",
    "wasserstein_1d",
]

# POT's network simplex reports success with result code 1 (see ot.lp.emd_wrap.check_result).
_EMD_OPTIMAL = 1


@dataclass(frozen=True)
class OTResult:
    """The solution of an exact optimal transport problem (see :func:`exact_ot`).

    Attributes
    ----------
    cost : Tensor, shape ()
        :math:`W_p^p = \\langle \\pi, C \\rangle`, the optimal transport cost.
    plan : Tensor, shape (n, m)
        An optimal coupling :math:`\\pi` with marginals ``a`` and ``b``.
    f : Tensor, shape (n,)
        Dual potential of the source points.
    g : Tensor, shape (m,)
        Dual potential of the target points; :math:`f_i + g_j \\le C_{ij}` and
        :math:`\\langle a, f \\rangle + \\langle b, g \\rangle = ` ``cost``.
    cost_matrix : Tensor, shape (n, m)
        :math:`C_{ij} = \\|x_i - y_j\\|_2^p`.
    """

    cost: torch.Tensor
    plan: torch.Tensor
    f: torch.Tensor
    g: torch.Tensor
    cost_matrix: torch.Tensor


def uniform_weights(
    n: int, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
) -> torch.Tensor:
    """Uniform probability weights :math:`a_i = 1/n`, the default of every function here.

    Returns shape (n,) for ``n`` points (a positive integer, else ``ValueError``), where
    ``dtype`` and ``device`` say (float64 on the CPU by default).

    Examples
    --------
    >>> uniform_weights(4)
    tensor([0.2500, 0.2500, 0.2500, 0.2500], dtype=torch.float64)
    """
    n = check_positive_int(n, "n")
    return torch.full((n,), 1.0 / n, dtype=dtype, device=device)


# ----------------------------------------------------------------------------- input checks
def _check_point_pair(x: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``check_points`` for ``x`` (n, d) and ``y`` (m, d); both in one dtype (float32 at least)."""
    x, y = check_points(x, "x"), check_points(y, "y")
    check_same_dim(x, y)
    dtype = at_least_float32(common_dtype_device(x, y)[0])
    return x.to(dtype), y.to(dtype)


def _check_samples_1d(x: Any, name: str) -> torch.Tensor:
    """1-D samples, finite and non-empty, of shape (n,) or (n, 1); returned flat, (n,)."""
    t = as_tensor(x, name)
    if not (t.ndim == 1 or (t.ndim == 2 and t.shape[1] == 1)):
        raise ValueError(
            f"{name} must hold 1-D samples of shape (n,) or (n, 1), got shape {tuple(t.shape)}; "
            "for points in d > 1 dimensions use wasserstein instead"
        )
    t = t.reshape(-1)
    if t.shape[0] == 0:
        raise ValueError(f"{name} is empty; pass at least one sample")
    check_finite(t, name)
    return t


def _check_sinkhorn(C: torch.Tensor, reg: float, inputs: dict, out: Any = None) -> None:
    """Raise ``ValueError`` if the costs overflow or ``reg`` is too small for them in their dtype:
    before solving, if the costs over ``reg`` overflow; after, if the result ``out`` is not finite.
    """
    if out is not None and bool(torch.isfinite(out.detach()).all()):
        return
    check_no_overflow(C, "the cost matrix ||x_i - y_j||^p", inputs)
    largest = float(C.detach().max())
    if out is not None or largest / reg > torch.finfo(C.dtype).max:
        largest = max(largest, 1e-12)
        or_64 = "" if C.dtype == torch.float64 else ", or compute in float64"
        raise ValueError(
            f"Sinkhorn returned NaN or inf: reg={reg:.3g} is too small for costs up to "
            f"{largest:.3g} in {C.dtype} (the iterations divide the costs by reg); raise reg, "
            f"e.g. reg={1e-3 * largest:.3g}{or_64}"
        )


# Above this dimension the squared cost in float64 uses one matrix product (see _cost).
_MM_MIN_DIM = 16


def _tracks_grad(*tensors: torch.Tensor) -> bool:
    """Whether autograd would record an operation on ``tensors`` here."""
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def _cost_numpy(x: np.ndarray, y: np.ndarray, p: float) -> np.ndarray:
    """:func:`_cost` without a graph, in float64 on the CPU: SciPy's ``cdist`` (differences,
    exact) or, for p = 2 in many dimensions, the matrix-product form with NumPy's BLAS."""
    if p == 2 and x.shape[1] > _MM_MIN_DIM:
        sq = np.einsum("ij,ij->i", x, x)[:, None] + np.einsum("ij,ij->i", y, y)[None, :]
        sq -= 2.0 * (x @ y.T)
        return np.maximum(sq, 0.0, out=sq)
    if p == 2:
        return cdist(x, y, "sqeuclidean")
    dist = cdist(x, y, "euclidean")
    return dist if p == 1 else dist**p


def _cost(x: torch.Tensor, y: torch.Tensor, p: float) -> torch.Tensor:
    if x.device.type == "cpu" and x.dtype == torch.float64 and not _tracks_grad(x, y):
        # No graph to record: SciPy/NumPy, as POT computes costs, skip torch's per-call
        # overhead and, in many dimensions, use a BLAS ~1.3x faster than torch's on one
        # thread (benchmarks/transport.py). Same formulas as below.
        return torch.from_numpy(_cost_numpy(x.numpy(), y.numpy(), p))
    if p == 2 and x.dtype == torch.float64 and x.shape[1] > _MM_MIN_DIM:
        # In many dimensions (images) the expansion |x|^2 + |y|^2 - 2 x.y is ~15x faster
        # (one matrix product). In float64 its rounding error is ~1e-12 relative to the
        # squared norms, and with no square root its gradient 2(x_i - y_j) is finite.
        sq = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)
        return sq.clamp_min(0.0)
    # torch.cdist computes each distance from the coordinate differences (exact, O(nm)
    # memory even for large d) and its backward pass returns 0 where the distance is 0,
    # so gradients stay finite when x_i == y_j: the "safe norm" we need.
    dist = torch.cdist(x, y, p=2.0, compute_mode="donot_use_mm_for_euclid_dist")
    return dist if p == 1 else dist.pow(p)


def cost_matrix(x: Any, y: Any, p: float = 2) -> torch.Tensor:
    """Ground cost matrix :math:`C_{ij} = \\|x_i - y_j\\|_2^p`.

    Differentiable in ``x`` and ``y``; where :math:`x_i = y_j` the gradient is taken
    to be 0 (the norm is not differentiable there), so it is always finite.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        Source points.
    y : Tensor or array-like, shape (m, d)
        Target points.
    p : float, default 2
        Exponent, :math:`p \\ge 1`.

    Returns
    -------
    Tensor, shape (n, m)
        On the inputs' device, in their promoted dtype (float32 for float16 and
        bfloat16); float64 for array-likes.

    Raises
    ------
    ValueError
        If the clouds are not 2-D, empty, non-finite, of different dimension d, on
        different devices, or if ``p < 1``.

    Examples
    --------
    >>> cost_matrix([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]])
    tensor([[25.,  1.]], dtype=torch.float64)
    >>> cost_matrix([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]], p=1)
    tensor([[5., 1.]], dtype=torch.float64)
    """
    p = check_p(p)
    x, y = _check_point_pair(x, y)
    return _cost(x, y, p)


def solve_emd(
    a: np.ndarray, b: np.ndarray, C: np.ndarray, num_iter_max: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    r"""POT's network simplex on float64 arrays: (plan, f, g, :math:`\langle P, C\rangle`).

    Unchecked building block for a cost matrix made elsewhere (the :math:`W_{c_G}` penalty
    of :class:`~vegan_lib.pot.POTModel`); :func:`exact_ot` is the checked entry point. Raises
    ``RuntimeError`` where POT only warns: the solver stopped before the optimum.
    """
    with warnings.catch_warnings():
        # POT also warns about a failure; we raise a RuntimeError instead.
        warnings.simplefilter("ignore", UserWarning)
        plan, log = ot.emd(a, b, C, numItermax=num_iter_max, log=True)
    if log["result_code"] != _EMD_OPTIMAL or log["warning"] is not None:
        raise RuntimeError(
            f"the network simplex did not reach the optimum ({log['warning']}) after "
            f"num_iter_max={num_iter_max} iterations; raise the limit, "
            f"e.g. num_iter_max={10 * num_iter_max}"
        )
    return plan, log["u"], log["v"], float(log["cost"])


def _emd_iteration_limit(num_iter_max: int | None, n: int, m: int) -> int:
    """The network simplex's iteration limit: ``num_iter_max``, or max(1e5, n m) if None."""
    if num_iter_max is None:
        return max(100_000, n * m)
    return check_positive_int(num_iter_max, "num_iter_max")


def _exact_plan(
    C: torch.Tensor, a: torch.Tensor, b: torch.Tensor, num_iter_max: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Solve on the CPU in float64; return NumPy (C, plan, f, g) and the cost <plan, C>."""
    C64, a64, b64 = (t.detach().to("cpu", torch.float64).numpy() for t in (C, a, b))
    plan, f, g, cost = solve_emd(a64 / a64.sum(), b64 / b64.sum(), C64, num_iter_max)
    return C64, plan, f, g, cost


def exact_ot(
    x: Any, y: Any, a: Any = None, b: Any = None, p: float = 2, *, num_iter_max: int | None = None
) -> OTResult:
    """Exact optimal transport between two weighted point clouds (network simplex).

    Solves the Kantorovich linear programme and its dual

    .. math::

        \\min_{\\pi \\ge 0,\\ \\pi 1 = a,\\ \\pi^\\top 1 = b} \\langle \\pi, C \\rangle
        \\;=\\; \\max_{f_i + g_j \\le C_{ij}} \\langle a, f \\rangle + \\langle b, g \\rangle,
        \\qquad C_{ij} = \\|x_i - y_j\\|_2^p,

    whose optimal value is :math:`W_p^p`. The solver is ``ot.emd`` in float64 on
    the CPU; the result is moved back to the inputs' device. The result carries no
    gradient; use :func:`wasserstein` for a differentiable distance.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        Source points.
    y : Tensor or array-like, shape (m, d)
        Target points.
    a : Tensor or array-like, shape (n,), optional
        Source weights (non-negative, summing to 1); uniform by default.
    b : Tensor or array-like, shape (m,), optional
        Target weights; uniform by default.
    p : float, default 2
        Exponent of the cost, :math:`p \\ge 1`.
    num_iter_max : int, optional
        Iteration limit of the network simplex; by default :math:`\\max(10^5, nm)`,
        which clouds of 5,000 points need (POT's fixed default of :math:`10^5` stops
        short there).

    Returns
    -------
    OTResult
        ``cost`` (shape ()), ``plan`` (n, m), ``f`` (n,), ``g`` (m,) and
        ``cost_matrix`` (n, m), all float64 on the inputs' device (float32 on
        Apple MPS, which has no float64).

    Raises
    ------
    ValueError
        For invalid points, weights or ``p`` (the message says how to fix it), or
        points so large that their costs overflow float64.
    RuntimeError
        If the solver stops at ``num_iter_max`` before optimality.

    Examples
    --------
    Each point has a partner at distance 0, so nothing needs to move:

    >>> res = exact_ot([[0.0], [1.0]], [[1.0], [0.0]])
    >>> round(float(res.cost), 6)
    0.0
    >>> res.plan
    tensor([[0.0000, 0.5000],
            [0.5000, 0.0000]], dtype=torch.float64)
    """
    p = check_p(p)
    x, y = _check_point_pair(x, y)
    num_iter_max = _emd_iteration_limit(num_iter_max, x.shape[0], y.shape[0])
    device = x.device
    a = check_weights(a, x.shape[0], "a", torch.float64, torch.device("cpu"))
    b = check_weights(b, y.shape[0], "b", torch.float64, torch.device("cpu"))
    C = _cost(x.detach().to("cpu", torch.float64), y.detach().to("cpu", torch.float64), p)
    check_no_overflow(C, "the cost matrix ||x_i - y_j||^p", {"x": x, "y": y})
    C64, plan, f, g, cost = _exact_plan(C, a, b, num_iter_max)

    out_dtype = float64_on(device)

    def back(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(array, dtype=np.float64)).to(device, out_dtype)

    return OTResult(cost=back(cost), plan=back(plan), f=back(f), g=back(g), cost_matrix=back(C64))


def _safe_root(power: torch.Tensor, p: float) -> torch.Tensor:
    """:math:`t^{1/p}` with gradient 0 (not infinity) at :math:`t = 0`."""
    if p == 1:
        return power
    positive = power > 0
    safe = torch.where(positive, power, torch.ones_like(power))
    return torch.where(positive, safe.pow(1.0 / p), torch.zeros_like(power))


def wasserstein(
    x: Any, y: Any, p: float = 2, a: Any = None, b: Any = None, *, num_iter_max: int | None = None
) -> torch.Tensor:
    """Wasserstein distance :math:`W_p` between two weighted point clouds.

    .. math::

        W_p(\\mu, \\nu) = \\Big( \\min_{\\pi \\in \\Pi(a, b)}
        \\sum_{ij} \\pi_{ij} \\|x_i - y_j\\|_2^p \\Big)^{1/p}

    The optimal plan :math:`\\pi^\\star` is found exactly (see :func:`exact_ot`)
    without gradient; then :math:`\\sum_{ij} \\pi^\\star_{ij} C_{ij}(x, y)` is
    recomputed with autograd. By the envelope theorem its gradient is the gradient
    of :math:`W_p^p` wherever the optimal plan is unique (almost every x, y). At
    :math:`W_p = 0` the gradient is defined as 0.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        Source points; array-likes become float64 tensors.
    y : Tensor or array-like, shape (m, d)
        Target points.
    p : float, default 2
        Order of the distance, :math:`p \\ge 1`.
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Weights (non-negative, summing to 1); uniform by default.
    num_iter_max : int, optional
        Iteration limit of the network simplex; by default :math:`\\max(10^5, nm)`,
        which clouds of 5,000 points need (POT's fixed default of :math:`10^5` stops
        short there).

    Returns
    -------
    Tensor, shape ()
        :math:`W_p` (the distance, not its p-th power), on the inputs' device and
        in their dtype, differentiable in ``x`` and ``y``.

    Raises
    ------
    ValueError
        For invalid points, weights or ``p``, or points so large that their costs
        overflow (rescale them: :math:`W_p(x/s, y/s) = W_p(x, y)/s`).
    RuntimeError
        If the solver stops at ``num_iter_max`` before optimality.

    Examples
    --------
    Translating a cloud by :math:`t = (3, 4)` moves it by :math:`\\|t\\| = 5`:

    >>> x = torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    >>> round(float(wasserstein(x, x + torch.tensor([3.0, 4.0], dtype=torch.float64))), 6)
    5.0
    """
    p = check_p(p)
    x, y = _check_point_pair(x, y)
    num_iter_max = _emd_iteration_limit(num_iter_max, x.shape[0], y.shape[0])
    a = check_weights(a, x.shape[0], "a", torch.float64, torch.device("cpu"))
    b = check_weights(b, y.shape[0], "b", torch.float64, torch.device("cpu"))
    C = _cost(x, y, p)
    check_no_overflow(C, "the cost matrix ||x_i - y_j||^p", {"x": x, "y": y})
    _, plan, _, _, power = _exact_plan(C, a, b, num_iter_max)
    if not _tracks_grad(x, y):  # no graph to record: the solver's own <plan, C>, as in POT
        root = power ** (1.0 / p) if power > 0 else 0.0
        return torch.tensor(root, dtype=C.dtype, device=C.device)
    plan_t = torch.from_numpy(plan).to(C.device, C.dtype)
    return _safe_root((plan_t * C).sum(), p)


def wasserstein_1d(x: Any, y: Any, p: float = 2, a: Any = None, b: Any = None) -> torch.Tensor:
    """Wasserstein distance :math:`W_p` between samples on the real line.

    On the line the optimal plan is monotone, so :math:`W_p` compares quantile
    functions:

    .. math::

        W_p^p(\\mu, \\nu) = \\int_0^1 |F_\\mu^{-1}(q) - F_\\nu^{-1}(q)|^p \\, dq,

    which for two uniform clouds of equal size :math:`n` is
    :math:`\\frac1n \\sum_i |x_{(i)} - y_{(i)}|^p` with sorted samples. Computed by
    ``ot.wasserstein_1d`` (which returns :math:`W_p^p`) and then the p-th root.

    Parameters
    ----------
    x : Tensor or array-like, shape (n,) or (n, 1)
        Source samples.
    y : Tensor or array-like, shape (m,) or (m, 1)
        Target samples.
    p : float, default 2
        Order, :math:`p \\ge 1`.
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Weights (non-negative, summing to 1); uniform by default.

    Returns
    -------
    Tensor, shape ()
        :math:`W_p` on the inputs' device and in their dtype, differentiable in
        ``x`` and ``y`` (gradient 0 where :math:`W_p = 0`).

    Raises
    ------
    ValueError
        For samples of another shape, empty or non-finite samples, invalid weights
        or ``p < 1``.

    Examples
    --------
    Shifting three samples by 1 gives :math:`W_p = 1` for every p:

    >>> round(float(wasserstein_1d([0.0, 1.0, 2.0], [3.0, 1.0, 2.0])), 6)
    1.0
    """
    p = check_p(p)
    x = _check_samples_1d(x, "x")
    y = _check_samples_1d(y, "y")
    dtype, device = common_dtype_device(x, y)
    x, y = x.to(at_least_float32(dtype)), y.to(at_least_float32(dtype))
    a = check_weights(a, x.shape[0], "a", x.dtype, device)
    b = check_weights(b, y.shape[0], "b", x.dtype, device)
    # POT's batched layout (n, 1): 1-D inputs make it call .T on a 1-D tensor, which
    # PyTorch deprecates.
    power = ot.wasserstein_1d(x[:, None], y[:, None], a[:, None], b[:, None], p=p)
    check_no_overflow(power, "W_p^p", {"x": x, "y": y})
    return _safe_root(power.reshape(()), p)


def gaussian_w2(m1: Any, S1: Any, m2: Any, S2: Any) -> torch.Tensor:
    """Wasserstein-2 distance between two Gaussians (Bures-Wasserstein formula).

    .. math::

        \\begin{aligned}
        W_2^2\\big(\\mathcal N(m_1, \\Sigma_1), \\mathcal N(m_2, \\Sigma_2)\\big)
        &= \\|m_1 - m_2\\|^2 \\\\
        &\\quad + \\operatorname{tr}\\Big(\\Sigma_1 + \\Sigma_2
        - 2 \\big(\\Sigma_1^{1/2} \\Sigma_2 \\Sigma_1^{1/2}\\big)^{1/2}\\Big).
        \\end{aligned}

    The trace term is evaluated in its equivalent Procrustes form
    :math:`\\min_{U U^\\top = I} \\|\\Sigma_1^{1/2} - \\Sigma_2^{1/2} U\\|_F^2`
    (Bhatia, Jain & Lim 2019, Thm. 1), whose optimal :math:`U` comes from the SVD of
    :math:`\\Sigma_1^{1/2} \\Sigma_2^{1/2}`. It is a sum of squares, so it does not
    cancel catastrophically: identical Gaussians with non-singular covariances give
    0 up to rounding (not :math:`\\sqrt{\\text{rounding}}`; with singular ones the
    matrix square root itself limits the accuracy to about :math:`10^{-8}`). Matrix
    square roots use the eigendecomposition with tiny negative eigenvalues clamped
    to 0.

    Parameters
    ----------
    m1, m2 : Tensor or array-like, shape (d,)
        Means.
    S1, S2 : Tensor or array-like, shape (d, d)
        Symmetric positive semi-definite covariances (symmetry is checked to a
        relative tolerance :math:`\\sqrt{\\text{eps}}`, PSD to eigenvalues
        :math:`\\ge -10^{-8}\\cdot\\max|S|` in float64).

    Returns
    -------
    Tensor, shape ()
        :math:`W_2` (the distance, not its square): float64, or the promoted dtype
        of the tensor inputs if they are floating tensors of another dtype, on
        their device.

    Raises
    ------
    ValueError
        If a mean is not (d,), a covariance not (d, d), the dimensions differ, an
        entry is not finite, a covariance is not symmetric or not PSD, or the
        result overflows.

    Examples
    --------
    Same covariance, means :math:`(0, 0)` and :math:`(3, 4)`; then 1-D Gaussians
    with standard deviations 1 and 2, where :math:`W_2 = |\\sigma_1 - \\sigma_2|`:

    >>> I = torch.eye(2, dtype=torch.float64)
    >>> round(float(gaussian_w2([0.0, 0.0], I, [3.0, 4.0], I)), 6)
    5.0
    >>> round(float(gaussian_w2([0.0], [[1.0]], [0.0], [[4.0]])), 6)
    1.0
    """
    m1_t, S1_t, m2_t, S2_t = check_gaussian_pair(m1, S1, m2, S2)
    root1 = psd_sqrt(S1_t)
    root2 = psd_sqrt(S2_t)
    P, _, Qh = torch.linalg.svd(root1 @ root2)
    U = Qh.T @ P.T  # maximises tr(root1 @ root2 @ U) over orthogonal U
    bures2 = (root1 - root2 @ U).pow(2).sum()
    w2 = (m1_t - m2_t).pow(2).sum().add(bures2).sqrt()
    inputs = {"m1": m1_t, "S1": S1_t, "m2": m2_t, "S2": S2_t}
    check_no_overflow(w2, "W_2", inputs, "divide the means by s, the covariances by s^2")
    return w2


def _sinkhorn(
    x: Any, y: Any, reg: Any, p: Any, a: Any, b: Any, num_iter_max: Any, stop_thr: Any,
    want_plan: bool,
) -> torch.Tensor:
    p = check_p(p)
    reg = check_positive(reg, "reg")
    num_iter_max = check_positive_int(num_iter_max, "num_iter_max")
    stop_thr = check_positive(stop_thr, "stop_thr")
    x, y = _check_point_pair(x, y)
    a = check_weights(a, x.shape[0], "a", x.dtype, x.device)
    b = check_weights(b, y.shape[0], "b", y.dtype, y.device)
    C = _cost(x, y, p)
    # The stopping test is on the marginal error ||P^T 1 - b||, which float32 cannot
    # push below ~1e-7: never ask for less than 100 machine epsilons.
    thr = max(stop_thr, 100 * torch.finfo(C.dtype).eps)
    # Refuse a hopeless reg before POT warns that its iterations did not converge.
    _check_sinkhorn(C, reg, {"x": x, "y": y})
    solver = ot.sinkhorn if want_plan else ot.sinkhorn2
    out, log = solver(
        a, b, C, reg, method="sinkhorn_log", numItermax=num_iter_max, stopThr=thr, log=True
    )
    _check_sinkhorn(C, reg, {"x": x, "y": y}, out)  # before warning of its NaN error
    err = float(torch.as_tensor(log["err"][-1]).detach()) if log["err"] else math.inf
    if not err < thr:
        warnings.warn(
            f"Sinkhorn did not converge in num_iter_max={num_iter_max} iterations "
            f"(marginal error {err:.3g} > stop_thr={thr:.3g}), so the result is not the "
            f"entropic optimum; raise num_iter_max or reg",
            RuntimeWarning, stacklevel=3,
        )
    return out


def sinkhorn(
    x: Any, y: Any, reg: float, p: float = 2, a: Any = None, b: Any = None,
    num_iter_max: int = 1000, stop_thr: float = 1e-9,
) -> torch.Tensor:
    """Transport cost of the entropic optimal plan (Sinkhorn, log domain).

    With :math:`C_{ij} = \\|x_i - y_j\\|_2^p` and the absolute regularisation
    :math:`\\varepsilon` = ``reg``, the entropic plan is

    .. math::

        P_\\varepsilon = \\mathop{\\arg\\min}_{P \\in \\Pi(a, b)}
        \\langle P, C \\rangle - \\varepsilon H(P), \\qquad
        H(P) = -\\sum_{ij} P_{ij} (\\log P_{ij} - 1),

    and this function returns :math:`\\langle P_\\varepsilon, C \\rangle` (without
    the entropy term), as ``ot.sinkhorn2`` does. Since :math:`P_\\varepsilon` is a
    feasible plan, the result is :math:`\\ge W_p^p`, and it tends to :math:`W_p^p`
    as :math:`\\varepsilon \\to 0`. ``reg`` is on the scale of the cost: rescaling
    the points by :math:`s` calls for ``reg`` times :math:`s^p`.

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        Source points.
    y : Tensor or array-like, shape (m, d)
        Target points.
    reg : float
        :math:`\\varepsilon > 0`, in the units of the cost :math:`C`.
    p : float, default 2
        Exponent of the cost, :math:`p \\ge 1`.
    a, b : Tensor or array-like, shapes (n,) and (m,), optional
        Weights (non-negative, summing to 1); uniform by default.
    num_iter_max : int, default 1000
        Maximum number of Sinkhorn iterations.
    stop_thr : float, default 1e-9
        Stop when the marginal error :math:`\\|P^\\top 1 - b\\|_2` falls below it
        (never below 100 machine epsilons of the dtype, 1.2e-5 in float32).

    Returns
    -------
    Tensor, shape ()
        :math:`\\langle P_\\varepsilon, C \\rangle` on the inputs' device (CPU or GPU)
        and in their dtype, differentiable in ``x`` and ``y`` (autograd through the
        iterations).

    Raises
    ------
    ValueError
        For invalid points, weights, ``p``, ``reg``, ``num_iter_max`` or ``stop_thr``;
        for a non-finite result (``reg`` too small for the costs in their dtype).

    Warns
    -----
    RuntimeWarning
        If the iterations stop at ``num_iter_max`` before the marginal error falls
        below ``stop_thr``: raise ``num_iter_max`` or ``reg``.

    Examples
    --------
    Two pairs of points 10 apart; with :math:`\\varepsilon = 1 \\ll 100` the plan
    matches each point with its twin:

    >>> x = torch.tensor([[0.0], [10.0]], dtype=torch.float64)
    >>> round(float(sinkhorn(x, x, reg=1.0)), 6)
    0.0
    """
    return _sinkhorn(x, y, reg, p, a, b, num_iter_max, stop_thr, want_plan=False)


def sinkhorn_plan(
    x: Any, y: Any, reg: float, p: float = 2, a: Any = None, b: Any = None,
    num_iter_max: int = 1000, stop_thr: float = 1e-9,
) -> torch.Tensor:
    """The entropic optimal plan :math:`P_\\varepsilon` (Sinkhorn, log domain).

    .. math::

        P_\\varepsilon = \\mathop{\\arg\\min}_{P \\in \\Pi(a, b)}
        \\langle P, C \\rangle - \\varepsilon H(P)
        = \\operatorname{diag}(e^{u}) \\, e^{-C/\\varepsilon} \\operatorname{diag}(e^{v}),

    with :math:`C_{ij} = \\|x_i - y_j\\|_2^p` and potentials :math:`u, v` found by
    log-domain Sinkhorn iterations (``ot.sinkhorn``, ``method="sinkhorn_log"``).

    Parameters
    ----------
    x, y, reg, p, a, b, num_iter_max, stop_thr :
        As in :func:`sinkhorn`: points (n, d) and (m, d), :math:`\\varepsilon > 0` in the
        units of the cost, its exponent, weights (n,) and (m,) (uniform by default), and
        the iteration limit and tolerance on the marginal error.

    Returns
    -------
    Tensor, shape (n, m)
        :math:`P_\\varepsilon`, non-negative, with marginals ``a`` and ``b`` up to
        ``stop_thr``; on the inputs' device and in their dtype, differentiable.

    Raises and warns as :func:`sinkhorn` does.

    Examples
    --------
    >>> x = torch.tensor([[0.0], [10.0]], dtype=torch.float64)
    >>> sinkhorn_plan(x, x, reg=1.0).round(decimals=4)
    tensor([[0.5000, 0.0000],
            [0.0000, 0.5000]], dtype=torch.float64)
    """
    return _sinkhorn(x, y, reg, p, a, b, num_iter_max, stop_thr, want_plan=True)
