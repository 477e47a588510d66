"""Transcription styles: the same words as ASR output or as a clean human transcript.

Real coded transcripts come in either style: lowercase, unpunctuated speech-to-text
output, or sentence-cased lines with full stops and question marks. Our corpus mixes
both at the scene level, so a scene's codes are only ever seen in one style. Training
shows every turn in the other styles too (``AdapterConfig.restyle``,
``TrainConfig.style_copies``), so a question is learnt from its words and not from
its question mark alone; ``bench/style_robustness.py`` measures the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.model import Transcript

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


def restyle_transcript(transcript: Transcript, style: str) -> Transcript:
    """A copy with every turn's text in ``style`` (id suffixed ``~style``; codes kept)."""
    restyle = STYLES[style]
    turns = [turn.model_copy(update={"text": restyle(turn.text)}) for turn in transcript.turns]
    return transcript.model_copy(update={"id": f"{transcript.id}~{style}", "turns": turns})
