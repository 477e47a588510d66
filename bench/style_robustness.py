"""Tagger accuracy when the transcription style changes.

Scores the held-out test set three ways: as written (a mix of ASR-style and clean
lines), ASR-style (lowercase, every punctuation mark removed) and clean (sentence
case, a final full stop where a line has no end mark). Real coded transcripts come in
both styles; a tagger that leans on punctuation would drop sharply on the first.

    .venv/bin/python bench/style_robustness.py [--gold data/corpus/test] [--model NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(ROOT / "data/corpus/test"))
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    from assistant.corpus import load_corpus
    from assistant.tagging import load_tagger
    from assistant.tagging.evaluate import evaluate_tagger
    from assistant.tagging.restyle import asr_style, clean_style

    gold = load_corpus([args.gold])
    tagger = load_tagger(args.model)
    for name, restyle in (("as written", None), ("asr", asr_style), ("clean", clean_style)):
        variant = gold
        if restyle is not None:
            variant = [
                t.model_copy(
                    update={
                        "turns": [u.model_copy(update={"text": restyle(u.text)}) for u in t.turns]
                    }
                )
                for t in gold
            ]
        report = evaluate_tagger(tagger, variant)
        tags = " ".join(f"{k}={v['f1']:.2f}" for k, v in report["tags"].items())
        sys.stdout.write(f"{name}: macro F1 {report['macro_f1']:.3f}  {tags}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
