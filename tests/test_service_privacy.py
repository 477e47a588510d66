"""Privacy and abuse limits: redaction on upload, no transcript text in any log
record, CORS closed by default, and the per-token rate limit."""

from __future__ import annotations

import logging

import pytest

from assistant.service.ratelimit import RateLimiter
from tests.service_support import FakeTagger, close_harness, make_harness

SECRET = "Marmalade-Zeppelin-Quartz"
PRIVATE_SESSION = f"""Therapist: What brings you in today?
Dana: My husband Robert says I should call the clinic at 555-201-7788 about the {SECRET} thing.
Therapist: You're unsure whether to make that call.
Dana: I moved to 42 Maple Avenue on March 3rd, 2023 and my email is dana.w@example.org.
Therapist: It sounds like a lot has changed since then.
"""


SESSION_BYTES = PRIVATE_SESSION.encode()


@pytest.fixture
def api(database, tmp_path):
    harness = make_harness(database, tmp_path)
    harness.add_user("alice")
    yield harness
    close_harness(harness)


def test_service_privacy_redaction_on_upload(api):
    answer = api.upload(
        "alice", PRIVATE_SESSION, filename="dana_w.txt", redact="true", title="Dana W"
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["redactions"] == {"name": 2, "phone": 1, "address": 1, "date": 1, "email": 1}
    assert body["filename"] == "" and body["title"] == "[NAME] W"
    detail = api.client.get(f"/api/v1/transcripts/{body['id']}", headers=api.auth("alice")).json()
    text = "\n".join(f"{t['speaker']}: {t['text']}" for t in detail["turns"])
    for secret in ("Dana", "Robert", "555-201-7788", "42 Maple", "March 3rd", "dana.w@"):
        assert secret not in text
    assert "[NAME]" in text and "[PHONE]" in text and "[EMAIL]" in text
    assert "[ADDRESS]" in text and "[DATE]" in text
    assert detail["roles"] == {"Therapist": "therapist", "Client": "client"}
    assert detail["turns"][1]["speaker"] == "Client"


def test_service_privacy_no_redaction_unless_asked(api):
    body = api.upload("alice", PRIVATE_SESSION).json()
    assert body["redactions"] is None
    detail = api.client.get(f"/api/v1/transcripts/{body['id']}", headers=api.auth("alice")).json()
    assert "Robert" in detail["turns"][1]["text"]


def test_service_privacy_redaction_default_from_settings(database, tmp_path):
    harness = make_harness(database, tmp_path, redact_uploads=True)
    try:
        harness.add_user("alice")
        on = harness.upload("alice", PRIVATE_SESSION).json()
        off = harness.upload("alice", PRIVATE_SESSION, redact="false").json()
        assert on["redactions"]["phone"] == 1 and off["redactions"] is None
    finally:
        close_harness(harness)


class ExplodingTagger(FakeTagger):
    """Fails the way library code does: its message quotes the input."""

    def transform_transcript(self, transcript):
        raise ValueError(f"cannot tag {transcript.turns[1].text!r}")


def test_service_privacy_no_transcript_text_in_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy keeps its loggers at WARNING unless told: open them too (SQL, parameters
    # and result rows).
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    auth = api.auth("alice")
    tid = api.upload("alice", PRIVATE_SESSION).json()["id"]
    api.client.get(f"/api/v1/transcripts/{tid}", headers=auth)
    api.client.get(f"/api/v1/transcripts/{tid}/feedback", headers=auth)
    api.client.post(
        "/api/v1/chat", headers=auth, json={"message": f"about {SECRET}?", "transcript_id": tid}
    )
    # Refusals log too: a one-speaker file and a bad JSON body carrying the secret.
    api.upload("alice", f"Therapist: {SECRET}\nTherapist: {SECRET} again\n")
    api.client.post(
        "/api/v1/transcripts/json",
        headers={**auth, "Content-Type": "application/json"},
        content=f'{{"turns": [{{"speaker": "T", "text": "{SECRET}"}}]'.encode(),
    )
    api.client.delete(f"/api/v1/transcripts/{tid}", headers=auth)
    # An unexpected failure whose exception message quotes the transcript: a 500, and
    # the log names the error without its message.
    api.core.__dict__["tagger"] = ExplodingTagger()
    failed = api.upload("alice", PRIVATE_SESSION)
    assert failed.status_code == 500
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "ValueError" in logged and "Row " not in logged
    assert "SELECT" in logged, "SQL logging was not captured"
    assert SECRET not in logged and "555-201-7788" not in logged and "Robert" not in logged
    assert api.tokens["alice"] not in logged


def test_service_privacy_cors_is_closed_by_default(api):
    preflight = api.client.options(
        "/api/v1/transcripts",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = api.client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_service_privacy_cors_opens_only_for_listed_origins(database, tmp_path):
    harness = make_harness(database, tmp_path, cors_origins=["https://clinic.example"])
    try:
        ok = harness.client.options(
            "/api/v1/transcripts",
            headers={
                "Origin": "https://clinic.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        assert ok.headers["access-control-allow-origin"] == "https://clinic.example"
        other = harness.client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    finally:
        close_harness(harness)


def test_service_privacy_rate_limit_per_token(database, tmp_path):
    harness = make_harness(database, tmp_path, rate_limit_per_minute=3)
    try:
        harness.add_user("alice")
        harness.add_user("bob")
        codes = [
            harness.client.get("/api/v1/me", headers=harness.auth("alice")).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        limited = harness.client.get("/api/v1/me", headers=harness.auth("alice"))
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        # Another token has its own bucket; health is never limited.
        assert harness.client.get("/api/v1/me", headers=harness.auth("bob")).status_code == 200
        assert harness.client.get("/api/v1/health").status_code == 200
        # Guessing tokens is throttled as well.
        wrong = {"Authorization": "Bearer aa_guess"}
        codes = [harness.client.get("/api/v1/me", headers=wrong).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
    finally:
        close_harness(harness)


def test_service_ratelimit_token_bucket_refills():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one request per second, burst 60
    assert all(limiter.hit("a") is None for _ in range(60))
    wait = limiter.hit("a")
    assert wait == pytest.approx(1.0)
    assert RateLimiter.retry_after(wait) == "1"
    now[0] += 0.5
    assert limiter.hit("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.hit("a") is None
    assert limiter.hit("b") is None  # buckets are per key


def test_service_ratelimit_forgets_old_buckets():
    limiter = RateLimiter(1, max_buckets=2, clock=lambda: 0.0)
    for key in ("a", "b", "c"):
        assert limiter.hit(key) is None
    assert limiter.hit("c") is not None
    assert limiter.hit("a") is None  # 'a' was evicted and starts full again


def test_service_privacy_access_log_drops_query_strings(api):
    from assistant.service.logs import ACCESS_LOGGER, StripQuery

    assert any(isinstance(f, StripQuery) for f in logging.getLogger(ACCESS_LOGGER).filters)
    record = logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/api/v1/transcripts/json?title=Dana%20Whitfield", "1.1", 201),
        None,
    )
    assert StripQuery().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "POST /api/v1/transcripts/json HTTP/1.1" 201'


def test_service_privacy_upload_file_names_are_plain(api):
    # Built by hand: clients escape these characters, an attacker's client need not.
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="../../etc/evil\x00name\t.txt"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        + SESSION_BYTES
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = api.client.post(
        "/api/v1/transcripts",
        headers={**api.auth("alice"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["filename"] == "evilname.txt"
