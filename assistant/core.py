"""The core object the CLI, the service and the tests all build (datasette-style).

``Assistant`` owns the settings and the loaded tagger, and offers the operations
every interface needs. It loads the model once, on ``start()`` or first use.
"""

from __future__ import annotations

import logging
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.model import Transcript
from assistant.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from assistant.tagging import Tagger

logger = logging.getLogger(__name__)

DEMO_TRANSCRIPT = PROJECT_ROOT / "data" / "demo" / "demo_session.txt"


class Assistant:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.demo: Transcript | None = None

    @cached_property
    def tagger(self) -> Tagger:
        from assistant.tagging import load_tagger

        return load_tagger(self.settings.model, self.settings)

    @property
    def ready(self) -> bool:
        return "tagger" in self.__dict__

    @property
    def model_name(self) -> str | None:
        return self.tagger.name if self.ready else None

    @property
    def demo_summary(self) -> str | None:
        if self.demo is None:
            return None
        counts = Counter(tag for turn in self.demo.turns for tag in turn.tags)
        top = ", ".join(f"{tag} {n}" for tag, n in counts.most_common(6))
        return f"{self.demo.id}, {len(self.demo.turns)} turns ({top})"

    def start(self, *, demo: bool = False) -> None:
        """Prepare the data folder and load the model once; optionally code the demo."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.tagger  # noqa: B018  (load now, not on the first request)
        if demo:
            self.demo = self.code_file(DEMO_TRANSCRIPT)[0]
            logger.info("demo transcript coded: %s", self.demo_summary)

    def read(self, path: str | Path, fmt: str | None = None, therapist: str | None = None):
        from assistant.io import read_transcripts

        return read_transcripts(path, fmt=fmt, therapist=therapist, settings=self.settings)

    def code(self, transcripts: list[Transcript]) -> list[Transcript]:
        return list(self.tagger.transform(transcripts))

    def code_file(self, path: str | Path, fmt: str | None = None) -> list[Transcript]:
        return self.code(self.read(path, fmt=fmt))
