"""Diversity figures for our authored corpus, reported in ``data/DATASHEET.md``.

A model trained on a few templates learns the templates and fails on real speech, so
we measure how varied the corpus is: distinct word bigrams per 1,000 words, the share
of near-duplicate turns by embedding similarity, and how much each tag leans on its
five most common openings. ``python -m assistant.datasheet`` prints the table.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.model import Transcript

_WORD = re.compile(r"[a-z0-9']+")
# Turns shorter than this ("mm-hmm", "okay") are legitimately repeated; skip them.
MIN_WORDS_FOR_DUPLICATES = 5
NEAR_DUPLICATE_COSINE = 0.9
OPENING_WORDS = 2
# Distinct bigrams per 1,000 words fall as any corpus grows (more text, more repeats
# of common pairs), so a bound on the whole corpus tightens with every file added.
# The bounded figure is the mean over consecutive blocks of this many words, which
# stays put as the corpus grows and still drops when text repeats itself.
BIGRAM_BLOCK_WORDS = 10_000


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def distinct_bigrams_per_1000_words(texts: Sequence[str]) -> float:
    bigrams: set[tuple[str, str]] = set()
    total = 0
    for text in texts:
        tokens = words(text)
        total += len(tokens)
        bigrams.update(zip(tokens, tokens[1:], strict=False))
    return round(1000 * len(bigrams) / total, 1) if total else 0.0


def block_bigrams_per_1000_words(texts: Sequence[str], block: int = BIGRAM_BLOCK_WORDS) -> float:
    """Mean distinct bigrams per 1,000 words over consecutive blocks of whole texts of
    about ``block`` words (a last block under half that size joins the one before)."""
    blocks: list[list[str]] = [[]]
    sizes = [0]
    for text in texts:
        blocks[-1].append(text)
        sizes[-1] += len(words(text))
        if sizes[-1] >= block:
            blocks.append([])
            sizes.append(0)
    if len(blocks) > 1 and sizes[-1] < block / 2:
        blocks[-2].extend(blocks.pop())
    values = [distinct_bigrams_per_1000_words(b) for b in blocks if b]
    return round(sum(values) / len(values), 1) if values else 0.0


def near_duplicates(
    embeddings: np.ndarray, threshold: float = NEAR_DUPLICATE_COSINE
) -> tuple[float, float]:
    """(share of pairs above ``threshold``, share of items with at least one such pair).

    Embeddings must be L2-normalised; computed in blocks so memory stays small.
    """
    n = len(embeddings)
    if n < 2:
        return 0.0, 0.0
    pairs = 0
    has_twin = np.zeros(n, dtype=bool)
    block = 512
    for start in range(0, n, block):
        sims = embeddings[start : start + block] @ embeddings.T
        for row in range(sims.shape[0]):
            sims[row, : start + row + 1] = -1.0  # count each pair once, skip self
        hits = sims > threshold
        pairs += int(hits.sum())
        rows, cols = np.nonzero(hits)
        has_twin[rows + start] = True
        has_twin[cols] = True
    return round(pairs / (n * (n - 1) / 2), 5), round(float(has_twin.mean()), 4)


def opening(text: str) -> str:
    return " ".join(words(text)[:OPENING_WORDS])


def top5_opening_share(scenes: Sequence[Transcript]) -> dict[str, float]:
    """Per tag: the share of its turns that start with one of its five commonest openings."""
    by_tag: dict[str, Counter[str]] = defaultdict(Counter)
    for scene in scenes:
        for turn in scene.turns:
            for tag in turn.tags:
                by_tag[tag][opening(turn.text)] += 1
    return {
        tag: round(sum(n for _, n in counts.most_common(5)) / sum(counts.values()), 3)
        for tag, counts in sorted(by_tag.items())
    }


@dataclass
class Diversity:
    turns: int
    words: int
    distinct_bigrams_per_1000_words: float
    block_bigrams_per_1000_words: float
    top5_opening_share: dict[str, float]
    near_duplicate_pair_share: float | None = None
    turns_with_near_duplicate: float | None = None


def diversity(scenes: Sequence[Transcript], encode=None) -> Diversity:
    texts = [t.text for s in scenes for t in s.turns]
    result = Diversity(
        turns=len(texts),
        words=sum(len(words(t)) for t in texts),
        distinct_bigrams_per_1000_words=distinct_bigrams_per_1000_words(texts),
        block_bigrams_per_1000_words=block_bigrams_per_1000_words(texts),
        top5_opening_share=top5_opening_share(scenes),
    )
    if encode is not None:
        long_texts = [t for t in texts if len(words(t)) >= MIN_WORDS_FOR_DUPLICATES]
        pair_share, twin_share = near_duplicates(np.asarray(encode(long_texts)))
        result.near_duplicate_pair_share = pair_share
        result.turns_with_near_duplicate = twin_share
    return result


def _main(paths: list[str]) -> int:
    from assistant.corpus import load_corpus
    from assistant.tagging.encoder import load_encoder

    encoder = load_encoder()
    out = sys.stdout
    out.write(
        "| split | turns | words | distinct bigrams / 1,000 words (whole split) "
        f"| the same, mean over {BIGRAM_BLOCK_WORDS:,}-word blocks "
        "| near-duplicate pairs | turns with a near-duplicate |\n|---|---|---|---|---|---|---|\n"
    )
    openings = {}
    for path in paths:
        d = diversity(load_corpus([path]), encode=encoder.encode)
        openings[path] = d.top5_opening_share
        out.write(
            f"| {path} | {d.turns} | {d.words} | {d.distinct_bigrams_per_1000_words} | "
            f"{d.block_bigrams_per_1000_words} | "
            f"{d.near_duplicate_pair_share:.5f} | {d.turns_with_near_duplicate:.2%} |\n"
        )
    out.write("\nShare of a tag's turns that start with its five commonest two-word openings:\n\n")
    tags = sorted({tag for shares in openings.values() for tag in shares})
    out.write("| tag | " + " | ".join(paths) + " |\n|---|" + "---|" * len(paths) + "\n")
    for tag in tags:
        out.write(
            f"| {tag} | " + " | ".join(f"{openings[p].get(tag, 0):.0%}" for p in paths) + " |\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:] or ["data/corpus/train", "data/corpus/test"]))
