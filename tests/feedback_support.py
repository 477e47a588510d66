"""Shared test data for the feedback and report tests: the demo session coded by hand,
and a small rule-based stand-in for the tagger (so the filtering logic can be tested
without loading the model; the real tagger is used in the tests marked slow)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assistant.core import DEMO_TRANSCRIPT
from assistant.io import read_transcripts
from assistant.model import Role, Transcript, Turn

CX = {"reflection": {"depth": "complex"}}
SX = {"reflection": {"depth": "simple"}}

# Demo turn index -> (tags, attributes), coded by hand with the project codebook.
DEMO_CODES: dict[int, tuple[list[str], dict[str, dict[str, str]]]] = {
    2: (["collaboration", "open_question"], {}),
    4: (["reflection", "collaboration", "open_question"], SX),
    6: (["reflection"], CX),
    8: (["reflection"], CX),
    10: (["closed_question"], {}),
    12: (["advice", "rigidity"], {"advice": {"permission": "unasked"}}),
    15: (["rupture_withdrawal"], {}),
    17: (["rupture_withdrawal"], {}),
    18: (["rigidity"], {}),
    19: (["rupture_confrontation"], {}),
    20: (["reflection", "repair", "open_question"], SX),
    22: (["warmth", "reflection"], CX),
    24: (["open_question", "collaboration"], {}),
    26: (["reflection", "collaboration", "closed_question"], SX),
    28: (["collaboration"], {}),
    30: (
        ["self_disclosure", "poorly_timed_self_disclosure"],
        {"self_disclosure": {"timing": "poorly_timed"}},
    ),
    31: (["rupture_withdrawal"], {}),
    34: (["open_question"], {}),
    36: (["reflection"], CX),
    38: (["reflection"], CX),
    40: (["warmth", "closed_question"], {}),
    44: (["reflection", "open_question"], SX),
    46: (["reflection", "collaboration", "open_question"], SX),
    48: (["warmth", "collaboration", "closed_question"], {}),
}


def tagged_demo() -> Transcript:
    """The demo session with the hand codes above on its turns."""
    transcript = read_transcripts(DEMO_TRANSCRIPT)[0]
    for turn in transcript.turns:
        tags, attributes = DEMO_CODES.get(turn.index, ([], {}))
        turn.tags = list(tags)
        turn.attributes = {k: dict(v) for k, v in attributes.items()}
    return transcript


def coded(rows: Sequence[tuple[Role, str, list[str], dict]], id: str = "t") -> Transcript:
    """A transcript from (role, text, tags, attributes) rows."""
    return Transcript(
        id=id,
        turns=[
            Turn(
                index=i,
                speaker="T" if role is Role.THERAPIST else "C",
                role=role,
                text=text,
                tags=list(tags),
                attributes=attrs,
            )
            for i, (role, text, tags, attrs) in enumerate(rows)
        ],
    )


# Keyword rules standing in for the trained head: enough to tell a repair from a
# question, and deterministic, so tests can say which alternatives must pass.
_RULES = {
    "repair": r"\b(i think i|i might have|i may have|i'm noticing|let me slow|my plan|my idea|"
    r"okay to disagree|i may have had a part|i'm glad you told me|you're right)\b",
    "warmth": r"\b(makes a lot of sense|thank you|glad|took real|of course|says something about you)\b",
    "collaboration": r"\b(would it be okay|your call|what would|which would|what do you think|"
    r"where would you like|would it help)\b",
    "rigidity": r"\b(you need to|you should|hang on)\b",
    "self_disclosure": r"\b(i've had|i know something of|when i was)\b",
    "open_question": r"\b(what|how|tell me)\b",
}


class RuleTagger:
    """transform_turn/encode like assistant.tagging.Tagger, from the keyword rules above."""

    name = "rule-tagger"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Role, list[Turn]]] = []

    def transform_turn(
        self, text: str, role: Role = Role.THERAPIST, context: Sequence[Turn] = ()
    ) -> Turn:
        self.calls.append((text, role, list(context)))
        lowered = text.lower()
        tags = [tag for tag, pattern in _RULES.items() if re.search(pattern, lowered)]
        attributes: dict[str, dict[str, str]] = {}
        if "?" not in text and not tags and len(text.split()) >= 3:
            tags.append("reflection")
            attributes["reflection"] = {"depth": "complex" if "," in text else "simple"}
        return Turn(
            index=len(context),
            speaker="T",
            role=role,
            text=text,
            tags=tags,
            scores={tag: 0.9 for tag in tags},
            attributes=attributes,
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), 64))
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z']+", text.lower()):
                vectors[row, hash(word) % 64] += 1.0
        return vectors
