"""Checkpoint files of :func:`vegan_lib.train.fit`: atomic writes, safe reads, RNG state.

A checkpoint is a dict ``{model, optimizer, adversary_optimizer, step, history, config,
rng}``: the state dicts, the last finished step, the :class:`~vegan_lib.train.History`
as a dict, :func:`~vegan_lib.train.fit`'s settings (with, under ``"objective"``, what the
model minimises: :func:`objective`), and torch's random state (CPU, and the current CUDA
device's when training there), so that ``fit(..., resume=True)`` continues exactly where
the interrupted run stopped. Before it loads anything, :func:`validate_for_resume` checks
the whole file against the fit that resumes it; a refused file leaves the model, the
optimizers and the file as they were. A file written before the objective was recorded
is still resumed (only that record's absence is forgiven).
"""

from __future__ import annotations

import dataclasses
import numbers
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


# --------------------------------------------------------------------------- resuming
_OBJECTIVE_ATTRIBUTES = ("divergence", "lam", "lam_aae", "cost", "lipschitz", "gp_weight",
                         "clip", "sigma2", "beta", "generator_loss", "z_dim", "mmd_kernel",
                         "mmd_scales", "wcg_reg")


_SKIP = object()  # an attribute that is absent, or not recorded


def _plain(value: Any) -> Any:
    """``value`` as what a ``weights_only`` load reads back equal, or ``_SKIP``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (tuple, list)):
        items = [_plain(v) for v in value]
        return _SKIP if any(v is _SKIP for v in items) else items
    if isinstance(value, (torch.Tensor, torch.nn.Module)) or not callable(value):
        return _SKIP  # a learnt value, a network or an object without a stable name
    text = repr(value)  # a cost: its repr, unless that holds a memory address
    return text if " at 0x" not in text else getattr(value, "__qualname__", type(value).__name__)


def objective(model: torch.nn.Module) -> dict[str, Any]:
    """What ``model`` minimises, as :func:`vegan_lib.train.fit` records it in a checkpoint.

    The class name, the attributes among ``divergence``, ``lam`` (POT units), ``lam_aae``,
    ``cost``, ``lipschitz``, ``gp_weight``, ``clip``, ``sigma2``, ``beta``,
    ``generator_loss``, ``z_dim``, ``mmd_kernel``, ``mmd_scales`` and ``wcg_reg`` that it
    has (plain values only: not tensors or networks, which training changes), and its
    ``facts`` (:class:`~vegan_lib.protocol.ModelFacts`) as ``"facts.<field>"``.

    Examples
    --------
    >>> from vegan_lib.pot import POTModel
    >>> o = objective(POTModel.for_toy(hidden=(4,)))
    >>> o["model"], o["divergence"], o["lam"], o["cost"], o["facts.latent_penalty"]
    ('POTModel', 'mmd', 10.0, 'squared', 'MMD')
    """
    found: dict[str, Any] = {"model": type(model).__name__}
    for name in _OBJECTIVE_ATTRIBUTES:
        value = _plain(getattr(model, name, _SKIP))
        if value is not _SKIP:
            found[name] = value
    facts = getattr(model, "facts", None)
    if dataclasses.is_dataclass(facts) and not isinstance(facts, type):
        for name, value in dataclasses.asdict(facts).items():
            if _plain(value) is not _SKIP:
                found[f"facts.{name}"] = _plain(value)
    return found


def _cannot_resume(path: str, why: str) -> ValueError:
    return ValueError(
        f"checkpoint={path!r} cannot be resumed: {why}; nothing was loaded: delete it, pass "
        "another checkpoint path, or resume=False to start again"
    )


def _check_settings(payload: dict, path: str, config: dict) -> None:
    def settings(c: dict) -> dict:
        return {k: v for k, v in c.items() if k not in ("steps", "objective")}

    stored = settings(payload.get("config", {}))
    if stored != settings(config):
        raise ValueError(
            f"{path!r} was written by a fit with other settings ({stored}); "
            "delete it, pass another checkpoint path, or resume=False to start again"
        )
    done, steps = payload["step"], config["steps"]
    if done > steps:
        raise ValueError(
            f"checkpoint={path!r} holds {done} finished steps, more than steps={steps}: "
            f"resuming would label its step-{done} weights and history as step {steps}; pass "
            f"steps>={done} to continue that run, or another checkpoint path (or "
            "resume=False) to start a new one"
        )


def _check_objective(payload: dict, path: str, model: torch.nn.Module, config: dict) -> None:
    stored = payload.get("config", {}).get("objective", _SKIP)
    if stored is _SKIP:  # written before checkpoints recorded the objective
        return
    if not isinstance(stored, dict):
        raise _cannot_resume(path, "its config's 'objective' entry is not a dict")
    own = config.get("objective") or objective(model)
    differ = [f"{k} is {stored.get(k, 'absent')!r} in the file, {own.get(k, 'absent')!r} in "
              "the model" for k in sorted(set(stored) | set(own))
              if stored.get(k, _SKIP) != own.get(k, _SKIP)]
    if differ:
        raise ValueError(
            f"checkpoint={path!r} was written for another objective than this "
            f"{type(model).__name__} ({'; '.join(differ[:4])}); nothing was loaded: build the "
            "model with the settings it was trained with, or pass another checkpoint path "
            "(or resume=False to start again)"
        )


def _check_optimizer(state: Any, optimizer: torch.optim.Optimizer, key: str, path: str) -> None:
    # Compared with the optimizer's own state_dict(): as many groups, as many parameters in
    # each, numeric settings (lr, betas, ...) of the kind of the optimizer's defaults, and
    # per-parameter state that is 0-dim (a step count) or shaped as its parameter.
    own = optimizer.state_dict()["param_groups"]
    if not isinstance(state, dict) or not isinstance(state.get("state"), dict) or not (
            isinstance(state.get("param_groups"), list)):
        got = "None" if state is None else (
            f"a {type(state).__name__} without 'state' and 'param_groups'")
        raise _cannot_resume(path, f"its {key!r} entry is {got}, not an optimizer state dict")
    groups = state["param_groups"]
    sizes = [len(g["params"]) if isinstance(g, dict) and isinstance(g.get("params"), list)
             and all(isinstance(i, int) for i in g["params"]) else None for g in groups]
    if sizes != [len(g["params"]) for g in own]:
        raise _cannot_resume(
            path, f"its {key!r} entry has parameter groups of sizes {sizes}, where this "
            f"model's optimizer has {[len(g['params']) for g in own]}")
    for k, default in optimizer.defaults.items():  # lr, betas, eps, ...: their kind
        kind = (int, float) if isinstance(default, (int, float)) else type(default)
        if isinstance(default, (int, float, tuple)) and not isinstance(default, bool) and not all(
                isinstance(g.get(k), kind) for g in groups):
            raise _cannot_resume(path, f"its {key!r} entry has a parameter group without a "
                                 f"valid {k!r} (the optimizer needs e.g. {k}={default!r})")
    params = [p for g in optimizer.param_groups for p in g["params"]]
    shapes = dict(zip([i for g in groups for i in g["params"]],
                      [p.shape for p in params], strict=True))
    for i, entry in state["state"].items():
        if i not in shapes or not isinstance(entry, dict) or any(
                isinstance(v, torch.Tensor) and v.ndim and v.shape != shapes[i]
                for v in entry.values()):
            raise _cannot_resume(
                path, f"its {key!r} entry holds a state for parameter {i!r} that does not fit "
                "this model's optimizer")


def _check_rng(state: Any, path: str, device: torch.device) -> None:
    # Types, dtypes and shapes first, then a trial set of each generator, restored at once
    # (a ByteTensor of the right size can still be an invalid Mersenne Twister state).
    if not isinstance(state, dict) or "cpu" not in state:
        raise _cannot_resume(path, "its 'rng' entry is not torch's random state ({'cpu': ...})")
    cuda = device.type == "cuda" and "cuda" in state
    generators = [("cpu", torch.get_rng_state, torch.set_rng_state)]
    if cuda:
        generators.append(("cuda", lambda: torch.cuda.get_rng_state(device),
                           lambda s: torch.cuda.set_rng_state(s, device)))
    for name, get, put in generators:
        value, own = state[name], get()
        if not isinstance(value, torch.Tensor) or value.dtype != torch.uint8 or (
                value.shape != own.shape):
            got = (f"a {value.dtype} tensor of shape {tuple(value.shape)}"
                   if isinstance(value, torch.Tensor) else f"a {type(value).__name__}")
            raise _cannot_resume(path, f"its {name} random state is {got}, not a ByteTensor "
                                 f"of shape {tuple(own.shape)}")
        try:
            put(value.cpu())
        except (RuntimeError, ValueError) as err:
            raise _cannot_resume(path, f"its {name} random state is invalid ({err})") from None
        finally:
            put(own)


def _check_history(payload: dict, path: str) -> None:
    steps = payload.get("history", {}).get("step", [])
    if not all(isinstance(s, int) for s in steps) or any(
            b <= a for a, b in zip(steps, steps[1:], strict=False)) or (
            steps and steps[-1] > payload["step"]):
        raise _cannot_resume(path, f"its history's steps are not increasing integers up to "
                             f"its step {payload['step']}")


def validate_for_resume(payload: dict, path: str, model: torch.nn.Module,
                        optimizers: dict[str, torch.optim.Optimizer | None],
                        config: dict, device: torch.device) -> None:
    """Raise ``ValueError`` unless ``fit`` can continue from ``payload`` in every respect.

    ``payload`` is what :func:`read` returned (its schema checked there); ``optimizers``
    maps ``"optimizer"`` and ``"adversary_optimizer"`` to the fit's optimizers (the latter
    ``None`` without an adversary), ``config`` holds the fit's settings and objective. The
    whole file is checked before anything is loaded: settings (``steps`` at least the
    file's step), objective (skipped for a file that predates its record), architecture,
    optimizer states, random state and history. A refused file leaves the model, the
    optimizers and the file as they were.
    """
    path = os.fspath(path)
    _check_settings(payload, path, config)
    _check_objective(payload, path, model, config)
    ensure_state_fits(model, payload["model"], path)
    for key, optimizer in optimizers.items():
        if optimizer is not None:
            _check_optimizer(payload.get(key), optimizer, key, path)
        elif payload.get(key) is not None:
            raise _cannot_resume(path, f"it holds an {key!r} but this {type(model).__name__} "
                                 "has no adversary")
    if "rng" not in payload:
        raise _cannot_resume(path, "it has no 'rng' entry (torch's random state)")
    _check_rng(payload["rng"], path, device)
    _check_history(payload, path)
