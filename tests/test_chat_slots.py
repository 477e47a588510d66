"""Slot filling for the chat coach: skills, turn numbers, directions, quoted words."""

from __future__ import annotations

import pytest

from assistant.chat.intents import load_intents
from assistant.chat.slots import SlotFiller, direction, quoted_words, turn_numbers


@pytest.fixture(scope="module")
def fill() -> SlotFiller:
    return SlotFiller(load_intents().skill_synonyms)


@pytest.mark.parametrize(
    ("message", "skill"),
    [
        ("how was my warmth?", "warmth"),
        ("was I empathic enough with her", "warmth"),
        ("did I do enough validation", "warmth"),
        ("how were my reflections?", "reflection"),
        ("what about complex reflections", "reflection"),
        ("did I ask too many closed questions?", "questions"),
        ("how collaborative was I?", "collaboration"),
        ("did we agree on goals?", "collaboration"),
        ("did I give too much advice", "advice"),
        ("was I too rigid?", "rigidity"),
        ("was I pushy with him", "rigidity"),
        ("why is turn 4 tagged rigidity", "rigidity"),
        ("how was my self-disclosure?", "self_disclosure"),
        ("was sharing about myself a mistake?", "self_disclosure"),
        ("did I repair it?", "repair"),
    ],
)
def test_chat_slots_skill_synonyms(fill: SlotFiller, message: str, skill: str) -> None:
    assert fill(message).skill == skill


def test_chat_slots_no_skill_in_plain_questions(fill: SlotFiller) -> None:
    for message in ("where did I lose her?", "show me the rupture", "I'm exhausted", "hi"):
        assert fill(message).skill is None, message


def test_chat_slots_longest_phrase_wins_and_order_kept(fill: SlotFiller) -> None:
    slots = fill("compare my open questions with my warmth")
    assert slots.skills == ("questions", "warmth")


@pytest.mark.parametrize(
    ("message", "turns"),
    [
        ("why is turn 42 tagged rigid?", (41,)),
        ("what about #7", (6,)),
        ("explain line 3", (2,)),
        ("turn no. 12 please", (11,)),
        ("look at turns 12, 14 and 20", (11, 13, 19)),
        ("turn 0 does not exist for people", ()),
        ("I had 3 sessions this week", ()),
    ],
)
def test_chat_slots_turn_numbers_count_from_one(message: str, turns: tuple[int, ...]) -> None:
    assert turn_numbers(message) == turns


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("and the one before that?", "previous"),
        ("what about the next one?", "next"),
        ("and the first one?", "first"),
        ("the last one", "last"),
        ("any others?", "more"),
        ("how was my warmth", None),
    ],
)
def test_chat_slots_direction(message: str, expected: str | None) -> None:
    assert direction(message) == expected


def test_chat_slots_quotes_with_speakers() -> None:
    message = (
        "I said 'you need to stop drinking, it's ruining your life' and she said "
        '"whatever, you don\'t get it" and went quiet'
    )
    quotes = quoted_words(message)
    assert [(q.text, q.speaker) for q in quotes] == [
        ("you need to stop drinking, it's ruining your life", "therapist"),
        ("whatever, you don't get it", "client"),
    ]
    for quote in quotes:
        assert quote.text in message


def test_chat_slots_apostrophes_are_not_quotes() -> None:
    assert quoted_words("I don't know, she's fine and it's ok") == ()
    assert quoted_words("my response was \u201chave you tried AA?\u201d")[0].speaker == "therapist"
    # A single quoted word is not a quotation worth tagging.
    assert quoted_words("she said 'fine'") == ()


def test_chat_slots_mask_replaces_skill_words(fill: SlotFiller) -> None:
    assert fill.mask("what about reflections?") == "what about x?"
    assert fill.mask("drill me on warmth and open questions") == "drill me on x and x"
    assert fill.mask("where did I lose her?") == "where did I lose her?"
