"""The tagger: spaCy cues + MiniLM encoder + trained head + context rules.

``Tagger.transform`` codes transcripts in chunks (every turn encoded once, in
length-sorted batches; the spaCy components run through ``nlp.pipe``); the context of a
turn is the embedding of the turn before it, already computed, so context is free.
``Tagger.transform_turn`` codes one answer for the chat and the drills.

Every predicted tag carries a probability (``turn.scores``) and evidence: cue spans
from the codebook, the nearest codebook example, and the rules that fired.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from spacy.tokens import Doc

from assistant.errors import ModelError
from assistant.model import Evidence, Role, Transcript, Turn
from assistant.settings import Settings, get_settings
from assistant.tagging.adapter import TurnAdapter, role_matrix
from assistant.tagging.codebook import load_codebook
from assistant.tagging.components import build_nlp
from assistant.tagging.encoder import ENCODER_SHA256, Encoder, load_encoder
from assistant.tagging.features import FeatureSpec, TurnSlot, build_matrix, slots_for
from assistant.tagging.head import TaggerHead, load_adapter, load_model
from assistant.tagging.marks import coded_text, noise_spans, original_span
from assistant.tagging.rules import TurnState, apply_rules
from assistant.tagging.runs import joined_runs, keep_whole_turns, lift_run_codes

logger = logging.getLogger(__name__)

CHUNK_TURNS = 2048  # turns coded per chunk in ``transform``: memory stays flat
NON_ENGLISH_SHARE = 0.3
NON_ENGLISH_MIN_WORDS = 5
NON_ENGLISH_DAMPING = 0.2
W_EMPTY = "empty turn: nothing to code"
W_TRUNCATED = "turn truncated to {limit} characters for tagging (it had {length})"
W_NON_ENGLISH = "text does not look like English: tags withheld, scores are not reliable"


@dataclass(frozen=True)
class Derived:
    """A tag implied by another tag's attribute (poorly_timed_self_disclosure)."""

    tag: str
    parent: str
    attribute: str
    value: str


@dataclass(frozen=True)
class CodebookExample:
    tag: str
    text: str
    source: str


def prepare_text(text: str, limit: int, role: Role | None = None) -> tuple[str, list[str]]:
    """The text to code (``marks.coded_text``; a therapist's notes about the speaker go
    too) and the warnings it earns (empty, truncated)."""
    warnings: list[str] = []
    therapist = role is Role.THERAPIST
    if noise_spans(text, speaker_notes=therapist):
        clean = coded_text(text, drop_speaker_notes=therapist)[0]
    else:
        clean = " ".join(text.split())
    if not clean:
        warnings.append(W_EMPTY)
    elif len(clean) > limit:
        warnings.append(W_TRUNCATED.format(limit=limit, length=len(clean)))
        clean = clean[:limit]
    return clean, warnings


def looks_non_english(doc: Doc, text: str | None = None) -> bool:
    """Another script (mostly non-ASCII letters), or five or more words with few English
    function words. Short turns ("scratchy carpet", "yeah exactly") are never flagged.

    ``text``: the doc's text when the caller has it (``doc.text`` walks every token).
    """
    text = doc.text if text is None else text
    if not text.isascii():  # ASCII text has no other-script letters: skip the count
        letters = [c for c in text if c.isalpha()]
        if len(letters) >= 8 and sum(not c.isascii() for c in letters) > 0.5 * len(letters):
            return True
    words = doc._.alpha_words
    if words is None:  # a doc that did not go through the surface component
        words = sum(1 for t in doc if t.is_alpha)
    surface = doc._.surface or {}
    return words >= NON_ENGLISH_MIN_WORDS and surface.get("english_share", 1.0) < NON_ENGLISH_SHARE


