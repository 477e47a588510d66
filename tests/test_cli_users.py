from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.core import DEMO_TITLE, Assistant
from assistant.settings import Settings, get_settings
from assistant.storage import open_database
from assistant.storage.users import user_for_token
from tests.service_support import FakeTagger


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("ALLIANCE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def _token_user(data_dir, token):
    database = open_database(f"sqlite:///{data_dir / 'alliance.db'}")
    try:
        with database.session() as session:
            user = user_for_token(session, token)
            return (user.name, user.role) if user else None
    finally:
        database.dispose()


def test_cli_users_add_list_and_tokens(data_dir):
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "alice", "--role", "trainer"])
    assert added.exit_code == 0, added.output
    assert "created user 'alice'" in added.output and "token" not in added.output
    listed = runner.invoke(app, ["users", "list"])
    assert "alice" in listed.output and "trainer" in listed.output
    created = runner.invoke(app, ["tokens", "create", "alice", "--label", "laptop"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("aa_")
    assert _token_user(data_dir, token) == ("alice", "trainer")
    revoked = runner.invoke(app, ["tokens", "revoke", "alice"])
    assert "revoked 1 token" in revoked.output
    assert _token_user(data_dir, token) is None


def test_cli_users_add_with_token_and_errors(data_dir):
    from assistant.cli import main

    runner = CliRunner()
    first = runner.invoke(app, ["users", "add", "bob", "--token"])
    token = first.output.strip().splitlines()[-1].split()[-1]
    assert _token_user(data_dir, token) == ("bob", "clinician")
    again = runner.invoke(app, ["users", "add", "bob"])
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    bad_role = runner.invoke(app, ["users", "add", "carol", "--role", "wizard"])
    assert "unknown role" in str(bad_role.exception)
    missing = runner.invoke(app, ["tokens", "create", "nobody"])
    assert "no user named 'nobody'" in str(missing.exception)
    assert callable(main)


def test_cli_users_first_start_creates_admin_once_and_stores_demo(database, tmp_path):
    core = Assistant(Settings(data_dir=tmp_path / "var"), database=database, tagger=FakeTagger())
    token = core.bootstrap(demo=True)
    assert token and token.startswith("aa_")
    assert core.authenticate(token).name == "admin"
    admin = core.authenticate(token)
    [row] = core.list_transcripts(admin.id)
    assert row.title == DEMO_TITLE and row.filename == "demo_session.txt"
    assert row.meta["redactions"] is None and len(row.profile["timeline"]) > 40
    # A second start creates no new admin, prints no token and stores no second demo.
    assert core.bootstrap(demo=True) is None
    assert len(core.list_transcripts(admin.id)) == 1
    assert [u.name for u in core.list_users()] == ["admin"]
