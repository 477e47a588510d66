"""Load: 50 concurrent clients mixing uploads, reads and chat against one server
process on 127.0.0.1, on SQLite and on PostgreSQL; and a soak with the server's
memory sampled. Bounded in rounds and in seconds; zero errors allowed.

The server runs the rule-based fake tagger and coach (tests/service_support.py):
what is loaded here is the HTTP stack, the rate limiter, the session cache and the
database under concurrent writers. bench/load.py and bench/soak.py run the same
drivers longer, and with ``--real-model`` against the shipped tagger and coach.
Latencies are reported (test-artifacts/reliability/), never asserted.
"""

from __future__ import annotations

import pytest

from tests.reliability.loadgen import ROUND_REQUESTS, run_load, soak, write_csv_of_samples
from tests.reliability.support import (
    ARTIFACTS,
    DATABASES,
    AppProcess,
    add_users,
    database_url,
    dump_tables,
    write_result,
)

CLIENTS = 50


def _users(url: str, count: int) -> list[str]:
    return list(add_users(url, [f"user{n:03d}" for n in range(count)]).values())


def _load(kind: str, tmp_path, rounds: int, max_seconds: float, name: str) -> dict:
    with database_url(kind, tmp_path) as url:
        tokens = _users(url, CLIENTS)
        # The default rate limit (120 a minute per token) stays on: clients stay under it.
        with AppProcess(url, tmp_path / "var") as server:
            result = run_load(server.url, tokens, rounds=rounds, max_seconds=max_seconds)
            log = server.log()
        tables = dump_tables(url)
    summary = {"database": kind, **result.summary()}
    write_result(name, summary)
    print(f"\n{name}: {summary}")
    assert result.errors == [], result.errors[:10]
    assert result.rounds_done == CLIENTS * rounds, "clients ran out of time"
    assert result.requests == CLIENTS * rounds * ROUND_REQUESTS
    # Every session was deleted again, with everything hanging off it.
    assert tables["transcripts"] == [] and tables["turns"] == [] and tables["chat_messages"] == []
    assert "Traceback" not in log
    return summary


@pytest.mark.parametrize("kind", DATABASES)
def test_load_fifty_clients_mixed_traffic(kind, tmp_path):
    _load(kind, tmp_path, rounds=1, max_seconds=120, name=f"load-ci-{kind}")


@pytest.mark.long
@pytest.mark.parametrize("kind", DATABASES)
def test_load_fifty_clients_mixed_traffic_long(kind, tmp_path):
    _load(kind, tmp_path, rounds=8, max_seconds=600, name=f"load-long-{kind}")


def _soak(kind: str, tmp_path, seconds: float, name: str, max_growth_mib: float) -> None:
    with database_url(kind, tmp_path) as url:
        tokens = _users(url, 10)
        with AppProcess(url, tmp_path / "var", rate_limit=1_000_000) as server:
            result, trend = soak(server.url, tokens, server.pid, seconds=seconds)
    summary = {"database": kind, "memory": trend, **result.summary()}
    write_result(name, summary)
    print(f"\n{name}: {summary}")
    assert result.errors == [], result.errors[:10]
    # No growth trend once warm: what the last quarter holds over the first quarter
    # after warm-up, and the fitted slope over the run, both stay small.
    assert trend["growth_mib"] < max_growth_mib, trend
    assert trend["slope_mib_per_min"] * trend["minutes"] < max_growth_mib, trend


def test_load_short_soak_memory_stays_flat(tmp_path):
    _soak("sqlite", tmp_path, seconds=20, name="soak-ci-sqlite", max_growth_mib=12)


@pytest.mark.long
@pytest.mark.parametrize("kind", DATABASES)
def test_load_soak_memory_stays_flat(kind, tmp_path):
    _soak(kind, tmp_path, seconds=240, name=f"soak-long-{kind}", max_growth_mib=16)
    assert ARTIFACTS.exists()


__all__ = ["write_csv_of_samples"]
