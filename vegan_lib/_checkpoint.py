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

from vegan_lib._checks import check_checkpoint_payload


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
    return check_checkpoint_payload(payload, os.fspath(path))


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
