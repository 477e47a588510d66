"""Answers grounded in one coded session, one intent each.

Each function builds an ``Answer`` from the templates: numbers from the profile (with
their reference lines), verbatim quotes cut from the turns they cite, and one
concrete next step at the end. Quotes go through ``Answer.quote``, which cuts an
excerpt from the turn and records the reference, so a quote can only come from
the turn it cites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.chat.grounding import excerpt
from assistant.chat.session import (
    SKILL_TAGS,
    TAG_SKILL,
    SessionView,
    SkillMeasure,
    measure,
    plan_skill,
    strongest_skill,
)
from assistant.chat.slots import Slots
from assistant.chat.templates import Templates
from assistant.model import Turn
from assistant.profile import REPAIR_WINDOW, RuptureEvent

# Skills whose tags mark what to do less of: "absent" is good news for them.
STRAINING = frozenset({"rigidity", "advice", "self_disclosure"})
STRAIN_TAGS = frozenset({"rigidity", "advice", "poorly_timed_self_disclosure", "closed_question"})
HELPFUL_TAGS = ("reflection", "open_question", "warmth", "collaboration", "repair")
_RUPTURE_WORDS = re.compile(r"ruptur|withdraw|confront", re.I)
DRILL_STATEMENT_WORDS = 45
_DOUBLE_STOP = re.compile(r"([.!?])\u201d\.")


@dataclass
class Answer:
    """A reply under construction: sentences, references and memory updates."""

    intent: str
    parts: list[str] = field(default_factory=list)
    references: list[tuple[int, str]] = field(default_factory=list)
    drill: dict[str, str] | None = None
    clarifying: bool = False
    skill: str | None = None
    focus: dict[str, Any] | None = None
    clear_focus: bool = False
    rephrase: bool = True
    step: str | None = None  # the concrete next step, remembered for "thanks"
    sources: list[str] = field(default_factory=list)  # non-transcript quote sources
    options: list[str] = field(default_factory=list)  # intents a clarifying question offers
    memory: dict[str, Any] = field(default_factory=dict)  # other state updates

    def say(self, text: str) -> None:
        text = " ".join(text.split())
        # A quote that ends a sentence already carries its full stop.
        text = _DOUBLE_STOP.sub("\\1\u201d", text)
        if text:
            self.parts.append(text)

    def quote(self, turn: Turn, focus: tuple[int, int] | None = None, max_words: int = 28) -> str:
        piece = excerpt(turn.text, focus, max_words)
        if (turn.index, piece) not in self.references:
            self.references.append((turn.index, piece))
        return piece

    @property
    def text(self) -> str:
        return " ".join(part.strip() for part in self.parts if part.strip())

    @property
    def turns(self) -> list[int]:
        seen: list[int] = []
        for index, _ in self.references:
            if index not in seen:
                seen.append(index)
        return seen


def number(turn: Turn | int) -> int:
    """The turn number a person sees: turns count from 1."""
    return (turn.index if isinstance(turn, Turn) else turn) + 1


def lower_first(text: str) -> str:
    """A sentence made to follow a colon ("Next step: in your next session...")."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _cue_span(turn: Turn, tags: tuple[str, ...] | list[str]) -> tuple[int, int] | None:
    for tag in tags:
        for ev in turn.evidence.get(tag, ()):
            if ev.kind == "cue" and ev.start is not None and ev.end is not None:
                return ev.start, ev.end
    return None


