"""Small API routes the web page needs beyond the resource routes.

- ``GET /api/v1/progress/sessions``: per-session profile metrics with the latest
  client-rated SRS (and ORS) beside them, in date order, plus a rank correlation of
  each metric with the SRS total where enough sessions are rated;
- ``GET /api/v1/transcripts/{id}/codes.csv``: one session's coded turns as CSV, the
  columns of ``alliance code``'s ``turns.csv``.

The work is done by plain functions (``sessions_progress``, ``codes_csv``) that never
touch FastAPI; the routes only call them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.core import Assistant, LoadedSession
from assistant.io.records import turn_record
from assistant.measures import SRS_CONCERN_AT_OR_BELOW
from assistant.profile import PCT_COMPLEX_THRESHOLDS, RQ_THRESHOLDS
from assistant.research.outputs import TURN_COLUMNS
from assistant.service.deps import Core, CurrentUser
from assistant.service.routes import AUTH_ERRORS, errors
from assistant.storage.tables import StoredMeasure, StoredTranscript

router = APIRouter(prefix="/api/v1", tags=["web"], responses=AUTH_ERRORS)

# Below this many sessions with both a value and an SRS, no correlation is shown.
MIN_RATED_SESSIONS = 4
# Spreadsheets run cells that start with these as formulas; such text cells get a
# leading apostrophe in the CSV (OWASP's advice on CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class MetricInfo(BaseModel):
    key: str
    label: str
    short: str = Field(description="a column heading")
    help: str = ""
    percent: bool = Field(default=False, description="a 0..1 share, shown as a percentage")
    digits: int = 1
    fair: float | None = None
    good: float | None = None
    max: float | None = Field(default=None, description="the top of the scale, when fixed")
    higher_is_better: bool = True


PROGRESS_METRICS: tuple[MetricInfo, ...] = (
    MetricInfo(
        key="overall",
        label="Overall",
        short="Overall",
        digits=0,
        max=100,
        help="0-100 summary of alliance-building practice (docs/profile.md).",
    ),
    MetricInfo(
        key="reflection_to_question",
        label="Reflections to questions",
        short="R:Q",
        digits=2,
        fair=RQ_THRESHOLDS[0],
        good=RQ_THRESHOLDS[1],
        help="MITI 4.2.1: fair 1:1, good 2:1.",
    ),
    MetricInfo(
        key="percent_complex_reflections",
        label="Complex reflections",
        short="%CR",
        percent=True,
        fair=PCT_COMPLEX_THRESHOLDS[0],
        good=PCT_COMPLEX_THRESHOLDS[1],
        max=1,
        help="Share of reflections that add meaning. MITI 4.2.1: fair 40%, good 50%.",
    ),
    MetricInfo(
        key="percent_open_questions",
        label="Open questions",
        short="%OQ",
        percent=True,
        max=1,
        help="Share of questions that are open.",
    ),
    MetricInfo(
        key="warmth_per_10",
        label="Warmth per 10 turns",
        short="Warmth/10",
        help="Warm or validating turns per 10 therapist turns.",
    ),
    MetricInfo(
        key="collaboration_per_10",
        label="Collaboration per 10 turns",
        short="Collab./10",
        help="Collaborative turns per 10 therapist turns.",
    ),
    MetricInfo(
        key="rigidity_per_10",
        label="Rigidity per 10 turns",
        short="Rigidity/10",
        higher_is_better=False,
        help="Rigid turns per 10 therapist turns (lower is better).",
    ),
    MetricInfo(
        key="repair_per_10",
        label="Repair per 10 turns",
        short="Repair/10",
        help="Turns that attend to strain per 10 therapist turns.",
    ),
    MetricInfo(
        key="therapist_talk_share_words",
        label="Therapist's share of the talk",
        short="Talk share",
        percent=True,
        max=1,
        help="Share of the words spoken by the therapist.",
    ),
)


class SessionPoint(BaseModel):
    id: str
    title: str
    client_code: str
    session_date: str
    created_at: datetime
    sufficient: bool
    metrics: dict[str, float | None]
    srs_total: float | None = Field(description="the latest SRS total attached, if any")
    srs_concern: bool | None = Field(description="that SRS total is 36 or below")
    ors_total: float | None


class Association(BaseModel):
    n: int = Field(description="sessions with both the metric and an SRS")
    min_n: int = MIN_RATED_SESSIONS
    rho: float | None = Field(description="Spearman rank correlation with the SRS total")


class SessionsProgress(BaseModel):
    metrics: list[MetricInfo]
    sessions: list[SessionPoint] = Field(description="oldest first (session date, then upload)")
    associations: dict[str, Association]
    srs_concern: float = SRS_CONCERN_AT_OR_BELOW


# --------------------------------------------------------------------------- plain functions
def metric_values(profile: dict[str, Any]) -> dict[str, float | None]:
    """The progress metrics from a stored profile dict."""
    per_10 = profile.get("per_10_therapist_turns") or {}
    values: dict[str, float | None] = {}
    for metric in PROGRESS_METRICS:
        if metric.key.endswith("_per_10"):
            values[metric.key] = per_10.get(metric.key.removesuffix("_per_10"))
        else:
            values[metric.key] = profile.get(metric.key)
    return values


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # ties share their average rank
        i = j + 1
    return ranks


def spearman(xs: list[float], ys: list[float]) -> float | None:
    """Spearman's rho (Pearson on average ranks); None when either side is constant."""
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if not sxx or not syy:
        return None
    return round(sxy / (sxx * syy) ** 0.5, 3)


