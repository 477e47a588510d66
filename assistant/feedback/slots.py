"""Slot values for alternative responses, taken from the client's own words.

``client_phrase`` is a short verbatim span of the client's turn: the clause with the
most feeling words in it, or else the last clause that says something; ``client_words``
is the same span with pronouns turned round for a reflection (I -> you, my -> your,
am -> are, you -> I); ``feeling`` is the feeling named by the lexicon in
``prompts/feedback.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Clause boundaries: sentence ends, semicolons, dashes (ASR false starts: "I just- I").
_CLAUSE_SPLIT = re.compile(r"([.!?;…]+|\s[-–—]+\s|(?<=\w)[-–—]+(?=\s)|[-–—]{2,})")
_WORD = re.compile(r"[A-Za-z']+")
_FILLERS = (
    "um",
    "uh",
    "erm",
    "like",
    "so",
    "and",
    "but",
    "well",
    "yeah",
    "i mean",
    "you know",
    "honestly",
    "just",
    "oh",
    "okay",
)
MAX_SPAN_WORDS = 12
MIN_CLAUSE_WORDS = 3

# First person -> second person, and back; keys are lowercase words.
_SWAP = {
    "i": "you",
    "i'm": "you're",
    "im": "you're",
    "i've": "you've",
    "ive": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "am": "are",
    "we": "you",
    "we're": "you're",
    "our": "your",
    "us": "you",
    "you": "I",
    "you're": "I'm",
    "youre": "I'm",
    "your": "my",
    "yours": "mine",
    "yourself": "myself",
    "you've": "I've",
    "you'd": "I'd",
    "you'll": "I'll",
}
# "you" after these is an object ("tell you" -> "tell me"); elsewhere it is a subject.
_OBJECT_AFTER = {
    "to",
    "for",
    "with",
    "at",
    "about",
    "of",
    "from",
    "by",
    "on",
    "than",
    "like",
    "tell",
    "tells",
    "told",
    "ask",
    "asks",
    "asked",
    "give",
    "gives",
    "gave",
    "love",
    "loves",
    "help",
    "helps",
    "need",
    "needs",
    "want",
    "wants",
    "trust",
    "see",
    "saw",
    "let",
    "make",
    "makes",
    "made",
    "pay",
    "paying",
    "hear",
    "call",
    "get",
    "got",
    "thank",
}
# After "you" (from "I"), the past of "be" is "were".
_AFTER_YOU = {"was": "were", "wasn't": "weren't"}
_SUBJECT_WORDS = {
    "i",
    "i'm",
    "im",
    "i've",
    "ive",
    "i'd",
    "i'll",
    "my",
    "it",
    "he",
    "she",
    "they",
    "we",
}


@dataclass(frozen=True)
class Slots:
    client_phrase: str | None
    client_words: str | None
    feeling: str | None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def _normalise_apostrophes(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def clauses(text: str) -> list[tuple[str, bool]]:
    """Verbatim clauses of a turn (stripped), in order, each with whether it asks a question."""
    pieces = _CLAUSE_SPLIT.split(text)
    out: list[tuple[str, bool]] = []
    for pos in range(0, len(pieces), 2):
        part = pieces[pos].strip()
        ender = pieces[pos + 1] if pos + 1 < len(pieces) else ""
        if part:
            out.append((part, "?" in ender))
    return out


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(_normalise_apostrophes(text))]


def feeling_in(text: str, lexicon: dict[str, str]) -> tuple[str | None, int]:
    """The first feeling named in ``text`` and how many feeling words it has."""
    found = [lexicon[w] for w in words(text) if w in lexicon]
    return (found[0] if found else None), len(found)


def _strip_fillers(span: str) -> str:
    changed = True
    while changed:
        changed = False
        lowered = span.lower()
        for filler in _FILLERS:
            if lowered.startswith(filler + " ") or lowered == filler:
                span = span[len(filler) :].lstrip(" ,")
                changed = True
                break
    return span.strip()


def _trim(span: str, keep_word: str | None) -> str:
    tokens = span.split()
    if len(tokens) <= MAX_SPAN_WORDS:
        return span
    # Keep the window of words that holds the feeling word, else the end of the clause.
    lowered = [t.lower().strip(".,!?") for t in tokens]
    end = len(tokens)
    if keep_word and keep_word in lowered:
        pos = lowered.index(keep_word)
        end = min(len(tokens), max(pos + 3, MAX_SPAN_WORDS))
    window = tokens[max(0, end - MAX_SPAN_WORDS) : end]
    # Start after a comma in the first half when a new clause begins there (", I help").
    for pos, token in enumerate(window[: len(window) // 2]):
        following = window[pos + 1].lower().strip(",")
        if token.endswith(",") and following in _SUBJECT_WORDS:
            window = window[pos + 1 :]
            break
    return " ".join(window)


def pick_span(text: str, lexicon: dict[str, str]) -> tuple[str, str | None]:
    """A short verbatim span of the client's turn, and the feeling it carries (if any)."""
    found = clauses(text) or [(text.strip(), False)]
    # Statements first: a client's question turned round rarely makes a reflection.
    parts = [part for part, asks in found if not asks] or [part for part, _ in found]
    scored = [(feeling_in(part, lexicon), i, part) for i, part in enumerate(parts)]
    with_feeling = [item for item in scored if item[0][1] > 0]
    if with_feeling:
        (feeling, _), _, part = max(with_feeling, key=lambda item: (item[0][1], item[1]))
        keep = next((w for w in words(part) if w in lexicon), None)
        return _trim(_strip_fillers(part), keep), feeling
    long_enough = [p for p in parts if len(p.split()) >= MIN_CLAUSE_WORDS]
    # Prefer the last clause with a subject the reflection can turn round.
    with_subject = [p for p in long_enough if set(words(p)) & _SUBJECT_WORDS]
    part = (with_subject or long_enough or parts)[-1]
    return _trim(_strip_fillers(part), None), None


def shift_pronouns(span: str) -> str:
    """Turn the client's first person into the therapist's second person, and back."""
    out: list[str] = []
    previous = ""
    for token in re.split(r"(\s+)", _normalise_apostrophes(span)):
        if not token or token.isspace():
            out.append(token)
            continue
        core = token.strip('.,!?;:"')
        lead = token[: token.find(core)] if core else ""
        tail = token[len(lead) + len(core) :]
        lower = core.lower()
        if lower in _SWAP:
            new = _SWAP[lower]
            # "you" as an object ("he tells you") becomes "me", not "I".
            if lower == "you" and previous in _OBJECT_AFTER:
                new = "me"
        elif lower in _AFTER_YOU and previous == "i":
            new = _AFTER_YOU[lower]
        else:
            new = core
        out.append(f"{lead}{new}{tail}")
        previous = lower
    return "".join(out)


def client_slots(text: str, lexicon: dict[str, str]) -> Slots:
    """The slot values for a client turn; any that cannot be found are None."""
    if not text.strip():
        return Slots(None, None, None)
    span, feeling = pick_span(text, lexicon)
    if feeling is None:
        feeling, _ = feeling_in(text, lexicon)
    span = span.rstrip(" ,;:-")
    if len(span.split()) < 2:
        return Slots(span or None, None, feeling)
    shifted = shift_pronouns(span)
    # Lowercase the first word unless it is "I" (the template decides the capital).
    if shifted and not shifted.startswith("I ") and not shifted.startswith("I'"):
        shifted = shifted[0].lower() + shifted[1:]
    return Slots(client_phrase=span, client_words=shifted, feeling=feeling)
