"""Tests for vegan_lib.train: the shared training loop, its history, guard and checkpoints."""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import sys
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from vegan_lib import train as train_module
from vegan_lib._checkpoint import objective
from vegan_lib.costs import gaussian_nll_cost
from vegan_lib.fdivergences import FGANModel
from vegan_lib.pot import POTModel
from vegan_lib.train import History, fit, load_checkpoint
from vegan_lib.vae import AVBModel, VAEModel
from vegan_lib.wgan import WGANModel


def _blob(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    return 0.5 * torch.randn(n, 2, generator=g) + torch.tensor([2.0, -1.0])


def _toy(penalty="mmd", seed=0):
    torch.manual_seed(seed)
    return POTModel.for_toy(divergence=penalty, hidden=(32, 32))


class Quadratic(nn.Module):
    """Least squares ||W x - y||^2 / N on the batch; no adversary; optional NaN at a step."""

    def __init__(self, nan_at=None):
        super().__init__()
        self.lin = nn.Linear(3, 1, bias=False)
        self.calls = 0
        self.nan_at = nan_at

    def losses(self, batch):
        self.calls += 1
        x, y = batch[:, :3], batch[:, 3]
        loss = (self.lin(x).squeeze(-1) - y).pow(2).mean()
        penalty = self.lin.weight.pow(2).sum()
        if self.calls == self.nan_at:
            penalty = penalty * math.nan
        return {"loss": loss + 0.0 * penalty, "penalty": penalty}


def _regression_data(n=32):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    return torch.cat([x, y[:, None]], 1).float()


# --------------------------------------------------------------------------- learning
def test_fit_lowers_the_wae_mmd_loss_on_a_gaussian_blob():
    history = fit(_toy("mmd"), _blob(), steps=200, batch_size=100, progress=False)
    first, last = np.mean(history["loss"][:20]), np.mean(history["loss"][-20:])
    assert last < 0.5 * first, (first, last)
    assert len(history["loss"]) == 200 and history.step == list(range(1, 201))


def test_fit_lowers_the_wae_gan_loss_and_reconstruction_on_a_gaussian_blob():
    # The adversarial penalty is a moving target (the discriminator improves too), so
    # with the WAE paper's GAN weight lam = 1 the reconstruction carries the decrease.
    torch.manual_seed(0)
    model = POTModel.for_toy(divergence="gan", lam=1.0, hidden=(32, 32))
    history = fit(model, _blob(), steps=200, batch_size=100, progress=False)
    for term in ("loss", "reconstruction"):
        first, last = np.mean(history[term][:20]), np.mean(history[term][-20:])
        assert last < first, (term, first, last)


def test_plain_sgd_follows_the_gradient_descent_recursion_exactly():
    data = _regression_data()
    torch.manual_seed(0)
    model = Quadratic()
    w = model.lin.weight.detach().double().clone()
    fit(model, data, steps=15, batch_size=len(data), lr=0.05, optimizer="sgd", progress=False)
    # Full batch: w <- w - lr * (2 / N) X^T (X w - y), computed here in float64.
    x, y = data[:, :3].double(), data[:, 3].double()
    for _ in range(15):
        grad = 2.0 / len(x) * (x @ w.T - y[:, None]).T @ x
        w = w - 0.05 * grad
    np.testing.assert_allclose(model.lin.weight.detach().double().numpy(), w.numpy(), rtol=1e-5)


def test_same_seed_gives_identical_histories_and_another_seed_does_not():
    runs = [
        fit(_toy("gan", seed=1), _blob(), steps=30, batch_size=50, seed=s, progress=False)
        for s in (5, 5, 6)
    ]
    for term in ("loss", "reconstruction", "penalty", "adversary/loss"):
        assert runs[0][term] == runs[1][term], term
    assert runs[0]["loss"] != runs[2]["loss"]


def test_adversary_is_updated_adversary_steps_times_per_step():
    class Counting(POTModel):
        adversary_calls = 0
        main_calls = 0

        def adversary_loss(self, x):
            type(self).adversary_calls += 1
            return super().adversary_loss(x)

        def losses(self, x):
            type(self).main_calls += 1
            return super().losses(x)

    torch.manual_seed(0)
    model = Counting.for_toy(divergence="gan", hidden=(8,))
    before = [p.detach().clone() for p in model.adversary_parameters()]
    history = fit(model, _blob(), steps=4, batch_size=50, adversary_steps=3, progress=False)
    assert (Counting.adversary_calls, Counting.main_calls) == (12, 4)
    assert "adversary/loss" in history and len(history["adversary/loss"]) == 4
    after = list(model.adversary_parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))


