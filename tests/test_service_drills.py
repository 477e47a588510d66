"""The drill routes: the practice loop over HTTP, tokens on every route, and isolation
(another user's attempt, cohort or trainee answers 404, like an id that never existed)."""

from __future__ import annotations

import pytest

from tests.drills_support import DrillFakeTagger
from tests.service_support import SESSION_TEXT, close_harness, make_harness

D = "/api/v1/drills"
GOOD = "You're worn out, and even wanting to leave comes with guilt."
POOR = "You should try to sleep more."


@pytest.fixture
def harness(database, tmp_path):
    harness = make_harness(database, tmp_path, tagger=DrillFakeTagger())
    for name, role in (
        ("tess", "clinician"),
        ("mallory", "clinician"),
        ("trina", "trainer"),
        ("otto", "trainer"),
    ):
        harness.add_user(name, role)
    yield harness
    close_harness(harness)


def post(harness, user, path, body):
    return harness.client.post(D + path, json=body, headers=harness.auth(user))


def get(harness, user, path):
    return harness.client.get(D + path, headers=harness.auth(user))


def user_id(harness, name):
    from assistant.storage import users

    with harness.database.session() as s:
        return users.get_user(s, name).id


def test_service_drills_practice_loop(harness):
    skills = get(harness, "tess", "/skills").json()
    reflection = next(s for s in skills if s["id"] == "reflection")
    assert reflection["items"]["beginner"] >= 4 and reflection["title"]

    item = post(harness, "tess", "/start", {"skill": "reflection", "level": "beginner"}).json()
    assert item["level"] == "beginner" and item["client_statement"] and item["criteria"]
    assert "model_responses" not in item and "pitfalls" not in item  # shown after the attempt

    first = post(harness, "tess", "/answer", {"item_id": item["id"], "answer": POOR})
    assert first.status_code == 200, first.text
    result = first.json()["result"]
    assert result["passed"] is False and result["model_response"] in result["model_responses"]
    assert any("advice" in line for line in result["change"])

    again = post(harness, "tess", "/retry", {"item_id": item["id"], "answer": GOOD}).json()
    assert again["result"]["passed"] is True and again["result"]["worked"]
    assert again["next_level"]["level"] == "beginner"

    rated = post(
        harness, "tess", "/rate", {"attempt_id": again["attempt_id"], "rating": "too_easy"}
    )
    assert rated.json()["level"] == "intermediate"
    nxt = post(harness, "tess", "/start", {"skill": "reflection"}).json()
    assert nxt["level"] == "intermediate"  # continues where the history left off

    attempts = get(harness, "tess", "/attempts").json()
    assert [(a["response"], a["passed"], a["rating"]) for a in attempts] == [
        (POOR, False, ""),
        (GOOD, True, "too_easy"),
    ]
    progress = get(harness, "tess", "/progress").json()
    assert progress["skills"][0]["attempts"] == 2 and progress["skills"][0]["success_rate"] == 0.5
    assert progress["svg"].startswith("<svg")
    plot = get(harness, "tess", "/progress.svg")
    assert plot.headers["content-type"].startswith("image/svg+xml")
    assert 'data-skill="reflection"' in plot.text


def test_service_drills_bad_input_is_422(harness):
    assert post(harness, "tess", "/start", {"skill": "juggling"}).status_code == 422
    assert post(harness, "tess", "/start", {"skill": "reflection", "level": "x"}).status_code == 422
    missing = post(harness, "tess", "/answer", {"item_id": "nope-1", "answer": GOOD})
    assert missing.status_code == 404
    empty = post(harness, "tess", "/answer", {"item_id": "reflection-b-01", "answer": ""})
    assert empty.status_code == 422
    assert post(harness, "tess", "/rate", {"attempt_id": 1, "rating": "meh"}).status_code == 422


ROUTES = [
    ("GET", "/skills", None),
    ("POST", "/start", {"skill": "reflection"}),
    ("POST", "/rehearse", {"skill": "reflection", "client_statement": "I'm tired."}),
    ("POST", "/answer", {"item_id": "reflection-b-01", "answer": GOOD}),
    ("POST", "/retry", {"item_id": "reflection-b-01", "answer": GOOD}),
    ("POST", "/rate", {"attempt_id": 1, "rating": "too_easy"}),
    ("GET", "/attempts", None),
    ("GET", "/progress", None),
    ("GET", "/progress.svg", None),
    ("GET", "/trainees/1/progress", None),
    ("POST", "/cohorts", {"name": "c"}),
    ("GET", "/cohorts", None),
    ("GET", "/cohorts/1", None),
    ("POST", "/cohorts/1/members", {"user": "tess"}),
    ("POST", "/assignments", {"cohort_id": 1, "skill": "reflection", "level": "beginner"}),
    ("GET", "/assignments", None),
]


