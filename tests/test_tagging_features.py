import numpy as np
import pytest

from assistant.model import Role, Transcript, Turn
from assistant.tagging.codebook import DEFAULT_CODEBOOK
from assistant.tagging.components import build_nlp
from assistant.tagging.features import (
    FeatureSpec,
    build_matrix,
    session_length,
    slots_for,
)


def _transcript(tid, texts, start=0, **source):
    turns = [
        Turn(
            index=start + i,
            speaker="T" if i % 2 == 0 else "C",
            role=Role.THERAPIST if i % 2 == 0 else Role.CLIENT,
            text=text,
        )
        for i, text in enumerate(texts)
    ]
    return Transcript(id=tid, turns=turns, source=source)


def test_features_session_length_from_source_scene_or_turns():
    assert session_length(_transcript("a", ["x", "y"], session_length=60)) == 60
    assert session_length(_transcript("a", ["x", "y"], start=14, format="scenes")) == 120
    assert session_length(_transcript("a", ["x", "y", "z"], start=5)) == 8


def test_features_slots_link_each_turn_to_its_predecessor_within_a_transcript():
    slots = slots_for([_transcript("a", ["x", "y", "z"]), _transcript("b", ["p", "q"])])
    assert [s.prev for s in slots] == [None, 0, 1, None, 3]
    assert [s.next for s in slots] == [1, 2, None, 4, None]
    assert slots[2].window == (0, 1)
    assert slots[3].window == ()


def test_features_matrix_layout_puts_views_context_and_relations_in_place():
    nlp = build_nlp(None)
    texts = ["what happened at work?", "my boss shouted at me", "your boss shouted at you"]
    docs = list(nlp.pipe(texts))
    mean = np.eye(3, 4, dtype=np.float32)
    tail = np.full((3, 4), 0.5, dtype=np.float32)
    spec = FeatureSpec(embedding_dim=4, cue_tags=("a", "b"), views=("mean", "tail"))
    assert spec.encoder_views == ("mean", "tail")
    x = build_matrix(
        spec, slots_for([_transcript("a", texts, start=0)]), docs, {"mean": mean, "tail": tail}
    )
    assert x.shape == (3, spec.dim)
    np.testing.assert_array_equal(x[1, :4], mean[1])  # the turn
    np.testing.assert_array_equal(x[1, 4:8], tail[1])  # its last sentence
    np.testing.assert_array_equal(x[1, 8:12], mean[0])  # the turn before it
    np.testing.assert_array_equal(x[0, 8:12], 0.0)  # no turn before the first
    extra = dict(zip(spec.extra, x[2, -len(spec.extra) :], strict=True))
    assert extra["role_therapist"] == 1.0 and extra["has_prev"] == 1.0
    assert extra["opening"] == 1.0
    assert extra["position"] == pytest.approx(2 / 2)
    # "your boss shouted at you" shares boss/shouted with the client's turn
    assert extra["prev_overlap_turn"] == pytest.approx(1.0)
    assert extra["prev_overlap_prev"] == pytest.approx(1.0)
    first = dict(zip(spec.extra, x[0, -len(spec.extra) :], strict=True))
    assert first["prev_overlap_turn"] == 0.0 and first["other_role_similarity"] == 0.0


def test_features_spec_round_trips_through_the_manifest():
    spec = FeatureSpec(4, ("a",), views=("mean", "layer3"))
    assert FeatureSpec.from_dict(spec.to_dict()) == spec
    assert spec.to_dict()["dim"] == spec.dim


def test_features_stacked_columns_hold_the_turns_own_adapter_probabilities():
    nlp = build_nlp(None)
    texts = ["what happened at work?", "my boss shouted at me"]
    docs = list(nlp.pipe(texts))
    spec = FeatureSpec(embedding_dim=4, cue_tags=(), views=("mean",), stacked=("x", "y"))
    stacked = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)
    views = {"mean": np.eye(2, 4, dtype=np.float32)}
    x = build_matrix(spec, slots_for([_transcript("a", texts, start=0)]), docs, views, stacked)
    np.testing.assert_allclose(x[:, spec.stacked_columns], stacked)