def test_adversary_learning_rate_is_separate():
    model = _toy("gan")
    disc_before = [p.detach().clone() for p in model.adversary_parameters()]
    main_before = [p.detach().clone() for p in model.main_parameters()]
    fit(model, _blob(), steps=1, batch_size=50, lr=1e-3, adversary_lr=1e-1, progress=False)
    # Adam's first step moves each weight by about lr.
    disc_move = max((a - b).abs().max().item() for a, b in
                    zip(model.adversary_parameters(), disc_before, strict=True))
    main_move = max((a - b).abs().max().item() for a, b in
                    zip(model.main_parameters(), main_before, strict=True))
    assert disc_move == pytest.approx(0.1, rel=0.01) and main_move == pytest.approx(1e-3, rel=0.01)


# --------------------------------------------------------------------------- data
def test_fit_accepts_a_dataloader_of_pairs_and_a_list_of_tensors():
    # Quadratic draws no random numbers, so both runs see the same batches in the same
    # order (a DataLoader consumes torch's global generator when it starts an epoch).
    data = _regression_data(32)
    loader = DataLoader(TensorDataset(data, torch.zeros(32)), batch_size=8, shuffle=False)
    torch.manual_seed(0)
    h1 = fit(Quadratic(), loader, steps=9, progress=False)  # restarts after 4 batches
    torch.manual_seed(0)
    h2 = fit(Quadratic(), list(data.split(8)), steps=9, progress=False)
    assert h1["loss"] == h2["loss"] and len(h1) == 9


def test_fit_reports_an_exhausted_generator():
    batches = (b for b in _blob(100).split(50))
    with pytest.raises(ValueError, match="re-iterable"):
        fit(_toy(), batches, steps=5, progress=False)


def test_tensor_batches_cover_each_sample_once_per_epoch():
    seen = []

    class Recorder(Quadratic):
        def losses(self, batch):
            seen.append(batch[:, 0].clone())
            return super().losses(batch)

    data = _regression_data(12)
    fit(Recorder(), data, steps=6, batch_size=4, progress=False)  # two epochs
    for epoch in (seen[:3], seen[3:]):
        got = torch.sort(torch.cat(epoch)).values
        torch.testing.assert_close(got, torch.sort(data[:, 0]).values)
    assert not torch.equal(torch.cat(seen[:3]), torch.cat(seen[3:])), "reshuffled each epoch"


def test_float64_batches_are_cast_to_the_model_dtype():
    history = fit(_toy(), _blob().double(), steps=2, batch_size=50, progress=False)
    assert len(history) == 2


def test_log_every_records_every_kth_step_and_the_last():
    history = fit(Quadratic(), _regression_data(), steps=10, batch_size=8, log_every=4,
                  progress=False)
    assert history.step == [4, 8, 10] and len(history["loss"]) == 3


def test_progress_bar_shows_description(capsys):
    fit(Quadratic(), _regression_data(), steps=3, batch_size=8, progress=True, desc="toy-run")
    assert "toy-run" in capsys.readouterr().err


# --------------------------------------------------------------------------- NaN guard
def test_nan_guard_names_step_and_term_and_leaves_last_finite_weights():
    data = _regression_data()
    torch.manual_seed(0)
    reference = Quadratic()
    fit(reference, data, steps=2, batch_size=8, progress=False)
    torch.manual_seed(0)
    model = Quadratic(nan_at=3)
    with pytest.raises(RuntimeError, match=r"step 3: .*penalty = nan.*lower the learning rate"):
        fit(model, data, steps=10, batch_size=8, progress=False)
    torch.testing.assert_close(model.lin.weight, reference.lin.weight, rtol=0, atol=0)


def test_nan_guard_fires_when_sgd_diverges():
    with pytest.raises(RuntimeError, match=r"step \d+: training diverged.*lower the learning rate"):
        fit(_toy(), _blob() * 100, steps=50, batch_size=50, lr=1e6, optimizer="sgd",
            progress=False)


