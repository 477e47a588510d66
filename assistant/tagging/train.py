"""Train the head on any coded transcripts (our scenes, or a lab's own JSONL/CSV codes).

1. Labels, their roles and their attributes come from the gold data (the codebook's
   ``applies_to`` decides the role of our own tag ids).
2. The transcripts are dealt into K folds (``TrainConfig.members``), by transcript
   (scene), never by turn, so no scene leaks between training and dev.
3. Every turn is encoded once (vectors cached by text within the run).
4. Cross-fitting: member k is trained on the other folds with role-masked,
   class-weighted BCE plus attribute cross-entropy on the positives, seeded, and
   early-stopped on fold k. The shipped head is the ensemble of the K members.
5. Per-tag thresholds are tuned on the out-of-fold predictions of all training
   turns (each turn scored by the member that never saw it), with the context rules
   on: K times more dev data than a single split, so steadier thresholds.
6. The folder is saved with its manifest, reloaded and (when a test set is given)
   evaluated; the test set is used for nothing else.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from assistant.errors import ValidationError
from assistant.model import CLIENT_TAGS, TAG_ATTRIBUTES, THERAPIST_TAGS, Transcript, Turn
from assistant.tagging.adapter import (
    AdapterConfig,
    AdapterSpec,
    TurnAdapter,
    fit_adapter,
    lower_states,
    predict_adapter,
    role_matrix,
)
from assistant.tagging.codebook import DEFAULT_CODEBOOK, load_codebook
from assistant.tagging.components import PIPELINE, build_nlp
from assistant.tagging.encoder import (
    ENCODER_NAME,
    ENCODER_PACKAGE,
    ENCODER_SHA256,
    MAX_TOKENS,
    load_encoder,
)
from assistant.tagging.evaluate import binary_scores, evaluate_tagger
from assistant.tagging.features import FeatureSpec
from assistant.tagging.head import HeadEnsemble, TaggerHead, save_model, write_manifest
from assistant.tagging.pipeline import (
    Derived,
    Scorer,
    encode_cached,
    featurize,
    prepare_text,
)
from assistant.tagging.restyle import (
    STYLES,
    other_style,
    restyle_transcript,
    said_rising,
    training_text,
)
from assistant.tagging.rules import TurnState

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class TrainConfig:
    seed: int = 13
    hidden: int = 512
    dropout: float = 0.3
    input_dropout: float = 0.1
    max_epochs: int = 80
    patience: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 128
    members: int = 5  # = cross-fitting folds: each member holds one fold out
    default_epochs: int = 30  # without a dev split (tiny data) there is no early stopping
    max_chars: int = 2000
    # Train each head member on a copy of every transcript in the other transcription
    # style too (``restyle.py``); dev folds and thresholds use the originals only.
    style_copies: bool = True
    # Share of turns in those copies (and in the adapter's restyled presentations)
    # that also open with an acknowledgement ("Okay.", "mm-hmm so"), so an opener does
    # not come to mean "not a reflection" (``restyle.with_opener``).
    openers: float = 0.3
    # ... and that hesitate: a filler or a restarted word (``restyle.with_disfluency``).
    disfluency: float = 0.3
    # ... and, of the reflections that are not questions, the share that a clean copy
    # ends with "?" (a rising tone; ``restyle.with_rising_tone``).
    rising: float = 0.0
    # Roles whose turns also see the turn after (``features.py``): a client's rupture
    # shows in how the therapist takes it. Therapist turns are coded without the
    # client's reply, so a drill answer scores as the same words would in a session.
    reply_roles: tuple[str, ...] = ("client",)
    # Share of training rows shown without their reply (the next-turn features zeroed,
    # drawn afresh each batch), so a turn with no reply yet (the last turn of a live
    # session) is coded as well as one with.
    reply_dropout: float = 0.25
    # The turn adapter (stage 1, ``adapter.py``); ``adapter.layers = 0`` trains the head
    # on frozen encoder views alone.
    adapter: AdapterConfig = field(default_factory=AdapterConfig)


def data_hash(transcripts: Sequence[Transcript]) -> str:
    """sha256 of the training content (ids, roles, texts, gold codes), path-independent."""
    digest = hashlib.sha256()
    for t in transcripts:
        for turn in t.turns:
            record = [
                t.id,
                turn.index,
                turn.role.value,
                turn.text,
                sorted(turn.tags),
                turn.attributes,
            ]
            digest.update(json.dumps(record, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def label_schema(
    transcripts: Sequence[Transcript],
) -> tuple[list[str], dict[str, str], dict[str, list[str]], list[Derived]]:
    """Labels (ours first, in our order), label -> role, attribute values, derived tags."""
    seen: Counter[str] = Counter()
    roles: dict[str, Counter[str]] = {}
    values: dict[str, set[str]] = {}
    for t in transcripts:
        for turn in t.turns:
            seen.update(turn.tags)
            for tag in turn.tags:
                roles.setdefault(tag, Counter())[turn.role.value] += 1
            for tag, attrs in turn.attributes.items():
                for name, value in attrs.items():
                    values.setdefault(f"{tag}.{name}", set()).add(value)
    ours = THERAPIST_TAGS + CLIENT_TAGS
    labels = [tag for tag in ours if tag in seen] + sorted(tag for tag in seen if tag not in ours)
    if not labels:
        raise ValidationError("the training data has no gold tags; nothing to learn")
    known_roles = {**{t: "therapist" for t in THERAPIST_TAGS}, **{t: "client" for t in CLIENT_TAGS}}
    label_roles = {tag: known_roles.get(tag) or roles[tag].most_common(1)[0][0] for tag in labels}
    attributes: dict[str, list[str]] = {}
    for key in sorted(values):
        tag, name = key.split(".", 1)
        if tag not in labels:
            continue
        order = TAG_ATTRIBUTES.get(tag, {}).get(name, ())
        attributes[key] = [v for v in order if v in values[key]] + sorted(values[key] - set(order))
        if len(attributes[key]) < 2:
            # One value only: nothing to predict, but keep the value so it is still given.
            attributes[key] = attributes[key] + ["other"]
    derived: list[Derived] = []
    if "poorly_timed_self_disclosure" in labels and "poorly_timed" in attributes.get(
        "self_disclosure.timing", []
    ):
        derived.append(
            Derived("poorly_timed_self_disclosure", "self_disclosure", "timing", "poorly_timed")
        )
    return labels, label_roles, attributes, derived


def folds_by_transcript(
    transcripts: Sequence[Transcript], k: int, seed: int, labels: Sequence[str]
) -> list[list[int]]:
    """``k`` disjoint dev folds of transcript indices (never split inside a transcript).

    Transcripts are dealt round-robin, rarest label first, so every fold sees some
    positives of each label; the order within a label group is a seeded shuffle.
    """
    n = len(transcripts)
    k = max(0, min(k, n))
    if k < 2:
        return []
    counts = Counter(tag for t in transcripts for turn in t.turns for tag in turn.tags)
    rank = {label: counts[label] for label in labels}

    def rarest(i: int) -> tuple[int, str]:
        present = [tag for turn in transcripts[i].turns for tag in turn.tags]
        if not present:
            return (10**9, "")
        tag = min(present, key=lambda t: (rank.get(t, 10**9), t))
        return (rank.get(tag, 10**9), tag)

    order = list(range(n))
    random.Random(seed).shuffle(order)
    order.sort(key=rarest)  # stable: the shuffle decides ties
    folds: list[list[int]] = [[] for _ in range(k)]
    for position, i in enumerate(order):
        folds[position % k].append(i)
    return [sorted(fold) for fold in folds]


def targets(
    transcripts: Sequence[Transcript],
    labels: Sequence[str],
    label_roles: dict[str, str],
    attributes: dict[str, list[str]],
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Gold matrix (n, L), role mask (n, L) and attribute targets (n,) with -1 = none."""
    turns = [turn for t in transcripts for turn in t.turns]
    y = np.zeros((len(turns), len(labels)), dtype=np.float32)
    mask = np.zeros_like(y)
    attr = {key: np.full(len(turns), -1, dtype=np.int64) for key in attributes}
    for row, turn in enumerate(turns):
        for j, label in enumerate(labels):
            mask[row, j] = float(label_roles[label] == turn.role.value)
            y[row, j] = float(label in turn.tags)
        for key, values in attributes.items():
            tag, name = key.split(".", 1)
            value = turn.attributes.get(tag, {}).get(name)
            if tag in turn.tags and value in values:
                attr[key][row] = values.index(value)
    return y, mask, attr


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _loss(
    head: TaggerHead,
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor,
    attr: dict[str, torch.Tensor],
    pos_weight: torch.Tensor,
) -> torch.Tensor:
    logits, attr_logits = head(x)
    bce = F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight, reduction="none")
    loss = (bce * mask).sum() / mask.sum().clamp(min=1.0)
    for key, target in attr.items():
        keep = target >= 0
        if keep.any():
            loss = loss + 0.5 * F.cross_entropy(attr_logits[key][keep], target[keep])
    return loss


