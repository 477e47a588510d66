"""Transcription styles: the same words as ASR output or as a clean human transcript.

Real coded transcripts come in either style: lowercase, unpunctuated speech-to-text
output, or sentence-cased lines with full stops and question marks. Our corpus mixes
both at the scene level, so a scene's codes are only ever seen in one style. Training
shows every turn in the other styles too (``AdapterConfig.restyle``,
``TrainConfig.style_copies``), so a question is learnt from its words and not from
its question mark alone; ``bench/style_robustness.py`` measures the difference.

Spoken turns also often open with an acknowledgement ("Okay.", "Mm-hmm, so ...",
"yeah right") before their real content. In our corpus such openers sit on about 11%
of advice and rigidity turns but under 1% of reflections, so a model can learn "an
opener means not a reflection", which real sessions contradict. The training copies
therefore prefix a fixed share of turns with one (``with_opener``), chosen by a hash
of the text so every run and every stage sees the same copy. Likewise, fewer than 1%
of our therapist turns hold an "um" or "uh", where real therapists hesitate, restart
a word ("you- you said") and say "you know" all the time; a share of the copies get
one or two such edits (``with_disfluency``).

One edit depends on the codes: the codebook keeps a mirror said with a rising tone
("You're not sure?") a reflection, but only 8 of our 2,124 reflections end with a
question mark, so a model codes every such turn a closed question. In clean copies, a
share of the reflections that carry no question code end with "?" (``with_rising_tone``).
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Iterable

from assistant.model import QUESTION_TAGS, Transcript

_NOT_WORD = re.compile(r"[^\w\s']")
_SPACES = re.compile(r"\s+")
_LONE_I = re.compile(r"\bi\b")


def asr_style(text: str) -> str:
    """Lowercase with every punctuation mark but the apostrophe removed."""
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", text.lower())).strip()


def clean_style(text: str) -> str:
    """Sentence case, "I" capitalised, and a full stop where a line has no end mark."""
    text = _LONE_I.sub("I", text.strip())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "."


STYLES: dict[str, Callable[[str], str]] = {"asr": asr_style, "clean": clean_style}

# Turn-initial acknowledgements as each style writes them; one without a full stop runs
# on into the turn ("Okay, so your doctor ...").
OPENERS: dict[str, tuple[str, ...]] = {
    "asr": (
        "okay", "mm-hmm", "yeah", "right", "mm", "uh-huh", "okay so", "yeah yeah",
        "right right", "oh okay", "i see", "sure", "yeah so", "mm okay",
    ),
    "clean": (
        "Okay.", "Mm-hmm.", "Yeah.", "Right.", "Mm.", "Uh-huh.", "Okay, so", "Yeah, yeah.",
        "Right, right.", "Oh, okay.", "I see.", "Sure.", "Yeah, so", "Mm, okay.",
    ),
}  # fmt: skip
# Others, never used in training: ``bench/style_robustness.py`` measures with these, so
# a model is not scored on the very strings it was shown.
HELD_OUT_OPENERS: dict[str, tuple[str, ...]] = {
    "asr": (
        "got it", "gotcha", "mhm", "ah", "hmm", "okay yeah", "right okay", "yeah okay", "oh",
        "uh-huh yeah",
    ),
    "clean": (
        "Got it.", "Gotcha.", "Mhm.", "Ah.", "Hmm.", "Okay, yeah.", "Right, okay.", "Yeah, okay.",
        "Oh.", "Uh-huh, yeah.",
    ),
}  # fmt: skip
_ACKNOWLEDGED = re.compile(
    r"^\W*(okay|ok|mm+-?hmm|mhm|mm+|hm+|uh-?huh|yeah|yes|yep|right|alright|sure|i see|oh|ah|"
    r"got it|gotcha)\b",
    re.IGNORECASE,
)


def _picked(text: str, share: float, salt: bytes = b"") -> int | None:
    """The text's hash when it falls in the chosen ``share`` of all texts, else None
    (a hash, not a random draw, so every run and every training stage agree)."""
    digest = zlib.crc32(salt + text.encode("utf-8"))
    return digest if digest % 1000 < share * 1000 else None


def with_opener(
    text: str, style: str, share: float, openers: dict[str, tuple[str, ...]] = OPENERS
) -> str:
    """``text`` with an acknowledgement from ``openers`` in front for ``share`` of all
    texts (chosen by hash). Texts that already open with one, and empty ones, are left
    as they are.
    """
    stripped = text.strip()
    if share <= 0 or not stripped or _ACKNOWLEDGED.match(stripped):
        return text
    digest = _picked(stripped, share)
    if digest is None:
        return text
    opener = openers[style][(digest // 1000) % len(openers[style])]
    # A clean opener without a full stop ("Okay, so") runs on: lowercase the next word
    # unless it is "I" or "I'm".
    if style == "clean" and not opener.endswith(".") and not re.match(r"^I\b", stripped):
        stripped = stripped[0].lower() + stripped[1:]
    return f"{opener} {stripped}"


FILLERS: tuple[str, ...] = ("um", "uh", "you know", "like", "I mean")
HELD_OUT_FILLERS: tuple[str, ...] = ("er", "erm", "ah", "hm", "sort of")
_END_MARK = re.compile(r"[.?!]$")
_EDGE_PUNCT = re.compile(r"^\W+|\W+$")


def _insert_filler(words: list[str], at: int, filler: str, style: str) -> None:
    if style == "asr":
        words.insert(at, filler.lower() if filler != "I mean" else "i mean")
        return
    starts_sentence = at == 0 or bool(_END_MARK.search(words[at - 1]))
    if starts_sentence:
        words.insert(at, filler[0].upper() + filler[1:] + ",")
        if at + 1 < len(words) and not re.match(r"^I\b", words[at + 1]):
            words[at + 1] = words[at + 1][:1].lower() + words[at + 1][1:]
        return
    if not words[at - 1].endswith(","):
        words[at - 1] += ","
    words.insert(at, filler + ",")


def _restart_word(words: list[str], at: int, style: str) -> None:
    bare = _EDGE_PUNCT.sub("", words[at])
    if bare:
        words.insert(at, bare if style == "asr" else f"{bare}-")


def with_disfluency(text: str, style: str, share: float, fillers: tuple[str, ...] = FILLERS) -> str:
    """``text`` with one or two hesitations (a filler from ``fillers``, or a restarted
    word: "I- I think", "i i think") for ``share`` of all texts (chosen by hash)."""
    stripped = text.strip()
    words = stripped.split()
    if share <= 0 or len(words) < 2:
        return text
    digest = _picked(stripped, share, b"disfluency:")
    if digest is None:
        return text
    rng = random.Random(digest)
    for _ in range(rng.choice((1, 1, 2))):
        # Hesitations cluster where a turn or a clause starts: half go in the first words.
        at = rng.randrange(min(3, len(words)) if rng.random() < 0.5 else len(words))
        if rng.random() < 0.7:
            _insert_filler(words, at, rng.choice(fillers), style)
        else:
            _restart_word(words, at, style)
    return " ".join(words)


def said_rising(tags: Iterable[str]) -> bool:
    """Whether a turn's codes allow a rising tone without changing them: a reflection
    that is not also a question (the codebook: a mirror that asks nothing new)."""
    tags = set(tags)
    return "reflection" in tags and not tags.intersection(QUESTION_TAGS)


def with_rising_tone(text: str, style: str, share: float) -> str:
    """A clean ``text`` ending in "." ends in "?" instead, for ``share`` of all texts
    (chosen by hash); ASR-style text has no marks to change."""
    stripped = text.rstrip()
    if share <= 0 or style != "clean" or not stripped.endswith("."):
        return text
    if _picked(stripped, share, b"rising:") is None:
        return text
    return stripped[:-1] + "?"


def training_text(
    text: str, style: str, openers: float = 0.0, disfluency: float = 0.0, rising: float = 0.0
) -> str:
    """``text`` as a training copy in ``style`` shows it: restyled, then maybe an
    opener, hesitations and (pass ``rising`` only for ``said_rising`` turns) a rising
    tone."""
    text = with_disfluency(with_opener(STYLES[style](text), style, openers), style, disfluency)
    return with_rising_tone(text, style, rising)


def looks_asr(transcript: Transcript) -> bool:
    """True when most turns read as ASR output (no capitals and no end marks)."""
    texts = [turn.text.strip() for turn in transcript.turns if turn.text.strip()]
    if not texts:
        return False
    bare = sum(1 for text in texts if text == text.lower() and text[-1] not in ".?!")
    return bare * 2 > len(texts)


def other_style(transcript: Transcript) -> str:
    """The style a copy of ``transcript`` is written in: the one it is not in."""
    return "clean" if looks_asr(transcript) else "asr"


def restyle_transcript(
    transcript: Transcript,
    style: str,
    openers: float = 0.0,
    disfluency: float = 0.0,
    rising: float = 0.0,
) -> Transcript:
    """A copy with every turn's text in ``style`` (id suffixed ``~style``; codes kept);
    ``openers``, ``disfluency`` and ``rising``: the share of turns also given an
    acknowledgement (``with_opener``), hesitations (``with_disfluency``) or, of the
    ``said_rising`` turns, a rising tone (``with_rising_tone``)."""
    turns = [
        turn.model_copy(
            update={
                "text": training_text(
                    turn.text, style, openers, disfluency, rising if said_rising(turn.tags) else 0.0
                )
            }
        )
        for turn in transcript.turns
    ]
    return transcript.model_copy(update={"id": f"{transcript.id}~{style}", "turns": turns})
