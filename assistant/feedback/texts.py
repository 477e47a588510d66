"""The wording of feedback notes and the exemplar bank, read from ``prompts/``.

``prompts/feedback.yaml`` holds every sentence a clinician reads (templates, rule
reasons, strengths, reflective questions, self-care prompts, the feeling lexicon);
``prompts/exemplars.yaml`` holds the exemplar bank. Both are checked on load so a
typo in a slot name or a missing skill is a clear error, not a broken note.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ValidationError
from assistant.feedback.schema import SKILLS
from assistant.settings import PROJECT_ROOT

FEEDBACK_PATH = PROJECT_ROOT / "prompts" / "feedback.yaml"
EXEMPLARS_PATH = PROJECT_ROOT / "prompts" / "exemplars.yaml"

ALTERNATIVE_SLOTS = frozenset({"client_words", "client_phrase", "feeling"})
TEXT_SLOTS = frozenset(
    {
        "turn",
        "therapist_turn",
        "kind",
        "count",
        "total",
        "unrepaired",
        "window",
        "value",
        "target",
        "gap",
        "metric",
    }
)
STRENGTH_SLOTS = frozenset({"value"})
RULE_KEYS = (
    "unrepaired_rupture",
    "poorly_timed_disclosure",
    "rigidity",
    "rq",
    "pct_cr",
    "warmth",
    "collaboration",
    "none",
)
STRENGTH_KEYS = (
    "repair",
    "complex_reflection",
    "reflection",
    "warmth",
    "collaboration",
    "self_disclosure",
    "open_question",
)
MIN_EXEMPLARS_PER_SKILL = 10


@dataclass(frozen=True)
class Template:
    id: str
    text: str

    @property
    def slots(self) -> frozenset[str]:
        return slots_of(self.text)


@dataclass(frozen=True)
class SkillTexts:
    id: str
    title: str
    target_tags: tuple[str, ...]
    forbidden_tags: tuple[str, ...]
    explanation: str
    templates: tuple[Template, ...]
    complex_templates: tuple[Template, ...]
    moment: str
    moment_complex: str | None
    focus: dict[str, dict[str, str]]
    reflective_questions: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackTexts:
    skills: dict[str, SkillTexts]
    rules: dict[str, str]
    strengths: dict[str, dict[str, str]]
    self_care: tuple[str, ...]
    feelings: dict[str, str]


@dataclass(frozen=True)
class Exemplar:
    id: str
    skill: str
    client: str
    response: str
    depth: str | None = None


def slots_of(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def _fail(message: str, path: Path | str) -> ValidationError:
    return ValidationError(message, path=path)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise _fail("file not found; it ships with the project under prompts/", path) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ValidationError(f"not valid YAML: {error}", path=path, line=line) from error
    if not isinstance(data, dict):
        raise _fail("expected a YAML mapping at the top level", path)
    return data


def _text(raw: Any, where: str, path: Path, allowed: frozenset[str]) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(f"{where}: expected a non-empty string", path)
    text = " ".join(raw.split())
    unknown = slots_of(text) - allowed
    if unknown:
        raise _fail(f"{where}: unknown slot(s) {sorted(unknown)}; allowed: {sorted(allowed)}", path)
    return text


def _templates(raw: Any, where: str, path: Path) -> tuple[Template, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(f"{where}: expected a list of {{id, text}}", path)
    out = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict) or "id" not in item:
            raise _fail(f"{where} #{number}: expected a mapping with 'id' and 'text'", path)
        out.append(
            Template(
                str(item["id"]),
                _text(item.get("text"), f"{where} #{number}", path, ALTERNATIVE_SLOTS),
            )
        )
    return tuple(out)


def _skill(skill_id: str, raw: Any, path: Path) -> SkillTexts:
    where = f"skills.{skill_id}"
    if not isinstance(raw, dict):
        raise _fail(f"{where}: expected a mapping", path)
    templates = _templates(raw.get("templates"), f"{where}.templates", path)
    if len(templates) < 3:
        raise _fail(f"{where}.templates: at least 3 templates are needed", path)
    questions = raw.get("reflective_questions") or []
    if not questions:
        raise _fail(f"{where}.reflective_questions: at least one question is needed", path)
    targets = tuple(raw.get("target_tags") or ())
    if not targets:
        raise _fail(f"{where}.target_tags: name at least one tag the alternative must carry", path)
    focus = raw.get("focus") or {}
    return SkillTexts(
        id=skill_id,
        title=_text(raw.get("title"), f"{where}.title", path, frozenset()),
        target_tags=targets,
        forbidden_tags=tuple(raw.get("forbidden_tags") or ()),
        explanation=_text(raw.get("explanation"), f"{where}.explanation", path, frozenset()),
        templates=templates,
        complex_templates=_templates(
            raw.get("complex_templates"), f"{where}.complex_templates", path
        ),
        moment=_text(raw.get("moment"), f"{where}.moment", path, TEXT_SLOTS),
        moment_complex=(
            _text(raw["moment_complex"], f"{where}.moment_complex", path, TEXT_SLOTS)
            if raw.get("moment_complex")
            else None
        ),
        focus={
            name: {
                "title": _text(spec.get("title"), f"{where}.focus.{name}.title", path, frozenset()),
                "explanation": _text(
                    spec.get("explanation"), f"{where}.focus.{name}.explanation", path, frozenset()
                ),
            }
            for name, spec in focus.items()
        },
        reflective_questions=tuple(
            _text(q, f"{where}.reflective_questions", path, TEXT_SLOTS) for q in questions
        ),
    )


def parse_feedback_texts(data: dict[str, Any], path: Path | str = "<feedback>") -> FeedbackTexts:
    path = Path(path)
    skills_raw = data.get("skills") or {}
    missing = [skill for skill in SKILLS if skill not in skills_raw]
    if missing:
        raise _fail(f"skills: missing {missing}; every drill skill needs its texts", path)
    unknown = [skill for skill in skills_raw if skill not in SKILLS]
    if unknown:
        raise _fail(f"skills: unknown skill id(s) {unknown}; known: {list(SKILLS)}", path)
    rules_raw = data.get("rules") or {}
    strengths_raw = data.get("strengths") or {}
    for section, keys, raw in (
        ("rules", RULE_KEYS, rules_raw),
        ("strengths", STRENGTH_KEYS, strengths_raw),
    ):
        absent = [key for key in keys if key not in raw]
        if absent:
            raise _fail(f"{section}: missing {absent}", path)
    feelings = data.get("feelings") or {}
    if not isinstance(feelings, dict) or not feelings:
        raise _fail("feelings: expected a mapping of word -> feeling", path)
    self_care = data.get("self_care") or []
    if not self_care:
        raise _fail("self_care: at least one prompt is needed", path)
    return FeedbackTexts(
        skills={skill: _skill(skill, skills_raw[skill], path) for skill in SKILLS},
        rules={key: _text(rules_raw[key], f"rules.{key}", path, TEXT_SLOTS) for key in RULE_KEYS},
        strengths={
            key: {
                "title": _text(
                    strengths_raw[key].get("title"), f"strengths.{key}.title", path, frozenset()
                ),
                "sentence": _text(
                    strengths_raw[key].get("sentence"),
                    f"strengths.{key}.sentence",
                    path,
                    STRENGTH_SLOTS,
                ),
            }
            for key in STRENGTH_KEYS
        },
        self_care=tuple(_text(p, "self_care", path, frozenset()) for p in self_care),
        feelings={str(k).lower(): str(v) for k, v in feelings.items()},
    )


def parse_exemplars(data: dict[str, Any], path: Path | str = "<exemplars>") -> tuple[Exemplar, ...]:
    path = Path(path)
    bank = data.get("exemplars") or {}
    out: list[Exemplar] = []
    seen: set[str] = set()
    for skill in SKILLS:
        items = bank.get(skill) or []
        if len(items) < MIN_EXEMPLARS_PER_SKILL:
            raise _fail(
                f"exemplars.{skill}: {len(items)} exemplar(s); at least "
                f"{MIN_EXEMPLARS_PER_SKILL} are needed per skill",
                path,
            )
        for number, item in enumerate(items, 1):
            where = f"exemplars.{skill} #{number}"
            if not isinstance(item, dict) or not item.get("id"):
                raise _fail(f"{where}: expected a mapping with id, client, response", path)
            if item["id"] in seen:
                raise _fail(f"{where}: duplicate id {item['id']!r}", path)
            seen.add(item["id"])
            out.append(
                Exemplar(
                    id=str(item["id"]),
                    skill=skill,
                    client=_text(item.get("client"), f"{where}.client", path, frozenset()),
                    response=_text(item.get("response"), f"{where}.response", path, frozenset()),
                    depth=item.get("depth"),
                )
            )
    unknown = [skill for skill in bank if skill not in SKILLS]
    if unknown:
        raise _fail(f"exemplars: unknown skill id(s) {unknown}; known: {list(SKILLS)}", path)
    return tuple(out)


@lru_cache(maxsize=4)
def load_feedback_texts(path: Path = FEEDBACK_PATH) -> FeedbackTexts:
    return parse_feedback_texts(_read_yaml(Path(path)), path)


@lru_cache(maxsize=4)
def load_exemplars(path: Path = EXEMPLARS_PATH) -> tuple[Exemplar, ...]:
    return parse_exemplars(_read_yaml(Path(path)), path)
