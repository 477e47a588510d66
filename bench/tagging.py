"""Tagging speed: the full pipeline against the bare encoder on the same turns.

Codes a few thousand turns of our corpus end to end (spaCy cues, encoder, head,
context rules) and encodes the same texts with the bare all-MiniLM-L6-v2 encoder,
in one run, and reports turns per second for both, their ratio, and the model load
time. Results and the command go in BENCHMARKS.md.

    .venv/bin/python bench/tagging.py [--turns 3000] [--repeats 5] [--threads N]
                                      [--precision auto|float32|bfloat16]
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


def interleaved(repeats: int, first, second) -> tuple[list[float], list[float]]:
    """Seconds for ``first`` and ``second``, run alternately ``repeats`` times each.

    Alternating keeps a neighbour's burst of load from landing on one side only; the
    ratio is taken pair by pair (median), the rates from the best run of each.
    """
    a, b = [], []
    for _ in range(repeats):
        for work, times in ((first, a), (second, b)):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
    return a, b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: all cores)"
    )
    parser.add_argument(
        "--precision",
        choices=("auto", "float32", "bfloat16"),
        default=None,
        help="encoder arithmetic (default: the ALLIANCE_ENCODER_PRECISION setting, auto)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.precision:
        # Both the tagger and the bare encoder read the setting when they load.
        os.environ["ALLIANCE_ENCODER_PRECISION"] = args.precision
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

    pipeline_times, encoder_times = interleaved(
        args.repeats,
        lambda: list(tagger.transform(transcripts, batch_size=args.batch_size)),
        lambda: encoder.encode(texts, batch_size=args.batch_size),
    )
    pipeline_s, encoder_s = min(pipeline_times), min(encoder_times)
    ratios = sorted(e / p for p, e in zip(pipeline_times, encoder_times, strict=True))
    result = {
        "turns": n_turns,
        "pipeline_turns_per_s": round(n_turns / pipeline_s, 1),
        "encoder_turns_per_s": round(n_turns / encoder_s, 1),
        "ratio": round(ratios[len(ratios) // 2], 3),
        "model_load_s": round(load_seconds, 2),
        "precision": encoder.precision,
        "model": tagger.name,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        sys.stdout.write(
            f"turns: {result['turns']} (model {result['model']}, encoder {result['precision']})\n"
            f"end to end: {result['pipeline_turns_per_s']} turns/s\n"
            f"bare encoder: {result['encoder_turns_per_s']} turns/s\n"
            f"ratio (end to end / bare, median of paired runs): {result['ratio']:.0%}\n"
            f"model load (first, in process, imports included): {result['model_load_s']} s\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
