"""Validation of tensors and point clouds, and the small shared numerics.

Shapes, finiteness, weights, Gaussians; float64 promotion, the PSD square root.

Part of :mod:`vegan_lib._checks`, the library's one validation layer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


def as_tensor(value: Any, name: str) -> torch.Tensor:
    """Return ``value`` as a floating-point tensor.

    Floating-point tensors are returned unchanged (same device, dtype and autograd
    graph); integer or boolean tensors become float64 on their device; NumPy arrays,
    lists and numbers become float64 CPU tensors.

    Parameters
    ----------
    value : Tensor or array-like
        The input.
    name : str
        Its name in error messages.

    Returns
    -------
    Tensor
        A floating-point tensor.

    Raises
    ------
    ValueError
        If ``value`` cannot be read as an array of real numbers.

    Examples
    --------
    >>> as_tensor([1, 2], "x")
    tensor([1., 2.], dtype=torch.float64)
    """
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise ValueError(f"{name} is complex; pass real numbers (e.g. {name}.real)")
        if not value.is_floating_point():
            return value.to(torch.float64)
        return value
    _refuse_complex(value, name)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} could not be read as an array of real numbers ({err}); "
            "pass a torch tensor or a NumPy array of floats"
        ) from err
    return torch.from_numpy(array)


def _refuse_complex(value: Any, name: str) -> None:
    """Raise ``ValueError`` for a complex array-like: NumPy would drop its imaginary part."""
    try:
        complex_ = isinstance(value, complex) or np.iscomplexobj(value)
    except (TypeError, ValueError):  # ragged or odd input: the conversion will say so
        return
    if complex_:
        raise ValueError(f"{name} is complex; pass real numbers (e.g. {name}.real)")


def check_finite(t: torch.Tensor, name: str) -> None:
    """Raise ``ValueError`` if ``t`` holds a NaN or an infinity.

    Examples
    --------
    >>> check_finite(torch.tensor([1.0, 2.0]), "x")  # passes silently
    """
    t = t.detach()
    if math.isfinite(t.sum()):
        return  # a NaN or an infinity would make the sum non-finite: one cheap reduction
    finite = torch.isfinite(t)  # the sum overflowed, or there are bad entries: look at each
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise ValueError(
            f"{name} contains {bad} NaN or infinite entries; "
            f"remove or replace them before calling this function"
        )


def check_points(x: Any, name: str) -> torch.Tensor:
    """Validate a point cloud: a finite, non-empty tensor of shape (n, d).

    Parameters
    ----------
    x : Tensor or array-like, shape (n, d)
        One point per row.
    name : str
        Its name in error messages.

    Returns
    -------
    Tensor, shape (n, d)
        ``x`` as a floating-point tensor (see :func:`as_tensor`).

    Raises
    ------
    ValueError
        If ``x`` is not 2-D, has no points or zero dimensions, or is not finite.

    Examples
    --------
    >>> check_points([[0.0, 1.0]], "x").shape
    torch.Size([1, 2])
    """
    t = as_tensor(x, name)
    if t.ndim != 2:
        hint = f"use {name}[:, None] for 1-D samples" if t.ndim == 1 else "flatten each point"
        raise ValueError(
            f"{name} must be a 2-D point cloud of shape (n, d), got shape {tuple(t.shape)}; "
            f"{hint} so that each row is one point"
        )
    if t.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(t.shape)}); pass at least one point")
    if t.shape[1] == 0:
        raise ValueError(
            f"{name} has points of dimension 0 (shape {tuple(t.shape)}); "
            "each row must hold at least one coordinate"
        )
    check_finite(t, name)
    return t


def check_same_dim(x: torch.Tensor, y: torch.Tensor, names: tuple[str, str] = ("x", "y")) -> None:
    """Raise ``ValueError`` unless the point clouds ``x`` (n, d) and ``y`` (m, d) share d.

    Examples
    --------
    >>> check_same_dim(torch.zeros(2, 3), torch.zeros(5, 3))  # passes silently
    """
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same dimension d, got "
            f"{names[0]}: {tuple(x.shape)} and {names[1]}: {tuple(y.shape)}; "
            "compare points that live in the same space"
        )


def common_dtype_device(*tensors: torch.Tensor) -> tuple[torch.dtype, torch.device]:
    """Return the promoted floating dtype and the shared device of ``tensors``.

    Raises
    ------
    ValueError
        If the tensors live on different devices.

    Examples
    --------
    >>> common_dtype_device(torch.zeros(1), torch.zeros(1, dtype=torch.float64))
    (torch.float64, device(type='cpu'))
    """
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        found = ", ".join(sorted(str(d) for d in devices))
        raise ValueError(
            f"inputs live on different devices ({found}); "
            "move them to one device first, e.g. y = y.to(x.device)"
        )
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return dtype, tensors[0].device


def check_weights(
    w: Any, n: int, name: str, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Validate probability weights of ``n`` points, or build uniform ones.

    Parameters
    ----------
    w : Tensor, array-like or None, shape (n,)
        Non-negative weights summing to 1 (within 1e-6). ``None`` means uniform
        weights :math:`1/n`.
    n : int
        Number of points the weights belong to.
    name : str
        Its name in error messages (``"a"`` or ``"b"``).
    dtype, device :
        Where the returned tensor lives.

    Returns
    -------
    Tensor, shape (n,)
        The weights, rescaled to sum to 1 exactly (up to rounding).

    Raises
    ------
    ValueError
        If ``w`` is not 1-D, has the wrong length, holds NaN, infinite or negative
        entries, or does not sum to 1 within 1e-6.

    Examples
    --------
    >>> check_weights(None, 4, "a", torch.float64, torch.device("cpu"))
    tensor([0.2500, 0.2500, 0.2500, 0.2500], dtype=torch.float64)
    """
    if w is None:
        return torch.full((n,), 1.0 / n, dtype=dtype, device=device)
    t = as_tensor(w, name)
    if t.ndim != 1:
        raise ValueError(
            f"weights {name} must be 1-D of shape ({n},), got shape {tuple(t.shape)}; "
            f"flatten them with {name}.reshape(-1)"
        )
    if t.shape[0] != n:
        raise ValueError(
            f"weights {name} must have one entry per point ({n}), got {t.shape[0]}; "
            "pass one weight per point"
        )
    check_finite(t, f"weights {name}")
    detached = t.detach().to(torch.float64)
    if bool((detached < 0).any()):
        raise ValueError(
            f"weights {name} must be non-negative, found minimum {float(detached.min()):.3g}; "
            "weights are probabilities: drop or clip negative entries"
        )
    total = float(detached.sum())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(
            f"weights {name} must sum to 1 (got {total:.10g}); "
            f"normalise them with {name} / {name}.sum()"
        )
    t = t.to(dtype=dtype, device=device)
    return t / t.sum()