def test_features_client_turns_see_the_therapists_reply_and_therapist_turns_do_not():
    nlp = build_nlp(None)
    texts = ["you seem quiet today", "fine. whatever.", "it sounds like something's off"]
    docs = list(nlp.pipe(texts))
    spec = FeatureSpec(
        embedding_dim=4, cue_tags=(), views=("mean",), stacked=("x", "y"), reply_roles=("client",)
    )
    plain = FeatureSpec(embedding_dim=4, cue_tags=(), views=("mean",), stacked=("x", "y"))
    assert spec.dim == plain.dim + len(spec.surface) + 2 + 2
    assert plain.next_turn_columns.stop == plain.next_turn_columns.start  # none without replies
    assert FeatureSpec.from_dict(spec.to_dict()) == spec
    assert FeatureSpec.from_dict(plain.to_dict()).reply_roles == ()  # older manifests
    stacked = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], dtype=np.float32)
    mean = np.array([[1, 0, 0, 0], [0, 0.6, 0.8, 0], [0, 0, 1, 0]], dtype=np.float32)
    x = build_matrix(spec, slots_for([_transcript("a", texts)]), docs, {"mean": mean}, stacked)
    a, s = 2, len(spec.surface)
    block = x[:, spec.next_turn_columns]
    # The client's turn (row 1) carries the therapist's reply: its adapter probabilities,
    # the has-reply flag and the similarity of the two turns.
    np.testing.assert_allclose(block[1, s : s + a], stacked[2])
    assert block[1, s + a] == 1.0
    assert block[1, s + a + 1] == pytest.approx(0.8)
    assert block[1, :s].any()  # the reply's surface features
    np.testing.assert_array_equal(block[0], 0.0)  # a therapist turn: no reply features
    np.testing.assert_array_equal(block[2], 0.0)  # the last turn has no reply yet
    np.testing.assert_allclose(x[:, spec.stacked_columns], stacked)


def test_features_window_and_similarity_columns_match_a_turn_by_turn_reading():
    # Two transcripts in one batch: windows and "latest other-role turn" stop at the border.
    texts_a = ["so what brings you in", "sorry i'm late", "it took real courage", "mm", "go on"]
    texts_b = ["what happened", "nothing"]
    transcripts = [_transcript("a", texts_a), _transcript("b", texts_b)]
    nlp = build_nlp(DEFAULT_CODEBOOK)
    docs = list(nlp.pipe(texts_a + texts_b))
    rng = np.random.default_rng(3)
    mean = rng.normal(size=(7, 4)).astype(np.float32)
    mean /= np.linalg.norm(mean, axis=1, keepdims=True)
    tags = ("open_question", "repair", "warmth")
    spec = FeatureSpec(embedding_dim=4, cue_tags=tags, views=("mean",), context_views=())
    slots = slots_for(transcripts)
    x = build_matrix(spec, slots, docs, {"mean": mean})
    k = len(tags)
    own, window = x[:, 4 : 4 + k], x[:, 4 + 2 * k : 4 + 3 * k]
    assert own[1].tolist() == [0.0, 1.0, 0.0] and own[2].tolist() == [0.0, 0.0, 1.0]
    for row, slot in enumerate(slots):
        expected = own[list(slot.window)].max(axis=0) if slot.window else np.zeros(k)
        np.testing.assert_array_equal(window[row], expected)
    assert window[5].tolist() == [0.0, 0.0, 0.0]  # first turn of "b" sees nothing of "a"
    extra = x[:, -len(spec.extra) :]
    similarity = spec.extra.index("prev_similarity")
    other = spec.extra.index("other_role_similarity")
    assert extra[0, similarity] == 0.0 and extra[5, other] == 0.0
    assert extra[4, similarity] == pytest.approx(float(mean[4] @ mean[3]), abs=1e-6)
    assert extra[6, other] == pytest.approx(float(mean[6] @ mean[5]), abs=1e-6)


def test_features_rows_by_one_speaker_share_the_context_of_their_turn():
    # Utterance-segmented input: the therapist's turn arrives as rows 1 and 2.
    speakers = ["C", "T", "T", "C", "C", "T"]
    turns = [
        Turn(
            index=10 + i,
            speaker=s,
            role=Role.THERAPIST if s == "T" else Role.CLIENT,
            text=f"row {i}",
        )
        for i, s in enumerate(speakers)
    ]
    slots = slots_for([Transcript(id="u", turns=turns)])
    assert [s.prev for s in slots] == [None, 0, 0, 2, 2, 4]
    assert [s.prev_speaker_same for s in slots] == [False, False, True, False, True, False]
    assert [s.next for s in slots] == [1, 3, 3, 5, 5, None]
    assert [s.window for s in slots] == [(), (0,), (0,), (0, 1, 2), (0, 1, 2), (2, 3, 4)]
    # The place in the session counts turns: 10, 11, 11, 12, 12, 13.
    assert [s.index for s in slots] == [10, 11, 11, 12, 12, 13]


def test_features_a_transcript_without_runs_reads_as_before():
    slots = slots_for([_transcript("a", ["x", "y", "z", "w"], start=7)])
    assert [s.prev for s in slots] == [None, 0, 1, 2]
    assert [s.index for s in slots] == [7, 8, 9, 10]
    assert not any(s.prev_speaker_same for s in slots)