def _latest_measures(core: Assistant, owner_id: int) -> dict[tuple[str, str], float]:
    """(transcript id, 'srs' | 'ors') -> total of the latest one attached."""
    with core.database.session() as session:
        rows = session.execute(
            select(StoredMeasure.transcript_id, StoredMeasure.kind, StoredMeasure.total)
            .join(StoredTranscript, StoredTranscript.id == StoredMeasure.transcript_id)
            .where(StoredTranscript.owner_id == owner_id)
            .order_by(StoredMeasure.id)
        ).all()
    return {(transcript_id, kind): total for transcript_id, kind, total in rows}


def sessions_progress(core: Assistant, owner_id: int) -> SessionsProgress:
    """The owner's sessions in date order with their metrics and client ratings."""
    rows = core.list_transcripts(owner_id)
    latest = _latest_measures(core, owner_id)
    rows.sort(key=lambda r: (r.session_date or r.created_at.date().isoformat(), r.created_at))
    points = []
    for row in rows:
        srs = latest.get((row.id, "srs"))
        points.append(
            SessionPoint(
                id=row.id,
                title=row.title or row.filename,
                client_code=row.client_code,
                session_date=row.session_date,
                created_at=row.created_at,
                sufficient=bool((row.profile or {}).get("sufficient", False)),
                metrics=metric_values(row.profile or {}),
                srs_total=srs,
                srs_concern=None if srs is None else srs <= SRS_CONCERN_AT_OR_BELOW,
                ors_total=latest.get((row.id, "ors")),
            )
        )
    associations = {}
    for metric in PROGRESS_METRICS:
        pairs = [
            (p.metrics[metric.key], p.srs_total)
            for p in points
            if p.metrics[metric.key] is not None and p.srs_total is not None
        ]
        rho = None
        if len(pairs) >= MIN_RATED_SESSIONS:
            rho = spearman([a for a, _ in pairs], [b for _, b in pairs])
        associations[metric.key] = Association(n=len(pairs), rho=rho)
    return SessionsProgress(
        metrics=list(PROGRESS_METRICS), sessions=points, associations=associations
    )


def _cell(value: Any) -> Any:
    # The same cells as `alliance code`'s turns.csv: lists of strings joined by ';',
    # other structures as JSON, None as empty.
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ";".join(value)
    elif isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def codes_csv(loaded: LoadedSession) -> str:
    """The coded turns of one session as CSV text (a header and one row per turn)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, TURN_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for turn in loaded.transcript.turns:
        record = turn_record(loaded.transcript, turn)
        writer.writerow({key: _cell(record.get(key)) for key in TURN_COLUMNS})
    return out.getvalue()


def download_name(loaded: LoadedSession, suffix: str) -> str:
    row = loaded.row
    parts = ["session", row.client_code, row.session_date or row.created_at.date().isoformat()]
    stem = "-".join(SAFE_NAME.sub("_", p) for p in parts if p)
    return f"{stem}{suffix}"


# --------------------------------------------------------------------------- routes
@router.get(
    "/progress/sessions",
    summary="Your profile metrics per session, with the client's SRS beside them",
)
def progress_sessions(user: CurrentUser, core: Core) -> SessionsProgress:
    """Oldest first. ``associations`` holds Spearman's rho between each metric and the
    SRS total once at least four sessions have both; with so few sessions it is a
    prompt for reflection, not evidence."""
    return sessions_progress(core, user.id)


@router.get(
    "/transcripts/{transcript_id}/codes.csv",
    response_class=Response,
    responses={**errors(404), 200: {"content": {"text/csv": {}}, "description": "CSV file"}},
    summary="A session's coded turns as CSV",
    tags=["transcripts"],
)
def transcript_codes_csv(transcript_id: str, user: CurrentUser, core: Core) -> Response:
    loaded = core.load(user.id, transcript_id)
    name = download_name(loaded, "-codes.csv")
    return Response(
        codes_csv(loaded),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
