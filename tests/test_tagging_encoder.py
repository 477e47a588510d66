import numpy as np
import pytest

from assistant.errors import ModelError
from assistant.tagging.encoder import Encoder, load_encoder, verify_weights


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
    np.testing.assert_allclose(encoder.encode(texts), reference, atol=1e-4)


@pytest.mark.slow
def test_encoder_long_text_keeps_head_and_tail(encoder):
    long_text = "word " * 1000 + "what do you make of that"
    (ids,) = encoder.token_ids([long_text])
    assert len(ids) == encoder.max_tokens
    tail = encoder.token_ids(["what do you make of that"])[0][1:-1]
    assert ids[-len(tail) - 1 : -1] == tail
    assert encoder.encode([long_text]).shape == (1, 384)
