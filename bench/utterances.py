"""Tagger accuracy when therapist turns come split into utterances.

Many coded research transcripts are segmented by utterance, not by turn: a therapist's
"You've been carrying this alone. What would help this week?" arrives as two rows by
the same speaker, each coded on its own. This bench splits every therapist turn (with
``--clients``, every turn) of the gold set at its sentence ends (a turn written without end marks stays whole), codes
the split transcripts, and gives each original turn the union of its pieces' codes
(attributes from the first piece that carries the code), then scores that against the
turn's gold codes, beside the same gold coded whole.

    .venv/bin/python bench/utterances.py [--gold data/dev] [--model NAME] [--clients] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=\S)")


_ABBREVIATION = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|St|Prof|vs|etc|e\.g|i\.e)\.$", re.IGNORECASE)


def split_utterances(text: str) -> list[str]:
    """``text`` cut after every ., ? or ! that a space follows (not after "Dr." and the like)."""
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        elif piece:
            pieces.append(piece)
    return pieces


def question_placement(
    gold: list[Any], coded: list[Any], owners: list[list[int]]
) -> tuple[int, int]:
    """Of the split turns with one question code in gold and exactly one row ending in
    "?", how many carry that code on that row: (right, total)."""
    right = total = 0
    for original, split, owner in zip(gold, coded, owners, strict=True):
        for turn in original.turns:
            asked = [t for t in ("open_question", "closed_question") if t in turn.tags]
            rows = [
                row for row, index in zip(split.turns, owner, strict=True) if index == turn.index
            ]
            marked = [row for row in rows if row.text.rstrip().endswith("?")]
            if len(rows) < 2 or len(asked) != 1 or len(marked) != 1:
                continue
            total += 1
            right += asked[0] in marked[0].tags
    return right, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(ROOT / "data/dev"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--json", action="store_true", help="print the reports as JSON")
    parser.add_argument(
        "--clients", action="store_true", help="split client turns too, not only therapist turns"
    )
    args = parser.parse_args()

    from assistant.corpus import load_corpus
    from assistant.model import Role, Transcript
    from assistant.tagging import load_tagger
    from assistant.tagging.evaluate import evaluate_predictions

    gold = load_corpus([args.gold])
    split_roles = {Role.THERAPIST, Role.CLIENT} if args.clients else {Role.THERAPIST}
    tagger = load_tagger(args.model)

    def split(transcript: Transcript) -> tuple[Transcript, list[int]]:
        turns, owner = [], []
        for turn in transcript.turns:
            pieces = split_utterances(turn.text) if turn.role in split_roles else []
            for piece in pieces if len(pieces) > 1 else [turn.text]:
                # Rows are numbered from the transcript's first index, as a reader would.
                index = transcript.turns[0].index + len(turns)
                turns.append(turn.model_copy(update={"index": index, "text": piece}))
                owner.append(turn.index)
        return transcript.model_copy(update={"turns": turns}), owner

    def merged(original: Transcript, coded: Transcript, owner: list[int]) -> Transcript:
        tags: dict[int, list[str]] = {turn.index: [] for turn in original.turns}
        attributes: dict[int, dict[str, dict[str, str]]] = {t.index: {} for t in original.turns}
        for piece, index in zip(coded.turns, owner, strict=True):
            for tag in piece.tags:
                if tag not in tags[index]:
                    tags[index].append(tag)
                    if tag in piece.attributes:
                        attributes[index][tag] = piece.attributes[tag]
        return original.model_copy(
            update={
                "turns": [
                    turn.model_copy(
                        update={"tags": tags[turn.index], "attributes": attributes[turn.index]}
                    )
                    for turn in original.turns
                ]
            }
        )

    splits = [split(t) for t in gold]
    pieces = sum(len(s.turns) for s, _ in splits)
    split_turns = sum(
        1
        for t in gold
        for turn in t.turns
        if turn.role in split_roles and len(split_utterances(turn.text)) > 1
    )
    started = time.perf_counter()
    whole = list(tagger.transform(gold))
    whole_seconds = time.perf_counter() - started
    started = time.perf_counter()
    coded = list(tagger.transform([s for s, _ in splits]))
    split_seconds = time.perf_counter() - started
    placement = question_placement(gold, coded, [owner for _, owner in splits])
    lifted = sum(
        1
        for c in coded
        for turn in c.turns
        for items in turn.evidence.values()
        if any(e.source == "speaker_run" for e in items)
    )
    by_utterance = [
        merged(original, c, owner)
        for original, c, (_, owner) in zip(gold, coded, splits, strict=True)
    ]
    reports = {}
    for name, predicted in (("whole turns", whole), ("utterances", by_utterance)):
        reports[name] = evaluate_predictions(
            gold, predicted, tagger.labels, tagger.scorer.label_roles, tagger.scorer.attributes
        )
    summary = {
        "turns": sum(len(t.turns) for t in gold),
        "split_turns": split_turns,
        "rows": pieces,
        "codes_placed_from_joined_turn": lifted,
        "question_on_its_row": placement,
        "seconds": {"whole turns": round(whole_seconds, 2), "utterances": round(split_seconds, 2)},
    }
    if args.json:
        out = {k: {"macro_f1": r["macro_f1"], "tags": r["tags"]} for k, r in reports.items()}
        sys.stdout.write(json.dumps({**summary, **out}, indent=2) + "\n")
        return 0
    right, total = placement
    sys.stdout.write(
        f"{args.gold}: {summary['turns']} turns; {split_turns} turns split into "
        f"{pieces} rows in all; {lifted} codes placed from the joined turn; question "
        f"codes on the row that ends with '?': {right}/{total}; coded in "
        f"{whole_seconds:.1f} s whole, {split_seconds:.1f} s split\n"
    )
    for name, report in reports.items():
        tags = " ".join(f"{k}={v['f1']:.2f}" for k, v in report["tags"].items())
        sys.stdout.write(f"{name}: macro F1 {report['macro_f1']:.3f}  {tags}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
