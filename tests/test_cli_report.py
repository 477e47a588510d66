"""``alliance report FILE``: default output name, formats, measures, bad input."""

from __future__ import annotations

import json

import pytest

import assistant.cli.report as report_cli
from assistant.feedback import load_feedback_texts
from assistant.io import turn_record, write_jsonl
from assistant.settings import Settings
from tests.cli_support import run_cli
from tests.feedback_support import tagged_demo


@pytest.fixture
def coded_file(tmp_path):
    """The hand-coded demo as turns.jsonl, the way `alliance code` writes it."""
    transcript = tagged_demo()
    path = tmp_path / "demo_coded.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        write_jsonl((turn_record(transcript, t) for t in transcript.turns), fh)
    return path


@pytest.fixture
def no_model(monkeypatch, tmp_path):
    """No tagger to load: the report keeps the file's tags, alternatives go unchecked."""
    settings = Settings(model=str(tmp_path / "no-such-model"), data_dir=tmp_path / "var")
    monkeypatch.setattr(report_cli, "get_settings", lambda: settings)
    monkeypatch.chdir(tmp_path)
    return settings


def test_cli_report_writes_html_next_to_the_cwd(
    monkeypatch, capsys, coded_file, no_model, tmp_path
):
    code, out, err = run_cli(monkeypatch, capsys, "report", str(coded_file))
    assert code == 0, err
    target = tmp_path / "demo_coded.report.html"
    assert out.strip() == str(target)
    page = target.read_text(encoding="utf-8")
    assert "Coaching note" in page and "Oh. Okay." in page
    assert "not checked (no tagger)" in page
    assert "growth edge: Noticing and repairing a withdrawal" in err


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_cli_report_other_formats(monkeypatch, capsys, coded_file, no_model, tmp_path, fmt):
    out_path = tmp_path / "reports" / f"note.{fmt}"
    code, out, err = run_cli(
        monkeypatch, capsys, "report", str(coded_file), "--format", fmt, "--out", str(out_path)
    )
    assert code == 0, err
    text = out_path.read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(text)["feedback"]["growth_edge"]["skill"] == "withdrawal_rupture"
    else:
        assert text.startswith("# Session report: demo\\_session")


def test_cli_report_measures_show_up(monkeypatch, capsys, coded_file, no_model, tmp_path):
    code, _, err = run_cli(
        monkeypatch, capsys, "report", str(coded_file), "--srs", "9,8,9,9", "--ors", "5,5,6,4"
    )
    assert code == 0, err
    page = (tmp_path / "demo_coded.report.html").read_text(encoding="utf-8")
    assert "SRS total was 35" in page and "ORS (client-rated" in page


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--srs", "9,8,11,9", "approach or method is 11, outside 0-10"),
        ("--srs", "9,8,9", "expected four numbers"),
        ("--ors", "5,5,x,4", "expected four numbers"),
        ("--ors", "5,5,-1,4", "socially is -1, outside 0-10"),
    ],
)
def test_cli_report_bad_measures_fail_and_write_nothing(
    monkeypatch, capsys, coded_file, no_model, tmp_path, option, value, message
):
    code, out, err = run_cli(monkeypatch, capsys, "report", str(coded_file), option, value)
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert not list(tmp_path.glob("*.report.*"))


def test_cli_report_bad_format(monkeypatch, capsys, coded_file, no_model):
    code, _, err = run_cli(monkeypatch, capsys, "report", str(coded_file), "--format", "pdf")
    assert code == 2 and "html, md, json" in err


def test_cli_report_several_conversations_need_a_choice(monkeypatch, capsys, no_model, tmp_path):
    first, second = tagged_demo(), tagged_demo()
    second.id = "second_session"
    path = tmp_path / "two.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        write_jsonl([turn_record(t, turn) for t in (first, second) for turn in t.turns], fh)
    code, _, err = run_cli(monkeypatch, capsys, "report", str(path))
    assert code == 2 and "holds 2 conversations" in err and "--conversation" in err
    code, out, err = run_cli(
        monkeypatch, capsys, "report", str(path), "--conversation", "second_session"
    )
    assert code == 0, err
    assert "second_session" in (tmp_path / "two.report.html").read_text(encoding="utf-8")


def test_cli_report_uncoded_file_needs_the_model(monkeypatch, capsys, no_model, tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("T: What brings you in?\nC: My drinking, I guess.\n", encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "report", str(path))
    assert code == 2 and "no model folder" in err
    assert not (tmp_path / "plain.report.html").exists()


def test_cli_report_missing_file(monkeypatch, capsys, no_model, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, "report", str(tmp_path / "nope.txt"))
    assert code == 2 and "nope.txt" in err


@pytest.mark.slow
def test_cli_report_codes_the_demo_with_the_real_tagger(monkeypatch, capsys, tmp_path):
    from assistant.core import DEMO_TRANSCRIPT

    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(
        monkeypatch, capsys, "report", str(DEMO_TRANSCRIPT), "--format", "json"
    )
    assert code == 0, err
    data = json.loads((tmp_path / "demo_session.report.json").read_text(encoding="utf-8"))
    assert data["model"] and any(turn["tags"] for turn in data["turns"])
    note = data["feedback"]
    assert note["growth_edge"] is not None and note["moment"] is not None
    targets = load_feedback_texts().skills[note["growth_edge"]["skill"]].target_tags
    assert note["try_instead"]
    for alt in note["try_instead"]:
        assert alt["checked"] and set(targets) & set(alt["checked_tags"])
        assert 0 < alt["score"] <= 1
