"""Faults: a server killed mid-upload, a database that goes away, a corrupt model
folder, and a batch-coding run killed and resumed.

Kills are real: SIGKILL to the process group of a server or a coding run started by
the test, at a moment the test chose (a marker file says the upload is inside
tagging, or inside its database transaction; the coding run's output says how far
it got). Nothing is cleaned up by the victim, as after a crash or an OOM kill.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from assistant.coding import code_files
from assistant.settings import PROJECT_ROOT
from tests.reliability.coding_run import SlowRuleTagger
from tests.reliability.support import (
    AppProcess,
    TcpProxy,
    add_users,
    bearer,
    database_url,
    dump_tables,
    need_postgres,
    schema_url,
    wait_until,
)
from tests.service_support import SESSION_TEXT
from tests.test_coding_fakes import write_inputs

CODE_FILES = ("turns.jsonl", "sessions.jsonl", "turns.csv", "sessions.csv")


def _upload(url: str, token: str, timeout: float = 60) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/transcripts",
        headers=bearer(token),
        files={"file": ("s.txt", SESSION_TEXT.encode(), "text/plain")},
        timeout=timeout,
    )


# ----------------------------------------------------------------- killed mid-upload
KILL_POINTS = [
    ("sqlite", "tagging"),
    ("sqlite", "saving"),
    pytest.param("postgres", "saving", marks=pytest.mark.postgres),
    pytest.param("postgres", "tagging", marks=[pytest.mark.postgres, pytest.mark.long]),
]


@pytest.mark.parametrize("kind, stage", KILL_POINTS)
def test_faults_server_killed_during_upload_leaves_no_partial_transcript(kind, stage, tmp_path):
    marker = tmp_path / "inside"
    delay = {"tag_delay": 60} if stage == "tagging" else {"save_delay": 60}
    with database_url(kind, tmp_path) as url:
        token = add_users(url, ["alice"])["alice"]
        server = AppProcess(url, tmp_path / "var", marker=marker, **delay).start()
        outcome: list[object] = []
        sender = threading.Thread(target=lambda: outcome.append(_try_upload(server.url, token)))
        sender.start()
        wait_until(marker.exists, 60, f"the upload to reach {stage}")
        if stage == "saving":
            tables = dump_tables(url) if kind == "sqlite" else None
            # Not committed yet: other connections see nothing of it.
            assert tables is None or tables["transcripts"] == []
        server.kill()
        sender.join(60)
        assert outcome and isinstance(outcome[0], httpx.HTTPError), outcome

        if kind == "sqlite":
            with sqlite3.connect(url.split("///", 1)[1]) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with AppProcess(url, tmp_path / "var") as restarted:
            listed = httpx.get(f"{restarted.url}/api/v1/transcripts", headers=bearer(token))
            assert listed.status_code == 200 and listed.json() == []
            tables = dump_tables(url)
            assert tables["transcripts"] == [] and tables["turns"] == []
            # And the database takes the same upload normally afterwards.
            assert _upload(restarted.url, token).status_code == 201
            assert len(dump_tables(url)["turns"]) == SESSION_TEXT.count("\n")


def _try_upload(url: str, token: str) -> object:
    try:
        return _upload(url, token, timeout=120)
    except httpx.HTTPError as error:
        return error


# ----------------------------------------------------------------- database unavailable
def _expect_unavailable(url: str, token: str) -> None:
    checks = [
        httpx.get(f"{url}/api/v1/me", headers=bearer(token), timeout=60),
        httpx.get(f"{url}/api/v1/transcripts", headers=bearer(token), timeout=60),
        _upload(url, token),
    ]
    for answer in checks:
        assert answer.status_code == 503, (answer.request.url, answer.status_code, answer.text)
        assert int(answer.headers["Retry-After"]) >= 1
        assert "unavailable" in answer.json()["detail"]
    ready = httpx.get(f"{url}/api/v1/ready", timeout=60)
    assert ready.status_code == 503 and ready.json()["database"] is False


def _expect_working(url: str, token: str) -> None:
    assert httpx.get(f"{url}/api/v1/ready", timeout=60).status_code == 200
    assert _upload(url, token).status_code == 201
    listed = httpx.get(f"{url}/api/v1/transcripts", headers=bearer(token), timeout=60)
    assert listed.status_code == 200 and listed.json()


@pytest.mark.postgres
def test_faults_postgres_unavailable_gives_503_then_recovers(tmp_path):
    server_url = need_postgres()
    target = urlsplit(server_url.replace("postgresql+psycopg", "postgresql"))
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    through_proxy = server_url.replace(
        f"{target.hostname}:{target.port or 5432}", f"127.0.0.1:{proxy.port}"
    )
    try:
        with database_url("postgres", tmp_path) as url:
            schema = url.rsplit("%3D", 1)[1]
            token = add_users(url, ["alice"])["alice"]
            with AppProcess(schema_url(through_proxy, schema), tmp_path / "var") as server:
                _expect_working(server.url, token)
                for _ in range(2):  # an outage, a recovery, and the same again
                    proxy.down()
                    _expect_unavailable(server.url, token)
                    assert server.process.poll() is None, "the server died"
                    proxy.up()
                    _expect_working(server.url, token)
                assert "Traceback" not in server.log()
    finally:
        proxy.close()


def test_faults_sqlite_locked_gives_503_then_recovers(tmp_path):
    with database_url("sqlite", tmp_path) as url:
        token = add_users(url, ["alice"])["alice"]
        with AppProcess(url, tmp_path / "var") as server:
            _expect_working(server.url, token)
            # Another process holds the write lock (a backup, a stuck admin shell).
            holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                blocked = _upload(server.url, token)
                assert blocked.status_code == 503, blocked.text
                assert int(blocked.headers["Retry-After"]) >= 1
                # Readers are not blocked (WAL): the service keeps answering them.
                listed = httpx.get(f"{server.url}/api/v1/transcripts", headers=bearer(token))
                assert listed.status_code == 200 and len(listed.json()) == 1
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            _expect_working(server.url, token)
            assert len(dump_tables(url)["transcripts"]) == 2


# ----------------------------------------------------------------- corrupt model folder
def _corrupt(folder: Path, how: str) -> Path:
    if how == "weights flipped":
        path = folder / "head.safetensors"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "weights truncated":
        path = folder / "head.safetensors"
        path.write_bytes(path.read_bytes()[:1000])
    elif how == "weights missing":
        path = folder / "head.safetensors"
        path.unlink()
    elif how == "manifest not JSON":
        path = folder / "manifest.json"
        path.write_text('{"format_version": ', encoding="utf-8")
    elif how == "manifest missing":
        path = folder / "manifest.json"
        path.unlink()
    elif how == "examples flipped":
        path = folder / "examples.safetensors"
        data = bytearray(path.read_bytes())
        data[-10] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "codebook edited":
        path = folder / "codebook.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    else:
        raise ValueError(how)
    return path


CORRUPTIONS = [
    "weights flipped",
    "weights truncated",
    "weights missing",
    "manifest not JSON",
    "manifest missing",
    "examples flipped",
    "codebook edited",
]


def _model_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(PROJECT_ROOT / "models" / "alliance-tagger", folder)
    return folder


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_faults_corrupt_model_folder_fails_start_up_with_a_clear_message(
    how, tmp_path, monkeypatch, capsys
):
    import uvicorn

    from assistant.cli import main
    from assistant.settings import get_settings

    folder = _model_copy(tmp_path)
    bad = _corrupt(folder, how)
    monkeypatch.setenv("ALLIANCE_MODEL", str(folder))
    monkeypatch.setenv("ALLIANCE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("ALLIANCE_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "argv", ["alliance", "serve", "--port", "1"])

    def must_not_serve(*args, **kwargs):
        raise AssertionError(f"the server started on a model with {how}")

    monkeypatch.setattr(uvicorn, "run", must_not_serve)
    # `serve` sets the root logger's level; put it back afterwards.
    monkeypatch.setattr(logging.getLogger(), "level", logging.getLogger().level)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exit_info:
            main()
    finally:
        get_settings.cache_clear()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert str(bad) in err[0] or str(folder) in err[0], err
    assert "Traceback" not in err[0]


def test_faults_corrupt_model_folder_stops_the_real_server_process(tmp_path):
    folder = _model_copy(tmp_path)
    bad = _corrupt(folder, "weights flipped")
    env = {
        **os.environ,
        "ALLIANCE_MODEL": str(folder),
        "ALLIANCE_DATA_DIR": str(tmp_path / "var"),
        "ALLIANCE_LOG_LEVEL": "WARNING",
    }
    env.pop("ALLIANCE_DATABASE_URL", None)
    alliance = Path(sys.executable).with_name("alliance")
    done = subprocess.run(
        [str(alliance), "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: {bad}: model file is corrupt (sha256 differs from manifest.json)"
    )
    assert "Traceback" not in done.stderr


# ----------------------------------------------------------------- batch coding
def _outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in CODE_FILES}


def _start_coding(
    inputs: Path,
    out: Path,
    *,
    delay: float,
    jobs: int = 1,
    resume: bool = False,
    stall_after: int | None = None,
):
    command = [sys.executable, "-m", "tests.reliability.coding_run", str(inputs), str(out)]
    command += ["--delay", str(delay), "--jobs", str(jobs)] + (["--resume"] if resume else [])
    command += ["--stall-after", str(stall_after)] if stall_after is not None else []
    # One file per unit of work, so a pool run writes as it goes and a kill lands mid-run.
    command += ["--unit-bytes", "1"]
    return subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _written(out: Path) -> int:
    path = out / "sessions.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _kill_after(process: subprocess.Popen, out: Path, conversations: int) -> None:
    wait_until(
        lambda: _written(out) >= conversations or process.poll() is not None,
        120,
        f"{conversations} conversations written",
    )
    assert process.poll() is None, f"the run ended before the kill: {process.stderr.read()!r}"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def _run_with_kills(inputs: Path, out: Path, kills: list[int], *, jobs: int = 1) -> None:
    for n, at in enumerate(kills):
        # Each tagger hangs after `at + 1` conversations: in-order writing then reaches
        # `at` but the run cannot finish before the kill, however fast or busy the machine.
        process = _start_coding(
            inputs, out, delay=0.15, jobs=jobs, resume=n > 0, stall_after=at + 1
        )
        _kill_after(process, out, at)
        status = json.loads((out / "run.json").read_text(encoding="utf-8"))["status"]
        assert status == "running", "the killed run claims to have finished"
    final = _start_coding(inputs, out, delay=0.0, jobs=jobs, resume=True)
    assert final.wait(300) == 0, final.stderr.read().decode()


@pytest.fixture(scope="module")
def coding_inputs(tmp_path_factory):
    """14 conversations in 13 files, and their uninterrupted coding."""
    folder = tmp_path_factory.mktemp("coding")
    inputs = write_inputs(folder / "in", copies=6)
    code_files([inputs], folder / "full", tagger=SlowRuleTagger())
    return inputs, _outputs(folder / "full")


@pytest.mark.parametrize(
    "kills, jobs",
    [([1], 1), ([6], 1), ([3, 9], 1), ([5], 2)],
    ids=["early", "midway", "twice", "two-workers"],
)
def test_faults_killed_coding_run_resumes_to_identical_output(coding_inputs, tmp_path, kills, jobs):
    inputs, full = coding_inputs
    out = tmp_path / "out"
    _run_with_kills(inputs, out, kills, jobs=jobs)
    assert _outputs(out) == full
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "complete"
    assert len(run["previous_runs"]) == len(kills)
    assert run["output"]["conversations"] == 14


@pytest.mark.long
@pytest.mark.slow
def test_faults_real_model_cli_run_killed_at_random_and_resumed(tmp_path):
    """The real ``alliance code`` with the shipped model, killed five times at random."""
    import random

    corpus = sorted((PROJECT_ROOT / "data").rglob("*.txt"))[:40]
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n, path in enumerate(corpus):
        shutil.copy(path, inputs / f"{n:03d}-{path.name}")
    alliance = str(Path(sys.executable).with_name("alliance"))
    env = {**os.environ, "ALLIANCE_LOG_LEVEL": "WARNING"}

    def code(out: Path, *flags: str) -> subprocess.Popen:
        command = [alliance, "code", str(inputs), "--out", str(out), *flags]
        return subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    assert code(tmp_path / "full").wait(1800) == 0
    full = _outputs(tmp_path / "full")
    total = full["sessions.jsonl"].count(b"\n")
    rng = random.Random(20240501)
    out = tmp_path / "out"
    for n in range(5):
        process = code(out, *(["--resume"] if n else []))
        target = min(total - 1, _written(out) + rng.randint(1, max(1, total // 6)))
        _kill_after(process, out, target)
    assert code(out, "--resume").wait(1800) == 0
    assert _outputs(out) == full