def test_guard_catches_a_nan_gradient_behind_a_finite_loss():
    class SqrtAtZero(Quadratic):
        def losses(self, batch):
            w = self.lin.weight
            # sqrt(|w - w|) = 0 but its gradient is inf * 0 = nan
            return {"loss": torch.sqrt((w - w.detach()).abs().sum())}

    model = SqrtAtZero()
    before = model.lin.weight.detach().clone()
    with pytest.raises(RuntimeError, match=r"step 1: the gradient of loss is NaN or inf"):
        fit(model, _regression_data(), steps=3, batch_size=8, progress=False)
    assert torch.equal(model.lin.weight.detach(), before)


# --------------------------------------------------------------------------- host copies
_HOST_COPIES = ("tolist", "item", "__bool__", "__float__", "__int__", "cpu", "numpy")


def _count_host_copies_in_fit(monkeypatch) -> list[str]:
    # Every call that brings a tensor's value to the host (a GPU synchronisation), made
    # by vegan_lib.train itself (the models' own are not fit's).
    calls: list[str] = []
    for name in _HOST_COPIES:
        original = getattr(torch.Tensor, name)

        def wrapper(self, *args, _original=original, _name=name, **kwargs):
            if sys._getframe(1).f_code.co_filename == train_module.__file__:
                calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, wrapper)
    return calls


def test_fit_copies_values_to_the_host_once_per_update(monkeypatch):
    calls = _count_host_copies_in_fit(monkeypatch)
    fit(Quadratic(), _regression_data(), steps=6, batch_size=8, progress=False)
    assert len(calls) == 6, calls
    calls.clear()
    fit(_toy("gan"), _blob(), steps=4, batch_size=50, adversary_steps=2, progress=False)
    assert len(calls) == 4 * 3, calls  # two adversary updates and one main update per step


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_synchronises_with_the_gpu_about_once_per_step():
    model = Quadratic().cuda()
    data = _regression_data(n=160).cuda()  # 20 batches: one epoch
    steps = 20
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fit(model, data, steps=steps, batch_size=8, progress=False)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    syncs = sum("synchroniz" in str(w.message) for w in caught)
    assert 0 < syncs <= steps + 3, syncs  # one per step, plus the epoch's permutation


# --------------------------------------------------------------------------- checkpoints
def test_checkpoint_round_trips_model_optimizers_step_and_history(tmp_path):
    path = tmp_path / "run" / "wae.pt"
    model = _toy("gan")
    history = fit(model, _blob(), steps=12, batch_size=50, checkpoint=path, checkpoint_every=5,
                  progress=False)
    restored = _toy("gan", seed=99)
    meta = load_checkpoint(path, restored)
    for (k, a), (_, b) in zip(model.state_dict().items(), restored.state_dict().items(),
                              strict=True):
        assert torch.equal(a, b), k
    assert meta["step"] == 12
    assert meta["history"].as_dict() == history.as_dict()
    assert meta["optimizer"]["state"] and meta["adversary_optimizer"]["state"]
    assert meta["config"]["seed"] == 0
    # A plain weights_only load works: only tensors and plain containers are stored.
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"model", "optimizer", "adversary_optimizer", "step", "history", "config",
                        "rng"}
    assert os.listdir(path.parent) == ["wae.pt"], "no temporary files left behind"


def test_periodic_checkpoint_survives_a_crash(tmp_path):
    path = tmp_path / "q.pt"
    with pytest.raises(RuntimeError, match="step 7"):
        fit(Quadratic(nan_at=7), _regression_data(), steps=10, batch_size=8, checkpoint=path,
            checkpoint_every=5, progress=False)
    meta = load_checkpoint(path, Quadratic())
    assert meta["step"] == 5 and meta["history"].step == [1, 2, 3, 4, 5]
    assert meta["adversary_optimizer"] is None


@pytest.mark.parametrize("divergence", ["mmd", "gan"])
def test_resume_after_an_interruption_ends_as_the_uninterrupted_run(tmp_path, divergence):
    kwargs = {"steps": 12, "batch_size": 50, "adversary_steps": 3, "progress": False}
    reference = fit(_toy(divergence), _blob(), **kwargs)

    class Interrupt(Exception):
        pass

    def stop_at_8(step, values, model):
        if step == 8:
            raise Interrupt

    path = tmp_path / "run.pt"
    with pytest.raises(Interrupt):
        fit(_toy(divergence), _blob(), checkpoint=path, checkpoint_every=5, callback=stop_at_8,
            **kwargs)
    # Another initialisation and another global seed: everything must come from the file.
    torch.manual_seed(123)
    resumed_model = _toy(divergence, seed=99)
    resumed = fit(resumed_model, _blob(), checkpoint=path, resume=True, **kwargs)
    assert resumed.step == reference.step
    assert resumed.terms == reference.terms  # bit-identical on the CPU


