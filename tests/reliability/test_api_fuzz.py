"""API fuzzing with schemathesis, from the service's own OpenAPI document.

Every operation is called with generated requests: schema-valid ones and schema-
breaking ones with a valid token (path and body ids are swapped for the caller's
real objects half the time, so the handlers run and not only the 404 path), and
any request without a token. No answer may be a 5xx, every answer must match what
the schema documents (status, content type, headers, body), a request the schema
rejects must be refused, and without a token everything but health is 401.

A second property sends generated transcripts to the JSON upload: whatever the
speakers, numbers and characters, the answer is 201 (stored) or 422 (refused),
never a 5xx, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.core import Assistant
from assistant.service.app import create_app
from assistant.settings import Settings
from assistant.storage import open_database
from tests.drills_support import DrillFakeTagger
from tests.reliability.support import DATABASES, add_users, bearer, database_url
from tests.service_support import SESSION_TEXT, FakeCoach

CI = 10
LONG = 300
BUDGETS = [pytest.param(CI, id="ci"), pytest.param(LONG, id="long", marks=pytest.mark.long)]
PUBLIC = {"GET /api/v1/health", "GET /api/v1/ready"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Pydantic's documented lax mode takes JSON `true` for 1 and "5" for 5; ids still go
# through the owner check, so these coercions are tolerated, and nothing else is.
LAX = re.compile(r"was (integer|number), became (boolean|string)")


@schemathesis.check
def rejects_schema_violations(ctx, response, case):
    """schemathesis' negative_data_rejection, less pydantic's lax number coercions."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData as failure:
        text = f"{failure}\n{getattr(failure, 'message', '')}"
        violations = [line for line in text.splitlines() if "violates" in line]
        if violations and all(LAX.search(line) for line in violations):
            return None
        raise


# Which generated fields to swap for the caller's real objects.
REAL = ("transcript_id", "conversation_id", "cohort_id", "trainee_id", "attempt_id")


def _app(settings: Settings, core: Assistant | None = None):
    core = core or Assistant(settings, tagger=DrillFakeTagger(), coach=FakeCoach())
    return create_app(settings, core=core)


def operation_labels() -> list[str]:
    """'METHOD /path' of every /api/v1 operation, read from the schema at collection."""
    app = _app(Settings(data_dir=Path("unused")))
    schema = app.openapi()
    return sorted(
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1")
        for method in item
    )


LABELS = operation_labels()


def negatable_labels() -> set[str]:
    """Operations a request can break against the schema: a body, or a parameter that
    is not free text (any string is a valid id, so string paths have no negative case)."""
    schema = _app(Settings(data_dir=Path("unused"))).openapi()
    found = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            typed = [
                p
                for p in operation.get("parameters", [])
                if p.get("schema", {}).get("type") != "string"
            ]
            if "requestBody" in operation or typed:
                found.add(f"{method.upper()} {path}")
    return found


NEGATABLE = negatable_labels()