def float64_on(device: torch.device) -> torch.dtype:
    """The most precise float dtype on ``device``: float64, or float32 on Apple's MPS.

    Examples
    --------
    >>> float64_on(torch.device("cpu"))
    torch.float64
    """
    return torch.float32 if device.type == "mps" else torch.float64


def psd_sqrt(S: torch.Tensor) -> torch.Tensor:
    r"""Symmetric square root :math:`S^{1/2}` of a symmetric PSD matrix, shape (d, d).

    Computed from the eigendecomposition :math:`S = V \operatorname{diag}(\lambda) V^\top`
    as :math:`V \operatorname{diag}(\sqrt{\max(\lambda, 0)}) V^\top`: tiny negative
    eigenvalues from round-off become 0.

    Examples
    --------
    >>> psd_sqrt(torch.diag(torch.tensor([4.0, 9.0], dtype=torch.float64))).diagonal()
    tensor([2., 3.], dtype=torch.float64)
    """
    eigenvalues, V = torch.linalg.eigh(S)
    return (V * eigenvalues.clamp(min=0).sqrt()) @ V.T


def as_real_tensor(x: Any, name: str, what: str, example: str) -> torch.Tensor:
    """``torch.as_tensor(x)`` in the dtype it gives, refusing what is not real numbers.

    ``what`` says what ``x`` holds and ``example`` what to pass, for the message.

    Examples
    --------
    >>> as_real_tensor([[1, 2]], "z", "latent atoms", "z = torch.randn(40, 2)").dtype
    torch.int64
    """
    try:
        t = torch.as_tensor(x)
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"{name} could not be read as {what} ({err}); pass {example}") from None
    if t.is_complex():
        raise ValueError(f"{name} is complex; pass real numbers (e.g. {name}.real)")
    return t


