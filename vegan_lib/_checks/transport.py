"""Validation around the transport solvers: pairs of Gaussians, overflow.

A finite input can still overflow on the way (squared distances of points near 1e200):
:func:`check_no_overflow` turns the resulting inf or NaN into a ``ValueError`` that names
the input and the fix.

Part of :mod:`vegan_lib._checks`, the library's one validation layer.
"""

from __future__ import annotations

from typing import Any

import torch

from vegan_lib._checks.tensors import (
    at_least_float32,
    check_covariance,
    check_gaussian,
    common_dtype_device,
)


def check_gaussian_pair(m1: Any, S1: Any, m2: Any, S2: Any) -> tuple[torch.Tensor, ...]:
    """:func:`check_gaussian` for two Gaussians of one dimension; return ``(m1, S1, m2, S2)``.

    All four on the tensor inputs' device, in their promoted floating dtype (float64 for
    array-likes; float32 for the half types, which lack eigendecompositions), with
    symmetrised, PSD-checked covariances (:func:`check_covariance`).

    Examples
    --------
    >>> [tuple(t.shape) for t in check_gaussian_pair([0.0], [[1.0]], [1.0], [[2.0]])]
    [(1,), (1, 1), (1,), (1, 1)]
    """
    m1_t, S1_t = check_gaussian(m1, S1, "m1", "S1")
    m2_t, S2_t = check_gaussian(m2, S2, "m2", "S2")
    if m1_t.shape != m2_t.shape:
        raise ValueError(
            f"the two Gaussians live in different dimensions (m1: {tuple(m1_t.shape)}, "
            f"m2: {tuple(m2_t.shape)}); compare Gaussians of the same dimension d"
        )
    # Array-likes follow the tensor inputs: their device, their floating dtype.
    tensors = [v for v in (m1, S1, m2, S2) if isinstance(v, torch.Tensor)]
    floats = [t for t in tensors if t.is_floating_point()]
    device = common_dtype_device(*tensors)[1] if tensors else torch.device("cpu")
    dtype = at_least_float32(common_dtype_device(*floats)[0]) if floats else torch.float64
    m1_t, S1_t, m2_t, S2_t = (t.to(device, dtype) for t in (m1_t, S1_t, m2_t, S2_t))
    return m1_t, check_covariance(S1_t, "S1"), m2_t, check_covariance(S2_t, "S2")


def check_no_overflow(
    result: torch.Tensor, what: str, inputs: dict[str, torch.Tensor],
    hint: str = "divide the points by their largest coordinate s: W_p(x / s, y / s) = "
    "W_p(x, y) / s",
) -> None:
    """Raise ``ValueError`` if ``result`` is not finite although the (finite) ``inputs`` are.

    The computation overflowed: the message names the input with the largest entries, its
    dtype, and the fixes (compute in float64, or rescale as ``hint`` says).

    Examples
    --------
    >>> check_no_overflow(torch.tensor(1.0), "W_2", {"x": torch.ones(2)})  # passes silently
    """
    if bool(torch.isfinite(result.detach()).all()):
        return
    sizes = {k: float(v.detach().abs().max()) for k, v in inputs.items() if v.numel()}
    name = max(sizes, key=sizes.get)
    dtype = inputs[name].dtype
    fix = "" if dtype == torch.float64 else f"compute in float64 ({name}.double()) or "
    raise ValueError(
        f"{what} overflows {dtype}: {name} has entries up to {sizes[name]:.3g}; {fix}"
        f"rescale the inputs ({hint})"
    )
