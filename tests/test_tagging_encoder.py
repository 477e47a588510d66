import numpy as np
import pytest

from assistant.errors import ModelError
from assistant.tagging.encoder import (
    VIEWS,
    Encoder,
    cpu_has_native_bf16,
    load_encoder,
    resolve_precision,
    verify_weights,
)


def test_encoder_refuses_weights_with_the_wrong_sha256(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(ModelError, match="sha256") as info:
        Encoder(tmp_path)
    assert "model.safetensors" in str(info.value)
    with pytest.raises(ModelError, match="missing"):
        verify_weights(tmp_path / "absent.safetensors")


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


@pytest.mark.slow
def test_encoder_returns_unit_vectors_in_input_order(encoder):
    texts = ["a much longer sentence about the weekend and the drinking", "mm-hmm", "", "mm-hmm"]
    vectors = encoder.encode(texts, batch_size=2)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors[1], vectors[3])
    one_by_one = np.stack([encoder.encode([t])[0] for t in texts])
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_encoder_matches_sentence_transformers(encoder):
    from sentence_transformers import SentenceTransformer

    texts = ["What brings you in today?", "I guess. I don't know.", "you felt let down by him"]
    reference = SentenceTransformer(str(encoder.path), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    exact = load_encoder(precision="float32")
    np.testing.assert_allclose(exact.encode(texts), reference, atol=1e-4)


def test_encoder_precision_names():
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    assert resolve_precision("auto") == ("bfloat16" if cpu_has_native_bf16() else "float32")
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("int8")


@pytest.mark.slow
@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bfloat16")
def test_bfloat16_views_stay_within_a_hair_of_float32():
    texts = [
        "What brings you in today?",
        "so the weekend was, um, it was kind of a mess honestly. did you go in the end",
        "mm-hmm",
    ]
    exact = load_encoder(precision="float32").encode_views(texts, 8, VIEWS)
    fast = load_encoder(precision="bfloat16").encode_views(texts, 8, VIEWS)
    for view in VIEWS:
        cosines = (exact[view] * fast[view]).sum(axis=1)
        assert cosines.min() > 0.999, view


@pytest.mark.slow
def test_encoder_long_text_keeps_head_and_tail(encoder):
    long_text = "word " * 1000 + "what do you make of that"
    (ids,) = encoder.token_ids([long_text])
    assert len(ids) == encoder.max_tokens
    tail = encoder.token_ids(["what do you make of that"])[0][1:-1]
    assert ids[-len(tail) - 1 : -1] == tail
    assert encoder.encode([long_text]).shape == (1, 384)
