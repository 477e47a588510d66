"""Security: tokens, isolation, file names, escaping, secrets at rest and in logs, deletion.

The route sweeps read the app's own OpenAPI document, so a route added later is
swept too, and a route this file cannot call yet (a path parameter or a body it does
not know) fails with a message saying what to add. Everything runs on SQLite and,
where the database matters, on PostgreSQL too (the ``database`` fixture).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import string
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.core import SerialTagger
from assistant.storage import open_database
from assistant.storage import users as user_store
from tests.drills_support import DrillFakeTagger
from tests.reliability.support import (
    AppThread,
    bearer,
    dump_tables,
    rows_mentioning,
)
from tests.service_support import close_harness, make_harness

# Words that exist nowhere but in this test's session, so any sighting is a leak.
SECRET = "Zanzibar-Quokka-4417"
SPEAKER = "Ottoline Fairweather"
TITLE = "Perpetua Brightwater intake"
CLIENT_CODE = "QX-7781-Fennimore"
FILENAME = "wolfsbane_notes.txt"
CHAT = "Tangerine-Vortex-5150"
ANSWER = "You feel Marzipan-Lantern-0932 about it."
SESSION = f"""Therapist: What brings you in today?
{SPEAKER}: The {SECRET} thing keeps me up at night.
Therapist: You're worn out by the {SECRET} worry.
{SPEAKER}: Whatever. I guess it doesn't matter.
Therapist: It sounds like part of you has given up on it.
{SPEAKER}: Maybe. My brother says the same.
"""
SECRETS = [SECRET, SPEAKER, TITLE, CLIENT_CODE, CHAT, "Marzipan-Lantern", "wolfsbane"]
UNAUTHENTICATED = {("GET", "/api/v1/health"), ("GET", "/api/v1/ready")}
NEVER = {
    "transcript_id": "0" * 32,
    "conversation_id": "1" * 32,
    "cohort_id": 987654,
    "trainee_id": 987655,
    "attempt_id": 987656,
}

# A valid body for every operation that takes one; "{name}" is filled from the world's ids.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/users"): {"name": "newcomer", "role": "clinician"},
    ("POST", "/api/v1/transcripts"): "file",
    ("POST", "/api/v1/transcripts/json"): {
        "id": "s",
        "turns": [{"speaker": "T", "text": "What now?"}, {"speaker": "C", "text": "Rest."}],
    },
    ("POST", "/api/v1/transcripts/{transcript_id}/srs"): {
        "relationship": 9,
        "goals_and_topics": 8,
        "approach_or_method": 9,
        "overall": 9,
    },
    ("POST", "/api/v1/transcripts/{transcript_id}/ors"): {
        "individually": 5,
        "interpersonally": 6,
        "socially": 7,
        "overall": 5,
    },
    ("POST", "/api/v1/chat"): {"message": "how did it go?", "transcript_id": "{transcript_id}"},
    ("POST", "/api/v1/drills/start"): {"skill": "reflection"},
    ("POST", "/api/v1/drills/rehearse"): {
        "skill": "reflection",
        "transcript_id": "{transcript_id}",
        "turn_index": 1,
    },
    ("POST", "/api/v1/drills/answer"): {"item_id": "{item_id}", "answer": "You are tired."},
    ("POST", "/api/v1/drills/retry"): {"item_id": "{item_id}", "answer": "You are tired."},
    ("POST", "/api/v1/drills/rate"): {"attempt_id": "{attempt_id}", "rating": "too_hard"},
    ("POST", "/api/v1/drills/cohorts"): {"name": "autumn"},
    ("POST", "/api/v1/drills/cohorts/{cohort_id}/members"): {"user": "bob"},
    ("POST", "/api/v1/drills/assignments"): {
        "cohort_id": "{cohort_id}",
        "skill": "reflection",
        "level": "beginner",
    },
}
# Operations whose body names one of the caller's objects, beside the path ones.
BODY_IDS = {
    ("POST", "/api/v1/chat"),
    ("POST", "/api/v1/drills/rehearse"),
    ("POST", "/api/v1/drills/rate"),
    ("POST", "/api/v1/drills/assignments"),
}


def operations(app) -> list[tuple[str, str, dict[str, Any]]]:
    schema = app.openapi()
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1")
        for method, operation in item.items()
        if (method.upper(), path) not in UNAUTHENTICATED
    ]


def fill(value: Any, ids: dict[str, Any]) -> Any:
    """The body or path with "{name}" replaced by ``ids[name]`` (keeping its type)."""
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole:
            return ids[whole.group(1)]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


def call(client, method: str, path: str, ids: dict[str, Any], headers: dict[str, str]):
    missing = [name for _, name, _, _ in string.Formatter().parse(path) if name and name not in ids]
    assert not missing, f"{method} {path}: add an id for {missing} to the sweep"
    url = path.format(**ids)
    body = BODIES.get((method, path))
    if body == "file":
        files = {"file": ("s.txt", SESSION.encode(), "text/plain")}
        return client.request(method, url, files=files, headers=headers)
    if body is not None:
        return client.request(method, url, json=fill(body, ids), headers=headers)
    return client.request(method, url, headers=headers)


@pytest.fixture
def world(database, tmp_path):
    """alice (a trainer) with a session, a chat, a drill attempt and a cohort holding
    bob; mallory, another trainer, who owns nothing."""
    harness = make_harness(database, tmp_path, tagger=DrillFakeTagger())
    for name, role in (("alice", "trainer"), ("mallory", "trainer"), ("bob", "clinician")):
        harness.add_user(name, role)
    client, auth = harness.client, harness.auth("alice")
    upload = harness.upload(
        "alice", SESSION, filename=FILENAME, title=TITLE, client_code=CLIENT_CODE
    )
    assert upload.status_code == 201, upload.text
    tid = upload.json()["id"]
    chat = client.post("/api/v1/chat", headers=auth, json={"message": CHAT, "transcript_id": tid})
    item = client.post(
        "/api/v1/drills/rehearse",
        headers=auth,
        json={"skill": "reflection", "transcript_id": tid, "turn_index": 1},
    ).json()
    attempt = client.post(
        "/api/v1/drills/answer",
        headers=auth,
        json={
            "item_id": item["id"],
            "answer": ANSWER,
            "client_statement": item["client_statement"],
            "skill": "reflection",
        },
    )
    assert attempt.status_code == 200, attempt.text
    cohort = client.post("/api/v1/drills/cohorts", headers=auth, json={"name": "spring"}).json()
    added = client.post(
        f"/api/v1/drills/cohorts/{cohort['id']}/members", headers=auth, json={"user": "bob"}
    )
    assert added.status_code == 200, added.text
    with harness.database.session() as session:
        bob = user_store.get_user(session, "bob").id
    harness.ids = {
        "transcript_id": tid,
        "conversation_id": chat.json()["conversation_id"],
        "cohort_id": cohort["id"],
        "trainee_id": bob,
        "attempt_id": attempt.json()["attempt_id"],
        "item_id": item["id"],
    }
    yield harness
    close_harness(harness)


# ----------------------------------------------------------------- tokens
def test_security_every_route_refuses_missing_wrong_and_revoked_tokens(world):
    client, ids = world.client, world.ids
    world.add_user("rita")
    revoked = world.tokens["rita"]
    world.core.revoke_tokens("rita")
    stored_hash = user_store.hash_token(world.tokens["alice"])
    refusals = {
        "missing": {},
        "empty": {"Authorization": "Bearer "},
        "wrong": bearer("aa_" + "x" * 43),
        "revoked": bearer(revoked),
        "the stored hash": bearer(stored_hash),
        "another scheme": {"Authorization": f"Basic {world.tokens['alice']}"},
        "no scheme": {"Authorization": world.tokens["alice"]},
    }
    before = world.counts()
    swept = operations(client.app)
    assert len(swept) >= 30
    for method, path, _ in swept:
        for why, headers in refusals.items():
            answer = call(client, method, path, ids, headers)
            assert answer.status_code == 401, (method, path, why, answer.text)
            assert answer.headers.get("www-authenticate") == "Bearer", (method, path, why)
        # A token in the query string is not a credential.
        url = (
            path.format(**ids)
            + f"?token={world.tokens['alice']}&access_token={world.tokens['alice']}"
        )
        assert client.request(method, url).status_code == 401, (method, path)
    assert world.counts() == before, "a refused call changed stored data"


def _comparable(answer: httpx.Response, ids: dict[str, Any]) -> str:
    text = answer.text
    for value in sorted((str(v) for v in ids.values()), key=len, reverse=True):
        text = text.replace(value, "ID")
    return text


def test_security_other_users_ids_are_not_found(world):
    client, ids = world.client, world.ids
    swept = [op for op in operations(client.app) if "{" in op[1] or (op[0], op[1]) in BODY_IDS]
    assert len(swept) >= 14
    mallory = world.auth("mallory")
    before = world.counts()
    for method, path, _ in swept:
        theirs = call(client, method, path, ids, mallory)
        never = call(client, method, path, {**ids, **NEVER}, mallory)
        assert theirs.status_code == 404, (method, path, theirs.status_code, theirs.text)
        assert never.status_code == 404, (method, path, never.text)
        # Nothing tells a real id of another user from one that never existed.
        assert _comparable(theirs, ids) == _comparable(never, NEVER), (method, path)
    assert world.counts() == before
    # The same calls succeed for the owner (so the 404s above are about ownership).
    alice = world.auth("alice")
    # Deletes last, the conversation before the transcript it belongs to.
    for method, path, _ in sorted(swept, key=lambda op: (op[0] == "DELETE", "transcript" in op[1])):
        answer = call(client, method, path, ids, alice)
        assert answer.status_code < 300, (method, path, answer.text)


def test_security_every_body_naming_an_object_is_swept(world):
    """A new request field ending in '_id' must join BODY_IDS, or be shown harmless."""
    schema = world.client.app.openapi()
    components = schema["components"]["schemas"]
    named: set[tuple[str, str]] = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "")
                fields = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                if any(name.endswith("_id") and name != "item_id" for name in fields):
                    named.add((method.upper(), path))
    assert named <= BODY_IDS | {("POST", "/api/v1/transcripts/json")}, named - BODY_IDS


def test_security_lists_show_nothing_of_other_users(world):
    client, ids = world.client, world.ids
    mallory = world.auth("mallory")
    for method, path, _ in operations(client.app):
        if method != "GET" or "{" in path:
            continue
        answer = client.get(path, headers=mallory)
        assert answer.status_code in (200, 403), (path, answer.text)
        for value in (ids["transcript_id"], ids["conversation_id"], *SECRETS):
            assert str(value) not in answer.text, (path, value)


def test_security_tokens_are_stored_hashed(world, tmp_path):
    created = world.client.post(
        "/api/v1/users", headers=world.auth("alice"), json={"name": "carol", "role": "clinician"}
    )
    assert created.status_code == 403  # alice is a trainer, not an admin
    world.add_user("root", "admin")
    created = world.client.post(
        "/api/v1/users", headers=world.auth("root"), json={"name": "carol", "role": "clinician"}
    )
    assert created.status_code == 201, created.text
    _, cli_token = world.core.add_user("dave", "clinician", token_label="cli")
    tokens = [*world.tokens.values(), created.json()["token"], cli_token]
    tables = dump_tables(world.database.url)
    hashes = {row["token_hash"] for row in tables["api_tokens"]}
    for token in tokens:
        secret_part = token[len(user_store.TOKEN_PREFIX) + 8 :]
        assert not rows_mentioning(tables, secret_part), "a token is stored in clear"
        assert hashlib.sha256(token.encode()).hexdigest() in hashes
    if world.database.is_sqlite:
        world.database.dispose()
        files = [p for p in Path(world.database.url.split("///", 1)[1]).parent.glob("*.db*")]
        blob = b"".join(p.read_bytes() for p in files)
        assert blob and not any(t[12:].encode() in blob for t in tokens)


# ----------------------------------------------------------------- file names
HOSTILE_NAMES = [
    "../../../../tmp/evil-upload.txt",
    "..\\..\\..\\evil-upload.txt",
    "/etc/evil-upload.txt",
    "C:\\Windows\\evil-upload.txt",
    "a/b/../../../evil-upload.txt",
    "%2e%2e%2fevil-upload.txt",
    "evil\x00upload.txt",
    "evil\r\nX-Injected: yes\r\n.txt",
    "evil\u202etxt.exe.txt",
    "." * 300 + ".txt",
    "x" * 5000 + ".txt",
    "",
    ".",
    "..",
]


def _multipart(filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand, so the name's bytes arrive exactly as given."""
    boundary = "reliabilityboundary7781"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode("utf-8", errors="surrogatepass")
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_security_upload_names_cannot_leave_the_data_folder(world, tmp_path):
    root = tmp_path.parent
    before = _files(root)
    stored = []
    for name in HOSTILE_NAMES:
        body, content_type = _multipart(name, SESSION.encode())
        answer = world.client.post(
            "/api/v1/transcripts",
            content=body,
            headers={**world.auth("alice"), "Content-Type": content_type},
        )
        # 400: the multipart parser refused the name itself (a CR/LF in it).
        assert answer.status_code in (201, 400, 422), (name[:40], answer.status_code, answer.text)
        if answer.status_code == 201:
            stored.append(answer.json()["filename"])
    assert stored, "no hostile name was accepted at all; the test proves nothing"
    for filename in stored:
        assert not set(filename) & set("/\\\x00\r\n"), filename
        assert filename not in (".", "..") and len(filename) <= 255
    created = {p for p in _files(root) - before}
    assert all(p.is_relative_to(tmp_path) for p in created), created
    assert not [p for p in created if "evil" in p.name], created
    for folder in (Path("/tmp"), Path("/etc"), Path("/")):
        assert not list(folder.glob("evil*")), folder