def test_resume_refuses_a_checkpoint_of_other_settings(tmp_path):
    path = tmp_path / "run.pt"
    fit(_toy("mmd"), _blob(), steps=4, batch_size=50, checkpoint=path, progress=False)
    with pytest.raises(ValueError, match="other settings.*resume=False"):
        fit(_toy("mmd"), _blob(), steps=8, batch_size=25, checkpoint=path, resume=True,
            progress=False)


def test_resume_without_a_checkpoint_file_starts_from_step_one(tmp_path):
    history = fit(_toy("mmd"), _blob(), steps=3, batch_size=50, checkpoint=tmp_path / "new.pt",
                  resume=True, progress=False)
    assert history.step == [1, 2, 3]


def test_load_checkpoint_rejects_other_files(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not a checkpoint"):
        load_checkpoint(path, Quadratic())


# --------------------------------------------------------------------------- history
def test_history_lookup_last_and_dict_round_trip():
    h = History()
    h.record(1, {"loss": 3.0, "penalty": 1.0})
    h.record(2, {"loss": 2.0, "penalty": 0.5})
    h.wall_time = 1.5
    assert h["loss"] == [3.0, 2.0] and h.last("penalty") == 0.5 and h["step"] == [1, 2]
    assert h.as_dict() == {"step": [1, 2], "loss": [3.0, 2.0], "penalty": [1.0, 0.5],
                           "wall_time": 1.5}
    assert History.from_dict(h.as_dict()) == h
    with pytest.raises(KeyError, match="recorded terms"):
        h["reconstruction"]


def test_history_records_wall_time():
    history = fit(Quadratic(), _regression_data(), steps=3, batch_size=8, progress=False)
    assert history.wall_time > 0


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"steps": 0}, "steps"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 33}, r"batch_size=33 exceeds the number of samples N=32"),
        ({"lr": 0.0}, "lr"),
        ({"lr": -1e-3}, "lr"),
        ({"lr": math.nan}, "lr"),
        ({"adversary_lr": 0.0}, "adversary_lr"),
        ({"adversary_steps": 0}, "adversary_steps"),
        ({"optimizer": "rmsprop"}, "unknown optimizer"),
        ({"betas": (0.9, 1.0)}, "betas"),
        ({"log_every": 0}, "log_every"),
        ({"checkpoint_every": 5}, "checkpoint path"),
        ({"seed": -1}, "seed"),
    ],
)
def test_fit_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(Quadratic(), _regression_data(32), **{"steps": 2, "batch_size": 8, **kwargs})


def test_fit_rejects_integer_data_and_models_without_losses():
    with pytest.raises(ValueError, match="floating-point"):
        fit(Quadratic(), torch.ones(8, 4, dtype=torch.long), steps=1, batch_size=4,
            progress=False)
    with pytest.raises(ValueError, match="losses"):
        fit(nn.Linear(2, 2), torch.zeros(8, 2), steps=1, batch_size=4, progress=False)


def test_fit_rejects_losses_without_a_loss_key():
    class NoLoss(Quadratic):
        def losses(self, batch):
            return {"penalty": super().losses(batch)["penalty"]}

    with pytest.raises(ValueError, match="'loss'"):
        fit(NoLoss(), _regression_data(), steps=1, batch_size=8, progress=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_moves_model_and_cpu_batches_to_cuda():
    model = _toy("gan")
    history = fit(model, _blob(), steps=5, batch_size=50, device="cuda", progress=False)
    assert next(model.parameters()).is_cuda and len(history) == 5


# --------------------------------------------------------------------------- hooks and labels
class LabelledLinear(nn.Module):
    """Least squares of labels on inputs; records every batch it sees."""

    uses_labels = True

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 1)
        self.seen = []

    def losses(self, batch):
        x, y = batch
        self.seen.append((x.detach().clone(), y.clone()))
        return {"loss": (self.lin(x).squeeze(-1) - y).pow(2).mean()}


