"""Format detection and the reader registry behind ``read_transcripts`` and friends."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.corpus import iter_scenes
from assistant.errors import E_EMPTY_FILE, E_UNKNOWN_FORMAT, TranscriptError
from assistant.io.decoding import check_size, decode_bytes, iter_lines, read_file
from assistant.io.roles import label_key
from assistant.io.subtitles import parse_captions
from assistant.io.tabular import iter_csv, iter_jsonl, read_json
from assistant.io.text import parse_plain_text
from assistant.io.word import parse_docx
from assistant.model import Transcript
from assistant.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# reader(data, path, stem, therapist, limit) -> every transcript in the file
Reader = Callable[[bytes, str, str, str | None, int], list[Transcript]]

EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".vtt": "vtt",
    ".webvtt": "vtt",
    ".srt": "srt",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".docx": "docx",
}
_UNSUPPORTED = {
    ".doc": "old Word .doc files are not read; open it and save it as .docx",
    ".pdf": "PDF files are not read; export the transcript as .docx or .txt",
    ".rtf": "RTF files are not read; save the transcript as .docx or .txt",
}
_SNIFF_CHARS = 64 * 1024


def _lines(text: str) -> Iterator[tuple[int, str]]:
    return enumerate(text.split("\n"), start=1)


def _read_text(
    data: bytes, path: str, stem: str, therapist: str | None, limit: int
) -> list[Transcript]:
    text = decode_bytes(data, path, limit)
    return [parse_plain_text(text, path=path, stem=stem, therapist=therapist)]


def _read_vtt(
    data: bytes, path: str, stem: str, therapist: str | None, limit: int
) -> list[Transcript]:
    text = decode_bytes(data, path, limit)
    return [parse_captions(text, path=path, stem=stem, therapist=therapist, fmt="vtt")]


def _read_srt(
    data: bytes, path: str, stem: str, therapist: str | None, limit: int
) -> list[Transcript]:
    text = decode_bytes(data, path, limit)
    return [parse_captions(text, path=path, stem=stem, therapist=therapist, fmt="srt")]


def _read_json(
    data: bytes, path: str, stem: str, therapist: str | None, limit: int
) -> list[Transcript]:
    text = decode_bytes(data, path, limit)
    return read_json(text, path=path, stem=stem, therapist=therapist)


def _read_jsonl(
    data: bytes, path: str, stem: str, therapist: str | None, limit: int
) -> list[Transcript]:
    text = decode_bytes(data, path, limit)
    return list(iter_jsonl(_lines(text), path=path, stem=stem, therapist=therapist, limit=limit))


def _read_csv(
    data: bytes, path: str, stem: str, therapist: str | None, limit: int
) -> list[Transcript]:
    text = decode_bytes(data, path, limit)
    return list(iter_csv(_lines(text), path=path, stem=stem, therapist=therapist, limit=limit))


def _read_docx(
    data: bytes, path: str, stem: str, therapist: str | None, limit: int
) -> list[Transcript]:
    check_size(len(data), limit, path)
    if not data:
        raise TranscriptError(E_EMPTY_FILE, path=path)
    return [parse_docx(data, path=path, stem=stem, therapist=therapist, limit=limit)]


def _read_scenes(
    data: bytes, path: str, stem: str, therapist: str | None, limit: int
) -> list[Transcript]:
    text = decode_bytes(data, path, limit)
    if therapist is not None and label_key(therapist) != "t":
        raise TranscriptError(
            f"--therapist {therapist!r} does not apply: scene files mark the therapist as 'T'",
            path=path,
        )
    scenes: list[Transcript] = []
    for item in iter_scenes(text, path):
        if isinstance(item, TranscriptError):
            raise item
        # Header fields (modality, style ...) are the scene's metadata, like extra columns.
        item.source["metadata"] = {
            k: v for k, v in item.source.items() if k not in ("path", "line", "format")
        }
        scenes.append(item)
    if not scenes:
        raise TranscriptError("no '=== scene:' header found", path=path)
    return scenes


FORMATS: dict[str, Reader] = {
    "text": _read_text,
    "vtt": _read_vtt,
    "srt": _read_srt,
    "json": _read_json,
    "jsonl": _read_jsonl,
    "csv": _read_csv,
    "docx": _read_docx,
    "scenes": _read_scenes,
}
STREAMING = {"jsonl": iter_jsonl, "csv": iter_csv}


def _looks_like_scenes(head: str) -> bool:
    for line in head.split("\n"):
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        return line.startswith("===")
    return False


def _head_text(head: bytes) -> str:
    """A loose decoding of a file's first bytes, only for sniffing its format."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8-sig", errors="replace")


