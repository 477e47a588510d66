import json
import logging

import numpy as np
import pytest

from assistant.errors import ModelError
from assistant.tagging.head import HeadEnsemble, TaggerHead, load_model, save_model

LABELS = ["open_question", "reflection"]
ATTRS = {"reflection.depth": ["simple", "complex"]}


def _manifest(dim):
    return {
        "name": "tiny",
        "labels": LABELS,
        "label_roles": {"open_question": "therapist", "reflection": "therapist"},
        "thresholds": {"open_question": 0.5, "reflection": 0.4},
        "attributes": ATTRS,
        "features": {"dim": dim, "embedding_dim": 4, "cue_tags": [], "surface": [], "extra": []},
        "pipeline": ["sentencizer"],
        "encoder": {"name": "x", "sha256": None},
        "head": {"hidden": 8, "members": 2},
    }


@pytest.fixture
def folder(tmp_path):
    head = HeadEnsemble([TaggerHead(10, LABELS, ATTRS, hidden=8) for _ in range(2)])
    save_model(tmp_path / "m", head, _manifest(10), np.ones((3, 4), dtype=np.float32), "tags: []\n")
    return tmp_path / "m"


def test_head_saves_and_loads_the_same_predictions(folder):
    loaded = load_model(folder)
    x = np.random.default_rng(0).normal(size=(5, 10)).astype(np.float32)
    probs, attrs = loaded.head.predict(x)
    again, _ = load_model(folder).head.predict(x)
    assert probs.shape == (5, 2) and attrs["reflection.depth"].shape == (5, 2)
    np.testing.assert_allclose(probs, again)
    np.testing.assert_allclose(attrs["reflection.depth"].sum(1), 1.0, rtol=1e-5)
    assert loaded.examples.shape == (3, 4)
    assert len(loaded.head.members) == 2
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {"head.safetensors", "examples.safetensors", "codebook.yaml"}
    assert "torch" in manifest["versions"]


@pytest.mark.parametrize("name", ["head.safetensors", "examples.safetensors", "codebook.yaml"])
def test_head_corrupt_file_is_named_in_the_error(folder, name):
    path = folder / name
    path.write_bytes(path.read_bytes()[:-5] + b"xxxxx")
    with pytest.raises(ModelError, match="corrupt") as info:
        load_model(folder)
    assert name in str(info.value)


@pytest.mark.parametrize("name", ["head.safetensors", "manifest.json"])
def test_head_missing_file_is_named_in_the_error(folder, name):
    (folder / name).unlink()
    with pytest.raises(ModelError) as info:
        load_model(folder)
    assert name in str(info.value)


def test_head_bad_manifest_json_and_missing_keys(folder):
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ModelError, match="manifest.json: manifest is not valid JSON"):
        load_model(folder)
    (folder / "manifest.json").write_text(json.dumps({"name": "x"}))
    with pytest.raises(ModelError, match="manifest lacks"):
        load_model(folder)


def test_head_weights_that_do_not_fit_the_manifest(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["features"]["dim"] = 11
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="weights do not match manifest.json") as info:
        load_model(folder)
    assert "head.safetensors" in str(info.value)


def test_head_version_mismatch_only_warns(folder, caplog):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["versions"]["torch"] = "1.0.0"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with caplog.at_level(logging.WARNING):
        loaded = load_model(folder)
    assert loaded.head is not None
    assert "trained with 1.0.0" in caplog.text


def test_head_missing_folder(tmp_path):
    with pytest.raises(ModelError, match="model folder not found"):
        load_model(tmp_path / "absent")


@pytest.mark.parametrize(
    "weights", [{"not_a_label": 0.5}, {"reflection": 1.5}, {"reflection": "half"}, ["reflection"]]
)
def test_head_adapter_weights_must_name_labels_with_weights_in_0_1(folder, weights):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["adapter_weights"] = weights
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="adapter_weights") as info:
        load_model(folder)
    assert "manifest.json" in str(info.value)


def test_head_in_bfloat16_gives_nearly_the_float32_probabilities(folder):
    head = load_model(folder).head
    x = np.random.default_rng(1).normal(size=(64, 10)).astype(np.float32)
    exact, exact_attrs = head.predict(x)
    fast, fast_attrs = head.predict(x, bfloat16=True)
    assert fast.dtype == np.float32 and fast.shape == exact.shape
    np.testing.assert_allclose(fast, exact, atol=0.02)
    np.testing.assert_allclose(fast_attrs["reflection.depth"].sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        fast_attrs["reflection.depth"], exact_attrs["reflection.depth"], atol=0.02
    )
