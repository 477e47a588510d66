"""The final score of a tag mixes the head's probability with the adapter's own, with a
per-tag weight chosen on out-of-fold F1 in training (``adapter_weights``)."""

import numpy as np
import pytest

from assistant.model import Role, Transcript, Turn
from assistant.tagging.components import build_nlp
from assistant.tagging.features import FeatureSpec
from assistant.tagging.pipeline import Scorer
from assistant.tagging.train import DevGroup, tune_thresholds

LABELS = ["advice", "warmth"]
ROLES = {"advice": "therapist", "warmth": "therapist"}
SPEC = FeatureSpec(
    embedding_dim=2,
    cue_tags=(),
    views=(),
    context_views=(),
    surface=(),
    extra=(),
    stacked=tuple(LABELS),
)


class ConstantHead:
    """A head that cannot tell turns apart: the same probability for every tag."""

    def __init__(self, p: float) -> None:
        self.p = p

    def predict(self, x, bfloat16=False):
        return np.full((len(x), len(LABELS)), self.p, dtype=np.float32), {}


def _features(adapter_probs: np.ndarray) -> np.ndarray:
    x = np.zeros((len(adapter_probs), SPEC.dim), dtype=np.float32)
    x[:, SPEC.stacked_columns] = adapter_probs
    return x


def test_blend_mixes_head_and_adapter_per_tag_and_leaves_others_alone():
    scorer = Scorer(ConstantHead(0.2), LABELS, ROLES, {}, {}, (), SPEC, {"advice": 0.75})
    adapter = np.array([[1.0, 1.0], [0.0, 0.0]], dtype=np.float32)
    probs = scorer.blend(np.full((2, 2), 0.2, dtype=np.float32), _features(adapter))
    np.testing.assert_allclose(probs[:, 0], [0.25 * 0.2 + 0.75, 0.25 * 0.2])
    np.testing.assert_allclose(probs[:, 1], [0.2, 0.2])  # warmth: head only


def test_blend_without_weights_or_stacked_columns_is_the_head():
    probs = np.full((2, 2), 0.3, dtype=np.float32)
    plain = Scorer(ConstantHead(0.3), LABELS, ROLES, {}, {}, (), SPEC, {})
    assert plain.blend(probs, _features(np.ones((2, 2)))) is probs
    frozen = Scorer(ConstantHead(0.3), LABELS, ROLES, {}, {}, (), None, {"advice": 0.5})
    assert frozen.blend(probs, np.zeros((2, 3))) is probs


def _dev_group(gold: list[bool]) -> DevGroup:
    """Therapist turns only; the adapter's advice probability is right, warmth's is noise."""
    texts = [f"turn number {i}" for i in range(len(gold))]
    turns = [
        Turn(
            index=20 + i, speaker="T", role=Role.THERAPIST, text=text, tags=["advice"] if g else []
        )
        for i, (text, g) in enumerate(zip(texts, gold, strict=True))
    ]
    transcript = Transcript(id="dev", turns=turns)
    rng = np.random.default_rng(0)
    adapter = np.stack([np.where(gold, 0.9, 0.1), rng.uniform(size=len(gold))], axis=1)
    scorer = Scorer(ConstantHead(0.5), LABELS, ROLES, {}, {}, (), SPEC)
    docs = list(build_nlp(None).pipe(texts))
    return DevGroup(scorer, [transcript], texts, docs, _features(adapter.astype(np.float32)))


def test_tuning_gives_the_adapter_weight_only_where_it_helps():
    group = _dev_group([i % 3 == 0 for i in range(30)])
    thresholds, dev_f1, weights = tune_thresholds([group], LABELS, SPEC.stacked)
    assert weights.get("advice", 0.0) > 0  # the head alone cannot separate the turns
    assert dev_f1["advice"] == pytest.approx(1.0)
    assert "warmth" not in weights  # no gold warmth: nothing to choose on
    assert 0.1 <= thresholds["advice"] <= 0.9
