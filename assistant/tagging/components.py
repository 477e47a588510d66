"""spaCy components of the tagging pipeline, registered by name.

``spacy.blank("en")`` plus these components, in the order given by ``PIPELINE`` (the
model's manifest records the list it was trained with):

- ``sentencizer`` (spaCy's own): sentence boundaries, used by the surface features.
- ``alliance_cues``: the codebook's cue phrases (PhraseMatcher on LOWER) and token
  patterns (Matcher) -> ``doc._.cues``, a list of ``Cue`` spans with the tag and the
  pattern id. They are features for the head and evidence for the user.
- ``alliance_surface``: cheap form features of the turn (question mark, question word
  or auxiliary at the start of a sentence, pronoun shares, fillers, length, a
  backchannel flag, an English-likeness score) -> ``doc._.surface``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from assistant.tagging.codebook import EMPTY_CODEBOOK, Codebook, load_codebook

logger = logging.getLogger(__name__)

PIPELINE: tuple[str, ...] = ("sentencizer", "alliance_cues", "alliance_surface")


@dataclass(frozen=True)
class Cue:
    tag: str
    text: str
    start: int  # character offsets in the doc text
    end: int
    source: str  # "<tag>/phrase/<n>" or "<tag>/pattern/<n>"


if not Doc.has_extension("cues"):
    Doc.set_extension("cues", default=None)
if not Doc.has_extension("surface"):
    Doc.set_extension("surface", default=None)
if not Doc.has_extension("content_words"):
    Doc.set_extension("content_words", default=None)  # lower-cased, letters only, no stop words
if not Doc.has_extension("alpha_words"):
    # Tokens made only of letters; counted in the surface pass so later checks
    # (non-English text) need not walk the tokens again.
    Doc.set_extension("alpha_words", default=None)


# A token pattern made only of LOWER tests (one word or an IN list, optionally
# "OP": "?") is the same as a list of word sequences; up to this many it is matched
# as phrases, because the PhraseMatcher looks words up in a hash table while the
# Matcher tries every pattern at every token (most of the cue step's time).
MAX_PATTERN_PHRASES = 512


def pattern_phrases(pattern: Sequence[dict[str, Any]]) -> list[tuple[str, ...]] | None:
    """Every word sequence a LOWER-only token pattern matches, or None when the pattern
    tests anything else (sentence start, punctuation, repeats) or expands too far."""
    options: list[list[str | None]] = []
    for token in pattern:
        if set(token) - {"LOWER", "OP"} or token.get("OP") not in (None, "?"):
            return None
        lower = token.get("LOWER")
        if isinstance(lower, str):
            words = [lower]
        elif isinstance(lower, dict) and set(lower) == {"IN"}:
            words = list(lower["IN"])
        else:
            return None
        options.append([*words, None] if token.get("OP") == "?" else words)
    phrases = {
        tuple(word for word in choice if word is not None) for choice in itertools.product(*options)
    }
    phrases.discard(())
    return sorted(phrases) if len(phrases) <= MAX_PATTERN_PHRASES else None


class CueMatcher:
    """Finds the codebook's cue phrases and token patterns in a doc.

    Token patterns that only test words run as phrases (``pattern_phrases``) under
    the pattern's own id, so a cue's ``source`` does not depend on how it was found.
    """

    def __init__(self, nlp: Language, codebook: Codebook) -> None:
        self.codebook = codebook
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.patterns = Matcher(nlp.vocab, validate=True)
        for entry in codebook.tags:
            for number, phrase in enumerate(entry.phrases):
                self.phrases.add(f"{entry.id}/phrase/{number}", [nlp.make_doc(phrase)])
            for number, pattern in enumerate(entry.patterns):
                key = f"{entry.id}/pattern/{number}"
                sequences = pattern_phrases(pattern)
                if sequences is None:
                    self.patterns.add(key, [list(pattern)])
                else:
                    self.phrases.add(key, [Doc(nlp.vocab, words=list(s)) for s in sequences])

    def __call__(self, doc: Doc) -> Doc:
        cues: list[Cue] = []
        seen: set[tuple[str, int, int]] = set()
        strings = doc.vocab.strings
        matches = [
            *(self.phrases(doc) if len(self.phrases) else ()),
            *(self.patterns(doc) if len(self.patterns) else ()),
        ]
        # Where a phrase and a pattern of one tag find the same span, the phrase is the
        # cue reported (as before patterns ran as phrases): phrases sort first.
        named = sorted(
            ((strings[match_id], start, end) for match_id, start, end in matches),
            key=lambda match: "/pattern/" in match[0],
        )
        for source, start, end in named:
            tag = source.split("/", 1)[0]
            span = doc[start:end]
            key = (tag, span.start_char, span.end_char)
            if key in seen:
                continue
            seen.add(key)
            cues.append(Cue(tag, span.text, span.start_char, span.end_char, source))
        cues.sort(key=lambda c: (c.start, c.end, c.tag))
        doc._.cues = cues
        return doc


@Language.factory(
    "alliance_cues",
    default_config={"codebook": ""},
    assigns=["doc._.cues"],
    requires=[],
)
def make_cue_matcher(nlp: Language, name: str, codebook: str) -> CueMatcher:
    """``codebook``: path of a codebook YAML file; empty means no cues."""
    return CueMatcher(nlp, load_codebook(codebook) if codebook else EMPTY_CODEBOOK)


# Words for the surface features. Lower-case, matched on whole tokens.
WH_WORDS = frozenset(
    "what what's whats how how's hows why where when who whom whose which tell describe walk "
    "say share explain help talk".split()
)
AUX_WORDS = frozenset(
    "do does did is are was were am can could would will have has had should shall may might "
    "don't doesn't didn't isn't aren't wasn't weren't can't couldn't wouldn't won't haven't "
    "hasn't hadn't shouldn't".split()
)
# Discourse openers skipped before looking for the first content word of a sentence.
OPENERS = frozenset(
    "so and but okay ok well um uh erm er hmm mm yeah yes alright right now then oh like "
    "just , . - -- ... …".split()
)
FILLERS = frozenset("um uh erm er hmm mm mhm mm-hmm uh-huh uh huh like ah oh".split())
BACKCHANNEL = frozenset(
    "mm mmm hmm mhm mm-hmm mmhmm uh-huh uh huh okay ok yeah yes yep right sure alright "
    "i see gotcha got it oh wow ah sure, um uh".split()
)
FIRST_PERSON = frozenset("i me my mine myself i'm i've i'd i'll".split())
SECOND_PERSON = frozenset("you your yours yourself you're you've you'd you'll".split())
TAG_QUESTIONS = ("right", "yeah", "okay", "ok", "correct", "no", "huh")

SURFACE_FEATURES: tuple[str, ...] = (
    "ends_question_mark",
    "has_question_mark",
    "first_wh",
    "first_aux",
    "last_wh",
    "last_aux",
    "any_sentence_wh",
    "any_sentence_aux",
    "tag_question",
    "you_start",
    "i_start",
    "first_person_share",
    "second_person_share",
    "filler_share",
    "backchannel",
    "log_tokens",
    "sentences",
    "english_share",
)


def _first_word(tokens: Iterable[str]) -> str:
    for word in tokens:
        if word not in OPENERS and word.strip(",.-…"):
            return word
    return ""


def surface_features(doc: Doc) -> dict[str, float]:
    return _surface_pass(doc)[0]


def _surface_pass(doc: Doc) -> tuple[dict[str, float], int]:
    """The surface features and the count of letters-only tokens, in one pass over the
    tokens (this runs on every turn; speed matters: each token visit builds an object)."""
    words: list[str] = []  # lower-cased, no whitespace tokens
    last_words: list[str] = []  # ... and no punctuation
    sentences: list[list[str]] = []
    pieces: list[str] = []  # = doc.text, without a second pass
    alpha = stops = letters_only = 0
    content: set[str] = set()
    for token in doc:
        pieces.append(token.text_with_ws)
        if not sentences or token.is_sent_start:
            sentences.append([])
        if token.is_space:
            continue
        lower = token.lower_
        words.append(lower)
        sentences[-1].append(lower)
        if not token.is_punct:
            last_words.append(lower)
        is_alpha = token.is_alpha
        letters_only += is_alpha
        if is_alpha or "'" in token.text:
            alpha += 1
            is_stop = token.is_stop
            stops += is_stop
            if is_alpha and not is_stop:
                content.add(lower)
    n_words = max(1, len(last_words))
    text = "".join(pieces).rstrip()
    firsts = [_first_word(sentence) for sentence in sentences]
    stop_share = stops / alpha if alpha else 1.0
    ascii_share = 1.0
    if not text.isascii():  # the per-character count only where it can differ from 1
        letters = [c for c in text if c.isalpha()]
        ascii_share = sum(c.isascii() for c in letters) / len(letters) if letters else 1.0
    n_sents = len(sentences)
    features = {
        "ends_question_mark": float(text.endswith("?")),
        "has_question_mark": float("?" in text),
        "first_wh": float(bool(firsts) and firsts[0] in WH_WORDS),
        "first_aux": float(bool(firsts) and firsts[0] in AUX_WORDS),
        "last_wh": float(bool(firsts) and firsts[-1] in WH_WORDS),
        "last_aux": float(bool(firsts) and firsts[-1] in AUX_WORDS),
        "any_sentence_wh": float(any(w in WH_WORDS for w in firsts)),
        "any_sentence_aux": float(any(w in AUX_WORDS for w in firsts)),
        "tag_question": float(
            bool(last_words) and last_words[-1] in TAG_QUESTIONS and len(last_words) > 2
        ),
        "you_start": float(bool(firsts) and firsts[0] in SECOND_PERSON),
        "i_start": float(bool(firsts) and firsts[0] in FIRST_PERSON),
        "first_person_share": sum(w in FIRST_PERSON for w in words) / n_words,
        "second_person_share": sum(w in SECOND_PERSON for w in words) / n_words,
        "filler_share": sum(w in FILLERS for w in words) / n_words,
        "backchannel": float(bool(last_words) and all(w in BACKCHANNEL for w in last_words)),
        "log_tokens": min(1.0, len(words) / 64.0),
        "sentences": min(1.0, n_sents / 5.0),
        # English text is about half stop words; other languages score near zero here.
        "english_share": min(1.0, 2.0 * stop_share) * ascii_share,
    }
    doc._.content_words = frozenset(content)
    return features, letters_only


class SurfaceFeatures:
    def __call__(self, doc: Doc) -> Doc:
        doc._.surface, doc._.alpha_words = _surface_pass(doc)
        return doc


@Language.factory(
    "alliance_surface",
    assigns=["doc._.surface"],
    requires=["token.is_sent_start"],
)
def make_surface_features(nlp: Language, name: str) -> SurfaceFeatures:
    return SurfaceFeatures()


def build_nlp(codebook: str | Path | None = None, pipeline: Iterable[str] = PIPELINE) -> Language:
    """``spacy.blank("en")`` with the named components in the given order."""
    nlp = spacy.blank("en")
    for name in pipeline:
        config = {"codebook": str(codebook or "")} if name == "alliance_cues" else {}
        nlp.add_pipe(name, config=config)
    return nlp
