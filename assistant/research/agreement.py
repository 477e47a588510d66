"""Agreement between two coders of the same transcripts (human vs machine, or two humans).

Both files are in the interchange format (``turns.jsonl`` from ``alliance code``, a
lab's own JSONL/CSV with a ``tags`` column, or any reader format). Turns are paired by
``conversation_id`` and ``turn_index``. A is the reference:

- per tag, over the turns of the role the tag applies to: percent agreement, Cohen's
  kappa, and precision, recall and F1 of B against A;
- per session: ICC(2,1) (Shrout & Fleiss 1979: two-way random effects, absolute
  agreement, single rater) for each tag's count and for the MITI-style summary scores
  of the session profile (reflection-to-question ratio, % complex reflections,
  % open questions) and ``overall``;
- 95% confidence intervals by a percentile bootstrap over sessions (turns stay with
  their session, which respects their dependence), with a fixed seed.

A statistic that is undefined (kappa when neither coder ever used the tag, ICC when
no session varies) is reported as ``None``, never as a made-up 0 or 1.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ValidationError
from assistant.model import CLIENT_TAGS, THERAPIST_TAGS, Transcript, Turn

logger = logging.getLogger(__name__)

SUMMARY_SCORES = (
    "reflection_to_question",
    "percent_complex_reflections",
    "percent_open_questions",
    "overall",
)
TURN_STATISTICS = ("percent_agreement", "kappa", "precision", "recall", "f1")
DEFAULT_REPLICATES = 1000
DEFAULT_SEED = 13
DECIMALS = 4
# Bootstrap weights are drawn in slices of about this many (replicate, session) cells.
_SLICE_ROWS = 1_000_000


@dataclass
class Paired:
    """The sessions both coders coded, with their turns paired by index."""

    session_ids: list[str]
    a: list[Transcript]
    b: list[Transcript]
    pairs: list[list[tuple[Turn, Turn]]]
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    unpaired_turns: int = 0
    text_mismatches: int = 0


def read_codes(path: str | Path) -> list[Transcript]:
    """Every coded transcript in a file (streamed for JSONL and CSV)."""
    from assistant.io import iter_transcripts

    transcripts = list(iter_transcripts(path))
    ids = Counter(t.id for t in transcripts)
    repeated = [cid for cid, n in ids.items() if n > 1]
    if repeated:
        raise ValidationError(
            f"conversation_id {repeated[0]!r} appears {ids[repeated[0]]} times; "
            "expected each session once",
            path=path,
        )
    return transcripts


def pair_codes(a: Sequence[Transcript], b: Sequence[Transcript]) -> Paired:
    """Sessions in both (in A's order), their turns paired by ``turn_index``."""
    by_id = {t.id: t for t in b}
    paired = Paired([], [], [], [])
    ids_a = {t.id for t in a}
    paired.only_b = [t.id for t in b if t.id not in ids_a]
    for first in a:
        second = by_id.get(first.id)
        if second is None:
            paired.only_a.append(first.id)
            continue
        other = {turn.index: turn for turn in second.turns}
        pairs = []
        for turn in first.turns:
            match = other.pop(turn.index, None)
            if match is None:
                paired.unpaired_turns += 1
                continue
            if " ".join(turn.text.split()) != " ".join(match.text.split()):
                paired.text_mismatches += 1
            pairs.append((turn, match))
        paired.unpaired_turns += len(other)
        if pairs:
            paired.session_ids.append(first.id)
            paired.a.append(first)
            paired.b.append(second)
            paired.pairs.append(pairs)
    if not paired.session_ids:
        raise ValidationError(
            "the two files share no coded turns; expected the same conversation_id and "
            "turn_index values in both"
        )
    return paired


def label_order(a: Sequence[Transcript], b: Sequence[Transcript]) -> list[str]:
    """Every tag either coder used: ours first in codebook order, then the rest sorted."""
    used = {tag for ts in (a, b) for t in ts for turn in t.turns for tag in turn.tags}
    ours = THERAPIST_TAGS + CLIENT_TAGS
    return [tag for tag in ours if tag in used] + sorted(used - set(ours))


def tag_roles(labels: Sequence[str], paired: Paired) -> dict[str, str]:
    """The role each tag applies to: ours by the codebook, a lab's by where A used it most."""
    known = {**dict.fromkeys(THERAPIST_TAGS, "therapist"), **dict.fromkeys(CLIENT_TAGS, "client")}
    seen: dict[str, Counter[str]] = {}
    for pairs in paired.pairs:
        for first, second in pairs:
            for tag in {*first.tags, *second.tags}:
                seen.setdefault(tag, Counter())[first.role.value] += 1
    return {
        tag: known.get(tag) or (seen[tag].most_common(1)[0][0] if tag in seen else "")
        for tag in labels
    }


# ----------------------------------------------------------------------------- statistics


def turn_statistics(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Statistics from 2x2 tables ``[..., (tp, fp, fn, tn)]`` (B against reference A).

    Works on one table or a stack of them (bootstrap replicates); undefined values are NaN.
    """
    counts = np.asarray(counts, dtype=np.float64)
    tp, fp, fn, tn = (counts[..., i] for i in range(4))
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = (tp + tn) / n
        expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        kappa = np.where(expected < 1.0, (observed - expected) / (1.0 - expected), np.nan)
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        f1 = 2 * tp / (2 * tp + fp + fn)
    return {
        "percent_agreement": observed,
        "kappa": kappa,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def icc_2_1(ratings: np.ndarray) -> np.ndarray:
    """ICC(2,1) of ``ratings[..., subjects, raters]`` (Shrout & Fleiss 1979, case 2).

    ICC = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n), from the two-way ANOVA
    of subjects (rows) by raters (columns). NaN where it is undefined.
    """
    x = np.asarray(ratings, dtype=np.float64)
    n, k = x.shape[-2], x.shape[-1]
    if n < 2 or k < 2:
        return np.full(x.shape[:-2], np.nan)
    grand = x.mean(axis=(-2, -1), keepdims=True)
    rows = x.mean(axis=-1, keepdims=True)
    cols = x.mean(axis=-2, keepdims=True)
    ss_rows = k * ((rows - grand) ** 2).sum(axis=(-2, -1))
    ss_cols = n * ((cols - grand) ** 2).sum(axis=(-2, -1))
    ss_total = ((x - grand) ** 2).sum(axis=(-2, -1))
    ms_rows = ss_rows / (n - 1)
    ms_cols = ss_cols / (k - 1)
    ms_error = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
    denominator = ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        icc = (ms_rows - ms_error) / denominator
    return np.where(np.abs(denominator) > 1e-12, icc, np.nan)


def _value(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), DECIMALS)


def _interval(estimate: float, replicates: np.ndarray, level: float) -> dict[str, Any]:
    finite = replicates[np.isfinite(replicates)]
    # Too few defined replicates make a percentile interval meaningless.
    if not np.isfinite(estimate) or finite.size < max(20, replicates.size // 2):
        low = high = None
    else:
        tail = (1 - level) / 2 * 100
        low, high = (round(float(v), DECIMALS) for v in np.percentile(finite, [tail, 100 - tail]))
    return {"estimate": _value(estimate), "low": low, "high": high}


# ----------------------------------------------------------------------------- the report


def icc_from_moments(moments: np.ndarray) -> np.ndarray:
    """ICC(2,1) for two raters from (weighted) sums over subjects.

    ``moments[..., :]`` holds (n, sum x1, sum x2, sum x1^2, sum x2^2, sum (x1+x2)^2):
    the same ANOVA as ``icc_2_1`` with k = 2, so a bootstrap replicate is one matrix
    product of session weights and per-session terms. NaN where it is undefined.
    """
    n, s1, s2, q1, q2, r = (moments[..., i] for i in range(6))
    k = 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        correction = (s1 + s2) ** 2 / (n * k)
        ss_total = q1 + q2 - correction
        ss_rows = r / k - correction
        ss_cols = (s1 * s1 + s2 * s2) / n - correction
        ms_rows = ss_rows / (n - 1)
        ms_cols = ss_cols / (k - 1)
        ms_error = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
        denominator = ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n
        icc = (ms_rows - ms_error) / denominator
        scale = np.maximum((q1 + q2) / (n * k), 1e-12)
    return np.where((n >= 2) & (denominator > 1e-9 * scale), icc, np.nan)


def _moment_terms(values: np.ndarray) -> np.ndarray:
    """Per-subject ICC terms (..., 6) from ratings (..., 2); a missing rating drops the row."""
    present = np.isfinite(values).all(axis=-1)
    x = np.where(present[..., None], values, 0.0)
    x1, x2 = x[..., 0], x[..., 1]
    return np.stack([present.astype(np.float64), x1, x2, x1 * x1, x2 * x2, (x1 + x2) ** 2], axis=-1)


def _session_tables(paired: Paired, labels: Sequence[str], roles: dict[str, str]) -> np.ndarray:
    """Per session and tag, the 2x2 counts (tp, fp, fn, tn) of B against A: (S, T, 4)."""
    position = {tag: t for t, tag in enumerate(labels)}
    role_of = [roles[tag] for tag in labels]
    tables = np.zeros((len(paired.pairs), len(labels), 4), dtype=np.int64)
    for s, pairs in enumerate(paired.pairs):
        turns_by_role: Counter[str] = Counter()
        for first, second in pairs:
            role = first.role.value
            turns_by_role[role] += 1
            in_a, in_b = set(first.tags), set(second.tags)
            for tag in in_a | in_b:
                t = position.get(tag)
                if t is None or (role_of[t] and role_of[t] != role):
                    continue
                tables[s, t, 0 if tag in in_a and tag in in_b else 1 if tag in in_b else 2] += 1
        for t, role in enumerate(role_of):
            eligible = turns_by_role[role] if role else len(pairs)
            tables[s, t, 3] = eligible - tables[s, t, :3].sum()
    return tables


def _summary_scores(paired: Paired) -> np.ndarray:
    """Per session and summary score, each coder's value from the profile: (S, M, 2)."""
    from assistant.profile import build_profile

    values = np.full((len(paired.a), len(SUMMARY_SCORES), 2), np.nan)
    for s, (first, second) in enumerate(zip(paired.a, paired.b, strict=True)):
        pairs = paired.pairs[s]
        # Profiles from the paired turns only, so both coders are scored on the same turns.
        for c, transcript in enumerate((first, second)):
            if len(pairs) != len(transcript.turns):
                turns = [pair[c] for pair in pairs]
                transcript = transcript.model_copy(update={"turns": turns})
            profile = build_profile(transcript)
            for m, name in enumerate(SUMMARY_SCORES):
                value = getattr(profile, name)
                if value is not None:
                    values[s, m, c] = value
    return values


def agreement(
    a: Sequence[Transcript],
    b: Sequence[Transcript],
    *,
    tags: Sequence[str] | None = None,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
) -> dict[str, Any]:
    """The full agreement report of coder B against reference coder A (a JSON-ready dict)."""
    if replicates < 0:
        raise ValidationError(f"bootstrap replicates must be 0 or more (got {replicates})")
    if not 0 < level < 1:
        raise ValidationError(f"confidence level must be between 0 and 1 (got {level})")
    paired = pair_codes(a, b)
    labels = list(tags) if tags else label_order(paired.a, paired.b)
    if not labels:
        raise ValidationError("neither coder used any tag; there is nothing to compare")
    roles = tag_roles(labels, paired)
    tables = _session_tables(paired, labels, roles)  # (S, T, 4)
    totals = np.stack([tables[..., 0] + tables[..., 2], tables[..., 0] + tables[..., 1]], -1)
    scores = _summary_scores(paired)  # (S, M, 2)
    sessions, n_tags, n_scores = len(paired.session_ids), len(labels), len(SUMMARY_SCORES)

    # Every statistic is a function of sums over sessions, so one matrix holds the
    # per-session terms and a bootstrap replicate is (session weights) @ terms.
    terms = np.concatenate(
        [
            tables.reshape(sessions, -1).astype(np.float64),
            _moment_terms(totals.astype(np.float64)).reshape(sessions, -1),
            _moment_terms(scores).reshape(sessions, -1),
        ],
        axis=1,
    )
    cut_tables, cut_counts = n_tags * 4, n_tags * 4 + n_tags * 6

    def statistics(summed: np.ndarray) -> dict[str, np.ndarray]:
        rows = summed.shape[:-1]
        out = turn_statistics(summed[..., :cut_tables].reshape(*rows, n_tags, 4))
        out["count_icc"] = icc_from_moments(
            summed[..., cut_tables:cut_counts].reshape(*rows, n_tags, 6)
        )
        out["score_icc"] = icc_from_moments(summed[..., cut_counts:].reshape(*rows, n_scores, 6))
        return out

    point = statistics(terms.sum(axis=0))
    boot = {name: np.empty((replicates, *value.shape)) for name, value in point.items()}
    rng = np.random.default_rng(seed)
    step = max(1, _SLICE_ROWS // sessions)
    for start in range(0, replicates, step):
        stop = min(replicates, start + step)
        # Resampling sessions with replacement = multinomial counts of each session.
        weights = rng.multinomial(sessions, np.full(sessions, 1.0 / sessions), size=stop - start)
        for name, values in statistics(weights @ terms).items():
            boot[name][start:stop] = values

    tag_report: dict[str, Any] = {}
    for t, tag in enumerate(labels):
        table = tables[:, t].sum(axis=0)
        tag_report[tag] = {
            "role": roles[tag] or "any",
            "turns": int(table.sum()),
            "a_count": int(table[0] + table[2]),
            "b_count": int(table[0] + table[1]),
            **{
                name: _interval(point[name][t], boot[name][:, t], level) for name in TURN_STATISTICS
            },
        }
    counts_report = {
        tag: {
            "icc": _interval(point["count_icc"][t], boot["count_icc"][:, t], level),
            "sessions": sessions,
            "mean_a": _value(totals[:, t, 0].mean()),
            "mean_b": _value(totals[:, t, 1].mean()),
        }
        for t, tag in enumerate(labels)
    }
    summary_report = {}
    for m, name in enumerate(SUMMARY_SCORES):
        values = scores[:, m]
        both = np.isfinite(values).all(axis=1)
        summary_report[name] = {
            "icc": _interval(point["score_icc"][m], boot["score_icc"][:, m], level),
            "sessions": int(both.sum()),
            "mean_a": _value(values[both, 0].mean()) if both.any() else None,
            "mean_b": _value(values[both, 1].mean()) if both.any() else None,
        }
    return {
        "sessions": sessions,
        "turns": int(sum(len(p) for p in paired.pairs)),
        "unmatched": {
            "sessions_only_in_a": len(paired.only_a),
            "sessions_only_in_b": len(paired.only_b),
            "turns_without_partner": paired.unpaired_turns,
            "turns_with_different_text": paired.text_mismatches,
        },
        "bootstrap": {"replicates": replicates, "seed": seed, "level": level, "unit": "session"},
        "tags": tag_report,
        "session_icc": {"counts": counts_report, "summary_scores": summary_report},
    }


def compare_files(
    path_a: str | Path,
    path_b: str | Path,
    **options: Any,
) -> dict[str, Any]:
    """``agreement`` of two coded files, with their paths in the report."""
    report = agreement(read_codes(path_a), read_codes(path_b), **options)
    unmatched = report["unmatched"]
    if unmatched["sessions_only_in_a"] or unmatched["sessions_only_in_b"]:
        logger.warning(
            "%d sessions are only in A and %d only in B; they are left out",
            unmatched["sessions_only_in_a"],
            unmatched["sessions_only_in_b"],
        )
    if unmatched["turns_with_different_text"]:
        logger.warning(
            "%d paired turns have different text; check that both files segment the "
            "sessions the same way",
            unmatched["turns_with_different_text"],
        )
    return {"a": str(path_a), "b": str(path_b), **report}


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report as long rows (level, statistic, name, estimate, low, high, n) for CSV."""
    rows: list[dict[str, Any]] = []
    for tag, entry in report["tags"].items():
        for statistic in TURN_STATISTICS:
            rows.append(
                {
                    "level": "turn",
                    "statistic": statistic,
                    "name": tag,
                    **entry[statistic],
                    "n": entry["turns"],
                }
            )
    for group, key in (("counts", "session_count"), ("summary_scores", "session_score")):
        for name, entry in report["session_icc"][group].items():
            rows.append(
                {
                    "level": key,
                    "statistic": "icc_2_1",
                    "name": name,
                    **entry["icc"],
                    "n": entry["sessions"],
                }
            )
    return rows


def report_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    columns = ["level", "statistic", "name", "estimate", "low", "high", "n"]
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for row in report_rows(report):
        writer.writerow({k: "" if row[k] is None else row[k] for k in columns})
    return buffer.getvalue()


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
