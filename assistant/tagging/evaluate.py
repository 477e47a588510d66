"""Agreement between gold codes and predicted codes, turn by turn.

Per tag: precision, recall, F1, Cohen's kappa and support, counted over the turns of
the role the tag applies to (a client turn is never a true negative for a therapist
code). Attribute accuracy (e.g. reflection depth) is counted on turns where gold and
prediction both carry the tag. The confusion summary says, for missed and for
spurious tags, which other tags the turn had instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from assistant.model import CLIENT_TAGS, TAG_ATTRIBUTES, THERAPIST_TAGS, Transcript, Turn

NONE = "(none)"


@dataclass(frozen=True)
class TagScore:
    tag: str
    precision: float
    recall: float
    f1: float
    kappa: float
    support: int
    predicted: int
    tp: int
    fp: int
    fn: int
    tn: int

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def binary_scores(tag: str, gold: Sequence[bool], pred: Sequence[bool]) -> TagScore:
    """Precision, recall, F1 and Cohen's kappa for one tag over aligned turns."""
    if len(gold) != len(pred):
        raise ValueError("gold and predicted sequences differ in length")
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    tn = len(gold) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return TagScore(
        tag, precision, recall, f1, cohen_kappa(tp, fp, fn, tn), tp + fn, tp + fp, tp, fp, fn, tn
    )


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Kappa for a 2x2 table; 1.0 when both raters agree on every turn (even all-negative)."""
    n = tp + fp + fn + tn
    if n == 0:
        return 0.0
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def default_roles(labels: Iterable[str]) -> dict[str, str]:
    roles = {tag: "therapist" for tag in THERAPIST_TAGS}
    roles.update({tag: "client" for tag in CLIENT_TAGS})
    return {label: roles.get(label, "") for label in labels}


def aligned_turns(
    gold: Sequence[Transcript], pred: Sequence[Transcript]
) -> list[tuple[Turn, Turn]]:
    """Pairs (gold turn, predicted turn); transcripts must match by id and turn index."""
    by_id = {t.id: t for t in pred}
    pairs: list[tuple[Turn, Turn]] = []
    for transcript in gold:
        other = by_id.get(transcript.id)
        if other is None or len(other.turns) != len(transcript.turns):
            raise ValueError(f"no matching prediction for transcript {transcript.id!r}")
        for g, p in zip(transcript.turns, other.turns, strict=True):
            if g.index != p.index:
                raise ValueError(f"transcript {transcript.id!r}: turn {g.index} is misaligned")
            pairs.append((g, p))
    return pairs


def tag_scores(
    pairs: Sequence[tuple[Turn, Turn]], labels: Sequence[str], label_roles: dict[str, str]
) -> dict[str, TagScore]:
    scores: dict[str, TagScore] = {}
    for tag in labels:
        role = label_roles.get(tag) or ""
        subset = [(g, p) for g, p in pairs if not role or g.role.value == role]
        scores[tag] = binary_scores(
            tag, [g.has(tag) for g, _ in subset], [p.has(tag) for _, p in subset]
        )
    return scores


def attribute_accuracy(
    pairs: Sequence[tuple[Turn, Turn]], tag: str, name: str
) -> dict[str, float | int]:
    """Accuracy of an attribute on turns where both gold and prediction carry the tag."""
    both = [
        (g.attribute(tag, name), p.attribute(tag, name))
        for g, p in pairs
        if g.has(tag) and p.has(tag) and g.attribute(tag, name) is not None
    ]
    correct = sum(a == b for a, b in both)
    confusion = Counter(f"{a}->{b}" for a, b in both)
    return {
        "accuracy": correct / len(both) if both else 0.0,
        "n": len(both),
        **{f"count {k}": v for k, v in sorted(confusion.items())},
    }


def confusion_summary(
    pairs: Sequence[tuple[Turn, Turn]], labels: Sequence[str], top: int = 3
) -> dict[str, dict[str, list[tuple[str, int]]]]:
    """Per tag: on missed turns, what was predicted instead; on spurious turns, the gold."""
    summary: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for tag in labels:
        missed: Counter[str] = Counter()
        spurious: Counter[str] = Counter()
        for g, p in pairs:
            if g.has(tag) and not p.has(tag):
                missed.update([t for t in p.tags if t not in g.tags] or [NONE])
            elif p.has(tag) and not g.has(tag):
                spurious.update([t for t in g.tags if t not in p.tags] or [NONE])
        summary[tag] = {
            "missed_as": missed.most_common(top),
            "spurious_on": spurious.most_common(top),
        }
    return summary


def evaluate_predictions(
    gold: Sequence[Transcript],
    pred: Sequence[Transcript],
    labels: Sequence[str],
    label_roles: dict[str, str] | None = None,
    attributes: dict[str, list[str]] | None = None,
) -> dict[str, object]:
    """The full report: per-tag scores, macro/micro F1, attribute accuracy, confusions."""
    label_roles = label_roles or default_roles(labels)
    pairs = aligned_turns(gold, pred)
    scores = tag_scores(pairs, labels, label_roles)
    present = [s for s in scores.values() if s.support > 0]
    tp = sum(s.tp for s in present)
    fp = sum(s.fp for s in present)
    fn = sum(s.fn for s in present)
    micro_p = tp / (tp + fp) if tp + fp else 0.0
    micro_r = tp / (tp + fn) if tp + fn else 0.0
    attribute_keys = (
        attributes.keys()
        if attributes is not None
        else [
            f"{tag}.{name}"
            for tag, spec in TAG_ATTRIBUTES.items()
            for name in spec
            if tag in labels
        ]
    )
    return {
        "turns": len(pairs),
        "tags": {tag: s.to_dict() for tag, s in scores.items()},
        "macro_f1": sum(s.f1 for s in present) / len(present) if present else 0.0,
        "micro_f1": 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0,
        "attributes": {
            key: attribute_accuracy(pairs, *key.split(".", 1)) for key in attribute_keys
        },
        "confusion": confusion_summary(pairs, labels),
    }


def evaluate_tagger(tagger: Any, gold: Sequence[Transcript]) -> dict[str, object]:
    """Code ``gold`` with ``tagger`` (gold codes are replaced) and compare."""
    predicted = list(tagger.transform(gold))
    report = evaluate_predictions(
        gold, predicted, tagger.labels, tagger.scorer.label_roles, tagger.scorer.attributes
    )
    report["model"] = tagger.name
    return report
