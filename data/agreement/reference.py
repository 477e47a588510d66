"""Rebuild the first coder's side of the second-coding sample from the training scenes.

The second coder saw 120 training scenes with their codes stripped, their ids
replaced (``scene-ids.json``: new id -> training id) and the ``style`` key removed.
This writes the same scenes with the writers' own codes and the same new ids, so the
two files pair turn for turn:

    .venv/bin/python data/agreement/reference.py > var/first-coder.txt
    .venv/bin/alliance agree var/first-coder.txt data/agreement/second-coder.txt
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRAIN = HERE.parent / "corpus" / "train"
HEADER = re.compile(r"=== scene: ([^ |]+)")


def training_scenes(folder: Path = TRAIN) -> dict[str, list[str]]:
    """Scene id -> its turn lines (comments and blank lines dropped)."""
    scenes: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.txt")):
        lines: list[str] | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            match = HEADER.match(line)
            if match:
                lines = scenes.setdefault(match.group(1), [])
            elif lines is not None and line.strip() and not line.startswith("#"):
                lines.append(line)
    return scenes


def reference_text(second_coder: Path = HERE / "second-coder.txt") -> str:
    """The second coder's file with every scene's turns replaced by the writer's."""
    ids = json.loads((HERE / "scene-ids.json").read_text(encoding="utf-8"))
    scenes = training_scenes()
    out: list[str] = []
    for line in second_coder.read_text(encoding="utf-8").splitlines():
        match = HEADER.match(line)
        if match:
            out += [line, *scenes[ids[match.group(1)]], ""]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference_text())
