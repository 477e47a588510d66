"""A batch-coding run as its own process, slowed down so a test can kill it mid-way.

    python -m tests.reliability.coding_run INPUTS OUT [--delay S] [--jobs N] [--resume]

It codes with the rule-based tagger of ``tests/test_coding_fakes.py``, waiting
``--delay`` seconds per conversation; the output bytes do not depend on the delay.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.coding import code_files
from assistant.model import Transcript
from tests.test_coding_fakes import RULE_LABELS, RuleTagger


class SlowRuleTagger(RuleTagger):
    def __init__(self, delay: float = 0.0):
        super().__init__()
        self.delay = delay

    def transform(
        self, transcripts: Iterable[Transcript], batch_size: int | None = None
    ) -> Iterator[Transcript]:
        for coded in super().transform(transcripts, batch_size):
            time.sleep(self.delay)
            yield coded


class SlowLoader:
    """Picklable, so pool workers load their own slow tagger."""

    name = RuleTagger.name
    sha256 = RuleTagger.sha256
    labels = RULE_LABELS

    def __init__(self, delay: float):
        self.delay = delay

    def __call__(self) -> SlowRuleTagger:
        return SlowRuleTagger(self.delay)


def run(inputs: Path, out: Path, *, delay: float, jobs: int, resume: bool) -> None:
    if jobs > 1:
        code_files([inputs], out, loader=SlowLoader(delay), jobs=jobs, resume=resume)
    else:
        code_files([inputs], out, tagger=SlowRuleTagger(delay), resume=resume)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    run(args.inputs, args.out, delay=args.delay, jobs=args.jobs, resume=args.resume)


if __name__ == "__main__":
    main()
