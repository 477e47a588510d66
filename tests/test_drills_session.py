"""The practice loop without a database: next item, adaptive level, progress, plot, rehearse."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from assistant.drills.practice import resolve_item
from assistant.drills.schema import load_library
from assistant.drills.session import (
    AttemptRecord,
    adapt_level,
    current_level,
    drill_from_statement,
    pick_item,
    progress,
    progress_svg,
    rehearse_id,
    rolling_success,
)
from assistant.errors import ValidationError
from tests.drills_support import DrillFakeTagger


@pytest.fixture(scope="module")
def library():
    return load_library()


def runs(level: str, outcomes: str, skill: str = "reflection", start: int = 0):
    """Records from a string of P (pass) and M (miss)."""
    return [
        AttemptRecord(f"{skill}-x-{start + n}", skill, level, 0.8 if c == "P" else 0.2, c == "P")
        for n, c in enumerate(outcomes)
    ]


def test_drills_session_moves_up_after_three_passes_in_four():
    assert adapt_level(runs("beginner", "PP"), "beginner").level == "beginner"
    change = adapt_level(runs("beginner", "PMPP"), "beginner")
    assert change.level == "intermediate" and change.changed
    assert "3 passes in the last 4" in change.reason
    assert adapt_level(runs("beginner", "PPMM"), "beginner").level == "beginner"
    assert adapt_level(runs("advanced", "PPPP"), "advanced").level == "advanced"


def test_drills_session_moves_down_after_three_misses_in_four():
    change = adapt_level(runs("intermediate", "MPMM"), "intermediate")
    assert change.level == "beginner" and "3 misses" in change.reason
    assert adapt_level(runs("beginner", "MMMM"), "beginner").level == "beginner"


def test_drills_session_only_the_run_at_the_current_level_counts():
    # three passes at beginner moved the trainee up; one miss at intermediate is no signal
    history = runs("beginner", "PPP") + runs("intermediate", "M", start=3)
    assert adapt_level(history, "intermediate").level == "intermediate"
    assert current_level(history) == "intermediate"
    # old misses at intermediate do not count after a stay at beginner
    history = runs("intermediate", "MMM") + runs("beginner", "PP", start=3)
    assert adapt_level(history, "beginner").level == "beginner"
    assert current_level([], default="advanced") == "advanced"


def test_drills_session_too_easy_and_too_hard_move_one_level():
    history = runs("beginner", "M")
    easy = [*history[:-1], AttemptRecord("r-1", "reflection", "beginner", 0.2, False, "too_easy")]
    assert adapt_level(easy, "beginner").level == "intermediate"
    hard = [AttemptRecord("r-1", "reflection", "intermediate", 0.9, True, "too_hard")]
    assert adapt_level(hard, "intermediate").level == "beginner"
    assert "marked too hard" in adapt_level(hard, "intermediate").reason
    # a rating starts a fresh run: passes before it do not add up with passes after it
    rated = [
        *runs("beginner", "P"),
        AttemptRecord("r-2", "reflection", "beginner", 0.9, True, "too_hard"),
    ]
    assert "already at beginner" in adapt_level(rated, "beginner").reason
    after = [*rated, *runs("beginner", "P", start=9)]
    assert adapt_level(after, "beginner").level == "beginner"
    assert (
        adapt_level([*runs("beginner", "PP"), *runs("beginner", "P", start=9)], "beginner").level
        == "intermediate"
    )


def test_drills_session_pick_item_prefers_unpractised_then_nearest_level(library):
    first = pick_item(library, "reflection", "beginner")
    assert first.level == "beginner"
    history = [AttemptRecord(first.id, "reflection", "beginner", 0.9, True)]
    second = pick_item(library, "reflection", "beginner", history)
    assert second.id != first.id and second.level == "beginner"
    seen = [
        AttemptRecord(item.id, "reflection", "beginner", 0.9, True)
        for item in library.items("reflection", "beginner")
    ]
    # all practised once: the one practised longest ago comes back, never the excluded one
    assert pick_item(library, "reflection", "beginner", seen).id == seen[0].item_id
    assert pick_item(library, "reflection", "beginner", seen, exclude=seen[0].item_id).id == (
        seen[1].item_id
    )
    with pytest.raises(ValidationError, match="unknown level"):
        pick_item(library, "reflection", "expert")


def test_drills_session_progress_counts_rates_and_trend():
    start = datetime(2025, 3, 3, 10)  # a Monday
    records = [
        AttemptRecord(
            f"r-{n}",
            "reflection",
            "beginner",
            0.3 if n < 5 else 0.8,
            n >= 5,
            created_at=start + timedelta(days=2 * n),
        )
        for n in range(10)
    ] + runs("beginner", "PM", skill="collaboration")
    by_skill = {p.skill: p for p in progress(records)}
    reflection = by_skill["reflection"]
    assert (reflection.attempts, reflection.passed, reflection.success_rate) == (10, 5, 0.5)
    assert reflection.trend == "improving" and "0.30 -> 0.80" in reflection.trend_reason
    assert [w.label for w in reflection.by_window] == ["1-5", "6-10"]
    assert [w.success_rate for w in reflection.by_window] == [0.0, 1.0]
    assert reflection.by_week[0].label == "2025-03-03" and reflection.by_week[0].attempts == 4
    assert sum(w.attempts for w in reflection.by_week) == 10
    assert by_skill["collaboration"].trend == "too few attempts"
    declining = [
        AttemptRecord(f"d{n}", "flexibility", "beginner", 0.9 - 0.08 * n, n < 4) for n in range(10)
    ]
    assert progress(declining)[0].trend == "declining"


def test_drills_session_progress_plot_is_inline_svg():
    records = runs("beginner", "MPPMP") + runs("beginner", "PP", skill="warmth_validation")
    svg = progress_svg(records)
    root = ET.fromstring(svg)  # well-formed XML, no script
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert not list(root.iter(f"{ns}script")) and "<script" not in svg
    lines = {p.get("data-skill"): p for p in root.iter(f"{ns}polyline")}
    assert set(lines) == {"reflection", "warmth_validation"}
    assert len(lines["reflection"].get("points").split()) == 5
    assert rolling_success([False, True, True, False, True]) == [0.0, 0.5, 2 / 3, 0.5, 0.6]
    assert "no attempts yet" in progress_svg([])
    assert "&lt;b&gt;" in progress_svg(runs("beginner", "P", skill="<b>"))


def test_drills_session_rehearse_builds_a_drill_on_the_exact_statement(library):
    statement = "  I don't know why I keep coming here, nothing changes.  "
    item = drill_from_statement(statement, "withdrawal_rupture", library)
    assert item.client_statement == statement.strip()
    assert item.target_tags == ["repair"] and item.skill == "withdrawal_rupture"
    assert item.id == rehearse_id(statement, "withdrawal_rupture")
    assert item.id == drill_from_statement(statement.strip(), "withdrawal_rupture", library).id
    borrowed = {r for i in library.items("withdrawal_rupture") for r in i.model_responses}
    assert set(item.model_responses) <= borrowed
    with_encoder = drill_from_statement(
        statement, "withdrawal_rupture", library, encoder=DrillFakeTagger()
    )
    assert with_encoder.id == item.id
    assert (
        resolve_item(
            library, item.id, client_statement=statement, skill="withdrawal_rupture"
        ).client_statement
        == item.client_statement
    )
    with pytest.raises(ValidationError, match="does not match"):
        resolve_item(
            library, item.id, client_statement="something else", skill="withdrawal_rupture"
        )
    with pytest.raises(ValidationError, match="needs its client_statement"):
        resolve_item(library, item.id)
    with pytest.raises(ValidationError, match="empty"):
        drill_from_statement("  ", "reflection", library)
