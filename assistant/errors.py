"""Every user-facing error message, written once (after spaCy's ``errors.py``).

Each error says what was wrong, where (file and line when there is one) and how to
fix it. Callers raise the project's own ``AllianceError`` subclasses so that the CLI
and the API can report them cleanly; anything else escaping is a bug.
"""

from __future__ import annotations

from pathlib import Path


class AllianceError(Exception):
    """Base class for every error the project reports to a user."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}"
            if self.line is not None:
                where += f", line {self.line}"
            where += ": "
        return f"{where}{self.message}"


class TranscriptError(AllianceError):
    """A transcript (or other input file) could not be read or is invalid."""


class ValidationError(AllianceError):
    """A value (turn, measure, setting, drill file) breaks a documented rule."""


class ModelError(AllianceError):
    """A model folder is missing, corrupt, or does not match its manifest."""


class NotFoundError(AllianceError):
    """An object does not exist (or does not belong to the caller)."""


class StorageError(AllianceError):
    """The database is unavailable or refused an operation."""


# Messages used in more than one place.
E_EMPTY_FILE = "the file is empty; expected a transcript with speaker-labelled turns"
E_BINARY_FILE = (
    "the file looks binary (not text); expected a text transcript (.txt, .vtt, .srt, "
    ".json, .jsonl, .csv) or a .docx document"
)
E_ENCODING = "could not decode the text; accepted encodings are UTF-8 (with or without BOM), UTF-16 and cp1252"
E_TOO_LARGE = (
    "the file is {size} bytes, over the limit of {limit} bytes (ALLIANCE_MAX_UPLOAD_BYTES)"
)
E_NO_SPEAKERS = (
    "no speaker-labelled turns found; expected lines such as 'T: ...' / 'C: ...' or "
    "'Therapist: ...' / 'Client: ...'"
)
E_ONE_SPEAKER = (
    "only one speaker ({speaker!r}) found; a session transcript needs a therapist and a client"
)
E_UNKNOWN_FORMAT = "unknown format {fmt!r}; choose one of: {choices}"