def fit_head(
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    attr: dict[str, np.ndarray],
    labels: list[str],
    attributes: dict[str, list[str]],
    config: TrainConfig,
    dev: tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]] | None = None,
    epochs: int | None = None,
    progress: Progress | None = None,
    reply_columns: slice | None = None,
) -> tuple[TaggerHead, int, list[float]]:
    """Train one head; early-stop on dev loss, or run exactly ``epochs`` without dev.

    ``reply_columns``: the next-turn features, zeroed in ``config.reply_dropout`` of
    the training rows.
    """
    # Small matrices: one thread is faster than several (no OpenMP spin-waits), and
    # it keeps training bit-for-bit reproducible across machines with more cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit_head(
            x, y, mask, attr, labels, attributes, config, dev, epochs, progress, reply_columns
        )
    finally:
        torch.set_num_threads(threads)


def _fit_head(
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    attr: dict[str, np.ndarray],
    labels: list[str],
    attributes: dict[str, list[str]],
    config: TrainConfig,
    dev: tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]] | None,
    epochs: int | None,
    progress: Progress | None,
    reply_columns: slice | None = None,
) -> tuple[TaggerHead, int, list[float]]:
    seed_everything(config.seed)
    head = TaggerHead(
        x.shape[1], labels, attributes, config.hidden, config.dropout, config.input_dropout
    )
    optimiser = torch.optim.AdamW(
        head.parameters(), lr=config.lr, weight_decay=config.weight_decay, foreach=True
    )
    pos = (y * mask).sum(0)
    neg = ((1 - y) * mask).sum(0)
    pos_weight = torch.from_numpy(np.clip(np.sqrt(neg / np.maximum(pos, 1.0)), 1.0, 10.0)).float()
    xt, yt, mt = map(torch.from_numpy, (x, y, mask))
    at = {k: torch.from_numpy(v) for k, v in attr.items()}
    if dev is not None:
        dx, dy, dm, da = dev
        dev_t = (
            torch.from_numpy(dx),
            torch.from_numpy(dy),
            torch.from_numpy(dm),
            {k: torch.from_numpy(v) for k, v in da.items()},
        )
    total = epochs or config.max_epochs
    generator = torch.Generator().manual_seed(config.seed)
    drop_replies = (
        reply_columns is not None
        and reply_columns.stop > reply_columns.start
        and config.reply_dropout > 0
    )
    best_loss, best_epoch, best_state, history = float("inf"), 0, None, []
    for epoch in range(1, total + 1):
        head.train()
        order = torch.randperm(len(xt), generator=generator)
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            xb = xt[batch]  # a copy (index tensor), safe to zero
            if drop_replies:
                unseen = torch.rand(len(batch), generator=generator) < config.reply_dropout
                xb[unseen, reply_columns] = 0.0
            loss = _loss(
                head,
                xb,
                yt[batch],
                mt[batch],
                {k: v[batch] for k, v in at.items()},
                pos_weight,
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        if progress is not None:
            progress("train", epoch, total)
        if dev is None:
            continue
        head.eval()
        with torch.no_grad():
            dev_loss = float(_loss(head, *dev_t, pos_weight))
        history.append(dev_loss)
        if dev_loss < best_loss - 1e-4:
            best_loss, best_epoch = dev_loss, epoch
            best_state = {k: v.clone() for k, v in head.state_dict().items()}
        elif epoch - best_epoch >= config.patience:
            if progress is not None:
                progress("train", total, total)
            break
    if best_state is not None:
        head.load_state_dict(best_state)
    head.eval()
    return head, best_epoch or total, history


def binary_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp = float((gold & pred).sum())
    fp = float((~gold & pred).sum())
    fn = float((gold & ~pred).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


GRID = np.round(np.arange(0.1, 0.91, 0.025), 3)


def middle_of_best(f1s: np.ndarray) -> float:
    """The middle of the ``GRID`` points within 2% of the best F1 (``f1s`` over ``GRID``),
    which depends less on a handful of turns than the single best point."""
    good = GRID[f1s >= f1s.max() * 0.98]
    return float(np.round(np.median(good), 3))


@dataclass
class DevGroup:
    """Held-out transcripts with their rows, scored by the member that did not see them."""

    scorer: Scorer
    transcripts: list[Transcript]
    texts: list[str]
    docs: list[Any]
    features: np.ndarray


ADAPTER_WEIGHTS = (0.0, 0.25, 0.5, 0.75)


def _group_scores(
    groups: Sequence[DevGroup], thresholds: dict[str, float], weights: dict[str, float]
) -> tuple[list[TurnState], list[Turn]]:
    states: list[TurnState] = []
    turns: list[Turn] = []
    for group in groups:
        group.scorer.thresholds = dict(thresholds)
        group.scorer.adapter_weights = dict(weights)
        scored = group.scorer.states(group.transcripts, group.texts, group.docs, group.features)
        states.extend(s for per_transcript in scored for s in per_transcript)
        turns.extend(turn for t in group.transcripts for turn in t.turns)
    return states, turns


def _f1_curve(states: Sequence[TurnState], turns: Sequence[Turn], label: str) -> np.ndarray | None:
    """Out-of-fold F1 of one tag at every threshold in ``GRID`` (None: no positives)."""
    rows = [i for i, s in enumerate(states) if label in s.scores]
    gold = np.array([label in turns[i].tags for i in rows], dtype=bool)
    if not rows or not gold.any():
        return None
    probs = np.array([states[i].scores[label] for i in rows])
    return np.array([binary_f1(gold, probs >= t) for t in GRID])


def tune_thresholds(
    groups: Sequence[DevGroup], labels: Sequence[str], stacked: Sequence[str] = ()
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Per-tag thresholds (and adapter weights) maximising out-of-fold F1 with the rules on.

    Thresholds are tuned twice, because the repair rule reads the rupture thresholds.
    Between the passes, for tags the adapter also scores, the weight of its own
    probability in the final score is chosen from ``ADAPTER_WEIGHTS`` (a smaller weight
    unless a larger one is clearly better). Of all thresholds within 2% of the best F1
    the middle one is kept, which depends less on a handful of turns than the single
    best point. Returns thresholds, the F1 at the best point, and the adapter weights.
    """
    thresholds = {label: 0.5 for label in labels}
    weights: dict[str, float] = {}
    dev_f1: dict[str, float] = {}

    def tune(states: Sequence[TurnState], turns: Sequence[Turn]) -> None:
        for label in labels:
            f1s = _f1_curve(states, turns, label)
            if f1s is None:
                continue
            thresholds[label] = middle_of_best(f1s)
            dev_f1[label] = float(f1s.max())

    tune(*_group_scores(groups, thresholds, weights))
    if stacked:
        best: dict[str, tuple[float, float]] = {}
        for weight in ADAPTER_WEIGHTS:
            states, turns = _group_scores(groups, thresholds, dict.fromkeys(stacked, weight))
            for label in stacked:
                f1s = _f1_curve(states, turns, label)
                if f1s is not None and f1s.max() > best.get(label, (-1.0, 0.0))[0] + 0.005:
                    best[label] = (float(f1s.max()), weight)
        weights = {label: weight for label, (_, weight) in best.items() if weight}
    tune(*_group_scores(groups, thresholds, weights))
    return thresholds, dev_f1, weights


def train_tagger(
    train: Sequence[Transcript],
    out: str | Path,
    *,
    name: str | None = None,
    codebook_path: str | Path | None = None,
    test: Sequence[Transcript] | None = None,
    config: TrainConfig | None = None,
    progress: Progress | None = None,
    sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Train, save and (optionally) test a tagger; returns the saved manifest."""
    config = config or TrainConfig()
    out = Path(out)
    started = time.time()
    train = list(train)
    if not train:
        raise ValidationError("no training transcripts")
    labels, label_roles, attributes, derived = label_schema(train)
    codebook_file = Path(codebook_path) if codebook_path is not None else DEFAULT_CODEBOOK
    codebook = load_codebook(codebook_file)
    codebook_text = codebook_file.read_text(encoding="utf-8")
    nlp = build_nlp(codebook_file, PIPELINE)
    encoder = load_encoder()
    spec = FeatureSpec(encoder.dim, codebook.ids, reply_roles=config.reply_roles)
    cache: dict[str, dict[str, np.ndarray]] = {}
    y, mask, attr = targets(train, labels, label_roles, attributes)

    if not 0 <= config.adapter.layers < len(encoder.model.layers):
        raise ValidationError(
            f"adapter layers must be 0 to {len(encoder.model.layers) - 1} "
            f"(the encoder has {len(encoder.model.layers)}); got {config.adapter.layers}"
        )
    styles = [other_style(t) for t in train] if config.style_copies else []
    copies = (
        [
            restyle_transcript(t, s, config.openers, config.disfluency, config.rising)
            for t, s in zip(train, styles, strict=True)
        ]
        if styles
        else []
    )
    adapter, stacked, adapter_report = None, None, {}
    adapter_folds = folds_by_transcript(train, config.adapter.folds, config.seed + 7, labels)
    if config.adapter.layers > 0 and adapter_folds:
        adapter, stacked, restyled, adapter_report = train_adapter(
            train, encoder, labels, label_roles, y, mask, adapter_folds, config, progress
        )
        if copies:
            # A copy's adapter probabilities come from the same fold adapter as its
            # original's, on the copy's own text.
            rows_in = _rows_by_transcript(train)
            stacked = np.concatenate(
                [stacked, *(restyled[s][rows_in[i]] for i, s in enumerate(styles))]
            )
        below = len(encoder.model.layers) - config.adapter.layers
        frozen = tuple(f"layer{i}" for i in range(1, below + 1))
        spec = FeatureSpec(
            encoder.dim,
            codebook.ids,
            views=frozen,
            context_views=frozen[-1:],
            stacked=tuple(labels),
            similarity_view=frozen[-1],
            reply_roles=config.reply_roles,
        )
    elif config.adapter.layers > 0:
        logger.info("too few transcripts for adapter folds: training the head on frozen views")

    if progress is not None:
        progress("encode", 0, 1)
    texts, _, docs, _, x = featurize(
        [*train, *copies], nlp, encoder, spec, config.max_chars, 64, cache, stacked=stacked
    )
    if progress is not None:
        progress("encode", 1, 1)
    if copies:
        y, mask, attr = targets([*train, *copies], labels, label_roles, attributes)
    rows_of = _rows_by_transcript([*train, *copies])
    originals = int(sum(len(t.turns) for t in train))
    folds = folds_by_transcript(train, config.members, config.seed, labels)

    def take(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        return x[rows], y[rows], mask[rows], {k: v[rows] for k, v in attr.items()}

    members: list[TaggerHead] = []
    groups: list[DevGroup] = []
    epochs: list[int] = []
    for m, fold in enumerate(folds):
        held = set(fold)
        fit_transcripts = [i for i in range(len(train)) if i not in held]
        if copies:  # copy i sits at len(train) + i
            fit_transcripts += [len(train) + i for i in fit_transcripts]
        tr = np.concatenate([rows_of[i] for i in fit_transcripts])
        dv = np.concatenate([rows_of[i] for i in fold])
        member, best_epoch, _ = fit_head(
            *take(tr),
            labels,
            attributes,
            replace(config, seed=config.seed + 101 * m),
            dev=take(dv),
            progress=progress,
            reply_columns=spec.next_turn_columns,
        )
        members.append(member)
        epochs.append(best_epoch)
        groups.append(
            DevGroup(
                Scorer(member, labels, label_roles, {}, attributes, derived, spec),
                [train[i] for i in fold],
                [texts[r] for r in dv],
                [docs[r] for r in dv],
                x[dv],
            )
        )
    if groups:
        thresholds, dev_f1, adapter_weights = tune_thresholds(groups, labels, spec.stacked)
        logger.info(
            "best epochs %s; out-of-fold F1 %s; adapter weights %s",
            epochs,
            {k: round(v, 3) for k, v in dev_f1.items()},
            adapter_weights,
        )
    else:  # too few transcripts to hold any out: fixed epochs, thresholds at 0.5
        members = [
            fit_head(
                x,
                y,
                mask,
                attr,
                labels,
                attributes,
                config,
                epochs=config.default_epochs,
                reply_columns=spec.next_turn_columns,
            )[0]
        ]
        epochs = [config.default_epochs]
        thresholds, dev_f1 = {label: 0.5 for label in labels}, {}
        adapter_weights = {}
    head = HeadEnsemble(members)

    if adapter is not None:
        # Evidence compares turns with the codebook's examples in the space turns are coded in.
        adapted = encoder.with_top_layers(adapter.merged_layers())
        examples = _example_vectors(codebook_file, adapted, {})
    else:
        examples = _example_vectors(codebook_file, encoder, cache)
    manifest: dict[str, Any] = {
        "name": name or out.name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "labels": labels,
        "label_roles": label_roles,
        "thresholds": thresholds,
        "adapter_weights": adapter_weights,
        "attributes": attributes,
        "derived": [asdict(d) for d in derived],
        "features": spec.to_dict(),
        "pipeline": list(PIPELINE),
        "encoder": {
            "name": ENCODER_NAME,
            "package": ENCODER_PACKAGE,
            "sha256": ENCODER_SHA256,
            "max_tokens": MAX_TOKENS,
            "pooling": "mean",
            "normalised": True,
        },
        "head": {
            "hidden": config.hidden,
            "dropout": config.dropout,
            "members": len(members),
            "epochs": epochs,
        },
        "training": {
            "data_sha256": data_hash(train),
            "sources": list(sources),
            "transcripts": len(train),
            "turns": originals,
            "style_copies": {
                "turns": int(len(x)) - originals,
                "styles": dict(Counter(styles)),
            },
            "dev_folds": [[train[i].id for i in fold] for fold in folds],
            "label_counts": {label: int(y[:originals, j].sum()) for j, label in enumerate(labels)},
            "config": asdict(config),
            "seconds": None,
        },
        "codebook": {"version": codebook.version, "sha256": codebook.sha256},
        "metrics": {"out_of_fold_f1": dev_f1, **adapter_report},
    }
    manifest["training"]["seconds"] = round(time.time() - started, 1)
    manifest = save_model(out, head, manifest, examples, codebook_text, adapter)
    if test:
        record_test(out, manifest, test)
    return manifest


def train_adapter(
    train: Sequence[Transcript],
    encoder: Any,
    labels: list[str],
    label_roles: dict[str, str],
    y: np.ndarray,
    mask: np.ndarray,
    folds: list[list[int]],
    config: TrainConfig,
    progress: Progress | None = None,
) -> tuple[TurnAdapter, np.ndarray, dict[str, np.ndarray], dict[str, Any]]:
    """Stage 1: out-of-fold adapter probabilities for every turn, and the adapter to ship.

    One adapter per fold scores the turns it never saw (these train the head); one
    more, trained on every turn, is saved with the model. Every turn is also encoded
    in each transcription style (``restyle.STYLES``): the adapters train on a mix, and
    the out-of-fold probabilities come back per style for the head's style copies.
    """
    cfg = config.adapter
    spec = AdapterSpec(
        layers=cfg.layers,
        labels=tuple(labels),
        label_roles=tuple(label_roles.get(label, "") for label in labels),
        rank=cfg.rank,
        alpha=cfg.alpha,
    )
    texts = [
        prepare_text(turn.text, config.max_chars, turn.role)[0] for t in train for turn in t.turns
    ]
    rising = [config.rising if said_rising(turn.tags) else 0.0 for t in train for turn in t.turns]
    roles = role_matrix([turn.role.value for t in train for turn in t.turns])
    if progress is not None:
        progress("adapter: encode", 0, 1)
    below = len(encoder.model.layers) - cfg.layers
    states = lower_states(encoder, texts, below)
    restyled = {
        style: lower_states(
            encoder,
            [
                training_text(text, style, config.openers, config.disfluency, rise)
                for text, rise in zip(texts, rising, strict=True)
            ],
            below,
        )
        for style in STYLES
        if cfg.restyle > 0 or config.style_copies
    }
    alternates = list(restyled.values()) if cfg.restyle > 0 else []
    if progress is not None:
        progress("adapter: encode", 1, 1)
    rows_of = _rows_by_transcript(train)
    oof = np.zeros((len(texts), len(labels)), dtype=np.float32)
    oof_restyled = {style: np.zeros_like(oof) for style in restyled}
    for k, fold in enumerate(folds):
        held = set(fold)
        fit_rows = np.concatenate([rows_of[i] for i in range(len(train)) if i not in held])
        dev_rows = np.concatenate([rows_of[i] for i in fold])
        member = fit_adapter(
            encoder,
            states,
            fit_rows.tolist(),
            roles,
            y,
            mask,
            spec,
            cfg,
            seed=config.seed + 31 * k,
            progress=progress,
            stage=f"adapter {k + 1}/{len(folds) + 1}",
            restyled=alternates,
        )
        oof[dev_rows] = predict_adapter(member, encoder, states, dev_rows.tolist(), roles)
        for style, style_states in restyled.items():
            oof_restyled[style][dev_rows] = predict_adapter(
                member, encoder, style_states, dev_rows.tolist(), roles
            )
    final = fit_adapter(
        encoder,
        states,
        list(range(len(texts))),
        roles,
        y,
        mask,
        spec,
        cfg,
        seed=config.seed,
        progress=progress,
        stage=f"adapter {len(folds) + 1}/{len(folds) + 1}",
        restyled=alternates,
    )
    oof_f1 = {}
    for j, label in enumerate(labels):
        keep = mask[:, j] > 0
        scores = binary_scores(label, list(y[keep, j] > 0), list(oof[keep, j] >= 0.5))
        oof_f1[label] = round(scores.f1, 4)
    logger.info("adapter out-of-fold F1 at 0.5: %s", oof_f1)
    return final, oof, oof_restyled, {"adapter_out_of_fold_f1_at_0.5": oof_f1}


def record_test(
    folder: Path, manifest: dict[str, Any], test: Sequence[Transcript]
) -> dict[str, Any]:
    """Evaluate the saved model on held-out gold and store the numbers in its manifest."""
    report = evaluate_folder(folder, test)
    manifest["metrics"]["test"] = compact_report(report)
    write_manifest(folder, manifest)
    return report


def evaluate_folder(folder: Path, gold: Sequence[Transcript]) -> dict[str, Any]:
    """Load the saved folder as a tagger (fresh, not cached) and score it on ``gold``."""
    from assistant.tagging import clear_cache, load_tagger

    clear_cache()
    report = evaluate_tagger(load_tagger(folder), gold)
    clear_cache()
    return report


def compact_report(report: dict[str, Any]) -> dict[str, Any]:
    """The numbers worth keeping in a manifest (no confusion lists)."""
    return {
        "turns": report["turns"],
        "macro_f1": round(report["macro_f1"], 4),
        "micro_f1": round(report["micro_f1"], 4),
        "tags": {
            tag: {
                k: (round(v, 4) if isinstance(v, float) else v)
                for k, v in s.items()
                if k in ("precision", "recall", "f1", "kappa", "support")
            }
            for tag, s in report["tags"].items()
        },
        "attributes": {
            key: {"accuracy": round(v["accuracy"], 4), "n": v["n"]}
            for key, v in report["attributes"].items()
        },
    }


def _rows_by_transcript(transcripts: Sequence[Transcript]) -> list[np.ndarray]:
    rows: list[np.ndarray] = []
    start = 0
    for t in transcripts:
        rows.append(np.arange(start, start + len(t.turns)))
        start += len(t.turns)
    return rows


def _example_vectors(
    codebook_file: Path, encoder: Any, cache: dict[str, dict[str, np.ndarray]]
) -> np.ndarray:
    from assistant.tagging.pipeline import codebook_examples

    texts = [example.text for example in codebook_examples(codebook_file)]
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return encode_cached(encoder, texts, 64, ("mean",), cache)["mean"]
