"""Reader for our authored corpus: the plain-text "scene" format (``data/FORMAT.md``).

A scene is a short excerpt of an imagined session with gold tags written inline::

    === scene: mi-alc-007 | modality: MI | start: 14
    C: the weekend was kind of a mess
    T [reflection:simple]: a messy weekend

Each scene becomes one ``Transcript`` whose turn indices start at ``start`` so the
tagger sees the turn's position in the session. ``python -m assistant.corpus --check
FILES`` validates files and prints per-tag counts (used by the corpus writers).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.errors import TranscriptError
from assistant.model import CLIENT_TAGS, TAG_ATTRIBUTES, THERAPIST_TAGS, Role, Transcript, Turn

MODALITIES = {
    "MI",
    "CBT",
    "person-centred",
    "psychodynamic",
    "couples",
    "adolescent",
    "substance-use",
    "DBT",
    "ACT",
    "family",
    "grief",
    "trauma-informed",
    "other",
}
SPEAKER_ROLES = {"T": Role.THERAPIST, "C": Role.CLIENT, "C2": Role.CLIENT}
_HEADER = re.compile(r"^===\s*(?P<body>.*)$")
_TURN = re.compile(r"^(?P<speaker>T|C2|C)\s*(?:\[(?P<tags>[^\]]*)\])?\s*:\s?(?P<text>.*)$")
_SCENE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Attribute values written after "tag:" -> (attribute name) for tags that carry one.
_ATTRIBUTE_NAME = {tag: next(iter(attrs)) for tag, attrs in TAG_ATTRIBUTES.items()}


def _parse_header(body: str, path: str, line: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in body.split("|"):
        if not part.strip():
            continue
        key, sep, value = part.partition(":")
        if not sep:
            raise TranscriptError(f"header field {part.strip()!r} has no ':'", path=path, line=line)
        fields[key.strip().lower()] = value.strip()
    for required in ("scene", "modality", "start"):
        if required not in fields:
            raise TranscriptError(f"scene header is missing '{required}:'", path=path, line=line)
    if not _SCENE_ID.match(fields["scene"]):
        raise TranscriptError(
            f"scene id {fields['scene']!r} must be lowercase letters, digits and dashes",
            path=path,
            line=line,
        )
    if fields["modality"] not in MODALITIES:
        raise TranscriptError(
            f"unknown modality {fields['modality']!r}; expected one of {sorted(MODALITIES)}",
            path=path,
            line=line,
        )
    if not fields["start"].isdigit():
        raise TranscriptError("'start:' must be a whole number >= 0", path=path, line=line)
    return fields


def _parse_tags(
    raw: str | None, role: Role, path: str, line: int
) -> tuple[list[str], dict[str, dict[str, str]]]:
    tags: list[str] = []
    attributes: dict[str, dict[str, str]] = {}
    if not raw or not raw.strip():
        return tags, attributes
    allowed = THERAPIST_TAGS if role is Role.THERAPIST else CLIENT_TAGS
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        tag, _, value = item.partition(":")
        tag, value = tag.strip(), value.strip()
        if tag == "poorly_timed_self_disclosure":
            raise TranscriptError(
                "write 'self_disclosure:poorly_timed'; the poorly_timed tag is added for you",
                path=path,
                line=line,
            )
        if tag not in allowed:
            raise TranscriptError(
                f"tag {tag!r} is not a {role.value} tag; expected one of {list(allowed)}",
                path=path,
                line=line,
            )
        if tag in _ATTRIBUTE_NAME:
            name = _ATTRIBUTE_NAME[tag]
            choices = TAG_ATTRIBUTES[tag][name]
            if value not in choices:
                raise TranscriptError(
                    f"tag {tag!r} needs an attribute, one of {list(choices)} (e.g. '{tag}:{choices[0]}')",
                    path=path,
                    line=line,
                )
            attributes[tag] = {name: value}
        elif value:
            raise TranscriptError(f"tag {tag!r} takes no attribute", path=path, line=line)
        if tag in tags:
            raise TranscriptError(f"tag {tag!r} given twice", path=path, line=line)
        tags.append(tag)
        if tag == "self_disclosure" and value == "poorly_timed":
            tags.append("poorly_timed_self_disclosure")
    return tags, attributes


def iter_scenes(text: str, path: str = "<text>") -> Iterator[Transcript | TranscriptError]:
    """Yield each scene as a ``Transcript``, or the error that stopped it (then go on)."""
    header: dict[str, str] | None = None
    header_line = 0
    turns: list[Turn] = []
    failed = False

    def finish() -> Transcript | TranscriptError | None:
        if header is None or failed:
            return None
        if len(turns) < 2:
            return TranscriptError("a scene needs at least two turns", path=path, line=header_line)
        start = int(header["start"])
        meta = {k: v for k, v in header.items() if k not in ("scene", "start")}
        meta.update(path=path, line=header_line, format="scenes", start=start)
        return Transcript(
            id=header["scene"],
            turns=turns,
            source=meta,
            roles={t.speaker: t.role.value for t in turns},
            role_method={t.speaker: "label" for t in turns},
        )

    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        match = _HEADER.match(line)
        if match:
            done = finish()
            if done is not None:
                yield done
            turns, failed, header_line = [], False, number
            try:
                header = _parse_header(match.group("body"), path, number)
            except TranscriptError as error:
                header, failed = None, True
                yield error
            continue
        if failed:
            continue
        if header is None:
            yield TranscriptError(
                "text before the first '=== scene:' header", path=path, line=number
            )
            failed = True
            continue
        match = _TURN.match(line)
        if not match:
            yield TranscriptError(
                "expected 'T: text', 'C: text', 'C2: text' or 'T [tags]: text'",
                path=path,
                line=number,
            )
            failed = True
            continue
        role = SPEAKER_ROLES[match.group("speaker")]
        utterance = match.group("text").strip()
        if not utterance:
            yield TranscriptError("turn has no text", path=path, line=number)
            failed = True
            continue
        try:
            tags, attributes = _parse_tags(match.group("tags"), role, path, number)
        except TranscriptError as error:
            yield error
            failed = True
            continue
        turns.append(
            Turn(
                index=int(header["start"]) + len(turns),
                speaker=match.group("speaker"),
                role=role,
                text=utterance,
                tags=tags,
                attributes=attributes,
                meta={"line": number},
            )
        )
    done = finish()
    if done is not None:
        yield done


def read_scenes(path: str | Path) -> list[Transcript]:
    """Read one scene file; raise the first error (file and line) and return nothing then."""
    path = Path(path)
    scenes: list[Transcript] = []
    for item in iter_scenes(path.read_text(encoding="utf-8"), str(path)):
        if isinstance(item, TranscriptError):
            raise item
        scenes.append(item)
    if not scenes:
        raise TranscriptError("no '=== scene:' header found", path=path)
    return scenes


def scene_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into their ``*.txt`` scene files, sorted for reproducibility."""
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.txt")) if p.is_dir() else [p])
    return files