class Api:
    """The app on one database, its schema, a trainer with real objects, and their ids."""

    def __init__(self, url: str, data_dir: Path):
        tokens = add_users(url, ["alice"], role="trainer")
        add_users(url, ["bob"])
        self.token = tokens["alice"]
        self.settings = Settings(data_dir=data_dir, rate_limit_per_minute=1_000_000)
        self.database = open_database(url)
        core = Assistant(
            self.settings, database=self.database, tagger=DrillFakeTagger(), coach=FakeCoach()
        )
        self.app = _app(self.settings, core)
        self.client = TestClient(self.app)  # the parts are handed in: no start-up needed
        # The token is ours to send: schemathesis should not generate (or negate) it.
        config = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", self.app, config=config)
        self.operations = {r.ok().label: r.ok() for r in self.schema.get_all_operations()}
        self.ids: dict[str, Any] = {}
        self.refresh()

    def call(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any):
        headers = {**bearer(self.token), **(headers or {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def refresh(self) -> None:
        """(Re)create the objects a generated DELETE may have removed."""
        ids = self.ids
        transcripts = self.call("GET", "/api/v1/transcripts").json()
        if not transcripts:
            files = {"file": ("s.txt", SESSION_TEXT.encode(), "text/plain")}
            transcripts = [self.call("POST", "/api/v1/transcripts", files=files).json()]
        ids["transcript_id"] = transcripts[0]["id"]
        conversations = self.call("GET", "/api/v1/chat/conversations").json()
        if not conversations:
            body = {"message": "hi", "transcript_id": ids["transcript_id"]}
            conversations = [
                {"id": self.call("POST", "/api/v1/chat", json=body).json()["conversation_id"]}
            ]
        ids["conversation_id"] = conversations[0]["id"]
        if "cohort_id" not in ids:
            cohort = self.call("POST", "/api/v1/drills/cohorts", json={"name": "c"}).json()
            ids["cohort_id"] = cohort["id"]
            self.call(
                "POST", f"/api/v1/drills/cohorts/{cohort['id']}/members", json={"user": "bob"}
            )
            item = self.call("POST", "/api/v1/drills/start", json={"skill": "reflection"}).json()
            answer = {"item_id": item["id"], "answer": "You feel stuck."}
            ids["attempt_id"] = self.call("POST", "/api/v1/drills/answer", json=answer).json()[
                "attempt_id"
            ]
            with self.database.session() as session:
                from assistant.storage import users

                ids["trainee_id"] = users.get_user(session, "bob").id

    def close(self) -> None:
        self.database.dispose()


@pytest.fixture(scope="module", params=DATABASES)
def api(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    with database_url(request.param, folder) as url:
        api = Api(url, folder / "var")
        yield api
        api.close()


def _use_real_ids(case, ids: dict[str, Any]) -> None:
    for name in REAL:
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = ids[name]
        if isinstance(case.body, dict) and name in case.body:
            case.body[name] = ids[name]


def _run(api: Api, label: str, mode: GenerationMode, budget: int, token: bool) -> None:
    operation = api.operations[label]
    headers = bearer(api.token) if token else {}
    checks = CHECKS + ([rejects_schema_violations] if mode is GenerationMode.NEGATIVE else [])

    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    def fuzz(case, real: bool) -> None:
        if real and token and mode is GenerationMode.POSITIVE:
            _use_real_ids(case, api.ids)
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)
        if not token and label not in PUBLIC:
            assert response.status_code == 401, (label, response.status_code, response.text)
        if case.method.upper() == "DELETE" and response.status_code == 204:
            api.refresh()

    try:
        fuzz()
    except Unsatisfiable:
        # Nothing to break: an operation without parameters or body has no negative cases.
        assert mode is GenerationMode.NEGATIVE, label


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("label", LABELS)
def test_api_fuzz_with_a_valid_token(api, label, budget):
    _run(api, label, GenerationMode.POSITIVE, budget, token=True)
    if label in NEGATABLE:
        _run(api, label, GenerationMode.NEGATIVE, max(3, budget // 2), token=True)


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("label", LABELS)
def test_api_fuzz_without_a_token(api, label, budget):
    _run(api, label, GenerationMode.POSITIVE, max(3, budget // 3), token=False)


# ----------------------------------------------------------------- generated uploads
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40)
SPEAKER = st.one_of(
    st.sampled_from(["Therapist", "Client", "T", "C", "Speaker 1", "Dana"]),
    TEXT,
    st.text(min_size=100, max_size=400),
)
NUMBER = st.one_of(
    st.none(),
    st.integers(-5, 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["00:01:02.5", "1e-05", "", "x", "9" * 40]),
)
TURN = st.fixed_dictionaries(
    {"speaker": SPEAKER, "text": TEXT},
    optional={
        "turn_index": NUMBER,
        "start": NUMBER,
        "end": NUMBER,
        "role": st.sampled_from(["therapist", "client", "other", "boss", ""]),
        "tags": st.one_of(st.lists(TEXT, max_size=3), TEXT),
        "scores": st.dictionaries(TEXT, NUMBER, max_size=2),
        "attributes": st.dictionaries(TEXT, st.dictionaries(TEXT, TEXT, max_size=2), max_size=2),
    },
)
DOCUMENT = st.fixed_dictionaries(
    {"turns": st.lists(TURN, min_size=0, max_size=6)},
    optional={"id": TEXT, "site": TEXT, "deep": st.recursive(TEXT, st.lists, max_leaves=5)},
)


@pytest.mark.parametrize("budget", BUDGETS)
def test_api_fuzz_generated_json_uploads_are_stored_or_refused(api, budget):
    @settings(
        max_examples=budget * 6,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(document=DOCUMENT, title=TEXT)
    def upload(document: dict[str, Any], title: str) -> None:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
        response = api.call(
            "POST",
            "/api/v1/transcripts/json",
            content=body,
            params={"title": title[:200]},
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code in (201, 422), (response.status_code, response.text, document)
        if response.status_code == 201:
            stored = api.call("GET", f"/api/v1/transcripts/{response.json()['id']}")
            assert stored.status_code == 200
            assert len(stored.json()["turns"]) == len(document["turns"])

    upload()
