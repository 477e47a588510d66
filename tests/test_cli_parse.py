"""``alliance parse``: table or JSONL on stdout, role report and errors on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import run_cli

DATA = Path(__file__).parent / "data" / "transcripts"


def test_cli_parse_prints_a_table(monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, "parse", str(DATA / "labels.txt"))
    assert code == 0
    assert "labels (text, 5 turns)" in out
    assert "therapist" in out and "client" in out
    assert "Sleep and work" in out
    assert err == ""  # roles came from labels: nothing to report


def test_cli_parse_jsonl_is_clean_and_roles_go_to_stderr(monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, "parse", str(DATA / "names.txt"), "--jsonl")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 6
    assert {k: records[1][k] for k in ("conversation_id", "turn_index", "speaker", "role")} == {
        "conversation_id": "names",
        "turn_index": 1,
        "speaker": "Sam Ortiz",
        "role": "client",
    }
    assert records[0]["text"].startswith("Hi Sam")
    assert "'Dana Reyes' -> therapist (inferred" in err


def test_cli_parse_format_and_therapist_options(monkeypatch, capsys, tmp_path):
    path = tmp_path / "session.log"
    path.write_text("Ann: What brings you here?\nBo: Work.\nAnn: Work?\nBo: Yes.\n")
    code, out, err = run_cli(
        monkeypatch, capsys, "parse", str(path), "--format", "text", "--therapist", "bo", "--jsonl"
    )
    assert code == 0
    assert [json.loads(line)["role"] for line in out.splitlines()] == ["client", "therapist"] * 2
    assert "override" in err


@pytest.mark.parametrize(
    "content, args, message",
    [
        (b"", [], "empty"),
        (b"\x00\x01\x02binary", [], "binary"),
        (b"T: hello\nT: again\n", [], "only one speaker"),
        (b"T: hi\nC: hi\n", ["--therapist", "Zed"], "not a speaker"),
        (b"T: hi\nC: hi\n", ["--format", "pdf"], "unknown format"),
    ],
)
def test_cli_parse_errors_are_one_line_on_stderr(
    monkeypatch, capsys, tmp_path, content, args, message
):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, out, err = run_cli(monkeypatch, capsys, "parse", str(path), *args)
    assert code != 0
    assert out == ""
    assert err.startswith("error: ") and str(path) in err
    assert message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_cli_parse_missing_file(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "parse", str(tmp_path / "nope.vtt"))
    assert code == 2
    assert "no such file" in err


def test_cli_help_lists_parse(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "--help")
    assert code == 0
    assert "parse" in out and "version" in out
