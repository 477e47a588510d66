"""Transcripts: upload (multipart or JSON), list, get, delete; profile, feedback,
report; SRS and ORS. Each route checks nothing itself: the core does the work and
raises the project's errors, which ``service/errors.py`` turns into statuses."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from assistant.core import UploadOptions
from assistant.measures import ORS, SRS
from assistant.profile import SessionProfile
from assistant.service.deps import Core, CurrentUser
from assistant.service.routes import AUTH_ERRORS, errors
from assistant.service.schemas import (
    MeasureOut,
    TranscriptDetail,
    TranscriptJSON,
    TranscriptSummary,
    feedback_model,
)

router = APIRouter(prefix="/api/v1/transcripts", tags=["transcripts"], responses=AUTH_ERRORS)
Feedback = feedback_model()
NOT_FOUND = errors(404)
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


class TranscriptUploaded(TranscriptSummary):
    profile: SessionProfile


def _uploaded(loaded) -> TranscriptUploaded:
    summary = TranscriptSummary.from_row(loaded.row)
    return TranscriptUploaded(**summary.model_dump(), profile=loaded.profile)


def _filename(name: str | None) -> str:
    # Only the last path part, without control characters (a NUL would not even store),
    # for format detection and messages.
    printable = "".join(ch for ch in (name or "") if ch.isprintable())
    return (PurePath(printable.replace("\\", "/")).name or "upload.txt")[-255:]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=errors(413, 422),
    summary="Upload a transcript file and code it",
)
def upload_transcript(
    user: CurrentUser,
    core: Core,
    file: Annotated[UploadFile, File(description="a transcript in any reader format")],
    format: Annotated[
        str | None, Form(description="force a reader format (default: by file extension)")
    ] = None,
    therapist: Annotated[
        str | None, Form(description="the speaker label to treat as the therapist")
    ] = None,
    title: Annotated[str, Form(max_length=200)] = "",
    client_code: Annotated[str, Form(max_length=60, description="your code for the client")] = "",
    session_date: Annotated[str, Form(description="YYYY-MM-DD")] = "",
    redact: Annotated[
        bool | None,
        Form(description="redact names, phones, emails, addresses, dates before storing"),
    ] = None,
) -> TranscriptUploaded:
    """Validate, (optionally) redact, code and store one session. A file that fails
    any check is refused with the reason, and nothing is stored."""
    data = file.file.read()  # bounded: bodies over the limit were refused before this
    options = UploadOptions(
        format or None, therapist or None, title, client_code, session_date, redact
    )
    return _uploaded(core.upload(user.id, data, _filename(file.filename), options))


@router.post(
    "/json",
    status_code=status.HTTP_201_CREATED,
    responses=errors(413, 422),
    summary="Upload a transcript as JSON and code it",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TranscriptJSON.model_json_schema()}},
        }
    },
)
async def upload_transcript_json(
    request: Request,
    user: CurrentUser,
    core: Core,
    therapist: Annotated[str | None, Query()] = None,
    title: Annotated[str, Query(max_length=200)] = "",
    client_code: Annotated[str, Query(max_length=60)] = "",
    session_date: Annotated[str, Query(description="YYYY-MM-DD")] = "",
    redact: bool | None = None,
) -> TranscriptUploaded:
    """The body is what the JSON reader reads: ``{"id": ..., "turns": [{"speaker": ...,
    "text": ...}]}``; it is validated exactly like an uploaded ``.json`` file."""
    data = await request.body()
    options = UploadOptions("json", therapist or None, title, client_code, session_date, redact)
    loaded = await run_in_threadpool(core.upload, user.id, data, "upload.json", options)
    return _uploaded(loaded)


@router.get("", summary="List your transcripts")
def list_transcripts(user: CurrentUser, core: Core) -> list[TranscriptSummary]:
    return [TranscriptSummary.from_row(row) for row in core.list_transcripts(user.id)]


@router.get("/{transcript_id}", responses=NOT_FOUND, summary="A transcript with its tagged turns")
def get_transcript(transcript_id: str, user: CurrentUser, core: Core) -> TranscriptDetail:
    return TranscriptDetail.from_loaded(core.load(user.id, transcript_id))


@router.delete(
    "/{transcript_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    summary="Delete a transcript, its measures and its conversations",
)
def delete_transcript(transcript_id: str, user: CurrentUser, core: Core) -> Response:
    core.delete_transcript(user.id, transcript_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{transcript_id}/profile", responses=NOT_FOUND, summary="The session profile")
def get_profile(transcript_id: str, user: CurrentUser, core: Core) -> SessionProfile:
    return core.load(user.id, transcript_id).profile


@router.get(
    "/{transcript_id}/feedback",
    response_model=Feedback,
    responses=NOT_FOUND,
    summary="Deliberate-practice feedback on the session",
)
def get_feedback(transcript_id: str, user: CurrentUser, core: Core):
    return core.feedback(user.id, transcript_id)


@router.get(
    "/{transcript_id}/report",
    response_class=HTMLResponse,
    responses={**NOT_FOUND, 200: {"content": {"text/html": {}}, "description": "HTML report"}},
    summary="A self-contained HTML report",
)
def get_report(transcript_id: str, user: CurrentUser, core: Core) -> HTMLResponse:
    """One self-contained file (inline CSS and SVG, no scripts), served under a policy
    that lets it load nothing and run nothing."""
    return HTMLResponse(
        core.report_html(user.id, transcript_id),
        headers={"Content-Security-Policy": REPORT_POLICY, "X-Content-Type-Options": "nosniff"},
    )


@router.post(
    "/{transcript_id}/srs",
    status_code=status.HTTP_201_CREATED,
    responses=errors(404, 422),
    summary="Attach a Session Rating Scale (end of session)",
)
def attach_srs(transcript_id: str, srs: SRS, user: CurrentUser, core: Core) -> MeasureOut:
    return MeasureOut.from_row(core.attach_measure(user.id, transcript_id, srs))


@router.post(
    "/{transcript_id}/ors",
    status_code=status.HTTP_201_CREATED,
    responses=errors(404, 422),
    summary="Attach an Outcome Rating Scale (start of session)",
)
def attach_ors(transcript_id: str, ors: ORS, user: CurrentUser, core: Core) -> MeasureOut:
    return MeasureOut.from_row(core.attach_measure(user.id, transcript_id, ors))


@router.get("/{transcript_id}/measures", responses=NOT_FOUND, summary="Attached SRS and ORS")
def list_measures(transcript_id: str, user: CurrentUser, core: Core) -> list[MeasureOut]:
    return [MeasureOut.from_row(row) for row in core.measures(user.id, transcript_id)]
