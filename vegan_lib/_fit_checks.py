"""Checks of :func:`vegan_lib.train.fit`'s arguments, beside ``train.py`` to keep it short.

The flags (``resume``, ``progress``, ``desc``), checked before anything else; the data cut
into minibatches and the optional hooks; and the split of a model's parameters between the
main optimizer and the adversary's, which checks the model protocol of
:mod:`vegan_lib.train`. The checks of a checkpoint to resume live in
``vegan_lib._checkpoint`` (``validate_for_resume``).
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn


def flags(resume: Any, checkpoint: str | os.PathLike | None, progress: Any, desc: Any) -> None:
    """Raise ``ValueError`` for a ``resume``, ``progress`` or ``desc`` that fit cannot honour.

    ``resume`` and ``progress`` are booleans, ``desc`` a string or ``None``; ``resume=True``
    needs a ``checkpoint`` path to continue from (it would be ignored without one).

    Examples
    --------
    >>> flags(False, None, True, "toy")  # passes silently
    >>> flags(True, None, True, None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: resume=True continues from a checkpoint file, but no checkpoint was given; ...
    """
    for name, value in (("resume", resume), ("progress", progress)):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
    if desc is not None and not isinstance(desc, str):
        raise ValueError(f"desc must be a string (the progress bar's label) or None, got {desc!r}")
    if resume and checkpoint is None:
        raise ValueError(
            "resume=True continues from a checkpoint file, but no checkpoint was given; pass "
            "checkpoint=path (fit writes it, and with resume=True continues from it when it "
            "exists), or drop resume"
        )


def parameter_groups(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """The trainable parameters of the main optimizer and of the adversary's.

    ``main_parameters()`` (default: every parameter not in the adversary's) and
    ``adversary_parameters()`` (default: none), each without frozen parameters. Raises
    ``ValueError`` if there is no main parameter, if one is in both, or if the adversary's
    are not empty and the model has no ``adversary_loss``.
    """
    adversary = list(getattr(model, "adversary_parameters", lambda: [])())
    adversary = [p for p in adversary if p.requires_grad]
    if adversary and not callable(getattr(model, "adversary_loss", None)):
        raise ValueError(
            f"{type(model).__name__} has adversary parameters but no adversary_loss(x); "
            "define it or return [] from adversary_parameters()"
        )
    if callable(getattr(model, "main_parameters", None)):
        main = [p for p in model.main_parameters() if p.requires_grad]
    else:
        taken = {id(p) for p in adversary}
        main = [p for p in model.parameters() if p.requires_grad and id(p) not in taken]
    if not main:
        raise ValueError(f"{type(model).__name__} has no trainable main parameters")
    overlap = {id(p) for p in main} & {id(p) for p in adversary}
    if overlap:
        raise ValueError(
            f"{len(overlap)} parameter(s) are in both main_parameters() and "
            "adversary_parameters(); each parameter must belong to one optimizer"
        )
    return main, adversary


def batchable(data: tuple[torch.Tensor, ...], batch_size: int) -> None:
    """Validate tensors to be cut into minibatches: same first dimension ``N >= batch_size``.

    Examples
    --------
    >>> batchable((torch.zeros(4, 2), torch.zeros(4)), 2)
    """
    first = data[0]
    if first.ndim < 1 or first.shape[0] < 1:
        raise ValueError(f"data must have shape (N, ...) with N >= 1, got {tuple(first.shape)}")
    sizes = [t.shape[0] if t.ndim >= 1 else None for t in data]
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            f"the tensors of data must share their first dimension (one row per sample), "
            f"got sizes {sizes}; pass e.g. (x, labels) with len(x) == len(labels)"
        )
    if batch_size > first.shape[0]:
        raise ValueError(
            f"batch_size={batch_size} exceeds the number of samples N={first.shape[0]}; "
            "lower batch_size or pass more data"
        )


def callable_or_none(value: Any, name: str, signature: str) -> None:
    """Validate an optional hook: ``None`` or a callable.

    Examples
    --------
    >>> callable_or_none(print, "callback", "callback(step, values, model)")
    """
    if value is not None and not callable(value):
        raise ValueError(
            f"{name} must be a function {signature} or None, got {type(value).__name__}"
        )
