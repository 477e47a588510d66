"""Plain-text transcripts: ``Speaker: text`` lines with continuation lines.

Accepted turn starts::

    T: ...                     Therapist: ...           Dr. Kim: ...
    [00:01:02] Client: ...     SPEAKER 1: ...           Speaker 1 (00:03): ...
    Jane Doe: ...              **Counselor:** ...       Speaker 1  0:03   (text on the next lines)

A line without a label continues the previous turn; blank lines and timestamp-only
lines separate nothing. So that an ordinary sentence with a colon ("Here's the
thing: I ...") is not taken for a speaker, a label is at most four words, mostly
capitalised, and must either be a known role word or start at least two lines.
Text before the first turn (a title, a date) is kept in ``source['preamble']``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

from assistant.errors import E_NO_SPEAKERS, TranscriptError
from assistant.io.build import RawTurn, build_transcript
from assistant.io.records import parse_timestamp
from assistant.io.roles import known_role, label_key
from assistant.model import Transcript

logger = logging.getLogger(__name__)

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TIME_ONLY = re.compile(rf"^[\[(]?\s*{_TS}\s*(?:-->?\s*{_TS}\s*)?[\])]?$", re.ASCII)
_LEADING_TIME = re.compile(rf"^[\[(]?(?P<time>{_TS})[\])]?\s*(?:[-–]\s*)?", re.ASCII)
# "Speaker 1  0:03" on a line of its own (Otter-style export), text on the next lines.
_LABEL_THEN_TIME = re.compile(rf"^(?P<label>[^:]{{1,40}}?)\s+(?P<time>{_TS})$", re.ASCII)
_LABEL_TIME_COLON = re.compile(
    rf"^\**(?P<label>[^:*]{{1,60}}?)\s*[\[(](?P<time>{_TS})[\])]\**\s*:\**\s*(?P<text>.*)$"
)
_LABEL_COLON = re.compile(r"^\**(?P<label>[^:*]{1,60}?)\**\s*:\**\s*(?P<text>.*)$")
_LABEL_CHARS = re.compile(r"^[\w .'’&-]+$")
_MAX_LABEL_WORDS = 4
_MAX_LABEL_CHARS = 40
# Lower-case name particles that may sit inside a capitalised name ("Jane de Vries").
_PARTICLES = frozenset("de van von der den da di du la le del ter ten bin al el".split())


def _plausible_label(label: str) -> bool:
    """Could ``label`` name a speaker (not the start of an ordinary sentence)?"""
    label = label.strip()
    if not label or len(label) > _MAX_LABEL_CHARS or not _LABEL_CHARS.match(label):
        return False
    words = label.split()
    if len(words) > _MAX_LABEL_WORDS or label.replace(" ", "").isdigit():
        return False
    if known_role(label) is not None:
        return True
    return words[0][0].isupper() and all(
        w[0].isupper() or w[0].isdigit() or w.lower() in _PARTICLES for w in words[1:]
    )


def split_label(line: str) -> tuple[str, str, float | None] | None:
    """(label, text, start seconds) when ``line`` could start a turn, else None."""
    start: float | None = None
    rest = line
    leading = _LEADING_TIME.match(rest)
    if leading and leading.end() > 0 and leading.group("time"):
        start = parse_timestamp(leading.group("time"))
        rest = rest[leading.end() :]
    alone = _LABEL_THEN_TIME.match(rest)
    if alone and _plausible_label(alone.group("label")):
        return alone.group("label").strip(), "", parse_timestamp(alone.group("time"))
    match = _LABEL_TIME_COLON.match(rest)
    if match:
        start = parse_timestamp(match.group("time"))
    else:
        match = _LABEL_COLON.match(rest)
    if not match:
        return None
    label = match.group("label").strip()
    if not _plausible_label(label):
        return None
    return label, match.group("text").strip(), start


def parse_plain_text(
    text: str, *, path: str, stem: str, therapist: str | None, fmt: str = "text"
) -> Transcript:
    lines = text.split("\n")
    candidates: list[tuple[str, str, float | None] | None] = []
    counts: Counter[str] = Counter()
    for line in lines:
        found = split_label(line.strip())
        candidates.append(found)
        if found:
            counts[label_key(found[0])] += 1
    accepted = {key for key, n in counts.items() if n >= 2 or known_role(key) is not None}

    raw: list[RawTurn] = []
    names: dict[str, str] = {}  # label key -> the spelling first seen
    preamble: list[str] = []
    pending_start: float | None = None
    for number, (line, found) in enumerate(zip(lines, candidates, strict=True), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if _TIME_ONLY.match(stripped):
            pending_start = parse_timestamp(re.split(r"\s*-->?\s*", stripped.strip("[]()"))[0])
            continue
        if found and label_key(found[0]) in accepted:
            label, words, start = found
            speaker = names.setdefault(label_key(label), label)
            raw.append(
                RawTurn(
                    speaker=speaker,
                    text=words,
                    line=number,
                    start=start if start is not None else pending_start,
                )
            )
            pending_start = None
        elif raw:
            raw[-1].text = f"{raw[-1].text} {stripped}".strip()
        else:
            preamble.append(stripped)
    empty = [t.line for t in raw if not t.text]
    if empty:
        logger.info("%s: dropped %d label(s) with no text (lines %s)", path, len(empty), empty)
    raw = [t for t in raw if t.text]
    if not raw:
        raise TranscriptError(E_NO_SPEAKERS, path=path)
    return build_transcript(
        raw,
        transcript_id=stem,
        path=path,
        fmt=fmt,
        therapist=therapist,
        source_extra={"preamble": "\n".join(preamble)} if preamble else None,
    )
