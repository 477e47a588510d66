"""Feature rows for the head: the turn, its context and its place in the session.

One row per turn, built from pieces that are computed once per turn:

- pooled views of the turn from one encoder pass (``FeatureSpec.views``: the sentence
  embedding, its last sentence, its opening word pieces, a lower layer), and the
  sentence embedding of the turn before it (already encoded, so context is free);
- how the turn relates to the one before it: embedding similarity and content-word
  overlap (a reflection gives back the client's words or meaning), and the
  similarity to the latest turn of the other speaker role;
- cue flags (one per codebook tag) for the turn, for the turn before it, and the
  maximum over the three turns before it (a rupture marker a little earlier is what a
  repair answers);
- surface features (``components.SURFACE_FEATURES``) of the turn and of the turn
  before it;
- role, and position in the session (fraction, and an "opening turns" flag);
- with a turn adapter (``adapter.py``): its tag probabilities for the turn, for the
  turn before it and the highest over the window (``stacked``). The similarity
  features then use a frozen lower-layer view (``similarity_view``), since the
  adapted embedding already leans towards the codes;
- for turns of the roles in ``reply_roles`` (the shipped model: client turns), the
  turn after it (cues, surface, adapter probabilities and similarity). Coders read a
  whole transcript, and a rupture often shows in how the therapist takes it: a
  therapist who checks in right away heard a client's "fine, whatever" as
  withdrawal. A turn with no reply yet (the end of a transcript, the last turn of a
  live session) gets zeros and ``has_next = 0``, as the last turn of every training
  scene does. Therapist turns are coded from what the therapist said and what came
  before, so a drill answer (which has no reply) is scored as the same words would be
  in a session.

``FeatureSpec`` names the layout; the model manifest stores it so a head is never fed
rows of another shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc

from assistant.model import Role, Transcript
from assistant.tagging.components import SURFACE_FEATURES

DEFAULT_SESSION_LENGTH = 120
OPENING_TURNS = 10
CONTEXT_WINDOW = 3
EXTRA_FEATURES: tuple[str, ...] = (
    "role_therapist",
    "role_client",
    "prev_same_speaker",
    "has_prev",
    "position",
    "opening",
    "prev_similarity",
    "prev_overlap_turn",
    "prev_overlap_prev",
    "other_role_similarity",
)
DEFAULT_VIEWS: tuple[str, ...] = (
    "mean",
    "tail",
    "head",
    "layer1",
    "layer2",
    "layer3",
    "layer4",
    "layer5",
)
CONTEXT_VIEWS: tuple[str, ...] = ("mean",)


@dataclass(frozen=True)
class FeatureSpec:
    embedding_dim: int
    cue_tags: tuple[str, ...]
    views: tuple[str, ...] = DEFAULT_VIEWS
    context_views: tuple[str, ...] = CONTEXT_VIEWS
    surface: tuple[str, ...] = SURFACE_FEATURES
    extra: tuple[str, ...] = EXTRA_FEATURES
    stacked: tuple[str, ...] = ()  # adapter labels whose probabilities are features
    similarity_view: str = "mean"
    # Roles ("therapist", "client") whose turns see the turn after (module docstring).
    reply_roles: tuple[str, ...] = ()

    @property
    def next_turn_dim(self) -> int:
        if not self.reply_roles:
            return 0
        return len(self.cue_tags) + len(self.surface) + len(self.stacked) + 2

    @property
    def dim(self) -> int:
        return (
            (len(self.views) + len(self.context_views)) * self.embedding_dim
            + 3 * len(self.cue_tags)
            + 2 * len(self.surface)
            + len(self.extra)
            + self.next_turn_dim
            + 3 * len(self.stacked)
        )

    @property
    def next_turn_columns(self) -> slice:
        """Where a row holds the features of the turn after it (empty without replies)."""
        end = self.dim - 3 * len(self.stacked)
        return slice(end - self.next_turn_dim, end)

    @property
    def stacked_columns(self) -> slice:
        """Where a row holds the turn's own adapter probabilities (in ``stacked`` order)."""
        a = len(self.stacked)
        return slice(self.dim - 3 * a, self.dim - 2 * a)

    @property
    def encoder_views(self) -> tuple[str, ...]:
        """Every view to ask the encoder for ("mean" always: evidence uses it)."""
        return tuple(
            dict.fromkeys(("mean", self.similarity_view, *self.views, *self.context_views))
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "embedding_dim": self.embedding_dim,
            "views": list(self.views),
            "context_views": list(self.context_views),
            "cue_tags": list(self.cue_tags),
            "surface": list(self.surface),
            "extra": list(self.extra),
            "stacked": list(self.stacked),
            "similarity_view": self.similarity_view,
            "reply_roles": list(self.reply_roles),
            "dim": self.dim,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> FeatureSpec:
        return cls(
            embedding_dim=int(raw["embedding_dim"]),  # type: ignore[arg-type]
            cue_tags=tuple(raw["cue_tags"]),  # type: ignore[arg-type]
            views=tuple(raw.get("views", ("mean",))),  # type: ignore[arg-type]
            context_views=tuple(raw.get("context_views", ("mean",))),  # type: ignore[arg-type]
            surface=tuple(raw["surface"]),  # type: ignore[arg-type]
            extra=tuple(raw["extra"]),  # type: ignore[arg-type]
            stacked=tuple(raw.get("stacked", ())),  # type: ignore[arg-type]
            similarity_view=str(raw.get("similarity_view", "mean")),
            reply_roles=tuple(raw.get("reply_roles", ())),  # type: ignore[arg-type]
        )


def session_length(transcript: Transcript) -> int:
    """Turns in the whole session: given, or (for a scene) 120, or the transcript's own."""
    given = transcript.source.get("session_length")
    if given:
        try:
            return max(1, int(given))
        except (TypeError, ValueError):
            pass
    if transcript.source.get("format") == "scenes" or "start" in transcript.source:
        return DEFAULT_SESSION_LENGTH
    return max(1, transcript.turns[-1].index + 1)


@dataclass(frozen=True)
class TurnSlot:
    """Where a turn sits: its role, index, the session length and its predecessor."""

    role: Role
    index: int
    length: int
    prev: int | None  # row of the previous turn in the same batch, or None
    prev_speaker_same: bool
    window: tuple[int, ...]  # rows of up to CONTEXT_WINDOW earlier turns
    next: int | None = None  # row of the following turn of the same transcript, or None


def speaker_runs(speakers: Sequence[str]) -> list[tuple[int, int]]:
    """For each position, (first, last) position of the run of consecutive rows by the
    same speaker that holds it."""
    runs: list[tuple[int, int]] = []
    start = 0
    for position in range(1, len(speakers) + 1):
        if position == len(speakers) or speakers[position] != speakers[start]:
            runs.extend([(start, position - 1)] * (position - start))
            start = position
    return runs


def slots_for(transcripts: Sequence[Transcript]) -> list[TurnSlot]:
    """One slot per turn of every transcript, rows numbered across the whole batch.

    Transcripts segmented by utterance give one speaker several rows in a row ("You've
    been carrying this alone." / "What would help this week?"). Each row is coded on its
    own words, but its context is that of the whole turn: the turn before is the other
    speaker's last row before the run, the window ends there, the reply is the row
    after the run, and its place in the session counts turns, not rows. (``runs.py``
    also codes each run joined into one turn.) A transcript with no such runs is read
    exactly as before.
    """
    slots: list[TurnSlot] = []
    row = 0
    for transcript in transcripts:
        length = session_length(transcript)
        first = row
        runs = speaker_runs([turn.speaker for turn in transcript.turns])
        continued = 0  # rows so far that continue their speaker's run
        for position, turn in enumerate(transcript.turns):
            run_first, run_last = runs[position]
            start = first + run_first  # the row where this speaker's run begins
            prev = start - 1 if run_first > 0 else None
            same = position > run_first
            continued += same
            window = tuple(range(max(first, start - CONTEXT_WINDOW), start))
            following = first + run_last + 1 if run_last + 1 < len(transcript.turns) else None
            # The place in the session counts turns, not rows.
            index = turn.index - continued
            slots.append(TurnSlot(turn.role, index, length, prev, same, window, following))
            row += 1
    return slots


def content_words(doc: Doc) -> frozenset[str]:
    known = doc._.content_words  # set by the surface component in the same pass
    if known is not None:
        return known
    return frozenset(t.lower_ for t in doc if t.is_alpha and not t.is_stop)


def _overlap(turn: frozenset[str], prev: frozenset[str]) -> tuple[float, float]:
    if not turn or not prev:
        return 0.0, 0.0
    shared = len(turn & prev)
    return shared / len(turn), shared / len(prev)


def build_matrix(
    spec: FeatureSpec,
    slots: Sequence[TurnSlot],
    docs: Sequence[Doc],
    views: dict[str, np.ndarray],
    stacked: np.ndarray | None = None,
) -> np.ndarray:
    """Feature rows (float32, shape (len(slots), spec.dim)); row i is slot i, doc i.

    ``stacked``: the adapter's probabilities (len(slots), len(spec.stacked)).
    """
    if len(slots) != len(docs):
        raise ValueError("one slot per doc expected")
    if spec.stacked and (stacked is None or stacked.shape != (len(slots), len(spec.stacked))):
        raise ValueError("the feature layout needs the adapter's probabilities for every turn")
    n = len(docs)
    k, s, e = len(spec.cue_tags), len(spec.surface), spec.embedding_dim
    cues = _cue_matrix(docs, spec.cue_tags)
    surfaces = [d._.surface or {} for d in docs]
    surface = np.array(
        [[values.get(name, 0.0) for name in spec.surface] for values in surfaces],
        dtype=np.float32,
    ).reshape(n, s)
    words = [content_words(d) for d in docs]
    mean = views[spec.similarity_view]
    out = np.zeros((n, spec.dim), dtype=np.float32)
    col = 0
    for view in spec.views:
        out[:, col : col + e] = views[view]
        col += e
    prev = np.array([-1 if slot.prev is None else slot.prev for slot in slots], dtype=np.int64)
    has_prev = prev >= 0
    for view in spec.context_views:
        out[has_prev, col : col + e] = views[view][prev[has_prev]]
        col += e
    out[:, col : col + k] = cues
    col += k
    out[has_prev, col : col + k] = cues[prev[has_prev]]
    col += k
    window_start = np.array([slot.window[0] if slot.window else i for i, slot in enumerate(slots)])
    out[:, col : col + k] = _window_max(cues, window_start)
    col += k
    out[:, col : col + s] = surface
    col += s
    out[has_prev, col : col + s] = surface[prev[has_prev]]
    col += s
    extra = np.zeros((n, len(spec.extra)), dtype=np.float32)
    other = np.full(n, -1, dtype=np.int64)  # the latest turn of another role in the window
    for i, slot in enumerate(slots):
        overlap_turn = overlap_prev = 0.0
        if slot.prev is not None:
            overlap_turn, overlap_prev = _overlap(words[i], words[slot.prev])
        for j in reversed(slot.window):
            if slots[j].role is not slot.role:
                other[i] = j
                break
        extra[i] = (
            slot.role is Role.THERAPIST,
            slot.role is Role.CLIENT,
            slot.prev_speaker_same,
            slot.prev is not None,
            min(1.0, slot.index / max(1, slot.length - 1)),
            slot.index < OPENING_TURNS,
            0.0,  # similarity to the previous turn, filled below
            overlap_turn,
            overlap_prev,
            0.0,  # similarity to the latest turn of the other role, filled below
        )
    has_other = other >= 0
    similarity, other_similarity = (
        EXTRA_FEATURES.index("prev_similarity"),
        EXTRA_FEATURES.index("other_role_similarity"),
    )
    extra[has_prev, similarity] = np.einsum("ij,ij->i", mean[has_prev], mean[prev[has_prev]])
    extra[has_other, other_similarity] = np.einsum(
        "ij,ij->i", mean[has_other], mean[other[has_other]]
    )
    out[:, col : col + len(spec.extra)] = extra
    col += len(spec.extra)
    if spec.reply_roles:
        nxt = np.array(
            [
                slot.next if slot.next is not None and slot.role.value in spec.reply_roles else -1
                for slot in slots
            ],
            dtype=np.int64,
        )
        rows = np.flatnonzero(nxt >= 0)
        replies = nxt[rows]
        a = len(spec.stacked)
        out[rows, col : col + k] = cues[replies]
        out[rows, col + k : col + k + s] = surface[replies]
        if a and stacked is not None:
            out[rows, col + k + s : col + k + s + a] = stacked[replies]
        out[rows, col + k + s + a] = 1.0  # has a reply
        out[rows, col + k + s + a + 1] = np.einsum("ij,ij->i", mean[rows], mean[replies])
        col += spec.next_turn_dim
    if spec.stacked and stacked is not None:
        # Like the cues: the turn's own, the previous turn's, the window's highest.
        a = len(spec.stacked)
        out[:, col : col + a] = stacked
        out[has_prev, col + a : col + 2 * a] = stacked[prev[has_prev]]
        out[:, col + 2 * a : col + 3 * a] = _window_max(stacked, window_start)
    return out


def _cue_matrix(docs: Sequence[Doc], cue_tags: Sequence[str]) -> np.ndarray:
    """Row i: 1 for each tag that doc i has a cue of."""
    index = {tag: i for i, tag in enumerate(cue_tags)}
    out = np.zeros((len(docs), len(cue_tags)), dtype=np.float32)
    for row, doc in enumerate(docs):
        for cue in doc._.cues or ():
            column = index.get(cue.tag)
            if column is not None:
                out[row, column] = 1.0
    return out


def _window_max(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Row i: the column-wise max of ``values[start[i]:i]``, zeros where that is empty.

    Windows are at most ``CONTEXT_WINDOW`` rows, so a few shifted maxima replace a
    per-row loop (this runs on every chunk the tagger codes).
    """
    rows = np.arange(len(values))
    out = np.full(values.shape, -np.inf, dtype=np.float32)
    for offset in range(1, CONTEXT_WINDOW + 1):
        source = rows - offset
        inside = source >= start
        out[inside] = np.maximum(out[inside], values[source[inside]])
    out[np.isinf(out)] = 0.0
    return out
