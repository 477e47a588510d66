"""The turn adapter: LoRA maths, merging, saving, and that training it teaches the codes."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from assistant.errors import ModelError
from assistant.tagging import clear_cache, load_tagger
from assistant.tagging.adapter import (
    ADAPTER_FILE,
    AdapterConfig,
    AdapterSpec,
    LoRALinear,
    TurnAdapter,
    fit_adapter,
    lower_states,
    predict_adapter,
    role_matrix,
)
from assistant.tagging.data import read_gold
from assistant.tagging.encoder import VIEWS, load_encoder
from assistant.tagging.train import TrainConfig, train_tagger
from tests.test_tagging_train import TINY_GOLD

pytestmark = pytest.mark.slow  # the real encoder


def test_lora_linear_merged_weights_give_the_same_output():
    torch.manual_seed(0)
    lora = LoRALinear(torch.nn.Linear(6, 4), rank=2, scale=2.0)
    with torch.no_grad():
        lora.lora_b.normal_()
    x = torch.randn(3, 6)
    assert torch.allclose(lora(x), lora.merged()(x), atol=1e-5)


def test_lora_linear_starts_as_the_frozen_layer():
    base = torch.nn.Linear(6, 4)
    x = torch.randn(3, 6)
    assert torch.equal(LoRALinear(base, rank=2, scale=2.0)(x), base(x))


def test_untrained_adapter_leaves_the_encoder_views_unchanged():
    encoder = load_encoder()
    adapter = TurnAdapter(encoder, AdapterSpec(layers=2, labels=("a",)))
    adapted = encoder.with_top_layers(adapter.merged_layers())
    texts = ["did you go to the meeting?", "you felt let down. what happened next"]
    plain = encoder.encode_views(texts, 8, VIEWS)
    other = adapted.encode_views(texts, 8, VIEWS)
    for view in VIEWS:
        np.testing.assert_allclose(plain[view], other[view], atol=1e-5)


def test_adapted_encoder_changes_only_its_top_layers_and_not_the_original():
    encoder = load_encoder()
    adapter = TurnAdapter(encoder, AdapterSpec(layers=2, labels=("a",)))
    with torch.no_grad():
        for module in adapter.modules():
            if isinstance(module, LoRALinear):
                module.lora_b.normal_(std=0.5)
    texts = ["is that right", "so the weekend was harder than you expected"]
    before = encoder.encode_views(texts, 8, VIEWS)
    adapted = encoder.with_top_layers(adapter.merged_layers())
    changed = adapted.encode_views(texts, 8, VIEWS)
    after = encoder.encode_views(texts, 8, VIEWS)
    for view in VIEWS:
        np.testing.assert_array_equal(before[view], after[view])  # the original is untouched
    for view in ("layer1", "layer2", "layer3", "layer4"):  # below the two adapted layers
        np.testing.assert_allclose(before[view], changed[view], atol=1e-5)
    assert not np.allclose(before["mean"], changed["mean"], atol=1e-3)
    assert not np.allclose(before["layer5"], changed["layer5"], atol=1e-3)


def test_adapter_trained_state_round_trips_and_rejects_foreign_weights(tmp_path):
    encoder = load_encoder()
    spec = AdapterSpec(layers=1, labels=("a", "b"))
    adapter = TurnAdapter(encoder, spec)
    state = adapter.trained_state()
    assert all(k.startswith("classifier.") or ".lora_" in k for k in state)
    assert sum(v.numel() for v in state.values()) < 200_000  # never a copy of the encoder
    save_file(state, str(tmp_path / "a.safetensors"))
    other = TurnAdapter(encoder, spec)
    other.load_trained_state(load_file(str(tmp_path / "a.safetensors")))
    for key, value in other.trained_state().items():
        assert torch.equal(value, state[key])
    with pytest.raises(KeyError):
        other.load_trained_state({k: v for k, v in state.items() if "lora_a" not in k})


def test_adapter_learns_questions_from_a_handful_of_turns():
    questions = [
        "did you go to the meeting",
        "is your sister still staying with you",
        "have you had a drink since friday",
        "are you sleeping any better",
        "was that the first time",
        "do you still see him on weekends",
        "can you get there by bus",
        "were you at work when it happened",
    ]
    statements = [
        "you went to the meeting even though you were dreading it",
        "your sister being there has been a comfort",
        "you haven't had a drink since friday",
        "sleep is still hard",
        "that was the first time it felt that bad",
        "weekends with him matter a lot to you",
        "the bus takes forever from your place",
        "it happened while you were at work",
    ]
    encoder = load_encoder()
    texts = questions + statements
    y = np.array([[1.0]] * len(questions) + [[0.0]] * len(statements), dtype=np.float32)
    mask = np.ones_like(y)
    roles = role_matrix(["therapist"] * len(texts))
    spec = AdapterSpec(layers=2, labels=("closed_question",))
    states = lower_states(encoder, texts, below=4)
    config = AdapterConfig(layers=2, epochs=12, batch_size=4, lr=3e-3)
    adapter = fit_adapter(encoder, states, range(len(texts)), roles, y, mask, spec, config, seed=1)
    probs = predict_adapter(adapter, encoder, states, list(range(len(texts))), roles)[:, 0]
    assert probs[: len(questions)].min() > probs[len(questions) :].max()
    # The merged encoder gives the same probabilities as training's path.
    adapted = encoder.with_top_layers(adapter.merged_layers())
    views = adapted.encode_views(texts, 8, spec.views)
    np.testing.assert_allclose(adapter.predict_views(views, roles)[:, 0], probs, atol=0.02)


@pytest.fixture(scope="module")
def adapted_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("gold") / "tiny.txt"
    path.write_text(TINY_GOLD)
    out = tmp_path_factory.mktemp("models") / "adapted"
    config = TrainConfig(max_epochs=5, adapter=AdapterConfig(layers=2, epochs=2, folds=3))
    train_tagger(read_gold([path]), out, config=config)
    return out


def test_trained_model_folder_holds_a_small_adapter_named_in_the_manifest(adapted_model):
    manifest = json.loads((adapted_model / "manifest.json").read_text())
    assert manifest["adapter"]["layers"] == 2
    assert manifest["adapter"]["labels"] == manifest["labels"]
    assert ADAPTER_FILE in manifest["files"]
    assert (adapted_model / ADAPTER_FILE).stat().st_size < 1_000_000
    features = manifest["features"]
    assert features["stacked"] == manifest["labels"]
    assert features["views"] == ["layer1", "layer2", "layer3", "layer4"]  # frozen ones only
    clear_cache()
    turn = load_tagger(adapted_model).transform_turn("did you sleep at all")
    therapist = {tag for tag, role in manifest["label_roles"].items() if role == "therapist"}
    assert set(turn.scores) == therapist
    clear_cache()


def test_corrupt_adapter_file_is_named_in_the_error(adapted_model, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(adapted_model, broken)
    (broken / ADAPTER_FILE).write_bytes(b"not weights")
    clear_cache()
    with pytest.raises(ModelError, match=ADAPTER_FILE):
        load_tagger(broken)
    (broken / ADAPTER_FILE).unlink()
    with pytest.raises(ModelError, match="missing"):
        load_tagger(broken)
    clear_cache()


def test_adapter_reports_zero_for_labels_of_the_other_role():
    spec = AdapterSpec(
        layers=1,
        labels=("reflection", "rupture_withdrawal", "x"),
        label_roles=("therapist", "client", ""),
    )
    roles = role_matrix(["therapist", "client", "other"])
    np.testing.assert_array_equal(spec.role_mask(roles), [[1, 0, 1], [0, 1, 1], [0, 0, 1]])
    encoder = load_encoder()
    adapter = TurnAdapter(encoder, spec)
    views = encoder.encode_views(["you felt let down", "whatever", "hello"], 8, spec.views)
    probs = adapter.predict_views(views, roles)
    assert probs[0, 1] == 0 and probs[1, 0] == 0 and probs[2, 0] == 0 and probs[2, 1] == 0
    assert probs[0, 0] > 0 and probs[1, 1] > 0 and (probs[:, 2] > 0).all()


def test_training_refuses_to_adapt_every_encoder_layer(tmp_path):
    from assistant.errors import ValidationError

    path = tmp_path / "tiny.txt"
    path.write_text(TINY_GOLD)
    config = TrainConfig(adapter=AdapterConfig(layers=6))
    with pytest.raises(ValidationError, match="adapter layers"):
        train_tagger(read_gold([path]), tmp_path / "m", config=config)
    assert not (tmp_path / "m").exists()
