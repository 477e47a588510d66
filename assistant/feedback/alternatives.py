"""Try instead: alternative responses for the moment, each checked by the tagger.

Templates from ``prompts/feedback.yaml`` are filled with the client's own words and
coded with ``tagger.transform_turn(text, Role.THERAPIST, context=[client_turn])``; an
alternative is kept only if it carries one of the skill's target tags and none of its
forbidden ones. When fewer than two templates pass, exemplars from
``prompts/exemplars.yaml`` are retrieved by similarity of their client statement to
the client's turn (the tagger's encoder) and checked the same way.

Without a tagger nothing can be checked: the alternatives are still offered, marked
``checked=False``, and exemplars are ranked by word overlap instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from assistant.feedback.schema import Alternative
from assistant.feedback.slots import client_slots, words
from assistant.feedback.texts import Exemplar, FeedbackTexts, SkillTexts, Template
from assistant.model import Role, Turn

logger = logging.getLogger(__name__)

MAX_ALTERNATIVES = 3
MIN_PASSING_TEMPLATES = 2
# Exemplars checked at most, nearest first (each check is one tagger call).
EXEMPLARS_TO_CHECK = 6


class TurnTagger(Protocol):
    """What feedback needs from a tagger (``assistant.tagging.Tagger`` provides it)."""

    def transform_turn(
        self, text: str, role: Role = ..., context: Sequence[Turn] = ...
    ) -> Turn: ...

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Check:
    passed: bool
    tags: list[str]
    score: float | None


def fill(template: Template, slots: dict[str, str]) -> str | None:
    """The template with its slots filled, or None when a slot has no value."""
    if not template.slots <= slots.keys():
        return None
    text = template.text.format(**slots)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.?!])", r"\1", text)
    text = re.sub(r"([.?!])\1+", r"\1", text)
    # A slot that starts a new sentence inside the template starts with a capital too.
    text = re.sub(r"([.?!]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return text[0].upper() + text[1:] if text else None


def check(
    tagger: TurnTagger, text: str, client_turn: Turn | None, spec: SkillTexts, focus: str | None
) -> Check:
    context = [client_turn] if client_turn is not None else []
    coded: Any = tagger.transform_turn(text, Role.THERAPIST, context=context)
    tags = list(getattr(coded, "tags", []))
    scores: dict[str, float] = dict(getattr(coded, "scores", {}))
    hits = [tag for tag in spec.target_tags if tag in tags]
    if focus == "complex" and "reflection" in hits:
        attributes = getattr(coded, "attributes", {}) or {}
        if attributes.get("reflection", {}).get("depth") != "complex":
            hits.remove("reflection")
    passed = bool(hits) and not any(tag in tags for tag in spec.forbidden_tags)
    score = max((scores.get(tag) for tag in hits if scores.get(tag) is not None), default=None)
    return Check(passed, tags, None if score is None else round(float(score), 3))


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def nearest_exemplars(
    client_text: str, exemplars: Sequence[Exemplar], tagger: TurnTagger | None
) -> list[tuple[Exemplar, float]]:
    """Exemplars by similarity of their client statement to ``client_text``, best first."""
    if not exemplars:
        return []
    if tagger is not None:
        vectors = np.asarray(
            tagger.encode([client_text, *[e.client for e in exemplars]]), dtype=float
        )
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1.0
        vectors = vectors / norms[:, None]
        sims = vectors[1:] @ vectors[0]
    else:
        sims = np.array([_overlap(client_text, e.client) for e in exemplars])
    order = sorted(range(len(exemplars)), key=lambda i: (-sims[i], i))
    return [(exemplars[i], round(float(sims[i]), 3)) for i in order]


def suggest_alternatives(
    skill: str,
    focus: str | None,
    client_turn: Turn | None,
    texts: FeedbackTexts,
    exemplars: Sequence[Exemplar],
    tagger: TurnTagger | None,
) -> tuple[list[Alternative], list[str]]:
    """Up to three alternatives for the moment, and notes on how they were chosen."""
    spec = texts.skills[skill]
    notes: list[str] = []
    slots = client_slots(client_turn.text, texts.feelings).as_dict() if client_turn else {}
    templates = (spec.complex_templates + spec.templates) if focus == "complex" else spec.templates
    filled: list[tuple[str, str]] = []
    for template in templates:
        text = fill(template, slots)
        if text and text not in (t for _, t in filled):
            filled.append((template.id, text))
    pool = [e for e in exemplars if e.skill == skill]
    if focus == "complex":
        pool = [e for e in pool if e.depth == "complex"] or pool
    nearest = nearest_exemplars(client_turn.text if client_turn else "", pool, tagger)

    if tagger is None:
        notes.append(
            "No tagger was available, so the alternatives were not checked for the target skill."
        )
        out = [
            Alternative(text=text, source="template", source_id=tid, checked=False)
            for tid, text in filled[: MAX_ALTERNATIVES - 1]
        ]
        for exemplar, similarity in nearest[: MAX_ALTERNATIVES - len(out)]:
            out.append(
                Alternative(
                    text=exemplar.response,
                    source="exemplar",
                    source_id=exemplar.id,
                    checked=False,
                    similarity=similarity,
                )
            )
        return out, notes

    passing: list[Alternative] = []
    rejected = 0
    for tid, text in filled:
        result = check(tagger, text, client_turn, spec, focus)
        if result.passed:
            passing.append(
                Alternative(
                    text=text,
                    source="template",
                    source_id=tid,
                    checked=True,
                    checked_tags=result.tags,
                    score=result.score,
                )
            )
        else:
            rejected += 1
            logger.debug("template %s rejected: tags %s", tid, result.tags)
    passing.sort(key=lambda a: -(a.score or 0.0))
    out = passing[:MAX_ALTERNATIVES]
    if len(out) < MIN_PASSING_TEMPLATES:
        for exemplar, similarity in nearest[:EXEMPLARS_TO_CHECK]:
            if len(out) >= MAX_ALTERNATIVES:
                break
            result = check(tagger, exemplar.response, client_turn, spec, focus)
            if result.passed:
                out.append(
                    Alternative(
                        text=exemplar.response,
                        source="exemplar",
                        source_id=exemplar.id,
                        checked=True,
                        checked_tags=result.tags,
                        score=result.score,
                        similarity=similarity,
                    )
                )
            else:
                rejected += 1
    if rejected:
        notes.append(
            f"{rejected} candidate response(s) were left out because the tagger did not find "
            f"the target skill ({', '.join(spec.target_tags)}) in them."
        )
    if not out:
        notes.append("No alternative passed the tagger's check for this moment.")
    return out, notes
