"""The second-coding sample in data/agreement still pairs with the training scenes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from assistant.io import iter_transcripts
from assistant.io.records import write_jsonl
from assistant.research.agreement import agreement

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "agreement"


def _reference_module():
    spec = importlib.util.spec_from_file_location("reference", FOLDER / "reference.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def coders(tmp_path_factory):
    first = tmp_path_factory.mktemp("agreement") / "first-coder.jsonl"
    with first.open("w", encoding="utf-8") as handle:
        write_jsonl(_reference_module().reference_records(), handle)
    return list(iter_transcripts(first)), list(iter_transcripts(FOLDER / "second-coder.txt"))


def test_second_coder_saw_the_same_turns_as_the_writers(coders):
    first, second = coders
    assert len(first) == len(second) == 120
    for a, b in zip(first, second, strict=True):
        assert a.id == b.id
        assert [t.text for t in a.turns] == [t.text for t in b.turns]


def test_stored_agreement_figures_are_those_of_the_files_as_they_are(coders):
    # If a sampled training scene is recoded, the datasheet's agreement table is stale.
    stored = json.loads((FOLDER / "report.json").read_text(encoding="utf-8"))
    fresh = agreement(*coders, replicates=0)
    for tag, entry in stored["tags"].items():
        assert fresh["tags"][tag]["kappa"]["estimate"] == pytest.approx(
            entry["kappa"]["estimate"], abs=1e-4
        ), tag
