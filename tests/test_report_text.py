"""Markdown and JSON reports."""

from __future__ import annotations

import json

import pytest

from assistant.feedback import QuoteError, build_feedback
from assistant.measures import SRS, SessionMeasures
from assistant.model import Role
from assistant.profile import build_profile
from assistant.report import render_json, render_markdown
from tests.feedback_support import RuleTagger, coded, tagged_demo


@pytest.fixture(scope="module")
def parts():
    transcript = tagged_demo()
    profile = build_profile(transcript)
    return transcript, profile, build_feedback(transcript, profile, tagger=RuleTagger())


def test_report_text_markdown_sections_in_order(parts):
    md = render_markdown(*parts)
    order = [
        "## Coaching note",
        "### What went well",
        "### One growth edge",
        "### The moment",
        "### Try instead",
        "### Rehearse",
        "## Profile",
        "## Transcript",
    ]
    positions = [md.index(h) for h in order]
    assert positions == sorted(positions)
    assert "> **Client, turn 32:** Oh. Okay." in md
    assert "| reflection : question | 0.91:1 | fair 1:1, good 2:1 |" in md
    assert "- `16` **Client**: Sure. Whatever you think. *[rupture: withdrawal]*" in md


def test_report_text_markdown_escapes_markup():
    transcript = coded(
        [
            (Role.CLIENT, "<b>hi</b> [link](http://x) *boom*", [], {}),
            (Role.THERAPIST, "ok", [], {}),
        ]
    )
    profile = build_profile(transcript)
    md = render_markdown(transcript, profile, build_feedback(transcript, profile))
    assert "<b>" not in md and "[link](" not in md and " *boom*" not in md
    assert "&lt;b&gt;hi&lt;/b&gt;" in md


def test_report_text_json_round_trips(parts):
    transcript, profile, note = parts
    measures = SessionMeasures(
        srs=SRS(relationship=10, goals_and_topics=9, approach_or_method=9.5, overall=10)
    )
    data = json.loads(render_json(transcript, profile, note, measures, model_name="m"))
    assert set(data) == {"conversation_id", "model", "feedback", "profile", "measures", "turns"}
    assert data["feedback"]["growth_edge"]["skill"] == note.growth_edge.skill
    assert data["feedback"]["moment"]["client_turn"]["index"] == 31
    assert data["measures"]["srs"]["total"] == 38.5
    assert len(data["turns"]) == len(transcript.turns)
    assert data["turns"][15]["tags"] == ["rupture_withdrawal"]


def test_report_text_refuses_invented_quotes(parts):
    transcript, profile, note = parts
    doctored = note.model_copy(deep=True)
    doctored.rehearse.client_statement = "Something the client never said."
    with pytest.raises(QuoteError):
        render_markdown(transcript, profile, doctored)
    with pytest.raises(QuoteError):
        render_json(transcript, profile, doctored)
