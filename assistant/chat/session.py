"""What a coded session says about one skill: numbers, a verdict and example turns.

``SessionView`` wraps a tagged ``Transcript`` and its ``SessionProfile``;
``measure(view, skill)`` turns the profile into the numbers a reply shows (with the
MITI reference lines or our own targets, see docs/profile.md), a verdict
(``strength``, ``fair``, ``edge`` or ``absent``), the turns to show as examples, and
an anchor: a client turn to respond to again in a drill. ``gap`` (0..1, how far
from the target) ranks skills for the practice plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.model import Transcript, Turn
from assistant.profile import OVERALL_TARGETS, REPAIR_WINDOW, SessionProfile, build_profile

SKILL_TAGS: dict[str, tuple[str, ...]] = {
    "warmth": ("warmth",),
    "reflection": ("reflection",),
    "questions": ("open_question", "closed_question"),
    "collaboration": ("collaboration",),
    "advice": ("advice",),
    "rigidity": ("rigidity",),
    "self_disclosure": ("self_disclosure", "poorly_timed_self_disclosure"),
    "repair": ("repair",),
}
# The tag a skill is practised against, and the skill a tag belongs to.
TAG_SKILL: dict[str, str] = {tag: skill for skill, tags in SKILL_TAGS.items() for tag in tags} | {
    "rupture_withdrawal": "repair",
    "rupture_confrontation": "repair",
}
# Ties in the practice plan go to the skill earlier in this list: an unrepaired
# rupture and rigid turns strain the alliance most directly.
PLAN_ORDER = (
    "repair",
    "rigidity",
    "reflection",
    "warmth",
    "collaboration",
    "self_disclosure",
    "advice",
)
# Gaps below this count as "at target" for the plan.
PLAN_MIN_GAP = 0.15


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round(100 * value)}%"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{_fmt(value, 2)}:1"


@dataclass
class SkillMeasure:
    skill: str
    fields: dict[str, str]
    verdict: str  # strength | fair | edge | absent
    gap: float
    examples: list[int]  # turn indices, in transcript order
    best: int | None  # the example to show first
    anchor: int | None = None  # a client turn to respond to (drill, "missed" example)
    concern: bool = False  # the examples show what to change, not what went well
    extra: dict[str, str] = field(default_factory=dict)


class SessionView:
    """A tagged transcript with its profile, and the lookups the replies need."""

    def __init__(self, transcript: Transcript, profile: SessionProfile | None = None) -> None:
        self.transcript = transcript
        self.profile = profile if profile is not None else build_profile(transcript)
        self._by_index = {turn.index: turn for turn in transcript.turns}
        self._position = {turn.index: pos for pos, turn in enumerate(transcript.turns)}

    @property
    def tagged(self) -> bool:
        return any(turn.tags for turn in self.transcript.turns)

    @property
    def last_index(self) -> int:
        return self.transcript.turns[-1].index

    def turn(self, index: int) -> Turn | None:
        return self._by_index.get(index)

    def with_tag(self, *tags: str) -> list[Turn]:
        return [t for t in self.transcript.turns if any(tag in t.tags for tag in tags)]

    def before(self, turn: Turn, *, client: bool | None = None) -> Turn | None:
        """The nearest earlier turn (a client one when ``client`` is True)."""
        pos = self._position[turn.index]
        for earlier in reversed(self.transcript.turns[:pos]):
            if client is None or earlier.is_client == client:
                return earlier
        return None

    def after(self, turn: Turn) -> Turn | None:
        pos = self._position[turn.index]
        return self.transcript.turns[pos + 1] if pos + 1 < len(self.transcript.turns) else None

    def best_scored(self, turns: list[Turn], tag: str) -> Turn | None:
        if not turns:
            return None
        return max(turns, key=lambda t: (t.scores.get(tag, 0.0), -t.index))

    def longest_client_turn(self) -> Turn | None:
        clients = self.transcript.client_turns
        return max(clients, key=lambda t: (len(t.text.split()), -t.index)) if clients else None

    def client_before(self, turn: Turn | None) -> int | None:
        if turn is None:
            return None
        earlier = self.before(turn, client=True)
        return earlier.index if earlier is not None else None


def _per_10(count: int, therapist_turns: int) -> float:
    return round(10 * count / therapist_turns, 2) if therapist_turns else 0.0


def _more_is_better(value: float, target: float, count: int) -> tuple[str, float]:
    gap = 1.0 - min(value / target, 1.0) if target else 0.0
    if count == 0:
        return "absent", 1.0
    if value >= target:
        return "strength", gap
    return ("fair" if value >= 0.75 * target else "edge"), gap


def measure(view: SessionView, skill: str) -> SkillMeasure:
    """Numbers, verdict and examples for one skill (``SKILL_TAGS`` keys)."""
    p = view.profile
    n_t = p.therapist_turns
    base = {"therapist_turns": str(n_t), "window": str(REPAIR_WINDOW)}
    if skill in ("warmth", "collaboration"):
        count = p.counts.get(skill, 0)
        per_10 = p.per_10_therapist_turns.get(skill, _per_10(count, n_t))
        target = OVERALL_TARGETS[f"{skill}_per_10"]
        verdict, gap = _more_is_better(per_10, target, count)
        turns = view.with_tag(skill)
        best = view.best_scored(turns, skill)
        anchor_turn = next(iter(view.with_tag("rigidity", "advice", "closed_question")), None)
        anchor = view.client_before(anchor_turn) if anchor_turn else None
        if anchor is None and (longest := view.longest_client_turn()):
            anchor = longest.index
        fields = base | {"count": str(count), "per_10": _fmt(per_10), "target": _fmt(target)}
        return SkillMeasure(
            skill,
            fields,
            verdict,
            gap,
            [t.index for t in turns],
            best.index if best else None,
            anchor,
        )
    if skill in ("reflection", "questions"):
        rq, pct_cr = p.reflection_to_question, p.percent_complex_reflections
        rq_rating = p.rating("reflection_to_question") or "n/a"
        cr_rating = p.rating("percent_complex_reflections")
        gaps = [
            1.0 - min((rq or 0.0) / OVERALL_TARGETS["reflection_to_question"], 1.0),
            1.0 - min((pct_cr or 0.0) / OVERALL_TARGETS["percent_complex_reflections"], 1.0),
        ]
        ratings = [rq_rating, cr_rating or "n/a"]
        if skill == "reflection":
            count = p.reflections
            if count == 0:
                verdict = "absent"
            elif all(r == "good" for r in ratings):
                verdict = "strength"
            elif "below fair" in ratings:
                verdict = "edge"
            else:
                verdict = "fair"
            turns = view.with_tag("reflection")
            complex_turns = [t for t in turns if t.attribute("reflection", "depth") == "complex"]
            best = view.best_scored(complex_turns or turns, "reflection")
            concern = False
            gap = max(gaps) if count else 1.0
        else:
            count = p.questions
            verdict = {"good": "strength", "fair": "fair", "below fair": "edge"}.get(
                rq_rating, "absent" if count == 0 else "fair"
            )
            closed = view.with_tag("closed_question")
            turns = closed or view.with_tag("open_question")
            concern = bool(closed) and verdict != "strength"
            best = turns[0] if concern else view.best_scored(turns, "open_question")
            gap = gaps[0] if count else 0.0
        anchor_turn = next(iter(view.with_tag("closed_question")), None)
        anchor = view.client_before(anchor_turn)
        if anchor is None and (longest := view.longest_client_turn()):
            anchor = longest.index
        fields = base | {
            "count": str(count),
            "reflections": str(p.reflections),
            "questions": str(p.questions),
            "open": str(p.open_questions),
            "closed": str(p.questions - p.open_questions),
            "rq": _ratio(rq),
            "rq_rating": rq_rating,
            "complex": str(p.complex_reflections),
            "pct_cr": _pct(pct_cr),
            "pct_open": _pct(p.percent_open_questions),
        }
        return SkillMeasure(
            skill,
            fields,
            verdict,
            gap,
            [t.index for t in turns],
            best.index if best else None,
            anchor,
            concern=concern,
        )
    if skill == "advice":
        turns = view.with_tag("advice")
        unasked = [t for t in turns if t.attribute("advice", "permission") == "unasked"]
        count = len(turns)
        if count == 0:
            verdict = "absent"
        elif not unasked:
            verdict = "strength"
        else:
            verdict = "fair" if len(unasked) * 2 < count else "edge"
        gap = min(_per_10(len(unasked), n_t) / 2.0, 1.0)
        shown = unasked or turns
        first = shown[0] if shown else None
        fields = base | {"count": str(count), "unasked": str(len(unasked))}
        return SkillMeasure(
            skill,
            fields,
            verdict,
            gap,
            [t.index for t in shown],
            first.index if first else None,
            view.client_before(first),
            concern=bool(unasked),
        )
    if skill == "rigidity":
        turns = view.with_tag("rigidity")
        count = len(turns)
        per_10 = p.per_10_therapist_turns.get("rigidity", _per_10(count, n_t))
        target = OVERALL_TARGETS["rigidity_per_10"]
        verdict = "absent" if count == 0 else "edge" if per_10 >= target / 2 else "fair"
        worst = view.best_scored(turns, "rigidity")
        fields = base | {"count": str(count), "per_10": _fmt(per_10), "target": _fmt(target)}
        return SkillMeasure(
            skill,
            fields,
            verdict,
            min(per_10 / target, 1.0),
            [t.index for t in turns],
            worst.index if worst else None,
            view.client_before(worst),
            concern=True,
        )
    if skill == "self_disclosure":
        turns = view.with_tag("self_disclosure", "poorly_timed_self_disclosure")
        poor = [
            t
            for t in turns
            if "poorly_timed_self_disclosure" in t.tags
            or t.attribute("self_disclosure", "timing") == "poorly_timed"
        ]
        count = len(turns)
        poor_per_10 = _per_10(len(poor), n_t)
        target = OVERALL_TARGETS["poorly_timed_self_disclosure_per_10"]
        if count == 0:
            verdict = "absent"
        elif not poor:
            verdict = "strength"
        else:
            verdict = "edge" if poor_per_10 >= target / 2 else "fair"
        shown = poor or turns
        first = shown[0] if shown else None
        fields = base | {
            "count": str(count),
            "poor": str(len(poor)),
            "poor_per_10": _fmt(poor_per_10),
            "target": _fmt(target),
        }
        return SkillMeasure(
            skill,
            fields,
            verdict,
            min(poor_per_10 / target, 1.0),
            [t.index for t in shown],
            first.index if first else None,
            view.client_before(first),
            concern=bool(poor),
        )
    if skill == "repair":
        ruptures = p.ruptures
        repaired = [r for r in ruptures if r.repaired]
        unrepaired = [r for r in ruptures if not r.repaired]
        repairs = view.with_tag("repair")
        if not ruptures:
            verdict = "absent"
        elif not unrepaired:
            verdict = "strength"
        else:
            verdict = "fair" if repaired else "edge"
        gap = len(unrepaired) / len(ruptures) if ruptures else 0.0
        fields = base | {
            "count": str(len(repairs)),
            "ruptures": str(len(ruptures)),
            "repaired": str(len(repaired)),
        }
        if unrepaired:
            examples = [r.turn_index for r in unrepaired]
            return SkillMeasure(
                skill, fields, verdict, gap, examples, examples[0], examples[0], concern=True
            )
        examples = [t.index for t in repairs]
        anchor = ruptures[0].turn_index if ruptures else None
        return SkillMeasure(
            skill, fields, verdict, gap, examples, examples[0] if examples else None, anchor
        )
    raise KeyError(skill)


def plan_skill(view: SessionView) -> tuple[str, SkillMeasure, bool]:
    """The one skill to practise next: the largest gap to its target (ties by
    ``PLAN_ORDER``). The flag is True when every skill is near its target."""
    measures = {skill: measure(view, skill) for skill in PLAN_ORDER}
    best = max(PLAN_ORDER, key=lambda s: (round(measures[s].gap, 3), -PLAN_ORDER.index(s)))
    if measures[best].gap < PLAN_MIN_GAP:
        return "reflection", measures["reflection"], True
    return best, measures[best], False


def strongest_skill(view: SessionView) -> SkillMeasure | None:
    """The building skill closest to (or over) its target, with at least one example."""
    candidates = [measure(view, s) for s in ("reflection", "warmth", "collaboration", "repair")]
    candidates = [m for m in candidates if m.examples and not m.concern]
    if not candidates:
        return None
    return min(candidates, key=lambda m: (m.gap, -len(m.examples)))
