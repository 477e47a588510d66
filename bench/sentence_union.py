"""Would coding each sentence of a therapist turn, and joining the codes, find more?

MITI codes utterances, not turns, and a reflection that shares its turn with a second
act is the tagger's commonest miss (``docs/tagger.md``, "Turns that do two things").
This experiment codes every sentence of a multi-sentence therapist turn on its own,
after the same preceding turns (therapist turns never read the reply), adds a code
the whole turn lacked when any sentence carries it, and compares that with whole-turn
coding on the same gold turns (paired bootstrap over transcripts).

It costs one extra coding per sentence, so it measures what the idea is worth before
anyone builds it into the pipeline. Use dev probes, never the test set:

    .venv/bin/python bench/sentence_union.py --gold data/dev [--tags reflection,...]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_TAGS = "reflection,open_question,closed_question,warmth,advice"
MIN_SENTENCE_WORDS = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(ROOT / "data/dev"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--tags", default=DEFAULT_TAGS, help="codes a sentence may add")
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log = logging.getLogger("sentence_union")

    from assistant.corpus import load_corpus
    from assistant.model import Role, Transcript
    from assistant.tagging import load_tagger
    from assistant.tagging.compare import compare_predictions

    gold = load_corpus([args.gold])
    tagger = load_tagger(args.model)
    joinable = [t.strip() for t in args.tags.split(",") if t.strip()]
    whole = list(tagger.transform(gold))

    joined: list[Transcript] = []
    split_turns = added = 0
    for transcript, coded in zip(gold, whole, strict=True):
        turns = []
        for position, (turn, coded_turn) in enumerate(
            zip(transcript.turns, coded.turns, strict=True)
        ):
            sentences = [
                s.text
                for s in tagger.nlp(turn.text).sents
                if len(s.text.split()) >= MIN_SENTENCE_WORDS
            ]
            tags = list(coded_turn.tags)
            if turn.role is Role.THERAPIST and len(sentences) >= 2:
                split_turns += 1
                context = transcript.turns[:position]
                for sentence in sentences:
                    part = tagger.transform_turn(sentence, Role.THERAPIST, context)
                    for tag in part.tags:
                        if tag in joinable and tag not in tags:
                            tags.append(tag)
                            added += 1
            turns.append(coded_turn.model_copy(update={"tags": tags}))
        joined.append(coded.model_copy(update={"turns": turns}))
    log.info("%d therapist turns split into sentences; %d codes added", split_turns, added)

    report = compare_predictions(
        gold,
        whole,
        joined,
        tagger.labels,
        tagger.scorer.label_roles,
        replicates=args.bootstrap,
    )
    report["baseline"] = "whole turns"
    report["candidate"] = f"whole turns + sentences ({', '.join(joinable)})"
    report["split_turns"] = split_turns
    report["added_codes"] = added
    print(json.dumps(report, indent=2))  # noqa: T201 - the report is the output
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
