"""Transcript files in, ``Transcript`` objects out (and the interchange records back).

Readers are chosen by file extension or an explicit format name (``FORMATS``):
plain text, WebVTT, SRT, JSON, JSONL, CSV, DOCX and our authored scene format.
Every problem is a ``TranscriptError`` naming the file and line; nothing
half-parsed is ever returned. Roles come from known speaker words, from behaviour
(reported in ``Transcript.role_method``) or from ``therapist=`` (``--therapist``).
"""

from assistant.io.readers import (
    EXTENSIONS,
    FORMATS,
    detect_format,
    iter_transcripts,
    read_bytes,
    read_transcripts,
)
from assistant.io.records import CORE_FIELDS, turn_record, write_csv, write_jsonl
from assistant.io.roles import role_summary

__all__ = [
    "CORE_FIELDS",
    "EXTENSIONS",
    "FORMATS",
    "detect_format",
    "iter_transcripts",
    "read_bytes",
    "read_transcripts",
    "role_summary",
    "turn_record",
    "write_csv",
    "write_jsonl",
]
