"""The coach's words: ``prompts/chat.yaml`` loaded, checked and rendered.

Every reply is built from these templates; the code only chooses which and fills in
numbers, turn numbers and verbatim quotes. Loading checks that every template the
code uses exists and names only the fields the code supplies (``FIELDS``), so an
edit that breaks a reply fails at start-up with the file and the key, not in the
middle of a conversation.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ValidationError
from assistant.settings import PROJECT_ROOT

DEFAULT_TEMPLATES = PROJECT_ROOT / "prompts" / "chat.yaml"

# Template key -> the fields the code fills in. A template may use fewer.
FIELDS: dict[str, frozenset[str]] = {
    key: frozenset(fields.split())
    for key, fields in {
        "insufficient": "note",
        "untagged": "",
        "next_step": "step",
        "tagged_note": "tags",
        "score_note": "score",
        "any_code": "",
        "nothing_helpful": "",
        "withheld": "",
        "more_examples": "count",
        "skill_missing": "",
        "rupture_summary": "verb count noun withdrawal confrontation repaired repaired_verb window",
        "rupture_withdrawal": "turn quote",
        "rupture_confrontation": "turn quote",
        "lost_at": "turn marker quote",
        "marker_withdrawal": "",
        "marker_confrontation": "",
        "before_it": "turn quote tag_note",
        "repaired_at": "turn quote",
        "not_repaired": "window",
        "no_ruptures": "",
        "strain_candidate": "turn tags quote",
        "step_unrepaired": "turn",
        "step_repaired": "turn",
        "step_no_rupture": "",
        "explain_tagged": "turn role tags",
        "explain_not_tagged": "turn role label score_part tags_part",
        "explain_tags_none": "",
        "explain_tags_some": "tags",
        "explain_quote": "quote",
        "explain_score": "label score",
        "explain_cue": "quote",
        "explain_example": "label similarity",
        "explain_rule": "text",
        "explain_attribute": "name value",
        "explain_no_evidence": "label",
        "explain_context": "turn quote",
        "explain_context_therapist": "turn quote",
        "explain_caveat": "",
        "explain_step": "first turn",
        "explain_no_turn": "",
        "explain_bad_turn": "last turn",
        "drill_session": "label turn statement",
        "drill_stock": "label statement",
        "drill_instructions": "aim",
        "drill_step": "",
        "plan_intro": "label",
        "plan_why": "measure verdict",
        "plan_all_good": "label",
        "plan_steps": "plan",
        "plan_step": "",
        "strength_intro": "label",
        "strength_repair": "turn quote",
        "strength_none": "label",
        "strength_step": "step",
        "follow_item": "turn tag_part quote",
        "follow_context": "turn quote",
        "follow_first": "",
        "follow_last": "",
        "follow_none": "",
        "follow_position": "position count",
        "greeting_session": "session turns",
        "greeting_none": "",
        "help": "",
        "thanks": "closing",
        "thanks_step": "step",
        "thanks_plain": "",
        "wellbeing": "",
        "wellbeing_step": "",
        "diagnosis": "",
        "clinical_advice": "risk",
        "risk_line": "",
        "unclear": "",
        "unclear_choice": "first second",
        "empty": "",
        "no_transcript": "",
    }.items()
}
SKILL_FIELDS: dict[str, frozenset[str]] = {
    "measure": frozenset(
        "count therapist_turns per_10 target reflections questions rq rq_rating complex "
        "pct_cr open closed pct_open unasked poor poor_per_10 ruptures repaired window".split()
    ),
    "example": frozenset({"turn", "quote"}),
    "missed": frozenset({"turn", "quote"}),
    "step_edge": frozenset(),
    "step_strength": frozenset(),
    "plan": frozenset(),
    "aim": frozenset(),
}
VERDICTS = ("strength", "fair", "edge", "absent")
SKILLS = (
    "warmth",
    "reflection",
    "questions",
    "collaboration",
    "advice",
    "rigidity",
    "self_disclosure",
    "repair",
)
REFLECTION_FIELDS: dict[str, frozenset[str]] = {
    "intro": frozenset(),
    "quote_self": frozenset({"quote", "tags", "comment"}),
    "quote_self_none": frozenset({"quote"}),
    "quote_client": frozenset({"quote", "tags", "comment"}),
    "unasked_label": frozenset({"label"}),
    "complex_label": frozenset(),
    "tiring": frozenset(),
    "skipped": frozenset(),
    "stopped": frozenset(),
    "stopped_step": frozenset(),
    "plan_echo": frozenset({"plan"}),
    "finish": frozenset({"label"}),
    "finish_step": frozenset(),
    "safety_resume": frozenset({"ask"}),
}
GIBBS_STAGES = ("description", "feelings", "evaluation", "analysis", "conclusion", "action_plan")


@dataclass(frozen=True)
class SkillText:
    id: str
    label: str
    drill_skill: str
    measure: str
    verdict: dict[str, str]
    example: str
    missed: str
    step_edge: str
    step_strength: str
    plan: str
    aim: str
    drill_statements: tuple[str, ...]


@dataclass(frozen=True)
class Stage:
    name: str
    ask: str
    ack: str


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _clean(text: Any) -> str:
    return " ".join(str(text).split())


class Templates:
    """Rendered text for every reply; see the rules at the top of chat.yaml."""

    def __init__(self, raw: dict[str, Any], path: Path) -> None:
        self.path = path
        self.replies = {key: _clean(value) for key, value in (raw.get("replies") or {}).items()}
        self.tags = {
            tag: (_clean(entry.get("label", tag)), _clean(entry.get("comment", "")))
            for tag, entry in (raw.get("tags") or {}).items()
        }
        self.skills: dict[str, SkillText] = {}
        for skill, entry in (raw.get("skills") or {}).items():
            try:
                self.skills[skill] = SkillText(
                    id=skill,
                    label=_clean(entry["label"]),
                    drill_skill=_clean(entry["drill_skill"]),
                    measure=_clean(entry["measure"]),
                    verdict={v: _clean(entry["verdict"][v]) for v in VERDICTS},
                    example=_clean(entry["example"]),
                    missed=_clean(entry["missed"]),
                    step_edge=_clean(entry["step_edge"]),
                    step_strength=_clean(entry["step_strength"]),
                    plan=_clean(entry["plan"]),
                    aim=_clean(entry["aim"]),
                    drill_statements=tuple(_clean(s) for s in entry["drill_statements"]),
                )
            except (KeyError, TypeError) as error:
                raise ValidationError(
                    f"skill {skill!r} lacks {error}; each skill needs label, drill_skill, "
                    "measure, verdict (strength, fair, edge, absent), example, missed, "
                    "step_edge, step_strength, plan, aim and drill_statements",
                    path=path,
                ) from error
        reflection = raw.get("reflection") or {}
        self.reflection = {
            key: _clean(value) for key, value in reflection.items() if isinstance(value, str)
        }
        self.stages = tuple(
            Stage(_clean(s["name"]), _clean(s["ask"]), _clean(s["ack"]))
            for s in reflection.get("stages") or ()
        )
        self._check()

    def _check(self) -> None:
        def check(where: str, template: str, allowed: frozenset[str]) -> None:
            unknown = _fields(template) - allowed
            if unknown:
                raise ValidationError(
                    f"template {where} uses unknown field(s) {sorted(unknown)}; "
                    f"allowed: {sorted(allowed) or 'none'}",
                    path=self.path,
                )

        for key, allowed in FIELDS.items():
            if key not in self.replies:
                raise ValidationError(f"missing reply template 'replies.{key}'", path=self.path)
            check(f"replies.{key}", self.replies[key], allowed)
        for skill in SKILLS:
            if skill not in self.skills:
                raise ValidationError(f"missing skill 'skills.{skill}'", path=self.path)
            text = self.skills[skill]
            for key, allowed in SKILL_FIELDS.items():
                check(f"skills.{skill}.{key}", getattr(text, key), allowed)
            if not text.drill_statements:
                raise ValidationError(
                    f"skills.{skill}.drill_statements needs at least one statement", path=self.path
                )
        for key, allowed in REFLECTION_FIELDS.items():
            if key not in self.reflection:
                raise ValidationError(f"missing template 'reflection.{key}'", path=self.path)
            check(f"reflection.{key}", self.reflection[key], allowed)
        if tuple(stage.name for stage in self.stages) != GIBBS_STAGES:
            raise ValidationError(
                f"reflection.stages must be, in order: {', '.join(GIBBS_STAGES)}", path=self.path
            )

    def render(self, key: str, **fields: Any) -> str:
        return self.replies[key].format(**fields)

    def skill(self, skill: str) -> SkillText:
        return self.skills[skill]

    def tag_label(self, tag: str) -> str:
        return self.tags.get(tag, (tag.replace("_", " "), ""))[0]

    def tag_comment(self, tag: str) -> str:
        return self.tags.get(tag, ("", ""))[1]

    def reflect(self, key: str, **fields: Any) -> str:
        return self.reflection[key].format(**fields)


def load_templates(path: str | Path = DEFAULT_TEMPLATES) -> Templates:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValidationError(f"cannot read the chat templates: {error}", path=path) from error
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        raise ValidationError(
            f"invalid YAML: {error}", path=path, line=line + 1 if line is not None else None
        ) from error
    if not isinstance(raw, dict):
        raise ValidationError("expected a mapping with 'replies', 'skills' and 'tags'", path=path)
    return Templates(raw, path)
