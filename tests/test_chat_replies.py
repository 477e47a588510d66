"""Every intent's reply on a hand-tagged session: grounded, numbered, one next step.

The session is built here by hand (tags, attributes, scores and evidence written
out), so each expected number can be checked against a count you can do by eye:
12 therapist turns; 1 warm turn; 3 reflections (2 complex) against 6 questions;
2 unasked advice turns; 1 rigid turn; 1 poorly timed disclosure; 3 client rupture
markers (turns 12, 14, 22 as people count), the first two repaired at turn 15.
"""

from __future__ import annotations

import json

import pytest

from assistant.chat import ChatReply, Coach
from assistant.chat.grounding import quotes_in
from assistant.chat.testing import KeywordTagger
from assistant.model import Evidence, Role, Transcript, Turn
from assistant.settings import Settings

T, C = Role.THERAPIST, Role.CLIENT
LINES: list[tuple[Role, str, list[str], dict[str, dict[str, str]]]] = [
    (
        T,
        "Thanks for coming in today. What would you like to focus on?",
        ["open_question", "collaboration"],
        {},
    ),
    (C, "I guess the drinking. My wife says it's getting worse since I lost my job.", [], {}),
    (
        T,
        "You're worried about it too, not only because she is.",
        ["reflection"],
        {"reflection": {"depth": "complex"}},
    ),
    (C, "Yeah. Some nights I don't even remember going to bed.", [], {}),
    (T, "Do you drink every night?", ["closed_question"], {}),
    (C, "Most nights. Not every night.", [], {}),
    (T, "How much would you say you drink on a typical night?", ["open_question"], {}),
    (C, "Maybe six or seven beers. It helps me switch off.", [], {}),
    (
        T,
        "It makes sense that you want something to help you switch off after losing your job; that's a lot to carry.",
        ["warmth", "reflection"],
        {"reflection": {"depth": "simple"}},
    ),
    (C, "It is. Nobody really gets that.", [], {}),
    (
        T,
        "You need to stop drinking during the week. Pour it away when you get home.",
        ["advice", "rigidity"],
        {"advice": {"permission": "unasked"}},
    ),
    (C, "Fine. Whatever you say.", ["rupture_withdrawal"], {}),
    (
        T,
        "Have you tried going to AA?",
        ["closed_question", "advice"],
        {"advice": {"permission": "unasked"}},
    ),
    (
        C,
        "I told you, I'm not going to those meetings. This is pointless.",
        ["rupture_confrontation"],
        {},
    ),
    (
        T,
        "I pushed ahead there without asking what you want. I'm sorry. What would be most useful for you today?",
        ["repair", "collaboration", "open_question"],
        {},
    ),
    (C, "Honestly I just want to sleep better without needing the beer.", [], {}),
    (
        T,
        "So sleep is the thing that matters most, and the beer has become the way to get there.",
        ["reflection"],
        {"reflection": {"depth": "complex"}},
    ),
    (C, "Yeah, that's exactly it.", [], {}),
    (
        T,
        "When I went through a rough patch, I drank too, and my sister had to drag me out of it.",
        ["self_disclosure", "poorly_timed_self_disclosure"],
        {"self_disclosure": {"timing": "poorly_timed"}},
    ),
    (C, "Okay.", [], {}),
    (T, "Mm-hmm.", [], {}),
    (C, "I don't know what else to say.", ["rupture_withdrawal"], {}),
    (
        T,
        "Would it be alright if we looked at a few ideas about sleep together?",
        ["collaboration", "closed_question"],
        {},
    ),
    (C, "Sure, I'd like that.", [], {}),
]


