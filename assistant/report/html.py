"""The session report as one self-contained HTML file (inline CSS and SVG, no scripts).

Feedback first, then the profile with its plots, then the annotated transcript.
Everything taken from the transcript is HTML-escaped; nothing is fetched from the
network, so the file opens the same offline, from an email or a USB stick.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from assistant.feedback.build import NO_EDGE_NOTE
from assistant.feedback.quotes import verify_quotes
from assistant.feedback.schema import Alternative, Feedback, TurnQuote
from assistant.measures import ORS, ORS_ITEMS, SRS, SRS_ITEMS, SessionMeasures
from assistant.model import Transcript, Turn
from assistant.profile import PCT_COMPLEX_THRESHOLDS, RQ_THRESHOLDS, SessionProfile
from assistant.report.style import TAG_STYLES, clock, tag_style
from assistant.report.svg import gauge_svg, thirds_svg, timeline_svg

SKILL_NAMES = {
    "reflection": "reflection",
    "warmth_validation": "warmth and validation",
    "collaboration": "collaboration",
    "withdrawal_rupture": "repairing withdrawal ruptures",
    "confrontation_rupture": "repairing confrontation ruptures",
    "self_disclosure": "self-disclosure",
    "flexibility": "flexibility",
}

CSS = """
:root { --ink:#1f2933; --muted:#5f6b7a; --line:#e3e6ea; --paper:#fbfaf7; --card:#ffffff;
  --accent:#0072B2; --soft:#eef5fb; --warm:#fff7e6; --client:#f6f7f9; --moment:#E69F00; }
* { box-sizing: border-box; }
html { background: var(--paper); }
body { margin: 0; color: var(--ink); font: 16px/1.55 "Segoe UI", "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
.page { max-width: 1040px; margin: 0 auto; padding: 28px 28px 60px; }
header.top { display:flex; justify-content:space-between; align-items:flex-end; gap:16px;
  border-bottom: 1px solid var(--line); padding-bottom: 14px; margin-bottom: 22px; }
header.top h1 { font-size: 26px; font-weight: 600; margin: 0; letter-spacing: -0.01em; }
header.top .sub { color: var(--muted); font-size: 14px; margin-top: 4px; }
nav.toc a { color: var(--muted); text-decoration: none; margin-left: 16px; font-size: 14px; }
nav.toc a:hover { color: var(--accent); }
h2 { font-size: 20px; font-weight: 600; margin: 0 0 14px; }
h3 { font-size: 15px; font-weight: 600; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
section { margin-bottom: 30px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 22px 24px; }
.note-head { display:flex; justify-content:space-between; align-items:center; gap:12px; margin-bottom: 16px; }
.note-head h2 { margin: 0; }
.badge { font-size: 13px; padding: 3px 10px; border-radius: 999px; border: 1px solid var(--line); color: var(--muted); white-space: nowrap; }
.badge.low { background: #fff1e6; border-color: #f0b27a; color: #8a4b0f; }
.badge.medium { background: #f4f6f8; }
.badge.high { background: #eaf6f1; border-color: #9ad3bc; color: #0b5e45; }
.grid2 { display:grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.block { padding: 14px 16px; border-radius: 10px; background: #fafbfc; border: 1px solid var(--line); }
.block.edge { background: var(--soft); border-color: #cfe3f3; }
.strength + .strength { margin-top: 12px; padding-top: 12px; border-top: 1px dashed var(--line); }
.strength .title, .edge .title { font-weight: 600; }
.edge .title { font-size: 18px; }
.why { margin: 6px 0; }
.lit { color: var(--muted); font-size: 14px; }
blockquote { margin: 8px 0 0; padding: 6px 12px; border-left: 3px solid var(--line); background: #fff; border-radius: 0 6px 6px 0; }
blockquote .who { display:block; font-size: 12.5px; color: var(--muted); }
blockquote .who a { color: inherit; }
.moment { margin-top: 18px; }
.moment .pair { display:grid; grid-template-columns: 1fr; gap: 8px; }
.moment blockquote { border-left-color: var(--moment); margin: 0; }
.edge .moment { margin-top: 16px; padding-top: 14px; border-top: 1px solid #cfe3f3; }
.try { margin-top: 20px; }
.try ol { margin: 6px 0 0; padding-left: 22px; }
.try li { margin-bottom: 8px; }
.try .alt { font-size: 16.5px; }
.try .meta { display:block; font-size: 12.5px; color: var(--muted); }
.rehearse { margin-top: 18px; display:grid; grid-template-columns: 1.1fr 1fr; gap: 18px; }
.statement { font-size: 18px; padding: 12px 16px; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
.question { font-size: 17px; font-style: italic; }
.selfcare { margin-top: 18px; background: var(--warm); border: 1px solid #f3dcae; border-radius: 10px; padding: 12px 16px; }
.notes { margin: 14px 0 0; padding-left: 18px; color: var(--muted); font-size: 14px; }
.metrics { display:grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-bottom: 18px; }
.metric { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.metric .v { font-size: 24px; font-weight: 600; }
.metric .l { font-size: 13px; color: var(--muted); }
.gauges { display:grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.plotbox { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 14px 16px; margin-top: 16px; }
.plotbox h3 { margin-bottom: 4px; }
.caption { font-size: 13px; color: var(--muted); margin: 2px 0 6px; }
svg text { font-family: inherit; font-size: 12px; fill: var(--ink); }
svg .axis { fill: var(--muted); font-size: 11.5px; }
svg .row-label { font-size: 12.5px; }
svg .count { fill: var(--muted); }
svg .moment-label { font-size: 11.5px; font-weight: 600; }
svg .gauge-value { font-size: 15px; font-weight: 600; }
.measures { display:grid; grid-template-columns: 1fr 1fr; gap: 18px; margin-top: 16px; }
.measure table { width: 100%; border-collapse: collapse; font-size: 14px; }
.measure td { padding: 3px 0; }
.measure .bar { height: 8px; background: #e5e7eb; border-radius: 4px; position: relative; }
.measure .bar span { position:absolute; left:0; top:0; bottom:0; background: var(--accent); border-radius: 4px; }
.measure .flag { color: #8a4b0f; }
.parts { font-size: 13.5px; color: var(--muted); }
.legend { display:flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 12px; }
.turns { background: var(--card); border: 1px solid var(--line); border-radius: 12px; }
.turn { display:grid; grid-template-columns: 86px 1fr; gap: 12px; padding: 10px 16px; border-top: 1px solid var(--line); }
.turn:first-child { border-top: 0; }
.turn.client { background: var(--client); }
.turn.is-moment { box-shadow: inset 4px 0 0 var(--moment); }
.turn .meta { font-size: 12.5px; color: var(--muted); }
.turn .meta a { color: inherit; text-decoration: none; font-weight: 600; }
.turn .speaker { display:block; }
.turn .text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.chips { margin-top: 6px; display:flex; flex-wrap: wrap; gap: 6px; }
.chip { position: relative; display:inline-block; font-size: 12px; line-height: 1; padding: 4px 8px; border-radius: 999px;
  border: 1.5px solid transparent; cursor: help; }
.chip.outline { background: #fff !important; }
.chip.dashed { border-style: dashed; }
.chip .tip { display:none; position:absolute; z-index: 5; left: 0; top: 130%; width: max-content; max-width: 340px;
  background: #1f2933; color: #fff; padding: 8px 10px; border-radius: 6px; font-size: 12.5px; line-height: 1.4; white-space: normal; }
.chip:hover .tip, .chip:focus .tip { display:block; }
.flagline { font-size: 12.5px; margin-top: 4px; }
.flagline.open { color: #8a4b0f; }
.flagline.closed { color: #0b5e45; }
.flagline a, blockquote .who a { color: inherit; }
.momentflag { font-size: 12px; font-weight: 600; color: #8a5a00; }
footer { color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 14px; }
@media (max-width: 760px) { .grid2, .moment .pair, .rehearse, .metrics, .gauges, .measures { grid-template-columns: 1fr; } }
@media print { .chip .tip { display:none !important; } .card, .plotbox, .turns { break-inside: avoid; } }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _turn_label(index: int, time: float | None) -> str:
    label = f"turn {index + 1}"
    return f"{label}, {clock(time)}" if time is not None else label


def _quote(quote: TurnQuote) -> str:
    text = _e(quote.quote) + (" …" if quote.partial else "")
    who = f'{_e(quote.speaker)} · <a href="#turn-{quote.index + 1}">{_turn_label(quote.index, quote.time)}</a>'
    return f'<blockquote><span class="who">{who}</span>{text}</blockquote>'


def _chip(tag: str, turn: Turn | None = None, note: str | None = None) -> str:
    style = tag_style(tag)
    classes = (
        ["chip"] + (["outline"] if style.outline else []) + (["dashed"] if style.dashed else [])
    )
    label = style.label or tag
    if turn is not None:
        attr = turn.attribute(tag, "depth") or turn.attribute(tag, "permission")
        if attr:
            label += f" · {attr}"
    tip_lines = [f"<strong>{_e(style.label or tag)}</strong>"]
    plain = [style.label or tag]
    if turn is not None:
        if tag in turn.scores:
            tip_lines.append(f"probability {turn.scores[tag]:.2f}")
            plain.append(f"probability {turn.scores[tag]:.2f}")
        else:
            tip_lines.append("no probability (tag given in the file)")
            plain.append("tag given in the file")
        for name, value in turn.attributes.get(tag, {}).items():
            tip_lines.append(f"{_e(name)}: {_e(value.replace('_', ' '))}")
            plain.append(f"{name}: {value}")
        for item in turn.evidence.get(tag, [])[:3]:
            detail = {"cue": "cue", "example": "like codebook example", "rule": "rule"}.get(
                item.kind, item.kind
            )
            sim = f" ({item.similarity:.2f})" if item.similarity is not None else ""
            tip_lines.append(f"{_e(detail)}{sim}: “{_e(item.text)}”")
            plain.append(f"{detail}{sim}: {item.text}")
    if note:
        tip_lines.append(_e(note))
        plain.append(note)
    colour = style.colour
    text_colour = (
        style.colour if style.outline and style.colour not in ("#56B4E9", "#F0E442") else style.text
    )
    if style.outline and style.colour == "#56B4E9":
        text_colour = "#1f5f86"
    css = f"background:{colour};color:{text_colour};border-color:{colour}"
    return (
        f'<span class="{" ".join(classes)}" style="{css}" tabindex="0" title="{_e(" · ".join(plain))}">'
        f'{_e(label)}<span class="tip" role="tooltip">{"<br>".join(tip_lines)}</span></span>'
    )


def _no_edge_reason(feedback: Feedback) -> str:
    if NO_EDGE_NOTE in feedback.notes:
        return NO_EDGE_NOTE
    return "No growth edge could be chosen from this transcript."


def _alternative(alt: Alternative) -> str:
    bits = []
    if alt.checked:
        tags = " ".join(_chip(tag) for tag in alt.checked_tags)
        score = f" · p = {alt.score:.2f}" if alt.score is not None else ""
        bits.append(f"checked by the tagger{score} {tags}")
    else:
        bits.append("not checked (no tagger)")
    source = (
        "from a template filled with the client's words"
        if alt.source == "template"
        else "from the exemplar bank"
    )
    if alt.similarity is not None:
        source += f" (similarity {alt.similarity:.2f})"
    bits.append(source)
    return f'<li><span class="alt">“{_e(alt.text)}”</span><span class="meta">{" · ".join(bits)}</span></li>'


def _feedback_section(feedback: Feedback) -> str:
    parts = [
        '<section id="feedback" class="card">',
        '<div class="note-head"><h2>Coaching note</h2>'
        f'<span class="badge {feedback.confidence}" title="{_e(feedback.confidence_reason)}">'
        f"confidence: {feedback.confidence}</span></div>",
    ]
    if feedback.confidence == "low":
        parts.append(
            f'<p class="lit"><strong>Low confidence.</strong> {_e(feedback.confidence_reason)}</p>'
        )
    strengths = (
        "".join(
            f'<div class="strength"><div class="title">{_e(s.title)}</div><p class="why">{_e(s.sentence)}</p>'
            + "".join(_quote(q) for q in s.quotes)
            + "</div>"
            for s in feedback.strengths
        )
        or '<p class="lit">No strength had enough tagged turns behind it to quote.</p>'
    )
    edge = feedback.growth_edge
    if edge is not None:
        edge_html = (
            f'<div class="title">{_e(edge.title)}</div>'
            f'<p class="why">{_e(edge.rule_reason)}</p><p class="lit">{_e(edge.explanation)}</p>'
        )
    else:
        edge_html = f'<p class="lit">{_e(_no_edge_reason(feedback))}</p>'
    moment = feedback.moment
    if moment is not None:
        # The moment sits under the edge it illustrates, client then therapist.
        quotes = "".join(_quote(q) for q in (moment.client_turn, moment.therapist_turn) if q)
        edge_html += (
            f'<div class="moment"><h3>The moment</h3><p class="why">{_e(moment.why)}</p>'
            f'<div class="pair">{quotes}</div></div>'
        )
    parts.append(
        '<div class="grid2">'
        f'<div class="block"><h3>What went well</h3>{strengths}</div>'
        f'<div class="block edge"><h3>One growth edge</h3>{edge_html}</div>'
        "</div>"
    )
    if feedback.try_instead:
        items = "".join(_alternative(a) for a in feedback.try_instead)
        parts.append(f'<div class="try"><h3>Try instead</h3><ol>{items}</ol></div>')
    rehearse_html = ""
    if feedback.rehearse is not None:
        r = feedback.rehearse
        rehearse_html = (
            f'<div><h3>Rehearse</h3><div class="statement">“{_e(r.client_statement)}”</div>'
            f'<p class="lit">Say your response out loud three times, trying it a little differently each time. '
            f"Skill to drill: <strong>{_e(SKILL_NAMES.get(r.skill, r.skill))}</strong> (<code>{_e(r.skill)}</code>)"
            + (f", drill item <code>{_e(r.drill_item_id)}</code>" if r.drill_item_id else "")
            + ".</p></div>"
        )
    question_html = ""
    if feedback.reflective_question:
        question_html = f'<div><h3>A question to reflect on</h3><p class="question">{_e(feedback.reflective_question)}</p></div>'
    if rehearse_html or question_html:
        parts.append(f'<div class="rehearse">{rehearse_html}{question_html}</div>')
    if feedback.self_care:
        parts.append(f'<div class="selfcare"><h3>And for you</h3>{_e(feedback.self_care)}</div>')
    notes = [n for n in feedback.notes if n != NO_EDGE_NOTE]
    if notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}:1"


def _fmt_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _measure_rows(model: SRS | ORS, items: tuple[str, ...]) -> str:
    rows = []
    for item in items:
        value = getattr(model, item)
        flag = ' class="flag"' if isinstance(model, SRS) and value < 9 else ""
        rows.append(
            f"<tr><td{flag}>{_e(item.replace('_', ' '))}</td><td style='width:45%'><div class='bar'>"
            f"<span style='width:{value * 10:.0f}%'></span></div></td><td style='text-align:right'>{value:g}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _measures_html(measures: SessionMeasures | None) -> str:
    if measures is None or (measures.srs is None and measures.ors is None):
        return ""
    blocks = []
    if measures.srs is not None:
        srs = measures.srs
        verdict = (
            '<p class="flag">36 or below: the client\'s own rating suggests talking about the alliance.</p>'
            if srs.alliance_concern
            else '<p class="lit">Above 36: no alliance concern on the client\'s own rating.</p>'
        )
        blocks.append(
            f'<div class="measure plotbox"><h3>SRS (client-rated, session end)</h3>'
            f'<div class="metric"><span class="v">{srs.total:g}</span> <span class="l">of 40</span></div>'
            f"{_measure_rows(srs, SRS_ITEMS)}{verdict}</div>"
        )
    if measures.ors is not None:
        ors = measures.ors
        cut = 25 if ors.age_group == "adult" else 28
        verdict = (
            f'<p class="lit">Below the clinical cut-off of {cut}.</p>'
            if ors.clinical_range
            else f'<p class="lit">At or above the clinical cut-off of {cut}.</p>'
        )
        blocks.append(
            f'<div class="measure plotbox"><h3>ORS (client-rated, session start)</h3>'
            f'<div class="metric"><span class="v">{ors.total:g}</span> <span class="l">of 40</span></div>'
            f"{_measure_rows(ors, ORS_ITEMS)}{verdict}</div>"
        )
    return '<div class="measures">' + "".join(blocks) + "</div>"


def _profile_section(
    transcript: Transcript,
    profile: SessionProfile,
    feedback: Feedback,
    measures: SessionMeasures | None,
) -> str:
    repaired = (
        f"{profile.ruptures_repaired} of {len(profile.ruptures)}" if profile.ruptures else "none"
    )
    talk = profile.therapist_talk_share_time or profile.therapist_talk_share_words
    metrics = [
        (str(profile.therapist_turns), f"therapist turns (of {profile.turns})"),
        (_fmt_pct(profile.percent_open_questions), "open questions, of all questions"),
        (repaired, "ruptures repaired"),
        (
            _fmt_pct(talk),
            "therapist talk share"
            + (" (time)" if profile.therapist_talk_share_time else " (words)"),
        ),
    ]
    cards = "".join(
        f'<div class="metric"><div class="v">{_e(value)}</div><div class="l">{_e(label)}</div></div>'
        for value, label in metrics
    )
    note = f'<p class="lit"><strong>Note.</strong> {_e(profile.note)}</p>' if profile.note else ""
    gauges = (
        '<div class="gauges">'
        f'<div class="plotbox"><h3>Reflection : question</h3><p class="caption">{profile.reflections} reflections, '
        f"{profile.questions} questions. MITI 4.2.1 reference lines.</p>"
        + gauge_svg(
            "Reflection to question ratio",
            profile.reflection_to_question,
            3.0,
            *RQ_THRESHOLDS,
            fmt="{:.1f}:1",
            max_label="3:1 and above",
        )
        + f'</div><div class="plotbox"><h3>Complex reflections</h3><p class="caption">{profile.complex_reflections} of '
        f"{profile.reflections} reflections. MITI 4.2.1 reference lines.</p>"
        + gauge_svg(
            "Percent complex reflections",
            profile.percent_complex_reflections,
            1.0,
            *PCT_COMPLEX_THRESHOLDS,
            fmt="{:.0%}",
            max_label="100%",
        )
        + "</div></div>"
    )
    moment = feedback.moment
    moment_turns = (
        moment.client_turn.index if moment and moment.client_turn else None,
        moment.therapist_turn.index if moment and moment.therapist_turn else None,
    )
    per10 = ", ".join(
        f"{tag.replace('_', ' ')} {value:g}"
        for tag, value in profile.per_10_therapist_turns.items()
    )
    overall = ""
    if profile.overall is not None:
        parts = ", ".join(
            f"{k.split('.', 1)[1].replace('_', ' ')} {v:.2f}"
            for k, v in profile.overall_parts.items()
        )
        overall = (
            f'<p class="parts"><strong>Practice index {profile.overall:g}/100</strong>: alliance-building minus '
            f"alliance-straining practice as the tags show it (parts: {_e(parts)}). A description of practice, "
            "not a measure of the alliance the client feels.</p>"
        )
    return (
        '<section id="profile"><h2>Session profile</h2>'
        f'{note}<div class="metrics">{cards}</div>{gauges}'
        f"{_measures_html(measures)}"
        '<div class="plotbox"><h3>Across the session</h3>'
        '<p class="caption">Each mark is a tagged turn (hover for the turn, the tag and its probability). '
        "Triangles are ruptures; a ring means no repair followed within 4 turns; dotted curves join a rupture to its repair.</p>"
        f"{timeline_svg(transcript, profile, moment_turns)}</div>"
        '<div class="plotbox"><h3>Beginning, middle, end</h3>'
        '<p class="caption">How often each tag came up in each third of the session.</p>'
        f"{thirds_svg(profile)}</div>"
        f'<p class="parts">Per 10 therapist turns: {_e(per10)}.</p>{overall}'
        "</section>"
    )


def _transcript_section(transcript: Transcript, profile: SessionProfile, feedback: Feedback) -> str:
    moment_indices = set()
    if feedback.moment is not None:
        moment_indices = {
            q.index for q in (feedback.moment.client_turn, feedback.moment.therapist_turn) if q
        }
    ruptures = {r.turn_index: r for r in profile.ruptures}
    repairs: dict[int, list[int]] = {}
    for event in profile.ruptures:
        if event.repaired and event.repair_turn_index is not None:
            repairs.setdefault(event.repair_turn_index, []).append(event.turn_index)
    legend = "".join(_chip(tag) for tag in TAG_STYLES)
    rows = []
    for turn in transcript.turns:
        classes = ["turn", turn.role.value] + (
            ["is-moment"] if turn.index in moment_indices else []
        )
        chips = "".join(_chip(tag, turn) for tag in turn.tags)
        flags = ""
        if turn.index in ruptures:
            event = ruptures[turn.index]
            if event.repaired:
                flags += (
                    f'<div class="flagline closed">Rupture ({_e(event.type)}), repaired at '
                    f'<a href="#turn-{event.repair_turn_index + 1}">turn {event.repair_turn_index + 1}</a>.</div>'
                )
            else:
                flags += f'<div class="flagline open">Rupture ({_e(event.type)}): no repair within 4 turns.</div>'
        if turn.index in repairs:
            links = ", ".join(
                f'<a href="#turn-{index + 1}">turn {index + 1}</a>' for index in repairs[turn.index]
            )
            plural = "s" if len(repairs[turn.index]) > 1 else ""
            flags += f'<div class="flagline closed">Repair of the rupture{plural} at {links}.</div>'
        moment_flag = (
            '<span class="momentflag">the moment</span>' if turn.index in moment_indices else ""
        )
        time = f"<span>{clock(turn.start)}</span>" if turn.start is not None else ""
        rows.append(
            f'<div class="{" ".join(classes)}" id="turn-{turn.index + 1}">'
            f'<div class="meta"><a href="#turn-{turn.index + 1}">{turn.index + 1}</a> {time}'
            f'<span class="speaker">{_e(turn.speaker)}</span>{moment_flag}</div>'
            f'<div><p class="text">{_e(turn.text)}</p>'
            + (f'<div class="chips">{chips}</div>' if chips else "")
            + f"{flags}</div></div>"
        )
    return (
        '<section id="transcript"><h2>Annotated transcript</h2>'
        f'<div class="legend">{legend}</div>'
        f'<div class="turns">{"".join(rows)}</div></section>'
    )


def render_html(
    transcript: Transcript,
    profile: SessionProfile,
    feedback: Feedback,
    measures: SessionMeasures | None = None,
    *,
    model_name: str | None = None,
    generated: datetime | None = None,
) -> str:
    """The whole report as one HTML document (quotes are verified first)."""
    verify_quotes(feedback, transcript, on_invalid="raise")
    generated = generated or datetime.now().astimezone()
    source = transcript.source.get("path")
    sub = [f"{profile.turns} turns", f"generated {generated:%Y-%m-%d %H:%M}"]
    if model_name:
        sub.append(f"tags by {model_name}")
    if source:
        sub.insert(0, str(source).rsplit("/", 1)[-1])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Session report · {_e(transcript.id)}</title>"
        f'<style>{CSS}</style></head><body><div class="page">'
        '<header class="top"><div>'
        f"<h1>Session report · {_e(transcript.id)}</h1>"
        f'<div class="sub">{_e(" · ".join(sub))}</div></div>'
        '<nav class="toc"><a href="#feedback">Coaching note</a><a href="#profile">Profile</a>'
        '<a href="#transcript">Transcript</a></nav></header>'
        f"{_feedback_section(feedback)}"
        f"{_profile_section(transcript, profile, feedback, measures)}"
        f"{_transcript_section(transcript, profile, feedback)}"
        "<footer>Tags describe single turns and are meant for reflection on patterns; automatic "
        "coding agrees with human coders only moderately on single turns. No transcript score is "
        "the alliance as the client experiences it: for that, ask the client (SRS). Reference lines: "
        "MITI 4.2.1 (Moyers, Manuel &amp; Ernst). Generated on this machine by Alliance Assistant; "
        "nothing was sent anywhere.</footer>"
        "</div></body></html>\n"
    )
