"""Load and soak drivers: concurrent clients over HTTP on loopback, each with its own
user and token, mixing uploads, reads and chat, checking every answer.

One client round is eleven requests: upload a session, list (it is there), read it,
read its profile, start a chat about it, follow up, read the feedback, attach an SRS,
list conversations, delete it, list (it is gone). Every answer must have the expected
status and every list must hold exactly the client's own sessions; anything else is
an error. Used by tests/reliability/test_load.py (small, in CI) and by bench/load.py
and bench/soak.py (long, on demand).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.support import bearer, percentile, rss_bytes
from tests.service_support import SESSION_TEXT

SRS = {"relationship": 9, "goals_and_topics": 8, "approach_or_method": 9, "overall": 9}
ROUND_REQUESTS = 11


@dataclass
class LoadResult:
    clients: int
    rounds_done: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def summary(self) -> dict[str, Any]:
        every = [t for values in self.latencies.values() for t in values]

        def ms(values: list[float], q: float) -> float:
            return round(1000 * percentile(values, q), 1)

        return {
            "clients": self.clients,
            "rounds": self.rounds_done,
            "requests": self.requests,
            "errors": len(self.errors),
            "first_errors": self.errors[:10],
            "wall_s": round(self.wall_s, 1),
            "throughput_per_s": round(self.requests / self.wall_s, 1) if self.wall_s else None,
            "p50_ms": round(1000 * statistics.median(every), 1) if every else None,
            "p95_ms": ms(every, 95) if every else None,
            "max_ms": round(1000 * max(every), 1) if every else None,
            "by_operation": {
                name: {"n": len(values), "p50_ms": ms(values, 50), "p95_ms": ms(values, 95)}
                for name, values in sorted(self.latencies.items())
            },
        }


class Client:
    """One user's session of rounds against the server."""

    def __init__(self, http: httpx.AsyncClient, result: LoadResult, name: str):
        self.http = http
        self.result = result
        self.name = name

    async def request(self, op: str, method: str, url: str, expect: int, **kwargs: Any):
        start = time.perf_counter()
        try:
            answer = await self.http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            self.result.errors.append(f"{self.name} {op}: {type(error).__name__}")
            return None
        self.result.latencies[op].append(time.perf_counter() - start)
        if answer.status_code != expect:
            self.result.errors.append(f"{self.name} {op}: {answer.status_code} {answer.text[:120]}")
            return None
        return answer

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.result.errors.append(f"{self.name}: {what}")

    async def one_round(self, n: int) -> None:
        files = {"file": (f"{self.name}-{n}.txt", SESSION_TEXT.encode(), "text/plain")}
        up = await self.request("upload", "POST", "/api/v1/transcripts", 201, files=files)
        if up is None:
            return
        tid = up.json()["id"]
        listed = await self.request("list", "GET", "/api/v1/transcripts", 200)
        if listed is not None:
            self.check(
                [t["id"] for t in listed.json()] == [tid], "list is not exactly its own session"
            )
        got = await self.request("read", "GET", f"/api/v1/transcripts/{tid}", 200)
        if got is not None:
            self.check(len(got.json()["turns"]) == SESSION_TEXT.count("\n"), "turns went missing")
        await self.request("profile", "GET", f"/api/v1/transcripts/{tid}/profile", 200)
        body = {"message": "how were my reflections?", "transcript_id": tid}
        chat = await self.request("chat", "POST", "/api/v1/chat", 200, json=body)
        if chat is not None:
            follow = {
                "message": "and before that?",
                "conversation_id": chat.json()["conversation_id"],
            }
            await self.request("chat", "POST", "/api/v1/chat", 200, json=follow)
        await self.request("feedback", "GET", f"/api/v1/transcripts/{tid}/feedback", 200)
        await self.request("srs", "POST", f"/api/v1/transcripts/{tid}/srs", 201, json=SRS)
        await self.request("conversations", "GET", "/api/v1/chat/conversations", 200)
        await self.request("delete", "DELETE", f"/api/v1/transcripts/{tid}", 204)
        after = await self.request("list", "GET", "/api/v1/transcripts", 200)
        if after is not None:
            self.check(after.json() == [], "a deleted session is still listed")


async def _run_client(
    base: str, token: str, name: str, rounds: int, deadline: float, result: LoadResult, think: float
) -> int:
    done = 0
    async with httpx.AsyncClient(base_url=base, headers=bearer(token), timeout=120) as http:
        client = Client(http, result, name)
        for n in range(rounds):
            if time.monotonic() >= deadline:
                break
            await client.one_round(n)
            done += 1
            if think:
                await asyncio.sleep(think)
    return done


def run_load(
    base: str,
    tokens: list[str],
    *,
    rounds: int,
    max_seconds: float,
    think: float = 0.0,
) -> LoadResult:
    """All clients at once, each doing up to ``rounds`` rounds, none starting a round
    after ``max_seconds``."""
    result = LoadResult(clients=len(tokens))

    async def main() -> None:
        deadline = time.monotonic() + max_seconds
        jobs = [
            _run_client(base, token, f"client{n}", rounds, deadline, result, think)
            for n, token in enumerate(tokens)
        ]
        start = time.perf_counter()
        done = await asyncio.wait_for(asyncio.gather(*jobs), timeout=max_seconds + 300)
        result.wall_s = time.perf_counter() - start
        result.rounds_done = sum(done)

    asyncio.run(main())
    return result


class MemorySampler:
    """Samples a process's resident memory every ``interval`` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 1.0):
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic() - self._start, rss_bytes(self.pid)))
            except (OSError, RuntimeError):
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def trend(self, warmup_share: float = 0.25) -> dict[str, Any]:
        """Growth after the warm-up: a least-squares slope (MiB per minute), and the
        median of the last quarter against the median just after the warm-up."""
        kept = self.samples[int(len(self.samples) * warmup_share) :]
        if len(kept) < 8:
            raise ValueError("too few memory samples for a trend")
        xs = [t for t, _ in kept]
        ys = [rss / 2**20 for _, rss in kept]
        mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mean_x) ** 2 for x in xs
        )
        quarter = max(2, len(ys) // 4)
        return {
            "samples": len(self.samples),
            "first_mib": round(self.samples[0][1] / 2**20, 1),
            "after_warmup_mib": round(statistics.median(ys[:quarter]), 1),
            "end_mib": round(statistics.median(ys[-quarter:]), 1),
            "growth_mib": round(
                statistics.median(ys[-quarter:]) - statistics.median(ys[:quarter]), 1
            ),
            "slope_mib_per_min": round(slope * 60, 2),
            "minutes": round((xs[-1] - xs[0]) / 60, 2),
        }


def soak(
    base: str, tokens: list[str], pid: int, *, seconds: float, think: float = 0.0
) -> tuple[LoadResult, dict[str, Any]]:
    """Clients doing rounds until ``seconds`` have passed, with the server's memory sampled."""
    with MemorySampler(pid) as sampler:
        result = run_load(base, tokens, rounds=10**9, max_seconds=seconds, think=think)
    return result, sampler.trend()


def write_csv_of_samples(path: Path, samples: list[tuple[float, int]]) -> None:
    lines = ["seconds,rss_mib"] + [f"{t:.1f},{rss / 2**20:.1f}" for t, rss in samples]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