def coded_session(session_id: str = "mi-demo") -> Transcript:
    """The hand-tagged session the chat tests share."""
    turns = []
    for i, (role, text, tags, attributes) in enumerate(LINES):
        scores = dict.fromkeys(tags, 0.8)
        evidence: dict[str, list[Evidence]] = {}
        if "rigidity" in tags:
            start = text.index("You need to")
            evidence["rigidity"] = [
                Evidence(
                    kind="cue",
                    text="You need to",
                    start=start,
                    end=start + 11,
                    source="rigidity/phrase/0",
                ),
                Evidence(
                    kind="example",
                    text="You have to stop.",
                    source="rigidity/example/2",
                    similarity=0.71,
                ),
            ]
            scores["rigidity"] = 0.91
        if "repair" in tags:
            evidence["repair"] = [
                Evidence(
                    kind="rule",
                    text="follows a rupture and names the therapist's part",
                    source="repair_after_rupture",
                )
            ]
        turns.append(
            Turn(
                index=i,
                speaker="T" if role is T else "C",
                role=role,
                text=text,
                tags=tags,
                scores=scores,
                attributes=attributes,
                evidence=evidence,
            )
        )
    return Transcript(id=session_id, turns=turns)


def make_coach(tagger: KeywordTagger | None = None) -> Coach:
    return Coach(tagger or KeywordTagger(), Settings(llm_backend="none"))


@pytest.fixture(scope="module")
def coach() -> Coach:
    return make_coach()


@pytest.fixture
def session() -> Transcript:
    return coded_session()


def assert_grounded(reply: ChatReply, transcript: Transcript) -> None:
    """Every quote is verbatim in a turn the reply cites; every reference is verbatim."""
    cited = [transcript.turn(ref.turn_index).text for ref in reply.references]
    for ref in reply.references:
        assert ref.quote in transcript.turn(ref.turn_index).text
    for quote in quotes_in(reply.text):
        assert any(quote in text for text in cited), f"invented quote: {quote!r}"
    json.dumps(reply.state)  # the API stores it as JSON
    json.dumps(reply.model_dump())


def ask(coach: Coach, messages: list[str], transcript: Transcript | None) -> list[ChatReply]:
    state: dict = {}
    replies = []
    for message in messages:
        reply = coach.reply(message, state, transcript)
        if transcript is not None:
            assert_grounded(reply, transcript)
        state = reply.state
        replies.append(reply)
    return replies


def test_chat_replies_skill_feedback_warmth(coach: Coach, session: Transcript) -> None:
    reply = coach.reply("how was my warmth?", {}, session)
    assert reply.intent == "skill_feedback"
    assert_grounded(reply, session)
    assert "1 of your 12" in reply.text and "0.8 per 10" in reply.text
    assert "target of 2 per 10" in reply.text
    assert [ref.turn_index for ref in reply.references] == [8]
    assert "turn 9" in reply.text  # people count turns from 1
    assert reply.text.count("Next step:") == 1
    assert reply.state["last_skill"] == "warmth"
    assert reply.state["last_turns"] == [8]


def test_chat_replies_skill_feedback_reflection_thresholds(
    coach: Coach, session: Transcript
) -> None:
    reply = coach.reply("how were my reflections?", {}, session)
    assert_grounded(reply, session)
    assert "ratio of 0.5:1 (below fair" in reply.text
    assert "fair 1:1, good 2:1" in reply.text
    assert "(67%; fair 40%, good 50%)" in reply.text
    # The example shown first is a complex reflection.
    assert reply.references[0].turn_index in (2, 16)


def test_chat_replies_straining_skill_shows_the_client_before(
    coach: Coach, session: Transcript
) -> None:
    reply = coach.reply("was I too rigid?", {}, session)
    assert reply.intent == "skill_feedback"
    assert_grounded(reply, session)
    assert [ref.turn_index for ref in reply.references] == [10, 9]
    assert "Turns tagged rigid: 1 of your 12" in reply.text


def test_chat_replies_lost_client_finds_the_first_strained_rupture(
    coach: Coach, session: Transcript
) -> None:
    reply = coach.reply("where did I lose her?", {}, session)
    assert reply.intent == "lost_client"
    assert_grounded(reply, session)
    turns = [ref.turn_index for ref in reply.references]
    assert turns[:2] == [11, 10]  # the rupture, then what the therapist said just before
    assert 14 in turns  # and the repair that followed
    assert "\u201cFine. Whatever you say.\u201d" in reply.text
    assert reply.state["focus"]["kind"] == "rupture"
    assert reply.state["focus"]["items"] == [11, 13, 21]


