"""Parquet output: same rows as the JSONL, and a clear error when pyarrow is missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assistant.coding import code_files
from assistant.errors import ValidationError
from tests.test_coding_fakes import RuleTagger, write_inputs


def test_coding_parquet_holds_the_jsonl_rows(tmp_path: Path) -> None:
    pq = pytest.importorskip(
        "pyarrow.parquet", reason="pyarrow (the 'parquet' extra) is not installed"
    )
    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "out", tagger=RuleTagger(), parquet=True)
    turns = pq.read_table(tmp_path / "out" / "turns.parquet").to_pylist()
    expected = [
        json.loads(line)
        for line in (tmp_path / "out" / "turns.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [(t["conversation_id"], t["turn_index"], t["tags"]) for t in turns] == [
        (e["conversation_id"], e["turn_index"], e["tags"]) for e in expected
    ]
    assert dict(turns[0]["scores"]) == expected[0]["scores"]
    sessions = pq.read_table(tmp_path / "out" / "sessions.parquet")
    written = (tmp_path / "out" / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    assert sessions.column("conversation_id").to_pylist() == [
        json.loads(line)["conversation_id"] for line in written
    ]
    assert sessions.schema.field("n_rupture_withdrawal").type == "int64"
    assert sessions.column("reflection_to_question").type == "double"


def test_coding_parquet_without_pyarrow_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    inputs = write_inputs(tmp_path / "in")
    with pytest.raises(ValidationError, match=r"alliance-assistant\[parquet\]"):
        code_files([inputs], tmp_path / "out", tagger=RuleTagger(), parquet=True)
    assert not (tmp_path / "out").exists()  # refused before any work
