"""Service benchmark: upload+analysis of a 600-turn session, and chat turns under
concurrent clients, over HTTP on loopback against one server process.

    .venv/bin/python bench/service.py                 # SQLite in a temporary folder
    .venv/bin/python bench/service.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

The server runs in its own process (one uvicorn worker, one tagger) with the real
model; this process only sends requests, so client work does not slow the server's
interpreter. Uploads go one at a time (each is CPU-bound tagging); chat clients run
closed-loop by default (each sends its next message as soon as the reply arrives),
a far harder load than people typing; ``--think 1`` has each client pause about a
second (0.5-1.5 s) between messages. Every non-2xx answer counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.settings import Settings  # noqa: E402

DEMO = ROOT / "data" / "demo" / "demo_session.txt"
CHAT_MESSAGES = [
    "how was my warmth?",
    "show me the rupture",
    "and the one before that?",
    "why is turn 12 tagged reflection?",
    "give me a drill for that",
    "what should I practise this week?",
    "what went well?",
    "how were my reflections?",
]


def session_text(turns: int) -> bytes:
    """A long session made by repeating the demo's speaker lines, in order."""
    lines = [
        line
        for line in DEMO.read_text(encoding="utf-8").splitlines()
        if line.startswith(("Therapist:", "Client:"))
    ]
    out = [lines[i % len(lines)] for i in range(turns)]
    return ("\n".join(out) + "\n").encode("utf-8")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(settings_json: str, port: int) -> None:
    import logging

    import uvicorn

    from assistant.service.app import create_app

    logging.basicConfig(level=logging.WARNING)
    settings = Settings.model_validate_json(settings_json)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def make_token(settings: Settings) -> str:
    from assistant.core import Assistant

    name = f"bench-{os.getpid()}-{int(time.time())}"  # a reused database may hold earlier runs
    return Assistant(settings).add_user(name, "clinician", token_label="bench")[1]


