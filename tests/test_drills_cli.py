"""The terminal drill end to end: answers typed in, feedback read back, attempts saved."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.cli import drill as drill_cli
from assistant.core import Assistant
from assistant.settings import get_settings
from assistant.storage import drills as store
from assistant.storage import open_database, users
from tests.drills_support import DrillFakeTagger

GOOD = "You're worn out, and even thinking of leaving comes with guilt about the others."
POOR = "You should try to get more sleep."


@pytest.fixture
def local(monkeypatch, tmp_path):
    """An empty data folder as the Settings database; the fake tagger unless told."""
    monkeypatch.setenv("ALLIANCE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("ALLIANCE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ALLIANCE_DRILLS_DIRS", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def fake_core(monkeypatch):
    monkeypatch.setattr(
        drill_cli, "build_core", lambda settings: Assistant(settings, tagger=DrillFakeTagger())
    )


def stored(tmp_path, name="tess"):
    database = open_database(f"sqlite:///{tmp_path / 'var' / 'alliance.db'}")
    try:
        with database.session() as s:
            return [
                (r.item_id, r.response, r.passed, r.rating, r.details["retry"])
                for r in store.list_attempts(s, users.get_user(s, name).id)
            ]
    finally:
        database.dispose()


def run(keys: str, *args: str):
    return CliRunner().invoke(
        app, ["drill", "--skill", "reflection", "--level", "beginner", *args], input=keys
    )


def test_drills_cli_typed_answers_get_feedback_and_are_saved(local, monkeypatch):
    fake_core(monkeypatch)
    keys = f"{POOR}\nr\n{GOOD}\nn\n{GOOD}\ne\n"
    result = run(keys, "--user", "tess", "--count", "2")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # rich wraps long lines
    assert "created local user tess" in out
    assert "reflection-b-01" in out and "Client:" in out
    assert "not yet" in out and "passed" in out
    assert "change: It gives advice" in out
    assert "worked: It reads as a complex reflection" in out
    assert "model response:" in out and "You're worn down to the point" in out
    assert "Again:" in out  # the retry shows the same statement
    assert "level: marked too easy: now intermediate" in out
    assert "This set: 3 attempts, 2 passed." in out
    assert stored(local) == [
        ("reflection-b-01", POOR, False, "", False),
        ("reflection-b-01", GOOD, True, "", True),
        ("reflection-b-02", GOOD, True, "too_easy", False),
    ]


def test_drills_cli_quit_and_end_of_input_stop_cleanly(local, monkeypatch):
    fake_core(monkeypatch)
    result = run(f"{GOOD}\nq\n", "--user", "tess", "--count", "5")
    assert result.exit_code == 0, result.output
    assert "This set: 1 attempts, 1 passed." in result.output
    # Ctrl+D before any answer: nothing stored, no traceback
    result = run("", "--user", "tess")
    assert result.exit_code == 0, result.output
    assert "This set: 0 attempts" in result.output
    assert len(stored(local)) == 1
    # the next run continues where the stored history left the trainee
    result = run(f"\n{GOOD}\nq\n", "--user", "tess")
    assert "Type what you would say" in result.output  # an empty line is asked again
    assert [row[0] for row in stored(local)] == ["reflection-b-01", "reflection-b-02"]


def test_drills_cli_rejects_unknown_skill_and_level(local, monkeypatch):
    fake_core(monkeypatch)
    result = CliRunner().invoke(app, ["drill", "--skill", "juggling", "--user", "tess"])
    assert result.exit_code != 0 and "unknown drill skill 'juggling'" in str(result.exception)
    result = CliRunner().invoke(app, ["drill", "--level", "expert", "--user", "tess"])
    assert result.exit_code != 0 and "unknown level 'expert'" in str(result.exception)


@pytest.mark.slow
def test_drills_cli_runs_offline_with_the_real_tagger(local):
    result = run(f"{GOOD}\nn\n{POOR}\nq\n", "--user", "tess", "--count", "2")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert out.count("Score ") == 2 and "model response:" in out
    first, second = stored(local)
    assert first[2] is True and second[2] is False
