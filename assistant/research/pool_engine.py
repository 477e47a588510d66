"""Batch coding with worker processes on this machine (``alliance code --jobs N``).

Each worker loads the tagger once (the pool's initializer) and codes whole units
(``assistant.coding.code_unit``); it writes a unit's events to a shard file beside
the output and the parent reads the shards back in input order, so memory stays flat
however large a unit's output is, and only the parent writes the outputs.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from assistant.coding import CodingOptions, Event, UnitFile, code_unit

_TAGGER: Any = None


def _init_worker(loader: Callable[[], Any], threads: int) -> None:
    global _TAGGER
    _TAGGER = loader()
    # The workers share the cores: each gets its share of torch threads, not all of them.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def _code_to_shard(unit: Sequence[UnitFile], options: CodingOptions, work_dir: Path) -> Path:
    shard = work_dir / f"{uuid.uuid4().hex}.pickle"
    with shard.open("wb") as handle:
        for event in code_unit(unit, _TAGGER, options):
            pickle.dump(event, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return shard


def _read_shard(shard: Path) -> Iterator[Event]:
    try:
        with shard.open("rb") as handle:
            while True:
                try:
                    yield pickle.load(handle)
                except EOFError:
                    return
    finally:
        shard.unlink(missing_ok=True)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pool_events(
    units: Sequence[Sequence[UnitFile]],
    loader: Callable[[], Any],
    options: CodingOptions,
    *,
    jobs: int,
    work_dir: Path,
) -> Iterator[Event]:
    """Units coded by ``jobs`` worker processes; events yielded in input order, with at
    most ``2 * jobs`` units in flight."""
    work_dir.mkdir(parents=True, exist_ok=True)
    threads = max(1, cpu_count() // jobs)
    # spawn, not fork: forking a process that already runs torch threads can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init_worker, initargs=(loader, threads)
    ) as pool:
        pending: deque[Future[Path]] = deque()
        try:
            for unit in units:
                pending.append(pool.submit(_code_to_shard, unit, options, work_dir))
                if len(pending) >= 2 * jobs:
                    yield from _read_shard(pending.popleft().result())
            while pending:
                yield from _read_shard(pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
