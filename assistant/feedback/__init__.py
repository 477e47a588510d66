"""Deliberate-practice feedback: a coded session in, one short coaching note out.

note = build_feedback(transcript, build_profile(transcript), tagger=tagger)
verify_quotes(note, transcript)   # raises QuoteError on any invented quote
"""

from assistant.feedback.build import build_feedback
from assistant.feedback.quotes import QuoteError, quote_problems, verify_quotes
from assistant.feedback.rules import choose_growth_edge
from assistant.feedback.schema import (
    SKILLS,
    Alternative,
    Feedback,
    GrowthEdge,
    Moment,
    Rehearse,
    Strength,
    TurnQuote,
)
from assistant.feedback.texts import load_exemplars, load_feedback_texts

__all__ = [
    "SKILLS",
    "Alternative",
    "Feedback",
    "GrowthEdge",
    "Moment",
    "QuoteError",
    "Rehearse",
    "Strength",
    "TurnQuote",
    "build_feedback",
    "choose_growth_edge",
    "load_exemplars",
    "load_feedback_texts",
    "quote_problems",
    "verify_quotes",
]
