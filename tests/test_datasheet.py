"""The corpus stays diverse: the bounds stated in data/DATASHEET.md hold."""

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.corpus import load_corpus
from assistant.datasheet import (
    block_bigrams_per_1000_words,
    distinct_bigrams_per_1000_words,
    diversity,
    near_duplicates,
    top5_opening_share,
)
from assistant.io import iter_transcripts

ROOT = Path(__file__).resolve().parent.parent
SPLITS = [ROOT / "data/corpus/train", ROOT / "data/corpus/test"]

# Bounds stated in data/DATASHEET.md.
MIN_BLOCK_BIGRAMS_PER_1000 = 550  # mean over 10,000-word blocks
MAX_TOP5_OPENING_SHARE = 0.45
MAX_TURNS_WITH_NEAR_DUPLICATE = 0.03


def test_datasheet_bigrams_count_distinct_pairs():
    assert distinct_bigrams_per_1000_words(["a b a b", "a b"]) == pytest.approx(
        1000 * 2 / 6, abs=0.1
    )


def test_datasheet_block_bigrams_hold_as_text_grows_and_fall_on_repeats():
    def fresh(n: int) -> list[str]:  # n four-word texts, no word used twice
        return [f"w{i} w{i + 1} w{i + 2} w{i + 3}" for i in range(0, 4 * n, 4)]

    assert block_bigrams_per_1000_words(fresh(50), block=100) == pytest.approx(750, abs=1)
    assert block_bigrams_per_1000_words(fresh(500), block=100) == pytest.approx(750, abs=1)
    # Each text said ten times in a row, as a templated corpus would: a block holds
    # few distinct pairs.
    repeated = [text for text in fresh(50) for _ in range(10)]
    assert block_bigrams_per_1000_words(repeated, block=100) < 100
    assert block_bigrams_per_1000_words([], block=100) == 0.0


def test_datasheet_near_duplicates_counts_each_pair_once():
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    pair_share, twin_share = near_duplicates(vectors)
    assert pair_share == pytest.approx(1 / 3, abs=1e-4)
    assert twin_share == pytest.approx(2 / 3, abs=1e-4)


@pytest.mark.parametrize("split", SPLITS, ids=lambda p: p.name)
def test_datasheet_corpus_lexical_diversity_within_bounds(split):
    scenes = load_corpus([split])
    figures = diversity(scenes)
    assert figures.block_bigrams_per_1000_words >= MIN_BLOCK_BIGRAMS_PER_1000
    shares = top5_opening_share(scenes)
    assert shares, "no tagged turns"
    worst = max(shares, key=shares.get)
    assert shares[worst] <= MAX_TOP5_OPENING_SHARE, (worst, shares[worst])


@pytest.mark.slow
def test_datasheet_corpus_has_few_near_duplicates():
    from assistant.tagging.encoder import load_encoder

    encoder = load_encoder()
    figures = diversity(load_corpus([SPLITS[0]]), encode=encoder.encode)
    assert figures.turns_with_near_duplicate <= MAX_TURNS_WITH_NEAR_DUPLICATE


DEV = ROOT / "data/dev"
STAGED = ROOT / "data/staged"
MAX_DEV_TURNS_FOUND_IN_CORPUS = 0.01  # stock lines ("We've got about ten minutes left.")


def _words(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalpha() or c in " '").split())


def test_datasheet_dev_probes_are_written_apart_from_the_corpus():
    # One load over every split: scene ids must not repeat anywhere.
    corpus_paths = [*SPLITS, *([STAGED] if STAGED.exists() else [])]
    everything = load_corpus([*corpus_paths, DEV])
    dev_ids = {scene.id for scene in load_corpus([DEV])}
    corpus_lines = {
        _words(turn.text)
        for scene in everything
        if scene.id not in dev_ids
        for turn in scene.turns
        if len(turn.text.split()) >= 6
    }
    dev_lines = [
        _words(turn.text)
        for scene in everything
        if scene.id in dev_ids
        for turn in scene.turns
        if len(turn.text.split()) >= 6
    ]
    assert len(dev_lines) > 500, "the dev probes are missing"
    found = sum(line in corpus_lines for line in dev_lines)
    assert found / len(dev_lines) <= MAX_DEV_TURNS_FOUND_IN_CORPUS, found


def test_datasheet_audit_decisions_name_rigid_training_turns_and_are_not_applied():
    # data/audit/rigid-advice.md: recorded for a later round, not in the scenes.
    lines = (ROOT / "data/audit/rigid-advice.jsonl").read_text(encoding="utf-8").splitlines()
    decisions = [json.loads(line) for line in lines]
    assert len(decisions) == 584
    assert sum(d["advice"] for d in decisions) == 208
    turns = {}
    for name in {d["id"].split("|")[0] for d in decisions}:
        for scene in iter_transcripts(ROOT / "data/corpus/train" / name):
            for index, turn in enumerate(scene.turns):
                turns[f"{name}|{scene.id}|{index}"] = turn
    for decision in decisions:
        assert set(decision) == {"id", "advice", "permission", "why"}
        assert decision["permission"] in ("asked", "unasked")
        turn = turns[decision["id"]]
        assert turn.is_therapist and "rigidity" in turn.tags, decision["id"]
        assert "advice" not in turn.tags, decision["id"]
