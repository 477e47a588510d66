"""Tagging speed: the full pipeline against the bare encoder on the same turns.

Codes a few thousand turns of our corpus end to end (spaCy cues, encoder, head,
context rules) and encodes the same texts with the bare all-MiniLM-L6-v2 encoder,
in one run, and reports turns per second for both, their ratio, and the model load
time. Results and the command go in BENCHMARKS.md.

    .venv/bin/python bench/tagging.py [--turns 3000] [--repeats 2] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus_transcripts(limit: int):
    from assistant.corpus import load_corpus

    chosen, turns = [], 0
    for scene in load_corpus([ROOT / "data/corpus/train", ROOT / "data/corpus/test"]):
        chosen.append(scene)
        turns += len(scene.turns)
        if turns >= limit:
            break
    return chosen, turns


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: all cores)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    start = time.perf_counter()
    from assistant.tagging import load_tagger

    tagger = load_tagger()
    load_seconds = time.perf_counter() - start

    from assistant.tagging.encoder import load_encoder

    encoder = load_encoder()
    transcripts, n_turns = corpus_transcripts(args.turns)
    texts = [t.text for tr in transcripts for t in tr.turns]

    # Warm up both paths once so neither pays first-call costs.
    list(tagger.transform(transcripts[:3], batch_size=args.batch_size))
    encoder.encode(texts[:64], batch_size=args.batch_size)

    pipeline_s = best_of(
        args.repeats, lambda: list(tagger.transform(transcripts, batch_size=args.batch_size))
    )
    encoder_s = best_of(args.repeats, lambda: encoder.encode(texts, batch_size=args.batch_size))
    result = {
        "turns": n_turns,
        "pipeline_turns_per_s": round(n_turns / pipeline_s, 1),
        "encoder_turns_per_s": round(n_turns / encoder_s, 1),
        "ratio": round(encoder_s / pipeline_s, 3),
        "model_load_s": round(load_seconds, 2),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        sys.stdout.write(
            f"turns: {result['turns']}\n"
            f"end to end: {result['pipeline_turns_per_s']} turns/s\n"
            f"bare encoder: {result['encoder_turns_per_s']} turns/s\n"
            f"ratio (end to end / bare): {result['ratio']:.0%}\n"
            f"model load (first, in process, imports included): {result['model_load_s']} s\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