def _join(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


class SessionAnswers:
    """Intent handlers for a conversation about a coded session."""

    def __init__(self, templates: Templates) -> None:
        self.t = templates

    # --- helpers -------------------------------------------------------------------

    def _labels(self, tags: list[str]) -> str:
        return _join([self.t.tag_label(tag) for tag in tags])

    def _tagged_note(self, tags: list[str]) -> str:
        return " " + self.t.render("tagged_note", tags=self._labels(tags)) if tags else ""

    def _step(self, answer: Answer, step: str) -> None:
        step = lower_first(step)
        answer.step = step
        answer.say(self.t.render("next_step", step=step))

    def _good_news(self, skill: str, m: SkillMeasure) -> bool:
        return m.verdict == "strength" or (m.verdict == "absent" and skill in STRAINING)

    def _skill_step(self, skill: str, m: SkillMeasure) -> str:
        text = self.t.skill(skill)
        if skill == "repair" and m.verdict == "absent":
            return self.t.render("step_no_rupture")
        return text.step_strength if self._good_news(skill, m) else text.step_edge

    def _focus(self, kind: str, items: list[int], current: int | None, **extra: Any) -> dict:
        pos = items.index(current) if current in items else 0
        return {"kind": kind, "items": items, "pos": pos} | extra

    def _example(self, answer: Answer, view: SessionView, skill: str, m: SkillMeasure) -> None:
        text = self.t.skill(skill)
        tags = SKILL_TAGS[skill]
        if m.best is not None and (turn := view.turn(m.best)) is not None:
            answer.say(
                text.example.format(
                    turn=number(turn), quote=answer.quote(turn, _cue_span(turn, tags))
                )
            )
            if m.concern and turn.is_therapist and (client := view.before(turn, client=True)):
                answer.say(
                    self.t.render("follow_context", turn=number(client), quote=answer.quote(client))
                )
        elif m.anchor is not None and not self._good_news(skill, m):
            anchor = view.turn(m.anchor)
            if anchor is not None:
                answer.say(text.missed.format(turn=number(anchor), quote=answer.quote(anchor)))
        if len(m.examples) > 1:
            answer.say(self.t.render("more_examples", count=len(m.examples)))

    # --- intents ---------------------------------------------------------------------

    def skill_feedback(self, view: SessionView, skill: str) -> Answer:
        answer = Answer("skill_feedback", skill=skill)
        text = self.t.skill(skill)
        m = measure(view, skill)
        if not view.profile.sufficient and view.profile.note:
            answer.say(self.t.render("insufficient", note=view.profile.note))
        answer.say(text.measure.format(**m.fields))
        answer.say(text.verdict[m.verdict])
        self._example(answer, view, skill, m)
        self._step(answer, self._skill_step(skill, m))
        answer.focus = self._focus(
            "skill", m.examples, m.best, skill=skill, tag=SKILL_TAGS[skill][0]
        )
        return answer

    def _rupture_detail(
        self, answer: Answer, view: SessionView, event: RuptureEvent, lead: str
    ) -> str:
        """Say where the rupture was, what came just before, and whether it was
        repaired; return the next step."""
        turn = view.turn(event.turn_index)
        assert turn is not None  # ruptures come from the same transcript
        focus = _cue_span(turn, [f"rupture_{event.type}"])
        if lead == "lost":
            answer.say(
                self.t.render(
                    "lost_at",
                    turn=number(turn),
                    marker=self.t.render(f"marker_{event.type}"),
                    quote=answer.quote(turn, focus),
                )
            )
        else:
            answer.say(
                self.t.render(
                    f"rupture_{event.type}", turn=number(turn), quote=answer.quote(turn, focus)
                )
            )
        before = view.before(turn, client=False)
        if before is not None:
            tags = [tag for tag in before.tags if tag in TAG_SKILL]
            note = self._tagged_note(tags)
            answer.say(
                self.t.render(
                    "before_it", turn=number(before), quote=answer.quote(before), tag_note=note
                )
            )
        if event.repaired and event.repair_turn_index is not None:
            repair = view.turn(event.repair_turn_index)
            if repair is not None:
                answer.say(
                    self.t.render("repaired_at", turn=number(repair), quote=answer.quote(repair))
                )
            return self.t.render("step_repaired", turn=number(event.repair_turn_index))
        answer.say(self.t.render("not_repaired", window=REPAIR_WINDOW))
        after = view.after(turn)
        return self.t.render("step_unrepaired", turn=number(after or turn))

    def _no_ruptures(self, answer: Answer, view: SessionView) -> None:
        answer.say(self.t.render("no_ruptures"))
        strained = view.with_tag("rigidity", "poorly_timed_self_disclosure")
        strained = strained or [
            t for t in view.with_tag("advice") if t.attribute("advice", "permission") == "unasked"
        ]
        if strained:
            turn = strained[0]
            tags = [
                t for t in turn.tags if t in ("rigidity", "poorly_timed_self_disclosure", "advice")
            ]
            answer.say(
                self.t.render(
                    "strain_candidate",
                    turn=number(turn),
                    tags=self._labels(tags),
                    quote=answer.quote(turn, _cue_span(turn, tags)),
                )
            )
            answer.focus = self._focus(
                "tag", [t.index for t in strained], turn.index, tag=tags[0] if tags else None
            )
        self._step(answer, self.t.render("step_no_rupture"))

    def _pick_rupture(self, view: SessionView, *, lost: bool = False) -> RuptureEvent:
        """The rupture to show first. "Where did I lose her?" asks for the moment it
        went wrong: the first rupture that followed a straining turn of yours. "Show
        me the rupture" shows the first unrepaired one, the one most worth a look."""
        ruptures = view.profile.ruptures
        if lost:
            for event in ruptures:
                turn = view.turn(event.turn_index)
                before = view.before(turn, client=False) if turn is not None else None
                if before is not None and set(before.tags) & STRAIN_TAGS:
                    return event
        return next((r for r in ruptures if not r.repaired), ruptures[0])

    def lost_client(self, view: SessionView) -> Answer:
        answer = Answer("lost_client", skill="repair")
        ruptures = view.profile.ruptures
        if not ruptures:
            self._no_ruptures(answer, view)
            return answer
        event = self._pick_rupture(view, lost=True)
        step = self._rupture_detail(answer, view, event, "lost")
        if len(ruptures) > 1:
            answer.say(self.t.render("more_examples", count=len(ruptures)))
        self._step(answer, step)
        answer.focus = self._focus("rupture", [r.turn_index for r in ruptures], event.turn_index)
        return answer

    def rupture(self, view: SessionView) -> Answer:
        answer = Answer("rupture", skill="repair")
        ruptures = view.profile.ruptures
        if not ruptures:
            self._no_ruptures(answer, view)
            return answer
        repaired = sum(1 for r in ruptures if r.repaired)
        answer.say(
            self.t.render(
                "rupture_summary",
                verb="was" if len(ruptures) == 1 else "were",
                count=len(ruptures),
                noun="marker" if len(ruptures) == 1 else "markers",
                withdrawal=sum(1 for r in ruptures if r.type == "withdrawal"),
                confrontation=sum(1 for r in ruptures if r.type == "confrontation"),
                repaired=repaired,
                repaired_verb="was" if repaired == 1 else "were",
                window=REPAIR_WINDOW,
            )
        )
        event = self._pick_rupture(view)
        step = self._rupture_detail(answer, view, event, "rupture")
        if len(ruptures) > 1:
            answer.say(self.t.render("more_examples", count=len(ruptures)))
        self._step(answer, step)
        answer.focus = self._focus("rupture", [r.turn_index for r in ruptures], event.turn_index)
        return answer

    def _requested_tags(self, message: str, slots: Slots) -> list[str]:
        tags: list[str] = []
        for skill in slots.skills:
            tags += [tag for tag in SKILL_TAGS[skill] if tag not in tags]
        if _RUPTURE_WORDS.search(message):
            tags += ["rupture_withdrawal", "rupture_confrontation"]
        return tags

    def _evidence(self, turn: Turn, tag: str) -> str:
        label = self.t.tag_label(tag)
        bits: list[str] = []
        score = turn.scores.get(tag)
        if score is not None:
            bits.append(self.t.render("explain_score", label=label, score=f"{score:.2f}"))
        for ev in turn.evidence.get(tag, ()):
            if ev.kind == "cue" and ev.text and ev.text in turn.text:
                bits.append(self.t.render("explain_cue", quote=ev.text))
            elif ev.kind == "example" and ev.similarity is not None:
                bits.append(
                    self.t.render("explain_example", label=label, similarity=f"{ev.similarity:.2f}")
                )
            elif ev.kind == "rule" and ev.text:
                bits.append(self.t.render("explain_rule", text=ev.text.rstrip(".")))
        for name, value in turn.attributes.get(tag, {}).items():
            bits.append(
                self.t.render("explain_attribute", name=name, value=value.replace("_", " "))
            )
        if not bits:
            sentence = self.t.render("explain_no_evidence", label=label) + "."
            return sentence[:1].upper() + sentence[1:]
        if score is None:
            bits.insert(0, label)
        sentence = "; ".join(bits) + "."
        return sentence[:1].upper() + sentence[1:]

    def explain_tag(
        self, view: SessionView, message: str, slots: Slots, state: dict[str, Any]
    ) -> Answer:
        answer = Answer("explain_tag")
        index = slots.turn
        if index is None and state.get("last_turns"):
            index = state["last_turns"][0]
        if index is None:
            answer.clarifying = True
            answer.rephrase = False
            answer.say(self.t.render("explain_no_turn"))
            return answer
        turn = view.turn(index)
        if turn is None:
            answer.clarifying = True
            answer.rephrase = False
            answer.say(
                self.t.render("explain_bad_turn", last=number(view.last_index), turn=index + 1)
            )
            return answer
        requested = self._requested_tags(message, slots)
        shown = [tag for tag in requested if tag in turn.tags] if requested else list(turn.tags)
        role = turn.role.value
        if requested and not shown:
            wanted = requested[0]
            score = turn.scores.get(wanted)
            score_part = (
                " " + self.t.render("score_note", score=f"{score:.2f}") if score is not None else ""
            )
            tags_part = (
                self.t.render("explain_tags_some", tags=self._labels(list(turn.tags)))
                if turn.tags
                else self.t.render("explain_tags_none")
            )
            answer.say(
                self.t.render(
                    "explain_not_tagged",
                    turn=number(turn),
                    role=role,
                    label=self.t.tag_label(wanted),
                    score_part=score_part,
                    tags_part=tags_part,
                )
            )
            answer.say(self.t.render("explain_quote", quote=answer.quote(turn)))
        elif not shown:
            answer.say(
                self.t.render(
                    "explain_not_tagged",
                    turn=number(turn),
                    role=role,
                    label=self.t.render("any_code"),
                    score_part="",
                    tags_part="",
                )
            )
            answer.say(self.t.render("explain_quote", quote=answer.quote(turn)))
        else:
            answer.say(
                self.t.render(
                    "explain_tagged", turn=number(turn), role=role, tags=self._labels(shown)
                )
            )
            answer.say(
                self.t.render("explain_quote", quote=answer.quote(turn, _cue_span(turn, shown)))
            )
            for tag in shown:
                answer.say(self._evidence(turn, tag))
        other = view.before(turn, client=not turn.is_client)
        if other is not None:
            key = "explain_context" if other.is_client else "explain_context_therapist"
            answer.say(self.t.render(key, turn=number(other), quote=answer.quote(other)))
        answer.say(self.t.render("explain_caveat"))
        self._step(
            answer,
            self.t.render("explain_step", first=number(other or turn), turn=number(turn)),
        )
        tag = (shown or requested or [None])[0]
        if tag is not None:
            items = [t.index for t in view.with_tag(tag)]
            answer.focus = self._focus("tag", items or [turn.index], turn.index, tag=tag)
            answer.skill = TAG_SKILL.get(tag)
        return answer

    def drill(
        self,
        view: SessionView | None,
        skill: str,
        state: dict[str, Any],
        intent: str = "drill_request",
    ) -> Answer:
        answer = Answer(intent, skill=skill)
        self.add_drill(answer, view, skill, state)
        self._step(answer, self.t.render("drill_step"))
        return answer

    def add_drill(
        self,
        answer: Answer,
        view: SessionView | None,
        skill: str,
        state: dict[str, Any],
        statement: str | None = None,
    ) -> None:
        """Say a drill for ``skill`` and attach it: a client statement from this
        session when there is a fitting one, else one of the stock statements."""
        text = self.t.skill(skill)
        drill_skill = text.drill_skill
        anchor: Turn | None = None
        if view is not None:
            m = measure(view, skill)
            anchor = view.turn(m.anchor) if m.anchor is not None else None
            if skill == "repair" and anchor is not None and "rupture_confrontation" in anchor.tags:
                drill_skill = "confrontation_rupture"
        if anchor is not None and anchor.text.strip():
            statement = answer.quote(anchor, max_words=DRILL_STATEMENT_WORDS)
            answer.say(
                self.t.render(
                    "drill_session", label=text.label, turn=number(anchor), statement=statement
                )
            )
        else:
            if statement is None:
                given = int(state.get("drills_given", 0))
                statement = text.drill_statements[given % len(text.drill_statements)]
            answer.say(self.t.render("drill_stock", label=text.label, statement=statement))
        answer.memory["drills_given"] = int(state.get("drills_given", 0)) + 1
        answer.say(self.t.render("drill_instructions", aim=text.aim[:1].upper() + text.aim[1:]))
        answer.drill = {"skill": drill_skill, "client_statement": statement}

    def practice_plan(self, view: SessionView, state: dict[str, Any]) -> Answer:
        skill, m, all_good = plan_skill(view)
        text = self.t.skill(skill)
        answer = Answer("practice_plan", skill=skill)
        if all_good:
            answer.say(self.t.render("plan_all_good", label=text.label))
        else:
            answer.say(self.t.render("plan_intro", label=text.label))
        answer.say(
            self.t.render(
                "plan_why", measure=text.measure.format(**m.fields), verdict=text.verdict[m.verdict]
            )
        )
        answer.say(self.t.render("plan_steps", plan=text.plan))
        self.add_drill(answer, view, skill, state)
        self._step(answer, self.t.render("plan_step"))
        answer.focus = self._focus(
            "skill", m.examples, m.best, skill=skill, tag=SKILL_TAGS[skill][0]
        )
        return answer

    def strengths(self, view: SessionView) -> Answer:
        answer = Answer("strengths")
        m = strongest_skill(view)
        if m is None:
            counts = view.profile.counts
            helpful = [tag for tag in HELPFUL_TAGS if counts.get(tag, 0)]
            best_tag = max(helpful, key=lambda tag: counts[tag]) if helpful else None
            label = self.t.tag_label(best_tag) if best_tag else self.t.render("nothing_helpful")
            answer.say(self.t.render("strength_none", label=label))
            skill = TAG_SKILL.get(best_tag or "", "reflection")
            answer.skill = skill
            self._step(answer, self.t.skill(skill).step_edge)
            return answer
        skill = m.skill
        text = self.t.skill(skill)
        answer.skill = skill
        answer.say(self.t.render("strength_intro", label=text.label))
        answer.say(text.measure.format(**m.fields))
        if m.verdict in ("strength", "fair"):
            answer.say(text.verdict[m.verdict])
        best = view.turn(m.best) if m.best is not None else None
        if best is not None:
            answer.say(
                text.example.format(
                    turn=number(best), quote=answer.quote(best, _cue_span(best, SKILL_TAGS[skill]))
                )
            )
        repaired = next((r for r in view.profile.ruptures if r.repaired), None)
        if skill != "repair" and repaired and repaired.repair_turn_index is not None:
            repair = view.turn(repaired.repair_turn_index)
            if repair is not None:
                answer.say(
                    self.t.render(
                        "strength_repair", turn=number(repair), quote=answer.quote(repair)
                    )
                )
        self._step(
            answer,
            self.t.render(
                "strength_step", step=text.step_strength[:1].lower() + text.step_strength[1:]
            ),
        )
        answer.focus = self._focus(
            "skill", m.examples, m.best, skill=skill, tag=SKILL_TAGS[skill][0]
        )
        return answer

    def follow_up(self, view: SessionView, slots: Slots, focus: dict[str, Any]) -> Answer:
        """Step through the items of the last answer ("and the one before that?")."""
        answer = Answer("follow_up", skill=focus.get("skill"))
        items: list[int] = list(focus.get("items") or [])
        pos = int(focus.get("pos", 0))
        if not items:
            answer.clarifying = True
            answer.rephrase = False
            answer.say(self.t.render("follow_none"))
            return answer
        target = {
            "previous": pos - 1,
            "first": 0,
            "last": len(items) - 1,
        }.get(slots.direction or "", pos + 1)
        if target < 0 or target >= len(items):
            answer.rephrase = False
            answer.say(self.t.render("follow_first" if target < 0 else "follow_last"))
            target = pos
            answer.focus = dict(focus)
            current = view.turn(items[pos])
            if current is not None:
                answer.references.append((current.index, excerpt(current.text)))
            return answer
        answer.focus = dict(focus) | {"pos": target}
        turn = view.turn(items[target])
        if turn is None:
            answer.say(self.t.render("follow_none"))
            answer.clarifying = True
            return answer
        if focus.get("kind") == "rupture":
            event = next((r for r in view.profile.ruptures if r.turn_index == turn.index), None)
            if event is not None:
                step = self._rupture_detail(answer, view, event, "rupture")
                answer.say(self.t.render("follow_position", position=target + 1, count=len(items)))
                self._step(answer, step)
                return answer
        tag = focus.get("tag")
        tags = [tg for tg in turn.tags if tg == tag] or [tg for tg in turn.tags if tg in TAG_SKILL]
        tag_part = self._tagged_note(tags)
        answer.say(
            self.t.render(
                "follow_item",
                turn=number(turn),
                tag_part=tag_part,
                quote=answer.quote(turn, _cue_span(turn, tags)),
            )
        )
        other = view.before(turn, client=not turn.is_client)
        if other is not None and turn.is_therapist:
            answer.say(
                self.t.render("follow_context", turn=number(other), quote=answer.quote(other))
            )
        answer.say(self.t.render("follow_position", position=target + 1, count=len(items)))
        skill = focus.get("skill") or TAG_SKILL.get(tag or "")
        if skill:
            self._step(answer, self._skill_step(skill, measure(view, skill)))
        else:
            self._step(
                answer,
                self.t.render("explain_step", first=number(other or turn), turn=number(turn)),
            )
        return answer
