"""Rows by one speaker in a row: coded one by one, and read together as one turn.

Many research transcripts are segmented by utterance: "I hear that, but you need to
have one." / "You've got to take this seriously." arrive as two rows by the same
therapist. Our codes are defined on turns, and several are judgments about the
whole turn: a directive pressed across sentences is rigid, a disclosure is poorly
timed when the turn never hands the focus back (``rules.self_disclosure_timing``).
Coded one row at a time, the five dev probes split at sentence ends lost 0.09 macro
F1 against their turn codes (rigidity 0.83 -> 0.56, advice 0.90 -> 0.74;
``bench/utterances.py``); with the joined reading below, none.

So each run of two or more rows by one speaker is also coded as one turn (its rows'
texts joined, in a copy of the transcript with every run joined), and that turn
decides which codes the run carries; the rows, coded one by one, decide where:

- a code a row finds that the joined turn does not is dropped (its score capped at
  the joined turn's). Read alone, a row of rationale ("Activity is one way into that
  loop.") follows the client's turn directly and looks like a reflection;
- a code the joined turn finds and no row does goes to one row: the row holding the
  joined turn's cue for it, else the row that scores highest for it, with the joined
  turn's score and attributes, and a rule evidence saying where it came from;
- a disclosure's timing is the joined turn's: a turn that hands the focus back in its
  next sentence is well timed, though the disclosing row alone does not.

A row that is a whole turn by itself (a client's answer between two runs) keeps the
codes of the joined copy, where its context is whole turns as in training: a "fine,
whatever" reads as withdrawal after the whole pressing turn, not after its last
sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.model import Evidence, Transcript, Turn
from assistant.tagging.features import speaker_runs

RULE = "speaker_run"


@dataclass(frozen=True)
class Run:
    """Rows ``first`` to ``last`` (positions in the transcript) by one speaker, its
    position in the joined copy, and where each row's text starts in the joined text."""

    first: int
    last: int
    position: int
    offsets: tuple[int, ...]


def joined_runs(transcript: Transcript) -> tuple[Transcript, list[Run]] | None:
    """A copy of ``transcript`` with every run of rows by one speaker joined into one
    turn (numbered by turns from the first row's index), and the runs of two or more
    rows; None when there are none."""
    spans = list(dict.fromkeys(speaker_runs([turn.speaker for turn in transcript.turns])))
    if len(spans) == len(transcript.turns):
        return None
    turns: list[Turn] = []
    runs: list[Run] = []
    for position, (first, last) in enumerate(spans):
        rows = transcript.turns[first : last + 1]
        offsets, at = [], 0
        for row in rows:
            offsets.append(at)
            at += len(row.text) + 1
        text = " ".join(row.text for row in rows)
        # Numbered by turns, not rows: the model reads a turn's place in the session.
        turns.append(
            rows[0].model_copy(
                update={
                    "index": transcript.turns[0].index + position,
                    "text": text,
                    "end": rows[-1].end,
                    "meta": {},
                }
            )
        )
        if last > first:
            runs.append(Run(first, last, position, tuple(offsets)))
    return transcript.model_copy(update={"turns": turns}), runs


def keep_whole_turns(rows: Sequence[Turn], joined: Sequence[Turn]) -> list[Turn]:
    """``rows`` (a transcript coded row by row) with every row that is a turn by itself
    taking its codes from ``joined`` (the copy with runs joined, coded)."""
    out = list(rows)
    spans = list(dict.fromkeys(speaker_runs([row.speaker for row in rows])))
    for whole, (first, last) in zip(joined, spans, strict=True):
        if first == last:
            out[first] = rows[first].model_copy(
                update={
                    "tags": whole.tags,
                    "scores": whole.scores,
                    "attributes": whole.attributes,
                    "evidence": whole.evidence,
                }
            )
    return out


def _row_of(run: Run, start: int) -> int:
    """The row (position in the run) whose text holds offset ``start`` of the joined text."""
    row = 0
    for k, offset in enumerate(run.offsets):
        if offset <= start:
            row = k
    return row


