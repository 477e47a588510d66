"""``build_feedback``: a coded transcript and its profile in, one coaching note out.

The note follows deliberate practice (Rousmaniere; Miller's feedback-informed
treatment): at most two strengths with the turns that show them, one growth edge
chosen by the rules in ``rules.py``, the moment it mattered, two or three responses to
try instead, a client statement to rehearse, a reflective question, and a self-care
prompt when the session shows strain. Every quote is checked against the transcript
before the note is returned.
"""

from __future__ import annotations

import logging
import zlib
from statistics import mean

from assistant.drills.session import rehearse_id
from assistant.feedback.alternatives import TurnTagger, suggest_alternatives
from assistant.feedback.quotes import quote_turn, verify_quotes
from assistant.feedback.rules import (
    RIGIDITY_MAX_PER_10,
    EdgeChoice,
    choose_growth_edge,
    turn_number,
)
from assistant.feedback.schema import Confidence, Feedback, Moment, Rehearse
from assistant.feedback.strengths import choose_strengths, cue_focus
from assistant.feedback.texts import FeedbackTexts, load_exemplars, load_feedback_texts
from assistant.measures import SessionMeasures
from assistant.model import Transcript, Turn
from assistant.profile import SessionProfile

logger = logging.getLogger(__name__)

NO_EDGE_NOTE = (
    "No growth edge was chosen: without ruptures or poorly timed disclosure, a growth edge "
    "needs the rates of a longer session."
)
# Strain that earns a self-care prompt (docs/feedback.md).
STRAIN_RUPTURES = 3
STRAIN_UNREPAIRED = 2
# Mean tag probability of the cited turns below which confidence is lowered.
CONFIDENT_PROBABILITY = 0.75
UNSURE_PROBABILITY = 0.6
# The tag that made a turn part of the moment, by growth-edge skill.
MOMENT_TAGS = {
    "withdrawal_rupture": ("rupture_withdrawal", None),
    "confrontation_rupture": ("rupture_confrontation", None),
    "self_disclosure": (None, "poorly_timed_self_disclosure"),
    "flexibility": (None, "rigidity"),
}


def _pick(options: tuple[str, ...], key: str) -> str:
    """A stable choice: the same session always gets the same wording."""
    return options[zlib.crc32(key.encode("utf-8")) % len(options)]


def _strain(profile: SessionProfile) -> str | None:
    """Why the session looks straining for the clinician, or None."""
    unrepaired = sum(1 for r in profile.ruptures if not r.repaired)
    rigidity = profile.per_10_therapist_turns.get("rigidity", 0.0)
    if len(profile.ruptures) >= STRAIN_RUPTURES:
        return "ruptures"
    if unrepaired >= STRAIN_UNREPAIRED:
        return "ruptures"
    if profile.sufficient and rigidity > RIGIDITY_MAX_PER_10:
        return "rigidity"
    return None


def _self_care(profile: SessionProfile, texts: FeedbackTexts) -> str | None:
    strain = _strain(profile)
    if strain is None:
        return None
    if strain == "rigidity":
        return texts.self_care[-1]
    return _pick(texts.self_care[:-1] or texts.self_care, profile.conversation_id)


def _cited_probabilities(
    transcript: Transcript, feedback: Feedback, choice: EdgeChoice | None
) -> list[float]:
    probs: list[float] = []
    for strength in feedback.strengths:
        for quote in strength.quotes:
            turn = transcript.turn(quote.index)
            probs += [turn.scores[tag] for tag in turn.tags if tag in turn.scores]
    if choice is not None:
        client_tag, therapist_tag = MOMENT_TAGS.get(choice.edge.skill, (None, None))
        for turn, tag in ((choice.client, client_tag), (choice.therapist, therapist_tag)):
            if turn is not None and tag and tag in turn.scores:
                probs.append(turn.scores[tag])
    return probs