def test_tuple_data_keeps_inputs_and_labels_aligned_across_epochs():
    x = torch.arange(10, dtype=torch.float32)[:, None]
    labels = 3 * torch.arange(10)  # integer labels stay integers
    model = LabelledLinear()
    fit(model, (x, labels), steps=7, batch_size=4, progress=False)
    assert len(model.seen) == 7
    for xb, yb in model.seen:
        assert yb.dtype == torch.int64
        assert torch.equal(yb, 3 * xb.squeeze(-1).long())
    # two batches of 4 per epoch of 10: an epoch never repeats a sample
    first_epoch = torch.cat([xb for xb, _ in model.seen[:2]]).squeeze(-1)
    assert len(set(first_epoch.tolist())) == 8


def test_tuple_data_draws_the_same_batches_as_the_tensor_alone():
    data = _blob(40)
    torch.manual_seed(0)
    a = fit(Quadratic(), torch.cat([data, data[:, :2]], 1), steps=6, batch_size=8,
            progress=False)
    torch.manual_seed(0)
    b = fit(Quadratic(), (torch.cat([data, data[:, :2]], 1), torch.arange(40)), steps=6,
            batch_size=8, progress=False)
    assert a["loss"] == b["loss"]


def test_a_model_without_uses_labels_receives_only_the_input():
    model = _toy()
    fit(model, (_blob(40), torch.zeros(40)), steps=2, batch_size=20, progress=False)


def test_tuple_data_of_different_lengths_is_refused():
    with pytest.raises(ValueError, match="share their first dimension"):
        fit(LabelledLinear(), (torch.zeros(10, 1), torch.zeros(9)), steps=1, batch_size=2,
            progress=False)


def test_callback_sees_every_step_with_its_values_and_the_model():
    calls = []
    model = Quadratic()
    history = fit(model, _blob(40).repeat(1, 2), steps=5, batch_size=10, progress=False,
                  log_every=2, callback=lambda step, values, m: calls.append(
                      (step, values["loss"], m is model, m.lin.weight.detach().clone())))
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5]
    assert all(c[2] for c in calls)
    logged = dict(zip(history.step, history["loss"], strict=True))
    assert all(logged[s] == loss for s, loss, _, _ in calls if s in logged)
    # the callback runs after the update: consecutive recorded weights differ
    assert not torch.equal(calls[0][3], calls[1][3])


def test_callback_must_be_callable():
    with pytest.raises(ValueError, match="callback"):
        fit(Quadratic(), _blob(40).repeat(1, 2), steps=1, batch_size=10, progress=False,
            callback=3)


def test_after_step_runs_once_per_main_update():
    class Counted(Quadratic):
        def __init__(self):
            super().__init__()
            self.after = 0

        def after_step(self):
            self.after += 1

    model = Counted()
    fit(model, _blob(40).repeat(1, 2), steps=4, batch_size=10, progress=False)
    assert model.after == 4


# --------------------------------------------------------------------------- bad input (issue 16)
def _bad_checkpoint_files(tmp_path):
    # A real checkpoint, then files that torch.load reads or fails to read in seven ways.
    model = POTModel.for_toy(hidden=(4,))
    good = tmp_path / "good.pt"
    fit(model, torch.randn(20, 2), steps=2, batch_size=10, progress=False, checkpoint=good)
    raw = good.read_bytes()
    files = {
        "truncated": raw[: len(raw) // 2],
        "empty": b"",
        "text": b"step: 3\n",
        "plain pickle": pickle.dumps({"model": 1, "step": 1}, protocol=2),
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name.replace(' ', '_')}.pt"
        paths[name].write_bytes(content)
    state = model.state_dict()
    payloads = {
        "model is a string": {"model": "abc", "step": 1},
        "history is a list": {"model": state, "step": 1, "history": [1.0, 2.0]},
        "step is a string": {"model": state, "step": "3"},
        "config is a list": {"model": state, "step": 1, "config": [1]},
    }
    for name, payload in payloads.items():
        paths[name] = tmp_path / f"{name.replace(' ', '_')}.pt"
        torch.save(payload, paths[name])
    return paths


def test_load_checkpoint_refuses_every_non_checkpoint_with_the_documented_error(tmp_path):
    for name, path in _bad_checkpoint_files(tmp_path).items():
        model = POTModel.for_toy(hidden=(4,))
        before = {k: v.clone() for k, v in model.state_dict().items()}
        with pytest.raises(ValueError, match="not a checkpoint written by vegan_lib.fit"):
            load_checkpoint(path, model)
        assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), name


