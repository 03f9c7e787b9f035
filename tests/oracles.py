"""Small oracles and random problems shared by the tests of exact OT, theory and duality."""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linprog

from vegan_lib.theory import random_encoder_problem

F64 = torch.float64


def loop_cost(x: np.ndarray, y: np.ndarray, p: float) -> np.ndarray:
    C = np.empty((len(x), len(y)))
    for i in range(len(x)):
        for j in range(len(y)):
            C[i, j] = np.linalg.norm(x[i] - y[j]) ** p
    return C


def random_problem(
    seed: int,
) -> tuple[torch.Tensor, torch.Tensor, object, np.ndarray, np.ndarray, str]:
    """The library's random discrete problem (``random_encoder_problem``), weights as NumPy
    arrays for the LP oracles; its generator cycles through round, lookup, fold and linear
    (``seed % 4``), three of them non-injective."""
    x, z, G, a, b, kind = random_encoder_problem(seed)
    return x, z, G, a.numpy(), b.numpy(), kind


def decoded(z: torch.Tensor, G) -> np.ndarray:
    with torch.no_grad():
        return G(z).numpy()


def seeded(seed):
    return torch.Generator().manual_seed(seed)


def gaussian_cloud(n, d, seed, shift=0.0):
    return torch.randn(n, d, generator=seeded(seed), dtype=F64) + shift


def random_weights(n, seed):
    w = torch.rand(n, generator=seeded(seed), dtype=F64) + 0.1
    return w / w.sum()


def euclidean_distances(u, v):
    return np.sqrt(((u[:, None, :] - v[None, :, :]) ** 2).sum(-1))


def kantorovich_constraints(n: int, m: int) -> np.ndarray:
    """The (n + m, n m) equality constraints of the Kantorovich LP: row sums, then column sums
    of a plan flattened row by row."""
    rows = np.kron(np.eye(n), np.ones((1, m)))
    cols = np.kron(np.ones((1, n)), np.eye(m))
    return np.vstack([rows, cols])


def kantorovich_lp(a: np.ndarray, b: np.ndarray, C: np.ndarray,
                   tol: float | None = None) -> tuple[float, np.ndarray]:
    """Independent oracle: min <pi, C> over pi >= 0 with marginals a and b, solved by HiGHS.

    Returns the optimal cost and plan (n, m); ``tol`` tightens HiGHS's feasibility
    tolerances (for checks at 1e-9 and below).
    """
    n, m = C.shape
    options = {} if tol is None else {"primal_feasibility_tolerance": tol,
                                      "dual_feasibility_tolerance": tol}
    res = linprog(C.ravel(), A_eq=kantorovich_constraints(n, m), b_eq=np.concatenate([a, b]),
                  bounds=(0, None), method="highs", options=options)
    assert res.status == 0, res.message
    return float(res.fun), res.x.reshape(n, m)


def w1_linprog(x, y, a, b):
    """Independent oracle: the Kantorovich LP for c = ||x - y|| solved by HiGHS."""
    x, y, a, b = (t.numpy() for t in (x, y, a, b))
    return kantorovich_lp(a, b, euclidean_distances(x, y))[0]
