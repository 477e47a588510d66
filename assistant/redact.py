"""Optional redaction of identifying details in uploaded transcripts.

Regular expressions and a few heuristics replace emails, phone numbers, street
addresses, dates and personal names with ``[EMAIL]``, ``[PHONE]``, ``[ADDRESS]``,
``[DATE]`` and ``[NAME]``. Names are found four ways: after a relation word ("my wife
Sarah", "my boss, Tom"), after "named"/"called"/"my name is", after a title ("Dr.
Kim"), and from a list of common first names (``prompts/names.txt``); speaker labels
that are names are replaced by their role and also redacted wherever the text
mentions them. It is a safety net, not a guarantee: unusual names and places can
slip through, so clinicians should still de-identify before uploading where policy
requires it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

from assistant.model import Role, Transcript
from assistant.settings import PROJECT_ROOT

NAMES_FILE = PROJECT_ROOT / "prompts" / "names.txt"
PLACEHOLDERS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "address": "[ADDRESS]",
    "date": "[DATE]",
    "name": "[NAME]",
}
ROLE_LABELS = {Role.THERAPIST: "Therapist", Role.CLIENT: "Client", Role.OTHER: "Speaker"}

# Capitalised words that follow a relation word or a name without being a name.
_NOT_NAMES = frozenset(
    """I I'm I've I'd I'll A An And But Or So The Then This That There They He She We You
    It Its Is Was Were Are Yes No Okay OK Well Oh Um Uh Just Because If When What Why How
    Who Where Which Mum Mom Dad Mommy Daddy Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday Christmas Easter God""".split()
)
_CAP = r"[A-Z][a-z]+(?:['’-][A-Za-z]+)?"
_RELATIONS = (
    "wife|husband|partner|spouse|son|daughter|child|kid|friend|best friend|boyfriend|"
    "girlfriend|fiancé|fiance|fiancée|fiancee|ex|ex-wife|ex-husband|boss|manager|"
    "supervisor|colleague|coworker|co-worker|mother|mum|mom|father|dad|brother|sister|"
    "stepson|stepdaughter|stepmother|stepfather|cousin|aunt|uncle|niece|nephew|"
    "grandmother|grandma|grandfather|grandpa|grandson|granddaughter|neighbour|neighbor|"
    "roommate|flatmate|teacher|doctor|sponsor|baby"
)
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|"
    "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_STREET_SUFFIX = (
    "Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Place|Pl|"
    "Way|Terrace|Close|Crescent|Parkway|Pkwy|Highway|Hwy|Square|Sq|Circle|Row|Gardens"
)
_STREET_SUFFIX_LONG = (
    "Street|Avenue|Road|Lane|Drive|Boulevard|Court|Terrace|Crescent|Parkway|Highway"
)

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?\s+(?:{_CAP}\s+){{1,3}}(?:{_STREET_SUFFIX})\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Unit|Suite|Flat)\.?\s*#?\w+)?"
    rf"|\b(?:{_CAP}\s+){{1,2}}(?:{_STREET_SUFFIX_LONG})\b"
    r"|\b(?:Apt|Apartment|Suite|Flat)\.?\s*#?\d+[A-Za-z]?\b"
    r"|\bP\.?\s?O\.?\s+Box\s+\d+\b"
    # UK postcodes (SW1A 1AA) and US state + ZIP (NY 10001).
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"
    r"|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"
)
DATE = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}\b"
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b"
    rf"|\b(?:{_MONTHS})\.?\s+{_DAY}(?:,?\s+\d{{4}})?\b"
    rf"|\b{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\b(?:,?\s+\d{{4}})?"
    rf"|\b(?:{_MONTHS})\s+\d{{4}}\b"
)
# Seven to fifteen digits in groups, optionally with a country code or area code.
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?)?\d[\d\s.-]{5,18}\d(?!\w)"
)
TITLE_NAME = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+{_CAP}(?:\s+{_CAP})?")
RELATION_NAME = re.compile(
    rf"\b(?:my|his|her|our|their|your)\s+(?:{_RELATIONS})(?:'s)?,?\s+(?P<name>{_CAP}(?:\s+{_CAP})?)"
)
CALLED_NAME = re.compile(
    rf"\b(?:named|called|name is|name's|names are)\s+(?P<name>{_CAP}(?:\s+{_CAP})?)"
)


@lru_cache(maxsize=1)
def common_names() -> frozenset[str]:
    """The shipped list of common first names (comments and blanks skipped)."""
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
    )


def _phone(match: re.Match[str]) -> str | None:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[PHONE]" if 7 <= digits <= 15 else None


def _named(group: str) -> Callable[[re.Match[str]], str | None]:
    """Replace only the name part of a match, and only if it is not a common word."""

    def replace(match: re.Match[str]) -> str | None:
        words = match.group(group).split()
        if words[0] in _NOT_NAMES:
            return None
        keep = 1 if len(words) > 1 and words[1] in _NOT_NAMES else len(words)
        start, _ = match.span(group)
        name_end = start + len(" ".join(words[:keep]))
        whole_start, whole_end = match.span()
        text = match.string
        return text[whole_start:start] + "[NAME]" + text[name_end:whole_end]

    return replace


def _listed_names(names: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = sorted({n for n in names if n}, key=len, reverse=True)
    if not alternatives:
        return None
    joined = "|".join(re.escape(n) for n in alternatives)
    return re.compile(rf"\b(?P<name>(?:{joined})(?:\s+{_CAP})?)\b(?!['’]?\w)")


def _substitute(
    pattern: re.Pattern[str],
    text: str,
    kind: str,
    counts: Counter[str],
    replace: Callable[[re.Match[str]], str | None] | None = None,
) -> str:
    def one(match: re.Match[str]) -> str:
        new = PLACEHOLDERS[kind] if replace is None else replace(match)
        if new is None:
            return match.group(0)
        counts[kind] += 1
        return new

    return pattern.sub(one, text)


def redact_text(text: str, names: Iterable[str] = (), counts: Counter[str] | None = None) -> str:
    """``text`` with identifying details replaced; ``names`` are extra names to remove
    (e.g. speaker labels). Counts per kind are added to ``counts`` when given."""
    counts = counts if counts is not None else Counter()
    text = _substitute(EMAIL, text, "email", counts)
    text = _substitute(ADDRESS, text, "address", counts)
    text = _substitute(DATE, text, "date", counts)
    text = _substitute(PHONE, text, "phone", counts, _phone)
    text = _substitute(TITLE_NAME, text, "name", counts)
    text = _substitute(RELATION_NAME, text, "name", counts, _named("name"))
    text = _substitute(CALLED_NAME, text, "name", counts, _named("name"))
    listed = _listed_names([*common_names(), *names])
    if listed is not None:
        text = _substitute(listed, text, "name", counts, _named("name"))
    return text


def _label_names(label: str) -> list[str]:
    """The name words in a speaker label ('Dr. Kim' -> ['Kim']; 'Client 2' -> [])."""
    from assistant.io.roles import CLIENT_WORDS, THERAPIST_WORDS

    role_words = THERAPIST_WORDS | CLIENT_WORDS | {"speaker", "co", "mr", "mrs", "ms", "miss"}
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", label)
    return [w for w in words if w.casefold().rstrip(".") not in role_words and len(w) > 1]


def redact_transcript(transcript: Transcript) -> tuple[Transcript, dict[str, int]]:
    """A copy of ``transcript`` with every turn redacted, name speaker labels replaced
    by their role ("Therapist", "Client", "Speaker 3"), and counts per kind."""
    counts: Counter[str] = Counter()
    label_names = {label: _label_names(label) for label in {t.speaker for t in transcript.turns}}
    extra = {form for names in label_names.values() for n in names for form in (n, n.title())}
    renamed: dict[str, str] = {}
    # Labels that stay as they are must not collide with the role labels given to names.
    taken = {label for label, names in label_names.items() if not names}
    used: Counter[str] = Counter()
    for turn in transcript.turns:
        if turn.speaker in renamed:
            continue
        if not label_names[turn.speaker]:
            renamed[turn.speaker] = turn.speaker
            continue
        base = ROLE_LABELS[turn.role]
        new = base
        while new in taken:
            used[base] += 1
            new = f"{base} {used[base] + 1}"
        taken.add(new)
        renamed[turn.speaker] = new
        counts["name"] += 1
    turns = [
        turn.model_copy(
            update={
                "speaker": renamed[turn.speaker],
                "text": redact_text(turn.text, extra, counts),
            }
        )
        for turn in transcript.turns
    ]
    roles = {renamed.get(label, label): role for label, role in transcript.roles.items()}
    methods = {renamed.get(label, label): how for label, how in transcript.role_method.items()}
    # Keep only format hints: file names and free metadata can carry names too.
    source = {k: v for k, v in transcript.source.items() if k in ("format",)}
    source["redacted"] = True
    # The id usually comes from the file name, which can name the client too.
    redacted = transcript.model_copy(
        update={
            "id": "redacted",
            "turns": turns,
            "roles": roles,
            "role_method": methods,
            "source": source,
        }
    )
    return redacted, dict(counts)