def load_corpus(paths: Iterable[str | Path]) -> list[Transcript]:
    """All scenes from files or folders; scene ids must be unique across them."""
    scenes: list[Transcript] = []
    seen: dict[str, str] = {}
    for file in scene_files(paths):
        for scene in read_scenes(file):
            if scene.id in seen:
                raise TranscriptError(
                    f"scene id {scene.id!r} already used in {seen[scene.id]}",
                    path=file,
                    line=scene.source.get("line"),
                )
            seen[scene.id] = str(file)
            scenes.append(scene)
    return scenes


def _check(paths: list[str]) -> int:
    """Validate scene files and print errors and per-tag counts; exit code 1 on errors."""
    out = sys.stdout
    errors = 0
    tag_counts: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    untagged = scenes = 0
    seen: dict[str, str] = {}
    for file in scene_files(paths):
        for item in iter_scenes(file.read_text(encoding="utf-8"), str(file)):
            if isinstance(item, TranscriptError):
                errors += 1
                out.write(f"ERROR {item}\n")
                continue
            if item.id in seen:
                errors += 1
                out.write(f"ERROR {file}: scene id {item.id!r} already used in {seen[item.id]}\n")
            seen[item.id] = str(file)
            scenes += 1
            for turn in item.turns:
                roles[turn.role.value] += 1
                tag_counts.update(turn.tags)
                if turn.is_therapist and not turn.tags:
                    untagged += 1
    out.write(
        f"scenes: {scenes}  therapist lines: {roles['therapist']}  client lines: {roles['client']}\n"
    )
    if roles["therapist"]:
        out.write(f"untagged therapist lines: {untagged} ({untagged / roles['therapist']:.0%})\n")
    for tag in THERAPIST_TAGS + CLIENT_TAGS:
        out.write(f"  {tag:30s} {tag_counts[tag]}\n")
    out.write(f"errors: {errors}\n")
    return 1 if errors else 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--check"]
    sys.exit(_check(args or ["data/corpus"]))
