"""The turn adapter: low-rank updates to the encoder's top layers and a turn classifier.

A frozen sentence embedding is tuned for topic similarity, not for speech acts: "did
you go?" and "where did you go?" land close together. The adapter teaches the top
layers of all-MiniLM-L6-v2 our codes with LoRA (Hu et al. 2022): each linear map
``W`` of those layers becomes ``W + (alpha / rank) * B @ A`` with small trainable
``A`` and ``B``, and a linear classifier over the adapted views (mean, last sentence,
opening tokens) and the speaker's role gives one probability per tag.

Its probabilities are stacked into the head's features (``FeatureSpec.stacked``):
the head adds the context (previous turns, cues, position, rules). To keep the head
honest, the probabilities it is trained on come from adapters that never saw those
turns (K-fold by transcript); the adapter shipped is trained on all the data.

At load, ``B @ A`` is merged into copies of the top layers, so coding costs exactly
one encoder pass: the lower layers are shared with the plain encoder, and the saved
file holds only ``A``, ``B`` and the classifier (well under a megabyte).
"""

from __future__ import annotations

import copy
import logging
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from assistant.tagging.encoder import Encoder, pool_views

logger = logging.getLogger(__name__)

ADAPTER_FILE = "adapter.safetensors"
ADAPTED_VIEWS: tuple[str, ...] = ("mean", "tail", "head")
LORA_TARGETS: tuple[str, ...] = ("qkv", "attn_out", "up", "down")
ROLE_COLUMNS = 2  # therapist, client

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AdapterSpec:
    """What was adapted and how; stored in the manifest so loading rebuilds the same."""

    layers: int  # the top ``layers`` encoder layers carry LoRA updates
    labels: tuple[str, ...]
    # Per label, the speaker role it applies to ("therapist", "client"; else any).
    # A label's probability on the other role's turns was never trained (the loss is
    # role-masked), so it is reported as 0 rather than as noise that differs between
    # the fold adapters the head learns from and the adapter it is shipped with.
    label_roles: tuple[str, ...] = ()
    rank: int = 8
    alpha: float = 16.0
    targets: tuple[str, ...] = LORA_TARGETS
    views: tuple[str, ...] = ADAPTED_VIEWS

    @property
    def scale(self) -> float:
        return self.alpha / self.rank

    def role_mask(self, roles: np.ndarray) -> np.ndarray:
        """(n, labels): 1 where a label applies to the turn's role (``roles`` as from
        ``role_matrix``: therapist, client columns), else 0."""
        mask = np.ones((len(roles), len(self.labels)), dtype=np.float32)
        for j, role in enumerate(self.label_roles):
            if role == "therapist":
                mask[:, j] = roles[:, 0]
            elif role == "client":
                mask[:, j] = roles[:, 1]
        return mask

    def to_dict(self) -> dict[str, object]:
        return {
            "layers": self.layers,
            "labels": list(self.labels),
            "label_roles": list(self.label_roles),
            "rank": self.rank,
            "alpha": self.alpha,
            "targets": list(self.targets),
            "views": list(self.views),
            "file": ADAPTER_FILE,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> AdapterSpec:
        return cls(
            layers=int(raw["layers"]),  # type: ignore[call-overload]
            labels=tuple(raw["labels"]),  # type: ignore[arg-type]
            label_roles=tuple(raw.get("label_roles", ())),  # type: ignore[arg-type]
            rank=int(raw["rank"]),  # type: ignore[call-overload]
            alpha=float(raw["alpha"]),  # type: ignore[arg-type]
            targets=tuple(raw["targets"]),  # type: ignore[arg-type]
            views=tuple(raw["views"]),  # type: ignore[arg-type]
        )


class LoRALinear(nn.Module):
    """A frozen linear map plus a trainable low-rank update (B starts at zero)."""

    def __init__(self, base: nn.Linear, rank: int, scale: float) -> None:
        super().__init__()
        self.base = base
        self.scale = scale
        self.lora_a = nn.Parameter(
            torch.randn(rank, base.in_features) / math.sqrt(base.in_features)
        )
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale

    def merged(self) -> nn.Linear:
        out = nn.Linear(self.base.in_features, self.base.out_features)
        with torch.no_grad():
            out.weight.copy_(self.base.weight + self.scale * (self.lora_b @ self.lora_a))
            out.bias.copy_(self.base.bias)
        return out


class TurnAdapter(nn.Module):
    """LoRA copies of an encoder's top layers and the turn classifier over their views."""

    def __init__(self, encoder: Encoder, spec: AdapterSpec) -> None:
        super().__init__()
        layers = encoder.model.layers
        if not 1 <= spec.layers <= len(layers):
            raise ValueError(f"cannot adapt {spec.layers} of {len(layers)} encoder layers")
        self.spec = spec
        self.top = nn.ModuleList(copy.deepcopy(layer) for layer in layers[-spec.layers :])
        for parameter in self.top.parameters():
            parameter.requires_grad_(False)
        for layer in self.top:
            for name in spec.targets:
                setattr(layer, name, LoRALinear(getattr(layer, name), spec.rank, spec.scale))
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(encoder.dim * len(spec.views) + ROLE_COLUMNS, len(spec.labels))

    # -- state on disk: only what was trained
    def trained_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.state_dict().items() if _is_trained(k)}

    def load_trained_state(self, state: dict[str, torch.Tensor]) -> None:
        expected = {k for k in self.state_dict() if _is_trained(k)}
        if set(state) != expected:
            missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
            raise KeyError(f"adapter weights differ: missing {missing[:3]}, unexpected {extra[:3]}")
        self.load_state_dict(state, strict=False)

    def merged_layers(self) -> list[nn.Module]:
        """Plain copies of the top layers with ``B @ A`` folded into their weights."""
        out = []
        for layer in self.top:
            plain = copy.deepcopy(layer)
            for name in self.spec.targets:
                setattr(plain, name, getattr(layer, name).merged())
            out.append(plain.eval())
        return out

    # -- computing
    def top_states(self, hidden: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        mask = attention[:, None, None, :].bool()
        for layer in self.top:
            hidden = layer(hidden, mask)
        return hidden

    def logits(self, views: torch.Tensor, roles: torch.Tensor) -> torch.Tensor:
        """``views``: (n, len(spec.views) * dim) pooled unit vectors; ``roles``: (n, 2)."""
        return self.classifier(torch.cat([self.dropout(views), roles], dim=1))

    @torch.inference_mode()
    def predict_views(self, views: dict[str, np.ndarray], roles: np.ndarray) -> np.ndarray:
        """Tag probabilities (n, labels) from views an adapted encoder computed."""
        self.eval()
        x = torch.from_numpy(np.concatenate([views[v] for v in self.spec.views], axis=1))
        probs = torch.sigmoid(self.logits(x, torch.from_numpy(roles))).numpy()
        return probs * self.spec.role_mask(roles)


def _is_trained(key: str) -> bool:
    return key.startswith("classifier.") or ".lora_" in key


def role_matrix(roles: Sequence[str]) -> np.ndarray:
    return np.array([[r == "therapist", r == "client"] for r in roles], dtype=np.float32)


@dataclass
class LowerStates:
    """Token states below the adapted layers, one tensor per text (computed once)."""

    hidden: list[torch.Tensor] = field(default_factory=list)  # (tokens, dim) each
    ids: list[np.ndarray] = field(default_factory=list)  # token ids each


def lower_states(
    encoder: Encoder, texts: Sequence[str], below: int, batch_size: int = 128
) -> LowerStates:
    """The frozen encoder's output after layer ``below`` for every text."""
    ids = encoder.token_ids(list(texts))
    out = LowerStates([torch.empty(0)] * len(ids), [np.empty(0, dtype=np.int64)] * len(ids))
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    fast = encoder.precision == "bfloat16"
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = _pad([np.asarray(ids[i], dtype=np.int64) for i in chunk])
            tokens = torch.from_numpy(batch)
            with torch.autocast("cpu", torch.bfloat16, enabled=fast):
                states = encoder.model.layer_states(tokens, tokens != 0, upto=below)
            hidden = states[-1].float()
            for row, i in enumerate(chunk):
                n = len(ids[i])
                out.hidden[i] = hidden[row, :n].clone()
                out.ids[i] = batch[row, :n].copy()
    return out


def _pad(rows: Sequence[np.ndarray]) -> np.ndarray:
    width = max(len(r) for r in rows)
    batch = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        batch[i, : len(r)] = r
    return batch


def _forward(
    adapter: TurnAdapter,
    sources: Sequence[LowerStates],
    rows: Sequence[int],
    roles: np.ndarray,
    fast: bool,
) -> torch.Tensor:
    """Logits for ``rows``; row ``r`` reads its states from ``sources[r]``."""
    width = max(len(source.ids[i]) for source, i in zip(sources, rows, strict=True))
    hidden = torch.zeros(len(rows), width, sources[0].hidden[rows[0]].shape[-1])
    for r, (source, i) in enumerate(zip(sources, rows, strict=True)):
        hidden[r, : len(source.ids[i])] = source.hidden[i]
    batch = _pad([source.ids[i] for source, i in zip(sources, rows, strict=True)])
    attention = torch.from_numpy(batch != 0)
    with torch.autocast("cpu", torch.bfloat16, enabled=fast):
        top = adapter.top_states(hidden, attention)
    pooled = pool_views(adapter.spec.views, [top.float()], batch, as_numpy=False)
    return adapter.logits(pooled.reshape(len(rows), -1), torch.from_numpy(roles[list(rows)]))


@dataclass
class AdapterConfig:
    layers: int = 3
    rank: int = 8
    alpha: float = 16.0
    epochs: int = 6
    lr: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 32
    folds: int = 3  # adapters for out-of-fold probabilities (+1 trained on everything)
    # Share of training presentations that show a turn in another transcription style
    # (``restyle.py``), drawn afresh each epoch; 0 = always as written.
    restyle: float = 0.5


def fit_adapter(
    encoder: Encoder,
    states: LowerStates,
    rows: Sequence[int],
    roles: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    spec: AdapterSpec,
    config: AdapterConfig,
    seed: int,
    progress: Progress | None = None,
    stage: str = "adapter",
    restyled: Sequence[LowerStates] = (),
) -> TurnAdapter:
    """Train LoRA + classifier on ``rows`` for a fixed number of epochs (one-cycle LR).

    Role-masked, class-weighted BCE, as for the head. Batches group texts of similar
    length (less padding), in a seeded order. ``restyled``: the same turns in other
    transcription styles (row for row); each presentation of a turn uses one of them
    with probability ``config.restyle``, so no style's surface marks carry a code alone.
    """
    torch.manual_seed(seed)
    rng = random.Random(seed)
    adapter = TurnAdapter(encoder, spec)
    adapter.train()
    rows = list(rows)
    yt, mt = torch.from_numpy(y), torch.from_numpy(mask)
    positives = (y[rows] * mask[rows]).sum(0)
    negatives = ((1 - y[rows]) * mask[rows]).sum(0)
    pos_weight = torch.from_numpy(
        np.sqrt(np.clip(negatives / np.maximum(positives, 1.0), 1.0, 10.0)).astype(np.float32)
    )
    trained = [p for p in adapter.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained, lr=config.lr, weight_decay=config.weight_decay)
    per_epoch = math.ceil(len(rows) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.lr, total_steps=max(1, config.epochs * per_epoch), pct_start=0.1
    )
    fast = encoder.precision == "bfloat16"
    total = config.epochs * per_epoch
    done = 0
    for _ in range(config.epochs):
        order = rows[:]
        rng.shuffle(order)
        batches = []
        for start in range(0, len(order), 32 * config.batch_size):
            block = sorted(
                order[start : start + 32 * config.batch_size], key=lambda i: len(states.ids[i])
            )
            batches += [
                block[i : i + config.batch_size] for i in range(0, len(block), config.batch_size)
            ]
        rng.shuffle(batches)
        for batch in batches:
            sources = [
                rng.choice(restyled) if restyled and rng.random() < config.restyle else states
                for _ in batch
            ]
            logits = _forward(adapter, sources, batch, roles, fast)
            bce = F.binary_cross_entropy_with_logits(
                logits, yt[batch], pos_weight=pos_weight, reduction="none"
            )
            loss = (bce * mt[batch]).sum() / mt[batch].sum().clamp(min=1.0)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            done += 1
            if progress is not None and (done % 20 == 0 or done == total):
                progress(stage, done, total)
    adapter.eval()
    return adapter


@torch.inference_mode()
def predict_adapter(
    adapter: TurnAdapter,
    encoder: Encoder,
    states: LowerStates,
    rows: Sequence[int],
    roles: np.ndarray,
) -> np.ndarray:
    """Probabilities (len(rows), labels) for ``rows`` of the cached states."""
    adapter.eval()
    fast = encoder.precision == "bfloat16"
    out = np.zeros((len(rows), len(adapter.spec.labels)), dtype=np.float32)
    order = sorted(range(len(rows)), key=lambda r: len(states.ids[rows[r]]))
    for start in range(0, len(order), 128):
        chunk = order[start : start + 128]
        logits = _forward(adapter, [states] * len(chunk), [rows[r] for r in chunk], roles, fast)
        out[chunk] = torch.sigmoid(logits).numpy()
    return out * adapter.spec.role_mask(roles[list(rows)])
