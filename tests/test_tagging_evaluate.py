import pytest

from assistant.model import Role, Transcript, Turn
from assistant.tagging.evaluate import (
    binary_scores,
    cohen_kappa,
    confusion_summary,
    evaluate_predictions,
)


def test_evaluate_binary_scores_counts_and_f1():
    gold = [True, True, False, False, True]
    pred = [True, False, True, False, True]
    s = binary_scores("x", gold, pred)
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 1, 1)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.support == 3 and s.predicted == 3


def test_evaluate_kappa_matches_hand_computation():
    # 2x2: tp=20 fp=5 fn=10 tn=15 -> po=.7, pe=(25*30+25*20)/2500=.5, kappa=.4
    assert cohen_kappa(20, 5, 10, 15) == pytest.approx(0.4)
    assert cohen_kappa(0, 0, 0, 10) == 1.0  # both say "no" everywhere
    assert cohen_kappa(5, 5, 5, 5) == pytest.approx(0.0)


def _transcript(tid, rows):
    return Transcript(
        id=tid,
        turns=[
            Turn(
                index=i,
                speaker=s,
                role=Role.THERAPIST if s == "T" else Role.CLIENT,
                text="x",
                tags=tags,
                attributes=attrs,
            )
            for i, (s, tags, attrs) in enumerate(rows)
        ],
    )


def test_evaluate_counts_tags_only_on_their_role_and_scores_depth():
    gold = _transcript(
        "a",
        [
            ("T", ["reflection"], {"reflection": {"depth": "complex"}}),
            ("C", ["rupture_withdrawal"], {}),
            ("T", ["open_question"], {}),
            ("C", [], {}),
        ],
    )
    pred = _transcript(
        "a",
        [
            ("T", ["reflection"], {"reflection": {"depth": "simple"}}),
            ("C", [], {}),
            ("T", ["closed_question"], {}),
            ("C", [], {}),
        ],
    )
    labels = ["reflection", "open_question", "closed_question", "rupture_withdrawal"]
    report = evaluate_predictions([gold], [pred], labels)
    tags = report["tags"]
    assert tags["reflection"]["f1"] == 1.0
    assert tags["reflection"]["tn"] == 1  # the two client turns are not counted
    assert tags["rupture_withdrawal"]["fn"] == 1 and tags["rupture_withdrawal"]["tn"] == 1
    assert report["attributes"]["reflection.depth"]["accuracy"] == 0.0
    assert report["attributes"]["reflection.depth"]["count complex->simple"] == 1
    assert report["confusion"]["open_question"]["missed_as"] == [("closed_question", 1)]


def test_evaluate_confusion_reports_none_for_plain_misses():
    gold = _transcript("a", [("T", ["warmth"], {}), ("T", [], {})])
    pred = _transcript("a", [("T", [], {}), ("T", ["warmth"], {})])
    summary = confusion_summary(
        [(g, p) for g, p in zip(gold.turns, pred.turns, strict=True)], ["warmth"]
    )
    assert summary["warmth"] == {"missed_as": [("(none)", 1)], "spurious_on": [("(none)", 1)]}


def test_evaluate_rejects_misaligned_predictions():
    gold = _transcript("a", [("T", [], {}), ("C", [], {})])
    with pytest.raises(ValueError, match="no matching prediction"):
        evaluate_predictions([gold], [_transcript("b", [("T", [], {}), ("C", [], {})])], ["warmth"])
