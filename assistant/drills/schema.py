"""The drill file format and the loader for the drill library.

A drill file (``prompts/drills/<skill>.yaml``, or any ``*.yaml`` in a folder named by
``ALLIANCE_DRILLS_DIRS``) holds one skill and its client statements::

    skill: reflection
    title: Reflecting the client's meaning
    description: >-
      what the skill is and why it matters (optional in trainers' own files)
    items:
      - id: reflection-b-01
        level: beginner            # beginner | intermediate | advanced
        context: "34-year-old nurse, third session, burnout"
        client_statement: "I'm just so tired all the time..."
        criteria: ["Reflects the exhaustion and the guilt", "Is a statement"]
        target_tags: [reflection]
        avoid_tags: [advice, closed_question]
        model_responses: ["You're worn down...", "Part of you..."]
        pitfalls: ["Jumping to advice about self-care"]

Several files may add items to the same skill (a trainer's own reflection drills
beside ours); item ids are unique across the whole library. Every problem is
reported as one ``ValidationError`` naming the file, the line and the item.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from assistant.errors import NotFoundError, ValidationError
from assistant.model import THERAPIST_TAGS
from assistant.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

DRILLS_DIR = PROJECT_ROOT / "prompts" / "drills"
LEVELS: tuple[str, ...] = ("beginner", "intermediate", "advanced")
Level = Literal["beginner", "intermediate", "advanced"]
# Item ids are stored in drill_attempts.item_id (80 characters).
ITEM_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
SKILL_ID_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
MAX_ERRORS_SHOWN = 5


def _clean_strings(values: list[str], what: str) -> list[str]:
    cleaned = [value.strip() for value in values]
    if any(not value for value in cleaned):
        raise ValueError(f"{what} must not contain empty entries")
    return cleaned


class DrillItem(BaseModel):
    """One client statement to respond to, with what a good response does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ITEM_ID_PATTERN, description="unique id, e.g. reflection-b-01")
    skill: str = Field(default="", description="filled from the file's skill")
    level: Level
    context: str = Field(min_length=1, description="the client's context in a line")
    client_statement: str = Field(min_length=1)
    criteria: list[str] = Field(min_length=1, description="what a good response does")
    target_tags: list[str] = Field(default_factory=list, description="tags a good response carries")
    avoid_tags: list[str] = Field(default_factory=list, description="tags that mark a pitfall")
    model_responses: list[str] = Field(min_length=1, description="good responses, shown after")
    pitfalls: list[str] = Field(default_factory=list, description="common mistakes")

    @field_validator("context", "client_statement")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("criteria", "model_responses", "pitfalls")
    @classmethod
    def _entries(cls, values: list[str], info) -> list[str]:
        return _clean_strings(values, info.field_name)

    @field_validator("target_tags", "avoid_tags")
    @classmethod
    def _known_tags(cls, values: list[str], info) -> list[str]:
        unknown = [tag for tag in values if tag not in THERAPIST_TAGS]
        if unknown:
            raise ValueError(
                f"unknown tag(s) {', '.join(map(repr, unknown))} in {info.field_name}; "
                f"choose from {', '.join(THERAPIST_TAGS)}"
            )
        if len(set(values)) != len(values):
            raise ValueError(f"{info.field_name} lists a tag twice")
        return values

    @model_validator(mode="after")
    def _targets_are_not_pitfalls(self) -> DrillItem:
        both = sorted(set(self.target_tags) & set(self.avoid_tags))
        if both:
            raise ValueError(f"tag(s) {', '.join(both)} are both target and avoid tags")
        return self


class DrillFile(BaseModel):
    """One YAML file: a skill, its title and description, and its items."""

    model_config = ConfigDict(extra="forbid")

    skill: str = Field(pattern=SKILL_ID_PATTERN, description="skill id, e.g. reflection")
    title: str = Field(min_length=1)
    description: str = ""
    items: list[DrillItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _items_belong_to_the_skill(self) -> DrillFile:
        for number, item in enumerate(self.items):
            if item.skill and item.skill != self.skill:
                raise ValueError(
                    f"items[{number}] ({item.id}) says skill {item.skill!r} in a "
                    f"{self.skill!r} file; drop the item's skill or move it"
                )
        return self


@dataclass
class DrillSkill:
    id: str
    title: str
    description: str
    items: list[DrillItem] = field(default_factory=list)


@dataclass
class DrillLibrary:
    """Every loaded skill and item; ``sources`` maps an item id to its file."""

    skills: dict[str, DrillSkill] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(skill.items) for skill in self.skills.values())

    def skill(self, skill_id: str) -> DrillSkill:
        if skill_id not in self.skills:
            raise ValidationError(
                f"unknown drill skill {skill_id!r}; choose one of: {', '.join(self.skills)}"
            )
        return self.skills[skill_id]

    def item(self, item_id: str) -> DrillItem:
        for skill in self.skills.values():
            for item in skill.items:
                if item.id == item_id:
                    return item
        raise NotFoundError(f"no drill item {item_id!r}")

    def items(self, skill_id: str, level: str | None = None) -> list[DrillItem]:
        items = self.skill(skill_id).items
        if level is None:
            return list(items)
        check_level(level)
        return [item for item in items if item.level == level]


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise ValidationError(f"unknown level {level!r}; choose one of: {', '.join(LEVELS)}")
    return level


