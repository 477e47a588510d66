"""Shared parts of the service tests: a rule-based fake tagger, a fake chat coach with
memory, and a harness that builds the app on the ``database`` fixture.

The fakes keep the API tests fast and independent of the trained model; tests
marked ``slow`` use the real tagger and coach.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from pydantic import BaseModel

from assistant.core import Assistant
from assistant.model import Role, Transcript, Turn
from assistant.settings import Settings
from assistant.storage import Database
from assistant.storage import users as user_store

SESSION_TEXT = """Therapist: Hi, what brings you in today?
Client: My manager keeps moving deadlines and I stay late every night.
Therapist: You're worn out and it feels like the work never ends.
Client: Whatever. I guess it doesn't matter.
Therapist: Did you keep the drinking log?
Client: Some days. Not the weekend.
Therapist: It sounds like the weekends are the hardest part.
Client: Yeah, that's exactly it.
Therapist: What would make this week a little easier?
Client: Maybe leaving at six on two days.
"""


class FakeTagger:
    """Tags by surface rules: enough structure for profiles, quotes and references."""

    name = "fake-tagger"

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.calls = 0

    def _tag(self, turn: Turn) -> Turn:
        text = turn.text.strip()
        tags: list[str] = []
        attributes: dict[str, dict[str, str]] = {}
        if turn.role is Role.THERAPIST:
            if text.endswith("?"):
                opener = text.lower().split()[0] if text.split() else ""
                tags.append(
                    "open_question" if opener in {"what", "how", "hi,"} else "closed_question"
                )
            if text.lower().startswith(("you", "it sounds")):
                tags.append("reflection")
                attributes["reflection"] = {"depth": "complex" if "feels" in text else "simple"}
        elif "whatever" in text.lower():
            tags.append("rupture_withdrawal")
        scores = {tag: 0.9 for tag in tags}
        return turn.model_copy(update={"tags": tags, "scores": scores, "attributes": attributes})

    def transform_transcript(self, transcript: Transcript) -> Transcript:
        self.calls += 1
        if self.fail:
            raise RuntimeError("the fake tagger was told to fail")
        return transcript.model_copy(update={"turns": [self._tag(t) for t in transcript.turns]})

    def transform(self, transcripts, batch_size: int | None = None):
        for transcript in transcripts:
            yield self.transform_transcript(transcript)

    def transform_turn(
        self,
        text: str,
        role: Role = Role.THERAPIST,
        context: Sequence[Turn] = (),
        position: float | None = None,
    ) -> Turn:
        return self._tag(Turn(index=len(context), speaker="T", role=role, text=text))

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
            vector = np.random.default_rng(seed).normal(size=384)
            rows.append(vector / np.linalg.norm(vector))
        return np.array(rows, dtype=np.float32).reshape(len(texts), 384)


class FakeReply(BaseModel):
    text: str
    intent: str
    references: list[dict[str, Any]]
    state: dict[str, Any]
    clarifying: bool = False
    drill: dict[str, Any] | None = None


class FakeCoach:
    """Quotes therapist turns one by one; 'before that' walks back with its memory."""

    def __init__(self) -> None:
        self.seen_states: list[dict[str, Any]] = []

    def reply(
        self, message: str, state: dict, transcript: Transcript | None = None, profile=None
    ) -> FakeReply:
        self.seen_states.append(dict(state))
        count = int(state.get("count", 0)) + 1
        if message.strip() == "???":
            return FakeReply(
                text="Do you mean a skill or a moment?",
                intent="unclear",
                references=[],
                state={**state, "count": count},
                clarifying=True,
            )
        if transcript is None:
            return FakeReply(
                text="What happened in the session?",
                intent="reflection",
                references=[],
                state={**state, "count": count, "gibbs": "description"},
            )
        therapist = transcript.therapist_turns
        cursor = int(state.get("cursor", len(therapist)))
        cursor = cursor - 1 if "before" in message.lower() else len(therapist) - 1
        cursor = max(cursor, 0)
        turn = therapist[cursor]
        quote = turn.text[:40]
        return FakeReply(
            text=f'At turn {turn.index} you said "{quote}". Try one reflection next.',
            intent="follow_up" if "before" in message.lower() else "skill_feedback",
            references=[{"turn_index": turn.index, "quote": quote}],
            state={**state, "count": count, "cursor": cursor},
            drill={"skill": "reflection", "client_statement": "I stay late every night."},
        )


@dataclass
class Harness:
    client: TestClient
    core: Assistant
    database: Database
    tokens: dict[str, str] = field(default_factory=dict)

    def add_user(self, name: str, role: str = "clinician") -> str:
        with self.database.session() as session:
            user = user_store.create_user(session, name, role)
            token = user_store.create_token(session, user)
        self.tokens[name] = token
        return token

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def upload(self, name: str, text: str = SESSION_TEXT, filename: str = "s.txt", **form):
        return self.client.post(
            "/api/v1/transcripts",
            headers=self.auth(name),
            files={"file": (filename, text.encode("utf-8"), "text/plain")},
            data={k: str(v) for k, v in form.items()},
        )

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from assistant.storage.tables import (
            ChatConversation,
            ChatMessage,
            StoredMeasure,
            StoredTranscript,
            StoredTurn,
        )

        tables = {
            "transcripts": StoredTranscript,
            "turns": StoredTurn,
            "measures": StoredMeasure,
            "conversations": ChatConversation,
            "messages": ChatMessage,
        }
        with self.database.session() as session:
            return {
                name: session.scalar(select(func.count()).select_from(table))
                for name, table in tables.items()
            }


def make_harness(
    database: Database,
    tmp_path,
    *,
    tagger: Any | None = None,
    coach: Any | None = None,
    raise_server_exceptions: bool = True,
    **settings: Any,
) -> Harness:
    from assistant.service.app import create_app

    config = Settings(data_dir=tmp_path / "var", **settings)
    core = Assistant(
        config, database=database, tagger=tagger or FakeTagger(), coach=coach or FakeCoach()
    )
    client = TestClient(
        create_app(config, core=core), raise_server_exceptions=raise_server_exceptions
    )
    client.__enter__()  # runs the lifespan (start-up); closed by close_harness
    return Harness(client=client, core=core, database=database)


def close_harness(harness: Harness) -> None:
    harness.client.__exit__(None, None, None)
