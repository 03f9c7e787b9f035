"""Validation of numbers and options: positive reals and integers, seeds, choices, hooks.

Part of :mod:`vegan_lib._checks`, the library's one validation layer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

_INT64_LIMIT = 2**63


def check_p(p: Any) -> float:
    """Validate the exponent ``p`` of the cost :math:`\\|x - y\\|^p`: a finite real ``p >= 1``.

    Examples
    --------
    >>> check_p(2)
    2.0
    """
    if isinstance(p, (bool, str, bytes)):
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
    """``value`` as a float (not a bool, not a string); ``kind`` says what it must be."""
    complex_like = isinstance(value, complex) or getattr(value, "is_complex", lambda: False)()
    if not isinstance(value, (bool, str, bytes)) and not complex_like:
        try:  # a one-element tensor or array, a NumPy scalar, an int too large for a float
            return float(value)
        except (TypeError, ValueError, RuntimeError, OverflowError):
            pass
    raise ValueError(f"{name} must be {kind}, got {value!r}; e.g. {example}")


def _at_most(v: float, maximum: float | None, name: str, why: str) -> float:
    if maximum is not None and v > maximum:
        raise ValueError(f"{name}={v:g} is too large: it must be at most {maximum:.3g} ({why})")
    return v


def check_positive(
    value: Any, name: str, example: str | None = None, maximum: float | None = None,
    why: str = "larger values overflow",
) -> float:
    """Validate a strictly positive, finite real number (e.g. the regularisation ε).

    ``example`` completes the error message ("e.g. ..."); it defaults to ``name=0.1``.
    ``maximum`` (optional) is the largest value the computation can take, ``why`` says why.

    Examples
    --------
    >>> check_positive(0.1, "reg")
    0.1
    """
    example = f"{name}=0.1" if example is None else example
    v = _real(value, name, "a positive number", example)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {v}; e.g. {example}")
    return _at_most(v, maximum, name, why)


def check_non_negative(
    value: Any, name: str, example: str | None = None, maximum: float | None = None,
    why: str = "larger values overflow",
) -> float:
    """Validate a finite real number ``>= 0`` (e.g. a penalty weight that may be off).

    ``maximum`` and ``why`` as for :func:`check_positive`.

    Examples
    --------
    >>> check_non_negative(0, "lam")
    0.0
    """
    example = f"{name}=1.0" if example is None else example
    v = _real(value, name, "a number >= 0", example)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {v}; e.g. {example}")
    return _at_most(v, maximum, name, why)


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
        values = tuple(_real(s, name, "", "") for s in scales)
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
        b1, b2 = (_real(b, "betas", "", "") for b in betas)
    except (TypeError, ValueError):
        raise ValueError(
            f"betas must be a pair of numbers in [0, 1), got {betas!r}; e.g. betas=(0.9, 0.999)"
        ) from None
    if not (0 <= b1 < 1 and 0 <= b2 < 1):
        raise ValueError(f"betas must lie in [0, 1), got {(b1, b2)}; the default is (0.9, 0.999)")
    return b1, b2


def check_range(bounds: Any, name: str, example: str) -> tuple[float, float]:
    """Validate a slider's range: a pair ``(low, high)`` of finite numbers, ``0 < low < high``.

    Examples
    --------
    >>> check_range((0.01, 10), "eps_range", "eps_range=(0.01, 10.0)")
    (0.01, 10.0)
    """
    try:
        lo, hi = (_real(v, name, "", "") for v in bounds)
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
    if value >= _INT64_LIMIT:  # torch, NumPy and POT's C code take 64-bit sizes and counts
        raise ValueError(f"{name}={value} is too large: it must be below 2**63; e.g. {example}")
    return int(value)


def check_seed(seed: Any, name: str = "seed", bits: int = 32) -> int:
    """Validate a seed: an integer in :math:`[0, 2^{bits})`.

    :math:`2^{32}` is what NumPy and PyTorch both accept; a seed that only seeds torch
    (``torch.manual_seed``, a ``torch.Generator``) may go up to :math:`2^{63}` (``bits=63``).

    Examples
    --------
    >>> check_seed(0)
    0
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {seed!r}; pass e.g. {name}=0")
    if not 0 <= seed < 2**bits:
        raise ValueError(f"{name} must be in [0, 2**{bits}), got {seed}; pass e.g. {name}=0")
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


_DEVICE_CHOICES = "'cpu', 'cuda', 'cuda:<index>', 'mps' or a torch.device"


