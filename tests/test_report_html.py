"""The HTML report: self-contained, escaped, feedback first, marks what matters."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from assistant.feedback import QuoteError, build_feedback
from assistant.measures import ORS, SRS, SessionMeasures
from assistant.model import Evidence, Role
from assistant.profile import build_profile
from assistant.report import render_html
from tests.feedback_support import RuleTagger, coded, tagged_demo

T, C = Role.THERAPIST, Role.CLIENT


@pytest.fixture(scope="module")
def demo_html():
    transcript = tagged_demo()
    profile = build_profile(transcript)
    note = build_feedback(transcript, profile, tagger=RuleTagger())
    measures = SessionMeasures(
        srs=SRS(relationship=9, goals_and_topics=8.5, approach_or_method=7, overall=8.8),
        ors=ORS(individually=5, interpersonally=6, socially=4.5, overall=5),
    )
    return render_html(transcript, profile, note, measures, model_name="hand codes")


class _Balance(HTMLParser):
    VOID = {"meta", "br", "img", "input", "link", "hr", "circle", "rect", "line", "polygon", "path"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def test_report_html_is_self_contained(demo_html):
    assert demo_html.startswith("<!doctype html>")
    assert "<script" not in demo_html.lower()
    assert "<link" not in demo_html.lower()
    assert not re.search(r"\bsrc=", demo_html)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", demo_html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "@import" not in demo_html and "url(" not in demo_html


def test_report_html_is_well_formed(demo_html):
    parser = _Balance()
    parser.feed(demo_html)
    assert parser.errors == [] and parser.stack == []


def test_report_html_puts_feedback_first(demo_html):
    note, profile, transcript = (
        demo_html.index(f'id="{s}"') for s in ("feedback", "profile", "transcript")
    )
    assert note < profile < transcript
    for heading in (
        "What went well",
        "One growth edge",
        "The moment",
        "Try instead",
        "Rehearse",
        "A question to reflect on",
        "And for you",
    ):
        assert heading in demo_html


def test_report_html_shows_plots_and_measures(demo_html):
    assert demo_html.count("<svg") == 4  # timeline, thirds, two gauges
    assert "fair 1.0:1" in demo_html and "good 50%" in demo_html
    assert "SRS (client-rated" in demo_html and "33.3" in demo_html
    assert "36 or below" in demo_html
    assert "ORS (client-rated" in demo_html and "Below the clinical cut-off of 25" in demo_html


def test_report_html_marks_ruptures_repairs_and_the_moment(demo_html):
    assert "Rupture (withdrawal): no repair within 4 turns." in demo_html
    assert (
        'Repair of the ruptures at <a href="#turn-18">turn 18</a>, <a href="#turn-20">turn 20</a>'
        in demo_html
    )
    moment = re.search(r'<div class="turn client is-moment" id="turn-32">', demo_html)
    assert moment, "the moment's client turn is not highlighted"
    assert 'class="turn therapist is-moment" id="turn-33"' in demo_html


def test_report_html_chips_carry_probability_and_evidence():
    transcript = coded(
        [
            (C, "I was scared", [], {}),
            (T, "you were really scared", ["reflection"], {"reflection": {"depth": "simple"}}),
        ]
    )
    turn = transcript.turns[1]
    turn.scores = {"reflection": 0.87}
    turn.evidence = {
        "reflection": [Evidence(kind="cue", text="you were", start=0, end=8, source="p1")]
    }
    profile = build_profile(transcript)
    page = render_html(transcript, profile, build_feedback(transcript, profile))
    chip = re.search(r'<span class="chip"[^>]*title="([^"]*)"[^>]*>reflection · simple', page)
    assert chip and "probability 0.87" in chip.group(1) and "cue: you were" in chip.group(1)
    assert 'class="tip" role="tooltip"' in page and "probability 0.87" in page


def test_report_html_escapes_transcript_text():
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    transcript = coded(
        [
            (C, attack, [], {}),
            (T, f"you said {attack}", ["reflection"], {"reflection": {"depth": "simple"}}),
        ]
        * 4
    )
    transcript.turns[0].speaker = "<b>C</b>"
    for turn in transcript.turns:
        if turn.role is Role.CLIENT:
            turn.speaker = "<b>C</b>"
    profile = build_profile(transcript)
    page = render_html(transcript, profile, build_feedback(transcript, profile))
    assert "<script" not in page and "<img" not in page and "<b>C</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_report_html_refuses_invented_quotes():
    transcript = tagged_demo()
    profile = build_profile(transcript)
    note = build_feedback(transcript, profile)
    note.moment.therapist_turn.quote = "I hear how hard this is for you."
    with pytest.raises(QuoteError):
        render_html(transcript, profile, note)


def test_report_html_short_transcript_says_so():
    transcript = coded([(C, "hi", [], {}), (T, "what brings you in", ["open_question"], {})])
    profile = build_profile(transcript)
    page = render_html(transcript, profile, build_feedback(transcript, profile))
    assert "too few for stable rates" in page and "Low confidence." in page
    assert "No growth edge was chosen: without ruptures" in page
    assert page.count("No growth edge was chosen") == 1


def test_report_html_client_only_transcript():
    transcript = coded([(C, "hello?", [], {}), (C, "anyone there", [], {})])
    profile = build_profile(transcript)
    page = render_html(transcript, profile, build_feedback(transcript, profile))
    assert "No therapist turns were found" in page
    assert page.count("<svg") == 4  # the plots still draw, empty
