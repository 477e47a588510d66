"""The structured reflection without a transcript: Gibbs' cycle, end to end."""

from __future__ import annotations

import json

import pytest

from assistant.chat import ChatReply, Coach
from assistant.chat.grounding import quotes_in
from assistant.chat.templates import GIBBS_STAGES
from assistant.chat.testing import KeywordTagger
from assistant.errors import ModelError
from assistant.settings import Settings

DESCRIPTION = (
    "My client told me she had been drinking again. I said 'you need to stop drinking, "
    "it's ruining your life' and she said 'whatever, you don't get it' and went quiet."
)
ANSWERS = [
    "I felt frustrated and honestly exhausted, and a bit scared for her.",
    "I listened well at the start, but I lost her when I pushed.",
    "I was anxious about her safety and jumped to fixing instead of understanding.",
    "I could have reflected her worry first and asked what the drinking does for her.",
    "Next time I will ask permission before giving advice. I'll practise with my peer group.",
]


@pytest.fixture(scope="module")
def coach() -> Coach:
    return Coach(KeywordTagger(), Settings(llm_backend="none"))


def talk(coach: Coach, messages: list[str], state: dict | None = None) -> list[ChatReply]:
    state = state or {}
    replies = []
    for message in messages:
        reply = coach.reply(message, state)
        json.dumps(reply.state)
        # No transcript: every quote must be the clinician's own words from this chat.
        said = " ".join(messages)
        for quote in quotes_in(reply.text):
            assert quote in said, f"invented quote: {quote!r}"
        assert reply.references == []
        state = reply.state
        replies.append(reply)
    return replies


def test_chat_reflection_full_cycle(coach: Coach) -> None:
    replies = talk(coach, ["I want to reflect on a session", DESCRIPTION, *ANSWERS])
    stages = [reply.state["gibbs_stage"] for reply in replies]
    assert stages == [*GIBBS_STAGES, None]
    assert all(reply.intent == "reflection" for reply in replies)
    start, described, feelings = replies[:3]
    assert "Gibbs" in start.text and "What happened?" in start.text
    # The quoted words are tagged and commented on.
    assert (
        "You quoted yourself: \u201cyou need to stop drinking, it's ruining your life\u201d"
        in described.text
    )
    assert "advice without permission and rigid" in described.text
    assert "You quoted the client: \u201cwhatever, you don't get it\u201d" in described.text
    assert "withdrawal" in described.text
    # Tiredness in the feelings stage gets one kind line, not a session of therapy.
    assert "go gently" in feelings.text
    end = replies[-1]
    assert (
        "Your plan, in your words: \u201cNext time I will ask permission before giving advice.\u201d"
        in end.text
    )
    assert end.drill is not None
    # The quoted words were rigid: the drill is for following the client, and the
    # statement to answer is the client's own words as the clinician reported them.
    assert end.drill.skill == "flexibility"
    assert end.drill.client_statement == "whatever, you don't get it"
    assert end.text.rstrip().endswith("check your plan against what happened.")
    assert end.state["gibbs"] is None


def test_chat_reflection_one_stage_per_message(coach: Coach) -> None:
    start, first = talk(coach, ["let's do a structured reflection", "It went badly."])
    assert start.state["gibbs"]["stage"] == 0
    assert first.state["gibbs"]["stage"] == 1
    assert first.state["gibbs"]["answers"] == {"description": "It went badly."}
    assert "What were you feeling" in first.text


def test_chat_reflection_long_opening_is_the_description(coach: Coach) -> None:
    (reply,) = talk(coach, [DESCRIPTION])
    assert reply.intent == "reflection"
    assert reply.state["gibbs_stage"] == "feelings"
    assert "You quoted yourself" in reply.text


def test_chat_reflection_session_question_without_transcript_starts_it(coach: Coach) -> None:
    (reply,) = talk(coach, ["how was my warmth?"])
    assert reply.intent == "reflection"
    assert "don't have a transcript" in reply.text
    assert reply.state["gibbs_stage"] == "description"


def test_chat_reflection_skip_and_stop(coach: Coach) -> None:
    start, described, skipped, stopped = talk(
        coach, ["I want to debrief a session", "It went badly.", "skip", "stop"]
    )
    assert "Skipping" in skipped.text and skipped.state["gibbs_stage"] == "evaluation"
    assert "feelings" not in skipped.state["gibbs"]["answers"]
    assert stopped.state["gibbs"] is None and stopped.drill is None
    assert "Next step:" in stopped.text


def test_chat_reflection_safety_question_interrupts_then_resumes(coach: Coach) -> None:
    start, described, asked, resumed = talk(
        coach,
        ["I want to reflect on a session", "It went badly.", "is she bipolar?", "I felt lost."],
    )
    assert asked.intent == "diagnosis_request"
    assert "I can't say what your client has" in asked.text
    assert "back to the reflection" in asked.text
    assert asked.state["gibbs_stage"] == "feelings"  # the stage did not move
    assert resumed.state["gibbs_stage"] == "evaluation"


def test_chat_reflection_drill_from_named_skills_or_default(coach: Coach) -> None:
    plain = ["It went fine.", "Calm.", "Ok.", "Not sure.", "More of the same."]
    replies = talk(coach, ["let's do a structured reflection", *plain, "I will work on my warmth."])
    assert replies[-1].drill.skill == "warmth_validation"
    replies = talk(coach, ["let's do a structured reflection", *plain, "Just keep going."])
    assert replies[-1].drill.skill == "reflection"
    # A stock practice statement, shown in single quotes: it is not a quote from anyone,
    # so the only double-quoted words are the clinician's own plan.
    assert replies[-1].drill.client_statement in replies[-1].text
    assert quotes_in(replies[-1].text) == ["Just keep going."]


@pytest.mark.slow
def test_chat_reflection_with_the_real_tagger() -> None:
    from assistant.tagging import load_tagger

    try:
        tagger = load_tagger()
    except ModelError as error:
        pytest.skip(f"no trained tagger model: {error}")
    coach = Coach(tagger, Settings(llm_backend="none"))
    state: dict = {}
    texts = []
    for message in ["I want to reflect on a session", DESCRIPTION, *ANSWERS]:
        reply = coach.reply(message, state)
        state = reply.state
        texts.append(reply.text)
    described = texts[1]
    assert "You quoted yourself" in described
    # The coach reports what the shipped tagger makes of the quote, whatever that is:
    # which codes a borderline line gets is the model's business (its accuracy is
    # measured by `alliance evaluate`), that the coach passes them on is the chat's.
    quoted = tagger.transform_turn("you need to stop drinking, it's ruining your life")
    if quoted.tags:
        assert "The tagger reads it as" in described
    else:
        assert "finds none of its codes" in described
    assert reply.drill is not None and reply.drill.client_statement
    assert state["gibbs"] is None
