"""Two taggers against the same gold codes: per-tag F1 of each and their paired difference.

Single-tag F1 on a few hundred turns moves by several points between models that are
equally good, so a choice between two models needs the difference with its
uncertainty, not two point figures. Both models are scored on the same turns, and the
interval is a percentile bootstrap over transcripts (a session's turns stay together,
since turns of one session are not independent), resampling the same transcripts for
both models so the noise they share cancels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.errors import ValidationError
from assistant.model import Transcript
from assistant.tagging.evaluate import aligned_turns, default_roles, tag_scores

DEFAULT_REPLICATES = 1000
DEFAULT_SEED = 13
DEFAULT_MIN_SUPPORT = 5
# Rows of replicate weights summed at once; bounds memory on large gold sets.
_SLICE_ROWS = 20_000


def _session_counts(
    gold: Sequence[Transcript],
    pred: Sequence[Transcript],
    labels: Sequence[str],
    roles: dict[str, str],
) -> np.ndarray:
    """(sessions, tags, 3) counts of tp, fp, fn per gold transcript."""
    counts = np.zeros((len(gold), len(labels), 3), dtype=np.float64)
    by_id = {t.id: t for t in pred}
    for s, transcript in enumerate(gold):
        other = [by_id[transcript.id]] if transcript.id in by_id else []
        scores = tag_scores(aligned_turns([transcript], other), labels, roles)
        counts[s] = [[scores[tag].tp, scores[tag].fp, scores[tag].fn] for tag in labels]
    return counts


def _f1(summed: np.ndarray) -> np.ndarray:
    """F1 from (..., 3) tp/fp/fn sums; 0 where a tag has no positives on either side."""
    tp, fp, fn = summed[..., 0], summed[..., 1], summed[..., 2]
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def compare_predictions(
    gold: Sequence[Transcript],
    baseline: Sequence[Transcript],
    candidate: Sequence[Transcript],
    labels: Sequence[str],
    label_roles: dict[str, str] | None = None,
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    min_support: int = DEFAULT_MIN_SUPPORT,
) -> dict[str, Any]:
    """Per-tag and macro F1 of both, and candidate minus baseline with a bootstrap interval.

    Macro F1 averages the tags with at least ``min_support`` gold positives, so a tag
    seen twice cannot swing the choice.
    """
    if replicates < 0:
        raise ValidationError(f"bootstrap replicates must be 0 or more (got {replicates})")
    if not 0 < level < 1:
        raise ValidationError(f"confidence level must be between 0 and 1 (got {level})")
    if min_support < 1:
        raise ValidationError(f"minimum support must be 1 or more (got {min_support})")
    if not gold:
        raise ValidationError("no gold transcripts to compare on")
    roles = label_roles or default_roles(labels)
    sides = np.stack(
        [_session_counts(gold, pred, labels, roles) for pred in (baseline, candidate)]
    )  # (2, S, T, 3)
    support = sides[0, :, :, 0].sum(axis=0) + sides[0, :, :, 2].sum(axis=0)
    macro_tags = support >= min_support
    if not macro_tags.any():
        raise ValidationError(
            f"no tag has {min_support} or more gold positives; lower the minimum support"
        )

    def statistics(summed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 2, T, 3) sums -> per-tag F1 (..., 2, T) and macro F1 (..., 2)."""
        f1 = _f1(summed)
        return f1, f1[..., macro_tags].mean(axis=-1)

    f1, macro = statistics(sides.sum(axis=1))
    sessions = sides.shape[1]
    terms = sides.transpose(1, 0, 2, 3).reshape(sessions, -1)  # (S, 2*T*3)
    boot_tags = np.empty((replicates, len(labels)))
    boot_macro = np.empty(replicates)
    rng = np.random.default_rng(seed)
    step = max(1, _SLICE_ROWS // sessions)
    for start in range(0, replicates, step):
        rows = min(step, replicates - start)
        weights = rng.multinomial(sessions, np.full(sessions, 1.0 / sessions), size=rows)
        summed = (weights @ terms).reshape(rows, 2, len(labels), 3)
        replicate_f1, replicate_macro = statistics(summed)
        boot_tags[start : start + rows] = replicate_f1[:, 1] - replicate_f1[:, 0]
        boot_macro[start : start + rows] = replicate_macro[:, 1] - replicate_macro[:, 0]
    tail = (1 - level) / 2 * 100

    def interval(samples: np.ndarray) -> list[float] | None:
        if replicates == 0:
            return None
        low, high = np.percentile(samples, [tail, 100 - tail])
        return [round(float(low), 4), round(float(high), 4)]

    def share_better(samples: np.ndarray) -> float | None:
        return round(float((samples > 0).mean()), 4) if replicates else None

    return {
        "turns": int(sum(len(t.turns) for t in gold)),
        "sessions": sessions,
        "tags": {
            tag: {
                "support": int(support[k]),
                "baseline_f1": round(float(f1[0, k]), 4),
                "candidate_f1": round(float(f1[1, k]), 4),
                "difference": round(float(f1[1, k] - f1[0, k]), 4),
                "interval": interval(boot_tags[:, k]),
                # A keeping rule can ask for one code's gain as well as macro F1's.
                "share_better": share_better(boot_tags[:, k]),
                "in_macro": bool(macro_tags[k]),
            }
            for k, tag in enumerate(labels)
        },
        "macro_f1": {
            "tags": [tag for k, tag in enumerate(labels) if macro_tags[k]],
            "baseline": round(float(macro[0]), 4),
            "candidate": round(float(macro[1]), 4),
            "difference": round(float(macro[1] - macro[0]), 4),
            "interval": interval(boot_macro),
            # Share of replicates in which the candidate's macro F1 is higher.
            "share_better": share_better(boot_macro),
        },
        "bootstrap": {
            "replicates": replicates,
            "seed": seed,
            "level": level,
            "unit": "transcript",
            "min_support": min_support,
        },
    }


def compare_taggers(
    baseline: Any, candidate: Any, gold: Sequence[Transcript], **options: Any
) -> dict[str, Any]:
    """Code ``gold`` with both taggers and compare them (see ``compare_predictions``)."""
    labels = [label for label in baseline.labels if label in set(candidate.labels)]
    if not labels:
        raise ValidationError("the two models share no tag; there is nothing to compare")
    report = compare_predictions(
        gold,
        list(baseline.transform(gold)),
        list(candidate.transform(gold)),
        labels,
        baseline.scorer.label_roles,
        **options,
    )
    report["baseline"] = baseline.name
    report["candidate"] = candidate.name
    return report
