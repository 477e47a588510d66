"""Choosing the one growth edge, and the moment that shows it (docs/feedback.md).

The rules are tried in order and the first that applies wins:

1. a rupture without repair -> withdrawal_rupture / confrontation_rupture;
2. a poorly timed self-disclosure -> self_disclosure;
3. rigidity above its target -> flexibility;
4. the largest relative gap to a MITI "good" line: R:Q below 2:1 -> reflection,
   %CR below 50% -> reflection with a complex focus;
5. warmth or collaboration below target (the larger relative gap) -> warmth_validation
   or collaboration;
6. nothing applies -> the alliance-building part with the lowest score.

Rules 3-6 read rates, so they are skipped when the profile has too few therapist turns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from assistant.feedback.schema import GrowthEdge
from assistant.feedback.slots import words
from assistant.feedback.texts import FeedbackTexts
from assistant.model import QUESTION_TAGS, Role, Transcript, Turn
from assistant.profile import (
    OVERALL_TARGETS,
    PCT_COMPLEX_THRESHOLDS,
    REPAIR_WINDOW,
    RQ_THRESHOLDS,
    SessionProfile,
)

# Rigid turns above this many per 10 therapist turns make flexibility the edge (our
# choice: one rigid turn in a short stretch is common; more is a pattern).
RIGIDITY_MAX_PER_10 = 1.0
WARMTH_TARGET_PER_10 = OVERALL_TARGETS["warmth_per_10"]
COLLABORATION_TARGET_PER_10 = OVERALL_TARGETS["collaboration_per_10"]
RQ_GOOD = RQ_THRESHOLDS[1]
PCT_CR_GOOD = PCT_COMPLEX_THRESHOLDS[1]
STRAINING_TAGS = ("rigidity", "poorly_timed_self_disclosure")


@dataclass
class EdgeChoice:
    """The growth edge and the two turns of the moment that shows it."""

    edge: GrowthEdge
    client: Turn | None
    therapist: Turn | None
    why: str


def turn_number(turn: Turn | None) -> str:
    return "?" if turn is None else str(turn.index + 1)


def _next_therapist(transcript: Transcript, turn: Turn) -> Turn | None:
    pos = transcript.turns.index(turn)
    return next((t for t in transcript.turns[pos + 1 :] if t.is_therapist), None)


def _prev_client(transcript: Transcript, turn: Turn) -> Turn | None:
    return transcript.previous(turn, Role.CLIENT)


def _feeling_weight(turn: Turn, lexicon: dict[str, str]) -> tuple[int, int]:
    found = words(turn.text)
    return sum(1 for w in found if w in lexicon), len(found)


def _pairs(transcript: Transcript) -> list[tuple[Turn, Turn]]:
    """(client turn, the therapist turn right after it) pairs."""
    turns = transcript.turns
    return [
        (a, b) for a, b in zip(turns, turns[1:], strict=False) if a.is_client and b.is_therapist
    ]


def _best_pair(
    transcript: Transcript, lexicon: dict[str, str], answer_ok
) -> tuple[Turn | None, Turn | None]:
    """The client turn with the most feeling (then the most words) whose answer fits."""
    candidates = [(c, t) for c, t in _pairs(transcript) if answer_ok(t)]
    if not candidates:
        return None, None
    return max(candidates, key=lambda pair: _feeling_weight(pair[0], lexicon))


def _gap(value: float | None, target: float) -> float:
    if value is None:
        return 1.0
    return round(max(0.0, (target - value) / target), 3)


def _fmt(template: str, **values: object) -> str:
    return template.format(**{k: "" if v is None else v for k, v in values.items()})


def _edge(
    texts: FeedbackTexts, skill: str, rule: int, reason: str, focus: str | None = None, **fields
) -> GrowthEdge:
    spec = texts.skills[skill]
    title, explanation = spec.title, spec.explanation
    if focus and focus in spec.focus:
        title, explanation = spec.focus[focus]["title"], spec.focus[focus]["explanation"]
    return GrowthEdge(
        skill=skill,
        rule=rule,
        rule_reason=reason,
        focus=focus,
        title=title,
        explanation=explanation,
        **fields,
    )


def _moment_text(
    texts: FeedbackTexts,
    skill: str,
    client: Turn | None,
    therapist: Turn | None,
    complex_focus: bool = False,
) -> str:
    spec = texts.skills[skill]
    template = spec.moment_complex if complex_focus and spec.moment_complex else spec.moment
    return _fmt(
        template,
        turn=turn_number(client),
        therapist_turn=turn_number(therapist),
        window=REPAIR_WINDOW,
    )


def _rupture_salience(transcript: Transcript, index: int, tag: str) -> tuple[bool, float, int]:
    """Which unrepaired rupture to show: one that follows a straining therapist turn
    first (advice without permission, rigidity, poorly timed disclosure), then the one
    the tagger is surest of, then the earliest."""
    turn = transcript.turn(index)
    before = transcript.previous(turn, Role.THERAPIST)
    after_strain = before is not None and (
        any(tag in before.tags for tag in STRAINING_TAGS)
        or before.attribute("advice", "permission") == "unasked"
    )
    return after_strain, turn.scores.get(tag, 1.0), -index


def _rule_ruptures(
    transcript: Transcript, profile: SessionProfile, texts: FeedbackTexts
) -> EdgeChoice | None:
    unrepaired = [r for r in profile.ruptures if not r.repaired]
    if not unrepaired:
        return None
    by_kind = Counter(r.type for r in unrepaired)
    most = max(by_kind.values())
    # Ties go to the kind seen first in the session.
    kind = next(r.type for r in unrepaired if by_kind[r.type] == most)
    event = max(
        (r for r in unrepaired if r.type == kind),
        key=lambda r: _rupture_salience(transcript, r.turn_index, f"rupture_{kind}"),
    )
    client = transcript.turn(event.turn_index)
    therapist = _next_therapist(transcript, client)
    skill = f"{kind}_rupture"
    reason = _fmt(
        texts.rules["unrepaired_rupture"],
        kind=kind,
        turn=turn_number(client),
        window=REPAIR_WINDOW,
        unrepaired=len(unrepaired),
        total=len(profile.ruptures),
    )
    edge = _edge(
        texts,
        skill,
        1,
        reason,
        gap=round(len(unrepaired) / len(profile.ruptures), 3),
        metric="ruptures_unrepaired",
        value=float(len(unrepaired)),
        target=0.0,
    )
    return EdgeChoice(edge, client, therapist, _moment_text(texts, skill, client, therapist))


def _rule_disclosure(
    transcript: Transcript, profile: SessionProfile, texts: FeedbackTexts
) -> EdgeChoice | None:
    turns = [t for t in transcript.therapist_turns if "poorly_timed_self_disclosure" in t.tags]
    if not turns:
        return None
    therapist = turns[0]
    client = _prev_client(transcript, therapist)
    reason = _fmt(
        texts.rules["poorly_timed_disclosure"],
        count=len(turns),
        therapist_turn=turn_number(therapist),
    )
    edge = _edge(
        texts,
        "self_disclosure",
        2,
        reason,
        gap=None,
        metric="poorly_timed_self_disclosure_per_10",
        value=profile.per_10_therapist_turns.get("poorly_timed_self_disclosure"),
        target=0.0,
    )
    return EdgeChoice(
        edge, client, therapist, _moment_text(texts, "self_disclosure", client, therapist)
    )


def _rule_rigidity(
    transcript: Transcript, profile: SessionProfile, texts: FeedbackTexts
) -> EdgeChoice | None:
    value = profile.per_10_therapist_turns.get("rigidity", 0.0)
    if value <= RIGIDITY_MAX_PER_10:
        return None
    rigid = [t for t in transcript.therapist_turns if "rigidity" in t.tags]
    therapist = max(rigid, key=lambda t: t.scores.get("rigidity", 1.0)) if rigid else None
    client = _prev_client(transcript, therapist) if therapist else None
    reason = _fmt(texts.rules["rigidity"], value=value, target=RIGIDITY_MAX_PER_10)
    edge = _edge(
        texts,
        "flexibility",
        3,
        reason,
        gap=round(min(1.0, (value - RIGIDITY_MAX_PER_10) / value), 3),
        metric="rigidity_per_10",
        value=value,
        target=RIGIDITY_MAX_PER_10,
    )
    return EdgeChoice(
        edge, client, therapist, _moment_text(texts, "flexibility", client, therapist)
    )


def _reflection_moment(transcript: Transcript, texts: FeedbackTexts, complex_focus: bool):
    lexicon = texts.feelings
    if complex_focus:
        client, therapist = _best_pair(
            transcript,
            lexicon,
            lambda t: "reflection" in t.tags and t.attribute("reflection", "depth") != "complex",
        )
        if client is not None:
            return client, therapist, True
    client, therapist = _best_pair(
        transcript,
        lexicon,
        lambda t: "reflection" not in t.tags and any(q in t.tags for q in QUESTION_TAGS),
    )
    if client is None:
        client, therapist = _best_pair(transcript, lexicon, lambda t: "reflection" not in t.tags)
    return client, therapist, False


def _rule_miti(
    transcript: Transcript, profile: SessionProfile, texts: FeedbackTexts
) -> EdgeChoice | None:
    candidates: list[tuple[float, str]] = []
    rq = profile.reflection_to_question
    if (profile.reflections or profile.questions) and (rq is None or rq < RQ_GOOD):
        candidates.append((_gap(rq or 0.0, RQ_GOOD), "rq"))
    pct = profile.percent_complex_reflections
    if profile.reflections and pct is not None and pct < PCT_CR_GOOD:
        candidates.append((_gap(pct, PCT_CR_GOOD), "pct_cr"))
    if not candidates:
        return None
    # Largest gap wins; on a tie R:Q comes first (more reflections before deeper ones).
    gap, which = max(candidates, key=lambda c: (c[0], c[1] == "rq"))
    complex_focus = which == "pct_cr"
    client, therapist, complex_moment = _reflection_moment(transcript, texts, complex_focus)
    if complex_focus:
        reason = _fmt(
            texts.rules["pct_cr"], value=f"{pct:.0%}", target=f"{PCT_CR_GOOD:.0%}", gap=f"{gap:.0%}"
        )
        edge = _edge(
            texts,
            "reflection",
            4,
            reason,
            focus="complex",
            gap=gap,
            metric="percent_complex_reflections",
            value=pct,
            target=PCT_CR_GOOD,
        )
    else:
        shown = "none" if rq is None else f"{rq:.2f}:1"
        reason = _fmt(texts.rules["rq"], value=shown, target=f"{RQ_GOOD:.0f}:1", gap=f"{gap:.0%}")
        edge = _edge(
            texts,
            "reflection",
            4,
            reason,
            gap=gap,
            metric="reflection_to_question",
            value=rq,
            target=RQ_GOOD,
        )
    return EdgeChoice(
        edge,
        client,
        therapist,
        _moment_text(texts, "reflection", client, therapist, complex_moment),
    )


def _warmth_moment(transcript: Transcript, texts: FeedbackTexts):
    return _best_pair(transcript, texts.feelings, lambda t: "warmth" not in t.tags)


def _collaboration_moment(transcript: Transcript, texts: FeedbackTexts):
    advice = [
        t
        for t in transcript.therapist_turns
        if "advice" in t.tags and "collaboration" not in t.tags
    ]
    unasked = [t for t in advice if t.attribute("advice", "permission") == "unasked"]
    for therapist in unasked + advice:
        client = _prev_client(transcript, therapist)
        if client is not None:
            return client, therapist
    return _best_pair(transcript, texts.feelings, lambda t: "collaboration" not in t.tags)


def _rule_bond(
    transcript: Transcript, profile: SessionProfile, texts: FeedbackTexts
) -> EdgeChoice | None:
    per_10 = profile.per_10_therapist_turns
    warmth, collaboration = per_10.get("warmth", 0.0), per_10.get("collaboration", 0.0)
    candidates = []
    if warmth < WARMTH_TARGET_PER_10:
        candidates.append((_gap(warmth, WARMTH_TARGET_PER_10), "warmth"))
    if collaboration < COLLABORATION_TARGET_PER_10:
        candidates.append((_gap(collaboration, COLLABORATION_TARGET_PER_10), "collaboration"))
    if not candidates:
        return None
    gap, which = max(candidates, key=lambda c: (c[0], c[1] == "warmth"))
    if which == "warmth":
        client, therapist = _warmth_moment(transcript, texts)
        reason = _fmt(
            texts.rules["warmth"], value=warmth, target=WARMTH_TARGET_PER_10, gap=f"{gap:.0%}"
        )
        edge = _edge(
            texts,
            "warmth_validation",
            5,
            reason,
            gap=gap,
            metric="warmth_per_10",
            value=warmth,
            target=WARMTH_TARGET_PER_10,
        )
        return EdgeChoice(
            edge, client, therapist, _moment_text(texts, "warmth_validation", client, therapist)
        )
    client, therapist = _collaboration_moment(transcript, texts)
    reason = _fmt(
        texts.rules["collaboration"],
        value=collaboration,
        target=COLLABORATION_TARGET_PER_10,
        gap=f"{gap:.0%}",
    )
    edge = _edge(
        texts,
        "collaboration",
        5,
        reason,
        gap=gap,
        metric="collaboration_per_10",
        value=collaboration,
        target=COLLABORATION_TARGET_PER_10,
    )
    return EdgeChoice(
        edge, client, therapist, _moment_text(texts, "collaboration", client, therapist)
    )


_PART_SKILL = {
    "building.reflection_to_question": ("reflection", None),
    "building.percent_complex_reflections": ("reflection", "complex"),
    "building.warmth": ("warmth_validation", None),
    "building.collaboration": ("collaboration", None),
}


def _rule_lowest_part(
    transcript: Transcript, profile: SessionProfile, texts: FeedbackTexts
) -> EdgeChoice:
    parts = {k: v for k, v in profile.overall_parts.items() if k in _PART_SKILL}
    name = min(_PART_SKILL, key=lambda k: (parts.get(k, 1.0), list(_PART_SKILL).index(k)))
    skill, focus = _PART_SKILL[name]
    reason = _fmt(texts.rules["none"], metric=name.removeprefix("building.").replace("_", " "))
    gap = round(1.0 - parts.get(name, 1.0), 3)
    edge = _edge(
        texts,
        skill,
        6,
        reason,
        focus=focus,
        gap=gap,
        metric=name,
        value=parts.get(name),
        target=1.0,
    )
    if skill == "reflection":
        client, therapist, complex_moment = _reflection_moment(
            transcript, texts, focus == "complex"
        )
    elif skill == "warmth_validation":
        (client, therapist), complex_moment = _warmth_moment(transcript, texts), False
    else:
        (client, therapist), complex_moment = _collaboration_moment(transcript, texts), False
    return EdgeChoice(
        edge, client, therapist, _moment_text(texts, skill, client, therapist, complex_moment)
    )


EVENT_RULES = (_rule_ruptures, _rule_disclosure)
RATE_RULES = (_rule_rigidity, _rule_miti, _rule_bond)


def choose_growth_edge(
    transcript: Transcript, profile: SessionProfile, texts: FeedbackTexts
) -> EdgeChoice | None:
    """The first rule that applies; None when there is nothing to go on."""
    if profile.therapist_turns == 0:
        return None
    for rule in EVENT_RULES:
        choice = rule(transcript, profile, texts)
        if choice is not None:
            return choice
    if not profile.sufficient:
        return None
    for rule in RATE_RULES:
        choice = rule(transcript, profile, texts)
        if choice is not None:
            return choice
    return _rule_lowest_part(transcript, profile, texts)
