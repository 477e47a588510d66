"""The demo report rendered by headless Chromium is a real page, not a blank one.

Skipped (with the reason shown) when /usr/bin/chromium is missing, unless
ALLIANCE_REQUIRE_BROWSER=1, then it fails. The screenshot is kept in test-artifacts/
for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from assistant.feedback import build_feedback
from assistant.measures import ORS, SRS, SessionMeasures
from assistant.profile import build_profile
from assistant.report import render_html
from assistant.settings import PROJECT_ROOT
from tests.feedback_support import RuleTagger, tagged_demo

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WIDTH, HEIGHT = 1280, 2000

pytestmark = pytest.mark.browser


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("ALLIANCE_REQUIRE_BROWSER") == "1":
        pytest.fail(
            "ALLIANCE_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing (apt-get install chromium)"
        )
    pytest.skip(
        "headless Chromium not installed (/usr/bin/chromium); apt-get install chromium to run"
    )


def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, raw pixels) of an 8-bit RGB/RGBA PNG, with zlib only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG layout"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if filt == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif filt == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif filt == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif filt == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        out[y * stride : (y + 1) * stride] = line
        prev = line
    return width, height, bpp, bytes(out)


def test_report_browser_demo_renders_to_a_real_page():
    _need_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    transcript = tagged_demo()
    profile = build_profile(transcript)
    note = build_feedback(transcript, profile, tagger=RuleTagger())
    measures = SessionMeasures(
        srs=SRS(relationship=9, goals_and_topics=8.5, approach_or_method=7, overall=8.8),
        ors=ORS(individually=5, interpersonally=6, socially=4.5, overall=5),
    )
    page = ARTIFACTS / "demo_report.html"
    page.write_text(
        render_html(transcript, profile, note, measures, model_name="hand codes"), encoding="utf-8"
    )
    png = ARTIFACTS / "demo_report.png"
    png.unlink(missing_ok=True)
    profile_dir = ARTIFACTS / "chromium-profile"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={profile_dir}",
        f"--screenshot={png}",
        f"--window-size={WIDTH},{HEIGHT}",
        page.resolve().as_uri(),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    finally:
        shutil.rmtree(profile_dir, ignore_errors=True)
    width, height, bpp, pixels = decode_png(png.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    # Count colours on a grid of samples: a blank or error page has a handful.
    colours, inked = set(), 0
    background = pixels[:3]
    samples = 0
    for y in range(0, height, 4):
        row = y * width * bpp
        for x in range(0, width, 4):
            pixel = pixels[row + x * bpp : row + x * bpp + 3]
            colours.add(pixel)
            inked += pixel != background
            samples += 1
    assert len(colours) > 200, f"only {len(colours)} colours: the page looks blank"
    assert inked / samples > 0.05, "almost every pixel is background"
    # The coaching note comes first: the top third of the page is not empty.
    top = pixels[: height // 3 * width * bpp]
    assert len(set(top[i : i + 3] for i in range(0, len(top), bpp * 97))) > 50
