"""Headless Chromium for the escaping tests: Debian's /usr/bin/chromium driven by
Playwright, skipped with the reason (failed under ALLIANCE_REQUIRE_BROWSER=1) when
either is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@contextmanager
def launch_or_skip() -> Iterator[object]:
    why = None
    if not CHROMIUM.exists():
        why = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            why = "Playwright for Python is not installed"
    if why:
        if os.environ.get("ALLIANCE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ALLIANCE_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(f"needs headless Chromium: {why}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()
