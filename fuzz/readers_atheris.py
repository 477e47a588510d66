"""Coverage-guided fuzzing of every transcript reader with atheris (libFuzzer), outside CI.

    .venv/bin/pip install atheris      # 3.0.0 has wheels for CPython 3.11 on Linux x86-64
    .venv/bin/python fuzz/readers_atheris.py -max_total_time=600 -timeout=10 \
        -rss_limit_mb=4096 var/fuzz-corpus tests/data/transcripts data/demo

The first input byte picks the reader, the rest is the file. The contract is the one
the property tests check: an input parses, or raises ``TranscriptError``; anything
else (another exception, a crash) is a finding, and an input that runs longer than
``-timeout`` seconds (a runaway regular expression) is reported as a timeout. New
interesting inputs are kept in the first folder given (``var/fuzz-corpus``: create
it first; it is not committed), so later runs start from them. Crashes are written
to ``crash-*`` files in the working folder; replay one with
``.venv/bin/python fuzz/readers_atheris.py crash-FILE``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports(include=["assistant"]):
    from assistant.errors import TranscriptError
    from assistant.io import read_bytes

NAMES = {
    "text": "x.txt",
    "vtt": "x.vtt",
    "srt": "x.srt",
    "json": "x.json",
    "jsonl": "x.jsonl",
    "csv": "x.csv",
    "docx": "x.docx",
    "scenes": "x.txt",
}
FORMATS = list(NAMES)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    fmt = FORMATS[data[0] % len(FORMATS)]
    try:
        read_bytes(data[1:], NAMES[fmt], fmt=fmt)
    except TranscriptError as error:
        if not str(error):
            raise AssertionError("a TranscriptError without a message") from error


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
