"""Input validation shared by the modules of :mod:`vegan_lib`.

Every public function of the library checks its input with these helpers before
doing any work, so that a wrong shape, a NaN or a weight vector that does not sum
to one fails at once with a :class:`ValueError` that names the problem *and* the
fix, instead of returning a silently wrong number later.

The helpers convert array-likes (NumPy arrays, lists, numbers) to float64 tensors
and leave floating-point tensors on their device and in their dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

__all__ = [
    "as_tensor",
    "check_finite",
    "check_points",
    "check_same_dim",
    "common_dtype_device",
    "check_weights",
    "check_p",
    "check_positive",
    "check_non_negative",
    "check_positive_int",
    "check_samples_1d",
]


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
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} could not be read as an array of real numbers ({err}); "
            "pass a torch tensor or a NumPy array of floats"
        ) from err
    return torch.from_numpy(array)


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


def check_p(p: Any) -> float:
    """Validate the exponent ``p`` of the cost :math:`\\|x - y\\|^p`: a finite real ``p >= 1``.

    Examples
    --------
    >>> check_p(2)
    2.0
    """
    if isinstance(p, bool):
        raise ValueError(f"p must be a real number >= 1, got {p!r}; use e.g. p=1 or p=2")
    try:
        value = float(p)
    except (TypeError, ValueError) as err:
        raise ValueError(f"p must be a real number >= 1, got {p!r}; use e.g. p=1 or p=2") from err
    if not math.isfinite(value) or value < 1:
        raise ValueError(
            f"p must be a finite number >= 1, got {value}; W_p is a distance only for p >= 1, "
            "use p=1 or p=2"
        )
    return value


def check_positive(value: Any, name: str, example: str | None = None) -> float:
    """Validate a strictly positive, finite real number (e.g. the regularisation ε).

    ``example`` completes the error message ("e.g. ..."); it defaults to ``name=0.1``.

    Examples
    --------
    >>> check_positive(0.1, "reg")
    0.1
    """
    example = f"{name}=0.1" if example is None else example
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a positive number, got {value!r}; e.g. {example}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a positive number, got {value!r}; e.g. {example}"
        ) from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {v}; e.g. {example}")
    return v


def check_non_negative(value: Any, name: str, example: str | None = None) -> float:
    """Validate a finite real number ``>= 0`` (e.g. a penalty weight that may be off).

    Examples
    --------
    >>> check_non_negative(0, "lam")
    0.0
    """
    example = f"{name}=1.0" if example is None else example
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number >= 0, got {value!r}; e.g. {example}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number >= 0, got {value!r}; e.g. {example}") from None
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {v}; e.g. {example}")
    return v


def check_positive_int(value: Any, name: str, example: str | None = None) -> int:
    """Validate a positive integer (e.g. an iteration limit).

    Examples
    --------
    >>> check_positive_int(1000, "num_iter_max")
    1000
    """
    example = f"{name}=1000" if example is None else example
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}; e.g. {example}")
    return int(value)


def check_samples_1d(x: Any, name: str) -> torch.Tensor:
    """Validate 1-D samples: a finite, non-empty tensor of shape (n,) or (n, 1).

    Returns
    -------
    Tensor, shape (n,)
        The samples, flattened.

    Raises
    ------
    ValueError
        If ``x`` has another shape, is empty or is not finite.

    Examples
    --------
    >>> check_samples_1d([[1.0], [2.0]], "x")
    tensor([1., 2.], dtype=torch.float64)
    """
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
