"""``alliance calibrate``: a report, a new model folder, and clear errors."""

from __future__ import annotations

import json

import pytest

from assistant.tagging import load_tagger
from tests.cli_support import run_cli
from tests.test_tagging_train import TINY_GOLD


@pytest.fixture
def gold(tmp_path):
    """Six scenes: the tiny gold set twice, the copy under other scene ids."""
    path = tmp_path / "gold.txt"
    path.write_text(TINY_GOLD + TINY_GOLD.replace("scene: tiny-", "scene: copy-"))
    return path


@pytest.mark.slow
def test_cli_calibrate_writes_a_loadable_model_and_reports_every_tag(
    monkeypatch, capsys, gold, tmp_path
):
    out = tmp_path / "lab-tagger"
    code, stdout, err = run_cli(
        monkeypatch, capsys, "calibrate", "--gold", str(gold), "--out", str(out), "--json"
    )
    assert code == 0, err
    report = json.loads(stdout)
    assert report["transcripts"] == 6
    rows = {row["tag"]: row for row in report["tags"]}
    assert "advice" in rows and "rupture_withdrawal" in rows
    # Six tiny scenes hold too few positives to move anything.
    assert not any(row["changed"] for row in rows.values())
    tagger = load_tagger(out)
    assert tagger.name == "lab-tagger"
    assert tagger.manifest["calibration"]["transcripts"] == 6


@pytest.mark.slow
def test_cli_calibrate_rejects_bad_input_and_writes_nothing(monkeypatch, capsys, tmp_path):
    few = tmp_path / "few.txt"
    few.write_text(TINY_GOLD)  # three scenes: too few to hold half out
    out = tmp_path / "lab-tagger"
    code, _, err = run_cli(monkeypatch, capsys, "calibrate", "--gold", str(few), "--out", str(out))
    assert code == 2 and "at least 4" in err
    assert not out.exists()
    code, _, err = run_cli(
        monkeypatch, capsys, "calibrate", "--gold", str(few), "--tags", "empathy"
    )
    assert code == 2 and "empathy" in err
