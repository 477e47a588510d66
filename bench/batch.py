"""Batch-coding benchmark: turns/s and peak memory for `alliance code`'s engines.

A synthetic corpus is made by sampling and recombining turns of the training scenes
(data/corpus/train; here a benchmark input, not training data) into plain-text
sessions of 20-40 turns, written to a temporary folder. Each mode runs in its own
child process so its peak memory (the whole process tree: workers and Ray processes
included) is its own:

- encoder: the bare MiniLM encoder on the same texts, in the same chunks (the ceiling);
- single: `code_files` in one process (model load excluded, reading and writing included);
- jobs2: `--jobs 2` worker processes (worker start-up and model loads included);
- ray: `--engine ray` on a local Ray with 2 CPUs (Ray start excluded, actor start-up
  included);
- single-quarter: one process on a quarter of the corpus, to show memory stays flat.

    .venv/bin/python bench/batch.py                       # 20,000 turns, every mode
    .venv/bin/python bench/batch.py --turns 4000 --modes encoder,single
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENES = ROOT / "data" / "corpus" / "train"
MODES = ("encoder", "single", "jobs2", "ray", "single-quarter")
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# ----------------------------------------------------------------------------- corpus


def make_corpus(folder: Path, turns: int, seed: int = 7) -> int:
    """Write sessions recombined from the training scenes until ``turns`` turns; returns files."""
    from assistant.io import read_transcripts

    pools: dict[str, list[str]] = {"T": [], "C": []}
    for path in sorted(SCENES.glob("*.txt")):
        for scene in read_transcripts(path):
            for turn in scene.turns:
                if turn.role.value in ("therapist", "client"):
                    pools["T" if turn.role.value == "therapist" else "C"].append(turn.text)
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = files = 0
    while written < turns:
        length = min(rng.randint(20, 40), turns - written)
        speaker = rng.choice("TC")
        lines = []
        for _ in range(length):
            text = rng.choice(pools[speaker])
            if rng.random() < 0.3:  # recombine: a new turn from two real ones
                text = f"{text} {rng.choice(pools[speaker])}"
            lines.append(f"{speaker}: {text}")
            speaker = "C" if speaker == "T" else "T"
        files += 1
        (folder / f"session-{files:05d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        written += length
    return files


# ----------------------------------------------------------------------------- memory


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.append(pid)
                frontier.append(pid)
    return tree


def _usage(pid: int) -> tuple[int, float]:
    """(resident bytes, CPU seconds so far) of one process."""
    with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
        rss = int(handle.read().split()[1]) * PAGE
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / TICKS


class TreeMonitor:
    """Samples the process tree (workers and Ray processes included) in the background:
    the peak of its total resident memory, and the CPU seconds each process used."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak = 0
        self._cpu: dict[int, float] = {}
        self._start_cpu: dict[int, float] = {}
        self._sampled = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        total = 0
        for pid in _tree(os.getpid()):
            try:
                rss, cpu = _usage(pid)
            except (OSError, IndexError, ValueError):
                continue
            total += rss
            # Processes already running at the start count from there; later ones from 0.
            self._start_cpu.setdefault(pid, 0.0 if self._sampled else cpu)
            self._cpu[pid] = max(self._cpu.get(pid, 0.0), cpu)
        self._sampled = True
        self.peak = max(self.peak, total)

    @property
    def cpu_seconds(self) -> float:
        return sum(cpu - self._start_cpu.get(pid, 0.0) for pid, cpu in self._cpu.items())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMonitor:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _pin_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- modes


