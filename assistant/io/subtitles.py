"""WebVTT and SRT captions from transcription services.

The speaker comes from a voice tag (``<v Jane Doe>text``) or a ``Name: text``
prefix (same rules as plain text); a cue without one continues the previous
speaker. Cue times are kept, and consecutive cues of one speaker are merged into a
single turn (start of the first, end of the last).
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from dataclasses import dataclass

from assistant.errors import E_NO_SPEAKERS, TranscriptError
from assistant.io.build import RawTurn, build_transcript
from assistant.io.records import parse_timestamp
from assistant.io.roles import known_role, label_key
from assistant.io.text import split_label
from assistant.model import Transcript

logger = logging.getLogger(__name__)

_CUE_TIME = r"(?:\d{1,6}:)?\d{1,2}:\d{1,2}[.,]\d{1,3}"
_TIMING = re.compile(rf"^(?P<start>{_CUE_TIME})\s*-->\s*(?P<end>{_CUE_TIME})(?:\s+.*)?$", re.ASCII)
# Classes (".loud") hold no dots and names no angle brackets: each voice tag matches one
# way only, so a long run of dots or spaces cannot make the pattern backtrack for ever.
_VOICE = re.compile(r"<v(?:\.[^\s<>.]*)*\s+(?P<name>[^\s<>](?:[^<>]*[^\s<>])?)\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?[^<>\n]*>")  # no "<" inside: a run of "<" stays linear
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")
_CUE_HELP = {
    "vtt": "expected a cue: an optional id line, a timing line like "
    "'00:00:01.000 --> 00:00:04.000', then the text",
    "srt": "expected a cue: a number, a timing line like '00:00:01,000 --> 00:00:04,000', "
    "then the text",
}


@dataclass
class _Piece:
    speaker: str | None
    text: str
    line: int
    start: float
    end: float


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Groups of non-blank lines with the number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line.strip())
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _pieces(text: str, *, path: str, fmt: str) -> list[_Piece]:
    """Split cues into (speaker or None, text) pieces, in order."""
    pieces: list[_Piece] = []
    for number, block in _blocks(text.split("\n")):
        head = block[0]
        if fmt == "vtt" and head.startswith("WEBVTT") and not pieces:
            continue
        if fmt == "vtt" and head.split(" ", 1)[0] in _SKIPPED_BLOCKS:
            continue
        timing_at = 0 if "-->" in head else 1
        if timing_at >= len(block):
            raise TranscriptError(_CUE_HELP[fmt], path=path, line=number)
        timing = _TIMING.match(block[timing_at])
        if not timing:
            raise TranscriptError(_CUE_HELP[fmt], path=path, line=number + timing_at)
        start = parse_timestamp(timing.group("start"))
        end = parse_timestamp(timing.group("end"))
        if start is None or end is None:
            raise TranscriptError(_CUE_HELP[fmt], path=path, line=number + timing_at)
        if end < start:
            raise TranscriptError(
                "the cue ends before it starts; expected 'start --> end' with end >= start",
                path=path,
                line=number + timing_at,
            )
        for offset, payload in enumerate(block[timing_at + 1 :], start=timing_at + 1):
            # A line may hold several voices: "<v A>yes</v> <v B>no</v>".
            parts = _VOICE.split(payload)
            if parts[0].strip():
                pieces.append(_Piece(None, parts[0], number + offset, start, end))
            for name, said in zip(parts[1::2], parts[2::2], strict=True):
                pieces.append(_Piece(_clean(name) or None, said, number + offset, start, end))
    return pieces


def parse_captions(
    text: str, *, path: str, stem: str, therapist: str | None, fmt: str
) -> Transcript:
    pieces = _pieces(text, path=path, fmt=fmt)
    # "Name: text" inside cues, accepted on the same terms as in plain text.
    prefixed = {id(p): split_label(_clean(p.text)) for p in pieces if p.speaker is None}
    counts = Counter(label_key(found[0]) for found in prefixed.values() if found)
    accepted = {k for k, n in counts.items() if n >= 2 or known_role(k) is not None}
    raw: list[RawTurn] = []
    names: dict[str, str] = {}
    preamble: list[str] = []
    for piece in pieces:
        said = _clean(piece.text)
        speaker = piece.speaker
        found = prefixed.get(id(piece))
        if speaker is None and found and label_key(found[0]) in accepted:
            speaker, said = found[0], found[1]
        if not said:
            continue
        if speaker is not None:
            speaker = names.setdefault(label_key(speaker), speaker)
        if raw and (speaker is None or speaker == raw[-1].speaker):
            last = raw[-1]
            last.text = f"{last.text} {said}"
            last.end = max(last.end or piece.end, piece.end)
        elif speaker is not None:
            raw.append(
                RawTurn(
                    speaker=speaker, text=said, line=piece.line, start=piece.start, end=piece.end
                )
            )
        else:
            preamble.append(said)
    if not raw:
        raise TranscriptError(E_NO_SPEAKERS, path=path)
    if preamble:
        logger.info(
            "%s: %d cue line(s) before the first speaker were set aside", path, len(preamble)
        )
    return build_transcript(
        raw,
        transcript_id=stem,
        path=path,
        fmt=fmt,
        therapist=therapist,
        source_extra={"preamble": "\n".join(preamble)} if preamble else None,
    )