def test_load_checkpoint_names_the_model_and_a_foreign_architecture(tmp_path):
    path = tmp_path / "wide.pt"
    fit(POTModel.for_toy(hidden=(8,)), torch.randn(20, 2), steps=1, batch_size=10,
        progress=False, checkpoint=path)
    with pytest.raises(ValueError, match="model must be an nn.Module"):
        load_checkpoint(path, 3)
    narrow = POTModel.for_toy(hidden=(4,))
    before = [p.clone() for p in narrow.parameters()]
    with pytest.raises(ValueError, match=r"another architecture.*0.weight: \(8, 2\) in the file"):
        load_checkpoint(path, narrow)
    assert all(torch.equal(a, b) for a, b in zip(before, narrow.parameters(), strict=True))
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt", narrow)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"checkpoint": "DIR"}, r"checkpoint=.* is a directory.*model\.pt"),
        ({"checkpoint": "FILE/model.pt"}, "lies under .* which is a file"),
        ({"checkpoint": 3}, "checkpoint must be a file path"),
        ({"seed": 2**70}, r"seed must be in \[0, 2\*\*63\)"),
        ({"lr": 1e300}, "lr=1e\\+300 is too large.*float32"),
        ({"adversary_lr": 1e300}, "adversary_lr=1e\\+300 is too large"),
        ({"steps": 10**30}, "steps=.* is too large: it must be below 2\\*\\*63"),
        ({"lr": "1e-3"}, "lr must be a positive number, got '1e-3'"),
        ({"device": "gpu"}, "device='gpu' is not a device"),
    ],
)
def test_fit_refuses_bad_settings_before_the_first_step(tmp_path, kwargs, match):
    (tmp_path / "FILE").write_text("not a directory")
    paths = {"DIR": str(tmp_path), "FILE/model.pt": str(tmp_path / "FILE" / "model.pt")}
    kwargs = {k: paths.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    model = POTModel.for_toy(hidden=(4,))
    calls = []
    model.losses = lambda x: calls.append(1)  # would fail loudly if a step ran
    with pytest.raises(ValueError, match=match):
        fit(model, torch.randn(20, 2), steps=kwargs.pop("steps", 2), batch_size=10,
            progress=False, **kwargs)
    assert not calls


# --------------------------------------------------------------------------- bad input (issue 23)
def _small(seed=0, **kwargs):
    torch.manual_seed(seed)
    return POTModel.for_toy(hidden=(4,), **kwargs)


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _unchanged(model, before):
    return all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        # used to be ignored: fit trained from step 1 and wrote nothing
        ({"resume": True}, r"resume=True .*no checkpoint was given; pass checkpoint=path"),
        # used to count as True
        ({"resume": "yes", "checkpoint": "CKPT"}, "resume must be True or False, got 'yes'"),
        ({"progress": "no"}, "progress must be True or False, got 'no'"),  # drew a bar
        ({"desc": 3}, "desc must be a string"),  # a TypeError inside the progress bar
        ({"callback": "print"}, "callback must be a function callback"),
    ],
)
def test_fit_refuses_bad_resume_progress_desc_and_callback_before_the_first_step(
        tmp_path, kwargs, match):
    kwargs = {k: str(tmp_path / "run.pt") if v == "CKPT" else v for k, v in kwargs.items()}
    model = _small()
    calls = []
    model.losses = lambda x: calls.append(1)  # would fail loudly if a step ran
    with pytest.raises(ValueError, match=match):
        fit(model, torch.randn(20, 2), **{"steps": 2, "batch_size": 10, "progress": False,
                                          **kwargs})
    assert not calls and not os.listdir(tmp_path)


