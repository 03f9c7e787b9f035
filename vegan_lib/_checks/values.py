"""Validation of numbers and options: positive reals and integers, seeds, choices, hooks.

Part of :mod:`vegan_lib._checks`, the library's one validation layer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


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


def _real(value: Any, name: str, kind: str, example: str) -> float:
    """``value`` as a float (not a bool); ``kind`` says what it must be, e.g. "a number >= 0"."""
    if not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    raise ValueError(f"{name} must be {kind}, got {value!r}; e.g. {example}")


def check_positive(value: Any, name: str, example: str | None = None) -> float:
    """Validate a strictly positive, finite real number (e.g. the regularisation ε).

    ``example`` completes the error message ("e.g. ..."); it defaults to ``name=0.1``.

    Examples
    --------
    >>> check_positive(0.1, "reg")
    0.1
    """
    example = f"{name}=0.1" if example is None else example
    v = _real(value, name, "a positive number", example)
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
    v = _real(value, name, "a number >= 0", example)
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
    return check_int_at_least(value, name, 1, f"{name}=1000" if example is None else example)


def check_scales(scales: Any, name: str = "scales") -> tuple[float, ...]:
    """Validate a non-empty iterable of positive, finite kernel scales.

    Examples
    --------
    >>> check_scales([0.5, 1, 2])
    (0.5, 1.0, 2.0)
    """
    example = f"{name}=(0.1, 0.2, 0.5, 1, 2, 5, 10)"
    if isinstance(scales, (str, bytes)):
        raise ValueError(f"{name} must be an iterable of positive numbers, got {scales!r}; "
                         f"e.g. {example}")
    try:
        values = tuple(float(s) for s in scales)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an iterable of positive numbers, got {scales!r}; e.g. {example}"
        ) from None
    if not values:
        raise ValueError(f"{name} is empty; pass None for a single scale or at least one value")
    bad = [s for s in values if not (math.isfinite(s) and s > 0)]
    if bad:
        raise ValueError(f"{name} must all be positive and finite, got {bad}; remove them")
    return values


def check_sigma2(sigma2: Any, name: str = "sigma2") -> float:
    """Validate a decoder variance: one positive, finite number (a 1-element tensor is read).

    Examples
    --------
    >>> check_sigma2(0.5)
    0.5
    """
    if isinstance(sigma2, torch.Tensor):
        if sigma2.numel() != 1:
            raise ValueError(
                f"{name} must be one number, got a tensor of shape {tuple(sigma2.shape)}; "
                "the decoder variance is a scalar hyper-parameter"
            )
        sigma2 = sigma2.item()
    return check_positive(sigma2, name, f"{name}=1.0 (the decoder's variance)")


def check_betas(betas: Any) -> tuple[float, float]:
    """Validate Adam's ``betas``: a pair of numbers in [0, 1).

    Examples
    --------
    >>> check_betas((0.5, 0.999))
    (0.5, 0.999)
    """
    try:
        b1, b2 = (float(b) for b in betas)
    except (TypeError, ValueError):
        raise ValueError(
            f"betas must be a pair of numbers in [0, 1), got {betas!r}; e.g. betas=(0.9, 0.999)"
        ) from None
    if not (0 <= b1 < 1 and 0 <= b2 < 1):
        raise ValueError(f"betas must lie in [0, 1), got {(b1, b2)}; the default is (0.9, 0.999)")
    return b1, b2


def check_callable_or_none(value: Any, name: str, signature: str) -> None:
    """Validate an optional hook: ``None`` or a callable.

    Examples
    --------
    >>> check_callable_or_none(print, "callback", "callback(step, values, model)")
    """
    if value is not None and not callable(value):
        raise ValueError(
            f"{name} must be a function {signature} or None, got {type(value).__name__}"
        )


def check_range(bounds: Any, name: str, example: str) -> tuple[float, float]:
    """Validate a slider's range: a pair ``(low, high)`` of finite numbers, ``0 < low < high``.

    Examples
    --------
    >>> check_range((0.01, 10), "eps_range", "eps_range=(0.01, 10.0)")
    (0.01, 10.0)
    """
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high), got {bounds!r}; e.g. {example}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"{name} must satisfy 0 < low < high, got {bounds!r}; e.g. {example}")
    return lo, hi


def check_int_at_least(value: Any, name: str, minimum: int, example: str | None = None) -> int:
    """Validate an integer ``>= minimum`` (e.g. a seed, ``minimum=0``).

    Examples
    --------
    >>> check_int_at_least(0, "max_shift", 0)
    0
    """
    example = f"{name}={minimum}" if example is None else example
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ValueError(f"{name} must be {kind}, got {value!r}; e.g. {example}")
    return int(value)


def check_seed(seed: Any, name: str = "seed") -> int:
    """Validate a seed: an integer in :math:`[0, 2^{32})`, what NumPy and PyTorch both accept.

    Examples
    --------
    >>> check_seed(0)
    0
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {seed!r}; pass e.g. {name}=0")
    if not 0 <= seed < 2**32:
        raise ValueError(f"{name} must be in [0, 2**32), got {seed}; pass e.g. {name}=0")
    return int(seed)


def check_choice(value: Any, name: str, valid: tuple[str, ...]) -> str:
    """Validate a string option: one of ``valid``.

    Examples
    --------
    >>> check_choice("test", "split", ("train", "test"))
    'test'
    """
    if not isinstance(value, str) or value not in valid:
        raise ValueError(
            f"{name} must be one of {valid}, got {value!r}; e.g. {name}={valid[0]!r}"
        )
    return value
