"""The text a turn is coded from: transcriber's noise marks dropped, spaces collapsed.

Human transcripts carry the transcriber's notes inside the speech: "[inaudible]",
"(cross-talk)", "[unclear 00:12:31]", "<coughs>". They say nothing about what the
speaker did, but the model reads them as words, and a mark at the end of a turn hides
its question mark ("how often does she call? [crosstalk]"). Put one in every turn of
the dev probes and macro F1 falls by 0.03 (``bench/style_robustness.py``,
``docs/tagger.md``), so they are dropped before coding.

Marks about the speaker ("(laughs)", "(long pause)", "[crying]", "(sighs)") stay in
client turns: a client's "(long pause)" is a withdrawal cue, and a therapist's
disclosure right after "(crying)" is poorly timed. In therapist turns they are dropped
too (``drop_speaker_notes``): no therapist code rests on them, and our training scenes
put them mostly on untagged small talk ("[laughs] I'll print you a fresh diary
sheet"), so the model learnt them as a sign of "no code". One at the start or in the
middle of every therapist turn of the dev probes took macro F1 from 0.872 to 0.854
(rigidity 0.83 to 0.74); dropped, it stays 0.873. Placeholders ("[NAME]") and other
bracketed speech are not notes and stay.

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
# Notes about what a speaker does besides speaking: a speaker-action word, with up to
# two words before it ("laughs softly", "both laugh", "long pause", "5 second pause")
# and two after.
_SPEAKER_WORDS = (
    r"laugh(?:s|ing|ter)?|chuckl(?:e|es|ing)|giggl(?:e|es|ing)|smil(?:e|es|ing)|"
    r"grin(?:s|ning)?|sigh(?:s|ing)?|pause[sd]?|pausing|silen(?:ce|t)|quiet(?:ly)?|softly|"
    r"nod(?:s|ding)?|shrug(?:s|ging)?|cr(?:ying|ies)|tearful|tears|sob(?:s|bing)?|"
    r"sniff(?:s|ing|les)?|breath(?:es|ing)?|exhal(?:es|ing)|inhal(?:es|ing)|"
    r"writ(?:es|ing)|reading|typing|lean(?:s|ing)(?: \w+)?|gestur(?:e|es|ing)|"
    r"looks? (?:away|down|up)|smiling"
)
_SPEAKER_CONTENT = re.compile(
    rf"^\s*(?:[\w'-]+[\s,]+){{0,2}}?(?:{_SPEAKER_WORDS})(?:[\s,;:]+[\w:.'-]+){{0,2}}\s*[.]?\s*$",
    re.IGNORECASE,
)
_BRACKETS = frozenset("[(<{")


def noise_spans(text: str, *, speaker_notes: bool = False) -> list[tuple[int, int]]:
    """(start, end) of every noise mark in ``text``, brackets included; with
    ``speaker_notes``, of every note about the speaker too."""
    if not _BRACKETS.intersection(text):
        return []
    spans = []
    for match in _MARK.finditer(text):
        content = next(g for g in match.groups() if g is not None)
        if _NOISE_CONTENT.match(content) or (speaker_notes and _SPEAKER_CONTENT.match(content)):
            spans.append(match.span())
    return spans


def coded_text(text: str, *, drop_speaker_notes: bool = False) -> tuple[str, list[int]]:
    """``text`` without noise marks (and, with ``drop_speaker_notes``, without notes
    about the speaker), with runs of spaces made one and the ends stripped; and, for
    each character of that, its index in ``text``."""
    dropped = noise_spans(text, speaker_notes=drop_speaker_notes)
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
