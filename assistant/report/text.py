"""The session report as Markdown (for notes and supervision) and as JSON (for tools)."""

from __future__ import annotations

import json
from typing import Any

from assistant.feedback.build import NO_EDGE_NOTE
from assistant.feedback.quotes import verify_quotes
from assistant.feedback.schema import Feedback, TurnQuote
from assistant.measures import SessionMeasures
from assistant.model import Transcript
from assistant.profile import SessionProfile
from assistant.report.style import clock, tag_style


def _md(text: str) -> str:
    """Text safe inside Markdown: no HTML, no accidental emphasis or links."""
    out = text.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;")
    for char in "*_`[]|":
        out = out.replace(char, "\\" + char)
    return " ".join(out.split())


def _quote(quote: TurnQuote) -> str:
    when = f", {clock(quote.time)}" if quote.time is not None else ""
    more = " …" if quote.partial else ""
    return f"> **{_md(quote.speaker)}, turn {quote.index + 1}{when}:** {_md(quote.quote)}{more}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}:1"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def render_markdown(
    transcript: Transcript,
    profile: SessionProfile,
    feedback: Feedback,
    measures: SessionMeasures | None = None,
    *,
    model_name: str | None = None,
) -> str:
    verify_quotes(feedback, transcript, on_invalid="raise")
    lines = [f"# Session report: {_md(transcript.id)}", ""]
    meta = f"{profile.turns} turns, {profile.therapist_turns} therapist turns"
    if model_name:
        meta += f"; tags by {_md(model_name)}"
    lines += [meta, "", f"## Coaching note (confidence: {feedback.confidence})", ""]
    if feedback.confidence == "low":
        lines += [f"*Low confidence:* {_md(feedback.confidence_reason)}", ""]
    lines += ["### What went well", ""]
    if not feedback.strengths:
        lines += ["No strength had enough tagged turns behind it to quote.", ""]
    for strength in feedback.strengths:
        lines += [f"**{_md(strength.title)}.** {_md(strength.sentence)}", ""]
        lines += [_quote(q) + "\n" for q in strength.quotes]
    lines += ["### One growth edge", ""]
    edge = feedback.growth_edge
    if edge is None:
        reason = (
            NO_EDGE_NOTE if NO_EDGE_NOTE in feedback.notes else "No growth edge could be chosen."
        )
        lines += [_md(reason), ""]
    else:
        lines += [
            f"**{_md(edge.title)}** (`{edge.skill}`)",
            "",
            _md(edge.rule_reason),
            "",
            f"*{_md(edge.explanation)}*",
            "",
        ]
    if feedback.moment is not None:
        lines += ["### The moment", "", _md(feedback.moment.why), ""]
        lines += [
            _quote(q) + "\n"
            for q in (feedback.moment.client_turn, feedback.moment.therapist_turn)
            if q
        ]
    if feedback.try_instead:
        lines += ["### Try instead", ""]
        for number, alt in enumerate(feedback.try_instead, 1):
            check = (
                f"checked: {', '.join(alt.checked_tags)}"
                + (f", p = {alt.score:.2f}" if alt.score is not None else "")
                if alt.checked
                else "not checked"
            )
            lines.append(f"{number}. \u201c{_md(alt.text)}\u201d ({alt.source}; {check})")
        lines.append("")
    if feedback.rehearse is not None:
        lines += [
            "### Rehearse",
            "",
            f"> {_md(feedback.rehearse.client_statement)}",
            "",
            f"Skill to drill: `{feedback.rehearse.skill}`"
            + (
                f", drill item `{feedback.rehearse.drill_item_id}`."
                if feedback.rehearse.drill_item_id
                else "."
            ),
            "",
        ]
    if feedback.reflective_question:
        lines += ["### A question to reflect on", "", f"*{_md(feedback.reflective_question)}*", ""]
    if feedback.self_care:
        lines += ["### And for you", "", _md(feedback.self_care), ""]
    notes = [n for n in feedback.notes if n != NO_EDGE_NOTE]
    if notes:
        lines += ["### Notes", ""] + [f"- {_md(n)}" for n in notes] + [""]
    lines += ["## Profile", ""]
    if profile.note:
        lines += [f"*{_md(profile.note)}*", ""]
    lines += [
        "| measure | value | reference (MITI 4.2.1) |",
        "|---|---|---|",
        f"| reflection : question | {_ratio(profile.reflection_to_question)} | fair 1:1, good 2:1 |",
        f"| complex reflections | {_pct(profile.percent_complex_reflections)} | fair 40%, good 50% |",
        f"| open questions | {_pct(profile.percent_open_questions)} | none |",
        f"| ruptures repaired | {profile.ruptures_repaired} of {len(profile.ruptures)} | |",
        f"| therapist talk share (words) | {_pct(profile.therapist_talk_share_words)} | |",
    ]
    if profile.overall is not None:
        lines.append(f"| practice index (not the alliance) | {profile.overall:g}/100 | |")
    lines.append("")
    if measures is not None and measures.srs is not None:
        concern = " (36 or below: an alliance concern)" if measures.srs.alliance_concern else ""
        lines += [f"SRS total {measures.srs.total:g}/40{concern}.", ""]
    if measures is not None and measures.ors is not None:
        lines += [f"ORS total {measures.ors.total:g}/40.", ""]
    lines += ["## Transcript", ""]
    for turn in transcript.turns:
        tags = ", ".join(tag_style(t).label or t for t in turn.tags)
        when = f" ({clock(turn.start)})" if turn.start is not None else ""
        suffix = f" *[{_md(tags)}]*" if tags else ""
        # A bullet, not "16." list syntax: Markdown would renumber a list with gaps.
        lines.append(
            f"- `{turn.index + 1}` **{_md(turn.speaker)}**{when}: {_md(turn.text)}{suffix}"
        )
    lines.append("")
    return "\n".join(lines)


def report_data(
    transcript: Transcript,
    profile: SessionProfile,
    feedback: Feedback,
    measures: SessionMeasures | None = None,
    *,
    model_name: str | None = None,
) -> dict[str, Any]:
    from assistant.io import turn_record

    verify_quotes(feedback, transcript, on_invalid="raise")
    return {
        "conversation_id": transcript.id,
        "model": model_name,
        "feedback": feedback.model_dump(mode="json"),
        "profile": profile.to_dict(),
        "measures": measures.model_dump(mode="json") if measures is not None else None,
        "turns": [turn_record(transcript, turn) for turn in transcript.turns],
    }


def render_json(
    transcript: Transcript,
    profile: SessionProfile,
    feedback: Feedback,
    measures: SessionMeasures | None = None,
    *,
    model_name: str | None = None,
) -> str:
    data = report_data(transcript, profile, feedback, measures, model_name=model_name)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
