"""``alliance evaluate``: per-tag table or JSON for the shipped model on gold data."""

from __future__ import annotations

import json

import pytest

from tests.cli_support import run_cli
from tests.test_tagging_train import TINY_GOLD


@pytest.fixture
def gold(tmp_path):
    path = tmp_path / "gold.txt"
    path.write_text(TINY_GOLD)
    return path


@pytest.mark.slow
def test_cli_evaluate_prints_a_per_tag_table(monkeypatch, capsys, gold):
    code, out, err = run_cli(monkeypatch, capsys, "evaluate", "--gold", str(gold))
    assert code == 0, err
    for word in (
        "precision",
        "recall",
        "kappa",
        "support",
        "open_question",
        "macro F1",
        "confusion",
    ):
        assert word in out
    assert "reflection.depth accuracy" in out


@pytest.mark.slow
def test_cli_evaluate_json_has_every_metric(monkeypatch, capsys, gold):
    code, out, _ = run_cli(monkeypatch, capsys, "evaluate", "--gold", str(gold), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["turns"] == 24 and report["model"] == "alliance-tagger"
    open_q = report["tags"]["open_question"]
    assert open_q["support"] == 3
    assert set(open_q) >= {"precision", "recall", "f1", "kappa", "support"}
    assert "missed_as" in report["confusion"]["reflection"]


def test_cli_evaluate_unknown_model_is_one_error_line(monkeypatch, capsys, gold):
    code, _, err = run_cli(
        monkeypatch, capsys, "evaluate", "--gold", str(gold), "--model", "no-such-model"
    )
    assert code == 2
    assert "no model folder 'no-such-model'" in err and err.count("\n") == 1


def _against_itself(gold) -> list[str]:
    """The shipped model compared with itself; every tag of the tiny gold file counts."""
    return ["evaluate", "--gold", str(gold), "--baseline", "alliance-tagger", "--min-support", "1"]


@pytest.mark.slow
def test_cli_evaluate_baseline_compares_two_models_turn_for_turn(monkeypatch, capsys, gold):
    code, out, err = run_cli(
        monkeypatch, capsys, *_against_itself(gold), "--bootstrap", "50", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    # The shipped model against itself: the same codes, so no difference anywhere.
    assert report["baseline"] == "alliance-tagger"
    assert report["macro_f1"]["difference"] == 0.0
    assert report["macro_f1"]["interval"] == [0.0, 0.0]
    assert report["tags"]["open_question"]["support"] == 3
    assert report["bootstrap"]["replicates"] == 50


@pytest.mark.slow
def test_cli_evaluate_baseline_prints_the_differences(monkeypatch, capsys, gold):
    code, out, err = run_cli(monkeypatch, capsys, *_against_itself(gold))
    assert code == 0, err
    for words in ("baseline F1", "candidate F1", "difference", "95% interval", "ahead in"):
        assert words in out
    assert "macro F1" in out and "bootstrap resamples of the" in out


def test_cli_evaluate_unknown_baseline_is_one_error_line(monkeypatch, capsys, gold):
    code, _, err = run_cli(
        monkeypatch, capsys, "evaluate", "--gold", str(gold), "--baseline", "no-such-model"
    )
    assert code == 2
    assert "no model folder 'no-such-model'" in err and err.count("\n") == 1