def _detect(name: str, head: bytes | None) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _UNSUPPORTED:
        raise TranscriptError(_UNSUPPORTED[suffix], path=name)
    fmt = EXTENSIONS.get(suffix)
    text = _head_text(head) if head else ""
    if fmt == "text" and _looks_like_scenes(text):
        return "scenes"
    if fmt is not None:
        return fmt
    if text.lstrip("\ufeff").startswith("WEBVTT"):
        return "vtt"
    raise TranscriptError(
        f"cannot tell the format from the file name; give --format, one of: {', '.join(FORMATS)}",
        path=name,
    )


def detect_format(path_or_name: str | Path) -> str:
    """The format name for a file: by extension, and for ``.txt`` by a peek inside
    (a first non-comment line starting with ``===`` is our scene format)."""
    path = Path(path_or_name)
    head: bytes | None = None
    if path.is_file():
        try:
            with path.open("rb") as fh:
                head = fh.read(_SNIFF_CHARS)
        except OSError:
            head = None
    return _detect(str(path_or_name), head)


def _check_format(fmt: str, path: str) -> str:
    name = fmt.strip().lower()
    if name not in FORMATS:
        raise TranscriptError(
            E_UNKNOWN_FORMAT.format(fmt=fmt, choices=", ".join(FORMATS)), path=path
        )
    return name


def _stem(name: str) -> str:
    return Path(name).stem.strip() or "transcript"


def read_bytes(
    data: bytes,
    filename: str,
    fmt: str | None = None,
    therapist: str | None = None,
    settings: Settings | None = None,
) -> list[Transcript]:
    """Every transcript in an uploaded file; ``filename`` picks the format and names
    the file in errors. Raises ``TranscriptError``; never returns a partial result."""
    settings = settings or get_settings()
    check_size(len(data), settings.max_upload_bytes, filename)
    name = _check_format(fmt, filename) if fmt else _detect(filename, data[:_SNIFF_CHARS])
    reader = FORMATS[name]
    transcripts = reader(data, filename, _stem(filename), therapist, settings.max_upload_bytes)
    logger.debug("%s: read %d transcript(s) as %s", filename, len(transcripts), name)
    return transcripts


def read_transcripts(
    path: str | Path,
    fmt: str | None = None,
    therapist: str | None = None,
    settings: Settings | None = None,
) -> list[Transcript]:
    """Every transcript in a file (several for JSONL/CSV), or ``TranscriptError``."""
    settings = settings or get_settings()
    path = Path(path)
    data = read_file(path, settings.max_upload_bytes)
    return read_bytes(data, str(path), fmt=fmt, therapist=therapist, settings=settings)


def iter_transcripts(
    path: str | Path,
    fmt: str | None = None,
    therapist: str | None = None,
    settings: Settings | None = None,
) -> Iterator[Transcript]:
    """Transcripts one at a time. JSONL and CSV are streamed conversation by
    conversation (no whole-file size limit; each conversation must stay under
    ``max_upload_bytes``); other formats are read whole. Errors are raised when the
    iteration reaches them; the file's name and existence are checked at once."""
    settings = settings or get_settings()
    path = Path(path)
    name = str(path)
    if not path.is_file():
        read_file(path, settings.max_upload_bytes)  # raises the right error
    chosen = _check_format(fmt, name) if fmt else detect_format(path)
    if chosen not in STREAMING:
        return iter(read_transcripts(path, chosen, therapist, settings))
    return _stream(path, chosen, therapist, settings.max_upload_bytes)


def _stream(path: Path, fmt: str, therapist: str | None, limit: int) -> Iterator[Transcript]:
    name = str(path)
    try:
        fh = path.open("rb")
    except OSError as error:
        raise TranscriptError(f"cannot read the file ({error.strerror})", path=name) from None
    with fh:
        lines = iter_lines(fh, name)
        yield from STREAMING[fmt](
            lines, path=name, stem=_stem(name), therapist=therapist, limit=limit
        )
