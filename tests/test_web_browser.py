"""The page in a real browser: Debian's headless Chromium driven by Playwright.

The real app (real tagger, coach and drills) runs under uvicorn in a background
thread on 127.0.0.1 with a temporary SQLite database and users made for the test.
The flow follows the issue: sign in, upload, tags, a chip's evidence, a grounded
chat reply, client ratings, downloads, progress, a drill attempt and a retry, a
trainer's cohort, delete. Every page is screenshotted to test-artifacts/web/.
Any request to another origin, any console error (CSP violations included) and any
uncaught page error fails the test.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from assistant.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE = os.environ.get("ALLIANCE_REQUIRE_BROWSER") == "1"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "web"
DEMO = PROJECT_ROOT / "data" / "demo" / "demo_session.txt"
HOSTILE = (
    "Therapist: What would you like to talk about? <script>window.__pwned = 1</script>\n"
    'Client: <img src=x onerror="window.__pwned = 2"> I wrote <b>this</b> in my notes.\n'
    "Therapist: You wrote it down because it matters to you.\n"
    "Client: Yes. </li></ol><h1>not a heading</h1>\n"
)
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _browser_or_skip():
    why = None
    if not CHROMIUM.exists():
        why = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            why = "Playwright for Python is not installed"
    if why:
        if REQUIRE:
            pytest.fail(f"ALLIANCE_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(f"browser tests need Chromium and Playwright: {why}")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The real app under uvicorn in a thread, with two users and a cohort."""

    def __init__(self, tmp: Path):
        import uvicorn

        from assistant.core import Assistant
        from assistant.service.app import create_app
        from assistant.settings import Settings
        from assistant.storage import users as user_store

        settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'web.db'}")
        self.core = Assistant(settings)
        with self.core.database.session() as session:
            ann = user_store.create_user(session, "ann", "clinician")
            tess = user_store.create_user(session, "tess", "trainer")
            self.tokens = {
                "ann": user_store.create_token(session, ann, "browser test"),
                "tess": user_store.create_token(session, tess, "browser test"),
            }
            cohort = user_store.create_cohort(session, tess, "Spring cohort")
            user_store.add_member(session, tess, cohort.id, ann)
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(settings, core=self.core), host="127.0.0.1", port=port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 300  # the tagger and coach load at start-up
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _browser_or_skip()
    with Server(tmp_path_factory.mktemp("web")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server):
    sync_playwright = _browser_or_skip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


