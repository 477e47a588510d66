"""``alliance train``: trains from a gold file, shows the held-out report, writes a folder."""

from __future__ import annotations

import json

import pytest

from tests.cli_support import run_cli
from tests.test_tagging_train import TINY_GOLD


def _train_tiny(monkeypatch, capsys, tmp_path, out_dir, *extra: str) -> tuple[int, str, str]:
    """``alliance train`` on the tiny gold file (written to ``tmp_path``) into ``out_dir``."""
    gold = tmp_path / "gold.txt"
    gold.write_text(TINY_GOLD)
    return run_cli(monkeypatch, capsys, "train", "--data", str(gold), "--out", str(out_dir), *extra)


@pytest.mark.slow
def test_cli_train_writes_a_model_and_reports_held_out_scores(monkeypatch, capsys, tmp_path):
    gold = tmp_path / "gold.txt"
    out_dir = tmp_path / "models" / "tiny"
    code, out, err = _train_tiny(monkeypatch, capsys, tmp_path, out_dir, "--test", str(gold))
    assert code == 0, err
    assert "trained tiny on 3 transcripts / 24 turns" in out
    assert "held-out dev: out-of-fold over 3 folds" in out and "test: 24 turns" in out
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["training"]["sources"] == [str(gold)]
    assert "test" in manifest["metrics"]


def test_cli_train_missing_data_is_one_error_line(monkeypatch, capsys, tmp_path):
    code, out, err = run_cli(
        monkeypatch,
        capsys,
        "train",
        "--data",
        str(tmp_path / "absent.jsonl"),
        "--out",
        str(tmp_path / "m"),
    )
    assert code == 2
    assert err.startswith("error: ") and "absent.jsonl" in err and err.count("\n") == 1
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_cli_train_no_restyle_trains_on_the_turns_as_written(monkeypatch, capsys, tmp_path):
    out_dir = tmp_path / "plain"
    code, _, err = _train_tiny(monkeypatch, capsys, tmp_path, out_dir, "--no-restyle")
    assert code == 0, err
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["training"]["style_copies"]["turns"] == 0
    assert manifest["training"]["config"]["adapter"]["restyle"] == 0.0


def test_cli_train_rising_tone_needs_the_training_copies(monkeypatch, capsys, tmp_path):
    code, _, err = _train_tiny(
        monkeypatch, capsys, tmp_path, tmp_path / "m", "--no-restyle", "--rising-tone", "0.3"
    )
    assert code == 2
    assert err.startswith("error: ") and "--rising-tone" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_cli_train_rising_tone_goes_into_the_config(monkeypatch, capsys, tmp_path):
    out_dir = tmp_path / "rising"
    code, _, err = _train_tiny(monkeypatch, capsys, tmp_path, out_dir, "--rising-tone", "0.3")
    assert code == 0, err
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["training"]["config"]["rising"] == 0.3
