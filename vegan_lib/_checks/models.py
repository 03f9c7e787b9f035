"""Validation of what networks and models take and return.

Batches, codes, logits, per-sample losses, widths.

Part of :mod:`vegan_lib._checks`, the library's one validation layer.
"""

from __future__ import annotations

from typing import Any

import torch


def check_same_shape(x: Any, y: Any, names: tuple[str, str] = ("x", "y")) -> None:
    """Raise ``ValueError`` unless ``x`` and ``y`` are floating-point batches (N, ...) of one shape.

    Examples
    --------
    >>> check_same_shape(torch.zeros(2, 3), torch.ones(2, 3))  # passes silently
    """
    for name, t in zip(names, (x, y), strict=True):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            raise ValueError(
                f"{name} must be a floating-point tensor with the batch on axis 0; "
                f"convert it with torch.as_tensor({name}, dtype=torch.float32)"
            )
        if t.ndim == 0:
            raise ValueError(f"{name} is 0-dimensional; costs are per sample, pass shape (N, ...)")
    if x.shape != y.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {tuple(x.shape)} and "
            f"{tuple(y.shape)}; the decoder's output must have the data's shape"
        )
    check_same_device(x, y, names)
    if x.shape[0] == 0:
        raise ValueError(
            f"empty batches: shape {tuple(x.shape)} holds no samples; pass at least one sample"
        )


def check_same_device(x: torch.Tensor, y: torch.Tensor, names: tuple[str, str]) -> None:
    """Raise ``ValueError`` unless the tensors ``x`` and ``y`` live on one device.

    Examples
    --------
    >>> check_same_device(torch.zeros(2), torch.ones(3), ("x", "y"))  # passes silently
    """
    if x.device != y.device:
        raise ValueError(
            f"{names[0]} is on {x.device} but {names[1]} on {y.device}; move them to one "
            f"device first, e.g. {names[1]} = {names[1]}.to({names[0]}.device)"
        )


def check_per_sample(t: Any, name: str, hint: str) -> None:
    """Raise ``ValueError`` unless ``t`` is a non-empty 1-D float tensor (one value per sample).

    ``hint`` ends the error message: how to fix the call.

    Examples
    --------
    >>> check_per_sample(torch.zeros(3), "nll", "pass per-sample values")  # passes silently
    """
    if isinstance(t, torch.Tensor) and t.ndim == 1 and not t.is_floating_point():
        raise ValueError(
            f"{name} must hold real floating-point values, got dtype {t.dtype}; convert it "
            f"with {name}.float() (or take {name}.real of a complex tensor)"
        )
    if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.ndim != 1:
        shape = getattr(t, "shape", None)
        raise ValueError(
            f"{name} must be a 1-D floating-point tensor of per-sample values, shape (N,), "
            f"got shape {None if shape is None else tuple(shape)}; {hint}"
        )
    if t.shape[0] == 0:
        raise ValueError(f"{name} is empty; use a batch with at least one sample")


def check_logits_or_scores(t: Any, name: str) -> None:
    """:func:`check_per_sample` for a discriminator's logits or a critic's scores.

    Examples
    --------
    >>> check_logits_or_scores(torch.zeros(4), "scores_real")  # passes silently
    """
    check_per_sample(
        t, name, "a critic or discriminator must return one score per sample (a logit for a "
        "discriminator); squeeze a trailing axis with .squeeze(-1)"
    )


def check_output_shape(output: Any, data: torch.Tensor, network: str) -> None:
    """Raise ``ValueError`` unless a network's ``output`` has the shape of the ``data`` batch.

    Examples
    --------
    >>> check_output_shape(torch.zeros(2, 3), torch.ones(2, 3), "decoder")  # passes silently
    """
    shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
    if not isinstance(output, torch.Tensor) or output.shape != data.shape:
        raise ValueError(
            f"the {network} returned shape {shape} for data of shape {tuple(data.shape)}; "
            f"make the {network}'s output match the data"
        )


def check_codes(z: Any, z_dim: int, what: str = "codes") -> torch.Tensor:
    """Validate an encoder's output ``what``: a tensor of shape (N, z_dim); return it.

    Examples
    --------
    >>> check_codes(torch.zeros(5, 2), 2).shape
    torch.Size([5, 2])
    """
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != z_dim:
        shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(
            f"the encoder returned {what} of shape {shape}, but they must have shape "
            f"(N, {z_dim}); make the encoder's output size equal z_dim"
        )
    return z


def check_classifier(classifier: Any, needs_features: bool = False) -> torch.nn.Module:
    """Validate an ``nn.Module`` classifier, with a ``features(x)`` method if ``needs_features``.

    Examples
    --------
    >>> check_classifier(torch.nn.Linear(784, 10))
    Linear(in_features=784, out_features=10, bias=True)
    """
    if not isinstance(classifier, torch.nn.Module):
        raise ValueError(
            f"classifier must be an nn.Module, got {type(classifier).__name__}; train one "
            "with train_digit_classifier(x, y)"
        )
    if needs_features and not callable(getattr(classifier, "features", None)):
        raise ValueError(
            f"classifier ({type(classifier).__name__}) has no features(x) method; use a "
            "DigitClassifier, e.g. train_digit_classifier(x, y)"
        )
    return classifier


def check_module(value: Any, name: str, example: str) -> torch.nn.Module:
    """Validate a network argument: an ``nn.Module`` (whose parameters a model trains).

    Examples
    --------
    >>> check_module(torch.nn.Linear(2, 2), "encoder", "MLPEncoder(2, 8)")
    Linear(in_features=2, out_features=2, bias=True)
    """
    if not isinstance(value, torch.nn.Module):
        raise ValueError(
            f"{name} must be an nn.Module (its parameters are trained), got "
            f"{type(value).__name__}; e.g. {name}={example}, or wrap a function in a module"
        )
    return value


