"""``alliance parse FILE``: show how a transcript file is read (turns, speakers, roles)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assistant.cli.app import app
from assistant.io import read_transcripts, role_summary, turn_record, write_jsonl


def _time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@app.command()
def parse(
    file: Path = typer.Argument(
        ..., help="A transcript file (.txt .vtt .srt .json .jsonl .csv .docx)."
    ),
    fmt: str = typer.Option(
        None, "--format", help="Force a reader format (default: by extension)."
    ),
    therapist: str = typer.Option(
        None, "--therapist", help="Speaker label to treat as the therapist (case-insensitive)."
    ),
    jsonl: bool = typer.Option(
        False, "--jsonl", help="Print one JSON object per turn instead of a table."
    ),
) -> None:
    """Read a transcript and print its turns; how roles were decided goes to stderr."""
    transcripts = read_transcripts(file, fmt=fmt, therapist=therapist)
    for transcript in transcripts:
        if any(method != "label" for method in transcript.role_method.values()):
            typer.echo(f"roles {role_summary(transcript)}", err=True)
    if jsonl:
        write_jsonl((turn_record(t, turn) for t in transcripts for turn in t.turns), sys.stdout)
        return
    console = Console()
    for transcript in transcripts:
        title = (
            f"{transcript.id} ({transcript.source.get('format')}, {len(transcript.turns)} turns)"
        )
        table = Table(title=Text(title))
        table.add_column("#", justify="right")
        table.add_column("time")
        table.add_column("speaker")
        table.add_column("role")
        table.add_column("text", overflow="fold")
        for turn in transcript.turns:
            # Text() cells: transcript words are never read as rich markup ("[laughs]").
            table.add_row(
                str(turn.index),
                _time(turn.start),
                Text(turn.speaker),
                turn.role.value,
                Text(turn.text),
            )
        console.print(table)
