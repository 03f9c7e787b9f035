"""vegan_lib._progress and the progress display of fit: a live bar, or one summary line."""

from __future__ import annotations

import re

import pytest
import torch

from vegan_lib import _progress
from vegan_lib.classifier import train_digit_classifier
from vegan_lib.pot import POTModel
from vegan_lib.train import fit

SUMMARY = re.compile(r"^(?P<desc>.+): (?P<steps>\d+) steps in (?P<secs>\d+\.\d) s, "
                     r"final loss (?P<loss>\S+)$")


def _train(desc="toy", steps=4, **kwargs):
    torch.manual_seed(0)
    model = POTModel.for_toy(hidden=(8,))
    return fit(model, torch.randn(40, 2), steps=steps, batch_size=20, desc=desc, **kwargs)


def test_summary_mode_prints_one_line_with_desc_steps_seconds_and_final_loss(
        monkeypatch, capsys):
    monkeypatch.setenv("VEGAN_PROGRESS", "summary")
    history = _train(desc="WAE-MMD", steps=4)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 1, out
    match = SUMMARY.match(lines[0])
    assert match, lines[0]
    assert match["desc"] == "WAE-MMD" and int(match["steps"]) == 4
    assert float(match["loss"]) == pytest.approx(history["loss"][-1], rel=1e-3)
    assert float(match["secs"]) <= history.wall_time + 0.1
    assert err == "", f"no bar may be drawn in summary mode: {err!r}"


def test_the_default_is_the_live_tqdm_bar_and_no_summary(monkeypatch, capsys):
    monkeypatch.delenv("VEGAN_PROGRESS", raising=False)
    _train(desc="toy-bar", steps=3)
    out, err = capsys.readouterr()
    assert out == ""
    assert "toy-bar" in err and "3/3" in err, err  # tqdm draws on stderr outside Jupyter


@pytest.mark.parametrize("env", ["off", "summary", "bar"])
def test_progress_false_shows_nothing_whatever_the_variable(monkeypatch, capsys, env):
    monkeypatch.setenv("VEGAN_PROGRESS", env)
    _train(progress=False)
    assert capsys.readouterr() == ("", "")


def test_off_shows_nothing(monkeypatch, capsys):
    monkeypatch.setenv("VEGAN_PROGRESS", "off")
    _train()
    assert capsys.readouterr() == ("", "")


def test_the_display_changes_no_number(monkeypatch, capsys):
    monkeypatch.setenv("VEGAN_PROGRESS", "summary")
    summary = _train(steps=5)
    monkeypatch.setenv("VEGAN_PROGRESS", "bar")
    bar = _train(steps=5)
    assert summary.terms == bar.terms


def test_a_bad_value_names_the_variable_and_the_choices(monkeypatch):
    monkeypatch.setenv("VEGAN_PROGRESS", "quiet")
    with pytest.raises(ValueError, match=r"VEGAN_PROGRESS='quiet'.*bar, summary, off"):
        _train()


def test_a_resumed_run_says_where_it_resumed(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("VEGAN_PROGRESS", "summary")
    ckpt = tmp_path / "run.pt"
    _train(steps=2, checkpoint=ckpt)
    capsys.readouterr()
    _train(steps=5, checkpoint=ckpt, resume=True)
    line = capsys.readouterr().out.strip()
    assert line.startswith("toy: 5 steps (3 in this call, resumed at 2) in "), line


def test_the_classifier_trainer_prints_one_summary_line(monkeypatch, capsys):
    monkeypatch.setenv("VEGAN_PROGRESS", "summary")
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(16, 1, 28, 28, generator=g), torch.randint(0, 10, (16,), generator=g)
    train_digit_classifier(x, y, steps=2, batch_size=8)
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1 and " 2 steps in " in out, out
    assert err == ""


def test_progress_counts_items_and_prints_once(monkeypatch, capsys):
    monkeypatch.setenv("VEGAN_PROGRESS", "summary")
    bar = _progress.Progress(["a", "b", "c"], desc="critics", unit="critics", total=3)
    assert list(bar) == ["a", "b", "c"]
    bar.close()
    bar.close()
    out = capsys.readouterr().out
    assert re.fullmatch(r"critics: 3 critics in \d+\.\d s\n", out), out


def test_an_unfinished_loop_reports_the_total(monkeypatch):
    monkeypatch.setenv("VEGAN_PROGRESS", "summary")
    bar = _progress.Progress(range(10), desc="run", total=10)
    for i in bar:
        if i == 3:
            break
    assert bar.summary().startswith("run: 4 steps of 10 in ")