def check_device(device: Any, name: str = "device") -> torch.device | None:
    """Validate a device: ``None``, a ``torch.device``, a string or an index; return it.

    Raises ``ValueError`` naming ``name`` (an argument, or ``VEGAN_DEVICE``) for a string
    torch cannot parse (``"gpu"``, ``"CPU"``), another type, or a CUDA or MPS device that
    this machine does not have.

    Examples
    --------
    >>> check_device("cpu")
    device(type='cpu')
    """
    if device is None:
        return None
    if isinstance(device, bool) or not isinstance(device, (str, int, torch.device)):
        raise ValueError(
            f"{name} must be {_DEVICE_CHOICES}, got {type(device).__name__} {device!r}"
        )
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"{name}={device!r} is not a device; use {_DEVICE_CHOICES} (lower case)"
        ) from None
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(
                f"{name}={device!r} asks for CUDA, which this torch ({torch.__version__}) "
                f"cannot use on this machine; use {name}='cpu' or get_device()"
            )
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(
                f"{name}={device!r} names GPU {parsed.index} but this machine has {count}; "
                f"use an index below {count}"
            )
    if parsed.type == "mps":
        backend = getattr(torch.backends, "mps", None)
        if backend is None or not backend.is_available():
            raise ValueError(
                f"{name}={device!r} asks for Apple MPS, which is not available here; "
                f"use {name}='cpu' or get_device()"
            )
    if parsed.type not in ("cpu", "cuda", "mps", "meta") and not isinstance(device, torch.device):
        raise ValueError(f"{name}={device!r} is not supported; use {_DEVICE_CHOICES}")
    return parsed




# ----------------------------------------------------------------- batches, draws and scores
# (tensor checks appended here for issue 23: each names the caller's argument.)
def check_batch_pair(x: Any, y: Any, names: tuple[str, str] = ("x", "y")) -> None:
    """``check_same_shape(x, y, names)``, naming the argument that holds an empty batch.

    Examples
    --------
    >>> check_batch_pair(torch.zeros(2, 3), torch.ones(2, 3), ("real", "fake"))  # passes
    """
    from vegan_lib._checks.models import check_same_shape

    for name, t in zip(names, (x, y), strict=True):
        if isinstance(t, torch.Tensor) and t.ndim > 0 and t.shape[0] == 0:
            raise ValueError(
                f"{name} is an empty batch (shape {tuple(t.shape)}); pass at least one sample"
            )
    check_same_shape(x, y, names)


def check_draw(sampler: Any, name: str, n: int, generator: torch.Generator) -> torch.Tensor:
    """Call ``sampler(n, generator)``; return its draw, a floating-point tensor (n, d).

    ``ValueError`` naming ``name`` for a sampler that cannot take ``(n, generator)`` or
    returns anything else (a list, an integer tensor, a wrong number of points).

    Examples
    --------
    >>> check_draw(lambda n, g: torch.zeros(n, 1), "sample_p", 3, torch.Generator()).shape
    torch.Size([3, 1])
    """
    example = f"{name}=lambda n, g: torch.randn(n, 2, generator=g)"
    try:
        drawn = sampler(n, generator)
    except TypeError as err:  # another signature, e.g. lambda n: ...
        raise ValueError(
            f"{name}(n, generator) failed ({err}); a sampler takes the number of points and "
            f"a torch.Generator, e.g. {example}"
        ) from err
    if not (isinstance(drawn, torch.Tensor) and drawn.is_floating_point() and drawn.ndim == 2
            and drawn.shape[0] == n):
        got = (f"shape {tuple(drawn.shape)} and dtype {drawn.dtype}"
               if isinstance(drawn, torch.Tensor) else type(drawn).__name__)
        raise ValueError(
            f"{name}({n}, generator) must return a floating-point tensor of shape ({n}, d), "
            f"got {got}; e.g. {example}"
        )
    return drawn


def check_net_scores(net: Any, x: torch.Tensor, name: str) -> torch.Tensor:
    """``net(x)`` for points ``x`` (n, d), checked to be n scores (n,); return it.

    ``ValueError`` naming ``name`` for a network that fails on ``x`` (e.g. a first layer of
    the wrong width) or does not return one floating-point score per point.

    Examples
    --------
    >>> check_net_scores(lambda z: z.sum(1), torch.ones(4, 2), "critic")
    tensor([2., 2., 2., 2.])
    """
    try:
        scores = net(x)
    except torch.cuda.OutOfMemoryError:
        raise
    except (RuntimeError, TypeError, ValueError) as err:  # e.g. torch's "mat1 and mat2 ..."
        raise ValueError(
            f"{name} failed on points of shape {tuple(x.shape)} and dtype {x.dtype} ({err}); "
            f"it must map (n, {x.shape[-1]}) points to (n,) scores, in the points' dtype"
        ) from err
    n = x.shape[0]
    if not (isinstance(scores, torch.Tensor) and scores.is_floating_point()
            and scores.shape == (n,)):
        got = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(
            f"{name} must return one floating-point score per point, shape ({n},), got "
            f"{got}; squeeze a trailing axis with .squeeze(-1)"
        )
    return scores
