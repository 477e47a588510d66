"""Slot filling: the skill, turn numbers, a direction and quoted words in a message.

Turn numbers are read as the user sees them (numbered from 1, as in the report) and
returned as 0-based turn indices, the numbering the data model uses everywhere.
Pronouns ("her", "him", "them") need no slot: there is one client per session.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# "turn 42", "turn #42", "turn no. 42", "line 42", "utterance 42", "#42", "t42".
_TURN = re.compile(
    r"(?:\b(?:turns?|lines?|utterances?|statements?)\s*(?:no\.?|number|nr\.?)?\s*#?\s*"
    r"|#\s*|\bt)(\d{1,5})\b",
    re.IGNORECASE,
)
# Further numbers in a list after a turn number: "turns 12, 14 and 20".
_MORE_TURNS = re.compile(r"^\s*(?:,|and|&|or)\s*#?(\d{1,5})\b", re.IGNORECASE)

_DIRECTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("previous", re.compile(r"\b(before|previous|earlier|prior|preceding|back)\b", re.I)),
    ("next", re.compile(r"\b(next|after|later|following|then)\b", re.I)),
    ("first", re.compile(r"\b(first|earliest)\b", re.I)),
    ("last", re.compile(r"\b(last|final|latest)\b", re.I)),
    ("more", re.compile(r"\b(another|other|others|more|else|go on|continue)\b", re.I)),
)

# Quoted words: straight or curly double quotes, or single quotes that open after a
# space/colon and close before a space or punctuation (so "don't" is not a quote).
_QUOTES = (
    re.compile(r"\u201c([^\u201d]{2,400})\u201d"),
    re.compile(r'"([^"]{2,400})"'),
    # An apostrophe between letters ("don't", "it's") does not close the quote.
    re.compile(r"(?:^|(?<=[\s:(]))'((?:[^']|(?<=\w)'(?=\w)){2,400}?)'(?=$|[\s.,!?;:)])"),
    re.compile(
        r"(?:^|(?<=[\s:(]))\u2018((?:[^\u2019]|(?<=\w)\u2019(?=\w)){2,400}?)\u2019(?=$|[\s.,!?;:)])"
    ),
)
# Who said the quoted words: the last "<subject> <speech verb>" just before the quote.
_SPEECH = re.compile(
    r"\b(?:(i|she|he|they|the client|my client|client|patient)\b(?:\s+\w+){0,3}?\s+"
    r"(?:said|say|says|told|tell|asked|ask|replied|answered|responded|went|goes|snapped|"
    r"shouted|added|suggested|was like|kept saying)|(my) (?:response|reply|answer|words|"
    r"question) (?:was|were))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuotedWords:
    text: str
    start: int
    speaker: str  # "therapist" (the clinician's own words), "client" or "unknown"


@dataclass(frozen=True)
class Slots:
    skill: str | None = None
    skills: tuple[str, ...] = ()
    turns: tuple[int, ...] = ()  # 0-based indices
    direction: str | None = None
    quotes: tuple[QuotedWords, ...] = field(default_factory=tuple)

    @property
    def turn(self) -> int | None:
        return self.turns[0] if self.turns else None


class SlotFiller:
    """Finds slots with the skill synonyms from ``prompts/intents.yaml``."""

    def __init__(self, skill_synonyms: Mapping[str, Sequence[str]]) -> None:
        phrases = [
            (phrase.lower().strip(), skill)
            for skill, words in skill_synonyms.items()
            for phrase in words
            if phrase.strip()
        ]
        # Longest phrase first, so "complex reflection" wins over "reflection".
        phrases.sort(key=lambda item: -len(item[0]))
        self._skills = [
            (re.compile(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", re.I), skill)
            for phrase, skill in phrases
        ]

    def __call__(self, message: str) -> Slots:
        found = self.skills(message)
        return Slots(
            skill=found[0] if found else None,
            skills=found,
            turns=turn_numbers(message),
            direction=direction(message),
            quotes=quoted_words(message),
        )

    def mask(self, message: str, placeholder: str = "x") -> str:
        """The message with every skill phrase replaced by ``placeholder``.

        Intent detection reads the masked text, so "what about reflections?" is
        judged by its form (a follow-up), not pulled towards every exemplar that
        happens to name reflections.
        """
        spans: list[tuple[int, int]] = []
        for pattern, _ in self._skills:
            for match in pattern.finditer(message):
                span = match.span()
                if not any(span[0] < end and start < span[1] for start, end in spans):
                    spans.append(span)
        for start, end in sorted(spans, reverse=True):
            message = message[:start] + placeholder + message[end:]
        return message

    def skills(self, message: str) -> tuple[str, ...]:
        """Skills named in the message, in order of first mention."""
        hits: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        for pattern, skill in self._skills:
            for match in pattern.finditer(message):
                span = match.span()
                if any(span[0] < end and start < span[1] for start, end in taken):
                    continue
                taken.append(span)
                hits.append((span[0], skill))
        ordered: list[str] = []
        for _, skill in sorted(hits):
            if skill not in ordered:
                ordered.append(skill)
        return tuple(ordered)


def turn_numbers(message: str) -> tuple[int, ...]:
    """0-based indices of the turns a message names (users count from 1)."""
    found: list[int] = []
    for match in _TURN.finditer(message):
        numbers = [int(match.group(1))]
        rest = message[match.end() :]
        while more := _MORE_TURNS.match(rest):
            numbers.append(int(more.group(1)))
            rest = rest[more.end() :]
        for number in numbers:
            if number >= 1 and number - 1 not in found:
                found.append(number - 1)
    return tuple(found)


def direction(message: str) -> str | None:
    for name, pattern in _DIRECTIONS:
        if pattern.search(message):
            return name
    return None


def quoted_words(message: str) -> tuple[QuotedWords, ...]:
    """Words the user put in quotes, with who said them when the message says so."""
    found: list[QuotedWords] = []
    covered: list[tuple[int, int]] = []
    for pattern in _QUOTES:
        for match in pattern.finditer(message):
            span = match.span(1)
            if any(span[0] < end and start < span[1] for start, end in covered):
                continue
            text = match.group(1).strip()
            if len(text.split()) < 2:
                continue
            covered.append(span)
            lead = message[max(0, match.start() - 80) : match.start()]
            speakers = [m.group(1) or m.group(2) for m in _SPEECH.finditer(lead)]
            speaker = "unknown"
            if speakers:
                speaker = "therapist" if speakers[-1].lower() in ("i", "my") else "client"
            found.append(QuotedWords(text=text, start=span[0], speaker=speaker))
    found.sort(key=lambda q: q.start)
    return tuple(found)
