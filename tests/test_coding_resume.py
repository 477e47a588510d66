"""--resume: a killed run loses nothing written, and the resumed output equals a full run."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from assistant import coding
from assistant.coding import code_files
from assistant.errors import ValidationError
from assistant.model import Transcript
from tests.test_coding_fakes import RuleTagger, write_inputs

CODE_FILES = ("turns.jsonl", "sessions.jsonl", "turns.csv", "sessions.csv")


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in CODE_FILES}


class DyingTagger(RuleTagger):
    """Ends the whole process, as a kill would, while coding conversation ``die_at``."""

    def __init__(self, die_at: int) -> None:
        super().__init__()
        self.die_at = die_at

    def transform(
        self, transcripts: Iterable[Transcript], batch_size: int | None = None
    ) -> Iterator[Transcript]:
        for coded in super().transform(transcripts, batch_size):
            if len(self.coded) == self.die_at:
                os._exit(9)  # no cleanup, no flush: what SIGKILL leaves behind
            yield coded


def _killed_run(inputs: Path, out: Path, die_at: int, chunk_turns: int) -> None:
    coding.CHUNK_TURNS = chunk_turns
    code_files([inputs], out, tagger=DyingTagger(die_at))


def _run_and_kill(inputs: Path, out: Path, die_at: int, chunk_turns: int) -> None:
    process = multiprocessing.get_context("spawn").Process(
        target=_killed_run, args=(inputs, out, die_at, chunk_turns)
    )
    process.start()
    process.join(120)
    assert process.exitcode == 9


def test_coding_resume_after_kill_equals_full_run(tmp_path: Path, monkeypatch) -> None:
    # Chunks of about 8 turns: lab-1+lab-2 | followup-00+01 | intake-00+01.
    monkeypatch.setattr(coding, "CHUNK_TURNS", 8)
    inputs = write_inputs(tmp_path / "in", copies=2)
    full = RuleTagger()
    code_files([inputs], tmp_path / "full", tagger=full)
    _run_and_kill(inputs, tmp_path / "out", die_at=4, chunk_turns=8)
    written = (tmp_path / "out" / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(written) == 3
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "running"  # the kill left it unfinished, and it says so

    tagger = RuleTagger()
    summary = code_files([inputs], tmp_path / "out", tagger=tagger, resume=True)
    assert summary.resumed == 3 and summary.conversations == 3
    # The finished chunk is not coded again; the cut one is coded whole, as before.
    assert tagger.calls == full.calls[1:]
    assert _bytes(tmp_path / "out") == _bytes(tmp_path / "full")
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "complete" and run["previous_runs"][0]["status"] == "running"
    assert run["output"]["conversations"] == 6


def test_coding_resume_cuts_a_half_written_conversation(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "full", tagger=RuleTagger())
    out = tmp_path / "out"
    shutil.copytree(tmp_path / "full", out)
    sessions = (out / "sessions.jsonl").read_bytes().splitlines(keepends=True)
    turns = (out / "turns.jsonl").read_bytes().splitlines(keepends=True)
    first = json.loads(sessions[0])["turns"]
    # The second conversation's turns are half written and its session line is cut.
    (out / "turns.jsonl").write_bytes(b"".join(turns[: first + 2]) + turns[first + 2][:25])
    (out / "sessions.jsonl").write_bytes(sessions[0] + sessions[1][:40])
    (out / "turns.csv").write_bytes(b"garbage")
    summary = code_files([inputs], out, tagger=RuleTagger(), resume=True)
    assert summary.resumed == 1
    assert _bytes(out) == _bytes(tmp_path / "full")


def test_coding_resume_of_a_finished_run_codes_nothing(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "out", tagger=RuleTagger())
    before = _bytes(tmp_path / "out")
    tagger = RuleTagger()
    summary = code_files([inputs], tmp_path / "out", tagger=tagger, resume=True)
    assert tagger.coded == [] and summary.conversations == 0 and summary.resumed == 4
    assert _bytes(tmp_path / "out") == before


def test_coding_resume_without_output_starts_afresh(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    summary = code_files([inputs], tmp_path / "out", tagger=RuleTagger(), resume=True)
    assert summary.conversations == 4 and summary.resumed == 0


def test_coding_resume_refuses_another_model(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "out", tagger=RuleTagger())

    class OtherTagger(RuleTagger):
        sha256 = "another-model"

    with pytest.raises(ValidationError, match="mix two models"):
        code_files([inputs], tmp_path / "out", tagger=OtherTagger(), resume=True)


def test_coding_resume_refuses_damaged_output(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "out", tagger=RuleTagger())
    sessions = tmp_path / "out" / "sessions.jsonl"
    sessions.write_text("not json\n" + sessions.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValidationError, match="line 1 is damaged"):
        code_files([inputs], tmp_path / "out", tagger=RuleTagger(), resume=True)