def wait_ready(base: str, timeout: float = 300.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if httpx.get(f"{base}/api/v1/ready", timeout=2).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit("the server did not become ready")


def bench_uploads(
    base: str, headers: dict, data: bytes, count: int
) -> tuple[list[float], int, str]:
    times: list[float] = []
    errors = 0
    transcript_id = ""
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for i in range(count + 1):  # the first one warms caches and is not counted
            start = time.perf_counter()
            answer = client.post(
                "/api/v1/transcripts", files={"file": ("long.txt", data, "text/plain")}
            )
            elapsed = time.perf_counter() - start
            if answer.status_code != 201:
                errors += 1
                continue
            transcript_id = answer.json()["id"]
            if i:
                times.append(elapsed)
    return times, errors, transcript_id


async def one_client(
    client: httpx.AsyncClient,
    transcript_id: str,
    messages: int,
    offset: int,
    out: list,
    errs: list,
    think: float = 0.0,
) -> None:
    pause = random.Random(offset)
    conversation_id = None
    for i in range(messages):
        if think and i:
            await asyncio.sleep(think * pause.uniform(0.5, 1.5))
        body = {"message": CHAT_MESSAGES[(offset + i) % len(CHAT_MESSAGES)]}
        body["transcript_id"] = transcript_id
        if conversation_id:
            body["conversation_id"] = conversation_id
        start = time.perf_counter()
        try:
            answer = await client.post("/api/v1/chat", json=body)
        except httpx.HTTPError:
            errs.append("exception")
            continue
        out.append(time.perf_counter() - start)
        if answer.status_code != 200:
            errs.append(answer.status_code)
            continue
        conversation_id = answer.json()["conversation_id"]


async def bench_chat(
    base: str, headers: dict, transcript_id: str, clients: int, messages: int, think: float
) -> tuple[list[float], list, float]:
    times: list[float] = []
    errors: list = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, limits=limits
    ) as client:
        # Warm-up: one conversation, not counted.
        await one_client(client, transcript_id, 3, 0, [], [])
        start = time.perf_counter()
        await asyncio.gather(
            *(
                one_client(client, transcript_id, messages, n, times, errors, think)
                for n in range(clients)
            )
        )
        wall = time.perf_counter() - start
    return times, errors, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=600, help="turns in the uploaded session")
    parser.add_argument("--uploads", type=int, default=10, help="timed uploads")
    parser.add_argument("--clients", type=int, default=20, help="concurrent chat clients")
    parser.add_argument("--messages", type=int, default=15, help="chat messages per client")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a client waits before its next message (0: closed loop)",
    )
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="alliance-bench-"))
    settings = Settings(
        data_dir=tmp,
        database_url=args.database_url,
        rate_limit_per_minute=1_000_000,  # the benchmark measures latency, not the limiter
    )
    token = make_token(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = mp.get_context("spawn").Process(
        target=serve, args=(settings.model_dump_json(), port), daemon=True
    )
    server.start()
    try:
        startup = wait_ready(base)
        headers = {"Authorization": f"Bearer {token}"}
        data = session_text(args.turns)
        cpu_start = cpu_seconds(server.pid)
        upload_times, upload_errors, transcript_id = bench_uploads(
            base, headers, data, args.uploads
        )
        cpu_uploads = cpu_seconds(server.pid)
        chat_times, chat_errors, wall = asyncio.run(
            bench_chat(base, headers, transcript_id, args.clients, args.messages, args.think)
        )
        cpu_end = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.join(10)

    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": "postgresql" if args.database_url else "sqlite",
        "startup_s": round(startup, 2),
        "upload": {
            "turns": args.turns,
            "count": len(upload_times),
            "errors": upload_errors,
            "p50_s": round(statistics.median(upload_times), 3) if upload_times else None,
            "p95_s": round(percentile(upload_times, 95), 3) if upload_times else None,
            # Server CPU per upload (warm-up included in the count), whatever the load.
            "server_cpu_s": round((cpu_uploads - cpu_start) / (args.uploads + 1), 2)
            if cpu_start is not None and cpu_uploads is not None
            else None,
        },
        "chat": {
            "clients": args.clients,
            "think_s": args.think,
            "requests": len(chat_times),
            "errors": len(chat_errors),
            "p50_ms": round(1000 * statistics.median(chat_times), 1) if chat_times else None,
            "p95_ms": round(1000 * percentile(chat_times, 95), 1) if chat_times else None,
            "max_ms": round(1000 * max(chat_times), 1) if chat_times else None,
            "throughput_per_s": round(len(chat_times) / wall, 1) if wall else None,
            "server_cpu_ms": round(1000 * (cpu_end - cpu_uploads) / (len(chat_times) + 3), 1)
            if cpu_end is not None and cpu_uploads is not None and chat_times
            else None,
        },
    }
    print(json.dumps(results, indent=2))
    up, chat = results["upload"], results["chat"]
    print()
    print("| measure | database | p50 | p95 | server CPU each | errors |")
    print("|---|---|---|---|---|---|")
    print(
        f"| upload+analysis, {up['turns']} turns (n={up['count']}, sequential) | "
        f"{results['database']} | {up['p50_s']} s | {up['p95_s']} s | "
        f"{up['server_cpu_s']} s | {up['errors']} |"
    )
    print(
        f"| chat turn, {chat['clients']} concurrent clients, think {chat['think_s']} s "
        f"(n={chat['requests']}, {chat['throughput_per_s']}/s) | {results['database']} | "
        f"{chat['p50_ms']} ms | {chat['p95_ms']} ms | {chat['server_cpu_ms']} ms | "
        f"{chat['errors']} |"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if upload_errors or chat_errors:
        raise SystemExit(f"errors: uploads {upload_errors}, chat {chat_errors[:10]}")


if __name__ == "__main__":
    main()
