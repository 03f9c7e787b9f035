"""Two-process training, run by tests/test_train_distributed.py under torchrun.

    torchrun --standalone --nproc_per_node=2 tests/torchrun_fit.py OUT

Each rank builds its models from its own seed (rank 0's weights must win), trains
(a) a WAE-MMD with lam = 0, i.e. reconstruction only, and (b) a WAE-GAN that rank 0
checkpoints, then saves what it ended with to ``OUT/rank<r>.pt`` for the test to compare.
"""

from __future__ import annotations

import os
import sys

import torch
import torch.distributed as dist

from vegan_lib.pot import POTModel
from vegan_lib.train import fit

BATCH = 20  # the global batch: 10 samples per rank
STEPS = 12


def blob(n: int = 200) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return 0.5 * torch.randn(n, 2, generator=g) + torch.tensor([2.0, -1.0])


def reconstruction_model(seed: int) -> POTModel:
    """A WAE-MMD with lam = 0: its gradient is the reconstruction's alone."""
    torch.manual_seed(seed)
    return POTModel.for_toy(divergence="mmd", lam=0.0, hidden=(16,))


def main(out: str) -> None:
    rank = int(os.environ["RANK"])
    model = reconstruction_model(seed=100 + rank)  # different initial weights on each rank
    history = fit(model, blob(), steps=STEPS, batch_size=BATCH, seed=3, progress=False)
    after_fit_draw = torch.randn(4)  # from the rank's generator, seeded seed + rank

    try:
        fit(reconstruction_model(seed=0), blob(), steps=1, batch_size=BATCH + 1, progress=False)
        odd_batch_error = ""
    except ValueError as error:
        odd_batch_error = str(error)

    torch.manual_seed(200 + rank)
    gan = POTModel.for_toy(divergence="gan", hidden=(16,))
    checkpoint = os.path.join(out, "wae_gan.pt")
    gan_history = fit(gan, blob(), steps=6, batch_size=BATCH, checkpoint=checkpoint,
                      checkpoint_every=3, progress=False)

    torch.save(
        {
            "model": model.state_dict(),
            "history": history.as_dict(),
            "draw": after_fit_draw,
            "odd_batch_error": odd_batch_error,
            "gan": gan.state_dict(),
            "gan_history": gan_history.as_dict(),
            "world_size": dist.get_world_size(),
        },
        os.path.join(out, f"rank{rank}.pt"),
    )
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
