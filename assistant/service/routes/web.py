"""The web page: ``GET /`` serves the page, ``/static/...`` its CSS, JavaScript and icon.

The files live in the package (``assistant/web``): no build step, and nothing is
loaded from the internet. Every response here carries a strict Content-Security-Policy
(this origin only, no inline script), so a transcript that holds markup can neither
run code nor call out, even if some text were ever inserted unescaped.
"""

from __future__ import annotations

import hashlib
import html
import re
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse

from assistant.service.deps import Core

router = APIRouter(include_in_schema=False)

WEB_FILES: Traversable = resources.files("assistant") / "web"
# blob: lets the page show server-made SVG plots and hand out downloads it fetched
# with the token; nothing else leaves this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}
# One safe name per path part: no dot-dot, no hidden files, no backslashes.
SAFE_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")
STATUS_MARKER = "<!--service-detail-->"


def _read(path: str) -> bytes:
    node = WEB_FILES
    for part in path.split("/"):
        node = node / part
    return node.read_bytes()


def static_file(path: str) -> tuple[bytes, str]:
    """The bytes and media type of one file under assistant/web; 404 for anything else."""
    parts = path.split("/")
    suffix = "." + path.rsplit(".", 1)[-1] if "." in parts[-1] else ""
    if not all(SAFE_PART.match(part) for part in parts) or suffix not in MEDIA_TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    try:
        return _read(path), MEDIA_TYPES[suffix]
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file") from None


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:20] + '"'


def service_detail(model: str | None, demo_summary: str | None) -> str:
    """The escaped status detail shown under 'The service is up.' on the sign-in screen."""
    detail = f" Model: {html.escape(model or 'not loaded')}."
    if demo_summary:
        detail += f" Demo transcript loaded: {html.escape(demo_summary)}."
    return detail


@router.get("/", response_class=HTMLResponse)
def index(core: Core) -> HTMLResponse:
    page = _read("index.html").decode("utf-8")
    page = page.replace(STATUS_MARKER, service_detail(core.model_name, core.demo_summary), 1)
    # The page is tiny; never cache it, so a new version's asset list is always seen.
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
    return HTMLResponse(page, headers=headers)


@router.get("/static/{path:path}")
def static(path: str, request: Request) -> Response:
    data, media_type = static_file(path)
    etag = _etag(data)
    headers = {**SECURITY_HEADERS, "ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


@router.get("/favicon.ico")
def favicon() -> Response:
    data, media_type = static_file("icon.svg")
    return Response(data, media_type=media_type, headers={"Cache-Control": "max-age=86400"})
