"""The page's support routes: progress across sessions with SRS, and a session's CSV."""

from __future__ import annotations

import csv
import io

import pytest

from assistant.research.outputs import TURN_COLUMNS
from assistant.service.routes.web_support import MIN_RATED_SESSIONS, _cell, spearman
from tests.service_support import SESSION_TEXT, close_harness, make_harness

P = "/api/v1/progress/sessions"
T = "/api/v1/transcripts"
SRS_ITEMS = ("relationship", "goals_and_topics", "approach_or_method")


@pytest.fixture
def web(database, tmp_path):
    harness = make_harness(database, tmp_path)
    harness.add_user("alice")
    harness.add_user("bob")
    yield harness
    close_harness(harness)


def srs(total_per_item: float) -> dict[str, float]:
    return {item: total_per_item for item in (*SRS_ITEMS, "overall")}


def test_web_support_spearman_ranks_with_ties():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.949, abs=1e-3)
    assert spearman([1, 1, 1, 1], [1, 2, 3, 4]) is None  # a constant side says nothing
    assert spearman([1], [2]) is None


def test_web_support_progress_lists_sessions_in_date_order_with_srs(web):
    later = web.upload("alice", client_code="C-1", session_date="2024-06-10").json()
    earlier = web.upload("alice", client_code="C-1", session_date="2024-05-02").json()
    web.upload("bob", client_code="B-9", session_date="2024-01-01")
    web.client.post(f"{T}/{earlier['id']}/srs", headers=web.auth("alice"), json=srs(9.5))
    # The latest SRS of a session counts, not the first one entered.
    web.client.post(f"{T}/{later['id']}/srs", headers=web.auth("alice"), json=srs(8))
    web.client.post(f"{T}/{later['id']}/srs", headers=web.auth("alice"), json=srs(7))

    answer = web.client.get(P, headers=web.auth("alice"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [s["id"] for s in body["sessions"]] == [earlier["id"], later["id"]]  # bob's not here
    first, second = body["sessions"]
    assert first["srs_total"] == 38.0 and first["srs_concern"] is False
    assert second["srs_total"] == 28.0 and second["srs_concern"] is True
    assert second["ors_total"] is None
    # Metrics come from the stored profile: 2 reflections, 3 questions in SESSION_TEXT.
    assert first["metrics"]["reflection_to_question"] == pytest.approx(2 / 3, abs=1e-3)
    assert first["metrics"]["percent_complex_reflections"] == 0.5
    assert first["metrics"]["overall"] == earlier["overall"]
    keys = [m["key"] for m in body["metrics"]]
    assert {"overall", "reflection_to_question", "warmth_per_10"} <= set(keys)
    assert body["associations"]["overall"] == {"n": 2, "min_n": MIN_RATED_SESSIONS, "rho": None}


def test_web_support_progress_correlates_once_enough_sessions_are_rated(web):
    # More reflections go with a higher SRS in these four sessions.
    base = "Client: I am tired.\nTherapist: What happened?\n"
    reflection = "Client: Work again.\nTherapist: You feel stretched thin.\n"
    for n, rating in zip(range(4), (6.0, 7.0, 8.0, 9.0), strict=True):
        uploaded = web.upload("alice", text=base + reflection * n, session_date=f"2024-0{n + 1}-01")
        sid = uploaded.json()["id"]
        web.client.post(f"{T}/{sid}/srs", headers=web.auth("alice"), json=srs(rating))
    body = web.client.get(P, headers=web.auth("alice")).json()
    assoc = body["associations"]["reflection_to_question"]
    assert assoc["n"] == 4 and assoc["rho"] == 1.0


def test_web_support_progress_needs_a_token(web):
    assert web.client.get(P).status_code == 401


def test_web_support_codes_csv_has_one_row_per_turn(web):
    uploaded = web.upload("alice", client_code="C 1/x", session_date="2024-05-02").json()
    answer = web.client.get(f"{T}/{uploaded['id']}/codes.csv", headers=web.auth("alice"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="session-C_1_x-2024-05-02-codes.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == TURN_COLUMNS
    assert len(rows) == SESSION_TEXT.count("\n")
    assert rows[2]["tags"] == "reflection" and rows[2]["turn_index"] == "2"
    assert rows[3]["tags"] == "rupture_withdrawal"
    assert rows[1]["text"].startswith("My manager keeps moving deadlines")


def test_web_support_codes_csv_is_owner_only(web):
    uploaded = web.upload("alice").json()
    other = web.client.get(f"{T}/{uploaded['id']}/codes.csv", headers=web.auth("bob"))
    assert other.status_code == 404


def test_web_support_csv_cells_cannot_start_a_formula():
    assert _cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("plain words") == "plain words"
    assert _cell(["reflection", "warmth"]) == "reflection;warmth"
    assert _cell(None) == "" and _cell(3) == 3