def test_chat_replies_rupture_summary_and_unrepaired_first(
    coach: Coach, session: Transcript
) -> None:
    reply = coach.reply("show me the rupture", {}, session)
    assert reply.intent == "rupture"
    assert_grounded(reply, session)
    assert "3 rupture markers" in reply.text
    assert "(2 withdrawal, 1 confrontation); 2 were followed by a repair" in reply.text
    assert reply.references[0].turn_index == 21
    assert "No repair followed" in reply.text
    assert "Next step: write the repair you could offer at turn 23" in reply.text


def test_chat_replies_explain_tag_with_evidence(coach: Coach, session: Transcript) -> None:
    reply = coach.reply("why is turn 11 tagged rigid?", {}, session)
    assert reply.intent == "explain_tag"
    assert_grounded(reply, session)
    assert "Turn 11 (therapist) is tagged rigid" in reply.text
    assert "0.91" in reply.text and "\u201cYou need to\u201d" in reply.text
    assert "similarity 0.71" in reply.text
    assert reply.references[0].turn_index == 10
    assert not reply.clarifying


def test_chat_replies_explain_tag_not_on_turn(coach: Coach, session: Transcript) -> None:
    reply = coach.reply("why is turn 3 tagged rigid?", {}, session)
    assert reply.intent == "explain_tag"
    assert_grounded(reply, session)
    assert "is not tagged rigid" in reply.text
    assert "a reflection" in reply.text  # the tags it does carry


def test_chat_replies_explain_tag_needs_a_real_turn(coach: Coach, session: Transcript) -> None:
    missing = coach.reply("why is turn 99 tagged rigid?", {}, session)
    assert missing.clarifying and "turns 1 to 24" in missing.text
    unnamed = coach.reply("why was this turn tagged?", {}, session)
    assert unnamed.intent == "explain_tag" and unnamed.clarifying
    assert unnamed.references == []


def test_chat_replies_drill_for_that_uses_memory(coach: Coach, session: Transcript) -> None:
    explain, drill = ask(
        coach, ["why is turn 11 tagged rigid?", "give me a drill for that"], session
    )
    assert drill.intent == "drill_request"
    assert drill.drill is not None
    assert drill.drill.skill == "flexibility"
    # The client statement to answer again is verbatim from this session.
    assert drill.drill.client_statement == session.turn(9).text
    assert drill.references[0].turn_index == 9


def test_chat_replies_drill_skills_are_shared_with_feedback(coach: Coach) -> None:
    schema = pytest.importorskip("assistant.feedback.schema")
    for skill in coach.templates.skills.values():
        assert skill.drill_skill in schema.SKILLS, skill.id


def test_chat_replies_practice_plan_one_skill_and_a_drill(
    coach: Coach, session: Transcript
) -> None:
    reply = coach.reply("what should I practise this week?", {}, session)
    assert reply.intent == "practice_plan"
    assert_grounded(reply, session)
    assert reply.text.startswith("One thing for this week: ")
    assert reply.drill is not None and reply.drill.client_statement
    assert "Plan: Five days this week" in reply.text
    assert reply.text.rstrip().endswith("this session's.")
    # Two unasked advice turns in 12 is the largest gap to its target here.
    assert reply.state["last_skill"] == "advice"


def test_chat_replies_strengths(coach: Coach, session: Transcript) -> None:
    reply = coach.reply("what went well?", {}, session)
    assert reply.intent == "strengths"
    assert_grounded(reply, session)
    assert "What went well: collaboration" in reply.text
    assert "2.5 per 10" in reply.text
    assert 14 in [ref.turn_index for ref in reply.references]  # the repair is named too