class Scorer:
    """Head + rules + thresholds, shared by the tagger and threshold tuning in training."""

    def __init__(
        self,
        head: TaggerHead,
        labels: Sequence[str],
        label_roles: dict[str, str],
        thresholds: dict[str, float],
        attributes: dict[str, list[str]],
        derived: Sequence[Derived] = (),
        spec: FeatureSpec | None = None,
        adapter_weights: dict[str, float] | None = None,
        bfloat16: bool = False,
    ) -> None:
        self.head = head
        # The head's arithmetic follows the encoder's (training tunes in float32).
        self.bfloat16 = bfloat16
        self.labels = list(labels)
        self.label_roles = dict(label_roles)
        self.thresholds = dict(thresholds)
        self.attributes = {k: list(v) for k, v in attributes.items()}
        self.derived = list(derived)
        self.spec = spec
        # Per tag, how much of the final score is the adapter's own probability rather
        # than the head's (chosen on out-of-fold F1 in training; 0 = head only).
        self.adapter_weights = dict(adapter_weights or {})

    def blend(self, probs: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Head probabilities mixed with the adapter's, per ``adapter_weights``."""
        if self.spec is None or not self.spec.stacked or not any(self.adapter_weights.values()):
            return probs
        adapter_probs = features[:, self.spec.stacked_columns]
        probs = probs.copy()
        for j, label in enumerate(self.labels):
            weight = self.adapter_weights.get(label, 0.0)
            if weight and label in self.spec.stacked:
                own = adapter_probs[:, self.spec.stacked.index(label)]
                probs[:, j] = (1.0 - weight) * probs[:, j] + weight * own
        return probs

    def states(
        self,
        transcripts: Sequence[Transcript],
        texts: Sequence[str],
        docs: Sequence[Doc],
        features: np.ndarray,
    ) -> list[list[TurnState]]:
        """Per transcript, the turn states after the head and the rules."""
        probs, attr_probs = self.head.predict(features, self.bfloat16)
        # Plain lists: indexing numpy per turn and label costs more than the rules.
        rows = self.blend(probs, features).tolist()
        attr_rows = {key: values.tolist() for key, values in attr_probs.items()}
        out: list[list[TurnState]] = []
        row = 0
        for transcript in transcripts:
            states: list[TurnState] = []
            for turn in transcript.turns:
                doc = docs[row]
                states.append(
                    TurnState(
                        role=turn.role,
                        text=texts[row],
                        index=turn.index,
                        scores=dict(zip(self.labels, rows[row], strict=True)),
                        attribute_scores={
                            key: dict(zip(values, attr_rows[key][row], strict=True))
                            for key, values in self.attributes.items()
                        },
                        cue_tags={cue.tag for cue in doc._.cues or ()},
                        surface=dict(doc._.surface or {}),
                    )
                )
                row += 1
            apply_rules(states, self.label_roles, self.thresholds)
            out.append(states)
        return out

    def decide(self, state: TurnState) -> tuple[list[str], dict[str, dict[str, str]]]:
        """Tags over threshold (in label order) and their attribute values."""
        tags = [
            label
            for label in self.labels
            if label in state.scores and state.scores[label] >= self.thresholds[label]
        ]
        attributes: dict[str, dict[str, str]] = {}
        for key, values in self.attributes.items():
            tag, name = key.split(".", 1)
            if tag in tags:
                probs = state.attribute_scores.get(key) or {}
                attributes.setdefault(tag, {})[name] = max(values, key=lambda v: probs.get(v, 0.0))
        for rule in self.derived:
            if rule.tag not in state.scores:
                continue
            implied = (
                rule.parent in tags
                and attributes.get(rule.parent, {}).get(rule.attribute) == rule.value
            )
            if implied and rule.tag not in tags:
                tags.append(rule.tag)
            elif not implied and rule.tag in tags:
                tags.remove(rule.tag)
        return tags, attributes


class Tagger:
    """A loaded model folder, ready to code transcripts (load it once per process)."""

    def __init__(self, folder: Path, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.path = folder
        loaded = load_model(folder)
        manifest = loaded.manifest
        self.manifest: dict[str, Any] = manifest
        self.name: str = str(manifest.get("name") or folder.name)
        self.labels: list[str] = list(manifest["labels"])
        encoder_info = manifest["encoder"]
        if encoder_info.get("sha256") not in (None, ENCODER_SHA256):
            raise ModelError(
                "the model was trained on another encoder than the installed one; retrain it",
                path=folder / "manifest.json",
            )
        self.spec = FeatureSpec.from_dict(manifest["features"])
        self.nlp = build_nlp(loaded.codebook_path, manifest["pipeline"])
        self.encoder: Encoder = load_encoder()
        # With a turn adapter, turns are coded by a second encoder whose top layers
        # carry the merged adapter; ``self.encoder`` stays plain for similarity uses.
        self.adapter: TurnAdapter | None = None
        self.tag_encoder: Encoder = self.encoder
        if "adapter" in manifest:
            self.adapter = load_adapter(folder, manifest, self.encoder)
            self.tag_encoder = self.encoder.with_top_layers(self.adapter.merged_layers())
        self.scorer = Scorer(
            loaded.head,
            self.labels,
            manifest["label_roles"],
            {k: float(v) for k, v in manifest["thresholds"].items()},
            manifest["attributes"],
            [Derived(**d) for d in manifest.get("derived", [])],
            self.spec,
            {k: float(v) for k, v in manifest.get("adapter_weights", {}).items()},
            bfloat16=self.encoder.precision == "bfloat16",
        )
        self.examples: list[CodebookExample] = []
        self.example_vectors: np.ndarray | None = None
        if loaded.codebook_path is not None and loaded.examples is not None:
            self.examples = codebook_examples(loaded.codebook_path)
            if len(self.examples) != len(loaded.examples):
                raise ModelError(
                    "example embeddings do not match the codebook in the model folder",
                    path=folder / "examples.safetensors",
                )
            self.example_vectors = loaded.examples
        rows_by_tag: dict[str, list[int]] = {}
        for i, example in enumerate(self.examples):
            rows_by_tag.setdefault(example.tag, []).append(i)
        self._example_rows = {tag: np.array(rows) for tag, rows in rows_by_tag.items()}

    # ------------------------------------------------------------------ API
    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised sentence embeddings (n, 384) for any texts."""
        return self.encoder.encode(texts, batch_size=self.settings.batch_size)

    def transform(
        self, transcripts: Iterable[Transcript], batch_size: int | None = None
    ) -> Iterator[Transcript]:
        """Annotated copies of ``transcripts``, in input order, coded chunk by chunk."""
        chunk: list[Transcript] = []
        size = 0
        for transcript in transcripts:
            chunk.append(transcript)
            size += len(transcript.turns)
            if size >= CHUNK_TURNS:
                yield from self._code(chunk, batch_size)
                chunk, size = [], 0
        if chunk:
            yield from self._code(chunk, batch_size)

    def transform_transcript(self, transcript: Transcript) -> Transcript:
        return next(iter(self._code([transcript], None)))

    def transform_turn(
        self,
        text: str,
        role: Role = Role.THERAPIST,
        context: Sequence[Turn] = (),
        position: float | None = None,
    ) -> Turn:
        """Code one turn (a drill answer, a chat message) after ``context`` turns.

        It is the last turn, so it has no reply: a therapist turn is coded exactly as
        in a whole transcript (therapist turns never see the reply), a client turn
        without the therapist's reply that a transcript would give it.
        """
        context = list(context)
        speaker = "T" if role is Role.THERAPIST else "C" if role is Role.CLIENT else "X"
        last = len(context)
        if position is not None:
            last = max(last, int(round(max(0.0, min(1.0, position)) * 119)))
        elif context and context[-1].index + 1 >= len(context):
            last = context[-1].index + 1
        turns = [
            Turn(index=last - len(context) + i, speaker=t.speaker, role=t.role, text=t.text)
            for i, t in enumerate(context)
        ]
        turns.append(Turn(index=last, speaker=speaker, role=role, text=text))
        source = {"session_length": 120}
        coded = self.transform_transcript(Transcript(id="turn", turns=turns, source=source))
        return coded.turns[-1]

    # ------------------------------------------------------------------ work
    def featurize(
        self, transcripts: Sequence[Transcript], batch_size: int | None = None
    ) -> tuple[list[str], list[list[str]], list[Doc], np.ndarray, np.ndarray]:
        """Texts, warnings, docs, embeddings and feature rows for every turn."""
        return featurize(
            transcripts,
            self.nlp,
            self.tag_encoder,
            self.spec,
            self.settings.max_turn_chars,
            batch_size or self.settings.batch_size,
            adapter=self.adapter,
        )

    def _code(
        self, transcripts: Sequence[Transcript], batch_size: int | None
    ) -> Iterator[Transcript]:
        # Runs of rows by one speaker are also coded joined into one turn (``runs.py``).
        joined = [joined_runs(transcript) for transcript in transcripts]
        copies = [j[0] for j in joined if j is not None]
        batch = [*transcripts, *copies]
        texts, warnings, docs, embeddings, features = self.featurize(batch, batch_size)
        all_states = self.scorer.states(batch, texts, docs, features)
        similarities = (
            embeddings @ self.example_vectors.T if self.example_vectors is not None else None
        )
        coded: list[list[Turn]] = []
        row = 0
        for transcript, states in zip(batch, all_states, strict=True):
            turns: list[Turn] = []
            for turn, state in zip(transcript.turns, states, strict=True):
                turns.append(
                    self._annotate(
                        turn,
                        state,
                        docs[row],
                        warnings[row],
                        similarities[row] if similarities is not None else None,
                    )
                )
                row += 1
            coded.append(turns)
        whole = iter(coded[len(transcripts) :])
        derived = [(d.tag, d.parent, d.attribute, d.value) for d in self.scorer.derived]
        for transcript, turns, found in zip(
            transcripts, coded[: len(transcripts)], joined, strict=True
        ):
            if found is not None:
                joined_turns = next(whole)
                turns = keep_whole_turns(turns, joined_turns)
                for run in found[1]:
                    turns[run.first : run.last + 1] = lift_run_codes(
                        turns[run.first : run.last + 1],
                        joined_turns[run.position],
                        run,
                        self.labels,
                        derived,
                    )
            yield transcript.model_copy(update={"turns": turns})

    def _annotate(
        self,
        turn: Turn,
        state: TurnState,
        doc: Doc,
        warnings: list[str],
        similarities: np.ndarray | None,
    ) -> Turn:
        warnings = list(warnings)
        if state.text and looks_non_english(doc, state.text):
            warnings.append(W_NON_ENGLISH)
        withheld = not state.text or W_NON_ENGLISH in warnings
        if withheld:
            damping = 0.0 if not state.text else NON_ENGLISH_DAMPING
            state.scores = {tag: p * damping for tag, p in state.scores.items()}
        tags, attributes = self.scorer.decide(state)
        if withheld:
            tags, attributes = [], {}
        # Cue offsets are in the coded text; evidence points into the text as written.
        origin = None
        if doc._.cues and state.text != turn.text:
            therapist = turn.role is Role.THERAPIST
            origin = coded_text(turn.text, drop_speaker_notes=therapist)[1]
        evidence = {tag: self._evidence(tag, state, doc, similarities, origin) for tag in tags}
        meta = dict(turn.meta)
        if warnings:
            meta["warnings"] = [*meta.get("warnings", []), *warnings]
            for warning in warnings:
                logger.debug("turn %d: %s", turn.index, warning)
        return turn.model_copy(
            update={
                "tags": tags,
                "scores": {tag: round(p, 4) for tag, p in state.scores.items()},
                "attributes": attributes,
                "evidence": evidence,
                "meta": meta,
            }
        )

    def _evidence(
        self,
        tag: str,
        state: TurnState,
        doc: Doc,
        similarities: np.ndarray | None,
        origin: list[int] | None = None,
    ) -> list[Evidence]:
        items = []
        for cue in doc._.cues or ():
            if cue.tag == tag:
                start, end = (
                    original_span(origin, cue.start, cue.end) if origin else (cue.start, cue.end)
                )
                items.append(
                    Evidence(kind="cue", text=cue.text, start=start, end=end, source=cue.source)
                )
        rows = self._example_rows.get(tag)
        if similarities is not None and rows is not None:
            best = int(rows[np.argmax(similarities[rows])])
            example = self.examples[best]
            items.append(
                Evidence(
                    kind="example",
                    text=example.text,
                    source=example.source,
                    similarity=round(float(similarities[best]), 3),
                )
            )
        items.extend(state.evidence.get(tag, []))
        if tag not in state.evidence:
            # The derived tag explains itself through its parent's rule evidence.
            for parent in (d.parent for d in self.scorer.derived if d.tag == tag):
                items.extend(state.evidence.get(parent, []))
        return items


def featurize(
    transcripts: Sequence[Transcript],
    nlp: Any,
    encoder: Encoder,
    spec: FeatureSpec,
    max_chars: int,
    batch_size: int,
    cache: dict[str, dict[str, np.ndarray]] | None = None,
    adapter: TurnAdapter | None = None,
    stacked: np.ndarray | None = None,
) -> tuple[list[str], list[list[str]], list[Doc], np.ndarray, np.ndarray]:
    """Texts, warnings, docs, sentence embeddings and feature rows for every turn.

    ``cache`` (text -> encoder views) lets training reuse vectors within one run.
    Where ``spec.stacked`` asks for the adapter's probabilities, they are computed
    with ``adapter`` from this pass's views (``encoder`` is then the adapted one),
    unless training hands its out-of-fold ``stacked`` probabilities in.
    """
    texts: list[str] = []
    warnings: list[list[str]] = []
    for transcript in transcripts:
        for turn in transcript.turns:
            text, notes = prepare_text(turn.text, max_chars, turn.role)
            texts.append(text)
            warnings.append(notes)
    # Identical turns ("mm-hmm", "okay") recur all session: each text is parsed once,
    # and its turns share the doc (nothing downstream writes to a doc).
    unique = list(dict.fromkeys(texts))
    parsed = dict(zip(unique, nlp.pipe(unique, batch_size=256), strict=True))
    docs = [parsed[text] for text in texts]
    slots: list[TurnSlot] = slots_for(transcripts)
    if not spec.stacked or stacked is not None:
        views = encode_cached(encoder, texts, batch_size, spec.encoder_views, cache)
    elif adapter is None:
        raise ModelError("the model's features need its turn adapter, which is not loaded")
    else:
        wanted = tuple(dict.fromkeys((*spec.encoder_views, *adapter.spec.views)))
        views = encode_cached(encoder, texts, batch_size, wanted, cache)
        stacked = adapter.predict_views(views, role_matrix([slot.role.value for slot in slots]))
    features = build_matrix(spec, slots, docs, views, stacked)
    return texts, warnings, docs, views["mean"], features


def encode_cached(
    encoder: Encoder,
    texts: Sequence[str],
    batch_size: int,
    views: Sequence[str],
    cache: dict[str, dict[str, np.ndarray]] | None,
) -> dict[str, np.ndarray]:
    """``encoder.encode_views``, reusing vectors already in ``cache`` (text -> views)."""
    if cache is None:
        return encoder.encode_views(texts, batch_size, views)
    missing = sorted({t for t in texts if t not in cache or any(v not in cache[t] for v in views)})
    if missing:
        fresh = encoder.encode_views(missing, batch_size, views)
        for row, text in enumerate(missing):
            cache.setdefault(text, {}).update({v: fresh[v][row] for v in views})
    if not texts:
        return {v: np.zeros((0, encoder.dim), dtype=np.float32) for v in views}
    return {v: np.stack([cache[t][v] for t in texts]) for v in views}


def codebook_examples(path: Path) -> list[CodebookExample]:
    """The codebook's positive examples, in a stable order (tag order, then file order)."""
    codebook = load_codebook(path)
    return [
        CodebookExample(entry.id, example.text, f"codebook:{entry.id}:positive:{number}")
        for entry in codebook.tags
        for number, example in enumerate(entry.positives, start=1)
    ]
