"""Gold-coded input for training and evaluation: scene folders or any reader file.

``read_gold`` accepts files and folders. A folder contributes every transcript file
in it (sorted, so runs are reproducible); a file is read by ``assistant.io`` (scene
``.txt``, JSONL, CSV, JSON, ...), which carries gold ``tags`` and ``attributes``.
JSONL and CSV are streamed, so a lab's large coded file is not limited by the upload
size limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assistant.errors import TranscriptError, ValidationError
from assistant.io import EXTENSIONS, iter_transcripts
from assistant.model import Transcript


def gold_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS
            )
            if not found:
                raise TranscriptError("the folder holds no transcript files", path=path)
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise TranscriptError("no such file or folder", path=path)
    return files


def read_gold(paths: Iterable[str | Path], require_tags: bool = True) -> list[Transcript]:
    """Every transcript in ``paths``; ids made unique across files (``id#2`` ...)."""
    transcripts: list[Transcript] = []
    seen: dict[str, int] = {}
    files = gold_files(paths)
    for file in files:
        for transcript in iter_transcripts(file):
            count = seen.get(transcript.id, 0) + 1
            seen[transcript.id] = count
            if count > 1:
                transcript = transcript.model_copy(update={"id": f"{transcript.id}#{count}"})
            transcripts.append(transcript)
    if require_tags and not any(turn.tags for t in transcripts for turn in t.turns):
        raise ValidationError(
            "no gold tags found; training and evaluation need coded turns "
            "(scene '[tags]', or a 'tags' column/field in JSONL/CSV)",
            path=files[0] if len(files) == 1 else None,
        )
    return transcripts