def test_chat_replies_wellbeing_is_brief_and_kind(coach: Coach, session: Transcript) -> None:
    reply = coach.reply("I'm exhausted today", {}, session)
    assert reply.intent == "wellbeing"
    assert reply.references == [] and reply.drill is None
    assert len(reply.text) < 600
    assert "supervisor" in reply.text
    assert "One small step now" in reply.text


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("what does the client have?", "diagnosis_request"),
        ("is she bipolar?", "diagnosis_request"),
        ("should I medicate her?", "clinical_advice"),
        ("should I refer him to a psychiatrist?", "clinical_advice"),
    ],
)
def test_chat_replies_decline_diagnosis_and_clinical_advice(
    coach: Coach, session: Transcript, message: str, intent: str
) -> None:
    reply = coach.reply(message, {}, session)
    assert reply.intent == intent
    assert reply.references == [] and reply.drill is None
    assert "I can't" in reply.text
    assert "supervisor" in reply.text


def test_chat_replies_risk_question_points_to_the_risk_procedure(
    coach: Coach, session: Transcript
) -> None:
    reply = coach.reply("is my client at risk of suicide?", {}, session)
    assert reply.intent == "clinical_advice"
    assert "risk procedure" in reply.text


def test_chat_replies_greeting_help_thanks(coach: Coach, session: Transcript) -> None:
    greeting, help_, plan, thanks = ask(
        coach, ["hello", "what can you do?", "what should I work on?", "thanks"], session
    )
    assert greeting.intent == "greeting" and "mi-demo" in greeting.text
    assert help_.intent == "help" and "supervision" in help_.text
    assert thanks.intent == "thanks"
    # "thanks" hands back the last next step.
    assert plan.state["last_step"] in thanks.text


def test_chat_replies_follow_ups_walk_the_ruptures(coach: Coach, session: Transcript) -> None:
    replies = ask(
        coach,
        [
            "where did I lose him?",
            "and the one before that?",
            "what about the next one?",
            "what about the next one?",
            "what about the next one?",
            "and the one before that?",
        ],
        session,
    )
    lost, before, nxt, nxt2, past_end, back = replies
    assert lost.state["focus"]["pos"] == 0
    assert before.intent == "follow_up" and "first one" in before.text
    assert nxt.references[0].turn_index == 13 and "2 of 3" in nxt.text
    assert nxt2.references[0].turn_index == 21 and "3 of 3" in nxt2.text
    assert "last one" in past_end.text
    assert back.references[0].turn_index == 13


def test_chat_replies_follow_up_switches_skill(coach: Coach, session: Transcript) -> None:
    warmth, other = ask(coach, ["how was my warmth?", "what about reflections?"], session)
    assert other.intent == "skill_feedback"
    assert other.state["last_skill"] == "reflection"
    assert "reflection-to-question ratio" in other.text


def test_chat_replies_follow_up_steps_through_examples(coach: Coach, session: Transcript) -> None:
    first, second = ask(coach, ["how were my reflections?", "show me another one"], session)
    assert second.intent == "follow_up"
    assert second.references[0].turn_index != first.references[0].turn_index
    assert second.references[0].turn_index in (2, 8, 16)
    assert "Next step:" in second.text


def test_chat_replies_follow_up_without_memory_asks(coach: Coach, session: Transcript) -> None:
    reply = coach.reply("and the one before that?", {}, session)
    assert reply.clarifying and reply.references == []


@pytest.mark.parametrize("message", ["qwxz blorf vrrk", "purple elephants dance", "", "   "])
def test_chat_replies_clarifying_question_for_gibberish(
    coach: Coach, session: Transcript, message: str
) -> None:
    reply = coach.reply(message, {}, session)
    assert reply.clarifying
    assert reply.intent == "unclear"
    assert reply.text.endswith("?")
    assert reply.references == []


def test_chat_replies_skill_question_without_skill_asks_which(
    coach: Coach, session: Transcript
) -> None:
    reply = coach.reply("rate my work in this session", {}, session)
    # Either a clarifying question or a skill answer grounded in the session: never a guess
    # at a skill nobody named.
    if reply.intent == "skill_feedback":
        assert reply.clarifying and "Which skill" in reply.text
    else:
        assert reply.clarifying


