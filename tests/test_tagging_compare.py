"""Two models against the same gold codes: paired F1 differences with a bootstrap interval."""

from __future__ import annotations

import pytest

from assistant.errors import ValidationError
from assistant.model import Transcript
from assistant.tagging.compare import compare_predictions
from tests.test_tagging_evaluate import _transcript

LABELS = ["reflection", "open_question", "rupture_withdrawal"]


def _session(tid: str, therapist: list[list[str]]) -> Transcript:
    """A session of therapist turns with the given tags, each after an untagged client turn."""
    rows: list[tuple[str, list[str], dict]] = []
    for tags in therapist:
        rows += [("C", [], {}), ("T", tags, {})]
    return _transcript(tid, rows)


GOLD_TAGS = [["reflection"], ["reflection"], ["open_question"], []]


def _gold() -> list[Transcript]:
    return [_session(f"s{k}", GOLD_TAGS) for k in range(6)]


def test_compare_identical_predictions_differ_by_nothing():
    gold = _gold()
    report = compare_predictions(gold, gold, gold, LABELS, min_support=1)
    reflection = report["tags"]["reflection"]
    assert reflection["baseline_f1"] == reflection["candidate_f1"] == 1.0
    assert reflection["difference"] == 0.0 and reflection["interval"] == [0.0, 0.0]
    assert report["macro_f1"]["difference"] == 0.0
    assert report["macro_f1"]["share_better"] == 0.0
    assert report["sessions"] == 6 and report["turns"] == 48


def test_compare_scores_each_side_and_the_difference_by_hand():
    gold = _gold()
    # Baseline misses every second reflection: tp 6, fn 6 -> F1 = 12 / 18 = 2/3.
    baseline = [_session(f"s{k}", [["reflection"], [], ["open_question"], []]) for k in range(6)]
    candidate = gold
    report = compare_predictions(gold, baseline, candidate, LABELS, min_support=1)
    reflection = report["tags"]["reflection"]
    assert reflection["support"] == 12
    assert reflection["baseline_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert reflection["candidate_f1"] == 1.0
    assert reflection["difference"] == pytest.approx(1 / 3, abs=1e-4)
    # The same miss in every session: every resample gives the same difference.
    low, high = reflection["interval"]
    assert low == pytest.approx(1 / 3, abs=1e-4) and high == pytest.approx(1 / 3, abs=1e-4)
    # Macro over reflection and open_question (withdrawal has no gold positives).
    assert report["macro_f1"]["tags"] == ["reflection", "open_question"]
    assert report["macro_f1"]["difference"] == pytest.approx(1 / 6, abs=1e-4)
    assert report["macro_f1"]["share_better"] == 1.0
    # Per code too: reflection is ahead in every resample, open questions in none.
    assert reflection["share_better"] == 1.0
    assert report["tags"]["open_question"]["share_better"] == 0.0


def test_compare_interval_widens_when_sessions_disagree():
    gold = _gold()
    # The candidate is perfect on three sessions and misses every reflection on three.
    candidate = [
        _session(f"s{k}", GOLD_TAGS if k < 3 else [[], [], ["open_question"], []]) for k in range(6)
    ]
    report = compare_predictions(gold, gold, candidate, LABELS, min_support=1, seed=3)
    low, high = report["tags"]["reflection"]["interval"]
    assert low < report["tags"]["reflection"]["difference"] < 0 and low < high <= 0.0
    again = compare_predictions(gold, gold, candidate, LABELS, min_support=1, seed=3)
    assert again == report  # the seed makes the bootstrap reproducible


def test_compare_counts_a_tag_only_on_its_role():
    gold = [_transcript("a", [("C", [], {}), ("T", ["reflection"], {})])]
    # A therapist code on a client turn is not a false positive for that code.
    wrong_role = [_transcript("a", [("C", ["reflection"], {}), ("T", ["reflection"], {})])]
    report = compare_predictions(gold, gold, wrong_role, LABELS, min_support=1, replicates=0)
    assert report["tags"]["reflection"]["candidate_f1"] == 1.0
    assert report["tags"]["reflection"]["interval"] is None
    assert report["macro_f1"]["share_better"] is None


def test_compare_leaves_rare_tags_out_of_macro():
    gold = _gold()
    report = compare_predictions(gold, gold, gold, LABELS, min_support=7)
    assert report["macro_f1"]["tags"] == ["reflection"]
    assert report["tags"]["open_question"]["in_macro"] is False
    with pytest.raises(ValidationError, match="no tag has 13 or more"):
        compare_predictions(gold, gold, gold, LABELS, min_support=13)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"replicates": -1}, "replicates must be 0 or more"),
        ({"level": 1.5}, "confidence level"),
        ({"min_support": 0}, "minimum support"),
    ],
)
def test_compare_rejects_bad_options(options, message):
    gold = _gold()
    with pytest.raises(ValidationError, match=message):
        compare_predictions(gold, gold, gold, LABELS, **options)


def test_compare_needs_a_prediction_for_every_gold_transcript():
    gold = _gold()
    with pytest.raises(ValueError, match="no matching prediction for transcript 's5'"):
        compare_predictions(gold, gold, gold[:5], LABELS)