class Watched:
    """A page whose foreign requests, console errors and page errors are recorded."""

    def __init__(self, browser, server: Server, viewport: dict[str, int]):
        self.server = server
        self.context = browser.new_context(
            viewport=viewport, accept_downloads=True, reduced_motion="reduce"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.foreign: list[str] = []
        self.errors: list[str] = []
        origin = urlparse(server.url).netloc
        self.page.on(
            "request",
            lambda r: (
                None
                if urlparse(r.url).scheme in ("blob", "data") or urlparse(r.url).netloc == origin
                else self.foreign.append(r.url)
            ),
        )
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def shot(self, name: str, full_page: bool = True) -> None:
        if full_page:
            # From the top, so the sticky header is drawn where it belongs.
            self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def sign_in(self, user: str) -> None:
        page = self.page
        page.goto(self.server.url + "/")
        page.fill("#token-input", self.server.tokens[user])
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#view-sessions:not([hidden])")

    def check_clean(self, allow_status: tuple[int, ...] = ()) -> None:
        # A 401 for a deliberately wrong token logs a console error; nothing else may.
        errors = [e for e in self.errors if not any(f"status of {s}" in e for s in allow_status)]
        assert not self.foreign, f"requests to other origins: {self.foreign}"
        assert not errors, f"console or page errors: {errors}"

    def close(self) -> None:
        self.context.close()


def _upload(w: Watched, path: Path | None = None, *, name: str = "", text: str = "", **fields):
    page = w.page
    page.goto(w.server.url + "/#/sessions")
    page.wait_for_selector("#view-sessions:not([hidden])")
    if path is not None:
        page.set_input_files("#file-input", str(path))
    else:
        page.set_input_files(
            "#file-input", files=[{"name": name, "mimeType": "text/plain", "buffer": text.encode()}]
        )
    for selector, value in fields.items():
        page.fill(f"#{selector}", value)
    page.click("#upload-button")
    page.wait_for_url(re.compile(r"#/session/[0-9a-f]+$"), timeout=120_000)
    page.wait_for_selector("#turns li.turn")
    return page.url.rsplit("/", 1)[-1]


def test_web_browser_full_flow(browser, server):
    w = Watched(browser, server, LAPTOP)
    page = w.page
    try:
        # Sign in: the status line is there; a wrong token is refused with a message.
        page.goto(server.url + "/")
        assert page.is_visible("text=The service is up.")
        w.shot("01-sign-in")
        page.fill("#token-input", "not-a-token")
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#signin-error:not([hidden])")
        assert "not accepted" in page.inner_text("#signin-error")
        w.sign_in("ann")
        assert page.inner_text("#account-name") == "ann (clinician)"
        assert page.is_visible("#sessions-empty")
        w.shot("02-sessions-empty")

        # Upload the demo session: progress, then the annotated session.
        session_id = _upload(
            w, DEMO, **{"upload-client": "C-17", "upload-title-input": "Dana, session 4"}
        )
        page.wait_for_selector("#feedback-body .fb-grid")
        assert page.inner_text("#session-title") == "Dana, session 4"
        turns = page.locator("#turns li.turn")
        assert turns.count() == 52
        assert page.locator("#turns .chip").count() > 20
        assert page.locator("#turns li.turn.rupture").count() >= 1
        assert page.locator("#session-summary .stat").count() == 5
        w.shot("03-session")

        # Filter by a code from the legend, then show all again.
        page.click("#legend-chips .chip[data-filter=reflection]")
        shown = page.locator("#turns li.turn:visible")
        assert 0 < shown.count() < 52
        assert all(
            "reflection" in t.split()
            for t in shown.evaluate_all("els => els.map(e => e.dataset.tags)")
        )
        assert page.inner_text("#transcript-count").startswith("Showing ")
        w.shot("04-filtered", full_page=False)
        page.click("#legend-clear")
        assert page.locator("#turns li.turn:visible").count() == 52

        # A chip's evidence and probability.
        chip = page.locator("#turns .chip").first
        chip.scroll_into_view_if_needed()
        chip.click()
        pop = page.locator("#evidence-pop")
        pop.wait_for(state="visible")
        assert chip.get_attribute("aria-expanded") == "true"
        assert "Probability" in pop.inner_text() or "rule" in pop.inner_text()
        assert pop.locator(".evidence-list li").count() >= 1
        w.shot("05-evidence", full_page=False)
        page.keyboard.press("Escape")
        pop.wait_for(state="hidden")
        assert page.evaluate("document.activeElement.classList.contains('chip')")

        # Chat: a grounded reply whose quotes are links to turns that hold them.
        page.fill("#chat-input", "What went well in this session?")
        page.click("#chat-send")
        reply = page.locator("#chat-log .msg-assistant:not(.pending)").last
        reply.wait_for(timeout=120_000)
        links = reply.locator("a.turn-link")
        assert links.count() >= 1, reply.inner_text()
        for i in range(links.count()):
            link = links.nth(i)
            target = page.locator(f"#turn-{link.get_attribute('data-turn')}")
            quoted = link.inner_text()
            if not re.fullmatch(r"turns? #?\d+", quoted, re.I):
                assert quoted in target.locator(".turn-text").inner_text()
        links.first.click()
        page.wait_for_timeout(300)
        index = links.first.get_attribute("data-turn")
        assert page.evaluate(f"document.getElementById('turn-{index}').classList.contains('flash')")
        w.shot("06-chat", full_page=False)

        # Profile tab, then the client's SRS and its history.
        page.click("#tab-profile")
        page.wait_for_selector("#panel-profile .timeline-plot")
        w.shot("07-profile", full_page=False)
        page.click("#tab-ratings")
        for field, value in (
            ("relationship", "9"),
            ("goals", "8.5"),
            ("approach", "8"),
            ("overall", "8.5"),
        ):
            page.fill(f"#srs-{field}", value)
        page.click("#srs-form button[type=submit]")
        page.wait_for_selector("#measures-history li")
        assert "34.0 / 40" in page.inner_text("#measures-history")
        assert "34.0" in page.inner_text("#session-summary")
        w.shot("08-ratings", full_page=False)

        # Downloads: the HTML report and the CSV of codes.
        with page.expect_download() as report:
            page.click("#download-report")
        assert report.value.suggested_filename.endswith(".html")
        assert "<html" in Path(report.value.path()).read_text(encoding="utf-8").lower()
        with page.expect_download() as codes:
            page.click("#download-csv")
        csv_text = Path(codes.value.path()).read_text(encoding="utf-8")
        assert codes.value.suggested_filename.endswith("-codes.csv")
        assert csv_text.startswith("conversation_id,turn_index,speaker")

        # Tablet width: one column; the side panel becomes a sheet over the transcript
        # that folds down to its tabs.
        page.set_viewport_size(TABLET)
        page.locator("#turn-20").scroll_into_view_if_needed()
        page.click("#tab-coach")
        side = "getComputedStyle(document.querySelector('.session-side')).position"
        assert page.evaluate(side) == "fixed"
        assert page.is_visible("#chat-input")
        w.shot("09-session-tablet", full_page=False)
        page.click("#side-toggle")
        assert not page.is_visible("#chat-input")
        assert page.get_attribute("#side-toggle", "aria-expanded") == "false"
        w.shot("09b-session-tablet-folded", full_page=False)
        page.click("#tab-coach")
        page.set_viewport_size(LAPTOP)
        assert page.evaluate(side) == "sticky"

        # Progress across sessions, with SRS beside each metric.
        page.click("#main-nav a[data-nav=progress]")
        page.wait_for_selector("#progress-body .paired-plot")
        assert page.locator("#progress-body .paired-plot").count() >= 5
        w.shot("10-progress")

        # Practice: a statement, an answer, feedback; then a retry.
        page.click("#main-nav a[data-nav=practice]")
        page.wait_for_selector("#drill-skill option", state="attached")
        page.select_option("#drill-skill", "reflection")
        page.click("#drill-setup button[type=submit]")
        page.wait_for_selector("#drill-area:not([hidden])")
        assert page.inner_text("#drill-statement").strip()
        page.fill("#drill-answer", "You're exhausted, and part of you wonders if anyone notices.")
        page.click("#drill-submit")
        page.wait_for_selector("#drill-feedback .verdict", timeout=120_000)
        assert "Score" in page.inner_text("#drill-feedback .verdict")
        page.wait_for_selector("#drill-progress img.plot-img")
        w.shot("11-drill-feedback")
        page.click("#drill-retry")
        page.fill("#drill-answer", "It sounds like you feel worn down and unseen.")
        page.click("#drill-submit")
        page.wait_for_selector("#drill-actions:not([hidden])")
        assert page.locator("#drill-progress td").first.is_visible()

        # The trainer sees the cohort with ann's attempts.
        page.click("#sign-out")
        page.wait_for_selector("#view-signin:not([hidden])")
        w.sign_in("tess")
        page.click("#main-nav a[data-nav=practice]")
        page.wait_for_selector("#cohort-body table")
        assert "ann" in page.inner_text("#cohort-body")
        page.click("#cohort-body button")
        page.wait_for_selector("#cohort-body img.plot-img")
        w.shot("12-trainer-cohort")

        # Back as ann: delete the session (cancel first, then confirm).
        page.click("#sign-out")
        w.sign_in("ann")
        page.goto(f"{server.url}/#/session/{session_id}")
        page.wait_for_selector("#turns li.turn")
        page.click("#delete-session")
        page.wait_for_selector("#confirm-dialog[open]")
        w.shot("13-delete-confirm", full_page=False)
        page.click("#confirm-dialog button[value=cancel]")
        assert page.locator("#turns li.turn").count() == 52
        page.click("#delete-session")
        page.click("#confirm-dialog button[value=confirm]")
        page.wait_for_selector("#view-sessions:not([hidden])")
        page.wait_for_selector("#sessions-empty:not([hidden])")
        w.shot("14-after-delete")
        w.check_clean(allow_status=(401,))
    finally:
        w.close()


def test_web_browser_transcript_text_is_never_markup(browser, server):
    w = Watched(browser, server, LAPTOP)
    page = w.page
    try:
        w.sign_in("ann")
        session_id = _upload(w, name="hostile.txt", text=HOSTILE)
        first = page.inner_text("#turn-0 .turn-text")
        assert "<script>window.__pwned = 1</script>" in first
        assert "<b>this</b>" in page.inner_text("#turn-1 .turn-text")
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#turns img, #turns script, #turns h1, #turns b").count() == 0
        assert page.locator("#turns li.turn").count() == 4
        w.shot("15-hostile-text")
        with page.expect_response(re.compile(f"/api/v1/transcripts/{session_id}$")):
            page.click("#delete-session")
            page.click("#confirm-dialog button[value=confirm]")
        w.check_clean()
    finally:
        w.close()


def test_web_browser_works_from_the_keyboard(browser, server):
    w = Watched(browser, server, LAPTOP)
    page = w.page
    try:
        page.goto(server.url + "/")
        page.keyboard.press("Tab")  # the skip link comes first
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.focus("#token-input")
        page.keyboard.type(server.tokens["ann"])
        page.keyboard.press("Enter")
        page.wait_for_selector("#view-sessions:not([hidden])")
        # Focus moves to the new view's heading, so a screen reader announces it.
        assert page.evaluate("document.activeElement.id") == "sessions-title"
        page.click("#main-nav a[data-nav=practice]")
        page.wait_for_selector("#drill-skill option", state="attached")
        page.focus("#drill-skill")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the Start button
        page.wait_for_selector("#drill-area:not([hidden])")
        assert page.evaluate("document.activeElement.id") == "drill-answer"
        w.shot("16-keyboard-drill", full_page=False)
        w.check_clean()
    finally:
        w.close()
