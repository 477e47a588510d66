"""``alliance agree A B``: table, CSV and JSON reports; bad input is one line, exit 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli_support import run_cli


def _coder(path: Path, miss_every: int) -> Path:
    """Six sessions; this coder drops the reflection tag on every ``miss_every``-th turn."""
    rows = []
    count = 0
    for s in range(6):
        for i in range(8):
            therapist = i % 2 == 0
            tags = []
            if therapist and i % 4 == 0:
                count += 1
                if count % miss_every:
                    tags.append("reflection")
            elif therapist:
                tags.append("open_question")
            rows.append(
                {
                    "conversation_id": f"s{s}",
                    "turn_index": i,
                    "speaker": "T" if therapist else "C",
                    "text": f"session {s} turn {i}",
                    "tags": tags,
                }
            )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def coders(tmp_path: Path) -> tuple[Path, Path]:
    return _coder(tmp_path / "human.jsonl", 1000), _coder(tmp_path / "machine.jsonl", 4)


def test_cli_agree_prints_tables(monkeypatch, capsys, coders):
    code, out, err = run_cli(monkeypatch, capsys, "agree", *map(str, coders), "--bootstrap", "200")
    assert code == 0, err
    assert "turn level: 48 turns in 6 sessions" in out
    assert "reflection" in out and "open_question" in out
    assert "ICC(2,1)" in out and "reflection_to_question" in out


def test_cli_agree_json_is_the_full_report(monkeypatch, capsys, coders):
    code, out, _ = run_cli(
        monkeypatch, capsys, "agree", *map(str, coders), "--format", "json", "--seed", "5"
    )
    assert code == 0
    report = json.loads(out)
    assert report["a"].endswith("human.jsonl") and report["bootstrap"]["seed"] == 5
    reflection = report["tags"]["reflection"]
    assert reflection["a_count"] == 12 and reflection["b_count"] == 9
    assert reflection["precision"]["estimate"] == 1.0
    assert report["tags"]["open_question"]["kappa"]["estimate"] == 1.0


def test_cli_agree_csv_to_a_file(monkeypatch, capsys, coders, tmp_path):
    target = tmp_path / "agreement.csv"
    code, out, err = run_cli(
        monkeypatch, capsys, "agree", *map(str, coders), "--format", "csv", "-o", str(target)
    )
    assert code == 0 and out == "" and "wrote" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    kappa = next(r for r in rows if r["statistic"] == "kappa" and r["name"] == "reflection")
    assert kappa["level"] == "turn" and float(kappa["low"]) <= float(kappa["estimate"])
    assert any(r["level"] == "session_score" and r["statistic"] == "icc_2_1" for r in rows)


def test_cli_agree_errors_are_one_line(monkeypatch, capsys, coders, tmp_path):
    other = tmp_path / "other.jsonl"
    rows = [
        {"conversation_id": "zz", "speaker": speaker, "text": "hi", "tags": []}
        for speaker in ("T", "C")
    ]
    other.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "agree", str(coders[0]), str(other))
    assert code == 2 and "share no coded turns" in err and "Traceback" not in err
    code, _, err = run_cli(monkeypatch, capsys, "agree", *map(str, coders), "--format", "xml")
    assert code == 2 and "unknown --format" in err