def test_security_download_names_are_plain(world):
    hostile = '"; filename=evil.html\r\nX: y'
    answer = world.upload("alice", SESSION, client_code=hostile[:60])
    tid = answer.json()["id"]
    csv = world.client.get(f"/api/v1/transcripts/{tid}/codes.csv", headers=world.auth("alice"))
    assert csv.status_code == 200
    disposition = csv.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9_.-]+"', disposition), disposition


# ----------------------------------------------------------------- escaping
PAYLOADS = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
    '"><script>window.__pwned = "attr"</script>',
    "</style><script>window.__pwned = 'style'</script>",
    "</textarea><iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>",
    "<a href=\"javascript:window.__pwned='href'\">click</a>",
    "{{constructor.constructor('window.__pwned=1')()}}",
]
# Therapist turns open with a payload: the fake coach quotes their first 40 characters.
HOSTILE_SESSION = "\n".join(
    [
        f"Therapist: {PAYLOADS[5]} What would you like to talk about?",
        f"Client: {PAYLOADS[0]} I wrote it in my notes.",
        f"Therapist: {PAYLOADS[2]} You wrote it down because it matters.",
        f"Client: Whatever. {PAYLOADS[3]} {PAYLOADS[4]}",
        f"Therapist: {PAYLOADS[1]} It sounds like it still hurts?",
        f"Client: {PAYLOADS[6]} {PAYLOADS[7]}",
    ]
)
# Finds what a payload would leave in a page if any of it were parsed as markup.
INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    const own = el.tagName === 'SCRIPT' && el.src.startsWith(location.origin + '/static/');
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName) && !own) bad.push(el.outerHTML.slice(0, 80));
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on') || /^\\s*javascript:/i.test(attr.value)) bad.push(el.tagName + ' ' + attr.name);
    }
  }
  return {pwned: window.__pwned === undefined ? null : String(window.__pwned), bad};
}"""


def _chromium():
    from tests.reliability.browser import launch_or_skip

    return launch_or_skip()


@pytest.fixture
def sqlite_database(tmp_path):
    """Escaping does not depend on the database: the browser tests use SQLite only."""
    database = open_database(f"sqlite:///{tmp_path / 'escaping.db'}")
    yield database
    database.dispose()


@pytest.mark.browser
def test_security_report_escapes_transcript_text(sqlite_database, tmp_path):
    harness = make_harness(sqlite_database, tmp_path)
    harness.add_user("alice")
    upload = harness.upload(
        "alice", HOSTILE_SESSION, title=PAYLOADS[0][:200], client_code=PAYLOADS[1][:60]
    )
    assert upload.status_code == 201, upload.text
    tid = upload.json()["id"]
    html = harness.client.get(
        f"/api/v1/transcripts/{tid}/report", headers=harness.auth("alice")
    ).text
    close_harness(harness)
    assert "&lt;script&gt;" in html, "the payload is not in the report at all"
    raw = r"<script|<iframe|<img src=x|<svg onload|<a href=\"javascript"
    assert not re.search(raw, html, re.I), re.search(raw, html, re.I)
    # Loaded with scripts on and no Content-Security-Policy: escaping alone must hold.
    with _chromium() as browser:
        page = browser.new_page(java_script_enabled=True)
        page.set_content(html, wait_until="load")
        found = page.evaluate(INJECTED)
        page.close()
    assert found == {"pwned": None, "bad": []}, found


@pytest.mark.browser
def test_security_page_and_chat_never_run_transcript_text(sqlite_database, tmp_path):
    harness = make_harness(sqlite_database, tmp_path)
    token = harness.add_user("ann")
    tid = harness.upload("ann", HOSTILE_SESSION).json()["id"]
    with _chromium() as browser, AppThread(harness.client.app, log_level="warning") as server:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/")
        page.fill("#token-input", token)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#view-sessions:not([hidden])")
        page.goto(f"{server.url}/#/session/{tid}")
        page.wait_for_selector("#turns li.turn")
        assert "<script>" in page.inner_text("#turns")
        # The fake coach quotes the last therapist turns back; the message is hostile too.
        for message in (PAYLOADS[2], "and before that?", "before that?"):
            count = page.locator("#chat-log .msg-assistant:not(.pending)").count()
            page.fill("#chat-input", message)
            page.click("#chat-send")
            # (wait_for_function would need eval, which the page's CSP rightly forbids)
            page.locator("#chat-log .msg-assistant:not(.pending)").nth(count).wait_for()
        assert "onerror" in page.inner_text("#chat-log"), "the reply does not quote the payload"
        found = page.evaluate(INJECTED)
        page.close()
    close_harness(harness)
    assert found == {"pwned": None, "bad": []}, found
    assert not errors, errors


# ----------------------------------------------------------------- logs
class ExplodingTagger(DrillFakeTagger):
    """Fails the way library code does: the exception's message quotes its input."""

    def transform_transcript(self, transcript):
        raise ValueError(f"cannot tag {transcript.turns[1].text!r}")


