"""Intent detection: the message's embedding against exemplar phrasings.

``prompts/intents.yaml`` lists each intent with 10-20 exemplars. They are encoded
once per ``IntentClassifier`` (the same MiniLM encoder the tagger uses); a message
costs one encode and one matrix product. An intent's score is the mean of its
``top_k`` best exemplar similarities, plus small bonuses for cue words and slots
that the yaml names (a turn number makes ``explain_tag`` likelier; "diagnosis"
makes the safety intents likelier). The best intent must clear ``threshold`` and
beat the best intent of another family by ``margin``; otherwise the result is
"unclear" and the coach asks a clarifying question instead of guessing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from assistant.chat.slots import Slots
from assistant.errors import ValidationError
from assistant.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

DEFAULT_INTENTS = PROJECT_ROOT / "prompts" / "intents.yaml"
UNCLEAR = "unclear"


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class IntentSpec:
    name: str
    description: str
    exemplars: tuple[str, ...]
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntentConfig:
    intents: tuple[IntentSpec, ...]
    threshold: float
    margin: float
    top_k: int
    cue_bonus: float
    turn_bonus: dict[str, float]
    families: dict[str, tuple[str, ...]]
    skill_synonyms: dict[str, tuple[str, ...]]
    path: Path

    def family(self, intent: str) -> str:
        for name, members in self.families.items():
            if intent in members:
                return name
        return intent

    def spec(self, name: str) -> IntentSpec:
        for spec in self.intents:
            if spec.name == name:
                return spec
        raise KeyError(name)


@dataclass(frozen=True)
class IntentResult:
    intent: str  # an intent name, or "unclear"
    score: float
    ranked: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    @property
    def clear(self) -> bool:
        return self.intent != UNCLEAR

    @property
    def candidates(self) -> tuple[str, ...]:
        """The two best intents (what a clarifying question offers)."""
        return tuple(name for name, _ in self.ranked[:2])

    def score_of(self, intent: str) -> float:
        return dict(self.ranked).get(intent, 0.0)


def _fail(path: Path, message: str) -> ValidationError:
    return ValidationError(f"{message}; see the comments at the top of intents.yaml", path=path)


def load_intents(path: str | Path = DEFAULT_INTENTS) -> IntentConfig:
    """Read and check ``intents.yaml``; every problem names the file and the entry."""
    path = Path(path)
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValidationError(f"cannot read the intents file: {error}", path=path) from error
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        raise ValidationError(
            f"invalid YAML: {error}", path=path, line=line + 1 if line is not None else None
        ) from error
    if not isinstance(raw, dict) or not isinstance(raw.get("intents"), dict):
        raise _fail(path, "expected a mapping with an 'intents' mapping")
    specs: list[IntentSpec] = []
    for name, entry in raw["intents"].items():
        if name == UNCLEAR:
            raise _fail(path, f"'{UNCLEAR}' is reserved for messages no intent matches")
        if not isinstance(entry, dict):
            raise _fail(path, f"intent {name!r} must be a mapping")
        exemplars = entry.get("exemplars") or []
        if not isinstance(exemplars, list) or len(exemplars) < 3:
            raise _fail(path, f"intent {name!r} needs a list of at least 3 exemplars")
        if not all(isinstance(text, str) and text.strip() for text in exemplars):
            raise _fail(path, f"intent {name!r} has an empty or non-text exemplar")
        specs.append(
            IntentSpec(
                name=str(name),
                description=str(entry.get("description") or name.replace("_", " ")),
                exemplars=tuple(text.strip() for text in exemplars),
                cues=tuple(str(cue).lower() for cue in entry.get("cues") or ()),
            )
        )
    names = {spec.name for spec in specs}
    families = {
        str(family): tuple(members) for family, members in (raw.get("families") or {}).items()
    }
    for family, members in families.items():
        unknown = set(members) - names
        if unknown:
            raise _fail(path, f"family {family!r} names unknown intents {sorted(unknown)}")
    turn_bonus = {str(k): float(v) for k, v in (raw.get("turn_bonus") or {}).items()}
    if set(turn_bonus) - names:
        raise _fail(path, f"turn_bonus names unknown intents {sorted(set(turn_bonus) - names)}")
    skills = (raw.get("slots") or {}).get("skills") or {}
    if not isinstance(skills, dict) or not skills:
        raise _fail(path, "expected 'slots: skills:' with synonyms per skill")
    return IntentConfig(
        intents=tuple(specs),
        threshold=float(raw.get("threshold", 0.45)),
        margin=float(raw.get("margin", 0.03)),
        top_k=max(1, int(raw.get("top_k", 2))),
        cue_bonus=float(raw.get("cue_bonus", 0.05)),
        turn_bonus=turn_bonus,
        families=families,
        skill_synonyms={str(k): tuple(str(w) for w in v) for k, v in skills.items()},
        path=path,
    )


class IntentClassifier:
    """Nearest-exemplar intent detection; exemplar embeddings are computed once."""

    def __init__(
        self,
        encoder: Encoder,
        config: IntentConfig,
        normalise: Callable[[str], str] | None = None,
    ) -> None:
        self.config = config
        # Applied to exemplars here and to messages by the caller before encoding.
        self.normalise = normalise or (lambda text: text)
        self.names = tuple(spec.name for spec in config.intents)
        texts = [self.normalise(text) for spec in config.intents for text in spec.exemplars]
        owners = [i for i, spec in enumerate(config.intents) for _ in spec.exemplars]
        vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
        if vectors.shape[0] != len(texts):
            raise ValidationError(
                f"the encoder returned {vectors.shape[0]} vectors for {len(texts)} exemplars",
                path=config.path,
            )
        self.exemplars = vectors
        self.owner = np.asarray(owners)
        self._cues = [
            [re.compile(r"(?<!\w)" + re.escape(cue) + r"(?!\w)", re.I) for cue in spec.cues]
            for spec in config.intents
        ]
        self._rows = [np.flatnonzero(self.owner == i) for i in range(len(self.names))]

    def scores(
        self, vector: np.ndarray, message: str, slots: Slots | None = None
    ) -> dict[str, float]:
        sims = self.exemplars @ np.asarray(vector, dtype=np.float32)
        k = self.config.top_k
        out: dict[str, float] = {}
        for i, name in enumerate(self.names):
            best = np.sort(sims[self._rows[i]])[-k:]
            score = float(best.mean())
            if any(pattern.search(message) for pattern in self._cues[i]):
                score += self.config.cue_bonus
            if slots is not None and slots.turns:
                score += self.config.turn_bonus.get(name, 0.0)
            out[name] = round(score, 4)
        return out

    def cue_hit(self, intent: str, message: str) -> bool:
        """Whether the message contains one of ``intent``'s cue words."""
        patterns = self._cues[self.names.index(intent)] if intent in self.names else []
        return any(pattern.search(message) for pattern in patterns)

    def decide(self, scores: Mapping[str, float]) -> IntentResult:
        ranked = tuple(sorted(scores.items(), key=lambda item: -item[1]))
        best, best_score = ranked[0]
        rival = next(
            (
                score
                for name, score in ranked[1:]
                if self.config.family(name) != self.config.family(best)
            ),
            0.0,
        )
        if best_score < self.config.threshold or best_score - rival < self.config.margin:
            return IntentResult(UNCLEAR, best_score, ranked)
        return IntentResult(best, best_score, ranked)

    def classify(
        self, vector: np.ndarray, message: str, slots: Slots | None = None
    ) -> IntentResult:
        return self.decide(self.scores(vector, message, slots))
