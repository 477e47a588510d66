"""A small rule-based tagger for the drill tests: fast, predictable, no model files.

It knows just enough surface cues to separate a reflection from a question, advice,
a self-disclosure or a repair, so the drill logic (scoring, feedback, adaptation,
storage, CLI, API) can be tested without the trained model; the slow tests use the
real tagger.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from assistant.model import Role, Transcript, Turn

_CUES: dict[str, re.Pattern[str]] = {
    "advice": re.compile(r"\b(you should|try to|you need to|why don't you|have you tried)\b"),
    "warmth": re.compile(r"\b(makes sense|understandable|of course you|no wonder)\b"),
    "collaboration": re.compile(r"\b(would you like|together|what would you want|shall we)\b"),
    "repair": re.compile(r"\b(i'm sorry|you're right|i pushed|how is this going)\b"),
    "self_disclosure": re.compile(r"\b(i remember when|when i was|i also|i had)\b"),
    "rigidity": re.compile(r"\b(we need to stick|as i said|we have to finish)\b"),
}
QUESTION_OPENERS = ("do ", "did ", "are ", "is ", "have ", "can ", "would ", "will ")


class DrillFakeTagger:
    name = "drill-fake-tagger"

    def __init__(self) -> None:
        self.calls = 0

    def _scores(self, text: str) -> dict[str, float]:
        lower = text.lower().strip()
        scores = {tag: 0.05 for tag in (*_CUES, "reflection", "open_question", "closed_question")}
        for tag, pattern in _CUES.items():
            if pattern.search(lower):
                scores[tag] = 0.9
        if lower.endswith("?"):
            last = re.split(r"(?<=[.!])\s+", lower)[-1]
            key = "open_question" if last.startswith(("what", "how")) else "closed_question"
            scores[key] = 0.9
            if not last.startswith(QUESTION_OPENERS + ("what", "how")):
                scores[key] = 0.6
        if lower.startswith(("you", "so you", "part of you")) and scores["advice"] < 0.5:
            scores["reflection"] = 0.9 if not lower.endswith("?") else 0.55
        return scores

    def transform_turn(
        self,
        text: str,
        role: Role = Role.THERAPIST,
        context: Sequence[Turn] = (),
        position: float | None = None,
    ) -> Turn:
        self.calls += 1
        scores = self._scores(text)
        tags = [tag for tag, p in scores.items() if p >= 0.5]
        attributes = {"reflection": {"depth": "complex"}} if "reflection" in tags else {}
        return Turn(
            index=len(context),
            speaker="T",
            role=role,
            text=text,
            tags=tags,
            scores=scores,
            attributes=attributes,
        )

    def transform_transcript(self, transcript: Transcript) -> Transcript:
        """Therapist turns tagged by the same rules; client turns left untagged."""
        turns = []
        for position, turn in enumerate(transcript.turns):
            if turn.role is Role.THERAPIST:
                tagged = self.transform_turn(turn.text, turn.role, transcript.turns[:position])
                turn = tagged.model_copy(update={"index": turn.index, "speaker": turn.speaker})
            turns.append(turn)
        return transcript.model_copy(update={"turns": turns})

    def transform(self, transcripts, batch_size: int | None = None):
        for transcript in transcripts:
            yield self.transform_transcript(transcript)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Bag-of-words vectors hashed into 384 dimensions, unit length."""
        rows = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z']+", text.lower()):
                slot = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                rows[row, slot % 384] += 1.0
            norm = np.linalg.norm(rows[row])
            if norm:
                rows[row] /= norm
        return rows
