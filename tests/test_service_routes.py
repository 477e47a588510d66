"""Every API route: it works for its owner, refuses a missing or wrong token with 401,
and answers another user's ids with the same 404 as an id that never existed."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import pytest

from tests.service_support import SESSION_TEXT, close_harness, make_harness

SRS_BODY = {"relationship": 9, "goals_and_topics": 8.5, "approach_or_method": 9, "overall": 9}
ORS_BODY = {"individually": 5, "interpersonally": 6, "socially": 7, "overall": 5}
JSON_SESSION = {
    "id": "json-session",
    "turns": [
        {"speaker": "Therapist", "text": "What brings you in?"},
        {"speaker": "Client", "text": "Work, mostly."},
        {"speaker": "Therapist", "text": "You're carrying a lot at work."},
    ],
}
HAS_REPORT = importlib.util.find_spec("assistant.report") is not None and hasattr(
    importlib.import_module("assistant.report"), "render_html"
)


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # {tid} and {cid} are filled in
    ok: int
    body: Any = None  # json body, or "file" for a multipart upload
    owned: bool = False  # the route names one of the caller's objects
    admin: bool = False

    def call(self, harness, headers: dict[str, str], tid: str, cid: str):
        path = self.path.format(tid=tid, cid=cid)
        kwargs: dict[str, Any] = {"headers": headers}
        if self.body == "file":
            kwargs["files"] = {"file": ("s.txt", SESSION_TEXT.encode(), "text/plain")}
        elif self.body is not None:
            body = self.body
            if isinstance(body, dict):
                body = {
                    k: v.format(tid=tid, cid=cid) if isinstance(v, str) else v
                    for k, v in body.items()
                }
            kwargs["json"] = body
        return harness.client.request(self.method, path, **kwargs)


T = "/api/v1/transcripts"
ROUTES = [
    Route("upload", "POST", T, 201, body="file"),
    Route("upload_json", "POST", T + "/json", 201, body=JSON_SESSION),
    Route("list_transcripts", "GET", T, 200),
    Route("get_transcript", "GET", T + "/{tid}", 200, owned=True),
    Route("profile", "GET", T + "/{tid}/profile", 200, owned=True),
    Route("feedback", "GET", T + "/{tid}/feedback", 200, owned=True),
    Route("report", "GET", T + "/{tid}/report", 200 if HAS_REPORT else 503, owned=True),
    Route("srs", "POST", T + "/{tid}/srs", 201, body=SRS_BODY, owned=True),
    Route("ors", "POST", T + "/{tid}/ors", 201, body=ORS_BODY, owned=True),
    Route("measures", "GET", T + "/{tid}/measures", 200, owned=True),
    Route("delete_transcript", "DELETE", T + "/{tid}", 204, owned=True),
    Route(
        "chat_new",
        "POST",
        "/api/v1/chat",
        200,
        body={"message": "hi", "transcript_id": "{tid}"},
        owned=True,
    ),
    Route(
        "chat_continue",
        "POST",
        "/api/v1/chat",
        200,
        body={"message": "and before that?", "conversation_id": "{cid}"},
        owned=True,
    ),
    Route("conversations", "GET", "/api/v1/chat/conversations", 200),
    Route("conversation", "GET", "/api/v1/chat/conversations/{cid}", 200, owned=True),
    Route("delete_conversation", "DELETE", "/api/v1/chat/conversations/{cid}", 204, owned=True),
    Route("me", "GET", "/api/v1/me", 200),
    Route("list_users", "GET", "/api/v1/users", 200, admin=True),
    Route(
        "create_user",
        "POST",
        "/api/v1/users",
        201,
        body={"name": "newbie", "role": "clinician"},
        admin=True,
    ),
]
UNAUTHENTICATED = {("GET", "/api/v1/health"), ("GET", "/api/v1/ready")}


def api_operations(harness) -> set[tuple[str, str]]:
    """(METHOD, path) of every documented /api/v1 operation, drills included."""
    schema = harness.client.get("/openapi.json").json()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1")
        for method in operations
    }


@pytest.fixture
def world(database, tmp_path):
    harness = make_harness(database, tmp_path)
    harness.add_user("alice", "admin")
    harness.add_user("mallory", "admin")
    tid = harness.upload("alice").json()["id"]
    cid = harness.client.post(
        "/api/v1/chat", headers=harness.auth("alice"), json={"message": "hi", "transcript_id": tid}
    ).json()["conversation_id"]
    yield harness, tid, cid
    close_harness(harness)


def test_service_routes_table_covers_every_route_of_this_service():
    from assistant.service.routes import chat, health, transcripts, users

    listed = {
        (r.method, r.path.replace("{tid}", "{transcript_id}").replace("{cid}", "{conversation_id}"))
        for r in ROUTES
    }
    served = {
        (method, route.path)
        for module in (chat, health, transcripts, users)
        for route in module.router.routes
        for method in route.methods
    }
    assert served - UNAUTHENTICATED == listed


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_service_route_auth_isolation_and_success(world, route):
    harness, tid, cid = world
    before = harness.counts()

    missing = route.call(harness, {}, tid, cid)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = route.call(harness, {"Authorization": "Bearer aa_not-a-real-token"}, tid, cid)
    assert wrong.status_code == 401
    garbage = route.call(harness, {"Authorization": "Basic Zm9vOmJhcg=="}, tid, cid)
    assert garbage.status_code == 401

    if route.owned:
        other = route.call(harness, harness.auth("mallory"), tid, cid)
        never = route.call(harness, harness.auth("mallory"), "0" * 32, "1" * 32)
        assert other.status_code == 404, other.text
        assert never.status_code == 404
        # No existence leak: the answer for a real id equals the one for a made-up id.
        assert other.json()["detail"].replace(tid, "X").replace(cid, "X") == never.json()[
            "detail"
        ].replace("0" * 32, "X").replace("1" * 32, "X")
        # Nothing of alice's was changed by the refused calls.
        assert harness.counts() == before

    ok = route.call(harness, harness.auth("alice"), tid, cid)
    assert ok.status_code == route.ok, ok.text
    if route.ok == 200 and route.name != "report":
        assert ok.json() is not None


def test_service_lists_show_only_own_objects(world):
    harness, tid, cid = world
    mine = harness.client.get(T, headers=harness.auth("alice")).json()
    theirs = harness.client.get(T, headers=harness.auth("mallory")).json()
    assert [t["id"] for t in mine] == [tid] and theirs == []
    convs = harness.client.get("/api/v1/chat/conversations", headers=harness.auth("mallory")).json()
    assert convs == []
    mine = harness.client.get("/api/v1/chat/conversations", headers=harness.auth("alice")).json()
    assert [c["id"] for c in mine] == [cid] and mine[0]["messages"] == 2


def test_service_every_other_route_needs_a_token(world):
    harness, _, _ = world
    operations = api_operations(harness)
    assert len(operations) >= len(ROUTES) + len(UNAUTHENTICATED)
    for method, path in operations:
        url = path.replace("{", "").replace("}", "")
        answer = harness.client.request(method, url)
        expected = 200 if (method, path) in UNAUTHENTICATED else 401
        assert answer.status_code == expected, (method, path)


def test_service_openapi_documents_security_and_errors(world):
    harness, _, _ = world
    schema = harness.client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (method.upper(), path) in UNAUTHENTICATED:
                assert "security" not in operation
                continue
            assert operation.get("security") == [{"HTTPBearer": []}], (method, path)
            assert {"401", "422"} <= set(operation["responses"]), (method, path)
            ok = next(code for code in operation["responses"] if code.startswith("2"))
            if ok != "204":
                content = operation["responses"][ok].get("content", {})
                assert content, (method, path)
    for name in ("TranscriptDetail", "TurnOut", "ChatResponse", "SessionProfile", "MeasureOut"):
        assert name in schema["components"]["schemas"]


def test_service_admin_routes_refuse_other_roles(world):
    harness, _, _ = world
    harness.add_user("carol", "clinician")
    assert harness.client.get("/api/v1/users", headers=harness.auth("carol")).status_code == 403
    created = harness.client.post(
        "/api/v1/users", headers=harness.auth("alice"), json={"name": "dan", "role": "trainer"}
    ).json()
    me = harness.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}
    ).json()
    assert me["name"] == "dan" and me["role"] == "trainer"


def test_service_health_and_readiness_need_no_token(world):
    harness, _, _ = world
    assert harness.client.get("/api/v1/health").json()["status"] == "ok"
    ready = harness.client.get("/api/v1/ready").json()
    assert ready == {"ready": True, "model": "fake-tagger", "database": True}
