"""Every quote in a note is verbatim; a doctored note is caught."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.feedback import QuoteError, build_feedback, quote_problems, verify_quotes
from assistant.feedback.quotes import MAX_QUOTE_CHARS, quote_span, quote_turn
from assistant.model import Role, Turn
from assistant.profile import build_profile
from tests.feedback_support import RuleTagger, tagged_demo


@pytest.fixture(scope="module")
def demo():
    return tagged_demo()


@pytest.fixture
def note(demo):
    return build_feedback(demo, build_profile(demo), tagger=RuleTagger())


def test_feedback_quotes_generated_note_is_verbatim(demo, note):
    assert quote_problems(note, demo) == []
    for quote in note.quotes():
        turn = demo.turn(quote.index)
        assert quote.quote in turn.text and quote.speaker == turn.speaker


def test_feedback_quotes_invented_words_fail(demo, note):
    doctored = note.model_copy(deep=True)
    doctored.strengths[0].quotes[0].quote = "I completely understand how hard this must be for you."
    with pytest.raises(QuoteError, match="not in what was said"):
        verify_quotes(doctored, demo)


def test_feedback_quotes_one_changed_word_fails(demo, note):
    doctored = note.model_copy(deep=True)
    doctored.moment.client_turn.quote = doctored.moment.client_turn.quote.replace("Okay", "Fine")
    with pytest.raises(QuoteError):
        verify_quotes(doctored, demo)


def test_feedback_quotes_wrong_turn_or_speaker_fails(demo, note):
    moved = note.model_copy(deep=True)
    moved.moment.client_turn.index += 2  # same words, another turn
    assert quote_problems(moved, demo)
    swapped = note.model_copy(deep=True)
    swapped.moment.therapist_turn.speaker = "Client"
    assert quote_problems(swapped, demo)
    missing = note.model_copy(deep=True)
    missing.moment.client_turn.index = 999
    assert any("does not exist" in p for p in quote_problems(missing, demo))


def test_feedback_quotes_invented_rehearse_statement_fails(demo, note):
    doctored = note.model_copy(deep=True)
    doctored.rehearse.client_statement = "I never want to come back here."
    with pytest.raises(QuoteError, match="rehearse"):
        verify_quotes(doctored, demo)


def test_feedback_quotes_drop_mode_removes_only_the_invented(demo, note):
    doctored = note.model_copy(deep=True)
    doctored.strengths[0].quotes = [
        q.model_copy(update={"quote": "made up"}) for q in doctored.strengths[0].quotes
    ]
    cleaned = verify_quotes(doctored, demo, on_invalid="drop")
    assert len(cleaned.strengths) == len(note.strengths) - 1
    assert cleaned.moment == note.moment
    assert quote_problems(cleaned, demo) == []
    assert any("removed" in n for n in cleaned.notes)


def test_feedback_quotes_long_turn_is_cut_at_sentences(demo):
    turn = demo.turn(30)  # the long self-disclosure, one sentence over 400 characters
    quote = quote_turn(turn)
    assert quote.partial and quote.quote in turn.text
    assert len(quote.quote) <= MAX_QUOTE_CHARS
    assert not quote.quote.endswith(" ")
    text = (
        "First short one. " + "word " * 30 + "end. Third bit here. And the cue sits here in four."
    )
    start, end = quote_span(text, focus=(text.index("cue"), text.index("cue") + 3), limit=60)
    assert "cue" in text[start:end]


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=700,
    ).filter(lambda s: s.strip()),
    focus_at=st.integers(min_value=0, max_value=699),
)
def test_feedback_quotes_any_turn_quotes_verbatim(text, focus_at):
    turn = Turn(index=0, speaker="C", role=Role.CLIENT, text=text)
    focus = (min(focus_at, len(text) - 1), min(focus_at + 1, len(text)))
    quote = quote_turn(turn, focus)
    assert quote.quote and quote.quote in text
