"""A structured reflection on a session the clinician describes (no transcript).

Gibbs' reflective cycle (1988), one stage per message: description, feelings,
evaluation, analysis, conclusion, action plan. The stage and the answers so far
live in the conversation state (``state["gibbs"]``), so the API can store them
between requests. Words the clinician puts in quotes are tagged with the tagger's
single-turn entry point and commented on; the cycle ends with the plan in the
clinician's own words and a drill for one skill.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from assistant.chat.answers import Answer, SessionAnswers, lower_first
from assistant.chat.session import TAG_SKILL
from assistant.chat.slots import QuotedWords, Slots
from assistant.chat.templates import Templates
from assistant.model import Role

logger = logging.getLogger(__name__)

_STOP = re.compile(
    r"^\s*(stop|cancel|quit|exit|enough)\b|\b(stop|end|cancel|quit)\s+(the\s+|this\s+)?(reflection|cycle|this)\b",
    re.I,
)
_SKIP = re.compile(r"^\s*(skip|pass|next question|move on)\b", re.I)
# A long first message, or one that quotes what was said, is itself the description.
DESCRIPTION_WORDS = 20
# Tags whose presence in the clinician's quoted words decides the drill, most
# pressing first (straining behaviours, then a missed rupture).
DRILL_PRIORITY = (
    "rigidity",
    "poorly_timed_self_disclosure",
    "advice",
    "closed_question",
    "rupture_confrontation",
    "rupture_withdrawal",
)
CLIENT_COMMENT_TAGS = ("rupture_withdrawal", "rupture_confrontation")


def _tags_of(result: Any) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Tags and attributes from whatever the tagger's single-turn call returns."""
    if result is None:
        return [], {}
    if isinstance(result, dict):
        return list(result.get("tags") or []), dict(result.get("attributes") or {})
    return list(getattr(result, "tags", []) or []), dict(getattr(result, "attributes", {}) or {})


