"""``GET /docs``: the API reference as one plain HTML page built from the OpenAPI schema.

FastAPI's own Swagger and ReDoc pages load their scripts from a CDN, which breaks the
offline promise, so they are switched off and this page lists every route instead.
The machine-readable schema stays at ``/openapi.json``.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2933}"
    "code{background:#f1f3f5;padding:.1em .3em;border-radius:3px}"
    "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;"
    "border-bottom:1px solid #e4e7eb;vertical-align:top}.m{font-weight:600;font-family:monospace}"
)


def render_api_reference(schema: dict) -> str:
    rows = []
    for path, operations in sorted(schema.get("paths", {}).items()):
        for method, operation in operations.items():
            summary = operation.get("summary", "")
            detail = (operation.get("description") or "").strip().split("\n")[0]
            rows.append(
                f"<tr><td class='m'>{escape(method.upper())}</td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(summary)}<br><small>{escape(detail)}</small></td></tr>"
            )
    info = schema.get("info", {})
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(info.get('title', 'API'))} API</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(info.get('title', 'API'))} API {escape(info.get('version', ''))}</h1>"
        f"<p>{escape(info.get('description', ''))}</p>"
        "<p>Machine-readable schema: <a href='/openapi.json'>/openapi.json</a>.</p>"
        "<table><thead><tr><th>method</th><th>path</th><th>what it does</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )


@router.get("/docs", response_class=HTMLResponse)
def api_reference(request: Request) -> str:
    return render_api_reference(request.app.openapi())