def test_resume_refuses_a_checkpoint_of_more_steps_and_leaves_file_and_model_as_they_were(
        tmp_path):
    # Used to rewrite the file as step 3 while it still held the weights and history of
    # step 6.
    path, x = tmp_path / "run.pt", torch.randn(40, 2)
    fit(_small(), x, steps=6, batch_size=10, checkpoint=path, progress=False)
    digest, model = _digest(path), _small(seed=1)
    before = _weights(model)
    with pytest.raises(ValueError, match=r"holds 6 finished steps, more than steps=3.*steps>=6"):
        fit(model, x, steps=3, batch_size=10, checkpoint=path, resume=True, progress=False)
    assert _digest(path) == digest and _unchanged(model, before)
    history = fit(model, x, steps=8, batch_size=10, checkpoint=path, resume=True, progress=False)
    assert history.step == list(range(1, 9))


@pytest.mark.parametrize(
    ("trained", "resumed", "match"),
    [
        # used to resume without complaint: same networks, another objective
        ({}, {"divergence": "wcg"}, r"divergence is 'mmd' in the file, 'wcg' in the model"),
        ({}, {"lam": 1.0}, r"lam is 10.0 in the file, 1.0 in the model"),
        ({}, {"cost": "euclidean"}, r"cost is 'squared' in the file, 'euclidean' in the model"),
        ({}, {"mmd_kernel": "rbf"}, r"mmd_kernel is 'imq' in the file, 'rbf' in the model"),
        ({"divergence": "gan"}, {"divergence": "gan", "cost": gaussian_nll_cost(0.5),
                                 "lam_aae": 1.0},
         r"cost is 'squared' in the file, 'gaussian_nll_cost\(sigma2=0.5\)' in the model"),
    ],
    ids=["wcg", "lam", "cost", "kernel", "aae"],
)
def test_resume_refuses_a_checkpoint_of_another_objective(tmp_path, trained, resumed, match):
    path, x = tmp_path / "run.pt", torch.randn(40, 2)
    fit(_small(**trained), x, steps=2, batch_size=10, checkpoint=path, progress=False)
    digest, model = _digest(path), _small(seed=1, **resumed)
    before = _weights(model)
    with pytest.raises(ValueError, match=rf"another objective than this POTModel .*{match}"):
        fit(model, x, steps=4, batch_size=10, checkpoint=path, resume=True, progress=False)
    assert _digest(path) == digest and _unchanged(model, before)


def test_a_checkpoint_written_before_the_objective_was_recorded_still_resumes_exactly(tmp_path):
    kwargs = {"steps": 8, "batch_size": 50, "progress": False}
    reference = fit(_toy("gan"), _blob(), **kwargs)
    path = tmp_path / "old.pt"
    fit(_toy("gan"), _blob(), checkpoint=path, **{**kwargs, "steps": 5})
    payload = torch.load(path, weights_only=True)
    del payload["config"]["objective"]  # the format of the previous release
    torch.save(payload, path)
    resumed = fit(_toy("gan", seed=99), _blob(), checkpoint=path, resume=True, **kwargs)
    assert resumed.terms == reference.terms and resumed.step == reference.step


def _damage(payload, entry, value):
    # entry "a/0/b": payload["a"][0]["b"] (a list index, or an optimizer's parameter id)
    *keys, last = [int(k) if k.isdigit() else k for k in entry.split("/")]
    node = payload
    for key in keys:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("entry", "value", "match"),
    [
        # AttributeError, after the model's weights had been overwritten
        ("optimizer", None, r"'optimizer' entry is None, not an optimizer state dict"),
        # an unnamed ValueError from torch, after the weights had been overwritten
        ("optimizer/param_groups", [], r"'optimizer' entry has parameter groups of sizes \[\]"),
        ("optimizer/param_groups/0/lr", None, r"'optimizer' entry .* without a valid 'lr'"),
        ("optimizer/state/0/exp_avg", torch.zeros(3, 3), "state for parameter 0 that does not"),
        ("adversary_optimizer", None, r"'adversary_optimizer' entry is None"),
        # TypeError / AttributeError, after the weights had been overwritten
        ("rng", "garbage", r"'rng' entry is not torch's random state"),
        ("rng/cpu", "garbage", "cpu random state is a str, not a ByteTensor"),
        ("rng/cpu", torch.zeros(5056), "cpu random state is a torch.float32 tensor"),
        ("rng/cpu", torch.zeros(5056, dtype=torch.uint8), "cpu random state is invalid"),
        ("rng", _DELETE, "no 'rng' entry"),
        ("history/step", [1, 2, 9], "history's steps are not increasing integers up to its step"),
        ("config/objective", "WAE", "'objective' entry is not a dict"),
    ],
    ids=["optimizer None", "no param groups", "lr None", "state shape", "adversary None",
         "rng a str", "cpu a str", "cpu float", "cpu invalid", "no rng", "history", "objective"],
)
def test_resume_validates_the_whole_checkpoint_before_touching_model_or_file(
        tmp_path, entry, value, match):
    path, x = tmp_path / "run.pt", torch.randn(40, 2)
    fit(_small(divergence="gan"), x, steps=2, batch_size=10, checkpoint=path, progress=False)
    payload = torch.load(path, weights_only=True)
    _damage(payload, entry, value)
    torch.save(payload, path)
    digest, model = _digest(path), _small(seed=1, divergence="gan")
    before = _weights(model)
    with pytest.raises(ValueError, match=match):
        fit(model, x, steps=4, batch_size=10, checkpoint=path, resume=True, progress=False)
    assert _digest(path) == digest and _unchanged(model, before)


