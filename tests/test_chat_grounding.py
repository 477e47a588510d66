"""Quotes are verbatim or withheld; a doctored template or backend never gets through."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from assistant.chat import Coach
from assistant.chat.grounding import excerpt, new_numbers, quotes_in, unverified_quotes
from assistant.chat.templates import load_templates
from assistant.chat.testing import KeywordTagger
from assistant.errors import ValidationError
from assistant.settings import PROJECT_ROOT, Settings
from tests.test_chat_replies import assert_grounded, coded_session


@given(st.text(min_size=1, max_size=600), st.integers(min_value=0, max_value=600))
def test_chat_grounding_excerpt_is_always_a_substring(text: str, at: int) -> None:
    piece = excerpt(text, (at, at + 1))
    assert piece in text
    assert len(piece.split()) <= 28


def test_chat_grounding_excerpt_keeps_the_sentence_with_the_cue() -> None:
    text = (
        "Well, I hear that the week was long and that your sister called twice about "
        "the money, which sounds like a lot. "
        * 2
        + "You need to stop lending her money. "
        + "And then we can look at the budget together next time if you want."
    )
    start = text.index("You need to")
    piece = excerpt(text, (start, start + 11))
    assert piece.startswith("You need to stop lending her money.")
    assert piece in text


def test_chat_grounding_finds_invented_quotes() -> None:
    sources = ["Fine. Whatever you say.", "It is. Nobody really gets that."]
    text = 'At turn 12: \u201cFine. Whatever you say.\u201d Then \u201cI hate you\u201d and "Nobody really gets that".'
    assert quotes_in(text) == ["Fine. Whatever you say.", "I hate you", "Nobody really gets that"]
    assert unverified_quotes(text, sources) == ["I hate you"]


def test_chat_grounding_new_numbers() -> None:
    assert new_numbers("turn 12, 0.8 per 10", "Turn 12 had 0.8 per 10 turns") == set()
    assert new_numbers("turn 13 and 45%", "turn 12") == {"13", "45"}


def _doctored_templates(tmp_path: Path, invented: str) -> Path:
    raw = yaml.safe_load((PROJECT_ROOT / "prompts" / "chat.yaml").read_text(encoding="utf-8"))
    raw["skills"]["warmth"]["example"] = (
        "A clear one is turn {turn}: \u201c{quote}\u201d. She also said \u201c"
        + invented
        + "\u201d."
    )
    path = tmp_path / "chat.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_chat_grounding_doctored_template_quote_is_withheld(tmp_path: Path) -> None:
    invented = "you are the worst therapist I have ever had"
    coach = Coach(
        KeywordTagger(),
        Settings(llm_backend="none"),
        templates_path=_doctored_templates(tmp_path, invented),
    )
    session = coded_session()
    reply = coach.reply("how was my warmth?", {}, session)
    assert invented not in reply.text
    assert "left out" in reply.text
    # The genuine quote is still there, and everything left is grounded.
    assert session.turn(8).text in reply.text
    assert_grounded(reply, session)


class ScriptedBackend:
    """A phrasing backend that returns what a test tells it to."""

    name = "scripted"

    def __init__(self, rewrite) -> None:
        self.rewrite = rewrite
        self.calls = 0

    def rephrase(self, answer: str, intent: str) -> str | None:
        self.calls += 1
        return self.rewrite(answer)


@pytest.mark.parametrize(
    "rewrite",
    [
        # An invented quote.
        lambda a: a.replace("\u201cYou need to stop", "\u201cYou must stop"),
        # A new number / turn reference.
        lambda a: a + " The same happened at turn 17.",
        # A diagnosis the answer never made.
        lambda a: a + " This suggests an alcohol use disorder.",
        # Quotes dropped altogether.
        lambda a: "You were rigid. Try to be less rigid next time.",
        # Rambling far past the answer.
        lambda a: a + " ok" * 2000,
        # Nothing at all.
        lambda a: "",
    ],
)
def test_chat_grounding_bad_backend_output_falls_back(rewrite) -> None:
    backend = ScriptedBackend(rewrite)
    coach = Coach(KeywordTagger(), Settings(llm_backend="none"), backend=backend)
    plain = Coach(KeywordTagger(), Settings(llm_backend="none"))
    session = coded_session()
    reply = coach.reply("why is turn 11 tagged rigid?", {}, session)
    assert backend.calls == 1
    assert reply.source == "template"
    assert reply.text == plain.reply("why is turn 11 tagged rigid?", {}, session).text
    assert_grounded(reply, session)


def test_chat_grounding_good_backend_output_is_used() -> None:
    def warmer(answer: str) -> str:
        return "Here is what I see. " + answer.replace("Next step:", "A next step you could try:")

    backend = ScriptedBackend(warmer)
    coach = Coach(KeywordTagger(), Settings(llm_backend="none"), backend=backend)
    session = coded_session()
    reply = coach.reply("why is turn 11 tagged rigid?", {}, session)
    assert reply.source == "scripted"
    assert reply.text.startswith("Here is what I see.")
    assert_grounded(reply, session)


def test_chat_grounding_backend_not_asked_for_safety_or_clarifying() -> None:
    backend = ScriptedBackend(lambda a: a)
    coach = Coach(KeywordTagger(), Settings(llm_backend="none"), backend=backend)
    session = coded_session()
    for message in ("what does the client have?", "qwxz blorf", "I'm exhausted today"):
        coach.reply(message, {}, session)
    assert backend.calls == 0


def test_chat_grounding_template_errors_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "chat.yaml"
    shutil.copy(PROJECT_ROOT / "prompts" / "chat.yaml", path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["replies"]["lost_at"] = "At turn {turn} ({mood}): \u201c{quote}\u201d"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        ValidationError, match=r"replies.lost_at uses unknown field\(s\) \['mood'\]"
    ):
        load_templates(path)
    del raw["replies"]["lost_at"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="missing reply template 'replies.lost_at'"):
        load_templates(path)


def test_chat_grounding_templates_quote_nothing_of_their_own() -> None:
    """Double quotes in the shipped templates only ever wrap a {field}."""
    templates = load_templates()
    texts = list(templates.replies.values()) + list(templates.reflection.values())
    for skill in templates.skills.values():
        texts += [skill.measure, skill.example, skill.missed, skill.step_edge, skill.step_strength]
        texts += [skill.plan, skill.aim, *skill.verdict.values()]
    for text in texts:
        for quote in quotes_in(text):
            assert quote.startswith("{") and quote.endswith("}"), (text, quote)