def _encoder_only(corpus: Path, threads: int) -> dict[str, Any]:
    from assistant.coding import CHUNK_TURNS
    from assistant.io import read_transcripts
    from assistant.settings import get_settings
    from assistant.tagging.encoder import load_encoder
    from assistant.tagging.pipeline import prepare_text

    settings = get_settings()
    start = time.perf_counter()
    encoder = load_encoder()
    _pin_threads(threads)
    load = time.perf_counter() - start
    # The same chunks the pipeline encodes: whole sessions until CHUNK_TURNS turns.
    chunks: list[list[str]] = [[]]
    for path in sorted(corpus.glob("*.txt")):
        for transcript in read_transcripts(path):
            chunks[-1].extend(
                prepare_text(t.text, settings.max_turn_chars, t.role)[0] for t in transcript.turns
            )
            if len(chunks[-1]) >= CHUNK_TURNS:
                chunks.append([])
    with TreeMonitor() as memory:
        start = time.perf_counter()
        for texts in chunks:
            if texts:
                encoder.encode(texts, batch_size=settings.batch_size)
        seconds = time.perf_counter() - start
    return {
        "turns": sum(map(len, chunks)),
        "seconds": seconds,
        "cpu": memory.cpu_seconds,
        "load": load,
        "peak": memory.peak,
    }


def _coding(corpus: Path, out: Path, mode: str, threads: int) -> dict[str, Any]:
    from assistant.coding import ModelLoader, code_files
    from assistant.tagging import load_tagger, resolve_model

    load = 0.0
    options: dict[str, Any] = {}
    if mode in ("single", "single-quarter"):
        start = time.perf_counter()
        options["tagger"] = load_tagger()
        _pin_threads(threads)
        load = time.perf_counter() - start
    else:
        options["loader"] = ModelLoader(resolve_model())
        options["jobs"] = 2
    if mode == "ray":
        import ray

        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
        load = time.perf_counter() - start
        options["engine"] = "ray"
    try:
        with TreeMonitor() as memory:
            start = time.perf_counter()
            summary = code_files([corpus], out, overwrite=True, **options)
            seconds = time.perf_counter() - start
    finally:
        if mode == "ray":
            ray.shutdown()
    return {
        "turns": summary.turns,
        "seconds": seconds,
        "cpu": memory.cpu_seconds,
        "load": load,
        "peak": memory.peak,
    }


def child(mode: str, corpus: Path, out: Path, threads: int) -> None:
    if mode == "encoder":
        result = _encoder_only(corpus, threads)
    else:
        result = _coding(corpus, out, mode, threads)
    print(json.dumps({"mode": mode, **result}))


def run_mode(mode: str, corpus: Path, out: Path, threads: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", mode, "--corpus", str(corpus)]
    command += ["--out", str(out), "--threads", str(threads)]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"mode {mode} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=20_000, help="turns in the corpus")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads in the one-process modes (workers and actors always use 1)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.corpus, args.out, args.threads)
        return
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; choose from {', '.join(MODES)}")
    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as tmp:
        full, quarter = Path(tmp) / "corpus", Path(tmp) / "quarter"
        files = make_corpus(full, args.turns)
        make_corpus(quarter, args.turns // 4)
        print(
            f"corpus: {args.turns} turns in {files} files; {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        results = []
        for mode in modes:
            corpus = quarter if mode == "single-quarter" else full
            result = run_mode(mode, corpus, Path(tmp) / f"out-{mode}", args.threads)
            results.append(result)
            print(
                f"{mode}: {result['turns'] / result['seconds']:.1f} turns/s, "
                f"{result['turns'] / result['cpu']:.1f} turns per CPU-second, "
                f"peak {result['peak'] / 2**20:.0f} MiB",
                flush=True,
            )
    encoder = next((r for r in results if r["mode"] == "encoder"), None)
    print(
        "\n| mode | turns | wall s | turns/s | CPU s | turns/CPU-s | vs encoder (CPU) "
        "| peak memory | set-up (excluded) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        per_cpu = r["turns"] / r["cpu"]
        ratio = f"{per_cpu / (encoder['turns'] / encoder['cpu']):.2f}" if encoder else ""
        print(
            f"| {r['mode']} | {r['turns']} | {r['seconds']:.1f} | {r['turns'] / r['seconds']:.1f} "
            f"| {r['cpu']:.1f} | {per_cpu:.1f} | {ratio} | {r['peak'] / 2**20:.0f} MiB "
            f"| {r['load']:.1f} s |"
        )


if __name__ == "__main__":
    main()
