"""The web page: served from the package, nothing loaded from elsewhere, strict CSP,
no markup built from data, and every file the page asks for exists."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from assistant.service.routes.web import CONTENT_SECURITY_POLICY, service_detail, static_file
from assistant.storage import open_database
from tests.service_support import close_harness, make_harness

WEB_DIR = Path(str(resources.files("assistant") / "web"))
# XML namespace names are identifiers that are never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg"}
URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s'\"`)]*")


def web_files() -> list[Path]:
    return sorted(p for p in WEB_DIR.rglob("*") if p.is_file())


@pytest.fixture
def web(tmp_path):
    # The page does not depend on the database backend: SQLite only.
    database = open_database(f"sqlite:///{tmp_path / 'web.db'}")
    harness = make_harness(database, tmp_path)
    yield harness
    close_harness(harness)
    database.dispose()


def test_web_index_is_the_page_with_the_status_line(web):
    answer = web.client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "The service is up." in page
    assert "Model: fake-tagger." in page
    assert '<script type="module" src="/static/app.js"></script>' in page
    assert 'id="view-signin"' in page and 'id="token-input"' in page


def test_web_page_and_static_files_carry_the_security_headers(web):
    for path in ("/", "/static/app.js", "/static/app.css"):
        headers = web.client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
    policy = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline or remote script
    assert policy["connect-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_web_static_files_are_served_with_their_types(web):
    expected = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    served = 0
    for path in web_files():
        if path.suffix not in expected:
            continue
        name = path.relative_to(WEB_DIR).as_posix()
        answer = web.client.get(f"/static/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"].startswith(expected[path.suffix]), name
        assert answer.content == path.read_bytes()
        served += 1
    assert served >= 5


def test_web_static_refuses_paths_outside_the_web_folder(web):
    for path in (
        "/static/../service/app.py",
        "/static/%2e%2e/service/app.py",
        "/static/js/../../__init__.py",
        "/static/.hidden.js",
        "/static/index.html",  # the page is only served at /
        "/static/missing.js",
        "/static/js",
    ):
        assert web.client.get(path).status_code == 404, path
    with pytest.raises(Exception, match="no such file"):
        static_file("../__init__.py")


def test_web_static_answers_not_modified_for_a_known_etag(web):
    first = web.client.get("/static/app.css")
    again = web.client.get("/static/app.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    changed = web.client.get("/static/app.css", headers={"If-None-Match": '"stale"'})
    assert changed.status_code == 200


def test_web_served_files_name_no_other_origin():
    offenders = []
    for path in web_files():
        text = path.read_text(encoding="utf-8")
        for match in URL.finditer(text):
            if match.group(0) not in NAMESPACES:
                offenders.append(f"{path.name}: {match.group(0)}")
        if re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", text):
            offenders.append(f"{path.name}: remote CSS")
    assert not offenders, offenders


def test_web_scripts_never_build_markup_from_strings():
    # Transcript text may hold "<script>": the page builds DOM with text nodes only.
    forbidden = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function"
    )
    for path in web_files():
        if path.suffix == ".js":
            assert not forbidden.search(path.read_text(encoding="utf-8")), path.name


def test_web_every_referenced_file_exists(web):
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    referenced = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    for path in web_files():
        if path.suffix == ".js":
            text = path.read_text(encoding="utf-8")
            base = path.parent.relative_to(WEB_DIR).as_posix()
            for module in re.findall(r'from\s+"(\.[^"]+)"', text):
                target = (Path(base) / module).as_posix()
                referenced.add("/static/" + str(Path(target)).replace("\\", "/"))
    assert "/static/app.js" in referenced and "/static/js/api.js" in referenced
    for url in sorted(referenced):
        assert web.client.get(url).status_code == 200, url


def test_web_service_detail_is_escaped():
    detail = service_detail("<script>x</script>", 'demo "1" & <b>')
    assert "<script>" not in detail and "&lt;script&gt;" in detail
    assert "&lt;b&gt;" in detail and "&amp;" in detail
    assert service_detail(None, None) == " Model: not loaded."


def test_web_page_has_labels_for_every_form_control():
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r"<(?:input|select|textarea)\b[^>]*\bid=\"([^\"]+)\"", page)
    assert len(ids) > 15
    for control in ids:
        assert f'for="{control}"' in page, f"no <label for> for #{control}"