class ReflectionGuide:
    """Leads the Gibbs cycle; ``answers`` supplies the drill."""

    def __init__(
        self,
        templates: Templates,
        answers: SessionAnswers,
        tag_turn: Callable[[str, Role], tuple[list[str], dict[str, dict[str, str]]]] | None,
    ) -> None:
        self.t = templates
        self.answers = answers
        self.tag_turn = tag_turn

    @staticmethod
    def active(state: dict[str, Any]) -> bool:
        return isinstance(state.get("gibbs"), dict)

    @staticmethod
    def wants_stop(message: str) -> bool:
        return bool(_STOP.search(message))

    @staticmethod
    def describes_session(message: str, slots: Slots) -> bool:
        """A long message, or one quoting what was said, tells what happened."""
        return len(message.split()) >= DESCRIPTION_WORDS or bool(slots.quotes)

    def start(self, message: str, slots: Slots, lead: str | None = None) -> Answer:
        answer = Answer("reflection")
        answer.sources.append(message)
        if lead:
            answer.say(lead)
        answer.say(self.t.reflect("intro"))
        gibbs: dict[str, Any] = {"stage": 0, "answers": {}, "quotes": [], "skills": []}
        if self.describes_session(message, slots):
            # The request already tells what happened: take it as the description.
            self._record(answer, gibbs, message, slots)
            gibbs["stage"] = 1
        answer.say(self.t.stages[gibbs["stage"]].ask)
        answer.memory["gibbs"] = gibbs
        return answer

    def stop(self) -> Answer:
        answer = Answer("reflection", rephrase=False, clear_focus=True)
        answer.say(self.t.reflect("stopped"))
        answer.say(self.t.reflect("stopped_step"))
        answer.memory["gibbs"] = None
        return answer

    def resume_line(self, state: dict[str, Any]) -> str:
        stage = self.t.stages[int(state["gibbs"]["stage"])]
        return self.t.reflect("safety_resume", ask=stage.ask)

    def continue_(
        self, message: str, slots: Slots, state: dict[str, Any], tiring: bool = False
    ) -> Answer:
        gibbs = {
            "stage": int(state["gibbs"].get("stage", 0)),
            "answers": dict(state["gibbs"].get("answers") or {}),
            "quotes": list(state["gibbs"].get("quotes") or []),
            "skills": list(state["gibbs"].get("skills") or []),
        }
        answer = Answer("reflection")
        answer.sources += [message, *gibbs["answers"].values()]
        stage = self.t.stages[gibbs["stage"]]
        if _SKIP.search(message):
            answer.say(self.t.reflect("skipped"))
        else:
            answer.say(stage.ack)
            self._record(answer, gibbs, message, slots)
            if tiring and stage.name == "feelings":
                answer.say(self.t.reflect("tiring"))
        gibbs["stage"] += 1
        if gibbs["stage"] < len(self.t.stages):
            answer.say(self.t.stages[gibbs["stage"]].ask)
            answer.memory["gibbs"] = gibbs
            return answer
        self._finish(answer, gibbs, state)
        answer.memory["gibbs"] = None
        return answer

    def _record(self, answer: Answer, gibbs: dict[str, Any], message: str, slots: Slots) -> None:
        name = self.t.stages[gibbs["stage"]].name
        gibbs["answers"][name] = message
        for skill in slots.skills:
            if skill not in gibbs["skills"]:
                gibbs["skills"].append(skill)
        for quoted in slots.quotes:
            text, tags = self._comment(quoted)
            gibbs["quotes"].append({"text": quoted.text, "speaker": quoted.speaker, "tags": tags})
            answer.say(text)

    def _comment(self, quoted: QuotedWords) -> tuple[str, list[str]]:
        """What the tagger makes of the quoted words (a sentence, or "" for client
        words with no rupture marker), and the tags."""
        role = Role.CLIENT if quoted.speaker == "client" else Role.THERAPIST
        tags: list[str] = []
        attributes: dict[str, dict[str, str]] = {}
        if self.tag_turn is not None:
            try:
                tags, attributes = self.tag_turn(quoted.text, role)
            except Exception:  # a tagger failure must not end the conversation
                logger.exception("tagging quoted words failed")
        if role is Role.CLIENT:
            shown = [tag for tag in tags if tag in CLIENT_COMMENT_TAGS]
            if not shown:
                return "", []
            comment = self.t.tag_comment(shown[0])
            labels = self.answers._labels(shown)
            return self.t.reflect(
                "quote_client", quote=quoted.text, tags=labels, comment=comment
            ), shown
        shown = [tag for tag in tags if tag not in CLIENT_COMMENT_TAGS]
        if not shown:
            return self.t.reflect("quote_self_none", quote=quoted.text), []
        labels = []
        for tag in shown:
            label = self.t.tag_label(tag)
            permission = attributes.get(tag, {}).get("permission")
            depth = attributes.get(tag, {}).get("depth")
            if permission == "unasked":
                label = self.t.reflect("unasked_label", label=label)
            elif depth == "complex":
                label = self.t.reflect("complex_label")
            labels.append(label)
        # Comment on the tag that matters most for practice.
        focus = next((tag for tag in DRILL_PRIORITY if tag in shown), shown[0])
        text = self.t.reflect(
            "quote_self",
            quote=quoted.text,
            tags=" and ".join(labels),
            comment=self.t.tag_comment(focus),
        )
        return text, shown

    def drill_skill(self, gibbs: dict[str, Any]) -> str:
        """The skill to practise: from the quoted words' tags, else the skills the
        clinician named (the plan first), else reflections."""
        seen = [tag for quote in gibbs["quotes"] for tag in quote.get("tags", [])]
        for tag in DRILL_PRIORITY:
            if tag in seen:
                return "questions" if tag == "closed_question" else TAG_SKILL[tag]
        if gibbs["skills"]:
            return gibbs["skills"][-1]
        return "reflection"

    def _finish(self, answer: Answer, gibbs: dict[str, Any], state: dict[str, Any]) -> None:
        plan = gibbs["answers"].get("action_plan", "").strip()
        if plan:
            first = re.split(r"(?<=[.!?])\s+", plan)[0]
            answer.say(self.t.reflect("plan_echo", plan=first))
        skill = self.drill_skill(gibbs)
        answer.skill = skill
        answer.say(self.t.reflect("finish", label=self.t.skill(skill).label))
        client_words = next(
            (q["text"] for q in gibbs["quotes"] if q.get("speaker") == "client"), None
        )
        self.answers.add_drill(answer, None, skill, state, statement=client_words)
        step = self.t.reflect("finish_step")
        answer.step = lower_first(step.removeprefix("Next step: "))
        answer.say(step)
