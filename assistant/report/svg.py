"""Inline SVG plots for the report, drawn in Python (no JavaScript, no external files).

- ``timeline_svg``: one row per tag, one mark per tagged turn across the session, the
  thirds shaded, ruptures joined to their repairs, the moment marked;
- ``thirds_svg``: tag counts in the beginning, middle and end of the session;
- ``gauge_svg``: one MITI summary score against its fair and good reference lines.

Every mark has a ``<title>`` so hovering shows the turn, tag and probability.
"""

from __future__ import annotations

from html import escape

from assistant.model import Transcript, Turn
from assistant.profile import SessionProfile
from assistant.report.style import INK, ordered_tags, tag_style

MUTED = "#6b7280"
GRID = "#e5e7eb"
BAND = "#f5f6f8"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _mark_title(turn: Turn, tag: str) -> str:
    style = tag_style(tag)
    parts = [f"turn {turn.index + 1}", style.label or tag]
    depth = (
        turn.attribute(tag, "depth")
        or turn.attribute(tag, "timing")
        or turn.attribute(tag, "permission")
    )
    if depth:
        parts[-1] += f" ({depth.replace('_', ' ')})"
    if tag in turn.scores:
        parts.append(f"p = {turn.scores[tag]:.2f}")
    snippet = turn.text if len(turn.text) <= 90 else turn.text[:87].rstrip() + "..."
    return " · ".join(parts) + f"\n{turn.speaker}: {snippet}"


def _shape(tag: str, x: float, y: float, size: float = 5.0) -> tuple[str, dict[str, str]]:
    style = tag_style(tag)
    fill = "#ffffff" if style.outline else style.colour
    attrs = {"fill": fill, "stroke": style.colour, "stroke-width": "2" if style.outline else "1"}
    if style.dashed:
        attrs["stroke-dasharray"] = "2 1.5"
    if tag.startswith("rupture_"):
        s = size + 1.5
        points = f"{x:.1f},{y - s:.1f} {x + s:.1f},{y + s * 0.8:.1f} {x - s:.1f},{y + s * 0.8:.1f}"
        return "polygon", {"points": points, **attrs}
    if tag == "repair":
        s = size + 1
        points = f"{x:.1f},{y - s:.1f} {x + s:.1f},{y:.1f} {x:.1f},{y + s:.1f} {x - s:.1f},{y:.1f}"
        return "polygon", {"points": points, **attrs}
    return "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": f"{size:.1f}", **attrs}


def _element(name: str, attrs: dict[str, str], title: str | None = None) -> str:
    rendered = " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items())
    if title is None:
        return f"<{name} {rendered}/>"
    return f"<{name} {rendered}><title>{escape(title)}</title></{name}>"


