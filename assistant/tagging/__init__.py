"""The tagging pipeline: load a model folder once, then code transcripts or single turns.

tagger = load_tagger()                       # models/alliance-tagger by default
coded = list(tagger.transform(transcripts))  # annotated copies, in order
turn = tagger.transform_turn("What brings you in today?")
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from assistant.errors import ModelError
from assistant.settings import Settings, get_settings
from assistant.tagging.pipeline import Tagger

__all__ = ["Tagger", "load_tagger", "resolve_model", "clear_cache"]

_CACHE: dict[str, Tagger] = {}
_LOCK = threading.Lock()


def resolve_model(model: str | Path | None = None, settings: Settings | None = None) -> Path:
    """A model folder from a name under ``settings.models_dir`` or a path."""
    settings = settings or get_settings()
    chosen = model if model is not None else settings.model
    candidate = Path(chosen).expanduser()
    if candidate.is_dir():
        return candidate.resolve()
    named = settings.models_dir / str(chosen)
    if named.is_dir():
        return named.resolve()
    raise ModelError(
        f"no model folder {str(chosen)!r} (looked for the path and under {settings.models_dir}); "
        "train one with 'alliance train --data FILE --out models/NAME'",
        path=candidate if candidate.is_absolute() or candidate.parent != Path() else named,
    )


def load_tagger(model: str | Path | None = None, settings: Settings | None = None) -> Tagger:
    """The tagger for ``model`` (default ``settings.model``), loaded once per process."""
    settings = settings or get_settings()
    folder = resolve_model(model, settings)
    key = str(folder)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = Tagger(folder, settings)
            # The model, and the modules imported for it (about 230,000 objects), live
            # as long as the process; frozen, the collector stops walking them on every
            # full collection, which had cost about 5% of coding time. (No collect
            # first: it would add 0.1 s to loading to free a few hundred objects.)
            gc.freeze()
        return _CACHE[key]


def clear_cache() -> None:
    """Forget loaded taggers (tests, or after retraining a model in place)."""
    with _LOCK:
        _CACHE.clear()
