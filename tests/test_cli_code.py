"""``alliance code``: flags for jobs, resume, Parquet and Ray; errors as one line, exit 2."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tests.test_coding_fakes import RuleTagger, load_rule_tagger, write_inputs


@pytest.fixture
def rule_model(monkeypatch, tmp_path: Path) -> Path:
    """The CLI's model loading replaced by the rule tagger (in this process and workers)."""
    import assistant.cli.code as command
    import assistant.tagging as tagging

    folder = tmp_path / "model"
    folder.mkdir()
    monkeypatch.setattr(tagging, "resolve_model", lambda *args, **kwargs: folder)
    monkeypatch.setattr(tagging, "load_tagger", lambda *args, **kwargs: RuleTagger())
    monkeypatch.setattr(command, "ModelLoader", lambda *args, **kwargs: load_rule_tagger)
    return folder


def test_cli_code_writes_outputs_then_resumes(monkeypatch, capsys, tmp_path, rule_model):
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    code, _, err = run_cli(monkeypatch, capsys, "code", str(inputs), "--out", str(out))
    assert code == 0, err
    assert "coded 4 conversations" in err and "run.json" in err
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["status"] == "complete"

    code, _, err = run_cli(monkeypatch, capsys, "code", str(inputs), "--out", str(out))
    assert code == 2 and "--resume" in err and "Traceback" not in err

    code, _, err = run_cli(monkeypatch, capsys, "code", str(inputs), "--out", str(out), "--resume")
    assert code == 0 and "coded 0 conversations" in err and "4 already there" in err


def test_cli_code_jobs_match_a_single_process(monkeypatch, capsys, tmp_path, rule_model):
    inputs = write_inputs(tmp_path / "in", copies=2)
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cli(monkeypatch, capsys, "code", str(inputs), "-o", str(one))[0] == 0
    assert run_cli(monkeypatch, capsys, "code", str(inputs), "-o", str(two), "--jobs", "2")[0] == 0
    for name in ("turns.jsonl", "sessions.jsonl", "turns.csv", "sessions.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--resume", "--overwrite"], "contradict"),
        (["--address", "auto"], "--engine ray"),
        (["--engine", "spark"], "unknown --engine"),
    ],
)
def test_cli_code_rejects_bad_flag_combinations(
    monkeypatch, capsys, tmp_path, rule_model, flags, message
):
    inputs = write_inputs(tmp_path / "in")
    code, _, err = run_cli(
        monkeypatch, capsys, "code", str(inputs), "-o", str(tmp_path / "o"), *flags
    )
    assert code == 2 and message in err


def test_cli_code_parquet_without_pyarrow_is_one_clear_line(
    monkeypatch, capsys, tmp_path, rule_model
):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    inputs = write_inputs(tmp_path / "in")
    code, _, err = run_cli(
        monkeypatch, capsys, "code", str(inputs), "-o", str(tmp_path / "o"), "--parquet"
    )
    assert code == 2 and "alliance-assistant[parquet]" in err
    assert err.count("\n") == 1


def test_cli_code_ray_without_ray_is_one_clear_line(monkeypatch, capsys, tmp_path, rule_model):
    monkeypatch.setitem(sys.modules, "ray", None)
    inputs = write_inputs(tmp_path / "in")
    code, _, err = run_cli(
        monkeypatch, capsys, "code", str(inputs), "-o", str(tmp_path / "o"), "--engine", "ray"
    )
    assert code == 2 and "alliance-assistant[ray]" in err


@pytest.mark.slow
def test_cli_code_real_model_records_its_hash(monkeypatch, capsys, tmp_path):
    from assistant.tagging import resolve_model

    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    code, _, err = run_cli(monkeypatch, capsys, "code", str(inputs), "-o", str(out))
    assert code == 0, err
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    manifest = resolve_model() / "manifest.json"
    assert run["model"]["sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    turns = (out / "turns.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(turns[0])["scores"]  # the real tagger scored every turn
