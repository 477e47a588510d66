"""Score one trainee answer against a drill item's criteria, with specific feedback.

Practice without feedback can make empathy worse; practice with specific feedback
improves reflections and questions (ClientBot, Tanana et al. 2019; CARE, Louie et
al. 2025). So every attempt gets a score and feedback naming what worked, what to
change, and a model response shown after the attempt.

The answer is tagged as a therapist turn right after the client statement (a
mid-session moment, so the opening-turns rule for self-disclosure does not fire),
and so is each of its sentences: trainees mix acts in one turn (a reflection, then
a closed question), and a tag's probability is its highest over the whole answer
and its sentences.

    base  = 0.50 x target + 0.35 x (1 - pitfall) + 0.15 x closeness
    score = base x focus x length                                  (0..1)

- target: mean probability of the item's target tags; for items without a target
  (deciding *not* to self-disclose) the best of the client-focused tags.
- pitfall: the highest probability among the item's avoid tags.
- closeness: embedding similarity to the nearest model response, a minor part.
- focus: 0.7 when the answer is mostly about the therapist (I/me/my well over
  you/your, not counting attending phrases such as "I wonder") and neither
  self-disclosure nor repair (owning one's part) was asked for; 0.85 when a
  disclosure that was asked for never hands the focus back.
- length: 0.5 under 3 words; 0.85 over 90 words (too long to say in session).

An answer passes with score >= 0.6, every target tag present (above the tagger's
threshold) and no avoid tag present.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from assistant.drills.schema import DrillItem
from assistant.errors import ValidationError
from assistant.model import Role, Transcript, Turn

PASS_SCORE = 0.6
WEIGHTS = {"target": 0.50, "pitfall": 0.35, "closeness": 0.15}
FOCUS_FACTOR = 0.7
NO_HAND_BACK_FACTOR = 0.85
SHORT_WORDS, SHORT_FACTOR = 3, 0.5
LONG_WORDS, LONG_FACTOR = 90, 0.85
# Cosine similarity of MiniLM sentence embeddings: ~0.3 is unrelated talk about the
# same topic, ~0.8 a paraphrase; mapped linearly onto 0..1.
SIMILARITY_FLOOR, SIMILARITY_CEILING = 0.3, 0.8
DRILL_POSITION = 0.5
SESSION_TURNS = 120
MAX_ANSWER_CHARS = 2_000
# When an item asks for no particular act (e.g. choosing not to self-disclose), a
# good answer still responds to the client with one of these.
CLIENT_FOCUSED = ("reflection", "warmth", "open_question", "collaboration", "repair")

FIRST_PERSON = {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll", "im", "ive"}
SECOND_PERSON = {"you", "your", "yours", "yourself", "you're", "you've", "you'd", "you'll"}
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
ATTENDING = re.compile(
    r"\bi(?: am|'m)? (?:also |really |just )?(?:wonder(?:ing)?|hear(?:ing)?|notic(?:e|ing)|"
    r"imagine|curious|get the sense|sense|can (?:hear|see|imagine)|might be wrong|"
    r"could be wrong|(?:would|'d) (?:really )?(?:like|love|want) to (?:hear|understand|know))\b"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MAX_SENTENCES = 6

TAG_NAMES = {
    "reflection": "a reflection",
    "open_question": "an open question",
    "closed_question": "a closed question",
    "warmth": "warmth and validation",
    "collaboration": "an invitation to collaborate",
    "advice": "advice",
    "rigidity": "holding to the plan against the client",
    "self_disclosure": "a self-disclosure",
    "poorly_timed_self_disclosure": "a poorly timed self-disclosure",
    "repair": "a repair move",
}
MISSING_TARGET = {
    "reflection": "Say back what the client means or feels, as a statement with a falling "
    "tone; a reflection was asked for, not a question or a suggestion.",
    "warmth": "Show warmth in words: name what makes the client's reaction understandable, "
    "or what you respect in how they are coping.",
    "collaboration": "Bring the client into the decision: ask what they want to focus on, "
    "offer a choice, or check that the plan fits them.",
    "repair": "Attend to the strain between you: name it, own your part, or ask how this is "
    "going for them, before going back to the topic (3RS resolution).",
    "open_question": "Invite the client to say more with an open question (what, how).",
    "self_disclosure": "The client asked you directly; a brief, honest answer about yourself, "
    "then hand the focus straight back (Hill & Knox).",
    "closed_question": "A short yes/no check would fit here.",
    "advice": "The client asked for a suggestion; offer one, briefly, with permission.",
    "rigidity": "Hold the frame here.",
    "poorly_timed_self_disclosure": "Disclose briefly, at a calm moment, and hand the focus back.",
}
PITFALL_FOUND = {
    "advice": "It gives advice or a solution; hold it until the client feels understood, "
    "and ask permission first.",
    "closed_question": "It asks a yes/no question; say what you heard as a statement instead.",
    "open_question": "It asks a question where a response to what was said was needed; say "
    "what you heard first.",
    "rigidity": "It holds to your plan against the client's pushback; follow the client's "
    "lead and adapt the task.",
    "self_disclosure": "It brings in your own experience, which pulls the focus to you here.",
    "poorly_timed_self_disclosure": "The disclosure comes at the wrong moment or keeps the "
    "focus on you (Hill & Knox).",
    "reflection": "It reflects where something else was needed.",
    "warmth": "It reassures where something else was needed.",
    "collaboration": "It hands the choice back where the client needed a clear answer.",
    "repair": "It apologises where no strain was there.",
}
AVOIDED = "It steers clear of the pitfalls here ({names})."
FOCUS_CHANGE = (
    "Most of it is about you ({first} first-person words against {second} about the "
    "client); turn it back to the client's experience."
)
NO_HAND_BACK = (
    "After disclosing, hand the focus back to the client (a 'you' question or reflection)."
)
SHORT_CHANGE = "It is very short; say a full sentence the client could respond to."
LONG_CHANGE = "It is long ({words} words); in session, say less and let the client talk."
NOT_CLEAR = (
    "It does not yet show the skill clearly (score {score:.2f}, {threshold} passes); "
    "compare it with the model response and check it against: {first}."
)
TRY_AGAIN = "Try another version in different words: repetition with variation builds the skill."


class DrillTagger(Protocol):
    """What scoring needs from the tagger (``assistant.tagging.Tagger`` has both).

    A tagger that also has ``transform(transcripts)`` gets the answer and its sentences
    in one batch.
    """

    def transform_turn(
        self,
        text: str,
        role: Role = Role.THERAPIST,
        context: Sequence[Turn] | None = None,
        position: float | None = None,
    ) -> Turn: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class DrillScore(BaseModel):
    """The result of one attempt: the score, its parts, and the feedback."""

    item_id: str
    skill: str
    level: str
    score: float = Field(ge=0, le=1)
    passed: bool
    components: dict[str, float] = Field(
        description="target, pitfall, closeness (0..1) and the focus and length factors"
    )
    tags: list[str] = Field(description="tags the tagger gave the answer")
    target_scores: dict[str, float] = Field(description="probability of each target tag")
    pitfall_scores: dict[str, float] = Field(description="probability of each avoid tag")
    worked: list[str] = Field(description="what worked, specifically")
    change: list[str] = Field(description="what to change, specifically")
    model_response: str = Field(description="the model response nearest to the answer")
    model_responses: list[str]
    criteria: list[str]
    pitfalls: list[str]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def focus_counts(text: str) -> tuple[int, int]:
    """First-person and second-person words in ``text``.

    Tentative, attending phrases ("I wonder", "I'm hearing", "I'd like to understand")
    are about the client, so their "I" does not count as focus on the therapist.
    """
    lower = ATTENDING.sub(" ", text.lower().replace("\u2019", "'"))
    words = _words(lower)
    first = sum(w in FIRST_PERSON for w in words)
    return first, sum(w in SECOND_PERSON for w in words)


def therapist_focused(first: int, second: int) -> bool:
    """Mostly about the therapist: at least 3 I/me/my words and over twice the you/your."""
    return first >= 3 and first > 2 * max(1, second)


def closeness(similarity: float) -> float:
    span = SIMILARITY_CEILING - SIMILARITY_FLOOR
    return float(min(1.0, max(0.0, (similarity - SIMILARITY_FLOOR) / span)))


def sentences(text: str) -> list[str]:
    """The answer's sentences (trainees mix acts: a reflection, then a question)."""
    return [part for part in _SENTENCE.split(text.strip()) if _WORD.search(part.lower())]


