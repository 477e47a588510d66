"""Quotes from the transcript: cut verbatim, and checked before anyone reads them.

A feedback note may only quote what was said. ``quote_turn`` cuts a quote out of a
turn's own text (whole sentences where it has to shorten), and ``verify_quotes``
checks every quote in a note against the transcript: the turn must exist, speaker
and role must match, and the quote must be a verbatim substring of the turn's text.
"""

from __future__ import annotations

import logging
import re
from typing import Literal

from assistant.errors import ValidationError
from assistant.feedback.schema import Feedback, TurnQuote
from assistant.model import Role, Transcript, Turn

logger = logging.getLogger(__name__)

MAX_QUOTE_CHARS = 220
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


class QuoteError(ValidationError):
    """A feedback note quotes something the transcript does not contain."""


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences in ``text``."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def _cut_words(text: str, start: int, limit: int) -> tuple[int, int]:
    end = min(len(text), start + limit)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return start, end


def quote_span(
    text: str, focus: tuple[int, int] | None = None, limit: int = MAX_QUOTE_CHARS
) -> tuple[int, int]:
    """The character span to quote: all of ``text`` when short, else whole sentences
    around ``focus`` (a cue span) or from the start, cut at a word when one sentence
    is longer than ``limit``."""
    stripped_start = len(text) - len(text.lstrip())
    stripped_end = len(text.rstrip())
    if stripped_end - stripped_start <= limit:
        return stripped_start, stripped_end
    sentences = _sentences(text)
    first = 0
    if focus is not None:
        first = next((i for i, (a, b) in enumerate(sentences) if a <= focus[0] < b), 0)
    start, end = sentences[first]
    if end - start > limit:
        return _cut_words(text, start, limit)
    for _, b in sentences[first + 1 :]:
        if b - start > limit:
            break
        end = b
    return start, end


def quote_turn(turn: Turn, focus: tuple[int, int] | None = None) -> TurnQuote:
    start, end = quote_span(turn.text, focus)
    quote = turn.text[start:end].strip()
    return TurnQuote(
        index=turn.index,
        time=turn.start,
        speaker=turn.speaker,
        role=turn.role.value,
        quote=quote,
        partial=quote != turn.text.strip(),
    )


def _problem(quote: TurnQuote, transcript: Transcript) -> str | None:
    try:
        turn = transcript.turn(quote.index)
    except KeyError:
        return f"turn {quote.index + 1} does not exist"
    if not quote.quote.strip():
        return f"turn {quote.index + 1}: the quote is empty"
    if turn.role.value != quote.role or turn.speaker != quote.speaker:
        return f"turn {quote.index + 1}: quoted as {quote.speaker} ({quote.role}), said by {turn.speaker} ({turn.role.value})"
    if quote.quote not in turn.text:
        return f"turn {quote.index + 1}: {quote.quote[:60]!r} is not in what was said"
    if quote.time != turn.start:
        return f"turn {quote.index + 1}: time {quote.time} does not match the turn's {turn.start}"
    return None


def quote_problems(feedback: Feedback, transcript: Transcript) -> list[str]:
    """Every way the note's quotes differ from the transcript (empty when all are verbatim)."""
    problems = [p for q in feedback.quotes() if (p := _problem(q, transcript))]
    if feedback.rehearse is not None:
        rehearse = feedback.rehearse
        try:
            turn = transcript.turn(rehearse.turn_index)
        except KeyError:
            problems.append(f"rehearse: turn {rehearse.turn_index + 1} does not exist")
        else:
            if turn.role is not Role.CLIENT:
                problems.append(f"rehearse: turn {turn.index + 1} is not a client turn")
            elif (
                not rehearse.client_statement.strip() or rehearse.client_statement not in turn.text
            ):
                problems.append(
                    f"rehearse: {rehearse.client_statement[:60]!r} is not in what the client said "
                    f"at turn {turn.index + 1}"
                )
    return problems


def verify_quotes(
    feedback: Feedback, transcript: Transcript, on_invalid: Literal["raise", "drop"] = "raise"
) -> Feedback:
    """Check every quote against the transcript.

    ``raise``: a ``QuoteError`` listing what is wrong. ``drop``: a copy of the note
    without the invented quotes (a strength left without quotes goes too), with a note
    saying what was removed.
    """
    problems = quote_problems(feedback, transcript)
    if not problems:
        return feedback
    if on_invalid == "raise":
        raise QuoteError(
            f"feedback for {transcript.id!r} quotes words that are not in the transcript: "
            + "; ".join(problems)
        )
    logger.warning("dropping %d invented quote(s) from feedback: %s", len(problems), problems)
    note = feedback.model_copy(deep=True)

    def ok(quote: TurnQuote | None) -> bool:
        return quote is not None and _problem(quote, transcript) is None

    for strength in note.strengths:
        strength.quotes = [q for q in strength.quotes if ok(q)]
    note.strengths = [s for s in note.strengths if s.quotes]
    if note.moment is not None:
        note.moment.client_turn = note.moment.client_turn if ok(note.moment.client_turn) else None
        note.moment.therapist_turn = (
            note.moment.therapist_turn if ok(note.moment.therapist_turn) else None
        )
        if note.moment.client_turn is None and note.moment.therapist_turn is None:
            note.moment = None
    if note.rehearse is not None and any(p.startswith("rehearse:") for p in problems):
        note.rehearse = None
    note.notes.append(
        f"{len(problems)} quote(s) removed because they did not match the transcript."
    )
    return note
