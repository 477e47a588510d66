"""The app as its own process, for the load, soak and fault runs.

    python -m tests.reliability.server --database-url URL --data-dir DIR --port N

By default it runs with the rule-based fake tagger and coach of
``tests/service_support.py`` (the service, the database and the HTTP stack are
what is under test; ``--real-model`` loads the shipped tagger and chat coach).
Fault injection for the crash tests: ``--tag-delay S`` holds each upload inside
tagging and ``--save-delay S`` holds it inside the database transaction, after the
turns are written and before the commit; either touches ``--marker FILE`` first so
the test knows when to kill.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import uvicorn

from assistant.core import Assistant
from assistant.model import Transcript
from assistant.settings import Settings


class SlowTagger:
    """The fake tagger, holding each transcript ``delay`` seconds after touching ``marker``."""

    def __init__(self, delay: float, marker: Path | None):
        from tests.service_support import FakeTagger

        self.inner = FakeTagger()
        self.name = self.inner.name
        self.delay = delay
        self.marker = marker

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def transform_transcript(self, transcript: Transcript) -> Transcript:
        if self.delay:
            if self.marker is not None:
                self.marker.write_text("tagging", encoding="utf-8")
            time.sleep(self.delay)
        return self.inner.transform_transcript(transcript)

    def transform(self, transcripts, batch_size: int | None = None):
        for transcript in transcripts:
            yield self.transform_transcript(transcript)


def hold_inside_save(delay: float, marker: Path | None) -> None:
    """Make every save wait ``delay`` s inside its transaction, its rows already sent."""
    from assistant.storage import transcripts

    original = transcripts.save_transcript

    def slow_save(session, *args: Any, **kwargs: Any):
        row = original(session, *args, **kwargs)
        session.flush()
        if marker is not None:
            marker.write_text("saving", encoding="utf-8")
        time.sleep(delay)
        return row

    transcripts.save_transcript = slow_save


def build_core(args: argparse.Namespace) -> Assistant:
    settings = Settings(
        data_dir=args.data_dir,
        database_url=args.database_url,
        rate_limit_per_minute=args.rate_limit,
    )
    if args.real_model:
        return Assistant(settings)
    from tests.service_support import FakeCoach

    return Assistant(settings, tagger=SlowTagger(args.tag_delay, args.marker), coach=FakeCoach())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--real-model", action="store_true")
    parser.add_argument("--tag-delay", type=float, default=0.0)
    parser.add_argument("--save-delay", type=float, default=0.0)
    parser.add_argument("--marker", type=Path, default=None)
    parser.add_argument("--rate-limit", type=int, default=120)
    args = parser.parse_args()

    from assistant.service.app import create_app

    logging.basicConfig(level=logging.WARNING)
    if args.save_delay:
        hold_inside_save(args.save_delay, args.marker)
    core = build_core(args)
    uvicorn.run(
        create_app(core.settings, core=core), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
