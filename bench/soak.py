"""Soak run: clients in a loop for minutes while the server's memory is sampled.

    .venv/bin/python bench/soak.py                      # 10 clients, 3 minutes, SQLite
    .venv/bin/python bench/soak.py --postgres --minutes 5
    .venv/bin/python bench/soak.py --real-model --clients 4 --think 0.5

The same rounds as bench/load.py (each deletes what it uploaded, so the data stays
the same size). The server's resident memory is read from /proc once a second; the
first quarter of the run is warm-up (imports, caches, the session cache filling),
and the report gives the growth between the quarter after it and the last quarter,
and a least-squares slope in MiB per minute. ``--samples FILE`` keeps every sample
as CSV. The rate limit is lifted: this measures memory, not the limiter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.loadgen import MemorySampler, run_load, write_csv_of_samples  # noqa: E402
from tests.reliability.support import AppProcess, add_users, database_url  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds a client waits between rounds"
    )
    parser.add_argument("--postgres", action="store_true", help="use ALLIANCE_TEST_POSTGRES_URL")
    parser.add_argument("--real-model", action="store_true", help="the shipped tagger and coach")
    parser.add_argument("--max-growth-mib", type=float, default=16.0, help="fail above this growth")
    parser.add_argument("--samples", type=Path, default=None, help="write every sample here (CSV)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    if args.postgres and not os.environ.get("ALLIANCE_TEST_POSTGRES_URL"):
        raise SystemExit("--postgres needs ALLIANCE_TEST_POSTGRES_URL")

    folder = Path(tempfile.mkdtemp(prefix="alliance-soak-"))
    kind = "postgres" if args.postgres else "sqlite"
    with database_url(kind, folder) as url:
        tokens = list(add_users(url, [f"user{n:03d}" for n in range(args.clients)]).values())
        server = AppProcess(url, folder / "var", real_model=args.real_model, rate_limit=1_000_000)
        with server, MemorySampler(server.pid) as sampler:
            result = run_load(
                server.url, tokens, rounds=10**9, max_seconds=args.minutes * 60, think=args.think
            )
    trend = sampler.trend()
    summary = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": kind,
        "model": "real" if args.real_model else "fake",
        "memory": trend,
        **result.summary(),
    }
    print(json.dumps(summary, indent=2))
    if args.samples:
        write_csv_of_samples(args.samples, sampler.samples)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if result.errors:
        raise SystemExit(f"{len(result.errors)} errors, first: {result.errors[:5]}")
    if trend["growth_mib"] > args.max_growth_mib:
        raise SystemExit(f"memory grew {trend['growth_mib']} MiB after warm-up")


if __name__ == "__main__":
    main()