# --------------------------------------------------------------------- errors with lines
def _node_line(root: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """1-based line of what ``loc`` (a pydantic error path) points at in the YAML.

    A mapping key counts as the line of the key (where a typo or a bad value starts),
    a list index as the line of that entry; the walk stops where the file ends.
    """
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == key:
                    line, child = key_node.start_mark.line + 1, value_node
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(key, int)
            and 0 <= key < len(node.value)
        ):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _item_label(raw: Any, loc: Sequence[Any]) -> str:
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        item_id = None
        if isinstance(raw, dict) and isinstance(raw.get("items"), list):
            items = raw["items"]
            if loc[1] < len(items) and isinstance(items[loc[1]], dict):
                item_id = items[loc[1]].get("id")
        name = f"item {item_id!r}" if item_id else "item"
        return f"{name} (items[{loc[1]}])"
    return ""


def _describe(error: dict[str, Any]) -> str:
    loc = list(error["loc"])
    # Inside an item the label already says which one; name only the field.
    inner = loc[2:] if len(loc) >= 2 and loc[0] == "items" else loc
    field_path = ".".join(str(part) for part in inner)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown field {str(loc[-1])!r}"
    if kind == "missing":
        return f"missing field {str(loc[-1])!r}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{field_path}: {message}" if field_path else message


def _validation_error(
    error: PydanticValidationError, raw: Any, root: yaml.Node | None, path: Path
) -> ValidationError:
    # An unknown key is usually a typo that also explains a 'missing' error: show it first.
    problems = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = problems[0]
    parts = []
    for problem in problems[:MAX_ERRORS_SHOWN]:
        label = _item_label(raw, problem["loc"])
        parts.append(f"{label}: {_describe(problem)}" if label else _describe(problem))
    if len(problems) > MAX_ERRORS_SHOWN:
        parts.append(f"and {len(problems) - MAX_ERRORS_SHOWN} more")
    return ValidationError(
        "invalid drill file: " + "; ".join(parts),
        path=path,
        line=_node_line(root, first["loc"]),
    )


# --------------------------------------------------------------------- loading
def parse_drill_file(text: str, path: str | Path = "<drills>") -> DrillFile:
    """Validate one drill file's text; errors name the file, the line and the item."""
    path = Path(path)
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise ValidationError(
            f"not valid YAML: {problem}",
            path=path,
            line=mark.line + 1 if mark is not None else None,
        ) from error
    if not isinstance(raw, dict):
        raise ValidationError(
            "a drill file is a mapping with skill, title, description and items", path=path
        )
    try:
        parsed = DrillFile.model_validate(raw)
    except PydanticValidationError as error:
        raise _validation_error(error, raw, root, path) from error
    items = [item.model_copy(update={"skill": parsed.skill}) for item in parsed.items]
    return parsed.model_copy(update={"items": items})


def drill_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named by ``paths`` (files, or folders read in name order)."""
    found: list[Path] = []
    for entry in paths:
        entry = Path(entry)
        if entry.is_dir():
            found += sorted(p for p in entry.iterdir() if p.suffix in {".yaml", ".yml"})
        elif entry.is_file():
            found.append(entry)
        else:
            raise ValidationError(
                "drill folder or file not found; check ALLIANCE_DRILLS_DIRS", path=entry
            )
    return found


def default_paths(settings: Settings | None = None) -> list[Path]:
    """Our drills folder plus the trainers' folders named in the settings."""
    extra = list(settings.drills_dirs) if settings is not None else []
    return [DRILLS_DIR, *extra]


def load_library(
    paths: Sequence[str | Path] | None = None, settings: Settings | None = None
) -> DrillLibrary:
    """Read drill files into one library.

    ``paths`` (files or folders) replaces the defaults: ``prompts/drills`` plus the
    folders in ``settings.drills_dirs`` (``ALLIANCE_DRILLS_DIRS``).
    """
    if paths is None:
        if settings is None:
            from assistant.settings import get_settings

            settings = get_settings()
        paths = default_paths(settings)
    library = DrillLibrary()
    for path in drill_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ValidationError(f"cannot read the drill file: {error}", path=path) from error
        parsed = parse_drill_file(text, path)
        skill = library.skills.get(parsed.skill)
        if skill is None:
            skill = library.skills[parsed.skill] = DrillSkill(
                parsed.skill, parsed.title, parsed.description
            )
        elif not skill.description and parsed.description:
            skill.description = parsed.description
        for number, item in enumerate(parsed.items):
            if item.id in library.sources:
                raise ValidationError(
                    f"item {item.id!r} (items[{number}]) repeats an id already used in "
                    f"{library.sources[item.id]}; item ids must be unique",
                    path=path,
                    line=_node_line(yaml.compose(text), ["items", number, "id"]),
                )
            library.sources[item.id] = path
            skill.items.append(item)
    logger.info("drill library: %d items in %d skills", len(library), len(library.skills))
    return library


@lru_cache(maxsize=8)
def _cached(paths: tuple[str, ...]) -> DrillLibrary:
    return load_library(list(paths))


def library_for(settings: Settings) -> DrillLibrary:
    """The library for these settings, read once per process (restart to pick up edits)."""
    return _cached(tuple(str(p) for p in default_paths(settings)))