def _tour(http: httpx.Client, harness) -> None:
    """Every kind of request, with the secrets in everything a clinician can send."""
    files = {"file": (FILENAME, SESSION.encode(), "text/plain")}
    form = {"title": TITLE, "client_code": CLIENT_CODE, "session_date": "2024-05-01"}
    tid = http.post("/api/v1/transcripts", files=files, data=form).json()["id"]
    turns = [
        {"speaker": SPEAKER, "text": f"{SECRET}?"},
        {"speaker": "Therapist", "text": "Go on?"},
    ]
    http.post(
        "/api/v1/transcripts/json", params={"title": TITLE}, json={"id": SECRET, "turns": turns}
    )
    for suffix in ("", "/profile", "/feedback", "/report", "/codes.csv", "/measures"):
        assert http.get(f"/api/v1/transcripts/{tid}{suffix}").status_code == 200, suffix
    srs = BODIES[("POST", "/api/v1/transcripts/{transcript_id}/srs")]
    http.post(f"/api/v1/transcripts/{tid}/srs", json=srs)
    chat = http.post("/api/v1/chat", json={"message": CHAT, "transcript_id": tid}).json()
    cid = chat["conversation_id"]
    http.post("/api/v1/chat", json={"message": f"and {CHAT} before?", "conversation_id": cid})
    http.get(f"/api/v1/chat/conversations/{cid}")
    moment = {"skill": "reflection", "transcript_id": tid, "turn_index": 1}
    item = http.post("/api/v1/drills/rehearse", json=moment).json()
    answer = {"item_id": item["id"], "answer": ANSWER, "skill": "reflection"}
    http.post(
        "/api/v1/drills/answer", json={**answer, "client_statement": item["client_statement"]}
    )
    for path in ("/api/v1/drills/attempts", "/api/v1/drills/progress", "/api/v1/progress/sessions"):
        http.get(path)
    # Refusals, each carrying the secret in what it refuses.
    one_speaker = {"file": (FILENAME, f"Therapist: {SECRET}\n".encode(), "text/plain")}
    http.post("/api/v1/transcripts", files=one_speaker)
    broken = f'{{"turns": [{{"speaker": "{SPEAKER}", "text": "{SECRET}"'.encode()
    http.post(
        "/api/v1/transcripts/json", content=broken, headers={"Content-Type": "application/json"}
    )
    huge = {"file": (FILENAME, (SECRET + "\n") * 900_000, "text/plain")}
    with contextlib.suppress(httpx.HTTPError):  # 413 while the body is still arriving
        http.post("/api/v1/transcripts", files=huge)
    http.post("/api/v1/chat", json={"message": SECRET * 500})
    http.post("/api/v1/chat", json={"message": CHAT, "transcript_id": SECRET})
    http.post("/api/v1/drills/rehearse", json={"skill": SECRET, "client_statement": SECRET})
    http.post("/api/v1/transcripts", files=files, data={"session_date": SECRET})
    # An unexpected failure whose exception message quotes the transcript.
    harness.core.__dict__["tagger"] = SerialTagger(ExplodingTagger())
    failed = http.post("/api/v1/transcripts", files=files, headers={"Connection": "close"})
    assert failed.status_code == 500
    assert http.delete(f"/api/v1/transcripts/{tid}").status_code == 204


