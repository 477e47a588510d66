"""The session profile: what a coded transcript says about the therapist's practice.

Computed only from tagged turns. MITI-style summary scores are shown beside their
published thresholds (MITI 4.2.1: R:Q fair 1:1, good 2:1; %CR fair 40%, good 50%).
``overall`` is one 0-100 summary of alliance-building practice; its formula is in
``docs/profile.md`` and its parts are kept next to it so nobody has to trust a
single number. It is not "the alliance": transcript scores predict client-rated
alliance only weakly (Goldberg et al. 2020).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.model import ALL_TAGS, CLIENT_TAGS, THERAPIST_TAGS, Transcript, Turn

# MITI 4.2.1 thresholds (fair, good).
RQ_THRESHOLDS = (1.0, 2.0)
PCT_COMPLEX_THRESHOLDS = (0.40, 0.50)
# Below this many therapist turns the rates are too noisy to read as a profile.
MIN_THERAPIST_TURNS = 6
# A repair counts for a rupture when it comes within this many turns after it.
REPAIR_WINDOW = 4
RUPTURE_TAGS = ("rupture_withdrawal", "rupture_confrontation")
PER_10_TAGS = ("warmth", "collaboration", "rigidity", "poorly_timed_self_disclosure", "repair")

# Targets used to scale the parts of ``overall`` to 0..1 (see docs/profile.md).
OVERALL_TARGETS = {
    "reflection_to_question": RQ_THRESHOLDS[1],
    "percent_complex_reflections": PCT_COMPLEX_THRESHOLDS[1],
    "warmth_per_10": 2.0,
    "collaboration_per_10": 1.5,
    "rigidity_per_10": 2.0,
    "poorly_timed_self_disclosure_per_10": 1.0,
}


@dataclass
class RuptureEvent:
    turn_index: int
    type: str
    text: str
    repaired: bool
    repair_turn_index: int | None


@dataclass
class SessionProfile:
    conversation_id: str
    turns: int
    therapist_turns: int
    client_turns: int
    sufficient: bool
    note: str | None
    counts: dict[str, int]
    rates: dict[str, float]
    per_10_therapist_turns: dict[str, float]
    reflections: int
    complex_reflections: int
    questions: int
    open_questions: int
    reflection_to_question: float | None
    percent_complex_reflections: float | None
    percent_open_questions: float | None
    therapist_talk_share_words: float | None
    therapist_talk_share_time: float | None
    ruptures: list[RuptureEvent]
    ruptures_repaired: int
    timeline_thirds: list[dict[str, int]]
    timeline: list[dict[str, Any]]
    overall: float | None
    overall_parts: dict[str, float]
    thresholds: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "reflection_to_question": {"fair": RQ_THRESHOLDS[0], "good": RQ_THRESHOLDS[1]},
            "percent_complex_reflections": {
                "fair": PCT_COMPLEX_THRESHOLDS[0],
                "good": PCT_COMPLEX_THRESHOLDS[1],
            },
        }
    )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> dict[str, Any]:
        """The flat part of the profile (for sessions.jsonl and spreadsheets)."""
        data = self.to_dict()
        keep = (
            "sufficient",
            "note",
            "reflection_to_question",
            "percent_complex_reflections",
            "percent_open_questions",
            "therapist_talk_share_words",
            "therapist_talk_share_time",
            "ruptures_repaired",
            "overall",
        )
        out = {k: data[k] for k in keep}
        out["ruptures"] = len(self.ruptures)
        out.update({f"{k}_per_10": v for k, v in self.per_10_therapist_turns.items()})
        out["overall_parts"] = self.overall_parts
        return out

    def rating(self, metric: str) -> str | None:
        """'good', 'fair' or 'below fair' for metrics that have MITI thresholds."""
        value = getattr(self, metric)
        limits = self.thresholds.get(metric)
        if value is None or limits is None:
            return None
        if value >= limits["good"]:
            return "good"
        return "fair" if value >= limits["fair"] else "below fair"


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def _words(turn: Turn) -> int:
    return len(turn.text.split())


def _talk_share_time(transcript: Transcript) -> float | None:
    spans = {"therapist": 0.0, "client": 0.0}
    for turn in transcript.turns:
        if turn.start is None or turn.end is None:
            return None
        if turn.role.value in spans:
            spans[turn.role.value] += turn.end - turn.start
    total = spans["therapist"] + spans["client"]
    return round(spans["therapist"] / total, 3) if total else None


def find_ruptures(transcript: Transcript) -> list[RuptureEvent]:
    """Client rupture turns, and whether a therapist repair followed within the window."""
    events: list[RuptureEvent] = []
    turns = transcript.turns
    for pos, turn in enumerate(turns):
        kinds = [tag for tag in RUPTURE_TAGS if tag in turn.tags]
        if not kinds or not turn.is_client:
            continue
        repair = next(
            (
                later
                for later in turns[pos + 1 : pos + 1 + REPAIR_WINDOW]
                if later.is_therapist and "repair" in later.tags
            ),
            None,
        )
        events.append(
            RuptureEvent(
                turn_index=turn.index,
                type=kinds[0].removeprefix("rupture_"),
                text=turn.text,
                repaired=repair is not None,
                repair_turn_index=repair.index if repair else None,
            )
        )
    return events


def _thirds(transcript: Transcript) -> list[dict[str, int]]:
    n = len(transcript.turns)
    thirds: list[dict[str, int]] = [dict.fromkeys(ALL_TAGS, 0) for _ in range(3)]
    for pos, turn in enumerate(transcript.turns):
        bucket = min(2, pos * 3 // max(n, 1))
        for tag in turn.tags:
            thirds[bucket][tag] = thirds[bucket].get(tag, 0) + 1
    return thirds


def _overall(
    parts_raw: dict[str, float | None], repair_share: float | None
) -> tuple[float, dict[str, float]]:
    """Alliance-building minus alliance-straining, each part scaled to 0..1 (docs/profile.md)."""

    def scaled(name: str) -> float:
        value = parts_raw.get(name)
        return 0.0 if value is None else min(value / OVERALL_TARGETS[name], 1.0)

    building = {
        "reflection_to_question": scaled("reflection_to_question"),
        "percent_complex_reflections": scaled("percent_complex_reflections"),
        "warmth": scaled("warmth_per_10"),
        "collaboration": scaled("collaboration_per_10"),
        "ruptures_repaired": 1.0 if repair_share is None else repair_share,
    }
    straining = {
        "rigidity": scaled("rigidity_per_10"),
        "poorly_timed_self_disclosure": scaled("poorly_timed_self_disclosure_per_10"),
    }
    build_mean = sum(building.values()) / len(building)
    strain_mean = sum(straining.values()) / len(straining)
    overall = round(100 * (0.6 * build_mean + 0.4 * (1 - strain_mean)), 1)
    parts = {f"building.{k}": round(v, 3) for k, v in building.items()}
    parts.update({f"straining.{k}": round(v, 3) for k, v in straining.items()})
    return overall, parts


def build_profile(transcript: Transcript) -> SessionProfile:
    """Compute the profile of a coded transcript (tags must already be on the turns)."""
    therapist = transcript.therapist_turns
    n_t = len(therapist)
    counts = {tag: 0 for tag in ALL_TAGS}
    for turn in transcript.turns:
        for tag in turn.tags:
            counts[tag] = counts.get(tag, 0) + 1
    reflections = counts["reflection"]
    complex_reflections = sum(
        1
        for t in therapist
        if "reflection" in t.tags and t.attribute("reflection", "depth") == "complex"
    )
    open_q, closed_q = counts["open_question"], counts["closed_question"]
    questions = open_q + closed_q
    rates = {tag: round(counts[tag] / n_t, 3) if n_t else 0.0 for tag in THERAPIST_TAGS}
    n_c = len(transcript.client_turns)
    rates.update({tag: round(counts[tag] / n_c, 3) if n_c else 0.0 for tag in CLIENT_TAGS})
    per_10 = {tag: round(10 * counts[tag] / n_t, 2) if n_t else 0.0 for tag in PER_10_TAGS}
    words_t = sum(_words(t) for t in therapist)
    words_c = sum(_words(t) for t in transcript.client_turns)
    ruptures = find_ruptures(transcript)
    repaired = sum(1 for r in ruptures if r.repaired)

    sufficient = n_t >= MIN_THERAPIST_TURNS
    note = None
    if n_t == 0:
        note = "No therapist turns were found, so there is no practice profile to give."
    elif not sufficient:
        note = (
            f"Only {n_t} therapist turns: too few for stable rates; the counts are shown, "
            "read the rates with caution."
        )

    rq = (
        _ratio(reflections, questions)
        if questions
        else (float(reflections) if reflections else None)
    )
    pct_cr = _ratio(complex_reflections, reflections)
    raw = {
        "reflection_to_question": rq,
        "percent_complex_reflections": pct_cr,
        **{f"{tag}_per_10": per_10[tag] for tag in PER_10_TAGS},
    }
    overall, parts = (None, {}) if n_t == 0 else _overall(raw, _ratio(repaired, len(ruptures)))
    timeline = [
        {"turn_index": t.index, "role": t.role.value, "tags": list(t.tags)}
        for t in transcript.turns
    ]
    return SessionProfile(
        conversation_id=transcript.id,
        turns=len(transcript.turns),
        therapist_turns=n_t,
        client_turns=n_c,
        sufficient=sufficient,
        note=note,
        counts=counts,
        rates=rates,
        per_10_therapist_turns=per_10,
        reflections=reflections,
        complex_reflections=complex_reflections,
        questions=questions,
        open_questions=open_q,
        reflection_to_question=rq,
        percent_complex_reflections=pct_cr,
        percent_open_questions=_ratio(open_q, questions),
        therapist_talk_share_words=_ratio(words_t, words_t + words_c),
        therapist_talk_share_time=_talk_share_time(transcript),
        ruptures=ruptures,
        ruptures_repaired=repaired,
        timeline_thirds=_thirds(transcript),
        timeline=timeline,
        overall=overall,
        overall_parts=parts,
    )
