"""Tagger accuracy when the transcription style changes.

Scores the held-out test set eight ways:

- as written (a mix of ASR-style and clean lines);
- ASR-style (lowercase, every punctuation mark removed);
- clean (sentence case, a final full stop where a line has no end mark);
- openers: every therapist turn opens with an acknowledgement ("Got it.", "mhm"), in
  the scene's own style, from ``restyle.HELD_OUT_OPENERS``, which training never uses;
- hesitations: one or two in every turn (a filler from ``restyle.HELD_OUT_FILLERS``,
  also never used in training, or a restarted word);
- rising: in the scenes not written as ASR output, every reflection that is not also a
  question ends with "?" (a mirror said with a rising tone, which the codebook keeps a
  reflection);
- noise marks: every turn of three words or more carries one transcriber's note about
  the recording ("[inaudible]", "(cross-talk)", "<cough>"), at its start, inside it or,
  most often, at its end (``assistant/tagging/marks.py`` drops such notes before coding);
- speaker notes: every therapist turn of three words or more carries one transcriber's
  note about the therapist ("(laughs)", "[chuckles]", "(pause)"), at its start or inside
  it. Such notes say nothing about which code a therapist turn gets; client turns keep
  theirs as written, since a client's "(long pause)" can be a withdrawal.

Real coded transcripts come in both styles, and real therapists open many turns that
way and hesitate; a tagger that leans on punctuation, on how a turn opens or on fluent
wording would drop sharply.

    .venv/bin/python bench/style_robustness.py [--gold data/corpus/test] [--model NAME]
        [--only "as written,speaker notes"]
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOISE_MARKS = (
    "[inaudible]", "(inaudible)", "[crosstalk]", "(cross-talk)", "[unclear]",
    "<unintelligible>", "(cough)", "[background noise]", "[overlapping speech]",
    "[inaudible 00:12:31]",
)  # fmt: skip
SPEAKER_NOTES = (
    "(laughs)", "[laughs]", "[chuckles]", "(laughing)", "(pause)", "[pause]", "(sighs)",
    "[smiles]", "(laughs softly)", "[short pause]",
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(ROOT / "data/corpus/test"))
    parser.add_argument("--model", default=None)
    parser.add_argument(
        "--only", default=None, help="comma-separated variant names to run (default: all)"
    )
    args = parser.parse_args()

    from assistant.corpus import load_corpus
    from assistant.model import Role, Transcript, Turn
    from assistant.tagging import load_tagger
    from assistant.tagging.evaluate import evaluate_tagger
    from assistant.tagging.restyle import (
        HELD_OUT_FILLERS,
        HELD_OUT_OPENERS,
        asr_style,
        clean_style,
        looks_asr,
        said_rising,
        with_disfluency,
        with_opener,
    )

    gold = load_corpus([args.gold])
    style_of = {t.id: "asr" if looks_asr(t) else "clean" for t in gold}  # each scene's style

    def opened(transcript: Transcript, turn: Turn) -> str:
        if turn.role is not Role.THERAPIST:
            return turn.text
        return with_opener(turn.text, style_of[transcript.id], 1.0, HELD_OUT_OPENERS)

    def hesitant(transcript: Transcript, turn: Turn) -> str:
        return with_disfluency(turn.text, style_of[transcript.id], 1.0, HELD_OUT_FILLERS)

    def rising(transcript: Transcript, turn: Turn) -> str:
        text = turn.text.rstrip()
        asr = style_of[transcript.id] == "asr"
        if asr or not said_rising(turn.tags) or text.endswith(("?", "!")):
            return turn.text
        return (text[:-1] if text.endswith(".") else text) + "?"

    def noisy(transcript: Transcript, turn: Turn) -> str:
        words = turn.text.split()
        if len(words) < 3:
            return turn.text
        digest = zlib.crc32(turn.text.encode("utf-8"))
        mark = NOISE_MARKS[digest % len(NOISE_MARKS)]
        at = (0, len(words) // 2, len(words), len(words))[(digest // 97) % 4]
        return " ".join([*words[:at], mark, *words[at:]])

    def noted(transcript: Transcript, turn: Turn) -> str:
        words = turn.text.split()
        if turn.role is not Role.THERAPIST or len(words) < 3:
            return turn.text
        digest = zlib.crc32(turn.text.encode("utf-8"))
        note = SPEAKER_NOTES[digest % len(SPEAKER_NOTES)]
        at = (0, 0, len(words) // 2)[(digest // 97) % 3]
        return " ".join([*words[:at], note, *words[at:]])

    tagger = load_tagger(args.model)
    variants = (
        ("as written", None),
        ("asr", lambda t, u: asr_style(u.text)),
        ("clean", lambda t, u: clean_style(u.text)),
        ("openers", opened),
        ("hesitations", hesitant),
        ("rising", rising),
        ("noise marks", noisy),
        ("speaker notes", noted),
    )
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        unknown = wanted - {name for name, _ in variants}
        if unknown:
            parser.error(f"unknown variant(s): {', '.join(sorted(unknown))}")
        variants = tuple(v for v in variants if v[0] in wanted)
    for name, rewrite in variants:
        variant = gold
        if rewrite is not None:
            variant = [
                t.model_copy(
                    update={
                        "turns": [u.model_copy(update={"text": rewrite(t, u)}) for u in t.turns]
                    }
                )
                for t in gold
            ]
        report = evaluate_tagger(tagger, variant)
        tags = " ".join(f"{k}={v['f1']:.2f}" for k, v in report["tags"].items())
        sys.stdout.write(f"{name}: macro F1 {report['macro_f1']:.3f}  {tags}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
