"""Shared fixtures: small hand-built inputs; the real encoder is loaded once per session."""

from __future__ import annotations

import pytest

from assistant.model import Role, Transcript, Turn


@pytest.fixture
def tiny_transcript() -> Transcript:
    lines = [
        ("T", Role.THERAPIST, "What brings you in today?"),
        ("C", Role.CLIENT, "I've been drinking more since the layoff and my wife is worried."),
        ("T", Role.THERAPIST, "You're worried about it too, underneath her worry."),
        ("C", Role.CLIENT, "I guess. I don't know."),
    ]
    return Transcript(
        id="tiny",
        turns=[Turn(index=i, speaker=s, role=r, text=t) for i, (s, r, t) in enumerate(lines)],
    )


# --- databases: SQLite always, PostgreSQL when ALLIANCE_TEST_POSTGRES_URL is set ---------

import os  # noqa: E402
import uuid  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402

from assistant.storage import Database, open_database  # noqa: E402

POSTGRES_URL = os.environ.get("ALLIANCE_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("ALLIANCE_REQUIRE_POSTGRES") == "1"


def _postgres_database() -> tuple[Database, callable]:
    """A fresh schema per use, so parallel runs on one server never collide."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    database = open_database(f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")

    def drop() -> None:
        database.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return database, drop


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path) -> Database:
    """The same tests against SQLite and against the PostgreSQL server when configured."""
    if request.param == "sqlite":
        db = open_database(f"sqlite:///{tmp_path / 'test.db'}")
        yield db
        db.dispose()
        return
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("ALLIANCE_REQUIRE_POSTGRES=1 but ALLIANCE_TEST_POSTGRES_URL is not set")
        pytest.skip(
            "PostgreSQL tests need ALLIANCE_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    db, drop = _postgres_database()
    yield db
    drop()
