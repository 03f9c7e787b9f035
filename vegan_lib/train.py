r"""One training loop for every model of the book: :func:`fit`.

The model protocol
------------------
:func:`fit` trains any ``nn.Module`` that provides

``losses(x) -> dict[str, Tensor]``
    0-dim tensors for one batch ``x``; the key ``"loss"`` is what the main optimizer
    minimises, every other key is a part of it that is logged (e.g. ``"reconstruction"``,
    ``"penalty"``).

and optionally

``main_parameters() -> iterable of Parameter``
    what the main optimizer updates (default: every parameter not in the adversary's);
``adversary_parameters() -> iterable of Parameter``
    the parameters of an adversary (a latent discriminator for WAE-GAN, a critic for
    WGAN, the discriminator of AVB). Empty or absent means "no adversary";
``adversary_loss(x) -> dict[str, Tensor]``
    required when ``adversary_parameters()`` is not empty: the adversary's losses on a
    batch, key ``"loss"`` minimised by the adversary's own Adam optimizer. It should
    detach whatever the main networks produce, so that it trains the adversary only.
``after_adversary_step() -> None``
    called after every update of the adversary, e.g. to clip a WGAN critic's weights;
``after_step() -> None``
    called after every update of the main parameters (e.g. to clip a critic trained as
    the main model);
``uses_labels`` (class attribute, default ``False``)
    ``True`` if ``losses`` takes the whole batch ``(x, labels, ...)`` rather than ``x``
    (a classifier).

One step of :func:`fit` is

1. if there is an adversary: ``adversary_steps`` updates of it, each on
   ``adversary_loss(batch)["loss"]`` (the first on the step's batch, each further one
   on a fresh batch, as in WGAN's critic loop);
2. one update of the main parameters on ``losses(batch)["loss"]``, then
   ``after_step()`` and the caller's ``callback(step, values, model)``.

Every term and every gradient is checked to be finite *before* its optimizer step, and
the terms are logged as python floats in a :class:`History` (the adversary's as
``"adversary/<term>"``, from its last update of the step). The check costs one
device-to-host copy per update: after the backward pass, the terms and a flag "every
gradient is finite" (computed on the device) travel to the host together, and the
optimizer steps only if all are finite. On a GPU this copy is the update's only
synchronisation; the values it brings are those the callback and the history receive.
Under ``torchrun`` every process trains on its share of each batch and all take the
same steps (``vegan_lib._distributed``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from vegan_lib import _checkpoint, _distributed, _fit_checks, _progress
from vegan_lib._checks import (
    check_betas,
    check_device,
    check_module,
    check_seed,
)
from vegan_lib._checks import check_positive as _positive_float
from vegan_lib._checks import check_positive_int as _positive_int

__all__ = ["History", "fit", "load_checkpoint"]

_RESERVED = ("step", "wall_time")


@dataclass
class History:
    r"""Training curves: every logged term as a list of python floats.

    Attributes
    ----------
    step : list of int
        The (1-based) step numbers at which the terms were recorded.
    terms : dict of str to list of float
        One list per term, aligned with ``step``.
    wall_time : float
        Seconds spent in :func:`fit`.

    Examples
    --------
    >>> h = History()
    >>> h.record(1, {"loss": 2.0}); h.record(2, {"loss": 1.5})
    >>> h["loss"], h.last("loss"), h.step
    ([2.0, 1.5], 1.5, [1, 2])
    """

    step: list[int] = field(default_factory=list)
    terms: dict[str, list[float]] = field(default_factory=dict)
    wall_time: float = 0.0

    def record(self, step: int, values: dict[str, float]) -> None:
        """Append one row: ``step`` and one float per term."""
        self.step.append(int(step))
        for name, value in values.items():
            self.terms.setdefault(name, []).append(float(value))

    def __getitem__(self, term: str) -> list[float]:
        if term == "step":
            return self.step
        if term not in self.terms:
            raise KeyError(f"no term {term!r} in the history; recorded terms: {list(self.terms)}")
        return self.terms[term]

    def __contains__(self, term: object) -> bool:
        return term == "step" or term in self.terms

    def __len__(self) -> int:
        return len(self.step)

    def last(self, term: str) -> float:
        """The most recent value of ``term``."""
        values = self[term]
        if not values:
            raise KeyError(f"term {term!r} has no values yet")
        return values[-1]

    def as_dict(self) -> dict[str, Any]:
        """Plain dict ``{"step": [...], <term>: [...], ..., "wall_time": float}``.

        Only lists of numbers and one float, so it can be stored in a checkpoint that
        loads with ``weights_only=True``, or passed to ``pandas.DataFrame``.
        """
        return {
            "step": list(self.step),
            **{k: list(v) for k, v in self.terms.items()},
            "wall_time": float(self.wall_time),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """Inverse of :meth:`as_dict`."""
        terms = {k: [float(x) for x in v] for k, v in d.items() if k not in _RESERVED}
        return cls(
            step=[int(s) for s in d.get("step", [])],
            terms=terms,
            wall_time=float(d.get("wall_time", 0.0)),
        )


# --------------------------------------------------------------------------- batches
Batch = torch.Tensor | tuple[torch.Tensor, ...]


def _tensor_batches(
    data: tuple[torch.Tensor, ...], batch_size: int, seed: int, rank: int = 0, world_size: int = 1
) -> Iterator[tuple[torch.Tensor, ...]]:
    # Without replacement within an epoch, reshuffled each epoch, dropping the last
    # incomplete batch so every batch has batch_size samples (the MMD needs n >= 2). The
    # tensors of a tuple (e.g. images and labels) share one permutation. Under torchrun
    # every rank draws the same global batch and keeps its slice of it.
    generator = torch.Generator().manual_seed(seed)
    n = data[0].shape[0]
    shard = batch_size // world_size
    while True:
        order = torch.randperm(n, generator=generator)
        # One copy of the permutation per device and epoch, not one per batch: a copy
        # from the host waits for the GPU to finish its queued work.
        orders = {device: order.to(device) for device in {t.device for t in data}}
        for start in range(0, n - batch_size + 1, batch_size):
            mine = slice(start + rank * shard, start + (rank + 1) * shard)
            yield tuple(t[orders[t.device][mine]] for t in data)


def _iterable_batches(data: Iterable) -> Iterator[tuple[torch.Tensor, ...]]:
    while True:
        empty = True
        for item in data:
            empty = False
            parts = tuple(item) if isinstance(item, (tuple, list)) else (item,)
            if not parts or not all(isinstance(t, torch.Tensor) for t in parts):
                raise ValueError(
                    f"data yielded a {type(item).__name__}; it must yield tensors or "
                    "tuples of tensors such as (x, labels), e.g. a DataLoader over a "
                    "TensorDataset"
                )
            yield parts
        if empty:
            raise ValueError(
                "data yielded no batches; pass a tensor, or a re-iterable such as a "
                "DataLoader or a list of tensors (a generator is exhausted after one pass)"
            )


def _batches(
    data: Any, batch_size: int, seed: int, group: _distributed.ProcessGroup | None = None
) -> Iterator[tuple[torch.Tensor, ...]]:
    if isinstance(data, torch.Tensor):
        data = (data,)
    if isinstance(data, tuple) and data and all(isinstance(t, torch.Tensor) for t in data):
        _fit_checks.batchable(data, batch_size)
        if group is None:
            return _tensor_batches(data, batch_size, seed)
        k = group.world_size
        if batch_size % k:
            raise ValueError(
                f"batch_size={batch_size} is the global batch of {k} processes: it must be "
                f"divisible by WORLD_SIZE={k}, e.g. batch_size={max(1, batch_size // k) * k}"
            )
        return _tensor_batches(data, batch_size, seed, group.rank, k)
    if isinstance(data, tuple) and data and isinstance(data[0], torch.Tensor):
        bad = next(type(t).__name__ for t in data if not isinstance(t, torch.Tensor))
        raise ValueError(f"data=(x, labels, ...) holds a {bad}: labels must be a tensor with one "
                         "entry per row of x, e.g. data=(x, torch.as_tensor(labels))")
    if isinstance(data, Iterable):
        return _iterable_batches(data)
    raise ValueError(
        f"data must be a tensor of shape (N, ...), a tuple of such tensors (e.g. "
        f"(x, labels)) or an iterable of batches, got {type(data).__name__}"
    )


def _to_model(
    parts: tuple[torch.Tensor, ...],
    device: torch.device,
    dtype: torch.dtype,
    uses_labels: bool,
) -> Batch:
    # The first tensor is the model's input (cast to its dtype); the others (labels) only
    # move to its device. A model that does not declare uses_labels gets the input alone.
    x = parts[0]
    if not x.is_floating_point():
        raise ValueError(
            f"batches must be floating-point, got dtype {x.dtype}; convert images "
            "with x.float() / 255"
        )
    x = x.to(device=device, dtype=dtype)
    if not uses_labels:
        return x
    if len(parts) < 2:
        raise ValueError("data gave a batch without labels, but the model sets uses_labels=True: "
                         "pass data=(x, labels), labels a tensor with one entry per row of x")
    return (x, *(t.to(device) for t in parts[1:]))


# --------------------------------------------------------------------------- updates
def _loss_terms(terms: Any, prefix: str) -> tuple[torch.Tensor, list[str], torch.Tensor]:
    # The loss to minimise, the terms' names and their values (float64, on the device):
    # no host copy yet, that waits for the guard after the backward pass.
    if not isinstance(terms, dict) or "loss" not in terms:
        raise ValueError(
            f"{prefix or 'losses'}(x) must return a dict of 0-dim tensors with key 'loss'"
        )
    names = list(terms)
    for name in names:
        if name in _RESERVED:
            raise ValueError(f"a loss term may not be called {name!r}; rename it")
        t = terms[name]
        if not isinstance(t, torch.Tensor) or t.ndim != 0:
            raise ValueError(f"loss term {prefix}{name!r} must be a 0-dim tensor")
    values = torch.stack([terms[k].detach().to(torch.float64) for k in names])
    return terms["loss"], names, values


def _guard(
    names: list[str],
    values: torch.Tensor,
    params: list[nn.Parameter],
    step: int,
    prefix: str,
    lr: float,
    group: _distributed.ProcessGroup | None,
) -> dict[str, float]:
    # After the backward pass, before the optimizer step: the update's one device-to-host
    # copy, of the terms and of a flag "every gradient is finite" together. Under
    # torchrun the gradients (by DDP) and the terms are averaged over the ranks, so every
    # rank takes the same step and raises at the same step.
    grads = [p.grad for p in params if p.grad is not None]
    if group is not None:  # DDP averaged the gradients in the backward pass
        _distributed.average_([values], group.world_size)
    if grads:
        # A sum is non-finite whenever one entry is: one small reduction per tensor.
        finite = torch.isfinite(torch.stack([g.sum() for g in grads])).all()
        flag = finite.to(values).reshape(1)
    else:
        flag = values.new_ones(1)
    *host, grads_finite = torch.cat([values, flag]).tolist()
    bad = [
        f"{prefix}{name} = {value}"
        for name, value in zip(names, host, strict=True)
        if not math.isfinite(value)
    ]
    if bad:
        raise RuntimeError(
            f"step {step}: training diverged, non-finite loss term(s): {', '.join(bad)}; "
            f"lower the learning rate (lr={lr:g}) or λ (lam), or check the data for "
            "NaN/inf values"
        )
    if grads_finite != 1.0:
        raise RuntimeError(
            f"step {step}: the gradient of {prefix}loss is NaN or inf although the loss is "
            f"finite; lower the learning rate (lr={lr:g}) or λ (lam), or look for a "
            "non-differentiable point such as sqrt(0) in the loss"
        )
    return {f"{prefix}{k}": v for k, v in zip(names, host, strict=True)}


# --------------------------------------------------------------------------- checkpoints
def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    map_location: str | torch.device | None = None,
) -> dict[str, Any]:
    """Restore a model from a checkpoint written by :func:`fit`.

    The file is read with ``torch.load(..., weights_only=True)``: only tensors and plain
    containers are unpickled, so a checkpoint cannot run code.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file.
    model : nn.Module
        A model of the same architecture; its parameters are overwritten in place.
    map_location : str or torch.device, optional
        Where to load the tensors; defaults to the model's device.

    Returns
    -------
    dict
        ``"step"`` (int), ``"history"`` (:class:`History`), ``"optimizer"`` and
        ``"adversary_optimizer"`` (optimizer state dicts, the latter ``None`` without an
        adversary) and ``"config"`` (the settings of :func:`fit`, and under ``"objective"``
        what the model minimised: ``vegan_lib._checkpoint.objective``).

    Raises
    ------
    ValueError
        If the file is not a checkpoint of :func:`fit` (truncated, empty, another
        format), was written for another architecture (nothing is loaded then), or
        ``model`` is not an ``nn.Module``.
    FileNotFoundError
        If there is no such file.

    Examples
    --------
    >>> import os, tempfile
    >>> from vegan_lib.pot import POTModel
    >>> _ = torch.manual_seed(0)
    >>> model = POTModel.for_toy(hidden=(8,))
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.pt")
    >>> _ = fit(model, torch.randn(20, 2), steps=3, batch_size=10, progress=False,
    ...         checkpoint=path)
    >>> load_checkpoint(path, POTModel.for_toy(hidden=(8,)))["step"]
    3
    """
    check_module(model, "model", "a model built with the settings of the one fit trained")
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        raise ValueError(f"path must be a file path (str or os.PathLike), got {path!r}") from None
    map_location = check_device(map_location, "map_location")
    if map_location is None:
        first = next(iter(model.parameters()), None)
        map_location = first.device if first is not None else "cpu"
    payload = _checkpoint.read(path, map_location)
    _checkpoint.ensure_state_fits(model, payload["model"], path)
    model.load_state_dict(payload["model"])
    return {
        "step": int(payload["step"]),
        "history": History.from_dict(payload.get("history", {})),
        "optimizer": payload.get("optimizer"),
        "adversary_optimizer": payload.get("adversary_optimizer"),
        "config": payload.get("config", {}),
    }


# --------------------------------------------------------------------------- fit
class _Run:
    """One call of :func:`fit`: its settings, model, optimizers, batches and history."""

    def __init__(self, model: nn.Module, data: Any, steps: int, batch_size: int, lr: float,
                 betas: tuple[float, float], adversary_lr: float | None, adversary_steps: int,
                 optimizer: str, seed: int, device: str | torch.device | None,
                 checkpoint: str | os.PathLike | None, checkpoint_every: int | None,
                 log_every: int, callback: Callable[..., None] | None) -> None:
        """Setup: check fit's arguments (the first bad one raises), then :meth:`_place`."""
        self.steps = steps = _positive_int(steps, "steps")
        batch_size = _positive_int(batch_size, "batch_size")
        self.lr = lr = _positive_float(lr, "lr", "lr=1e-3")
        self.adversary_lr = adversary_lr = lr if adversary_lr is None else _positive_float(
            adversary_lr, "adversary_lr", "adversary_lr=1e-3")
        self.adversary_steps = _positive_int(adversary_steps, "adversary_steps")
        self.log_every = _positive_int(log_every, "log_every")
        betas = check_betas(betas)
        if optimizer not in ("adam", "sgd"):
            raise ValueError(f"unknown optimizer {optimizer!r}; choose 'adam' or 'sgd'")
        seed = check_seed(seed, bits=63)
        if checkpoint is not None:  # refused now, not after the last step
            checkpoint = _checkpoint.writable_path(checkpoint)
        device = check_device(device)
        if checkpoint_every is not None:
            checkpoint_every = _positive_int(checkpoint_every, "checkpoint_every")
            if checkpoint is None:
                raise ValueError("checkpoint_every needs a checkpoint path; pass checkpoint=...")
        self.checkpoint, self.checkpoint_every = checkpoint, checkpoint_every
        if not isinstance(model, nn.Module) or not callable(getattr(model, "losses", None)):
            raise ValueError("model must be an nn.Module with a losses(x) method returning a "
                             "dict with 'loss'")
        first = next(iter(model.parameters()), None)
        if first is None:
            raise ValueError(f"{type(model).__name__} has no parameters to train")
        if first.is_floating_point():  # the optimizers convert lr to the parameters' dtype
            why = f"the optimizer applies it in the model's {first.dtype}"
            for name, value in (("lr", lr), ("adversary_lr", adversary_lr)):
                _positive_float(value, name, maximum=torch.finfo(first.dtype).max, why=why)
        _fit_checks.callable_or_none(callback, "callback", "callback(step, values, model)")
        self.config = dict(steps=steps, batch_size=batch_size, lr=lr, adversary_lr=adversary_lr,
                           adversary_steps=self.adversary_steps, optimizer=optimizer, seed=seed,
                           objective=_checkpoint.objective(model))  # as fit received it
        device = first.device if device is None else torch.device(device)
        self._place(model, data, device, betas, callback)

    def _place(self, model: nn.Module, data: Any, device: torch.device,
               betas: tuple[float, float], callback: Callable[..., None] | None) -> None:
        """The model on ``device`` (in DDP under torchrun), its hooks, batches, seed, optimizers."""
        self.model, self.callback, config = model, callback, self.config
        self.group, self.device = group, device = _distributed.join(device)
        model.to(device)
        self.wrapped = None if group is None else _distributed.wrap(model, device)
        self.dtype = next(iter(model.parameters())).dtype
        self.main_params, self.adversary_params = _fit_checks.parameter_groups(model)
        name = type(model).__name__
        self.after_adversary_step = getattr(model, "after_adversary_step", None)
        _fit_checks.callable_or_none(self.after_adversary_step, f"{name}.after_adversary_step",
                               "called after each adversary update (or absent)")
        self.after_step = getattr(model, "after_step", None)
        _fit_checks.callable_or_none(self.after_step, f"{name}.after_step",
                               "called after each main update")
        self.uses_labels = bool(getattr(model, "uses_labels", False))
        self.batches = _batches(data, config["batch_size"], config["seed"], group)
        # Under torchrun rank r draws its prior samples from seed + r (rank 0 = one process).
        self.rank = 0 if group is None else group.rank
        torch.manual_seed(config["seed"] + self.rank)
        if config["optimizer"] == "adam":
            self.main_opt = torch.optim.Adam(self.main_params, lr=self.lr, betas=betas)
        else:
            self.main_opt = torch.optim.SGD(self.main_params, lr=self.lr, momentum=0.0)
        self.adversary_opt = None if not self.adversary_params else torch.optim.Adam(
            self.adversary_params, lr=self.adversary_lr, betas=betas)
        self.history = History()
        model.train()
        self.start = time.perf_counter()

    def resume(self) -> int:
        """Continue from the checkpoint, if any, in every respect; returns its step count.

        The whole file is checked before anything is loaded
        (:func:`vegan_lib._checkpoint.validate_for_resume`): a refused checkpoint leaves the
        model, the optimizers and the file as they were."""
        if not os.path.exists(self.checkpoint):
            return 0
        payload = _checkpoint.read(self.checkpoint, self.device)
        optimizers = {"optimizer": self.main_opt, "adversary_optimizer": self.adversary_opt}
        _checkpoint.validate_for_resume(payload, self.checkpoint, self.model, optimizers,
                                        self.config, self.device)
        self.model.load_state_dict(payload["model"])
        self.main_opt.load_state_dict(payload["optimizer"])
        if self.adversary_opt is not None:
            self.adversary_opt.load_state_dict(payload["adversary_optimizer"])
        self.history = History.from_dict(payload.get("history", {}))
        _checkpoint.restore_rng(payload["rng"], self.device)
        done = int(payload["step"])
        per_step = self.adversary_steps if self.adversary_opt is not None else 1
        for _ in range(done * per_step):  # the batches the finished steps drew
            next(self.batches)
        self.start -= self.history.wall_time
        return done

    def batch(self) -> Batch:
        """The next batch on the model's device, its input (B, ...) in the model's dtype."""
        return _to_model(next(self.batches), self.device, self.dtype, self.uses_labels)

    def update(self, batch: Batch, step: int, adversary: bool = False) -> dict[str, float]:
        """One update of the main (or the adversary's) parameters on ``batch``, guarded by
        :func:`_guard` (its one host copy); the terms as floats (``adversary/<term>``)."""
        if adversary:
            opt, params, lr = self.adversary_opt, self.adversary_params, self.adversary_lr
            prefix, hook = "adversary/", self.after_adversary_step
        else:
            opt, params, lr = self.main_opt, self.main_params, self.lr
            prefix, hook = "", self.after_step
        opt.zero_grad(set_to_none=True)
        if self.wrapped is not None:
            terms = self.wrapped(batch, adversary=adversary)
        else:
            terms = self.model.adversary_loss(batch) if adversary else self.model.losses(batch)
        loss, names, values = _loss_terms(terms, prefix)
        loss.backward()
        floats = _guard(names, values, params, step, prefix, lr, self.group)
        opt.step()
        if hook is not None:
            hook()
        return floats

    def log(self, step: int, values: dict[str, float]) -> None:
        """The caller's ``callback``, then the history (every ``log_every`` steps, the last)."""
        if self.callback is not None:
            self.callback(step, values, self.model)
        if step % self.log_every == 0 or step == self.steps:
            self.history.record(step, values)

    def save_if_due(self, step: int) -> None:
        """Rank 0 writes the checkpoint every ``checkpoint_every`` steps before the last."""
        every = self.checkpoint_every
        if every and self.rank == 0 and step % every == 0 and step < self.steps:
            self._save(step)

    def finish(self) -> History:
        """The wall time, the last checkpoint (rank 0; all ranks wait for it), the history."""
        self.history.wall_time = time.perf_counter() - self.start
        if self.checkpoint is not None and self.rank == 0:
            self._save(self.steps)
        if self.group is not None and self.checkpoint is not None:
            _distributed.barrier()  # when fit returns, every rank can read the checkpoint
        return self.history

    def _save(self, step: int) -> None:
        """Write ``{model, optimizer(s), step, history, config, rng}`` atomically."""
        self.history.wall_time = time.perf_counter() - self.start
        adversary = self.adversary_opt
        _checkpoint.save_atomic({
            "model": self.model.state_dict(), "optimizer": self.main_opt.state_dict(),
            "adversary_optimizer": None if adversary is None else adversary.state_dict(),
            "step": step, "history": self.history.as_dict(), "config": self.config,
            "rng": _checkpoint.rng_state(self.device)}, self.checkpoint)


