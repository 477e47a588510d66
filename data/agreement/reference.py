"""Rebuild the first coder's side of the second-coding sample from the training scenes.

The second coder saw 120 training scenes with their codes stripped, their ids
replaced (``scene-ids.json``: new id -> training id) and the ``style`` key removed.
This writes the same scenes with the writers' own codes and the new ids, as JSONL
interchange records, so the two files pair turn for turn:

    .venv/bin/python data/agreement/reference.py > var/first-coder.jsonl
    .venv/bin/alliance agree var/first-coder.jsonl data/agreement/second-coder.txt
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.corpus import load_corpus, read_scenes
from assistant.io.records import turn_record, write_jsonl

HERE = Path(__file__).resolve().parent


def reference_records(second_coder: Path = HERE / "second-coder.txt") -> Iterator[dict[str, Any]]:
    """The writers' codes of every scene the second coder saw, under the new ids."""
    ids = json.loads((HERE / "scene-ids.json").read_text(encoding="utf-8"))
    scenes = {scene.id: scene for scene in load_corpus([HERE.parent / "corpus" / "train"])}
    for seen in read_scenes(second_coder):
        original = scenes[ids[seen.id]].model_copy(update={"id": seen.id})
        for turn in original.turns:
            yield turn_record(original, turn)


if __name__ == "__main__":
    write_jsonl(reference_records(), sys.stdout)
