"""The practice loop: which statement next, at which level, and progress over time.

Everything here is a plain function of the drill library and the trainee's attempt
history (``AttemptRecord``), so the terminal drill and the API share it and it can
be tested without a database. Storage lives in ``assistant.storage.drills``.

Adaptive difficulty follows the APA deliberate-practice series: stay at a level
until the trainee succeeds consistently, step back after repeated misses, and let
the trainee rate a statement too easy or too hard. Concretely, looking only at the
trailing run of attempts at the current level (a level change starts a new run):
up after ``UP_PASSES`` passes in the last ``WINDOW``, down after ``DOWN_MISSES``
misses in the last ``WINDOW``; a 'too easy' or 'too hard' mark on the latest
attempt moves one level at once.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from assistant.drills.schema import LEVELS, DrillItem, DrillLibrary, check_level
from assistant.errors import ValidationError

WINDOW = 4
UP_PASSES = 3
DOWN_MISSES = 3
RATINGS = ("too_easy", "too_hard")
TREND_WINDOW = 5
TREND_DELTA = 0.1
REHEARSE_PREFIX = "rehearse-"


@dataclass(frozen=True)
class AttemptRecord:
    """What the practice loop needs from one stored attempt."""

    item_id: str
    skill: str
    level: str
    score: float
    passed: bool
    rating: str = ""
    created_at: datetime | None = None


class LevelChange(BaseModel):
    level: str
    previous: str
    reason: str = Field(description="why the level changed or stayed, in a sentence")

    @property
    def changed(self) -> bool:
        return self.level != self.previous


def ladder(history: Sequence[AttemptRecord]) -> list[AttemptRecord]:
    """Attempts that count for difficulty: rehearsed session moments are extra practice."""
    return [r for r in history if not r.item_id.startswith(REHEARSE_PREFIX)]


def _step(level: str, delta: int) -> str:
    index = LEVELS.index(level) + delta
    return LEVELS[max(0, min(len(LEVELS) - 1, index))]


def trailing_run(history: Sequence[AttemptRecord], level: str) -> list[AttemptRecord]:
    """The attempts at ``level`` since the level last changed (or a rating moved it)."""
    run: list[AttemptRecord] = []
    for record in reversed(history):
        if record.level != level or (record.rating and run):
            break
        run.append(record)
        if record.rating:  # a rating moved the level after this attempt: it ends the run
            break
    return run[::-1]


def adapt_level(history: Sequence[AttemptRecord], level: str) -> LevelChange:
    """The level for the next statement, given the skill's attempts (oldest first)."""
    check_level(level)
    if history and history[-1].level == level and history[-1].rating in RATINGS:
        rating = history[-1].rating
        new = _step(level, 1 if rating == "too_easy" else -1)
        label = rating.replace("_", " ")
        if new == level:
            return LevelChange(
                level=level, previous=level, reason=f"marked {label}; already at {level}"
            )
        return LevelChange(level=new, previous=level, reason=f"marked {label}: now {new}")
    recent = trailing_run(history, level)[-WINDOW:]
    passes = sum(r.passed for r in recent)
    misses = len(recent) - passes
    if passes >= UP_PASSES and level != LEVELS[-1]:
        new = _step(level, 1)
        return LevelChange(
            level=new,
            previous=level,
            reason=f"{passes} passes in the last {len(recent)} at {level}: moving up to {new}",
        )
    if misses >= DOWN_MISSES and level != LEVELS[0]:
        new = _step(level, -1)
        return LevelChange(
            level=new,
            previous=level,
            reason=f"{misses} misses in the last {len(recent)} at {level}: moving down to {new}",
        )
    return LevelChange(
        level=level,
        previous=level,
        reason=f"{passes} of the last {len(recent)} passed at {level}",
    )


def current_level(history: Sequence[AttemptRecord], default: str = LEVELS[0]) -> str:
    """The level a returning trainee continues at: adapted from their last attempts."""
    if not history:
        return check_level(default)
    return adapt_level(history, history[-1].level).level


