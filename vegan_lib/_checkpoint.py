"""Checkpoint files of :func:`vegan_lib.train.fit`: atomic writes, safe reads, RNG state.

A checkpoint is a dict ``{model, optimizer, adversary_optimizer, step, history, config,
rng}``: the state dicts, the last finished step, the :class:`~vegan_lib.train.History`
as a dict, :func:`~vegan_lib.train.fit`'s settings, and torch's random state (CPU, and
the current CUDA device's when training there), so that ``fit(..., resume=True)``
continues exactly where the interrupted run stopped.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import torch


def _not_a_checkpoint(path: str, why: str) -> ValueError:
    return ValueError(
        f"{path!r} is not a checkpoint written by vegan_lib.fit ({why}); pass the file that "
        "fit(..., checkpoint=path) wrote"
    )


def _numbers(values: Any) -> bool:
    return isinstance(values, (list, tuple)) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    )


def _check_payload(payload: Any, path: str) -> dict:
    """Validate what ``torch.load`` read from a checkpoint of :func:`vegan_lib.train.fit`.

    A dict with ``"model"`` (a state dict of tensors) and ``"step"`` (an integer), and
    optionally ``"history"`` (term -> list of numbers, ``"wall_time"`` a number),
    ``"config"`` (a dict) and ``"optimizer"``, ``"adversary_optimizer"`` (dicts or None).

    Examples
    --------
    >>> _check_payload({"model": {"w": torch.zeros(1)}, "step": 3}, "run.pt")["step"]
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


def ensure_state_fits(model: torch.nn.Module, state: dict, path: str) -> None:
    """Raise ``ValueError``, before anything is copied, unless ``state`` fits ``model``.

    Same parameter and buffer names, same shapes.

    Examples
    --------
    >>> net = torch.nn.Linear(2, 1)
    >>> ensure_state_fits(net, net.state_dict(), "run.pt")  # passes silently
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


def writable_path(path: Any, name: str = "checkpoint") -> str:
    """Validate a checkpoint file to write: a path whose directory exists or can be made.

    Raises ``ValueError`` before any training for a path that is not a string or
    path-like, names an existing directory, or lies under a file.

    Examples
    --------
    >>> writable_path("runs/model.pt")
    'runs/model.pt'
    """
    try:
        path = os.fspath(path)
    except TypeError:
        raise ValueError(
            f"{name} must be a file path (str or os.PathLike), got {type(path).__name__}; "
            f"e.g. {name}='runs/model.pt'"
        ) from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path:
        raise ValueError(f"{name} is an empty path; name the file, e.g. {name}='model.pt'")
    if os.path.isdir(path):
        raise ValueError(
            f"{name}={path!r} is a directory, not a file; name the file to write, e.g. "
            f"{name}={os.path.join(path, 'model.pt')!r}"
        )
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise ValueError(
            f"{name}={path!r} lies under {parent!r}, which is a file; choose another path"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{name}={path!r} cannot be written: {parent!r} is not writable")
    return path


def save_atomic(payload: dict[str, Any], path: str | os.PathLike) -> None:
    """Write ``payload`` with ``torch.save`` to a temporary file, then rename it to ``path``."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pt")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def read(path: str | os.PathLike, map_location: str | torch.device) -> dict[str, Any]:
    """Load and validate a checkpoint with ``torch.load(..., weights_only=True)``.

    Raises
    ------
    ValueError
        If the file is not a checkpoint of ``fit`` (truncated, empty, another format).
    FileNotFoundError
        If there is no such file.
    """
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # the file system's own message says it best
    except Exception as err:  # truncated, empty, text, pickled code: one message for all
        why = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        raise ValueError(
            f"{path!r} is not a checkpoint written by vegan_lib.fit (torch.load failed with "
            f"{why[:200]}); pass the file that fit(..., checkpoint=path) wrote"
        ) from err
    return _check_payload(payload, os.fspath(path))


def rng_state(device: torch.device) -> dict[str, torch.Tensor]:
    """Torch's random state: the CPU generator's, and the CUDA device's when on CUDA."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_rng(state: dict[str, torch.Tensor], device: torch.device) -> None:
    """Restore what :func:`rng_state` saved."""
    torch.set_rng_state(state["cpu"].cpu())
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"].cpu(), device)