def _confidence(
    transcript: Transcript, profile: SessionProfile, feedback: Feedback, choice: EdgeChoice | None
) -> tuple[Confidence, str]:
    if profile.therapist_turns == 0:
        return "low", "There are no therapist turns to base feedback on."
    if not profile.sufficient:
        return "low", (
            f"Only {profile.therapist_turns} therapist turns: too few for stable rates, so read "
            "this note as a first impression."
        )
    probs = _cited_probabilities(transcript, feedback, choice)
    unchecked = any(not alt.checked for alt in feedback.try_instead)
    if not probs:
        level: Confidence = "medium" if unchecked else "high"
        return (
            level,
            "The tags came with no probabilities (hand-coded or imported), so they are taken as given.",
        )
    avg = mean(probs)
    if avg < UNSURE_PROBABILITY:
        return "low", (
            f"The tagger was unsure about the turns this note rests on (mean probability {avg:.2f}); "
            "check them against your own reading."
        )
    if avg < CONFIDENT_PROBABILITY or unchecked:
        reason = f"Mean tag probability of the cited turns {avg:.2f}."
        if unchecked:
            reason += " The alternatives were not checked by the tagger."
        return "medium", reason
    return (
        "high",
        f"Mean tag probability of the cited turns {avg:.2f}, from {profile.therapist_turns} therapist turns.",
    )


def _moment(choice: EdgeChoice) -> Moment:
    client_tag, therapist_tag = MOMENT_TAGS.get(choice.edge.skill, (None, None))

    def quote(turn: Turn | None, tag: str | None):
        if turn is None:
            return None
        return quote_turn(turn, cue_focus(turn, tag) if tag else None)

    return Moment(
        client_turn=quote(choice.client, client_tag),
        therapist_turn=quote(choice.therapist, therapist_tag),
        why=choice.why,
    )


def _measure_notes(measures: SessionMeasures | None) -> list[str]:
    if measures is None or measures.srs is None:
        return []
    srs = measures.srs
    notes = []
    if srs.alliance_concern:
        notes.append(
            f"The client's SRS total was {srs.total:g} of 40 (36 or below): their own rating "
            "suggests asking how the session went for them, early next time."
        )
    if srs.items_to_check_in:
        items = ", ".join(item.replace("_", " ") for item in srs.items_to_check_in)
        notes.append(f"SRS items under 9 worth a check-in (practitioner guidance): {items}.")
    return notes


def build_feedback(
    transcript: Transcript,
    profile: SessionProfile,
    tagger: TurnTagger | None = None,
    measures: SessionMeasures | None = None,
    texts: FeedbackTexts | None = None,
) -> Feedback:
    """The deliberate-practice note for a coded transcript (tags already on the turns)."""
    texts = texts or load_feedback_texts()
    # The profile's own note (too short, no therapist turns) is the confidence reason.
    notes: list[str] = []
    feedback = Feedback(conversation_id=transcript.id)
    if profile.therapist_turns == 0:
        feedback.confidence, feedback.confidence_reason = _confidence(
            transcript, profile, feedback, None
        )
        feedback.notes = notes + _measure_notes(measures)
        return feedback

    choice = choose_growth_edge(transcript, profile, texts)
    edge_skill = choice.edge.skill if choice else None
    feedback.strengths = choose_strengths(transcript, profile, texts, edge_skill)
    if not feedback.strengths:
        notes.append("No strength had enough tagged turns behind it to quote.")
    if choice is None:
        notes.append(NO_EDGE_NOTE)
    else:
        feedback.growth_edge = choice.edge
        feedback.moment = _moment(choice)
        alternatives, alt_notes = suggest_alternatives(
            choice.edge.skill, choice.edge.focus, choice.client, texts, load_exemplars(), tagger
        )
        feedback.try_instead = alternatives
        notes += alt_notes
        if feedback.moment.client_turn is not None:
            statement = feedback.moment.client_turn.quote
            feedback.rehearse = Rehearse(
                client_statement=statement,
                turn_index=feedback.moment.client_turn.index,
                skill=choice.edge.skill,
                drill_item_id=rehearse_id(statement, choice.edge.skill),
            )
        question = _pick(
            texts.skills[choice.edge.skill].reflective_questions,
            f"{transcript.id}:{choice.edge.skill}",
        )
        feedback.reflective_question = question.format(
            turn=turn_number(choice.client), therapist_turn=turn_number(choice.therapist)
        )
    feedback.self_care = _self_care(profile, texts)
    feedback.notes = notes + _measure_notes(measures)
    feedback.confidence, feedback.confidence_reason = _confidence(
        transcript, profile, feedback, choice
    )
    return verify_quotes(feedback, transcript, on_invalid="raise")