def pick_item(
    library: DrillLibrary,
    skill: str,
    level: str,
    history: Sequence[AttemptRecord] = (),
    exclude: str | None = None,
) -> DrillItem:
    """The next statement: at ``level`` (or the nearest level with items), least
    practised first, then longest ago, then in file order; ``exclude`` skips one id."""
    check_level(level)
    items = library.items(skill)
    if not items:
        raise ValidationError(f"the drill skill {skill!r} has no items")
    by_distance = sorted(
        LEVELS, key=lambda name: (abs(LEVELS.index(name) - LEVELS.index(level)), LEVELS.index(name))
    )
    for candidate_level in by_distance:
        candidates = [i for i in items if i.level == candidate_level and i.id != exclude]
        if candidates:
            break
    else:
        candidates = items
    counts: dict[str, int] = defaultdict(int)
    last_seen: dict[str, int] = {}
    for position, record in enumerate(history):
        counts[record.item_id] += 1
        last_seen[record.item_id] = position
    order = {item.id: n for n, item in enumerate(items)}
    return min(
        candidates,
        key=lambda i: (counts[i.id], last_seen.get(i.id, -1), order[i.id]),
    )


# --------------------------------------------------------------------- progress
class ProgressPoint(BaseModel):
    label: str = Field(description="week start (YYYY-MM-DD) or attempt range (e.g. 1-5)")
    attempts: int
    success_rate: float
    mean_score: float


class SkillProgress(BaseModel):
    skill: str
    attempts: int
    passed: int
    success_rate: float
    mean_score: float
    level: str = Field(description="the level the next drill starts at")
    trend: Literal["improving", "steady", "declining", "too few attempts"]
    trend_reason: str
    by_week: list[ProgressPoint]
    by_window: list[ProgressPoint] = Field(description=f"blocks of {TREND_WINDOW} attempts")
    scores: list[float] = Field(description="every attempt's score, oldest first")


def _point(label: str, records: Sequence[AttemptRecord]) -> ProgressPoint:
    n = len(records)
    return ProgressPoint(
        label=label,
        attempts=n,
        success_rate=round(sum(r.passed for r in records) / n, 3) if n else 0.0,
        mean_score=round(sum(r.score for r in records) / n, 3) if n else 0.0,
    )


def _trend(records: Sequence[AttemptRecord]) -> tuple[str, str]:
    """Mean score of the last block of attempts against the block before it."""
    if len(records) < 2 * TREND_WINDOW:
        return "too few attempts", f"needs {2 * TREND_WINDOW} attempts, has {len(records)}"
    last = records[-TREND_WINDOW:]
    before = records[-2 * TREND_WINDOW : -TREND_WINDOW]
    now = sum(r.score for r in last) / TREND_WINDOW
    then = sum(r.score for r in before) / TREND_WINDOW
    detail = f"mean score {then:.2f} -> {now:.2f} over the last {2 * TREND_WINDOW} attempts"
    if now - then >= TREND_DELTA:
        return "improving", detail
    if then - now >= TREND_DELTA:
        return "declining", detail
    return "steady", detail


def skill_progress(skill: str, records: Sequence[AttemptRecord]) -> SkillProgress:
    """Attempts, success rate and trend of one skill (records oldest first)."""
    weeks: dict[str, list[AttemptRecord]] = defaultdict(list)
    for record in records:
        if record.created_at is not None:
            day = record.created_at.date()
            weeks[(day - timedelta(days=day.weekday())).isoformat()].append(record)
    windows = [
        _point(f"{start + 1}-{start + len(chunk)}", chunk)
        for start in range(0, len(records), TREND_WINDOW)
        if (chunk := records[start : start + TREND_WINDOW])
    ]
    total = _point("all", records)
    trend, reason = _trend(records)
    return SkillProgress(
        skill=skill,
        attempts=total.attempts,
        passed=sum(r.passed for r in records),
        success_rate=total.success_rate,
        mean_score=total.mean_score,
        level=current_level(ladder(records)),
        trend=trend,
        trend_reason=reason,
        by_week=[_point(week, weeks[week]) for week in sorted(weeks)],
        by_window=windows,
        scores=[round(r.score, 3) for r in records],
    )


