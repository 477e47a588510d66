"""The text a turn is coded from: transcriber's noise marks dropped, spaces collapsed.

Human transcripts carry the transcriber's notes inside the speech: "[inaudible]",
"(cross-talk)", "[unclear 00:12:31]", "<coughs>". They say nothing about what the
speaker did, but the model reads them as words, and a mark at the end of a turn hides
its question mark ("how often does she call? [crosstalk]"). Put one in every turn of
the dev probes and macro F1 falls by 0.03 (``bench/style_robustness.py``,
``docs/tagger.md``), so they are dropped before coding.

Only marks about the recording are dropped. Marks about the speaker ("(laughs)",
"(long pause)", "[crying]", "(sighs)") stay: our corpus writes them, and a client's
"(long pause)" or a therapist's disclosure after "(crying)" is exactly what the codes
are about.

The user keeps the text as it was written; ``coded_text`` also returns, for every
character it keeps, where it was in that text, so evidence spans point into it.
"""

from __future__ import annotations

import re

_NOISE_WORDS = (
    r"inaudible|unintelligible|indistinct|indiscernible|unclear|incomprehensible|"
    r"cross[- ]?talk|over[- ]?talk(?:ing)?|overlapping(?: speech| talk| voices)?|"
    r"background (?:noise|voices?|sounds?)|(?:audio|recording|line) (?:cuts?|cut|drops?|dropped)"
    r"(?: out)?|static|noise|interruption|coughs?|coughing|clears (?:his |her |their )?throat|"
    r"sneezes?|phone (?:rings|ringing)|knock(?:ing)? (?:at|on) (?:the )?door"
)
# One mark: a bracket, up to two words before the noise word ("[brief crosstalk]",
# "[word inaudible]"), up to three after ("[inaudible 00:12:31]", "(unclear, two
# words)"), then the matching bracket.
_MARK = re.compile(
    r"\[(?P<s>[^\[\]]{0,40})\]|\((?P<r>[^()]{0,40})\)|<(?P<a>[^<>]{0,40})>|\{(?P<c>[^{}]{0,40})\}"
)
_NOISE_CONTENT = re.compile(
    rf"^\s*(?:[\w'-]+\s+){{0,2}}?(?:{_NOISE_WORDS})(?:[\s,;:]+[\w:.'-]+){{0,3}}\s*[.?]?\s*$",
    re.IGNORECASE,
)
_BRACKETS = frozenset("[(<{")


def noise_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every noise mark in ``text``, brackets included."""
    if not _BRACKETS.intersection(text):
        return []
    spans = []
    for match in _MARK.finditer(text):
        content = next(g for g in match.groups() if g is not None)
        if _NOISE_CONTENT.match(content):
            spans.append(match.span())
    return spans


def coded_text(text: str) -> tuple[str, list[int]]:
    """``text`` without noise marks, with runs of spaces made one and the ends stripped;
    and, for each character of that, its index in ``text``."""
    dropped = noise_spans(text)
    out: list[str] = []
    origin: list[int] = []
    space_at: int | None = None  # where the pending run of spaces (or a dropped mark) began
    span = 0
    i = 0
    while i < len(text):
        if span < len(dropped) and i == dropped[span][0]:
            space_at = i if space_at is None else space_at
            i = dropped[span][1]
            span += 1
            continue
        char = text[i]
        if char.isspace():
            space_at = i if space_at is None else space_at
        else:
            if space_at is not None and out:
                out.append(" ")
                origin.append(space_at)
            space_at = None
            out.append(char)
            origin.append(i)
        i += 1
    return "".join(out), origin


def original_span(origin: list[int], start: int, end: int) -> tuple[int, int]:
    """A span of the coded text as a span of the written text (``coded_text``'s map)."""
    if not origin or end <= start:
        return start, end
    return origin[start], origin[min(end, len(origin)) - 1] + 1
