"""Load and validate the codebook (``prompts/codebook.yaml``).

The codebook is the human-readable definition of every tag: definition, include and
exclude rules, attribute rules, cue phrases and spaCy token patterns, positive and
near-miss examples, and the literature. The tagger uses the cues (as features and as
evidence) and the positive examples (as "nearest codebook example" evidence).

Every problem is reported as a ``ValidationError`` naming the file and the entry, so
the codebook author can fix it without reading this code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ValidationError
from assistant.settings import PROJECT_ROOT

DEFAULT_CODEBOOK = PROJECT_ROOT / "prompts" / "codebook.yaml"
# libyaml's loader is ~20x faster than the pure-Python one (model load time).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ROLES = ("therapist", "client")
# Keys spaCy's Matcher accepts in a token pattern dict (spaCy 3.x).
_TOKEN_KEYS = {
    "ORTH",
    "TEXT",
    "LOWER",
    "NORM",
    "LENGTH",
    "IS_ALPHA",
    "IS_ASCII",
    "IS_DIGIT",
    "IS_LOWER",
    "IS_UPPER",
    "IS_TITLE",
    "IS_PUNCT",
    "IS_SPACE",
    "IS_STOP",
    "IS_SENT_START",
    "LIKE_NUM",
    "LIKE_URL",
    "LIKE_EMAIL",
    "SPACY",
    "POS",
    "TAG",
    "MORPH",
    "DEP",
    "LEMMA",
    "SHAPE",
    "ENT_TYPE",
    "ENT_IOB",
    "ENT_ID",
    "ENT_KB_ID",
    "SENT_START",
    "OP",
    "_",
}
# Attributes a blank("en") pipeline (no tagger or parser) can actually match on.
_BLANK_UNSUPPORTED = {"POS", "TAG", "MORPH", "DEP", "LEMMA", "ENT_TYPE", "ENT_IOB", "ENT_ID"}


@dataclass(frozen=True)
class Example:
    text: str
    context: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    why: str = ""


@dataclass(frozen=True)
class TagEntry:
    id: str
    applies_to: str
    label: str
    definition: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    phrases: tuple[str, ...] = ()
    patterns: tuple[tuple[dict[str, Any], ...], ...] = ()
    positives: tuple[Example, ...] = ()
    near_misses: tuple[Example, ...] = ()
    literature: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    version: str
    tags: tuple[TagEntry, ...]
    path: str = ""
    sha256: str = ""

    def entry(self, tag: str) -> TagEntry:
        for item in self.tags:
            if item.id == tag:
                return item
        raise KeyError(tag)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.tags)

    def __contains__(self, tag: object) -> bool:
        return any(item.id == tag for item in self.tags)


def _fail(message: str, path: str, entry: str | None = None) -> ValidationError:
    where = f"codebook entry {entry!r}: " if entry else "codebook: "
    return ValidationError(where + message, path=path)


def _strings(value: Any, what: str, path: str, entry: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(f"'{what}' must be a list of strings", path, entry)
    return tuple(v.strip() for v in value if v.strip())


def _examples(value: Any, what: str, path: str, entry: str) -> tuple[Example, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(f"'examples.{what}' must be a list", path, entry)
    out: list[Example] = []
    for number, item in enumerate(value, start=1):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise _fail(f"'examples.{what}' item {number} needs a 'text' string", path, entry)
        attributes = item.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise _fail(
                f"'examples.{what}' item {number}: 'attributes' must be a mapping", path, entry
            )
        out.append(
            Example(
                text=item["text"].strip(),
                context=str(item.get("context") or "").strip(),
                attributes={str(k): str(v) for k, v in attributes.items()},
                why=str(item.get("why") or "").strip(),
            )
        )
    return tuple(out)


def _patterns(value: Any, path: str, entry: str) -> tuple[tuple[dict[str, Any], ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail("'cues.patterns' must be a list of token patterns", path, entry)
    out: list[tuple[dict[str, Any], ...]] = []
    for number, pattern in enumerate(value, start=1):
        if not isinstance(pattern, list) or not pattern:
            raise _fail(
                f"cue pattern {number} must be a non-empty list of token dicts", path, entry
            )
        for token in pattern:
            if not isinstance(token, dict):
                raise _fail(f"cue pattern {number}: each token must be a mapping", path, entry)
            unknown = {str(k).upper() for k in token} - _TOKEN_KEYS
            if unknown:
                raise _fail(
                    f"cue pattern {number}: unknown token key(s) {sorted(unknown)}", path, entry
                )
            unsupported = {str(k).upper() for k in token} & _BLANK_UNSUPPORTED
            if unsupported:
                raise _fail(
                    f"cue pattern {number}: {sorted(unsupported)} need a trained pipeline; "
                    "use LOWER, ORTH, IS_* or LIKE_* keys",
                    path,
                    entry,
                )
        out.append(tuple({str(k).upper(): v for k, v in t.items()} for t in pattern))
    return tuple(out)


def _entry(raw: Any, number: int, path: str) -> TagEntry:
    if not isinstance(raw, dict):
        raise _fail(f"tag entry {number} must be a mapping", path)
    tag = raw.get("id")
    if not isinstance(tag, str) or not tag.strip():
        raise _fail(f"tag entry {number} has no 'id'", path)
    tag = tag.strip()
    applies_to = raw.get("applies_to")
    if applies_to not in ROLES:
        raise _fail(f"'applies_to' must be one of {list(ROLES)}, got {applies_to!r}", path, tag)
    for key in ("label", "definition"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(f"'{key}' must be a non-empty string", path, tag)
    attributes = raw.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise _fail("'attributes' must map a name to {values: [...], rule: ...}", path, tag)
    for name, spec in attributes.items():
        values = spec.get("values") if isinstance(spec, dict) else None
        if not isinstance(values, list) or not values:
            raise _fail(f"attribute {name!r} needs a non-empty 'values' list", path, tag)
    cues = raw.get("cues") or {}
    if not isinstance(cues, dict):
        raise _fail("'cues' must be a mapping with 'phrases' and/or 'patterns'", path, tag)
    examples = raw.get("examples") or {}
    if not isinstance(examples, dict):
        raise _fail("'examples' must be a mapping with 'positive' and/or 'near_miss'", path, tag)
    phrases = _strings(cues.get("phrases"), "cues.phrases", path, tag)
    return TagEntry(
        id=tag,
        applies_to=applies_to,
        label=raw["label"].strip(),
        definition=raw["definition"].strip(),
        include=_strings(raw.get("include"), "include", path, tag),
        exclude=_strings(raw.get("exclude"), "exclude", path, tag),
        attributes=dict(attributes),
        phrases=tuple(p.lower() for p in phrases),
        patterns=_patterns(cues.get("patterns"), path, tag),
        positives=_examples(examples.get("positive"), "positive", path, tag),
        near_misses=_examples(examples.get("near_miss"), "near_miss", path, tag),
        literature=_strings(raw.get("literature"), "literature", path, tag),
    )


def parse_codebook(text: str, path: str = "<codebook>") -> Codebook:
    """Validate codebook YAML text; raise ``ValidationError`` naming the bad entry."""
    try:
        raw = yaml.load(text, Loader=_SafeLoader)  # a safe loader (C or Python)
    except yaml.YAMLError as error:
        line = None
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            line = mark.line + 1
        raise ValidationError(
            f"codebook is not valid YAML: {error}", path=path, line=line
        ) from error
    if not isinstance(raw, dict) or not isinstance(raw.get("tags"), list):
        raise _fail("expected a mapping with a 'tags:' list", path)
    tags = tuple(_entry(item, number, path) for number, item in enumerate(raw["tags"], start=1))
    seen: set[str] = set()
    for item in tags:
        if item.id in seen:
            raise _fail("tag id used twice", path, item.id)
        seen.add(item.id)
    return Codebook(
        version=str(raw.get("version", "")),
        tags=tags,
        path=path,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read the codebook file (default ``prompts/codebook.yaml``)."""
    path = Path(path) if path is not None else DEFAULT_CODEBOOK
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValidationError(f"cannot read the codebook: {error.strerror}", path=path) from error
    return parse_codebook(text, str(path))


EMPTY_CODEBOOK = Codebook(version="empty", tags=())
