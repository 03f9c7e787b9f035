"""Validation of what networks and models take and return.

Batches, codes, logits, per-sample losses, widths.

Part of :mod:`vegan_lib._checks`, the library's one validation layer.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from vegan_lib._checks.values import check_positive_int


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


def check_scalar(t: Any, name: str) -> None:
    """Raise ``ValueError`` unless ``t`` is a 0-dimensional tensor.

    Examples
    --------
    >>> check_scalar(torch.tensor(0.5), "penalty")  # passes silently
    """
    if not isinstance(t, torch.Tensor) or t.ndim != 0:
        shape = getattr(t, "shape", None)
        raise ValueError(
            f"{name} must be a 0-dimensional tensor, got shape "
            f"{None if shape is None else tuple(shape)}; reduce it to one number (e.g. .mean())"
        )
    if not t.is_floating_point():
        raise ValueError(
            f"{name} must be a real floating-point number, got dtype {t.dtype}; convert it "
            f"with {name}.float() (or take {name}.real of a complex tensor)"
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


def check_critic_and_constraint(critic: Any, lipschitz: Any, choices: tuple[str, ...]) -> None:
    """Validate a critic to train and its Lipschitz constraint ``lipschitz`` in ``choices``.

    The critic must be an ``nn.Module`` with parameters, spectrally normalised for
    ``lipschitz="sn"``.

    Examples
    --------
    >>> check_critic_and_constraint(torch.nn.Linear(2, 1), "gp", ("gp", "clip", "sn", "none"))
    """
    if not isinstance(lipschitz, str) or lipschitz not in choices:
        raise ValueError(
            f"unknown lipschitz constraint {lipschitz!r}; choose one of {list(choices)}"
        )
    if not isinstance(critic, torch.nn.Module):
        raise ValueError(f"critic must be an nn.Module, got {type(critic).__name__}")
    if next(iter(critic.parameters()), None) is None:
        raise ValueError("the critic has no parameters to train; pass e.g. nets.Critic(2)")
    if lipschitz == "sn" and not any(
        torch.nn.utils.parametrize.is_parametrized(m) for m in critic.modules()
    ):
        raise ValueError(
            "lipschitz='sn' needs a spectrally normalised critic; build it with "
            "Critic(x_dim, spectral_norm=True)"
        )


def _expect_tensor(x: Any, who: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{who} expects a torch.Tensor, got {type(x).__name__}; "
            "convert it with torch.as_tensor(x, dtype=torch.float32)"
        )


def check_widths(widths: Any, name: str) -> tuple[int, ...]:
    """Validate layer widths: a (possibly empty) sequence of positive integers.

    Examples
    --------
    >>> check_widths([64, 32], "hidden")
    (64, 32)
    """
    try:
        values = tuple(widths)
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of positive integers, got {widths!r}; "
            f"e.g. {name}=(128, 128)"
        ) from None
    for w in values:
        check_positive_int(w, f"every entry of {name}", f"{name}=(128, 128)")
    return values


def check_channels(channels: Any, name: str = "channels") -> tuple[int, int]:
    """Validate the channels of the two stride-2 convolutions: two positive integers.

    Examples
    --------
    >>> check_channels((32, 64))
    (32, 64)
    """
    values = check_widths(channels, name)
    if len(values) != 2:
        raise ValueError(
            f"{name} must hold exactly two widths (one per stride-2 layer), got {values}; "
            f"e.g. {name}=(32, 64)"
        )
    return values  # type: ignore[return-value]


def _check_like(x: torch.Tensor, like: torch.Tensor | None, who: str, name: str) -> None:
    """The batch ``x`` must have the dtype and the device of the network's weights ``like``."""
    if like is None:
        return
    v = "noise" if name == "noise" else "x"
    if x.dtype != like.dtype:
        fix = (
            f"convert 8-bit images with {v}.float() / 255, other integers with "
            f"{v}.to({like.dtype})" if not x.is_floating_point()
            else f"convert it with {v}.to({like.dtype}), or the network with "
            f"net.to({x.dtype})"
        )
        raise ValueError(
            f"{who} expects {name} of dtype {like.dtype} (the dtype of its weights), got "
            f"{x.dtype}; {fix}"
        )
    if x.device != like.device:
        raise ValueError(
            f"{who} lives on {like.device} but its {name} on {x.device}; move one of them, "
            f"e.g. {v} = {v}.to({str(like.device)!r})"
        )