def check_plane_points(x: Any, name: str) -> torch.Tensor:
    """Validate points of the plane for a drawing: real, finite, shape (n, 2) with n >= 1.

    Unlike :func:`as_tensor`, array-likes keep the dtype ``torch.as_tensor`` gives them
    (a list of floats becomes float32); integer points become float64.

    Examples
    --------
    >>> check_plane_points([[0, 1]], "x")
    tensor([[0., 1.]], dtype=torch.float64)
    """
    t = as_real_tensor(x, name, "points of the plane", "a tensor or an array of shape (n, 2)")
    if t.ndim != 2 or t.shape[1] != 2 or t.shape[0] < 1:
        raise ValueError(
            f"{name} must be points of the plane, shape (n, 2), got {tuple(t.shape)}; the "
            "explorers draw 2-D problems (project higher-dimensional points first)"
        )
    if not t.is_floating_point():
        t = t.double()
    check_finite(t, name)
    return t


def check_float_tensor(value: Any, name: str, shape: str, fix: str) -> torch.Tensor:
    """Validate a floating-point ``torch.Tensor``; ``shape`` and ``fix`` complete the messages.

    Unlike :func:`as_tensor` nothing is converted: images and features must already be
    floating point, because their scale matters (8-bit pixels are not in [0, 1]).

    Examples
    --------
    >>> check_float_tensor(torch.zeros(2, 3), "x", "(n, d)", "use x.float()").shape
    torch.Size([2, 3])
    """
    if not isinstance(value, torch.Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor of shape {shape}, got {type(value).__name__}; "
            f"convert it with torch.as_tensor({name})"
        )
    if not value.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {value.dtype}; {fix}"
        )
    return value


def check_decoded(z: torch.Tensor, G: Any) -> torch.Tensor:
    """Apply the generator ``G`` to the (m, d_z) codes ``z`` without gradient; return G(z).

    Raises ``ValueError`` unless ``G`` is callable and ``G(z)`` is a finite (m, d_x) tensor
    with ``d_x >= 1``, one point per code.

    Examples
    --------
    >>> check_decoded(torch.zeros(3, 2), lambda z: z[:, :1]).shape
    torch.Size([3, 1])
    """
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
            f"{z.shape[0]} points of shape ({z.shape[0]}, d_x), one point per code, got shape "
            f"{tuple(y.shape)}; G must act row-wise on a batch of codes (reshape its output "
            "to (m, d_x))"
        )
    if y.shape[1] == 0:
        raise ValueError("G(z) returned points of dimension 0; G must map codes to R^d_x")
    check_finite(y, "G(z)")
    return y


def check_decoded_fits_data(x: torch.Tensor, y: torch.Tensor) -> None:
    """Raise ``ValueError`` unless the decoded atoms ``y = G(z)`` live in the data's space.

    Same dimension as the data ``x`` (n, d_x), and on its device.

    Examples
    --------
    >>> check_decoded_fits_data(torch.zeros(4, 2), torch.ones(3, 2))  # passes silently
    """
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


def check_cloud(x: Any, name: str, min_points: int = 1) -> torch.Tensor:
    """Validate a batch of codes for a loss: a finite float tensor (n, d), n >= ``min_points``.

    Unlike :func:`check_points` nothing is converted: a loss works on the network's
    tensors, in their dtype, on their device.

    Examples
    --------
    >>> check_cloud(torch.zeros(4, 2), "x", min_points=2).shape
    torch.Size([4, 2])
    """
    check_float_tensor(x, name, "(n, d)", f"convert it with {name}.float()")
    check_points(x, name)
    if x.shape[0] < min_points:
        raise ValueError(
            f"{name} needs at least {min_points} points, got {x.shape[0]}; use a larger batch"
        )
    return x


def check_cloud_pair(
    x: Any, y: Any, min_points: int = 1, names: tuple[str, str] = ("x", "y")
) -> None:
    """:func:`check_cloud` for ``x`` (n, d) and ``y`` (m, d): same d, dtype and device.

    Examples
    --------
    >>> check_cloud_pair(torch.zeros(4, 2), torch.ones(3, 2))  # passes silently
    """
    nx, ny = names
    check_float_tensor(x, nx, "(n, d)", f"convert it with {nx}.float()")
    check_float_tensor(y, ny, "(m, d)", f"convert it with {ny}.float()")
    common_dtype_device(x, y)  # before the finiteness checks, which compute on each device
    check_cloud(x, nx, min_points)
    check_cloud(y, ny, min_points)
    check_same_dim(x, y, names)
    if x.dtype != y.dtype:
        raise ValueError(
            f"{nx} and {ny} must have the same dtype, got {x.dtype} and {y.dtype}; "
            f"convert one with {ny}.to({nx}.dtype)"
        )


