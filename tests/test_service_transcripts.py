"""Uploads: what is stored after success, and that every refused upload stores nothing."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.service_support import SESSION_TEXT, FakeTagger, close_harness, make_harness

T = "/api/v1/transcripts"
NOTHING = {"transcripts": 0, "turns": 0, "measures": 0, "conversations": 0, "messages": 0}


@pytest.fixture
def api(database, tmp_path):
    harness = make_harness(database, tmp_path, max_upload_bytes=4_000)
    harness.add_user("alice")
    yield harness
    close_harness(harness)


def test_service_transcripts_upload_codes_and_stores_the_session(api):
    answer = api.upload(
        "alice", title="Third session", client_code="C-17", session_date="2024-05-02"
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["title"] == "Third session" and body["client_code"] == "C-17"
    assert body["session_date"] == "2024-05-02" and body["model"] == "fake-tagger"
    assert body["turn_count"] == 10 and body["therapist_turns"] == 5
    assert body["profile"]["counts"]["reflection"] == 2
    assert body["profile"]["ruptures"][0]["turn_index"] == 3
    assert body["redactions"] is None
    assert api.counts()["turns"] == 10

    detail = api.client.get(f"{T}/{body['id']}", headers=api.auth("alice")).json()
    assert [t["index"] for t in detail["turns"]] == list(range(10))
    assert detail["turns"][2]["tags"] == ["reflection"]
    assert detail["turns"][2]["attributes"] == {"reflection": {"depth": "complex"}}
    assert detail["turns"][3]["role"] == "client"
    assert detail["roles"] == {"Therapist": "therapist", "Client": "client"}


def test_service_transcripts_json_upload_reads_like_the_json_reader(api):
    session = {
        "id": "s1",
        "turns": [
            {"speaker": "Dana", "text": "I don't know where to start."},
            {"speaker": "Dr. Lee", "text": "What feels most pressing today?"},
        ],
    }
    answer = api.client.post(f"{T}/json?title=From%20JSON", headers=api.auth("alice"), json=session)
    assert answer.status_code == 201, answer.text
    assert answer.json()["title"] == "From JSON" and answer.json()["source_format"] == "json"
    detail = api.client.get(f"{T}/{answer.json()['id']}", headers=api.auth("alice")).json()
    assert detail["roles"]["Dr. Lee"] == "therapist"
    assert detail["turns"][1]["tags"] == ["open_question"]


def test_service_transcripts_profile_and_measures(api):
    tid = api.upload("alice").json()["id"]
    profile = api.client.get(f"{T}/{tid}/profile", headers=api.auth("alice")).json()
    assert profile["conversation_id"] == tid
    assert profile["thresholds"]["reflection_to_question"] == {"fair": 1.0, "good": 2.0}
    srs = {"relationship": 9, "goals_and_topics": 7, "approach_or_method": 9, "overall": 9}
    stored = api.client.post(f"{T}/{tid}/srs", headers=api.auth("alice"), json=srs).json()
    assert stored["kind"] == "srs" and stored["total"] == 34
    assert stored["values"]["alliance_concern"] is True
    listed = api.client.get(f"{T}/{tid}/measures", headers=api.auth("alice")).json()
    assert [m["kind"] for m in listed] == ["srs"]


@pytest.mark.parametrize(
    "kind, body",
    [
        ("srs", {"relationship": 11, "goals_and_topics": 7, "approach_or_method": 9, "overall": 9}),
        ("srs", {"relationship": 9, "goals_and_topics": 7, "approach_or_method": 9}),
        ("ors", {"individually": -1, "interpersonally": 6, "socially": 7, "overall": 5}),
        ("ors", {"individually": 1, "interpersonally": 6, "socially": 7, "overall": "high"}),
    ],
)
def test_service_transcripts_bad_measures_are_refused_and_not_stored(api, kind, body):
    tid = api.upload("alice").json()["id"]
    answer = api.client.post(f"{T}/{tid}/{kind}", headers=api.auth("alice"), json=body)
    assert answer.status_code == 422
    assert isinstance(answer.json()["detail"], str) and answer.json()["detail"]
    assert api.counts()["measures"] == 0


def test_service_transcripts_delete_removes_everything_of_it(api):
    tid = api.upload("alice").json()["id"]
    api.client.post(
        f"{T}/{tid}/ors",
        headers=api.auth("alice"),
        json={"individually": 5, "interpersonally": 6, "socially": 7, "overall": 5},
    )
    api.client.post(
        "/api/v1/chat", headers=api.auth("alice"), json={"message": "hi", "transcript_id": tid}
    )
    assert api.counts()["messages"] == 2
    assert api.client.delete(f"{T}/{tid}", headers=api.auth("alice")).status_code == 204
    assert api.counts() == NOTHING
    assert api.client.get(f"{T}/{tid}", headers=api.auth("alice")).status_code == 404
    assert api.client.get(f"{T}/{tid}/profile", headers=api.auth("alice")).status_code == 404


BAD_UPLOADS = [
    ("empty", "s.txt", b"", {}, "empty"),
    ("binary", "s.txt", b"\x00\x01\x02\x03" * 50, {}, "binary"),
    ("one speaker", "s.txt", b"Therapist: hello\nTherapist: anyone?\n", {}, "one speaker"),
    ("no speakers", "s.txt", b"just some words\nand more words\n", {}, "speaker"),
    ("unsupported", "s.pdf", b"%PDF-1.4", {}, "PDF"),
    ("unknown format", "s.txt", SESSION_TEXT.encode(), {"format": "yaml"}, "unknown format"),
    ("too large", "s.txt", b"T: " + b"a" * 4_100, {}, "over the limit"),
    ("bad date", "s.txt", SESSION_TEXT.encode(), {"session_date": "May 2"}, "YYYY-MM-DD"),
    ("compact date", "s.txt", SESSION_TEXT.encode(), {"session_date": "20240502"}, "YYYY-MM-DD"),
    ("no such day", "s.txt", SESSION_TEXT.encode(), {"session_date": "2024-02-30"}, "YYYY-MM-DD"),
    ("title too long", "s.txt", SESSION_TEXT.encode(), {"title": "x" * 201}, "title"),
    ("redact not a bool", "s.txt", SESSION_TEXT.encode(), {"redact": "perhaps"}, "redact"),
    (
        "two conversations",
        "s.jsonl",
        b'{"conversation_id": "a", "speaker": "T", "text": "Hi?"}\n'
        b'{"conversation_id": "a", "speaker": "C", "text": "Hi."}\n'
        b'{"conversation_id": "b", "speaker": "T", "text": "Hi?"}\n'
        b'{"conversation_id": "b", "speaker": "C", "text": "Hi."}\n',
        {},
        "2 conversations",
    ),
    ("bad therapist", "s.txt", SESSION_TEXT.encode(), {"therapist": "Nobody"}, "Nobody"),
]


@pytest.mark.parametrize(
    "filename, data, form, message",
    [case[1:] for case in BAD_UPLOADS],
    ids=[case[0] for case in BAD_UPLOADS],
)
def test_service_transcripts_bad_upload_is_refused_and_stores_nothing(
    api, filename, data, form, message
):
    tagger_calls = api.core.tagger.calls
    answer = api.client.post(
        T,
        headers=api.auth("alice"),
        files={"file": (filename, data, "application/octet-stream")},
        data=form,
    )
    assert answer.status_code == 422, answer.text
    assert message.lower() in answer.json()["detail"].lower()
    assert api.counts() == NOTHING
    assert api.core.tagger.calls == tagger_calls  # refused before any coding


def test_service_transcripts_bad_json_upload_stores_nothing(api):
    for body in (b"{not json", b'{"turns": "no"}', json.dumps({"turns": []}).encode()):
        answer = api.client.post(
            f"{T}/json",
            headers={**api.auth("alice"), "Content-Type": "application/json"},
            content=body,
        )
        assert answer.status_code == 422, answer.text
    assert api.counts() == NOTHING


def test_service_transcripts_body_over_the_limit_is_413_before_reading(api):
    answer = api.client.post(
        T,
        headers=api.auth("alice"),
        files={"file": ("s.txt", b"T: " + b"a" * 200_000, "text/plain")},
    )
    assert answer.status_code == 413
    assert "over the limit" in answer.json()["detail"]
    assert api.counts() == NOTHING


def test_service_transcripts_failure_while_coding_stores_nothing(database, tmp_path):
    harness = make_harness(
        database, tmp_path, tagger=FakeTagger(fail=True), raise_server_exceptions=False
    )
    try:
        harness.add_user("alice")
        answer = harness.upload("alice")
        assert answer.status_code == 500
        assert answer.json() == {"detail": "internal error; see the server log"}
        assert harness.counts() == NOTHING
    finally:
        close_harness(harness)


def test_service_transcripts_failure_while_saving_stores_nothing(api, monkeypatch):
    import assistant.storage.transcripts as store

    original = store.save_transcript

    def save_then_fail(session, *args, **kwargs):
        original(session, *args, **kwargs)  # turns are flushed, then the unit of work fails
        from assistant.errors import StorageError

        raise StorageError("the database is unavailable; retry in a few seconds")

    monkeypatch.setattr(store, "save_transcript", save_then_fail)
    answer = api.upload("alice")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert api.counts() == NOTHING


def test_service_transcripts_empty_optional_fields_mean_defaults(api):
    answer = api.upload("alice", format="", therapist="", title="", session_date="")
    assert answer.status_code == 201, answer.text
    assert answer.json()["title"] == "s" and answer.json()["session_date"] == ""


@pytest.mark.skipif(
    importlib.util.find_spec("assistant.report") is None, reason="assistant.report missing"
)
def test_service_transcripts_report_is_self_contained_html(api):
    tid = api.upload("alice", "Therapist: <script>alert(1)</script> hi?\nClient: ok\n").json()["id"]
    answer = api.client.get(f"{T}/{tid}/report", headers=api.auth("alice"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;" in answer.text
