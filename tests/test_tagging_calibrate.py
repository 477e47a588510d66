"""Threshold calibration: a move happens only where held-out halves agree."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.errors import ValidationError
from assistant.tagging.calibrate import (
    MAX_SHIFT,
    Calibration,
    TagCalibration,
    _calibrate_tag,
    choose_threshold,
    write_calibrated,
)

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "alliance-tagger"


def _sample(seed: int, transcripts: int = 40, turns: int = 20):
    """Per-turn owner, gold and scores: positives score 0.45-0.6, negatives under 0.35."""
    rng = np.random.default_rng(seed)
    owner = np.repeat(np.arange(transcripts), turns)
    gold = rng.random(owner.size) < 0.15
    scores = rng.uniform(0.0, 0.35, owner.size)
    scores[gold] = rng.uniform(0.45, 0.6, gold.sum())
    return owner, gold, scores


def test_calibrate_moves_a_threshold_that_held_out_halves_all_favour():
    owner, gold, scores = _sample(1)
    result = _calibrate_tag("advice", owner, gold, scores, 0.65, 40, repeats=5, seed=13)
    assert result.changed
    assert 0.4 <= result.chosen < 0.5
    assert result.wins == result.halves == 10
    assert result.held_out_chosen > result.held_out_trained + 0.5


def test_calibrate_keeps_a_threshold_that_is_already_right():
    owner, gold, scores = _sample(2)
    result = _calibrate_tag("advice", owner, gold, scores, 0.4, 40, repeats=5, seed=13)
    assert not result.changed
    assert result.held_out_chosen == pytest.approx(result.held_out_trained, abs=0.01)


def test_calibrate_needs_enough_positives():
    owner, gold, scores = _sample(3, transcripts=4, turns=10)
    gold[:] = False
    gold[:3] = True
    result = _calibrate_tag("advice", owner, gold, scores, 0.65, 4, repeats=5, seed=13)
    assert not result.changed and result.halves == 0
    assert "fewer than" in result.reason


def test_choose_threshold_stays_within_the_allowed_shift():
    gold = np.array([True, False] * 50)
    scores = np.where(gold, 0.15, 0.05)
    assert choose_threshold(gold, scores, 0.8) == pytest.approx(0.8 - MAX_SHIFT)


def _calibration(moved: bool) -> Calibration:
    row = TagCalibration("advice", 30, 0.65, 0.45, 0.7, 0.8, 10, 10, moved, "why")
    return Calibration("alliance-tagger", 100, 10, "abc", [row])


def test_calibrated_thresholds_move_only_the_tags_that_passed():
    trained = {"advice": 0.65, "warmth": 0.6}
    assert _calibration(True).thresholds(trained) == {"advice": 0.45, "warmth": 0.6}
    assert _calibration(False).thresholds(trained) == trained


def test_write_calibrated_copies_the_model_with_a_record(tmp_path):
    tagger = SimpleNamespace(path=SHIPPED, name="alliance-tagger")
    out = write_calibrated(tagger, _calibration(True), tmp_path / "lab-tagger", ["lab.jsonl"])
    manifest = json.loads((out / "manifest.json").read_text())
    shipped = json.loads((SHIPPED / "manifest.json").read_text())
    assert manifest["name"] == "lab-tagger"
    assert manifest["thresholds"]["advice"] == 0.45
    assert manifest["calibration"]["trained_thresholds"] == shipped["thresholds"]
    assert manifest["calibration"]["gold"] == ["lab.jsonl"]
    assert manifest["files"] == shipped["files"]  # weights copied unchanged
    assert not (tmp_path / "lab-tagger.partial").exists()


def test_write_calibrated_refuses_to_overwrite(tmp_path):
    tagger = SimpleNamespace(path=SHIPPED, name="alliance-tagger")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    with pytest.raises(ValidationError, match="already exists"):
        write_calibrated(tagger, _calibration(True), taken, ["lab.jsonl"])
    assert (taken / "keep.txt").read_text() == "mine"
    with pytest.raises(ValidationError, match="new folder"):
        write_calibrated(tagger, _calibration(True), SHIPPED, ["lab.jsonl"])