def progress(records: Sequence[AttemptRecord]) -> list[SkillProgress]:
    """Progress per skill, skills in order of first practice."""
    by_skill: dict[str, list[AttemptRecord]] = {}
    for record in records:
        by_skill.setdefault(record.skill, []).append(record)
    return [skill_progress(skill, rows) for skill, rows in by_skill.items()]


# --------------------------------------------------------------------- plot
PALETTE = ("#1b6ca8", "#d1495b", "#2a9d8f", "#e9a03b", "#6a4c93", "#5c8001", "#8d5b4c")


def rolling_success(records_passed: Sequence[bool], window: int = TREND_WINDOW) -> list[float]:
    """Success rate over the last ``window`` attempts, at every attempt."""
    out = []
    for end in range(1, len(records_passed) + 1):
        chunk = records_passed[max(0, end - window) : end]
        out.append(sum(chunk) / len(chunk))
    return out


def progress_svg(
    records: Sequence[AttemptRecord], *, width: int = 640, height: int = 260, title: str = ""
) -> str:
    """An inline SVG: rolling success rate (last 5 attempts) per skill by attempt number.

    Drawn on the server with no script, so it works in reports, e-mail and offline.
    """
    by_skill: dict[str, list[bool]] = {}
    for record in records:
        by_skill.setdefault(record.skill, []).append(record.passed)
    left, right, top, bottom = 44, 150, 28, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    longest = max((len(v) for v in by_skill.values()), default=0)
    title = title or "Drill success rate (last 5 attempts)"

    def x(n: int) -> float:
        return left + (plot_w * (n - 1) / (longest - 1) if longest > 1 else plot_w / 2)

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}" '
        'font-family="sans-serif" font-size="11">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="{left}" y="16" font-size="13">{html.escape(title)}</text>',
    ]
    for rate in (0.0, 0.5, 1.0):
        parts.append(
            f'<line x1="{left}" y1="{y(rate):.1f}" x2="{left + plot_w}" y2="{y(rate):.1f}" '
            'stroke="#ccc" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y(rate) + 4:.1f}" text-anchor="end">{int(rate * 100)}%</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        f"attempt (1-{longest})</text>"
        if longest
        else f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
        'text-anchor="middle">no attempts yet</text>'
    )
    for number, (skill, passed) in enumerate(by_skill.items()):
        colour = PALETTE[number % len(PALETTE)]
        rates = rolling_success(passed)
        points = " ".join(f"{x(n):.1f},{y(r):.1f}" for n, r in enumerate(rates, start=1))
        name = html.escape(skill)
        parts.append(
            f'<polyline class="skill" data-skill="{name}" fill="none" stroke="{colour}" '
            f'stroke-width="2" points="{points}"><title>{name}: {len(passed)} attempts, '
            f"{sum(passed)} passed</title></polyline>"
        )
        if len(rates) == 1:
            parts.append(f'<circle cx="{x(1):.1f}" cy="{y(rates[0]):.1f}" r="3" fill="{colour}"/>')
        legend_y = top + 14 * number + 8
        parts.append(
            f'<rect x="{left + plot_w + 12}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{colour}"/><text x="{left + plot_w + 26}" y="{legend_y + 1}">{name}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------- rehearse
# Per skill: the criteria and tags an ad-hoc drill (from a session moment) uses when
# no library item was written for that statement.
SKILL_DEFAULTS: dict[str, dict[str, list[str]]] = {
    "reflection": {
        "criteria": [
            "Says back what the client means or feels",
            "Is a statement, not a question",
            "Offers no advice or reassurance",
        ],
        "target_tags": ["reflection"],
        "avoid_tags": ["advice", "closed_question"],
    },
    "warmth_validation": {
        "criteria": [
            "Names what makes the client's reaction understandable",
            "Stays with the client's feeling rather than fixing it",
        ],
        "target_tags": ["warmth"],
        "avoid_tags": ["advice"],
    },
    "collaboration": {
        "criteria": [
            "Invites the client into deciding what to work on or how",
            "Offers a choice or checks the plan fits",
        ],
        "target_tags": ["collaboration"],
        "avoid_tags": ["advice", "rigidity"],
    },
    "withdrawal_rupture": {
        "criteria": [
            "Notices the client pulling back, without blame",
            "Invites the client to say how this is going for them, or eases the pressure",
        ],
        "target_tags": ["repair"],
        "avoid_tags": ["advice", "rigidity", "closed_question"],
    },
    "confrontation_rupture": {
        "criteria": [
            "Takes the complaint seriously and does not defend",
            "Acknowledges the therapist's own part or invites more about it",
        ],
        "target_tags": ["repair"],
        "avoid_tags": ["advice", "rigidity"],
    },
    "self_disclosure": {
        "criteria": [
            "Keeps the focus on the client",
            "Discloses, if at all, briefly and hands the focus straight back",
        ],
        "target_tags": [],
        "avoid_tags": ["self_disclosure"],
    },
    "flexibility": {
        "criteria": [
            "Follows the client's lead instead of holding to the plan",
            "Reflects the resistance or offers a different task",
        ],
        "target_tags": ["collaboration"],
        "avoid_tags": ["rigidity", "advice"],
    },
}


def skill_defaults(library: DrillLibrary, skill: str) -> dict[str, list[str]]:
    """Criteria and tags for ad-hoc items; for a trainer's own skill, its most common ones."""
    if skill in SKILL_DEFAULTS:
        return SKILL_DEFAULTS[skill]
    items = library.items(skill)

    def most_common(lists: list[list[str]]) -> list[str]:
        counts: dict[tuple[str, ...], int] = defaultdict(int)
        for entry in lists:
            counts[tuple(entry)] += 1
        return list(max(counts, key=counts.get)) if counts else []

    return {
        "criteria": [f"Meets the aim of the drill: {library.skill(skill).title}"],
        "target_tags": most_common([i.target_tags for i in items]),
        "avoid_tags": most_common([i.avoid_tags for i in items]),
    }


def _word_set(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def rehearse_id(client_statement: str, skill: str) -> str:
    digest = hashlib.sha256(f"{skill}\n{client_statement.strip()}".encode()).hexdigest()
    return f"{REHEARSE_PREFIX}{skill}-{digest[:10]}"


def drill_from_statement(
    client_statement: str,
    skill: str,
    library: DrillLibrary,
    *,
    level: str = "intermediate",
    encoder=None,
    context: str = "",
) -> DrillItem:
    """An ad-hoc drill on a session's exact client statement ("rehearse this moment").

    Criteria and tags come from the skill's defaults; the model responses are those of
    the library item of that skill whose statement is closest (by embedding when an
    encoder, something with ``encode(texts)``, is given, else by shared words). The
    id is a hash of skill and statement, so the same moment gives the same item.
    """
    statement = client_statement.strip()
    if not statement:
        raise ValidationError("the client statement to rehearse is empty")
    check_level(level)
    items = library.items(skill)
    if not items:
        raise ValidationError(f"the drill skill {skill!r} has no items to borrow from")
    if encoder is not None:
        vectors = encoder.encode([statement, *(i.client_statement for i in items)])
        similarities = vectors[1:] @ vectors[0]
        nearest = items[int(similarities.argmax())]
    else:
        words = _word_set(statement)
        nearest = max(
            items,
            key=lambda i: (
                len(words & _word_set(i.client_statement))
                / max(1, len(words | _word_set(i.client_statement)))
            ),
        )
    defaults = skill_defaults(library, skill)
    return DrillItem(
        id=rehearse_id(statement, skill),
        skill=skill,
        level=level,
        # The model responses answer a similar statement, not this one: say so.
        context=(context or "a moment from one of your sessions")
        + f" (model responses from the similar drill {nearest.id})",
        client_statement=statement,
        criteria=defaults["criteria"],
        target_tags=defaults["target_tags"],
        avoid_tags=defaults["avoid_tags"],
        model_responses=nearest.model_responses,
        pitfalls=nearest.pitfalls,
    )
