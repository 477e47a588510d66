"""Training on a tiny hand-written gold file produces a loadable, reproducible model."""

import json

import numpy as np
import pytest

from assistant.errors import ValidationError
from assistant.model import Role, Transcript, Turn
from assistant.tagging import clear_cache, load_tagger
from assistant.tagging.data import read_gold
from assistant.tagging.train import (
    TrainConfig,
    fit_head,
    folds_by_transcript,
    label_schema,
    train_tagger,
)

TINY_GOLD = """\
=== scene: tiny-1 | modality: MI | start: 20
C: I had a rough week, drank most nights
T [open_question]: what made it rough
C: work mostly. my boss is on me
T [reflection:simple]: your boss is on your back
C [rupture_withdrawal]: I guess
T [closed_question]: did you drink on the weekend too
C: yeah
T: mm-hmm
=== scene: tiny-2 | modality: CBT | start: 40
C: I keep thinking everyone at the party was laughing at me
T [reflection:complex]: like you were on stage and the whole room was the audience
C: exactly
T [open_question]: how did you cope with that in the moment
C: I left early
T [advice:unasked]: next time you should try staying ten more minutes
C [rupture_confrontation]: that's easy for you to say, this isn't helping
T [repair]: you're right, I jumped to a fix. I'm sorry
=== scene: tiny-3 | modality: MI | start: 5
C: my sister says I need help
T [open_question]: what do you think
C: I don't know. maybe
T [reflection:simple]: you're not sure
C: no
T [closed_question]: is it okay if we talk about the drinking
C: sure
T: okay
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("gold") / "tiny.txt"
    path.write_text(TINY_GOLD)
    return path


def test_train_tiny_gold_file_makes_a_loadable_model(tiny_file, tmp_path):
    gold = read_gold([tiny_file])
    out = tmp_path / "tiny-model"
    manifest = train_tagger(gold, out, config=TrainConfig(max_epochs=15), test=gold)
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["labels"][:3] == ["reflection", "open_question", "closed_question"]
    assert on_disk["metrics"]["test"]["tags"]["open_question"]["support"] == 3
    assert on_disk["training"]["data_sha256"] == manifest["training"]["data_sha256"]
    assert sorted(sum(on_disk["training"]["dev_folds"], [])) == ["tiny-1", "tiny-2", "tiny-3"]
    assert on_disk["head"]["members"] == 3  # 5 folds asked, 3 transcripts: 3 folds
    # Every scene also trained the head in the other transcription style (these read
    # as ASR output, so clean copies); the counts and dev folds describe the originals.
    copies = on_disk["training"]["style_copies"]
    assert copies == {"turns": on_disk["training"]["turns"], "styles": {"clean": 3}}
    assert on_disk["training"]["turns"] == 24
    assert on_disk["training"]["label_counts"]["open_question"] == 3
    assert set(on_disk["thresholds"]) == set(on_disk["labels"])
    assert on_disk["features"]["reply_roles"] == ["client"]  # client turns see the reply
    assert (out / "head.safetensors").stat().st_size < 10_000_000  # not the 90 MB encoder
    clear_cache()
    tagger = load_tagger(out)
    turn = tagger.transform_turn("what brought that on")
    assert set(turn.scores) == {t for t, r in on_disk["label_roles"].items() if r == "therapist"}


def test_train_is_reproducible(tiny_file, tmp_path):
    gold = read_gold([tiny_file])
    config = TrainConfig(max_epochs=5)
    train_tagger(gold, tmp_path / "a", config=config)
    train_tagger(gold, tmp_path / "b", config=config)
    a = json.loads((tmp_path / "a" / "manifest.json").read_text())
    b = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert a["files"]["head.safetensors"] == b["files"]["head.safetensors"]
    assert a["thresholds"] == b["thresholds"]


def test_train_without_style_copies_trains_on_the_originals_only(tiny_file, tmp_path):
    gold = read_gold([tiny_file])
    config = TrainConfig(max_epochs=3, style_copies=False)
    manifest = train_tagger(gold, tmp_path / "plain", config=config)
    assert manifest["training"]["style_copies"] == {"turns": 0, "styles": {}}


def test_train_reply_dropout_hides_the_reply_columns_from_the_head():
    # The label can only be read from the "reply" columns: with every row's reply
    # hidden the head cannot learn it; with none hidden it does.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)).astype(np.float32)
    y = (x[:, 4:5] > 0).astype(np.float32)
    mask = np.ones_like(y)

    def separation(dropout: float) -> float:
        config = TrainConfig(reply_dropout=dropout, input_dropout=0.0, dropout=0.0, lr=1e-2)
        head, _, _ = fit_head(
            x, y, mask, {}, ["z"], {}, config, epochs=20, reply_columns=slice(4, 6)
        )
        probs, _ = head.predict(x)
        return float(probs[y[:, 0] == 1, 0].mean() - probs[y[:, 0] == 0, 0].mean())

    assert separation(0.0) > 0.5
    assert abs(separation(1.0)) < 0.1


def test_train_accepts_a_labs_own_codes_from_jsonl(tmp_path):
    rows = [
        {
            "conversation_id": f"s{n}",
            "turn_index": i,
            "speaker": sp,
            "role": role,
            "text": text,
            "tags": tags,
        }
        for n in range(3)
        for i, (sp, role, text, tags) in enumerate(
            [
                ("T", "therapist", "how are you feeling today", ["question"]),
                ("C", "client", "I'm okay I guess", []),
                ("T", "therapist", "you seem tired", ["affirm_or_reflect"]),
                ("C", "client", "I hate coming here", ["resistance"]),
            ]
        )
    ]
    path = tmp_path / "lab.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    gold = read_gold([path])
    labels, roles, attributes, derived = label_schema(gold)
    assert labels == ["affirm_or_reflect", "question", "resistance"]
    assert roles["resistance"] == "client" and roles["question"] == "therapist"
    assert attributes == {} and derived == []
    manifest = train_tagger(gold, tmp_path / "lab", config=TrainConfig(max_epochs=3))
    assert manifest["labels"] == labels


def test_train_folds_are_by_transcript_and_spread_rare_labels():
    def transcript(i, tag):
        turn = Turn(index=0, speaker="T", role=Role.THERAPIST, text="x", tags=[tag])
        return Transcript(id=f"t{i}", turns=[turn])

    transcripts = [transcript(i, "rare" if i < 5 else "common") for i in range(20)]
    folds = folds_by_transcript(transcripts, 5, 13, ["rare", "common"])
    assert len(folds) == 5
    assert sorted(sum(folds, [])) == list(range(20))  # disjoint and complete
    assert all(sum(1 for i in fold if i < 5) == 1 for fold in folds)  # one rare per fold
    assert folds_by_transcript(transcripts[:1], 5, 13, ["rare"]) == []


def test_train_without_any_gold_tags_is_refused(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("=== scene: a | modality: MI | start: 0\nT: hello\nC: hi\n")
    with pytest.raises(ValidationError, match="no gold tags"):
        read_gold([path])