def check_net_input(
    x: Any, dim: int, who: str, name: str = "input", like: torch.Tensor | None = None
) -> None:
    """Raise ``ValueError`` unless ``x`` is a tensor of shape (N, dim), the input of ``who``.

    With ``like`` (a weight of the network), ``x`` must also have its dtype and device.

    Examples
    --------
    >>> check_net_input(torch.zeros(5, 2), 2, "MLP")  # passes silently
    """
    _expect_tensor(x, who)
    if x.ndim != 2 or x.shape[1] != dim:
        hint = (
            "; flatten each sample with x.flatten(1)"
            if x.ndim > 2 and math.prod(x.shape[1:]) == dim
            else ""
        )
        raise ValueError(f"{who} expects {name} of shape (N, {dim}), got {tuple(x.shape)}{hint}")
    _check_like(x, like, who, name)


def check_net_images(x: Any, who: str, like: torch.Tensor | None = None) -> None:
    """Raise ``ValueError`` unless ``x`` is a batch of 28 x 28 grey images (N, 1, 28, 28).

    With ``like`` (a weight of the network), ``x`` must also have its dtype and device.

    Examples
    --------
    >>> check_net_images(torch.zeros(3, 1, 28, 28), "ConvEncoder")  # passes silently
    """
    _expect_tensor(x, who)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        hint = (
            "; reshape flat images with x.reshape(-1, 1, 28, 28)"
            if x.numel() > 0 and x.numel() % 784 == 0
            else ""
        )
        raise ValueError(
            f"{who} expects images of shape (N, 1, 28, 28), got {tuple(x.shape)}{hint}"
        )
    _check_like(x, like, who, "images")


def check_net_noise(
    noise: Any, n: int, noise_dim: int, who: str, like: torch.Tensor | None = None
) -> None:
    """Raise ``ValueError`` unless the injected ``noise`` of ``who`` has shape (n, noise_dim).

    With ``like`` (the data batch), ``noise`` must also have its dtype and device.

    Examples
    --------
    >>> check_net_noise(torch.zeros(5, 3), 5, 3, "NoisyMLPEncoder")  # passes silently
    """
    _expect_tensor(noise, who)
    if tuple(noise.shape) != (n, noise_dim):
        raise ValueError(
            f"{who} expects noise of shape ({n}, {noise_dim}), got {tuple(noise.shape)}; "
            "pass noise=None to draw it from N(0, I)"
        )
    _check_like(noise, like, who, "noise")


def check_diag_gaussians(
    mean: Any, logvar: Any, names: tuple[str, str] = ("mean", "logvar")
) -> None:
    """Validate N >= 1 diagonal Gaussians: ``mean``, ``logvar`` float tensors of one shape (N, d).

    Examples
    --------
    >>> check_diag_gaussians(torch.zeros(3, 2), torch.zeros(3, 2))  # passes silently
    """
    for name, t in zip(names, (mean, logvar), strict=True):
        if not isinstance(t, torch.Tensor) or not t.is_floating_point() or t.ndim != 2:
            shape = getattr(t, "shape", None)
            raise ValueError(
                f"{name} must be a 2-D floating-point tensor of shape (N, z_dim), got shape "
                f"{None if shape is None else tuple(shape)}; the encoder returns (mean, logvar)"
            )
    if mean.shape != logvar.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {tuple(mean.shape)} and "
            f"{tuple(logvar.shape)}; the encoder must output one log-variance per code axis"
        )
    if mean.shape[0] == 0:
        raise ValueError(f"{names[0]} is empty; pass at least one posterior")


def check_query_codes(z: Any, z_dim: int, name: str) -> None:
    """Raise ``ValueError`` unless ``z`` is a tensor of codes of shape (M, z_dim).

    Examples
    --------
    >>> check_query_codes(torch.zeros(4, 2), 2, "mean_query")  # passes silently
    """
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or z.shape[1] != z_dim:
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"{name} must have shape (M, {z_dim}), one code per row, got {got}")


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