def _tag_texts(texts: list[str], client: Turn, tagger: DrillTagger) -> list[Turn]:
    """Each text tagged as the therapist's reply to ``client``, in one batch if possible.

    A batch is the same two-turn transcript ``Tagger.transform_turn`` builds for one
    reply at ``DRILL_POSITION`` of a 120-turn session; one encoder pass for all texts.
    """
    if not hasattr(tagger, "transform") or len(texts) == 1:
        return [
            tagger.transform_turn(
                text, role=Role.THERAPIST, context=[client], position=DRILL_POSITION
            )
            for text in texts
        ]
    index = max(1, round(DRILL_POSITION * (SESSION_TURNS - 1)))
    transcripts = [
        Transcript(
            id=f"drill-answer-{n}",
            turns=[
                client.model_copy(update={"index": index - 1}),
                Turn(index=index, speaker="T", role=Role.THERAPIST, text=text),
            ],
            source={"session_length": SESSION_TURNS},
        )
        for n, text in enumerate(texts)
    ]
    return [coded.turns[-1] for coded in tagger.transform(transcripts)]


def _tag_answer(
    answer: str, client: Turn, tagger: DrillTagger
) -> tuple[dict[str, float], list[str], bool]:
    """Probabilities and tags of the whole answer and of each of its sentences.

    A tag's probability is the highest over the whole answer and its sentences: a
    reflection followed by a closed question did reflect, and did ask.
    """
    parts = sentences(answer)
    texts = [answer, *parts[:MAX_SENTENCES]] if len(parts) > 1 else [answer]
    units = _tag_texts(texts, client, tagger)
    probs: dict[str, float] = {}
    tags: list[str] = []
    for unit in units:
        for tag, p in unit.scores.items():
            probs[tag] = max(probs.get(tag, 0.0), float(p))
        tags += [tag for tag in unit.tags if tag not in tags]
    complex_reflection = any(
        "reflection" in unit.tags and unit.attribute("reflection", "depth") == "complex"
        for unit in units
    )
    return probs, tags, complex_reflection


