"""Bytes -> text for every text reader, in one place.

Checks run in a fixed order so that each bad file gets the one message that fits:
size limit, empty, byte-order marks, UTF-16 without a BOM, binary content (NUL
bytes or many control characters), then UTF-8 and finally cp1252 (what Word and
older Windows tools write). Newlines are normalised to ``\\n`` so that line numbers
in error messages match what an editor shows.
"""

from __future__ import annotations

import codecs
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from assistant.errors import (
    E_BINARY_FILE,
    E_EMPTY_FILE,
    E_ENCODING,
    E_TOO_LARGE,
    TranscriptError,
)

logger = logging.getLogger(__name__)

# Share of control characters above which decoded text is taken for binary data.
_MAX_CONTROL_SHARE = 0.05
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v")
# How much of a streamed file is read to decide its encoding.
_SNIFF_BYTES = 64 * 1024


def check_size(size: int, limit: int, path: str) -> None:
    if size > limit:
        raise TranscriptError(E_TOO_LARGE.format(size=size, limit=limit), path=path)


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the sample looks like UTF-16 text, else None.

    Mostly-ASCII UTF-16 has a NUL in every other byte; binary data rarely has that
    regular pattern, and the decode (and the control-character check after it) still
    has to succeed.
    """
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _choose_encoding(sample: bytes, path: str, final: bool) -> tuple[str, int]:
    """(codec name, number of BOM bytes to skip) for data starting with ``sample``."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", len(codecs.BOM_UTF8)
    if sample.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16, 0
    if b"\x00" in sample:
        raise TranscriptError(E_BINARY_FILE, path=path)
    try:
        # A streamed sample may end inside a multi-byte character: final=False allows that.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=final)
        return "utf-8", 0
    except UnicodeDecodeError:
        logger.info("%s: not UTF-8, reading it as cp1252", path)
        return "cp1252", 0


def _check_controls(text: str, path: str) -> None:
    if "\x00" in text:
        raise TranscriptError(E_BINARY_FILE, path=path)
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for ch in sample if ch < " " and ch not in _ALLOWED_CONTROLS)
    if sample and controls / len(sample) > _MAX_CONTROL_SHARE:
        raise TranscriptError(E_BINARY_FILE, path=path)


def _check_text(text: str, path: str) -> None:
    _check_controls(text, path)
    if not text.strip():
        raise TranscriptError(E_EMPTY_FILE, path=path)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes, path: str, limit: int) -> str:
    """Decode a whole file; raise ``TranscriptError`` for anything that is not text."""
    check_size(len(data), limit, path)
    if not data:
        raise TranscriptError(E_EMPTY_FILE, path=path)
    encoding, skip = _choose_encoding(data[:_SNIFF_BYTES], path, final=len(data) <= _SNIFF_BYTES)
    try:
        text = data[skip:].decode(encoding)
    except UnicodeDecodeError:
        if encoding != "utf-8" or skip:
            raise TranscriptError(E_ENCODING, path=path) from None
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise TranscriptError(E_ENCODING, path=path) from None
    text = normalise_newlines(text.removeprefix("\ufeff"))
    _check_text(text, path)
    return text


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, after the checks that need no reading (exists, size)."""
    name = str(path)
    if not path.exists():
        raise TranscriptError("no such file; expected the path of a transcript file", path=name)
    if path.is_dir():
        raise TranscriptError("this is a folder; expected a transcript file", path=name)
    try:
        check_size(path.stat().st_size, limit, name)
        return path.read_bytes()
    except OSError as error:
        raise TranscriptError(f"cannot read the file ({error.strerror})", path=name) from None


def iter_lines(fh: BinaryIO, path: str) -> Iterator[tuple[int, str]]:
    """Stream ``(line number, line)`` from a binary file without reading it whole.

    The encoding is decided from the first 64 KiB; a later byte that does not decode
    raises the encoding error naming the line where it was found.
    """
    sample = fh.read(_SNIFF_BYTES)
    if not sample:
        raise TranscriptError(E_EMPTY_FILE, path=path)
    final = len(sample) < _SNIFF_BYTES
    encoding, skip = _choose_encoding(sample, path, final=final)
    try:
        head = codecs.getincrementaldecoder(encoding)().decode(sample[skip:], final=final)
    except UnicodeDecodeError:
        raise TranscriptError(E_ENCODING, path=path) from None
    _check_controls(head, path)
    raw = io.BufferedReader(_Prepended(sample[skip:], fh))  # type: ignore[arg-type]
    seen_text = False
    for number, line in enumerate(_decoded_lines(raw, encoding, path), start=1):
        if number == 1:
            line = line.removeprefix("\ufeff")
        if "\x00" in line:
            raise TranscriptError(E_BINARY_FILE, path=path, line=number)
        seen_text = seen_text or bool(line.strip())
        yield number, line
    if not seen_text:
        raise TranscriptError(E_EMPTY_FILE, path=path)


def _decoded_lines(raw: io.BufferedReader, encoding: str, path: str) -> Iterator[str]:
    """Lines without their newline ('\\n', '\\r\\n' or '\\r').

    UTF-8 and cp1252 are decoded line by line (a newline byte is never part of a
    multi-byte character there), so a bad byte is reported on its own line.
    """
    if encoding.startswith("utf-16"):
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=None)
        count = 0
        try:
            for count, line in enumerate(text, start=1):  # noqa: B007  (used below)
                yield line.removesuffix("\n")
        except UnicodeDecodeError:
            raise TranscriptError(E_ENCODING, path=path, line=count + 1) from None
        return
    count = 0
    for chunk in raw:
        try:
            decoded = chunk.decode(encoding)
        except UnicodeDecodeError:
            raise TranscriptError(E_ENCODING, path=path, line=count + 1) from None
        decoded = decoded.removesuffix("\n").removesuffix("\r")
        for line in normalise_newlines(decoded).split("\n"):
            count += 1
            yield line


class _Prepended(io.RawIOBase):
    """A raw stream that yields ``head`` and then the rest of ``tail``."""

    def __init__(self, head: bytes, tail: BinaryIO):
        self._head = head
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._tail.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
