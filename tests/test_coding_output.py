"""Batch coding outputs: joins, determinism, run.json, bad files, worker processes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assistant import coding
from assistant.coding import code_files, plan_units
from assistant.errors import AllianceError, TranscriptError, ValidationError
from tests.test_coding_fakes import RuleTagger, load_rule_tagger, write_inputs

CODE_FILES = ("turns.jsonl", "sessions.jsonl", "turns.csv", "sessions.csv")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in CODE_FILES}


def test_coding_turns_and_sessions_join_on_conversation_id(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    summary = code_files([inputs], tmp_path / "out", tagger=RuleTagger())
    turns = _jsonl(tmp_path / "out" / "turns.jsonl")
    sessions = _jsonl(tmp_path / "out" / "sessions.jsonl")
    assert summary.files == 3 and summary.conversations == 4 and summary.turns == len(turns)
    ids = [s["conversation_id"] for s in sessions]
    assert len(set(ids)) == len(ids)
    for session in sessions:
        own = [t for t in turns if t["conversation_id"] == session["conversation_id"]]
        assert len(own) == session["turns"]
        assert sum(len(t["tags"]) for t in own) == sum(session["counts"].values())
    assert {t["conversation_id"] for t in turns} == set(ids)
    with (tmp_path / "out" / "sessions.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["conversation_id"] for r in rows] == ids
    assert "n_rupture_withdrawal" in rows[0] and "reflection_to_question" in rows[0]


def test_coding_scores_rounded_and_runs_byte_identical(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "a", tagger=RuleTagger())
    code_files([inputs], tmp_path / "b", tagger=RuleTagger())
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    first = _jsonl(tmp_path / "a" / "turns.jsonl")[0]
    assert first["scores"]["open_question"] == 0.3333


def test_coding_duplicate_ids_are_made_unique(tmp_path: Path) -> None:
    for folder in ("clinic-a", "clinic-b"):
        write_inputs(tmp_path / "in" / folder)
    code_files([tmp_path / "in"], tmp_path / "out", tagger=RuleTagger())
    ids = [s["conversation_id"] for s in _jsonl(tmp_path / "out" / "sessions.jsonl")]
    assert ids.count("intake-00") == 1 and "intake-00#2" in ids and "lab-1#2" in ids
    turn_ids = {t["conversation_id"] for t in _jsonl(tmp_path / "out" / "turns.jsonl")}
    assert turn_ids == set(ids)


def test_coding_run_json_records_model_inputs_and_counts(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "out", tagger=RuleTagger(), batch_size=7)
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "complete"
    assert run["model"]["name"] == "rule-tagger" and run["model"]["sha256"] == "rule-tagger-v1"
    assert run["versions"]["alliance-assistant"]
    assert run["settings"]["batch_size"] == 7
    assert run["counts"]["conversations"] == 4 and run["output"]["conversations"] == 4
    assert run["started"] <= run["finished"]
    lab = next(i for i in run["inputs"] if i["path"].endswith("lab.jsonl"))
    assert len(lab["sha256"]) == 64 and lab["conversations"] == 2 and lab["turns"] == 10


def test_coding_bad_file_is_skipped_and_reported(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    (inputs / "broken.txt").write_text("just one line with no speakers\n", encoding="utf-8")
    summary = code_files([inputs], tmp_path / "out", tagger=RuleTagger())
    assert [Path(p).name for p, _ in summary.failed] == ["broken.txt"]
    assert summary.conversations == 4
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["failed_files"] == 1
    with pytest.raises(TranscriptError):
        code_files([inputs], tmp_path / "strict", tagger=RuleTagger(), strict=True)


def test_coding_refuses_existing_output_and_contradictory_flags(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "out", tagger=RuleTagger())
    with pytest.raises(AllianceError, match="--resume"):
        code_files([inputs], tmp_path / "out", tagger=RuleTagger())
    with pytest.raises(ValidationError, match="contradict"):
        code_files([inputs], tmp_path / "out", tagger=RuleTagger(), resume=True, overwrite=True)
    with pytest.raises(ValidationError, match="engine"):
        code_files([inputs], tmp_path / "x", tagger=RuleTagger(), engine="spark")


def test_coding_units_group_consecutive_files_by_size(tmp_path: Path, monkeypatch) -> None:
    files = []
    for n, size in enumerate([100, 100, 300, 50, 50]):
        files.append(tmp_path / f"f{n}.txt")
        files[-1].write_bytes(b"x" * size)
    monkeypatch.setattr(coding, "UNIT_BYTES", 200)
    units = plan_units(files, [0, 0, 2, 0, 0])
    assert [[f.order for f in unit] for unit in units] == [[0, 1], [2], [3, 4]]
    assert units[1][0].done == 2 and units[1][0].path == str(files[2])


def test_coding_jobs_output_equals_single_process(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(coding, "UNIT_BYTES", 200)  # about one file per unit: many units
    inputs = write_inputs(tmp_path / "in", copies=3)
    code_files([inputs], tmp_path / "one", tagger=RuleTagger())
    summary = code_files([inputs], tmp_path / "two", loader=load_rule_tagger, jobs=2)
    assert summary.files == 7
    assert _bytes(tmp_path / "one") == _bytes(tmp_path / "two")
    run = json.loads((tmp_path / "two" / "run.json").read_text(encoding="utf-8"))
    assert run["settings"]["jobs"] == 2 and run["model"]["name"] == "rule-tagger"


def test_coding_jobs_report_bad_files_in_input_order(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(coding, "UNIT_BYTES", 200)
    inputs = write_inputs(tmp_path / "in")
    (inputs / "text" / "broken.txt").write_text("no speakers at all\n", encoding="utf-8")
    one = code_files([inputs], tmp_path / "one", tagger=RuleTagger())
    two = code_files([inputs], tmp_path / "two", loader=load_rule_tagger, jobs=2)
    assert [Path(p).name for p, _ in two.failed] == ["broken.txt"]
    assert one.failed == two.failed
    assert _bytes(tmp_path / "one") == _bytes(tmp_path / "two")