def score_answer(item: DrillItem, answer: str, tagger: DrillTagger) -> DrillScore:
    """Tag the answer in the context of the client statement and score it (see module)."""
    answer = answer.strip()
    if not answer:
        raise ValidationError("the answer is empty; type what you would say to the client")
    answer = answer[:MAX_ANSWER_CHARS]
    client = Turn(index=0, speaker="C", role=Role.CLIENT, text=item.client_statement)
    probs, tags, complex_reflection = _tag_answer(answer, client, tagger)

    targets = {tag: probs.get(tag, 0.0) for tag in item.target_tags}
    if targets:
        target_part = sum(targets.values()) / len(targets)
        targets_met = all(tag in tags for tag in targets)
    else:
        fallback = {tag: probs.get(tag, 0.0) for tag in CLIENT_FOCUSED}
        best = max(fallback, key=fallback.get)
        target_part = fallback[best]
        targets_met = any(tag in tags for tag in CLIENT_FOCUSED)
    pitfalls = {tag: probs.get(tag, 0.0) for tag in item.avoid_tags}
    pitfall_part = max(pitfalls.values(), default=0.0)
    pitfalls_found = [tag for tag in item.avoid_tags if tag in tags]

    vectors = np.asarray(tagger.encode([answer, *item.model_responses]), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.clip(norms, 1e-9, None)
    similarities = vectors[1:] @ vectors[0]
    nearest = int(np.argmax(similarities))
    close_part = closeness(float(similarities[nearest]))

    first, second = focus_counts(answer)
    disclosure_asked = "self_disclosure" in item.target_tags
    focus = 1.0
    # Owning one's part ("I pushed you there") is the repair skill itself (3RS).
    repair_asked = "repair" in item.target_tags and "self_disclosure" not in tags
    if not disclosure_asked and not repair_asked and therapist_focused(first, second):
        focus = FOCUS_FACTOR
    elif disclosure_asked and second == 0:
        focus = NO_HAND_BACK_FACTOR
    n_words = len(_words(answer))
    length = SHORT_FACTOR if n_words < SHORT_WORDS else LONG_FACTOR if n_words > LONG_WORDS else 1.0

    base = (
        WEIGHTS["target"] * target_part
        + WEIGHTS["pitfall"] * (1.0 - pitfall_part)
        + WEIGHTS["closeness"] * close_part
    )
    score = round(base * focus * length, 4)
    passed = score >= PASS_SCORE and targets_met and not pitfalls_found

    worked, change = _feedback(
        item,
        tags,
        complex_reflection,
        targets,
        pitfalls_found,
        close_part,
        focus,
        length,
        (first, second),
        n_words,
    )
    if passed and not change:
        change.append(TRY_AGAIN)
    elif not passed and not change:
        change.append(NOT_CLEAR.format(score=score, threshold=PASS_SCORE, first=item.criteria[0]))
    return DrillScore(
        item_id=item.id,
        skill=item.skill,
        level=item.level,
        score=score,
        passed=passed,
        components={
            "target": round(target_part, 4),
            "pitfall": round(pitfall_part, 4),
            "closeness": round(close_part, 4),
            "focus": focus,
            "length": length,
        },
        tags=tags,
        target_scores={tag: round(p, 4) for tag, p in targets.items()},
        pitfall_scores={tag: round(p, 4) for tag, p in pitfalls.items()},
        worked=worked,
        change=change,
        model_response=item.model_responses[nearest],
        model_responses=list(item.model_responses),
        criteria=list(item.criteria),
        pitfalls=list(item.pitfalls),
    )


def _feedback(
    item: DrillItem,
    tags: list[str],
    complex_reflection: bool,
    targets: dict[str, float],
    pitfalls_found: list[str],
    close_part: float,
    focus: float,
    length: float,
    counts: tuple[int, int],
    n_words: int,
) -> tuple[list[str], list[str]]:
    """What worked and what to change, each line about this answer."""
    worked: list[str] = []
    change: list[str] = []
    for tag, p in targets.items():
        if tag in tags:
            line = f"It reads as {TAG_NAMES[tag]} (confidence {p:.2f})."
            if tag == "reflection" and complex_reflection:
                line = (
                    f"It reads as a complex reflection (confidence {p:.2f}): it adds "
                    "meaning beyond the client's words."
                )
            worked.append(line)
        else:
            change.append(MISSING_TARGET[tag] + f" (tagger: {TAG_NAMES[tag]} {p:.2f})")
    if not targets:
        present = [tag for tag in CLIENT_FOCUSED if tag in tags]
        if present:
            names = ", ".join(TAG_NAMES[tag] for tag in present)
            worked.append(f"It stays with the client: {names}.")
        else:
            change.append(
                "Respond to what the client said (reflect it, validate it, or ask about it) "
                "rather than to your own experience."
            )
    if item.avoid_tags and not pitfalls_found:
        worked.append(AVOIDED.format(names=", ".join(TAG_NAMES[t] for t in item.avoid_tags)))
    change += [PITFALL_FOUND[tag] for tag in pitfalls_found]
    if close_part >= 0.5:
        worked.append("It is close in meaning to a model response.")
    first, second = counts
    if focus == FOCUS_FACTOR:
        change.append(FOCUS_CHANGE.format(first=first, second=second))
    elif focus == NO_HAND_BACK_FACTOR:
        change.append(NO_HAND_BACK)
    elif "self_disclosure" in item.target_tags and "self_disclosure" in tags:
        worked.append("It answers briefly and hands the focus back to the client.")
    if length == SHORT_FACTOR:
        change.append(SHORT_CHANGE)
    elif length == LONG_FACTOR:
        change.append(LONG_CHANGE.format(words=n_words))
    return worked, change
