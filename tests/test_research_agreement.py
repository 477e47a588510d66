"""Agreement statistics against hand-computed and published values."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import ValidationError
from assistant.model import Role, Transcript, Turn
from assistant.research.agreement import (
    _moment_terms,
    agreement,
    icc_2_1,
    icc_from_moments,
    pair_codes,
    turn_statistics,
)

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges; ICC(2,1) = .29.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
)


def session(cid: str, codes: list[tuple[str, list[str]]]) -> Transcript:
    """A transcript whose turns alternate T/C text and carry the given tags."""
    turns = [
        Turn(
            index=i,
            speaker=role,
            role=Role.THERAPIST if role == "T" else Role.CLIENT,
            text=f"turn {i}",
            tags=tags,
        )
        for i, (role, tags) in enumerate(codes)
    ]
    return Transcript(id=cid, turns=turns)


def test_research_icc_matches_shrout_and_fleiss() -> None:
    assert round(float(icc_2_1(SHROUT_FLEISS)), 2) == 0.29
    assert float(icc_2_1(np.array([[1, 1], [2, 2], [5, 5]]))) == pytest.approx(1.0)
    # A constant offset between raters lowers absolute agreement, unlike consistency.
    assert float(icc_2_1(np.array([[1, 3], [2, 4], [5, 7]]))) < 0.9
    assert np.isnan(icc_2_1(np.array([[2, 2], [2, 2], [2, 2]])))
    stacked = icc_2_1(np.stack([SHROUT_FLEISS, SHROUT_FLEISS]))
    assert stacked.shape == (2,) and round(float(stacked[1]), 2) == 0.29


def test_research_icc_from_session_sums_equals_the_anova() -> None:
    rng = np.random.default_rng(0)
    ratings = rng.normal(size=(30, 2)) + rng.normal(size=(30, 1)) * 2
    moments = _moment_terms(ratings).sum(axis=0)
    assert float(icc_from_moments(moments)) == pytest.approx(float(icc_2_1(ratings)))
    gappy = np.vstack([ratings, [[np.nan, 1.0]]])  # a session one coder could not score
    assert float(icc_from_moments(_moment_terms(gappy).sum(axis=0))) == pytest.approx(
        float(icc_2_1(ratings))
    )


def test_research_kappa_and_f1_from_a_two_by_two_table() -> None:
    # A: 1 1 0 0 1 0 0 0 1 1 / B: 1 0 0 0 1 0 1 0 1 1 -> tp 4, fp 1, fn 1, tn 4
    stats = turn_statistics(np.array([4, 1, 1, 4]))
    assert float(stats["percent_agreement"]) == pytest.approx(0.8)
    assert float(stats["kappa"]) == pytest.approx(0.6)
    assert float(stats["f1"]) == pytest.approx(0.8)
    skewed = turn_statistics(np.array([2, 0, 2, 6]))  # B finds half of A's, nothing else
    assert float(skewed["precision"]) == 1.0 and float(skewed["recall"]) == 0.5
    assert np.isnan(turn_statistics(np.array([0, 0, 0, 10]))["kappa"])


def _coders() -> tuple[list[Transcript], list[Transcript]]:
    a, b = [], []
    for n in range(12):
        reflections = n % 4
        codes_a = [("T", ["reflection"])] * reflections + [("T", ["open_question"])] * 2
        codes_a += [("C", [])] * 3
        codes_b = list(codes_a)
        if n % 3 == 0:  # B misses one reflection in every third session
            codes_b[0] = ("T", []) if reflections else codes_b[0]
        a.append(session(f"s{n}", codes_a))
        b.append(session(f"s{n}", codes_b))
    return a, b


def test_research_agreement_report_per_tag_and_session() -> None:
    a, b = _coders()
    report = agreement(a, b, replicates=200, seed=3)
    reflection = report["tags"]["reflection"]
    assert reflection["role"] == "therapist"
    assert reflection["a_count"] == 18 and reflection["b_count"] == 15
    assert reflection["precision"]["estimate"] == 1.0
    assert reflection["recall"]["estimate"] == pytest.approx(15 / 18, abs=1e-4)
    kappa = reflection["kappa"]
    assert kappa["low"] <= kappa["estimate"] <= kappa["high"] <= 1.0
    # Client turns are never counted for a therapist tag.
    assert reflection["turns"] == sum(len(t.therapist_turns) for t in a)
    assert report["tags"]["open_question"]["kappa"]["estimate"] == 1.0
    counts = report["session_icc"]["counts"]["reflection"]
    assert 0.8 < counts["icc"]["estimate"] < 1.0 and counts["sessions"] == 12
    rq = report["session_icc"]["summary_scores"]["reflection_to_question"]
    assert rq["sessions"] == 12 and rq["icc"]["estimate"] > 0.8
    complex_share = report["session_icc"]["summary_scores"]["percent_complex_reflections"]
    # Sessions where both coders found reflections; none is complex, so the ICC is undefined.
    assert complex_share["sessions"] == 8 and complex_share["icc"]["estimate"] is None


def test_research_bootstrap_is_reproducible_with_its_seed() -> None:
    a, b = _coders()
    first = agreement(a, b, replicates=100, seed=7)
    assert agreement(a, b, replicates=100, seed=7) == first
    other = agreement(a, b, replicates=100, seed=8)
    assert (
        other["tags"]["reflection"]["kappa"]["estimate"]
        == (first["tags"]["reflection"]["kappa"]["estimate"])
    )
    assert other["tags"]["reflection"]["kappa"] != first["tags"]["reflection"]["kappa"]


def test_research_agreement_accepts_a_labs_own_tags() -> None:
    a = [
        session(f"s{n}", [("T", ["validation"] if n % 2 else []), ("C", ["sustain_talk"])])
        for n in range(6)
    ]
    b = [
        session(f"s{n}", [("T", ["validation"] if n % 3 else []), ("C", ["sustain_talk"])])
        for n in range(6)
    ]
    report = agreement(a, b, replicates=50)
    assert list(report["tags"]) == ["sustain_talk", "validation"]
    assert report["tags"]["sustain_talk"]["role"] == "client"
    assert report["tags"]["validation"]["turns"] == 6
    assert report["tags"]["sustain_talk"]["kappa"]["estimate"] is None  # no negatives at all
    assert (
        report["session_icc"]["summary_scores"]["reflection_to_question"]["icc"]["estimate"] is None
    )


def test_research_pairing_reports_what_does_not_match() -> None:
    a = [session("s1", [("T", ["reflection"]), ("C", [])]), session("s2", [("T", [])])]
    b = [session("s1", [("T", ["reflection"])]), session("s3", [("T", [])])]
    paired = pair_codes(a, b)
    assert paired.session_ids == ["s1"] and paired.only_a == ["s2"] and paired.only_b == ["s3"]
    assert paired.unpaired_turns == 1
    with pytest.raises(ValidationError, match="share no coded turns"):
        pair_codes([session("x", [("T", [])])], [session("y", [("T", [])])])
