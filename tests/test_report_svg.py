"""The inline SVG plots."""

from __future__ import annotations

import re

from assistant.profile import build_profile
from assistant.report.svg import gauge_svg, thirds_svg, timeline_svg
from tests.feedback_support import tagged_demo


def test_report_svg_timeline_has_one_mark_per_tag():
    transcript = tagged_demo()
    profile = build_profile(transcript)
    svg = timeline_svg(transcript, profile, moment=(31, 32))
    tags = sum(len(t.tags) for t in transcript.turns)
    marks = len(re.findall(r"<(?:circle|polygon) [^>]*><title>turn \d+ · ", svg))
    assert marks == tags
    assert "the moment" in svg
    assert svg.count("no repair within 4 turns") == 2  # turns 16 and 32, numbered from 1
    assert svg.count("repaired at turn 21") == 2


def test_report_svg_thirds_counts_match_the_profile():
    profile = build_profile(tagged_demo())
    svg = thirds_svg(profile)
    for third, name in enumerate(("beginning", "middle", "end")):
        count = profile.timeline_thirds[third]["reflection"]
        assert f"reflection: {count} in the {name}" in svg


def test_report_svg_gauge_rates_the_value():
    assert "(below fair)" in gauge_svg("R:Q", 0.5, 3.0, 1.0, 2.0)
    assert "(at or above fair)" in gauge_svg("R:Q", 1.2, 3.0, 1.0, 2.0)
    assert "(at or above good)" in gauge_svg("R:Q", 5.0, 3.0, 1.0, 2.0)
    assert "no data" in gauge_svg("R:Q", None, 3.0, 1.0, 2.0)
