"""Shared parts of the reliability tests: a database per run (a SQLite file, or a
fresh schema on the PostgreSQL server named by ALLIANCE_TEST_POSTGRES_URL), the app
served on 127.0.0.1 by uvicorn (in a thread, or in its own process that a test may
kill), and small helpers: free ports, resident memory, percentiles, table dumps.

Everything listens on loopback only and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, create_engine, select, text

from assistant.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "reliability"
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def need_postgres() -> str:
    """The server URL, or skip (fail under ALLIANCE_REQUIRE_POSTGRES=1) without one."""
    if POSTGRES_URL:
        return POSTGRES_URL
    if REQUIRE_POSTGRES:
        pytest.fail("ALLIANCE_REQUIRE_POSTGRES=1 but ALLIANCE_TEST_POSTGRES_URL is not set")
    pytest.skip("PostgreSQL runs need ALLIANCE_TEST_POSTGRES_URL")


def schema_url(server_url: str, schema: str) -> str:
    sep = "&" if "?" in server_url else "?"
    return f"{server_url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def database_url(kind: str, folder: Path) -> Iterator[str]:
    """A URL for an empty database of ``kind``; a PostgreSQL schema is dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'reliability.db'}"
        return
    server = need_postgres()
    schema = f"r_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(server, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def add_users(url: str, names: list[str], role: str = "clinician") -> dict[str, str]:
    """Create users (migrating the database first) and return one token each."""
    from assistant.storage import open_database
    from assistant.storage import users as user_store

    database = open_database(url)
    tokens: dict[str, str] = {}
    try:
        with database.session() as session:
            for name in names:
                user = user_store.create_user(session, name, role)
                tokens[name] = user_store.create_token(session, user, "reliability test")
    finally:
        database.dispose()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def dump_tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, found by reflection (so new tables are included)."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {
                name: [dict(row._mapping) for row in conn.execute(select(table))]
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def rows_mentioning(tables: dict[str, list[dict[str, Any]]], needle: str) -> list[str]:
    """'table: row' for each row whose text (JSON columns included) holds ``needle``."""
    found = []
    for name, rows in tables.items():
        for row in rows:
            if needle in json.dumps(row, default=str, ensure_ascii=False):
                found.append(f"{name}: {row}")
    return found


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Keep a measured result under test-artifacts/reliability/ for RELIABILITY.md."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def wait_until(condition, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class AppProcess:
    """The app in its own process (``tests/reliability/server.py``), so a test can
    kill it like a crash would, restart it, and sample its memory."""

    def __init__(
        self,
        url: str,
        data_dir: Path,
        *,
        real_model: bool = False,
        tag_delay: float = 0.0,
        save_delay: float = 0.0,
        marker: Path | None = None,
        rate_limit: int | None = None,
        log_file: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        command = [
            sys.executable,
            "-m",
            "tests.reliability.server",
            "--database-url",
            url,
            "--data-dir",
            str(data_dir),
            "--port",
            str(self.port),
            "--tag-delay",
            str(tag_delay),
            "--save-delay",
            str(save_delay),
        ]
        if real_model:
            command.append("--real-model")
        if marker is not None:
            command += ["--marker", str(marker)]
        if rate_limit is not None:
            command += ["--rate-limit", str(rate_limit)]
        self.command = command
        self.log_file = log_file or data_dir / f"server-{self.port}.log"
        self.env = {**os.environ, **(extra_env or {})}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 300.0) -> AppProcess:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,  # its own process group: a kill takes all of it
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}: {self.log()}"
                )
            try:
                if httpx.get(f"{self.url}/api/v1/ready", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server was not ready after {timeout} s: {self.log()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL to the whole process group: no clean-up, no flush, like a crash."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class AppThread:
    """An app object under uvicorn in a background thread of this process (so its
    log records reach pytest's capture and the browser can load it)."""

    def __init__(self, app: Any, log_level: str = "debug", log_config: Any = "default"):
        import uvicorn

        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        # log_config=None leaves logging alone, so uvicorn's records reach pytest's capture.
        extra = {} if log_config == "default" else {"log_config": log_config}
        config = uvicorn.Config(app, host=HOST, port=self.port, log_level=log_level, **extra)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> AppThread:
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), 120, "uvicorn")
        if not self.server.started:
            raise RuntimeError("the app did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


class TcpProxy:
    """A loopback TCP proxy in front of a server, which a test can take down and up.

    Down, it cuts every open connection and closes new ones at once: what an app sees
    when its database host goes away. Up, it forwards again.
    """

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.available = threading.Event()
        self.available.set()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.available.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._drop(sock)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def down(self) -> None:
        self.available.clear()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            self._drop(sock)

    def up(self) -> None:
        self.available.set()

    def close(self) -> None:
        self._closed = True
        self.down()
        self.listener.close()
