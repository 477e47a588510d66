"""What went well: at most two strengths, each shown by the turns that carry it.

Candidates are scored by how far they reach towards their target (the same targets
as the profile's ``overall``); a repaired rupture ranks first because repair is the
rarest and most valuable move. A strength in the same skill as the growth edge is
skipped, so the note never praises and questions the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.feedback.quotes import quote_turn
from assistant.feedback.schema import Strength, TurnQuote
from assistant.feedback.texts import FeedbackTexts
from assistant.model import Transcript, Turn
from assistant.profile import OVERALL_TARGETS, PCT_COMPLEX_THRESHOLDS, RQ_THRESHOLDS, SessionProfile

MAX_STRENGTHS = 2
QUOTES_PER_STRENGTH = 2
# Which growth-edge skill a strength belongs to (to avoid praising the edge itself).
STRENGTH_SKILL = {
    # A repair is an event, not a rate: praising one beside a missed rupture is fair.
    "repair": (),
    "complex_reflection": ("reflection",),
    "reflection": ("reflection",),
    "warmth": ("warmth_validation",),
    "collaboration": ("collaboration", "flexibility"),
    "self_disclosure": ("self_disclosure",),
    "open_question": (),
}


@dataclass
class _Candidate:
    key: str
    reach: float
    turns: list[Turn]
    tag: str
    value: str = ""


def cue_focus(turn: Turn, tag: str) -> tuple[int, int] | None:
    """The first cue span the tagger gave as evidence for ``tag``, if any."""
    for item in turn.evidence.get(tag, []):
        if item.kind == "cue" and item.start is not None and item.end is not None:
            return item.start, item.end
    return None


def quotes_for(turns: list[Turn], tag: str, limit: int = QUOTES_PER_STRENGTH) -> list[TurnQuote]:
    best = sorted(turns, key=lambda t: -t.scores.get(tag, 1.0))[:limit]
    return [quote_turn(t, cue_focus(t, tag)) for t in sorted(best, key=lambda t: t.index)]


def _tagged(transcript: Transcript, tag: str, depth: str | None = None) -> list[Turn]:
    return [
        t
        for t in transcript.therapist_turns
        if tag in t.tags and (depth is None or t.attribute(tag, "depth") == depth)
    ]


def _candidates(transcript: Transcript, profile: SessionProfile) -> list[_Candidate]:
    out: list[_Candidate] = []
    repairs = [
        transcript.turn(r.repair_turn_index)
        for r in profile.ruptures
        if r.repaired and r.repair_turn_index is not None
    ]
    if repairs:
        unique = list({t.index: t for t in repairs}.values())
        out.append(_Candidate("repair", 2.0, unique, "repair"))
    complex_turns = _tagged(transcript, "reflection", "complex")
    pct = profile.percent_complex_reflections
    if complex_turns and pct is not None and pct >= PCT_COMPLEX_THRESHOLDS[0]:
        out.append(
            _Candidate(
                "complex_reflection",
                min(pct / PCT_COMPLEX_THRESHOLDS[1], 1.5),
                complex_turns,
                "reflection",
                f"{pct:.0%}",
            )
        )
    rq = profile.reflection_to_question
    reflections = _tagged(transcript, "reflection")
    if len(reflections) >= 2 and rq is not None and rq >= RQ_THRESHOLDS[0]:
        out.append(
            _Candidate(
                "reflection",
                min(rq / RQ_THRESHOLDS[1], 1.5),
                reflections,
                "reflection",
                f"{rq:.1f}:1",
            )
        )
    for key, tag, target in (
        ("warmth", "warmth", OVERALL_TARGETS["warmth_per_10"]),
        ("collaboration", "collaboration", OVERALL_TARGETS["collaboration_per_10"]),
    ):
        turns = _tagged(transcript, tag)
        if turns:
            out.append(
                _Candidate(
                    key, min(profile.per_10_therapist_turns.get(tag, 0.0) / target, 1.5), turns, tag
                )
            )
    well_timed = [
        t
        for t in _tagged(transcript, "self_disclosure")
        if t.attribute("self_disclosure", "timing") == "well_timed"
        and "poorly_timed_self_disclosure" not in t.tags
    ]
    if well_timed:
        out.append(_Candidate("self_disclosure", 0.6, well_timed, "self_disclosure"))
    share = profile.percent_open_questions
    opens = _tagged(transcript, "open_question")
    if opens and share is not None and share >= 0.5 and len(opens) >= 2:
        out.append(_Candidate("open_question", share * 0.8, opens, "open_question", f"{share:.0%}"))
    return out


def choose_strengths(
    transcript: Transcript, profile: SessionProfile, texts: FeedbackTexts, edge_skill: str | None
) -> list[Strength]:
    """At most two strengths, best first, none in the growth edge's own skill."""
    ranked = sorted(_candidates(transcript, profile), key=lambda c: -c.reach)
    chosen: list[Strength] = []
    used_turns: set[int] = set()
    for candidate in ranked:
        if edge_skill and edge_skill in STRENGTH_SKILL[candidate.key]:
            continue
        if candidate.key == "reflection" and any(s.key == "complex_reflection" for s in chosen):
            continue
        if candidate.key == "complex_reflection" and any(s.key == "reflection" for s in chosen):
            continue
        # Prefer turns not already quoted for another strength.
        fresh = [t for t in candidate.turns if t.index not in used_turns] or candidate.turns
        quotes = quotes_for(fresh, candidate.tag)
        used_turns.update(q.index for q in quotes)
        spec = texts.strengths[candidate.key]
        chosen.append(
            Strength(
                key=candidate.key,
                title=spec["title"],
                sentence=spec["sentence"].format(value=candidate.value),
                quotes=quotes,
            )
        )
        if len(chosen) == MAX_STRENGTHS:
            break
    return chosen