def lift_run_codes(
    rows: Sequence[Turn],
    joined: Turn,
    run: Run,
    labels: Sequence[str],
    derived: Sequence[tuple[str, str, str, str]] = (),
) -> list[Turn]:
    """``rows`` (one run, coded one by one) coded as ``joined`` (the run read as one
    turn) says (module docstring): its codes and no others, each on the rows that
    found it or else on one row.

    ``derived``: (tag, parent, attribute, value) of tags implied by a parent's
    attribute (a poorly timed disclosure); the joined turn decides that attribute.
    """
    rows = [_only(row, joined) for row in rows]
    held = {tag for row in rows for tag in row.tags}
    for tag in (t for t in joined.tags if t not in held):
        cues = [e for e in joined.evidence.get(tag, []) if e.kind == "cue" and e.start is not None]
        if cues:
            k = _row_of(run, cues[0].start or 0)
        else:
            k = max(range(len(rows)), key=lambda i: rows[i].scores.get(tag, 0.0))
        note = Evidence(
            kind="rule",
            text=(
                f"the {len(rows)} rows {rows[0].index}-{rows[-1].index} by this speaker, "
                f"read together as one turn, carry this code; this row "
                f"{'holds its cue' if cues else 'scores highest for it'}"
            ),
            source=RULE,
        )
        rows[k] = _with(rows[k], tag, joined, labels, [*_cues_in_row(cues, run, k, rows[k]), note])
    for tag, parent, name, value in derived:
        decided = joined.attributes.get(parent, {}).get(name)
        if parent not in joined.tags or decided is None:
            continue
        for k, row in enumerate(rows):
            if parent not in row.tags and tag not in row.tags:
                continue
            if parent not in row.tags:
                row = _with(row, parent, joined, labels, joined.evidence.get(parent, []))
            attributes = {key: dict(values) for key, values in row.attributes.items()}
            attributes.setdefault(parent, {})[name] = decided
            row = row.model_copy(update={"attributes": attributes})
            if decided == value and tag not in row.tags:
                row = _with(row, tag, joined, labels, joined.evidence.get(tag, []))
            elif decided != value and tag in row.tags:
                row = _only(row, joined, drop=(tag,))
            rows[k] = row
    return rows


def _only(row: Turn, joined: Turn, drop: Sequence[str] = ()) -> Turn:
    """``row`` without the codes ``joined`` lacks (and those in ``drop``); their scores
    are capped at the joined turn's, so no score left passes its threshold."""
    gone = [tag for tag in row.tags if tag not in joined.tags or tag in drop]
    if not gone:
        return row
    scores = dict(row.scores)
    for tag in gone:
        scores[tag] = min(scores.get(tag, 0.0), joined.scores.get(tag, 0.0))
    return row.model_copy(
        update={
            "tags": [tag for tag in row.tags if tag not in gone],
            "scores": scores,
            "attributes": {k: v for k, v in row.attributes.items() if k not in gone},
            "evidence": {k: v for k, v in row.evidence.items() if k not in gone},
        }
    )


def _with(
    row: Turn, tag: str, joined: Turn, labels: Sequence[str], evidence: Sequence[Evidence]
) -> Turn:
    """``row`` with ``tag`` added as ``joined`` has it: its score, attributes, evidence."""
    tags = [label for label in labels if label in row.tags or label == tag]
    tags += [t for t in row.tags if t not in tags]
    attributes = {key: dict(values) for key, values in row.attributes.items()}
    if tag in joined.attributes:
        attributes[tag] = dict(joined.attributes[tag])
    scores = dict(row.scores)
    scores[tag] = max(scores.get(tag, 0.0), joined.scores.get(tag, 0.0))
    found = {key: list(values) for key, values in row.evidence.items()}
    found[tag] = list(evidence)
    return row.model_copy(
        update={"tags": tags, "attributes": attributes, "scores": scores, "evidence": found}
    )


def _cues_in_row(cues: Sequence[Evidence], run: Run, k: int, row: Turn) -> list[Evidence]:
    """The joined turn's cue spans that fall in row ``k``, with offsets into its text."""
    out = []
    offset = run.offsets[k]
    for cue in cues:
        start, end = (cue.start or 0) - offset, (cue.end or 0) - offset
        if 0 <= start < end <= len(row.text):
            out.append(cue.model_copy(update={"start": start, "end": end}))
    return out
