"""A rule-based stand-in for the tagger and small input folders, shared by the coding tests.

``RuleTagger`` has the tagger's batch interface (``transform``, ``labels``, ``name``)
and tags by simple rules, so batch coding can be tested in milliseconds; the real
tagger is used in the tests marked ``slow``. ``load_rule_tagger`` is a module-level
object so worker processes and Ray actors can load it by reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.model import Role, Transcript

RULE_LABELS = ["reflection", "open_question", "closed_question", "rupture_withdrawal"]


class RuleTagger:
    name = "rule-tagger"
    sha256 = "rule-tagger-v1"
    labels = RULE_LABELS

    def __init__(self) -> None:
        self.coded: list[str] = []
        self.calls: list[list[str]] = []  # the conversation ids of each transform call

    def _tags(self, role: Role, text: str) -> tuple[list[str], dict[str, float]]:
        lowered = text.lower()
        if role is Role.CLIENT:
            withdrawn = "whatever" in lowered or lowered.strip(" .") in {"fine", "i guess"}
            return (["rupture_withdrawal"] if withdrawn else []), {
                "rupture_withdrawal": 2 / 3 if withdrawn else 1 / 7
            }
        tags: list[str] = []
        if text.rstrip().endswith("?"):
            opener = lowered.split()[0] if lowered.split() else ""
            tags.append("open_question" if opener in {"what", "how", "tell"} else "closed_question")
        elif lowered.startswith(("you", "so you", "it sounds")):
            tags.append("reflection")
        scores = {label: (1 / 3 if label in tags else 1 / 9) for label in RULE_LABELS[:3]}
        return tags, scores

    def transform(
        self, transcripts: Iterable[Transcript], batch_size: int | None = None
    ) -> Iterator[Transcript]:
        transcripts = list(transcripts)
        self.calls.append([t.id for t in transcripts])
        for transcript in transcripts:
            self.coded.append(transcript.id)
            turns = []
            for turn in transcript.turns:
                tags, scores = self._tags(turn.role, turn.text)
                attributes = {"reflection": {"depth": "simple"}} if "reflection" in tags else {}
                turns.append(
                    turn.model_copy(
                        update={"tags": tags, "scores": scores, "attributes": attributes}
                    )
                )
            yield transcript.model_copy(update={"turns": turns})


class RuleTaggerLoader:
    """What ``ModelLoader`` is for a model folder: picklable, named, loads on call."""

    name = RuleTagger.name
    sha256 = RuleTagger.sha256
    labels = RULE_LABELS

    def __call__(self) -> RuleTagger:
        return RuleTagger()


load_rule_tagger = RuleTaggerLoader()


SESSIONS = {
    "intake": [
        ("T", "What brings you in today?"),
        ("C", "My sister made me come, whatever."),
        ("T", "You are here because she pushed."),
        ("C", "Fine."),
        ("T", "Is that okay with you?"),
        ("C", "I guess it has to be."),
    ],
    "followup": [
        ("T", "How was the week?"),
        ("C", "Long. I slept badly and fought with my boss."),
        ("T", "So you are worn out and angry."),
        ("C", "Mostly worn out."),
    ],
}


def write_inputs(folder: Path, copies: int = 1) -> Path:
    """A folder with plain-text sessions in a subfolder and a JSONL file of two sessions."""
    (folder / "text").mkdir(parents=True, exist_ok=True)
    for n in range(copies):
        for name, turns in SESSIONS.items():
            body = "".join(f"{speaker}: {text}\n" for speaker, text in turns)
            (folder / "text" / f"{name}-{n:02d}.txt").write_text(body, encoding="utf-8")
    rows = [
        {"conversation_id": f"lab-{cid}", "speaker": speaker, "text": text, "site": "A"}
        for cid, turns in (("1", SESSIONS["intake"]), ("2", SESSIONS["followup"]))
        for speaker, text in turns
    ]
    (folder / "lab.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    return folder


def test_coding_fakes_rule_tagger_tags_by_rule(tiny_transcript: Transcript) -> None:
    coded = next(RuleTagger().transform([tiny_transcript]))
    assert coded.turns[0].tags == ["open_question"]
    assert coded.turns[2].tags == ["reflection"]
    assert coded.turns[1].tags == []
