"""A batch-coding run as its own process, slowed down so a test can kill it mid-way.

    python -m tests.reliability.coding_run INPUTS OUT [--delay S] [--stall-after K]
        [--unit-bytes B] [--jobs N] [--resume]

It codes with the rule-based tagger of ``tests/test_coding_fakes.py``, waiting
``--delay`` seconds per conversation; the output bytes do not depend on the delay.
With ``--stall-after K`` each tagger (one per worker) hangs once it has coded K
conversations, so a run meant to be killed cannot finish first on a fast or busy machine.
``--unit-bytes`` overrides ``assistant.coding.UNIT_BYTES`` so the test's small inputs
make several units of work: with one unit, a pool run writes nothing until it is done.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import assistant.coding
from assistant.coding import code_files
from assistant.model import Transcript
from tests.test_coding_fakes import RULE_LABELS, RuleTagger


class SlowRuleTagger(RuleTagger):
    def __init__(self, delay: float = 0.0, stall_after: int | None = None):
        super().__init__()
        self.delay = delay
        self.stall_after = stall_after
        self.yielded = 0

    def transform(
        self, transcripts: Iterable[Transcript], batch_size: int | None = None
    ) -> Iterator[Transcript]:
        for coded in super().transform(transcripts, batch_size):
            if self.stall_after is not None and self.yielded >= self.stall_after:
                time.sleep(3600)  # until the test kills the process group
            time.sleep(self.delay)
            self.yielded += 1
            yield coded


class SlowLoader:
    """Picklable, so pool workers load their own slow tagger."""

    name = RuleTagger.name
    sha256 = RuleTagger.sha256
    labels = RULE_LABELS

    def __init__(self, delay: float, stall_after: int | None = None):
        self.delay = delay
        self.stall_after = stall_after

    def __call__(self) -> SlowRuleTagger:
        return SlowRuleTagger(self.delay, self.stall_after)


def run(
    inputs: Path,
    out: Path,
    *,
    delay: float,
    jobs: int,
    resume: bool,
    stall_after: int | None = None,
) -> None:
    loader = SlowLoader(delay, stall_after)
    if jobs > 1:
        code_files([inputs], out, loader=loader, jobs=jobs, resume=resume)
    else:
        code_files([inputs], out, tagger=loader(), resume=resume)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--stall-after", type=int, default=None)
    parser.add_argument("--unit-bytes", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    if args.unit_bytes is not None:
        # Units are cut in this (the parent) process, so patching here is enough.
        assistant.coding.UNIT_BYTES = args.unit_bytes
    run(
        args.inputs,
        args.out,
        delay=args.delay,
        jobs=args.jobs,
        resume=args.resume,
        stall_after=args.stall_after,
    )


if __name__ == "__main__":
    main()
