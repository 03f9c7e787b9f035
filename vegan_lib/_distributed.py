"""What :func:`vegan_lib.train.fit` does under ``torchrun``: one process per device.

``torchrun --nproc_per_node=K script.py`` starts K copies of the script with
``WORLD_SIZE=K``, ``RANK`` and ``LOCAL_RANK`` set. When :func:`join` sees
``WORLD_SIZE > 1`` (or a process group of more than one rank that the caller
initialised), ``fit``

* initialises the default process group if needed (``nccl`` on CUDA, ``gloo`` on the
  CPU) and leaves it initialised for later calls (a script may end with
  ``torch.distributed.destroy_process_group()``);
* trains rank r on ``cuda:LOCAL_RANK`` when it trains on CUDA (torchrun's convention);
* copies rank 0's parameters and buffers to every rank (:func:`broadcast_model`), so the
  initial weights agree however each process built its model;
* with tensor data, treats ``batch_size`` as the *global* batch: every rank draws the
  same batch (same ``seed``) and trains on its ``batch_size / K`` slice, so
  ``batch_size`` must be divisible by K. An iterable is not sliced: each rank trains on
  the batches its own iterable yields (e.g. a ``DataLoader`` with a
  ``DistributedSampler``);
* seeds torch's generator with ``seed + r`` on rank r, so prior samples differ across
  ranks (rank 0 draws what one process would);
* averages the gradients of the parameters being updated, and the loss terms, over the
  ranks after each backward pass (:func:`average_`), before its NaN guard and the
  optimizer step: every rank takes the same step, raises at the same step and returns
  the same history. A term that is a mean over the batch (the reconstruction) then
  equals the one-process value on the global batch; a penalty estimated from a batch
  (MMD, adversarial) is the mean of the ranks' estimates on their slices. Buffers are
  not synchronised after the start;
* draws the progress bar and writes the checkpoint on rank 0 only (every rank waits for
  the last checkpoint before returning); ``callback`` runs on every rank.

In one process nothing of this happens and fit is unchanged.

The averaging is ``torch.distributed.all_reduce`` on one flat buffer per dtype, what
``DistributedDataParallel`` does in its buckets. fit calls it itself rather than
wrapping the model in ``DistributedDataParallel`` because DDP reduces gradients only
for a graph built through the wrapper's ``forward``, while fit's models are called
through ``losses`` and ``adversary_loss``, with two optimizers over parts of one graph
(the adversary's gradients are averaged in its own updates, the same way).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


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


@torch.no_grad()
def broadcast_model(model: nn.Module) -> None:
    """Overwrite every rank's parameters and buffers with rank 0's."""
    for tensor in [*model.parameters(), *model.buffers()]:
        dist.broadcast(tensor.data, src=0)


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
