"""The chat coach: one message in, one grounded reply and the updated memory out.

``Coach(tagger, settings)`` is built once (it encodes the intent exemplars and loads
the templates); ``reply(message, state, transcript, profile)`` then costs one encode
of the message and some dictionary work. The conversation's memory is the plain,
JSON-serialisable ``state`` dict the caller stores and passes back:

- ``last_intent``, ``last_skill``, ``last_turns`` (turn indices the last answer cited),
  ``last_step`` (its next step), ``history`` (the last intents);
- ``focus``: the list the last answer came from (ruptures, a skill's examples, a
  tag's turns) and a cursor ``pos`` into it, for "and the one before that?";
- ``gibbs`` / ``gibbs_stage``: the structured reflection in progress, if any;
- ``clarify``: the intents a clarifying question offered;
- ``conversation_id``: the transcript the memory refers to (a new transcript
  drops the turn-level memory).

Every reply is checked before it leaves: each double-quoted string must be a
verbatim substring of a turn the reply cites (or, in a reflection, of the
clinician's own messages). A backend's rephrasing must also bring no new numbers
or clinical terms; otherwise the template answer is used.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.chat.answers import Answer, SessionAnswers
from assistant.chat.grounding import new_numbers, quotes_in, unverified_quotes
from assistant.chat.intents import (
    DEFAULT_INTENTS,
    UNCLEAR,
    Encoder,
    IntentClassifier,
    IntentResult,
    load_intents,
)
from assistant.chat.llm import Backend, LocalBackend, make_backend
from assistant.chat.reflection import ReflectionGuide, _tags_of
from assistant.chat.session import TAG_SKILL, SessionView, plan_skill
from assistant.chat.slots import SlotFiller, Slots
from assistant.chat.templates import DEFAULT_TEMPLATES, SKILLS, load_templates
from assistant.errors import ValidationError
from assistant.model import Role, Transcript
from assistant.profile import SessionProfile
from assistant.settings import Settings, get_settings

logger = logging.getLogger(__name__)

STATE_VERSION = 1
HISTORY = 10
# Intents that need a coded session; without a transcript they open a reflection.
SESSION_INTENTS = frozenset(
    {"skill_feedback", "lost_client", "rupture", "explain_tag", "strengths", "practice_plan"}
)
SAFETY_INTENTS = frozenset({"diagnosis_request", "clinical_advice"})
SKILL_INTENTS = frozenset({"skill_feedback", "drill_request"})
# A follow-up with no direction word ("next", "before", "another") and no skill must
# be at least this close to the exemplars.
FOLLOW_UP_SURE = 0.6
_RISK = re.compile(
    r"suicid|self[- ]?harm|kill (him|her|them)sel|overdose|\bsafe\b|\brisk\b|danger|hurt (him|her|them)sel",
    re.I,
)
_EXPLAIN_WORDS = re.compile(r"\bwhy\b|\btag|\bcod(ed|e)\b|\blabel", re.I)
_ORDINALS = (
    re.compile(r"\b(first|former|1|one)\b", re.I),
    re.compile(r"\b(second|latter|2|two|other)\b", re.I),
)
# Words a rephrasing must not bring in when the template answer did not use them.
CLINICAL_TERMS = re.compile(
    r"diagnos|disorder|medicat|prescri|dose|psychiatr|suicid|borderline|bipolar|ptsd|depression",
    re.I,
)


class Reference(BaseModel):
    turn_index: int = Field(ge=0, description="0-based turn index, as in the data model")
    quote: str = Field(description="verbatim substring of that turn's text")


class DrillSuggestion(BaseModel):
    skill: str = Field(description="drill skill id (shared with assistant/feedback SKILLS)")
    client_statement: str = Field(description="what the client says, for the clinician to answer")


class ChatReply(BaseModel):
    text: str
    intent: str
    references: list[Reference] = Field(default_factory=list)
    state: dict[str, Any] = Field(default_factory=dict)
    clarifying: bool = False
    drill: DrillSuggestion | None = None
    source: str = Field(default="template", description="'template' or the backend that phrased it")


class Coach:
    """Intent detection, slot filling, grounded answers, memory and optional phrasing."""

    def __init__(
        self,
        tagger: Encoder,
        settings: Settings | None = None,
        *,
        backend: Backend | None = None,
        intents_path: str | Path = DEFAULT_INTENTS,
        templates_path: str | Path = DEFAULT_TEMPLATES,
    ) -> None:
        self.settings = settings or get_settings()
        self.tagger = tagger
        self.config = load_intents(intents_path)
        self.templates = load_templates(templates_path)
        missing = set(SKILLS) - set(self.config.skill_synonyms)
        if missing:
            raise ValidationError(
                f"slots.skills lacks synonyms for {sorted(missing)}", path=self.config.path
            )
        self.slots = SlotFiller(self.config.skill_synonyms)
        # The exemplar embeddings are computed here, once per coach.
        self.classifier = IntentClassifier(tagger, self.config, normalise=self.slots.mask)
        self.answers = SessionAnswers(self.templates)
        tag_turn = self._tag_turn if hasattr(tagger, "transform_turn") else None
        self.guide = ReflectionGuide(self.templates, self.answers, tag_turn)
        self.backend: Backend = backend or make_backend(
            self.settings.llm_backend,
            model=self.settings.llm_model or None,
            api_key=self.settings.llm_api_key or None,
        )

    # --- public --------------------------------------------------------------------

    def warm_up(self) -> None:
        """Load what a first reply would otherwise load (the local phrasing model)."""
        if isinstance(self.backend, LocalBackend):
            self.backend.load()
        self.tagger.encode(["hello"])

    def classify(self, message: str) -> tuple[IntentResult, Slots]:
        slots = self.slots(message)
        vector = self.tagger.encode([self.slots.mask(message)])[0]
        return self.classifier.classify(vector, message, slots), slots

    def reply(
        self,
        message: str,
        state: dict[str, Any] | None = None,
        transcript: Transcript | None = None,
        profile: SessionProfile | None = None,
    ) -> ChatReply:
        state = self._prepare(state, transcript)
        text = (message or "").strip()
        view = SessionView(transcript, profile) if transcript is not None else None
        if not text:
            answer = Answer(UNCLEAR, clarifying=True, rephrase=False)
            answer.say(self.templates.render("empty"))
        else:
            result, slots = self.classify(text)
            answer = self._route(text, slots, result, state, view)
        return self._finish(answer, state, view, transcript)

    # --- routing -------------------------------------------------------------------

    def _tag_turn(self, text: str, role: Role) -> tuple[list[str], dict[str, dict[str, str]]]:
        return _tags_of(self.tagger.transform_turn(text, role, []))  # type: ignore[attr-defined]

    def _prepare(self, state: dict[str, Any] | None, transcript: Transcript | None) -> dict:
        state = copy.deepcopy(state) if state else {}
        conversation = transcript.id if transcript is not None else None
        if state.get("conversation_id") != conversation:
            # Turn numbers from another session would point at the wrong words.
            for key in ("focus", "last_turns"):
                state.pop(key, None)
        return state

    def _resolve(self, result: IntentResult, slots: Slots, state: dict[str, Any], text: str) -> str:
        intent = result.intent
        if intent == UNCLEAR:
            if slots.turns and (slots.skill or _EXPLAIN_WORDS.search(text)):
                return "explain_tag"
            if slots.skill and len(text.split()) <= 5:
                # "warmth?" / "and empathy?": the skill is the whole message.
                last = state.get("last_intent")
                return last if last in SKILL_INTENTS else "skill_feedback"
            options = state.get("clarify") or []
            for option, pattern in zip(options, _ORDINALS, strict=False):
                if pattern.search(text):
                    return option
            if options:
                best = max(options, key=result.score_of)
                if result.score_of(best) >= self.config.threshold - 0.1:
                    return best
            return UNCLEAR
        if intent == "follow_up":
            if slots.skill and slots.direction in (None, "more"):
                last = state.get("last_intent")
                return last if last in SKILL_INTENTS else "skill_feedback"
            if slots.direction is None and result.score < FOLLOW_UP_SURE:
                # "tell me a joke" looks like "tell me more" but points at nothing.
                return UNCLEAR
        return intent

    def _route(
        self,
        text: str,
        slots: Slots,
        result: IntentResult,
        state: dict[str, Any],
        view: SessionView | None,
    ) -> Answer:
        t = self.templates
        if self.guide.active(state):
            if self.guide.wants_stop(text):
                return self.guide.stop()
            # A direct safety question interrupts the reflection; anything else is an
            # answer to the current stage.
            if (
                result.intent in SAFETY_INTENTS
                and text.rstrip().endswith("?")
                and len(text.split()) <= 25
            ):
                answer = self._safety(result.intent, text)
                answer.say(self.guide.resume_line(state))
                return answer
            tiring = result.score_of(
                "wellbeing"
            ) >= self.config.threshold or self.classifier.cue_hit("wellbeing", text)
            return self.guide.continue_(text, slots, state, tiring=tiring)

        intent = self._resolve(result, slots, state, text)
        if intent in SESSION_INTENTS and view is None:
            return self.guide.start(text, slots, lead=t.render("no_transcript"))
        if intent == "reflection" or (
            intent == UNCLEAR and view is None and self.guide.describes_session(text, slots)
        ):
            return self.guide.start(text, slots)
        if view is not None and not view.tagged and intent in SESSION_INTENTS | {"follow_up"}:
            answer = Answer(intent, rephrase=False)
            answer.say(t.render("untagged"))
            return answer
        if intent in SAFETY_INTENTS:
            return self._safety(intent, text)
        handler = getattr(self, f"_on_{intent}", None)
        if handler is None:
            return self._unclear(result, state)
        return handler(text, slots, state, view)

    def _skill_or_ask(self, slots: Slots, state: dict[str, Any], intent: str) -> str | Answer:
        skill = slots.skill or state.get("last_skill")
        if skill:
            return skill
        answer = Answer(intent, clarifying=True, rephrase=False)
        answer.say(self.templates.render("skill_missing"))
        return answer

    # --- intent handlers -------------------------------------------------------------

    def _on_skill_feedback(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView
    ) -> Answer:
        skill = self._skill_or_ask(slots, state, "skill_feedback")
        if isinstance(skill, Answer):
            return skill
        return self.answers.skill_feedback(view, skill)

    def _on_lost_client(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView
    ) -> Answer:
        return self.answers.lost_client(view)

    def _on_rupture(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView
    ) -> Answer:
        return self.answers.rupture(view)

    def _on_explain_tag(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView
    ) -> Answer:
        return self.answers.explain_tag(view, text, slots, state)

    def _on_strengths(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView
    ) -> Answer:
        return self.answers.strengths(view)

    def _on_practice_plan(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView
    ) -> Answer:
        return self.answers.practice_plan(view, state)

    def _on_drill_request(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView | None
    ) -> Answer:
        skill = slots.skill or state.get("last_skill")
        if skill is None and view is not None and view.tagged:
            # "a drill for that" after a turn was discussed: that turn's skill.
            for index in state.get("last_turns") or []:
                turn = view.turn(index)
                tags = [tag for tag in (turn.tags if turn else []) if tag in TAG_SKILL]
                if tags:
                    skill = TAG_SKILL[tags[0]]
                    break
            if skill is None:
                skill = plan_skill(view)[0]
        if skill is None:
            answer = Answer("drill_request", clarifying=True, rephrase=False)
            answer.say(self.templates.render("skill_missing"))
            answer.options = ["drill_request"]
            return answer
        usable = view if view is not None and view.tagged else None
        return self.answers.drill(usable, skill, state)

    def _on_follow_up(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView | None
    ) -> Answer:
        focus = state.get("focus")
        if view is None or not focus:
            answer = Answer("follow_up", clarifying=True, rephrase=False)
            answer.say(self.templates.render("follow_none"))
            return answer
        return self.answers.follow_up(view, slots, focus)

    def _on_greeting(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView | None
    ) -> Answer:
        answer = Answer("greeting", rephrase=False)
        if view is not None:
            answer.say(
                self.templates.render(
                    "greeting_session", session=view.transcript.id, turns=len(view.transcript.turns)
                )
            )
        else:
            answer.say(self.templates.render("greeting_none"))
        return answer

    def _on_help(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView | None
    ) -> Answer:
        answer = Answer("help", rephrase=False)
        answer.say(self.templates.render("help"))
        return answer

    def _on_thanks(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView | None
    ) -> Answer:
        answer = Answer("thanks", rephrase=False)
        step = state.get("last_step")
        closing = (
            self.templates.render("thanks_step", step=step)
            if step
            else self.templates.render("thanks_plain")
        )
        answer.say(self.templates.render("thanks", closing=closing))
        return answer

    def _on_wellbeing(
        self, text: str, slots: Slots, state: dict[str, Any], view: SessionView | None
    ) -> Answer:
        answer = Answer("wellbeing", rephrase=False)
        answer.say(self.templates.render("wellbeing"))
        answer.say(self.templates.render("wellbeing_step"))
        return answer

    def _safety(self, intent: str, text: str) -> Answer:
        answer = Answer(intent, rephrase=False)
        if intent == "diagnosis_request":
            answer.say(self.templates.render("diagnosis"))
        else:
            risk = self.templates.render("risk_line") if _RISK.search(text) else ""
            answer.say(self.templates.render("clinical_advice", risk=risk))
        return answer

    def _unclear(self, result: IntentResult, state: dict[str, Any]) -> Answer:
        answer = Answer(UNCLEAR, clarifying=True, rephrase=False)
        first, second = (result.ranked + (("", 0.0), ("", 0.0)))[:2]
        near = self.config.threshold - 0.08
        if first[1] >= near and second[1] >= near and first[0] and second[0]:
            answer.options = [first[0], second[0]]
            answer.say(
                self.templates.render(
                    "unclear_choice",
                    first=self.config.spec(first[0]).description,
                    second=self.config.spec(second[0]).description,
                )
            )
        else:
            answer.say(self.templates.render("unclear"))
        return answer

    # --- checking, phrasing and memory -----------------------------------------------

    def _finish(
        self,
        answer: Answer,
        state: dict[str, Any],
        view: SessionView | None,
        transcript: Transcript | None,
    ) -> ChatReply:
        sources = list(answer.sources)
        references: list[Reference] = []
        for index, quote in answer.references:
            turn = view.turn(index) if view is not None else None
            if turn is not None and quote and quote in turn.text:
                sources.append(turn.text)
                references.append(Reference(turn_index=index, quote=quote))
            else:
                logger.error("dropped a reference that is not verbatim in turn %s", index)
        text = answer.text
        bad = unverified_quotes(text, sources)
        if bad:
            # A template or a code path produced words the transcript does not hold.
            logger.error("withheld %d unverified quote(s) in a %s reply", len(bad), answer.intent)
            withheld = self.templates.render("withheld")
            for quote in bad:
                text = text.replace(f"\u201c{quote}\u201d", withheld)
                text = text.replace(f'"{quote}"', withheld)
        source = "template"
        if answer.rephrase and not answer.clarifying and self.backend.name != "none":
            candidate = self.backend.rephrase(text, answer.intent)
            if candidate and self.acceptable(candidate, text, sources):
                text, source = candidate, self.backend.name
        return ChatReply(
            text=text,
            intent=answer.intent,
            references=references,
            state=self._remember(answer, state, transcript),
            clarifying=answer.clarifying,
            drill=answer.drill,
            source=source,
        )

    @staticmethod
    def acceptable(candidate: str, template: str, sources: list[str]) -> bool:
        """Whether a backend's rephrasing may replace the template answer."""
        problems: list[str] = []
        if len(candidate) > 2 * len(template) + 200:
            problems.append("too long")
        if bad := unverified_quotes(candidate, sources):
            problems.append(f"quotes not in the transcript: {bad}")
        if extra := new_numbers(candidate, template):
            problems.append(f"new numbers: {sorted(extra)}")
        if CLINICAL_TERMS.search(candidate) and not CLINICAL_TERMS.search(template):
            problems.append("clinical terms the answer did not use")
        if quotes_in(template) and not quotes_in(candidate):
            problems.append("dropped the quotes")
        if problems:
            logger.info("rephrasing rejected (%s); using the template", "; ".join(problems))
            return False
        return True

    def _remember(
        self, answer: Answer, state: dict[str, Any], transcript: Transcript | None
    ) -> dict[str, Any]:
        new = dict(state)
        new["version"] = STATE_VERSION
        new["conversation_id"] = transcript.id if transcript is not None else None
        new["messages"] = int(state.get("messages", 0)) + 1
        new["history"] = [*list(state.get("history") or []), answer.intent][-HISTORY:]
        if answer.intent != UNCLEAR and not answer.clarifying:
            new["last_intent"] = answer.intent
        if answer.skill:
            new["last_skill"] = answer.skill
        if answer.turns:
            new["last_turns"] = answer.turns
        if answer.focus is not None:
            new["focus"] = answer.focus
        elif answer.clear_focus:
            new["focus"] = None
        new["clarify"] = answer.options if answer.clarifying and answer.options else None
        if answer.step:
            new["last_step"] = answer.step
        new.update(answer.memory)
        gibbs = new.get("gibbs")
        new["gibbs_stage"] = (
            self.templates.stages[int(gibbs["stage"])].name if isinstance(gibbs, dict) else None
        )
        return new