def test_security_no_transcript_text_in_logs_at_any_level(database, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "uvicorn", "uvicorn.access", "uvicorn.error", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)
    harness = make_harness(database, tmp_path, tagger=DrillFakeTagger())
    token = harness.add_user("alice")
    app = harness.client.app
    with (
        AppThread(app, log_level="debug", log_config=None) as server,
        httpx.Client(base_url=server.url, headers=bearer(token), timeout=60) as http,
    ):
        _tour(http, harness)
    close_harness(harness)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    # What the server logs; the test's own HTTP client (httpx, httpcore) is not the server.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join(formatter.format(record) for record in records)
    assert "GET /api/v1/transcripts" in logged, "the access log was not captured"
    assert "ValueError" in logged, "the failure was not logged at all"
    # Upload file names are metadata, not transcript text: reader diagnostics name them.
    secrets = [s for s in (*SECRETS, token) if s != "wolfsbane"]
    leaks = [
        f"{record.name} {record.levelname}: {formatter.format(record)[:300]}"
        for record in records
        if any(s in formatter.format(record) for s in secrets)
    ]
    assert not leaks, "\n".join(leaks)


# ----------------------------------------------------------------- deletion
def test_security_delete_removes_everything_of_a_transcript(world):
    client, ids, auth = world.client, world.ids, world.auth("alice")
    tid = ids["transcript_id"]
    for suffix in ("/feedback", "/report", "/codes.csv"):
        assert client.get(f"/api/v1/transcripts/{tid}{suffix}", headers=auth).status_code == 200
    srs = BODIES[("POST", "/api/v1/transcripts/{transcript_id}/srs")]
    assert client.post(f"/api/v1/transcripts/{tid}/srs", headers=auth, json=srs).status_code == 201
    url = world.database.url
    assert rows_mentioning(dump_tables(url), SECRET), "the session was never stored"

    assert client.delete(f"/api/v1/transcripts/{tid}", headers=auth).status_code == 204
    for method, path, _ in operations(client.app):
        if "{transcript_id}" in path:
            answer = call(client, method, path, ids, auth)
            assert answer.status_code == 404, (method, path, answer.text)
    conversation = client.get(f"/api/v1/chat/conversations/{ids['conversation_id']}", headers=auth)
    assert conversation.status_code == 404
    tables = dump_tables(url)
    for needle in (tid, ids["conversation_id"], SECRET, SPEAKER, TITLE, CLIENT_CODE, CHAT):
        assert not rows_mentioning(tables, needle), (needle, rows_mentioning(tables, needle))
    assert tables["turns"] == [] and tables["chat_messages"] == [] and tables["measures"] == []
    # The drill attempt is the clinician's own practice, kept; it holds no session words.
    assert len(tables["drill_attempts"]) == 1
    if world.database.is_sqlite:
        close_harness(world)
        world.database.dispose()  # the last close folds the WAL back into the file
        folder = Path(url.split("///", 1)[1]).parent
        for path in [p for p in folder.rglob("*") if p.is_file()]:
            assert SECRET.encode() not in path.read_bytes(), f"deleted text remains in {path}"
        world.client.__enter__()  # the fixture closes it again


def test_security_transcript_text_is_served_as_json(world):
    """The API hands transcript text out as JSON only; markup is the page's business."""
    tid = world.ids["transcript_id"]
    answer = world.client.get(f"/api/v1/transcripts/{tid}", headers=world.auth("alice"))
    assert answer.headers["content-type"].startswith("application/json")
    assert json.loads(answer.text)["turns"][1]["text"].startswith("The ")
