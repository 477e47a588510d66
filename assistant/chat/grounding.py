"""Quotes that are really in the transcript, and checks that a reply invents nothing.

Every quote the coach shows is cut from a turn's text (``excerpt``), so it is a
substring by construction; ``unverified_quotes`` re-checks the finished reply
anyway, because templates and generative backends can be edited or go wrong.
Quotes are written in curly double quotes; straight double quotes in a reply are
checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_QUOTED = (re.compile(r"\u201c([^\u201d]*)\u201d"), re.compile(r'"([^"]*)"'))
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?")
MAX_QUOTE_WORDS = 28
ELLIPSIS = "\u2026"


def excerpt(
    text: str, focus: tuple[int, int] | None = None, max_words: int = MAX_QUOTE_WORDS
) -> str:
    """A verbatim piece of ``text``: the whole turn when short, else the sentence(s)
    around ``focus`` (character offsets of a cue), else the opening sentences.

    The result is always ``text[a:b]`` for some a, b, so it is a substring.
    """
    stripped = text.strip()
    if not stripped:
        return ""
    offset = text.index(stripped)
    if len(stripped.split()) <= max_words:
        return stripped
    bounds = [0]
    bounds += [m.end() for m in _SENTENCE_END.finditer(stripped)]
    sentences = [
        (start, (bounds[i + 1] if i + 1 < len(bounds) else len(stripped)))
        for i, start in enumerate(bounds)
    ]
    first = 0
    if focus is not None:
        at = focus[0] - offset
        first = next((i for i, (s, e) in enumerate(sentences) if s <= at < e), 0)
    start, end = sentences[first]
    for _, e in sentences[first + 1 :]:
        if len(stripped[start:e].split()) > max_words:
            break
        end = e
    piece = stripped[start:end].strip()
    words = piece.split()
    if len(words) > max_words:
        # One very long sentence: cut on a word boundary, still a substring.
        cut = _nth_word_end(piece, max_words)
        piece = piece[:cut].rstrip(" ,;:-")
    return piece


def _nth_word_end(text: str, n: int) -> int:
    for count, match in enumerate(re.finditer(r"\S+", text), start=1):
        if count == n:
            return match.end()
    return len(text)


def quotes_in(text: str) -> list[str]:
    """Every quoted string in a reply (curly or straight double quotes)."""
    found: list[str] = []
    for pattern in _QUOTED:
        found += [m.group(1) for m in pattern.finditer(text)]
    return found


def _normal(text: str) -> str:
    # Only whitespace and quote-mark style are forgiven; the words must match.
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


def is_verbatim(quote: str, sources: Iterable[str]) -> bool:
    needle = _normal(quote.strip(ELLIPSIS + " ")).strip()
    if not needle:
        return False
    return any(needle in _normal(source) for source in sources)


def unverified_quotes(text: str, sources: Sequence[str]) -> list[str]:
    """Quotes in ``text`` that are not a substring of any of ``sources``."""
    return [quote for quote in quotes_in(text) if not is_verbatim(quote, sources)]


def numbers_in(text: str) -> set[str]:
    """Numbers written with digits ("42", "0.83", "1,5"), normalised to use a point."""
    return {m.group(0).replace(",", ".") for m in _NUMBER.finditer(text)}


def new_numbers(candidate: str, reference: str) -> set[str]:
    """Numbers in ``candidate`` that ``reference`` does not contain."""
    return numbers_in(candidate) - numbers_in(reference)
