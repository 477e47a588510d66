"""Tag colours and labels shared by the HTML chips, the SVG plots and the legend.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies);
every chip and plot row also carries the tag's name, so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.model import ALL_TAGS


@dataclass(frozen=True)
class TagStyle:
    label: str
    colour: str
    text: str  # text colour on a filled chip
    outline: bool = False  # outlined chips for the second tag that shares a colour
    dashed: bool = False


OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
INK = "#1f2933"

TAG_STYLES: dict[str, TagStyle] = {
    "reflection": TagStyle("reflection", OKABE_ITO["blue"], "#ffffff"),
    "open_question": TagStyle("open question", OKABE_ITO["sky"], INK),
    "closed_question": TagStyle("closed question", OKABE_ITO["sky"], INK, outline=True),
    "warmth": TagStyle("warmth", OKABE_ITO["orange"], INK),
    "collaboration": TagStyle("collaboration", OKABE_ITO["green"], "#ffffff"),
    "advice": TagStyle("advice", OKABE_ITO["yellow"], INK),
    "rigidity": TagStyle("rigidity", OKABE_ITO["vermillion"], "#ffffff"),
    "self_disclosure": TagStyle("self-disclosure", OKABE_ITO["purple"], INK),
    "poorly_timed_self_disclosure": TagStyle(
        "poorly timed disclosure", OKABE_ITO["purple"], INK, outline=True, dashed=True
    ),
    "repair": TagStyle("repair", "#3b3b3b", "#ffffff"),
    "rupture_withdrawal": TagStyle(
        "rupture: withdrawal", OKABE_ITO["vermillion"], INK, outline=True, dashed=True
    ),
    "rupture_confrontation": TagStyle(
        "rupture: confrontation", OKABE_ITO["vermillion"], INK, outline=True
    ),
}
UNKNOWN_STYLE = TagStyle("", "#8a8f98", "#ffffff")


def tag_style(tag: str) -> TagStyle:
    style = TAG_STYLES.get(tag)
    if style is None:
        return TagStyle(tag.replace("_", " "), UNKNOWN_STYLE.colour, UNKNOWN_STYLE.text)
    return style


def ordered_tags(extra: set[str] | None = None) -> list[str]:
    """Our tags in codebook order, then any others (a lab's own labels) sorted."""
    others = sorted((extra or set()) - set(ALL_TAGS))
    return list(ALL_TAGS) + others


def clock(seconds: float | None) -> str:
    """0:45, 12:03, 1:02:03; empty when there is no time."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
