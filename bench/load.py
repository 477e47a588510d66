"""Load benchmark: concurrent clients mixing uploads, reads and chat, on loopback.

    .venv/bin/python bench/load.py                           # 50 clients x 8 rounds, SQLite
    .venv/bin/python bench/load.py --postgres                # a fresh schema on ALLIANCE_TEST_POSTGRES_URL
    .venv/bin/python bench/load.py --real-model --clients 20 --rounds 2

Each client is its own user with its own token and runs rounds of eleven requests
(tests/reliability/loadgen.py): upload, list, read, profile, chat, follow-up, feedback,
SRS, conversations, delete, list. Every answer is checked; any unexpected status or
a list holding another user's session is an error. The server is one uvicorn process
(tests/reliability/server.py) with the fake tagger unless ``--real-model``. The run is
bounded by ``--rounds`` and ``--max-seconds``; the default rate limit stays on.
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

from tests.reliability.loadgen import run_load  # noqa: E402
from tests.reliability.support import AppProcess, add_users, database_url  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=8, help="rounds of 11 requests per client")
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds a client waits between rounds"
    )
    parser.add_argument("--postgres", action="store_true", help="use ALLIANCE_TEST_POSTGRES_URL")
    parser.add_argument("--real-model", action="store_true", help="the shipped tagger and coach")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    if args.postgres and not os.environ.get("ALLIANCE_TEST_POSTGRES_URL"):
        raise SystemExit("--postgres needs ALLIANCE_TEST_POSTGRES_URL")

    folder = Path(tempfile.mkdtemp(prefix="alliance-load-"))
    kind = "postgres" if args.postgres else "sqlite"
    with database_url(kind, folder) as url:
        names = [f"user{n:03d}" for n in range(args.clients)]
        tokens = list(add_users(url, names).values())
        server = AppProcess(url, folder / "var", real_model=args.real_model)
        with server:
            result = run_load(
                server.url,
                tokens,
                rounds=args.rounds,
                max_seconds=args.max_seconds,
                think=args.think,
            )
    summary = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": kind,
        "model": "real" if args.real_model else "fake",
        **result.summary(),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if result.errors:
        raise SystemExit(f"{len(result.errors)} errors, first: {result.errors[:5]}")


if __name__ == "__main__":
    main()
