"""Validators for chapter 7's f-divergences: discrete laws and samplers."""

from __future__ import annotations

from typing import Any

import torch

from vegan_lib._checks.tensors import as_tensor, check_finite


def check_distribution(p: Any, name: str) -> torch.Tensor:
    """A probability vector (k,) as float64 on the CPU: finite, >= 0, summing to 1.

    Examples
    --------
    >>> check_distribution([0.25, 0.75], "p")
    tensor([0.2500, 0.7500], dtype=torch.float64)
    """
    t = as_tensor(p, name).detach().to("cpu", torch.float64)
    if t.ndim != 1 or t.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D probability vector of shape (k,), got shape "
            f"{tuple(t.shape)}; e.g. {name}=[0.2, 0.3, 0.5]"
        )
    check_finite(t, name)
    if (t < 0).any():
        raise ValueError(f"{name} has negative entries; probabilities must be >= 0")
    total = float(t.sum())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(
            f"{name} sums to {total:.6g}, not 1; normalise it with {name} / {name}.sum()"
        )
    return t


def check_distribution_pair(p: Any, q: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`check_distribution` for ``p`` and ``q`` on the same k atoms.

    Examples
    --------
    >>> [tuple(t.shape) for t in check_distribution_pair([1.0, 0.0], [0.5, 0.5])]
    [(2,), (2,)]
    """
    p_t, q_t = check_distribution(p, "p"), check_distribution(q, "q")
    if p_t.shape != q_t.shape:
        raise ValueError(
            f"p and q must weigh the same atoms, got shapes {tuple(p_t.shape)} and "
            f"{tuple(q_t.shape)}; pad the shorter with zeros"
        )
    return p_t, q_t


def check_sampler(sampler: Any, name: str) -> None:
    """A function ``(n, generator) -> (n, d) tensor``.

    Examples
    --------
    >>> check_sampler(lambda n, g: torch.randn(n, 1, generator=g), "sample_p")
    """
    if not callable(sampler):
        raise ValueError(
            f"{name} must be a function (n, generator) -> (n, d) tensor, got "
            f"{type(sampler).__name__}; e.g. {name}=lambda n, g: torch.randn(n, 2, generator=g)"
        )
