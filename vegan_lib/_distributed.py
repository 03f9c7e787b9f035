"""What :func:`vegan_lib.train.fit` does under ``torchrun``: one process per device.

``torchrun --nproc_per_node=K script.py`` starts K copies of the script with
``WORLD_SIZE=K``, ``RANK`` and ``LOCAL_RANK`` set. When :func:`join` sees
``WORLD_SIZE > 1`` (or a process group of more than one rank that the caller
initialised), ``fit``

* initialises the default process group if needed (``nccl`` on CUDA, ``gloo`` on the
  CPU) and leaves it initialised for later calls (a script may end with
  ``torch.distributed.destroy_process_group()``);
* trains rank r on ``cuda:LOCAL_RANK`` when it trains on CUDA (torchrun's convention);
* wraps the model in PyTorch's ``DistributedDataParallel`` (:func:`wrap`), which copies
  rank 0's parameters and buffers to every rank, so the initial weights agree however each
  process built its model;
* with tensor data, treats ``batch_size`` as the *global* batch: every rank draws the
  same batch (same ``seed``) and trains on its ``batch_size / K`` slice, so
  ``batch_size`` must be divisible by K. An iterable is not sliced: each rank trains on
  the batches its own iterable yields (e.g. a ``DataLoader`` with a
  ``DistributedSampler``);
* seeds torch's generator with ``seed + r`` on rank r, so prior samples differ across
  ranks (rank 0 draws what one process would);
* lets ``DistributedDataParallel`` average the gradients over the ranks during each
  backward pass (main and adversary updates alike), and averages the loss terms itself
  (:func:`average_`), before its NaN guard and the optimizer step: every rank takes the
  same step, raises at the same step and returns the same history. A term that is a mean
  over the batch (the reconstruction) then equals the one-process value on the global
  batch; a penalty estimated from a batch (MMD, adversarial) is the mean of the ranks'
  estimates on their slices. Buffers are not synchronised after the start;
* draws the progress bar and writes the checkpoint on rank 0 only (every rank waits for
  the last checkpoint before returning); ``callback`` runs on every rank.

In one process nothing of this happens and fit is unchanged.

DDP reduces gradients only for a graph built through the wrapped module's ``forward``,
while fit's models are called through ``losses`` and ``adversary_loss``; :func:`wrap`
therefore wraps a small module whose ``forward(batch, adversary)`` calls one or the other,
with ``find_unused_parameters=True``: the adversary's update leaves the encoder and
decoder out of its graph.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class ProcessGroup:
    """This process's place in a multi-process run."""

    rank: int
    world_size: int


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        raise ValueError(
            f"environment variable {name}={value!r} is not an integer; it is set by "
            "torchrun, unset it to train in one process"
        ) from None


def join(device: torch.device) -> tuple[ProcessGroup | None, torch.device]:
    """The run's process group (initialised if needed) and this rank's device.

    Returns ``(None, device)`` in a single process: nothing changes then.
    """
    if not dist.is_available():
        return None, device
    world_size = dist.get_world_size() if dist.is_initialized() else _env_int("WORLD_SIZE", 1)
    if world_size <= 1:
        return None, device
    if device.type == "cuda":
        local_rank = _env_int("LOCAL_RANK", 0)
        if not 0 <= local_rank < torch.cuda.device_count():
            raise ValueError(
                f"LOCAL_RANK={local_rank} but {torch.cuda.device_count()} CUDA device(s) "
                "are visible; start torchrun with --nproc_per_node at most the number "
                "of GPUs"
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return ProcessGroup(rank=dist.get_rank(), world_size=dist.get_world_size()), device


class _Objectives(nn.Module):
    """fit's two objectives behind one ``forward``, the only call DDP watches."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: object, adversary: bool = False) -> dict[str, torch.Tensor]:
        return self.model.adversary_loss(batch) if adversary else self.model.losses(batch)


def wrap(model: nn.Module, device: torch.device) -> DistributedDataParallel:
    """``model`` in ``DistributedDataParallel``: ``wrapped(batch, adversary=False)`` returns
    ``model.losses(batch)`` (or ``model.adversary_loss(batch)``), and the backward pass of
    its ``"loss"`` leaves every rank with the gradients averaged over the ranks. Building it
    copies rank 0's parameters and buffers to every rank."""
    return DistributedDataParallel(
        _Objectives(model),
        device_ids=[device] if device.type == "cuda" else None,
        find_unused_parameters=True,
        broadcast_buffers=False,
    )


@torch.no_grad()
def average_(tensors: list[torch.Tensor], world_size: int) -> None:
    """Replace each tensor, in place, by its mean over the ranks (one all-reduce per dtype)."""
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    for group in by_dtype.values():
        flat = torch.cat([t.reshape(-1) for t in group])
        dist.all_reduce(flat)
        flat /= world_size
        for t, part in zip(group, flat.split([t.numel() for t in group]), strict=True):
            t.copy_(part.view_as(t))


def barrier() -> None:
    """Wait for every rank (e.g. until rank 0 has written the checkpoint)."""
    dist.barrier()