def fit(
    model: nn.Module,
    data: torch.Tensor | Iterable,
    steps: int = 1000,
    batch_size: int = 100,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    adversary_lr: float | None = None,
    adversary_steps: int = 1,
    optimizer: str = "adam",
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool = True,
    desc: str | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: bool = False,
    log_every: int = 1,
    callback: Callable[[int, dict[str, float], nn.Module], None] | None = None,
) -> History:
    r"""Train a model by stochastic gradient descent on ``model.losses(batch)["loss"]``.

    Each step minimises the model's batch objective, e.g. for a
    :class:`~vegan_lib.pot.POTModel`

    .. math::

        \min_{E, G}\ \frac1N \sum_{i} c\big(x_i, G(E(x_i))\big)
            + \lambda\, \widehat{\mathcal{D}}(Q_Z, P_Z),

    after ``adversary_steps`` updates of the adversary, if the model has one (see the
    module docstring for the protocol).

    Parameters
    ----------
    model : nn.Module
        Follows the protocol of this module (at least ``losses(x)``).
    data : Tensor, shape (N, ...); tuple of tensors, each of shape (N, ...); or iterable
        A tensor is cut into minibatches of ``batch_size`` drawn without replacement by a
        generator seeded with ``seed``, reshuffled each epoch (an incomplete last batch is
        dropped). A tuple such as ``(x, labels)`` is cut by the same permutation. An
        iterable (e.g. a ``DataLoader``) yields tensors or tuples of tensors and is
        restarted when exhausted; ``batch_size`` is then unused. The first tensor of a
        batch is the model's input (cast to its dtype); a model whose class sets
        ``uses_labels = True`` receives the whole tuple ``(x, labels, ...)`` in
        ``losses`` and ``adversary_loss``, any other model ``x`` alone.
    steps : int
        Number of main updates.
    batch_size : int
        Minibatch size for tensor data, ``1 <= batch_size <= N``.
    lr : float
        Learning rate of the main optimizer.
    betas : pair of float
        Adam's :math:`(\beta_1, \beta_2)`, for the main and the adversary's Adam.
    adversary_lr : float, optional
        Learning rate of the adversary's Adam; defaults to ``lr``.
    adversary_steps : int
        Adversary updates per step.
    optimizer : {"adam", "sgd"}
        Main optimizer; ``"sgd"`` is plain SGD (no momentum, no weight decay). The
        adversary always uses Adam.
    seed : int
        Seeds torch's global generator (prior samples, initialisation of anything
        created during training) and the minibatch order: same seed, same history.
    device : str or torch.device, optional
        Where to train; defaults to the model's current device. The model is moved
        there, and each batch is moved there and cast to the model's dtype.
    progress : bool
        Show a ``tqdm`` progress bar with the current loss; under the environment variable
        ``VEGAN_PROGRESS=summary`` print one line when training ends instead (steps,
        seconds, final loss), under ``VEGAN_PROGRESS=off`` nothing (``vegan_lib._progress``).
    desc : str, optional
        Label of the progress bar and of the summary line.
    checkpoint : str or path-like, optional
        File to write ``{model, optimizer(s), step, history, config, rng}`` to, atomically
        (a temporary file in the same directory, then ``os.replace``); written every
        ``checkpoint_every`` steps and after the last step. ``config`` records the model's
        objective too (class, divergence, λ, cost, ...).
    checkpoint_every : int, optional
        Checkpoint period in steps (only with ``checkpoint``).
    resume : bool
        If ``checkpoint`` exists, continue from it (weights, optimizers, history, random
        state, position in the batches) instead of starting again: on the same device an
        interrupted run resumed this way ends with the history of an uninterrupted one.
        Needs ``checkpoint``. The whole file is checked before anything is loaded: a file
        of other settings or another objective, with more than ``steps`` steps, or with a
        damaged optimizer or random state is refused, the model and the file untouched.
    log_every : int
        Record the terms every ``log_every`` steps (and at the last step).
    callback : callable, optional
        ``callback(step, values, model)``, called after every main update (and the
        model's ``after_step()``) with that step's terms as floats, e.g. to record a
        trajectory of parameters. It runs before the step is logged or checkpointed.

    Returns
    -------
    History
        Every term of ``losses`` and ``adversary/<term>`` of ``adversary_loss``.

    Raises
    ------
    ValueError
        Bad settings (non-positive steps, batch size, learning rates; ``batch_size > N``;
        unknown optimizer; a device this machine lacks; a ``checkpoint`` that is a
        directory; ``resume`` without ``checkpoint``; labels that are not a tensor, or none
        for a model with ``uses_labels``), all before the first step; a checkpoint that
        ``resume`` refuses; or a model that does not follow the protocol.
    RuntimeError
        If a loss term or a gradient becomes NaN or inf; raised before the optimizer
        step (so the model keeps its last finite weights), naming the step and the term.

    Notes
    -----
    Under ``torchrun --nproc_per_node=K`` (``WORLD_SIZE=K > 1``) the model is wrapped in
    ``DistributedDataParallel`` (adversary included) and every rank starts from rank 0's
    weights; with tensor data ``batch_size`` is the global batch (divisible by K) and each
    rank trains on its slice; rank r seeds with ``seed + r``; DDP averages the gradients
    over the ranks in each backward pass and fit the logged terms, so all ranks take the
    same steps and return the same history; only rank 0 draws the progress bar and
    writes the checkpoint. Details: ``vegan_lib._distributed``.

    Examples
    --------
    >>> from vegan_lib.pot import POTModel
    >>> _ = torch.manual_seed(0)
    >>> model = POTModel.for_toy(hidden=(8,))
    >>> history = fit(model, torch.randn(40, 2), steps=5, batch_size=20, progress=False)
    >>> history.step, sorted(history.terms)
    ([1, 2, 3, 4, 5], ['loss', 'penalty', 'reconstruction'])
    """
    _fit_checks.flags(resume, checkpoint, progress, desc)
    run = _Run(model, data, steps, batch_size, lr, betas, adversary_lr, adversary_steps,
               optimizer, seed, device, checkpoint, checkpoint_every, log_every, callback)
    done = run.resume() if resume else 0
    bar = _progress.Progress(range(done + 1, run.steps + 1), desc=desc or "fit",
                             enabled=progress and run.rank == 0, initial=done, total=run.steps)
    for step in bar:
        batch = run.batch()
        logged: dict[str, float] = {}  # the adversary's terms, from its last update
        if run.adversary_opt is not None:  # the first on the step's batch, then fresh ones
            for k in range(run.adversary_steps):
                logged = run.update(batch if k == 0 else run.batch(), step, adversary=True)
        values = run.update(batch, step)
        values.update(logged)
        run.log(step, values)
        bar.set_postfix(loss=values["loss"])
        run.save_if_due(step)
    bar.close()
    return run.finish()