def timeline_svg(
    transcript: Transcript,
    profile: SessionProfile,
    moment: tuple[int | None, int | None] = (None, None),
    width: int = 960,
) -> str:
    """Tags across the session: one row per tag, x = turn position."""
    present = {tag for turn in transcript.turns for tag in turn.tags}
    tags = ordered_tags(present)
    left, right, top, row_h = 178, 18, 34, 22
    height = top + row_h * len(tags) + 40
    n = len(transcript.turns)
    span = width - left - right

    def x_of(pos: int) -> float:
        return left + (span * (pos + 0.5) / n if n else 0)

    position = {turn.index: pos for pos, turn in enumerate(transcript.turns)}
    row_y = {tag: top + row_h * i + row_h / 2 for i, tag in enumerate(tags)}
    out = [
        f'<svg class="plot timeline" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="timeline-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="timeline-title">Tags across the session, one row per tag; each mark is a turn.</title>',
    ]
    for third, name in enumerate(("beginning", "middle", "end")):
        x0 = left + span * third / 3
        if third % 2 == 0:
            out.append(
                _element(
                    "rect",
                    {
                        "x": f"{x0:.1f}",
                        "y": str(top - 6),
                        "width": f"{span / 3:.1f}",
                        "height": str(row_h * len(tags) + 6),
                        "fill": BAND,
                    },
                )
            )
        out.append(
            f'<text x="{x0 + span / 6:.1f}" y="{top - 12}" text-anchor="middle" class="axis">{name}</text>'
        )
    for tag in tags:
        y = row_y[tag]
        style = tag_style(tag)
        out.append(
            _element(
                "line",
                {
                    "x1": str(left),
                    "x2": str(width - right),
                    "y1": f"{y:.1f}",
                    "y2": f"{y:.1f}",
                    "stroke": GRID,
                },
            )
        )
        count = profile.counts.get(tag, 0)
        label_colour = INK if count else MUTED
        out.append(
            f'<text x="{left - 10}" y="{y + 4:.1f}" text-anchor="end" class="row-label" fill="{label_colour}">'
            f'{escape(style.label or tag)} <tspan class="count">{count}</tspan></text>'
        )
    client_index, therapist_index = moment
    if client_index is not None and client_index in position:
        mx = x_of(position[client_index])
        out.append(
            _element(
                "line",
                {
                    "x1": f"{mx:.1f}",
                    "x2": f"{mx:.1f}",
                    "y1": str(top - 4),
                    "y2": str(top + row_h * len(tags)),
                    "stroke": INK,
                    "stroke-dasharray": "4 3",
                    "stroke-width": "1.2",
                },
            )
        )
        out.append(
            f'<text x="{mx + 4:.1f}" y="{top + row_h * len(tags) + 14}" class="moment-label">the moment</text>'
        )
    for event in profile.ruptures:
        if event.repaired and event.repair_turn_index in position and event.turn_index in position:
            x1, x2 = x_of(position[event.turn_index]), x_of(position[event.repair_turn_index])
            tag = f"rupture_{event.type}"
            y1, y2 = row_y.get(tag), row_y.get("repair")
            if y1 is not None and y2 is not None:
                out.append(
                    _element(
                        "path",
                        {
                            "d": f"M{x1:.1f},{y1:.1f} C{x1:.1f},{(y1 + y2) / 2:.1f} {x2:.1f},{(y1 + y2) / 2:.1f} {x2:.1f},{y2:.1f}",
                            "fill": "none",
                            "stroke": "#3b3b3b",
                            "stroke-width": "1",
                            "stroke-dasharray": "3 2",
                            "opacity": "0.6",
                        },
                        f"rupture at turn {event.turn_index + 1} repaired at turn {event.repair_turn_index + 1}",
                    )
                )
    for turn in transcript.turns:
        x = x_of(position[turn.index])
        for tag in turn.tags:
            if tag not in row_y:
                continue
            name, attrs = _shape(tag, x, row_y[tag])
            out.append(_element(name, attrs, _mark_title(turn, tag)))
    for event in profile.ruptures:
        if not event.repaired and event.turn_index in position:
            tag = f"rupture_{event.type}"
            if tag in row_y:
                out.append(
                    _element(
                        "circle",
                        {
                            "cx": f"{x_of(position[event.turn_index]):.1f}",
                            "cy": f"{row_y[tag]:.1f}",
                            "r": "10",
                            "fill": "none",
                            "stroke": "#D55E00",
                            "stroke-width": "1",
                            "opacity": "0.7",
                        },
                        f"rupture at turn {event.turn_index + 1}: no repair within 4 turns",
                    )
                )
    axis_y = top + row_h * len(tags) + 30
    step = max(1, round(n / 10 / 5) * 5) if n > 12 else 1
    for pos in range(0, n, step):
        out.append(
            f'<text x="{x_of(pos):.1f}" y="{axis_y}" text-anchor="middle" class="axis">{transcript.turns[pos].index + 1}</text>'
        )
    out.append(f'<text x="{left - 10}" y="{axis_y}" text-anchor="end" class="axis">turn</text>')
    out.append("</svg>")
    return "\n".join(out)


THIRDS_TAGS = (
    "reflection",
    "open_question",
    "closed_question",
    "warmth",
    "collaboration",
    "advice",
    "rigidity",
    "repair",
    "rupture_withdrawal",
    "rupture_confrontation",
)
THIRD_OPACITY = (0.35, 0.65, 1.0)