def test_chat_replies_untagged_transcript(coach: Coach, tiny_transcript: Transcript) -> None:
    reply = coach.reply("how was my warmth?", {}, tiny_transcript)
    assert "no tags yet" in reply.text
    assert reply.references == []


def test_chat_replies_no_ruptures_points_to_strain(coach: Coach) -> None:
    lines = [
        (T, "What brings you here?", ["open_question"]),
        (C, "My sleep is bad.", []),
        (T, "You have to cut out caffeine, full stop.", ["advice", "rigidity"]),
        (C, "Okay, I can try.", []),
    ]
    transcript = Transcript(
        id="calm",
        turns=[
            Turn(index=i, speaker=r.value, role=r, text=t, tags=tags)
            for i, (r, t, tags) in enumerate(lines)
        ],
    )
    reply = coach.reply("where did I lose her?", {}, transcript)
    assert_grounded(reply, transcript)
    assert "no rupture markers" in reply.text
    assert reply.references[0].turn_index == 2
    assert "Only 2 therapist turns" not in reply.text  # the note belongs to skill answers


def test_chat_replies_new_transcript_drops_turn_memory(coach: Coach, session: Transcript) -> None:
    first = coach.reply("where did I lose her?", {}, session)
    other = coded_session("another-session")
    reply = coach.reply("and the one before that?", first.state, other)
    assert reply.clarifying
    assert reply.state["conversation_id"] == "another-session"


def test_chat_replies_one_encode_per_message() -> None:
    tagger = KeywordTagger()
    coach = make_coach(tagger)
    exemplars = len(tagger.encoded)
    assert exemplars >= 15 * 10  # encoded once, when the coach was built
    state: dict = {}
    session = coded_session()
    for message in ["how was my warmth?", "and the next one?", "what should I practise this week?"]:
        before = len(tagger.encoded)
        state = coach.reply(message, state, session).state
        assert len(tagger.encoded) == before + 1


def test_chat_replies_profile_passed_in_is_used(coach: Coach, session: Transcript) -> None:
    from assistant.profile import build_profile

    profile = build_profile(session)
    profile.per_10_therapist_turns["warmth"] = 3.0
    reply = coach.reply("how was my warmth?", {}, session, profile)
    assert "3 per 10" in reply.text
    assert "at or above the target" in reply.text


def test_chat_replies_ambiguous_message_offers_two_choices(coach: Coach) -> None:
    from assistant.chat.intents import UNCLEAR, IntentResult

    result = IntentResult(UNCLEAR, 0.45, (("strengths", 0.45), ("practice_plan", 0.44)))
    reply = coach._finish(coach._unclear(result, {}), {}, None, None)
    assert reply.clarifying and reply.intent == "unclear"
    assert (
        reply.text == "Do you want to hear what went well, or to get a practice plan for the week?"
    )
    assert reply.state["clarify"] == ["strengths", "practice_plan"]


def test_chat_replies_answer_to_a_clarifying_question(coach: Coach, session: Transcript) -> None:
    state = {"clarify": ["strengths", "practice_plan"], "conversation_id": session.id}
    reply = coach.reply("the latter please", state, session)
    assert reply.intent == "practice_plan" and not reply.clarifying
    assert reply.state["clarify"] is None


def test_chat_replies_explain_client_turn_shows_what_you_said(
    coach: Coach, session: Transcript
) -> None:
    reply = coach.reply("why is turn 12 tagged as a rupture?", {}, session)
    assert reply.intent == "explain_tag"
    assert_grounded(reply, session)
    assert "Turn 12 (client) is tagged a withdrawal rupture marker" in reply.text
    assert "You had just said (turn 11)" in reply.text
    # "why is that tagged?" afterwards means the same turn.
    again = coach.reply("why was this turn tagged?", reply.state, session)
    assert again.references[0].turn_index == 11