def check_activation(activation: Any, name: str = "activation") -> None:
    """Validate an activation factory: a class or function returning an ``nn.Module``.

    Examples
    --------
    >>> check_activation(torch.nn.ReLU)  # passes silently
    """
    if isinstance(activation, torch.nn.Module) or not callable(activation):
        got = f"an instance {activation!r}" if isinstance(activation, torch.nn.Module) else (
            f"{type(activation).__name__} {activation!r}"
        )
        raise ValueError(
            f"{name} must be a class or function that makes an activation module, such as "
            f"nn.ReLU or lambda: nn.LeakyReLU(0.2), got {got}; pass the class, not an instance"
        )


def check_activation_module(layer: Any, name: str = "activation") -> torch.nn.Module:
    """Validate what an activation factory returned: an ``nn.Module``.

    Examples
    --------
    >>> check_activation_module(torch.nn.Tanh())
    Tanh()
    """
    if not isinstance(layer, torch.nn.Module):
        raise ValueError(
            f"{name}() must return an nn.Module such as nn.ReLU(), got "
            f"{type(layer).__name__}; pass e.g. {name}=nn.ReLU"
        )
    return layer


def _not_a_checkpoint(path: str, why: str) -> ValueError:
    return ValueError(
        f"{path!r} is not a checkpoint written by vegan_lib.fit ({why}); pass the file that "
        "fit(..., checkpoint=path) wrote"
    )


def _numbers(values: Any) -> bool:
    return isinstance(values, (list, tuple)) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    )


def check_checkpoint_payload(payload: Any, path: str) -> dict:
    """Validate what ``torch.load`` read from a checkpoint of :func:`vegan_lib.train.fit`.

    A dict with ``"model"`` (a state dict of tensors) and ``"step"`` (an integer), and
    optionally ``"history"`` (term -> list of numbers, ``"wall_time"`` a number),
    ``"config"`` (a dict) and ``"optimizer"``, ``"adversary_optimizer"`` (dicts or None).

    Examples
    --------
    >>> check_checkpoint_payload({"model": {"w": torch.zeros(1)}, "step": 3}, "run.pt")["step"]
    3
    """
    if not isinstance(payload, dict):
        raise _not_a_checkpoint(path, f"it holds a {type(payload).__name__}, not a dict")
    missing = [k for k in ("model", "step") if k not in payload]
    if missing:
        raise _not_a_checkpoint(path, f"no {' or '.join(repr(k) for k in missing)} entry")
    state = payload["model"]
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise _not_a_checkpoint(path, "its 'model' entry is not a state dict of tensors")
    step = payload["step"]
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise _not_a_checkpoint(path, f"its step is {step!r}, not a non-negative integer")
    history = payload.get("history", {})
    if not isinstance(history, dict) or not all(
        isinstance(k, str) and (_numbers(v) if k != "wall_time" else _numbers([v]))
        for k, v in history.items()
    ):
        raise _not_a_checkpoint(path, "its 'history' entry is not a dict of lists of numbers")
    if not isinstance(payload.get("config", {}), dict):
        raise _not_a_checkpoint(path, "its 'config' entry is not a dict")
    for key in ("optimizer", "adversary_optimizer"):
        if not isinstance(payload.get(key), (dict, type(None))):
            raise _not_a_checkpoint(path, f"its {key!r} entry is not an optimizer state dict")
    return payload


def check_state_dict_fits(model: torch.nn.Module, state: dict, path: str) -> None:
    """Raise ``ValueError``, before anything is copied, unless ``state`` fits ``model``.

    Same parameter and buffer names, same shapes.

    Examples
    --------
    >>> net = torch.nn.Linear(2, 1)
    >>> check_state_dict_fits(net, net.state_dict(), "run.pt")  # passes silently
    """
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [
        f"{k}: {tuple(state[k].shape)} in the file, {tuple(own[k].shape)} in the model"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = [f"missing {missing[:3]}" if missing else "",
                 f"unexpected {unexpected[:3]}" if unexpected else "", "; ".join(shapes[:3])]
        raise ValueError(
            f"{path!r} was written for another architecture than this "
            f"{type(model).__name__} ({', '.join(p for p in parts if p)}); build the model "
            "with the settings it was trained with"
        )
