"""``alliance report FILE``: the coaching note, the profile and the annotated transcript."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from assistant.cli.app import app
from assistant.core import Assistant
from assistant.measures import SessionMeasures
from assistant.report import REPORT_FORMATS, make_report, parse_scores
from assistant.settings import get_settings


@app.command()
def report(
    file: Path = typer.Argument(..., help="A transcript file (any reader format), coded or not."),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="Where to write the report (default: <file stem>.report.<format> here).",
    ),
    fmt: str = typer.Option("html", "--format", help="html (one self-contained file), md or json."),
    model: str = typer.Option(None, help="Tagger model name or folder (default: bundled)."),
    therapist: str = typer.Option(None, help="Speaker label to treat as the therapist."),
    conversation: str = typer.Option(
        None, help="Which conversation to report on, when the file holds several."
    ),
    srs: str = typer.Option(
        None,
        help="Client's Session Rating Scale, four items 0-10: relationship,goals,approach,overall.",
    ),
    ors: str = typer.Option(
        None,
        help="Client's Outcome Rating Scale, four items 0-10: individually,interpersonally,socially,overall.",
    ),
    retag: bool = typer.Option(
        False, help="Code the file again even when it already carries tags."
    ),
) -> None:
    """Write a session report: deliberate-practice feedback, profile with plots, transcript."""
    fmt = fmt.lower()
    if fmt not in REPORT_FORMATS:
        raise typer.BadParameter(
            f"choose one of: {', '.join(REPORT_FORMATS)}", param_hint="--format"
        )
    # Measures first: a typo in a score should fail before any model is loaded.
    measures = SessionMeasures(
        srs=parse_scores(srs, "srs") if srs else None,
        ors=parse_scores(ors, "ors") if ors else None,
    )
    settings = get_settings()
    if model:
        settings = settings.model_copy(update={"model": model})
    console = Console(stderr=True)
    with console.status("reading, coding and writing the report"):
        result = make_report(
            file,
            Assistant(settings),
            fmt=fmt,
            out=out,
            therapist=therapist,
            conversation=conversation,
            measures=measures if (measures.srs or measures.ors) else None,
            retag=retag,
        )
    edge = result.feedback.growth_edge
    if result.profile.note:
        console.print(f"note: {result.profile.note}", markup=False, highlight=False)
    if edge is not None:
        console.print(f"growth edge: {edge.title} ({edge.skill})", markup=False, highlight=False)
    typer.echo(str(result.out))