@pytest.mark.parametrize("labels", [list(range(32)), np.arange(32)], ids=["list", "numpy"])
@pytest.mark.parametrize("make", [Quadratic, LabelledLinear], ids=["no labels", "uses_labels"])
def test_labels_that_are_not_a_tensor_are_refused_before_training(labels, make):
    # Used to train one step on the whole of x as a batch, then raise (or not at all).
    model = make()
    x = _regression_data(32) if make is Quadratic else torch.zeros(32, 1)
    before = _weights(model)
    with pytest.raises(ValueError, match=r"data=.*labels must be a tensor with one entry per "
                                         r"row of x, e.g. data=\(x, torch.as_tensor\(labels\)\)"):
        fit(model, (x, labels), steps=2, batch_size=8, progress=False)
    assert _unchanged(model, before)
    assert getattr(model, "calls", 0) == 0 and not getattr(model, "seen", [])  # no step ran


@pytest.mark.parametrize(
    "data",
    [torch.zeros(8, 1), (torch.zeros(8, 1),), [torch.zeros(4, 1), torch.zeros(4, 1)]],
    ids=["tensor", "1-tuple", "iterable of tensors"],
)
def test_a_model_with_uses_labels_given_no_labels_is_told_what_is_missing(data):
    # Used to fail inside losses with "not enough values to unpack (expected 2, got 1)".
    model = LabelledLinear()
    with pytest.raises(ValueError, match=r"without labels, .*uses_labels=True.*data=\(x, labels\)"):
        fit(model, data, steps=2, batch_size=4, progress=False)
    assert model.seen == []


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: POTModel.for_toy(hidden=(4,), divergence="wcg", lam=3.0),
         {"model": "POTModel", "divergence": "wcg", "lam": 3.0, "cost": "squared"}),
        (lambda: POTModel.aae_for_toy(hidden=(4,), sigma2=0.5, lam_aae=2.0),
         {"lam_aae": 2.0, "lam": 2.0, "cost": "gaussian_nll_cost(sigma2=0.5)",
          "facts.family": "AAE"}),
        (lambda: VAEModel.for_toy(hidden=(4,), beta=4.0),
         {"model": "VAEModel", "sigma2": 1.0, "beta": 4.0, "z_dim": 2}),
        (lambda: AVBModel.for_toy(hidden=(4,)), {"model": "AVBModel", "sigma2": 1.0}),
        (lambda: WGANModel.for_toy(hidden=(4,), lipschitz="clip"),
         {"model": "WGANModel", "lipschitz": "clip", "facts.adversary": "critic"}),
        (lambda: FGANModel.for_mnist(z_dim=2, divergence="kl"),
         {"model": "FGANModel", "divergence": "kl", "generator_loss": "non-saturating"}),
    ],
    ids=["POT", "AAE", "VAE", "AVB", "WGAN", "f-GAN"],
)
def test_the_objective_of_every_model_family_is_recorded(build, expected):
    found = objective(build())
    assert {k: found.get(k) for k in expected} == expected, found


def test_the_checkpoint_records_the_objective_and_reads_it_back(tmp_path):
    path, model = tmp_path / "run.pt", _small(divergence="gan")
    fit(model, torch.randn(20, 2), steps=1, batch_size=10, checkpoint=path, progress=False)
    recorded = load_checkpoint(path, _small(divergence="gan"))["config"]["objective"]
    assert recorded == objective(model) and recorded["divergence"] == "gan"