def at_least_float32(dtype: torch.dtype) -> torch.dtype:
    """``dtype``, or float32 for the half types, which torch's distances and solvers lack.

    Examples
    --------
    >>> at_least_float32(torch.bfloat16), at_least_float32(torch.float64)
    (torch.float32, torch.float64)
    """
    return torch.float32 if torch.finfo(dtype).bits < 32 else dtype


def check_gaussian(m: Any, S: Any, name_m: str, name_S: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate a Gaussian's finite mean (d,) and covariance (d, d); return both as tensors.

    Symmetry and positivity are checked by :func:`check_covariance`.

    Examples
    --------
    >>> m, S = check_gaussian([0.0], [[1.0]], "m1", "S1")
    >>> tuple(m.shape), tuple(S.shape)
    ((1,), (1, 1))
    """
    m_t = as_tensor(m, name_m)
    S_t = as_tensor(S, name_S)
    if m_t.ndim != 1 or m_t.shape[0] == 0:
        raise ValueError(
            f"mean {name_m} must be a non-empty 1-D vector of shape (d,), got shape "
            f"{tuple(m_t.shape)}; in 1-D pass {name_m}=[mean] and {name_S}=[[variance]]"
        )
    d = m_t.shape[0]
    if S_t.ndim != 2 or S_t.shape[0] != S_t.shape[1]:
        raise ValueError(
            f"covariance {name_S} must be a square matrix of shape (d, d), got shape "
            f"{tuple(S_t.shape)}; in 1-D pass {name_S}=[[variance]]"
        )
    if S_t.shape[0] != d:
        raise ValueError(
            f"mean {name_m} has dimension {d} but covariance {name_S} has shape "
            f"{tuple(S_t.shape)}; they must be (d,) and (d, d) for the same d"
        )
    check_finite(m_t, f"mean {name_m}")
    check_finite(S_t, f"covariance {name_S}")
    return m_t, S_t


def check_covariance(S: torch.Tensor, name: str) -> torch.Tensor:
    r"""Check that ``S`` (d, d) is symmetric and PSD (to round-off); return :math:`(S + S^\top)/2`.

    Symmetry is checked to a relative tolerance :math:`\sqrt{\text{eps}}`, positivity
    to eigenvalues :math:`\ge -\max(10^{-8}, 100\,\text{eps}) \max|S|`.

    Examples
    --------
    >>> check_covariance(torch.eye(2, dtype=torch.float64), "S1")
    tensor([[1., 0.],
            [0., 1.]], dtype=torch.float64)
    """
    eps = torch.finfo(S.dtype).eps
    scale = float(S.detach().abs().max())
    asym = float((S - S.T).detach().abs().max())
    if asym > math.sqrt(eps) * scale:
        raise ValueError(
            f"covariance {name} is not symmetric (max |S - S^T| = {asym:.3g}); "
            f"pass a symmetric matrix, e.g. ({name} + {name}.T) / 2"
        )
    S = (S + S.T) / 2
    lam_min = float(torch.linalg.eigvalsh(S.detach()).min())
    if lam_min < -max(1e-8, 100 * eps) * scale:
        raise ValueError(
            f"covariance {name} is not positive semi-definite (smallest eigenvalue "
            f"{lam_min:.3g}); a covariance must have non-negative eigenvalues, "
            f"e.g. build it as A @ A.T"
        )
    return S


def as_numpy(values: Any, name: str) -> np.ndarray:
    """A float64 NumPy copy of a tensor (any device, any grad state) or an array-like.

    Examples
    --------
    >>> as_numpy(torch.ones(2, requires_grad=True), "x")
    array([1., 1.])
    """
    if isinstance(values, torch.Tensor):
        if values.is_complex():
            raise ValueError(f"{name} is complex; pass real numbers (e.g. {name}.real)")
        return values.detach().to(device="cpu", dtype=torch.float64).numpy()
    _refuse_complex(values, name)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must be a tensor or array of numbers, got {type(values).__name__}"
        ) from err