def thirds_svg(profile: SessionProfile, width: int = 960) -> str:
    """Counts per tag in each third of the session (light = beginning, dark = end)."""
    thirds = profile.timeline_thirds
    left, right, top, bottom = 40, 10, 30, 54
    height = 220
    plot_h = height - top - bottom
    top_count = max([third.get(tag, 0) for third in thirds for tag in THIRDS_TAGS] + [1])
    group_w = (width - left - right) / len(THIRDS_TAGS)
    bar_w = min(18.0, (group_w - 14) / 3)
    out = [
        f'<svg class="plot thirds" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="thirds-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="thirds-title">How often each tag came up in the beginning, middle and end of the session.</title>',
    ]
    for tick in range(0, top_count + 1, max(1, top_count // 4)):
        y = top + plot_h - plot_h * tick / top_count
        out.append(
            _element(
                "line",
                {
                    "x1": str(left),
                    "x2": str(width - right),
                    "y1": f"{y:.1f}",
                    "y2": f"{y:.1f}",
                    "stroke": GRID,
                },
            )
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{tick}</text>'
        )
    for g, tag in enumerate(THIRDS_TAGS):
        style = tag_style(tag)
        gx = left + group_w * g + (group_w - 3 * bar_w - 4) / 2
        for third, opacity in enumerate(THIRD_OPACITY):
            count = thirds[third].get(tag, 0) if third < len(thirds) else 0
            h = plot_h * count / top_count
            x = gx + third * (bar_w + 2)
            name = ("beginning", "middle", "end")[third]
            out.append(
                _element(
                    "rect",
                    {
                        "x": f"{x:.1f}",
                        "y": f"{top + plot_h - h:.1f}",
                        "width": f"{bar_w:.1f}",
                        "height": f"{max(h, 0.5):.1f}",
                        "fill": style.colour,
                        "fill-opacity": str(opacity),
                        "stroke": style.colour,
                        "stroke-width": "1",
                    },
                    f"{style.label}: {count} in the {name}",
                )
            )
        label = style.label.replace("rupture: ", "rupture ")
        words = label.split()
        cx = gx + 1.5 * bar_w + 2
        first, rest = words[0], " ".join(words[1:])
        out.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="axis">{escape(first)}</text>'
        )
        if rest:
            out.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 29}" text-anchor="middle" class="axis">{escape(rest)}</text>'
            )
    legend_x = width - right - 250
    for third, opacity in enumerate(THIRD_OPACITY):
        x = legend_x + third * 84
        out.append(
            _element(
                "rect",
                {
                    "x": f"{x}",
                    "y": "6",
                    "width": "12",
                    "height": "12",
                    "fill": "#4b5563",
                    "fill-opacity": str(opacity),
                },
            )
        )
        out.append(
            f'<text x="{x + 17}" y="16" class="axis">{("beginning", "middle", "end")[third]}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def gauge_svg(
    label: str,
    value: float | None,
    maximum: float,
    fair: float,
    good: float,
    fmt: str = "{:.2f}",
    width: int = 420,
    max_label: str | None = None,
) -> str:
    """One score on a 0..maximum track with fair and good reference lines."""
    height = 64
    left, right, y, track_h = 8, 92, 26, 12
    span = width - left - right

    def x_of(v: float) -> float:
        return left + span * min(max(v, 0.0), maximum) / maximum

    out = [
        f'<svg class="plot gauge" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{_attr(label)}" xmlns="http://www.w3.org/2000/svg">',
        _element(
            "rect",
            {
                "x": str(left),
                "y": str(y),
                "width": f"{span}",
                "height": str(track_h),
                "rx": "6",
                "fill": GRID,
            },
        ),
    ]
    if value is not None:
        colour = "#009E73" if value >= good else "#56B4E9" if value >= fair else "#E69F00"
        rating = (
            "at or above good"
            if value >= good
            else "at or above fair"
            if value >= fair
            else "below fair"
        )
        out.append(
            _element(
                "rect",
                {
                    "x": str(left),
                    "y": str(y),
                    "width": f"{max(x_of(value) - left, 3):.1f}",
                    "height": str(track_h),
                    "rx": "6",
                    "fill": colour,
                },
                f"{label}: {fmt.format(value)} ({rating})",
            )
        )
        out.append(
            f'<text x="{width - right + 10}" y="{y + 11}" class="gauge-value">{escape(fmt.format(value))}</text>'
        )
    else:
        out.append(f'<text x="{width - right + 10}" y="{y + 11}" class="axis">no data</text>')
    for name, mark, anchor, shift in (("fair", fair, "end", -4), ("good", good, "start", 4)):
        mx = x_of(mark)
        out.append(
            _element(
                "line",
                {
                    "x1": f"{mx:.1f}",
                    "x2": f"{mx:.1f}",
                    "y1": str(y - 6),
                    "y2": str(y + track_h + 6),
                    "stroke": INK,
                    "stroke-width": "1.5",
                },
                f"{name}: {fmt.format(mark)}",
            )
        )
        # Fair to the left of its line, good to the right: they never overlap.
        out.append(
            f'<text x="{mx + shift:.1f}" y="{y - 9}" text-anchor="{anchor}" class="axis">{name} {escape(fmt.format(mark))}</text>'
        )
    out.append(f'<text x="{left}" y="{y + track_h + 20}" class="axis">0</text>')
    top_label = max_label or f"{fmt.format(maximum)}+"
    out.append(
        f'<text x="{left + span}" y="{y + track_h + 20}" text-anchor="end" class="axis">{escape(top_label)}</text>'
    )
    out.append("</svg>")
    return "\n".join(out)
