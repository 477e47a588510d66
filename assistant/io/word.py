"""DOCX documents exported from a word processor.

The paragraphs (and table rows, in document order) become lines and go through the
plain-text reader, so the same speaker rules apply. A two-column table row reads as
``speaker: text``; a three-column row whose first cell is a time reads as
``[time] speaker: text``. Error line numbers count these lines (one per paragraph
or table row).
"""

from __future__ import annotations

import io
import re
import zipfile

from assistant.errors import TranscriptError
from assistant.io.text import parse_plain_text
from assistant.model import Transcript

_NOT_DOCX = "not a valid .docx (Word) document; expected a file saved as Word .docx"
# A .docx expands when unzipped; refuse archives that would expand past this many
# times the upload limit (a "zip bomb").
_MAX_EXPANSION = 20
_TIME = re.compile(r"^[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?$", re.ASCII)


def _check_archive(data: bytes, path: str, limit: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise TranscriptError(_NOT_DOCX, path=path) from None
    if "word/document.xml" not in names:
        raise TranscriptError(_NOT_DOCX, path=path)
    if expanded > _MAX_EXPANSION * limit:
        raise TranscriptError(
            f"the document expands to {expanded} bytes when unpacked; expected a transcript "
            f"under {_MAX_EXPANSION * limit} bytes",
            path=path,
        )


def _row_line(cells: list[str]) -> str:
    cells = [c for c in (" ".join(c.split()) for c in cells)]
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) == 3 and _TIME.match(cells[0]):
        return f"[{cells[0].strip('[]()')}] {cells[1]}: {cells[2]}"
    if len(cells) == 2 and cells[0] and cells[1]:
        return f"{cells[0]}: {cells[1]}"
    return " ".join(c for c in cells if c)


def docx_lines(data: bytes, path: str, limit: int) -> list[str]:
    """The document's paragraphs and table rows as text lines, in order."""
    _check_archive(data, path, limit)
    import docx  # python-docx; imported here so the other readers do not pay for it
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                lines.extend(block.text.split("\n"))
            elif isinstance(block, Table):
                for row in block.rows:
                    lines.append(_row_line([cell.text for cell in row.cells]))
    # python-docx raises many kinds of errors on a damaged package (KeyError, lxml
    # errors, ValueError...); at this boundary they all mean "not a usable .docx".
    except Exception:  # noqa: BLE001
        raise TranscriptError(_NOT_DOCX, path=path) from None
    return lines


def parse_docx(
    data: bytes, *, path: str, stem: str, therapist: str | None, limit: int
) -> Transcript:
    lines = docx_lines(data, path, limit)
    return parse_plain_text("\n".join(lines), path=path, stem=stem, therapist=therapist, fmt="docx")
