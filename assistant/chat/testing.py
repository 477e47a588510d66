"""A stand-in tagger for tests of the chat coach and of what calls it (the API).

``KeywordTagger`` has the two methods the coach uses, ``encode`` and
``transform_turn``, without loading MiniLM: ``encode`` hashes words and word pairs
into a unit vector (texts that share words are similar, identical texts score 1),
and ``transform_turn`` tags a line with a few keyword rules. It is deterministic
and fast; it is not a model of anything and must not be used outside tests.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.model import Role, Turn

DIM = 384
_WORD = re.compile(r"[a-z0-9']+")


def _bucket(token: str) -> tuple[int, float]:
    code = zlib.crc32(token.encode("utf-8"))
    return code % DIM, 1.0 if (code >> 16) & 1 else -1.0


class KeywordTagger:
    """Hashing bag-of-words ``encode`` and keyword-rule ``transform_turn``."""

    name = "keyword-test-tagger"

    def __init__(self) -> None:
        self.encoded: list[str] = []  # every text encoded, for tests that count calls

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            self.encoded.append(text)
            words = _WORD.findall(text.lower())
            for token in [*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))]:
                column, sign = _bucket(token)
                out[row, column] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out

    def transform_turn(self, text: str, role: Role | str, context: Any = None) -> Turn:
        role = Role(role)
        lower = text.lower()
        tags: list[str] = []
        attributes: dict[str, dict[str, str]] = {}
        if role is Role.CLIENT:
            if re.search(r"\b(whatever|fine\.|i don't know)\b", lower):
                tags.append("rupture_withdrawal")
            if re.search(r"\b(pointless|you don't (get|listen|understand))\b", lower):
                tags.append("rupture_confrontation")
        else:
            if re.search(r"\b(you need to|you have to|you must)\b", lower):
                tags += ["advice", "rigidity"]
                attributes["advice"] = {"permission": "unasked"}
            elif re.search(r"\b(you should|have you tried|why don't you)\b", lower):
                tags.append("advice")
                attributes["advice"] = {"permission": "unasked"}
            if "?" in text:
                first = _WORD.findall(lower)[:1]
                tags.append(
                    "open_question"
                    if first and first[0] in {"what", "how", "why", "tell"}
                    else "closed_question"
                )
            if re.search(r"\b(sounds like|you feel|you're feeling)\b", lower):
                tags.append("reflection")
                attributes["reflection"] = {"depth": "simple"}
            if re.search(r"\b(when i|i also|me too)\b", lower):
                tags.append("self_disclosure")
        return Turn(
            index=0, speaker="quoted", role=role, text=text, tags=tags, attributes=attributes
        )
