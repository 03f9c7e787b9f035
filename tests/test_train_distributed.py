"""vegan_lib.train.fit under torchrun: two CPU processes on the gloo backend.

The two-process run (tests/torchrun_fit.py) is launched once per session with
``python -m torch.distributed.run --nproc_per_node=2 --standalone``; its ranks save what
they ended with, and the tests compare that with one process doing the same work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torchrun_fit import BATCH, STEPS, blob, reconstruction_model

from vegan_lib import _distributed
from vegan_lib.pot import POTModel
from vegan_lib.train import _batches, _tensor_batches, fit, load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- one process
def test_the_ranks_slices_make_up_the_one_process_batches():
    x = torch.arange(30.0)[:, None]
    labels = torch.arange(30)
    one = _tensor_batches((x, labels), 6, seed=1)
    ranks = [_tensor_batches((x, labels), 6, seed=1, rank=r, world_size=3) for r in range(3)]
    for _ in range(12):  # two epochs
        whole = next(one)
        parts = [next(r) for r in ranks]
        assert all(len(p[0]) == 2 for p in parts)
        assert torch.equal(torch.cat([p[0] for p in parts]), whole[0])
        assert torch.equal(torch.cat([p[1] for p in parts]), whole[1])


def test_a_global_batch_that_the_ranks_cannot_share_is_refused():
    group = _distributed.ProcessGroup(rank=0, world_size=4)
    with pytest.raises(ValueError, match=r"batch_size=10 .* divisible by WORLD_SIZE=4"):
        _batches(torch.zeros(40, 2), 10, 0, group)


@pytest.mark.parametrize("world_size", [None, "1", ""])
def test_without_torchrun_fit_stays_in_one_process(monkeypatch, world_size):
    if world_size is None:
        monkeypatch.delenv("WORLD_SIZE", raising=False)
    else:
        monkeypatch.setenv("WORLD_SIZE", world_size)
    assert _distributed.join(torch.device("cpu")) == (None, torch.device("cpu"))
    assert not (dist.is_available() and dist.is_initialized())


# --------------------------------------------------------------------------- torchrun
@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    if not (dist.is_available() and dist.is_gloo_available()):
        pytest.skip("torch.distributed with the gloo backend is not available in this torch")
    out = tmp_path_factory.mktemp("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
               "--standalone", str(ROOT / "tests" / "torchrun_fit.py"), str(out)]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=240, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    saved = [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]
    return out, saved


def test_two_ranks_with_global_batch_b_match_one_process_with_batch_b(ranks):
    _, saved = ranks
    model = reconstruction_model(seed=100)  # rank 0's initial weights
    history = fit(model, blob(), steps=STEPS, batch_size=BATCH, seed=3, progress=False)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(saved[0]["model"][name], value, rtol=1e-5, atol=1e-6)
    for term in ("loss", "reconstruction"):
        torch.testing.assert_close(torch.tensor(saved[0]["history"][term]),
                                   torch.tensor(history[term]), rtol=1e-5, atol=1e-6)
    assert saved[0]["history"]["step"] == history.step
    assert saved[0]["world_size"] == 2


def test_the_ranks_start_from_rank_0_and_take_identical_steps(ranks):
    _, saved = ranks
    for name in saved[0]["model"]:
        assert torch.equal(saved[0]["model"][name], saved[1]["model"][name]), name
    for name in saved[0]["gan"]:
        assert torch.equal(saved[0]["gan"][name], saved[1]["gan"][name]), name
    h0, h1 = saved[0]["history"], saved[1]["history"]
    h0.pop("wall_time"), h1.pop("wall_time")
    assert h0 == h1


def test_the_ranks_draw_different_prior_samples(ranks):
    _, saved = ranks
    assert not torch.equal(saved[0]["draw"], saved[1]["draw"])


def test_an_indivisible_global_batch_is_refused_on_every_rank(ranks):
    _, saved = ranks
    for s in saved:
        assert f"batch_size={BATCH + 1}" in s["odd_batch_error"]
        assert "WORLD_SIZE=2" in s["odd_batch_error"]


def test_an_adversarial_model_trains_and_rank_0_writes_a_checkpoint(ranks):
    out, saved = ranks
    assert sorted(os.listdir(out)) == ["rank0.pt", "rank1.pt", "wae_gan.pt"]
    restored = POTModel.for_toy(divergence="gan", hidden=(16,))
    meta = load_checkpoint(out / "wae_gan.pt", restored)
    assert meta["step"] == 6
    for name, value in restored.state_dict().items():
        assert torch.equal(value, saved[0]["gan"][name]), name
    history = meta["history"].as_dict()
    expected = dict(saved[0]["gan_history"])
    assert history.pop("wall_time") >= 0 and expected.pop("wall_time") >= 0
    assert history == expected
    assert "adversary/loss" in history and len(history["step"]) == 6
