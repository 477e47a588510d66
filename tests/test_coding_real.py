"""Batch coding with the real tagger: same input + same model = byte-identical codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.coding import code_files
from assistant.settings import PROJECT_ROOT
from tests.test_coding_fakes import write_inputs

pytestmark = pytest.mark.slow
CODE_FILES = ("turns.jsonl", "sessions.jsonl", "turns.csv", "sessions.csv")
SCENES = PROJECT_ROOT / "data" / "corpus" / "test"


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in CODE_FILES}


@pytest.fixture(scope="module")
def tagger():
    from assistant.tagging import load_tagger

    return load_tagger()


def test_coding_real_tagger_runs_and_jobs_are_byte_identical(tmp_path: Path, tagger) -> None:
    inputs = write_inputs(tmp_path / "in")
    scenes = sorted(SCENES.glob("*.txt"))[:1]
    code_files([inputs, *scenes], tmp_path / "a", tagger=tagger)
    code_files([inputs, *scenes], tmp_path / "b", tagger=tagger)
    code_files([inputs, *scenes], tmp_path / "jobs", tagger=tagger, jobs=2)
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "jobs")
    run = json.loads((tmp_path / "jobs" / "run.json").read_text(encoding="utf-8"))
    manifest = tagger.path / "manifest.json"
    assert run["model"]["name"] == tagger.name
    assert run["model"]["path"] == str(tagger.path)
    assert len(run["model"]["sha256"]) == 64 and run["codebook_sha256"]
    assert run["model"]["labels"] == json.loads(manifest.read_text(encoding="utf-8"))["labels"]