def test_service_drills_every_route_needs_a_valid_token(harness):
    for method, path, body in ROUTES:
        for headers in ({}, {"Authorization": "Bearer aa_not-a-token"}):
            response = harness.client.request(method, D + path, json=body, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
    from assistant.storage.tables import DrillAttempt

    with harness.database.session() as s:
        assert s.query(DrillAttempt).count() == 0


def test_service_drills_another_users_ids_are_not_found(harness):
    item = post(harness, "tess", "/start", {"skill": "reflection"}).json()
    attempt = post(harness, "tess", "/answer", {"item_id": item["id"], "answer": GOOD}).json()
    tess, mallory = user_id(harness, "tess"), user_id(harness, "mallory")
    cohort = post(harness, "trina", "/cohorts", {"name": "spring"}).json()
    assert (
        post(harness, "trina", f"/cohorts/{cohort['id']}/members", {"user": "tess"}).status_code
        == 200
    )

    def same_404(response, never):
        assert response.status_code == never.status_code == 404, response.text
        assert response.json()["detail"].split()[:2] == never.json()["detail"].split()[:2]

    rate = {"attempt_id": attempt["attempt_id"], "rating": "too_hard"}
    never = {"attempt_id": 99999, "rating": "too_hard"}
    same_404(post(harness, "mallory", "/rate", rate), post(harness, "mallory", "/rate", never))
    assert get(harness, "mallory", "/attempts").json() == []
    assert get(harness, "mallory", "/progress").json()["skills"] == []
    # trainer views: only the trainer's own cohort and its members
    assert get(harness, "trina", f"/trainees/{tess}/progress").status_code == 200
    same_404(
        get(harness, "trina", f"/trainees/{mallory}/progress"),
        get(harness, "trina", "/trainees/99999/progress"),
    )
    same_404(
        get(harness, "otto", f"/trainees/{tess}/progress"),
        get(harness, "otto", "/trainees/99999/progress"),
    )
    same_404(
        get(harness, "mallory", f"/trainees/{tess}/progress"),
        get(harness, "mallory", "/trainees/99999/progress"),
    )
    same_404(
        get(harness, "otto", f"/cohorts/{cohort['id']}"), get(harness, "otto", "/cohorts/99999")
    )
    same_404(
        post(harness, "otto", f"/cohorts/{cohort['id']}/members", {"user": "mallory"}),
        post(harness, "otto", "/cohorts/99999/members", {"user": "mallory"}),
    )
    body = {"cohort_id": cohort["id"], "skill": "reflection", "level": "beginner"}
    same_404(
        post(harness, "otto", "/assignments", body),
        post(harness, "otto", "/assignments", {**body, "cohort_id": 99999}),
    )
    assert get(harness, "otto", "/cohorts").json() == []


def test_service_drills_trainer_sees_cohort_and_assigns_drills(harness):
    assert post(harness, "tess", "/cohorts", {"name": "mine"}).status_code == 422  # not a trainer
    cohort = post(harness, "trina", "/cohorts", {"name": "spring"})
    assert cohort.status_code == 201
    cid = cohort.json()["id"]
    post(harness, "trina", f"/cohorts/{cid}/members", {"user": "tess"})
    for answer in (GOOD, POOR):
        post(harness, "tess", "/answer", {"item_id": "reflection-b-01", "answer": answer})
    post(harness, "mallory", "/answer", {"item_id": "reflection-b-01", "answer": GOOD})
    overview = get(harness, "trina", f"/cohorts/{cid}").json()
    assert [(m["name"], m["attempts"], m["success_rate"]) for m in overview["members"]] == [
        ("tess", 2, 0.5)
    ]
    assert overview["members"][0]["skills"][0]["skill"] == "reflection"
    assert [c["id"] for c in get(harness, "trina", "/cohorts").json()] == [cid]
    progress = get(harness, "trina", f"/trainees/{user_id(harness, 'tess')}/progress").json()
    assert progress["skills"][0]["attempts"] == 2 and "<svg" in progress["svg"]

    made = post(
        harness,
        "trina",
        "/assignments",
        {
            "cohort_id": cid,
            "skill": "withdrawal_rupture",
            "level": "intermediate",
            "note": "before Friday",
        },
    )
    assert made.status_code == 201
    assert [(a["skill"], a["note"]) for a in get(harness, "tess", "/assignments").json()] == [
        ("withdrawal_rupture", "before Friday")
    ]
    assert get(harness, "mallory", "/assignments").json() == []
    unknown = post(
        harness,
        "trina",
        "/assignments",
        {"cohort_id": cid, "skill": "juggling", "level": "beginner"},
    )
    assert unknown.status_code == 422


def test_service_drills_rehearse_a_session_moment(harness):
    upload = harness.upload("tess", SESSION_TEXT)
    assert upload.status_code == 201, upload.text
    tid = upload.json()["id"]
    moment = {"skill": "withdrawal_rupture", "transcript_id": tid, "turn_index": 3}
    item = post(harness, "tess", "/rehearse", moment)
    assert item.status_code == 200, item.text
    item = item.json()
    assert item["client_statement"] == "Whatever. I guess it doesn't matter."
    assert item["id"].startswith("rehearse-withdrawal_rupture-")

    body = {
        "item_id": item["id"],
        "answer": "You're right, I pushed. How is this going for you?",
        "client_statement": item["client_statement"],
        "skill": "withdrawal_rupture",
    }
    answered = post(harness, "tess", "/answer", body)
    assert answered.status_code == 200, answered.text
    assert answered.json()["result"]["passed"] is True
    assert answered.json()["next_level"]["reason"] == "a rehearsed session moment"
    mismatch = post(harness, "tess", "/answer", {**body, "client_statement": "something else"})
    assert mismatch.status_code == 422

    by_text = post(
        harness,
        "tess",
        "/rehearse",
        {"skill": "reflection", "client_statement": "I stay late every night."},
    )
    assert by_text.json()["client_statement"] == "I stay late every night."
    assert (
        post(harness, "tess", "/rehearse", {**moment, "turn_index": 2}).status_code == 422
    )  # therapist turn
    assert post(harness, "tess", "/rehearse", {"skill": "reflection"}).status_code == 422
    other = post(harness, "mallory", "/rehearse", moment)
    never = post(harness, "mallory", "/rehearse", {**moment, "transcript_id": "0" * 32})
    assert other.status_code == never.status_code == 404
