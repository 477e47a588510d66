"""Speaker label -> role: known words first, then behaviour, and a user override.

Known words ("Therapist", "T", "Client", "Patient", "Dr. Kim" ...) map directly
(method ``label``). For names or "Speaker 1/2" the role is inferred from behaviour
(method ``inferred``): the therapist usually asks most of the questions, opens with
"you ..." reflections and speaks first. ``--therapist NAME`` overrides it all
(method ``override``). Every inference is logged and kept so that callers can
report it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.errors import E_NO_SPEAKERS, E_ONE_SPEAKER, TranscriptError
from assistant.model import Role, Transcript

logger = logging.getLogger(__name__)

THERAPIST_WORDS = frozenset(
    {
        "therapist",
        "counselor",
        "counsellor",
        "clinician",
        "psychologist",
        "psychotherapist",
        "psychiatrist",
        "doctor",
        "dr",
        "interviewer",
        "provider",
        "practitioner",
        "coach",
        "nurse",
        "facilitator",
        "social worker",
        "helper",
        "t",
        "th",
    }
)
CLIENT_WORDS = frozenset(
    {
        "client",
        "patient",
        "c",
        "cl",
        "participant",
        "p",
        "pt",
        "interviewee",
        "service user",
        "caller",
        "help seeker",
        "seeker",
    }
)
ROLE_VALUES = {role.value: role for role in Role}
_QUESTION_WORDS = frozenset(
    "what how why when where who which whom whose do does did is are was were "
    "can could would will should have has tell".split()
)
_REFLECTION_OPENINGS = ("you ", "you're ", "youre ", "your ", "it sounds", "sounds like", "so you")
# The first speaker gets a small bonus: sessions usually open with the therapist.
_FIRST_SPEAKER_BONUS = 0.15
_REFLECTION_WEIGHT = 0.5


def label_key(label: str) -> str:
    """How labels are compared: case-insensitive, spacing collapsed."""
    return " ".join(label.split()).casefold()


def known_role(label: str) -> Role | None:
    """The role a label names by itself ('Therapist', 'C', 'Client 2', 'Dr. Kim'), else None."""
    key = label_key(label).replace(".", " ").replace("_", " ").replace("-", " ")
    words = key.split()
    if not words:
        return None
    # "Client 2", "P1", "T2": a role word with a number names the same role.
    base = re.sub(r"\s*\d+$", "", " ".join(words)).strip()
    if base in THERAPIST_WORDS or words[0] in {"dr", "doctor"}:
        return Role.THERAPIST
    if base in CLIENT_WORDS:
        return Role.CLIENT
    if base in {"co therapist", "cotherapist"}:
        return Role.THERAPIST
    # "Health Coach", "MI practitioner", "Family therapist": a role word at the end
    # (whole words of three letters or more, so "Tom T" stays a name).
    last = base.split()[-1] if base else ""
    if len(last) > 2 and last in THERAPIST_WORDS:
        return Role.THERAPIST
    if len(last) > 2 and last in CLIENT_WORDS:
        return Role.CLIENT
    return None


def parse_role_value(value: str) -> Role | None:
    """An explicit role column value: 'therapist' / 'client' / 'other' or a known word."""
    key = label_key(value)
    if key in ROLE_VALUES:
        return ROLE_VALUES[key]
    return known_role(value)


@dataclass
class _Behaviour:
    turns: int = 0
    questions: int = 0
    reflections: int = 0

    def score(self, first: bool) -> float:
        if not self.turns:
            return 0.0
        return (
            self.questions / self.turns
            + _REFLECTION_WEIGHT * self.reflections / self.turns
            + (_FIRST_SPEAKER_BONUS if first else 0.0)
        )


def _is_question(text: str) -> bool:
    stripped = text.strip()
    if stripped.endswith("?"):
        return True
    first = re.split(r"[\s,]+", stripped.lower(), maxsplit=1)[0] if stripped else ""
    return first in _QUESTION_WORDS


def _behaviour(utterances: Sequence[tuple[str, str]]) -> dict[str, _Behaviour]:
    stats: dict[str, _Behaviour] = {}
    for speaker, text in utterances:
        b = stats.setdefault(speaker, _Behaviour())
        b.turns += 1
        b.questions += _is_question(text)
        b.reflections += text.strip().lower().startswith(_REFLECTION_OPENINGS)
    return stats


@dataclass
class RoleDecision:
    roles: dict[str, Role]
    method: dict[str, str]
    notes: dict[str, str]


def assign_roles(
    utterances: Sequence[tuple[str, str]],
    *,
    path: str,
    line: int | None = None,
    explicit: dict[str, Role] | None = None,
    therapist: str | None = None,
) -> RoleDecision:
    """Decide a role for every speaker of one conversation.

    ``utterances`` are (speaker, text) in order; ``explicit`` holds roles given by the
    input itself (a ``role`` column), which win over everything but ``therapist``.
    Raises ``TranscriptError`` when there are no speakers, only one, no therapist or
    no client can be found, or ``therapist`` names no speaker.
    """
    explicit = explicit or {}
    speakers = list(dict.fromkeys(s for s, _ in utterances))
    if not speakers:
        raise TranscriptError(E_NO_SPEAKERS, path=path, line=line)
    if len(speakers) == 1:
        raise TranscriptError(E_ONE_SPEAKER.format(speaker=speakers[0]), path=path, line=line)
    roles: dict[str, Role] = {}
    method: dict[str, str] = {}
    notes: dict[str, str] = {}

    if therapist is not None:
        wanted = label_key(therapist)
        matches = [s for s in speakers if label_key(s) == wanted]
        if not matches:
            # A first name is enough when it picks out one speaker ("jane" for "Jane Doe").
            matches = [s for s in speakers if label_key(s).startswith(wanted + " ")]
            matches = matches if len(matches) == 1 else []
        if not matches:
            raise TranscriptError(
                f"--therapist {therapist!r} is not a speaker here; the speakers are "
                f"{', '.join(repr(s) for s in speakers)}",
                path=path,
                line=line,
            )
        roles[matches[0]] = Role.THERAPIST
        method[matches[0]] = "override"
        notes[matches[0]] = "set by --therapist"
        if len(speakers) == 2:
            # With two voices the other one is the client, whatever its label says.
            other = speakers[1] if speakers[0] == matches[0] else speakers[0]
            roles[other] = Role.CLIENT
            method[other] = "override"
            notes[other] = "the other speaker when --therapist is given"

    for speaker in speakers:
        if speaker in roles:
            continue
        role = explicit.get(speaker) or known_role(speaker)
        if role is not None:
            if therapist is not None and role is Role.THERAPIST:
                # The user named someone else as the therapist: do not keep two.
                role = Role.OTHER
            roles[speaker] = role
            method[speaker] = "label"
            notes[speaker] = "role column" if speaker in explicit else "known role word"

    unknown = [s for s in speakers if s not in roles]
    if unknown:
        stats = _behaviour(utterances)
        has_therapist = Role.THERAPIST in roles.values()
        has_client = Role.CLIENT in roles.values()
        if not has_therapist:
            best = max(
                unknown, key=lambda s: (stats[s].score(s == speakers[0]), -speakers.index(s))
            )
            b = stats[best]
            roles[best] = Role.THERAPIST
            method[best] = "inferred"
            notes[best] = (
                f"asks questions in {b.questions}/{b.turns} turns, opens {b.reflections} "
                f"with 'you ...'{', speaks first' if best == speakers[0] else ''}"
            )
            unknown.remove(best)
        if unknown and not has_client:
            # Of the rest, the one who talks most is the client; a third voice is 'other'.
            client = max(unknown, key=lambda s: (stats[s].turns, -speakers.index(s)))
            roles[client] = Role.CLIENT
            method[client] = "inferred"
            notes[client] = "the other main speaker"
            unknown.remove(client)
        for speaker in unknown:
            roles[speaker] = Role.OTHER
            method[speaker] = "inferred"
            notes[speaker] = "a third speaker"

    values = set(roles.values())
    if Role.THERAPIST not in values or Role.CLIENT not in values:
        missing = "therapist" if Role.THERAPIST not in values else "client"
        raise TranscriptError(
            f"no {missing} among the speakers "
            f"{', '.join(f'{s!r} ({roles[s].value})' for s in speakers)}; "
            "name the therapist with --therapist NAME",
            path=path,
            line=line,
        )
    for position, speaker in enumerate(speakers, start=1):
        if method[speaker] != "label":
            # By position, not label: a speaker's label is often the client's name.
            logger.info(
                "%s: speaker %d of %d -> %s (%s: %s)",
                path,
                position,
                len(speakers),
                roles[speaker].value,
                method[speaker],
                notes[speaker],
            )
    return RoleDecision(roles=roles, method=method, notes=notes)


def role_summary(transcript: Transcript) -> str:
    """One line saying how each speaker's role was decided, for reports to the user.

    e.g. "s1: 'Jane' -> therapist (inferred: asks questions in 6/9 turns ...), 'Bob' -> client
    (inferred: the other main speaker)".
    """
    notes = transcript.source.get("role_notes", {})
    parts = []
    for speaker, role in transcript.roles.items():
        method = transcript.role_method.get(speaker, "label")
        note = notes.get(speaker)
        parts.append(f"{speaker!r} -> {role} ({method}{': ' + note if note else ''})")
    return f"{transcript.id}: " + ", ".join(parts)
