"""Re-tune a trained tagger's per-tag thresholds on a lab's own coded transcripts.

Training tunes thresholds on its own scenes, out of fold. Coders elsewhere draw the
line between, say, a flat "okay" and withdrawal a little differently, and their codes
are the ones a lab reports against. A few dozen coded sessions are too few to retrain
on but enough to move a threshold, if the move is checked on transcripts it was not
chosen on: each tag's threshold is chosen on one half of the transcripts and scored
on the other, over several random halvings, and it changes only where that held-out
F1 rises in most of them. Weights, rules and everything else stay as trained.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ValidationError
from assistant.model import Transcript
from assistant.tagging.head import read_manifest, write_manifest
from assistant.tagging.pipeline import Tagger
from assistant.tagging.train import GRID, binary_f1, data_hash, middle_of_best

logger = logging.getLogger(__name__)

MIN_SUPPORT = 10  # gold positives a tag needs before its threshold may move
MIN_GAIN = 0.01  # mean held-out F1 gain a move must show
WIN_SHARE = 0.7  # share of held-out halves in which the move must help
MAX_SHIFT = 0.25  # no threshold moves further than this from the trained one


@dataclass
class TagCalibration:
    """What calibration found for one tag, and whether its threshold moved."""

    tag: str
    support: int
    trained: float
    chosen: float
    held_out_trained: float
    held_out_chosen: float
    wins: int
    halves: int
    changed: bool
    reason: str

    @property
    def gain(self) -> float:
        return self.held_out_chosen - self.held_out_trained


@dataclass
class Calibration:
    """Per-tag results and the thresholds a calibrated model would carry."""

    model: str
    turns: int
    transcripts: int
    data_sha256: str
    tags: list[TagCalibration] = field(default_factory=list)

    def thresholds(self, trained: dict[str, float]) -> dict[str, float]:
        moved = {c.tag: c.chosen for c in self.tags if c.changed}
        return {tag: moved.get(tag, value) for tag, value in trained.items()}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for row, calibration in zip(out["tags"], self.tags, strict=True):
            row["gain"] = round(calibration.gain, 4)
        return out


def choose_threshold(gold: np.ndarray, scores: np.ndarray, trained: float) -> float:
    """The middle of the grid points within 2% of the best F1 (as training does),
    kept within ``MAX_SHIFT`` of the trained threshold."""
    f1s = np.array([binary_f1(gold, scores >= t) for t in GRID])
    if not gold.any() or f1s.max() <= 0.0:
        return trained
    return min(max(middle_of_best(f1s), trained - MAX_SHIFT), trained + MAX_SHIFT)


def calibrate_tagger(
    tagger: Tagger,
    gold: Sequence[Transcript],
    tags: Sequence[str] | None = None,
    repeats: int = 5,
    seed: int = 13,
) -> Calibration:
    """Code ``gold`` with ``tagger`` and decide, per tag, whether its threshold moves."""
    if repeats < 1:
        raise ValidationError("repeats must be at least 1")
    unknown = sorted(set(tags or ()) - set(tagger.labels))
    if unknown:
        raise ValidationError(f"the model has no tags {unknown}; it has {tagger.labels}")
    if len(gold) < 4:
        raise ValidationError(
            f"calibration needs at least 4 coded transcripts to hold half out; got {len(gold)}"
        )
    predicted = list(tagger.transform(gold))
    roles = tagger.scorer.label_roles
    trained = tagger.scorer.thresholds
    result = Calibration(
        model=tagger.name,
        turns=sum(len(t.turns) for t in gold),
        transcripts=len(gold),
        data_sha256=data_hash(gold),
    )
    for tag in tags or tagger.labels:
        owner, golds, scores = [], [], []
        for number, (coded, scored) in enumerate(zip(gold, predicted, strict=True)):
            for turn, guess in zip(coded.turns, scored.turns, strict=True):
                if roles.get(tag) and turn.role.value != roles[tag]:
                    continue
                owner.append(number)
                golds.append(turn.has(tag))
                scores.append(guess.scores.get(tag, 0.0))
        result.tags.append(
            _calibrate_tag(
                tag,
                np.array(owner),
                np.array(golds, dtype=bool),
                np.array(scores, dtype=float),
                trained[tag],
                len(gold),
                repeats,
                seed,
            )
        )
    return result


def _calibrate_tag(
    tag: str,
    owner: np.ndarray,
    gold: np.ndarray,
    scores: np.ndarray,
    trained: float,
    transcripts: int,
    repeats: int,
    seed: int,
) -> TagCalibration:
    support = int(gold.sum())
    chosen = choose_threshold(gold, scores, trained)
    base = dict(tag=tag, support=support, trained=trained, chosen=chosen)
    if support < MIN_SUPPORT:
        return TagCalibration(
            **base,
            held_out_trained=0.0,
            held_out_chosen=0.0,
            wins=0,
            halves=0,
            changed=False,
            reason=f"fewer than {MIN_SUPPORT} gold positives",
        )
    rng = random.Random(f"{seed}:{tag}")
    before, after, wins = [], [], 0
    numbers = list(range(transcripts))
    for _ in range(repeats):
        rng.shuffle(numbers)
        first = np.isin(owner, numbers[: transcripts // 2])
        for pick, score in ((first, ~first), (~first, first)):
            picked = choose_threshold(gold[pick], scores[pick], trained)
            was = binary_f1(gold[score], scores[score] >= trained)
            now = binary_f1(gold[score], scores[score] >= picked)
            before.append(was)
            after.append(now)
            wins += now > was
    halves = len(before)
    held_before, held_after = float(np.mean(before)), float(np.mean(after))
    needed = math.ceil(WIN_SHARE * halves)
    if chosen == trained:
        changed, reason = False, "the trained threshold is already the best here"
    elif held_after - held_before < MIN_GAIN:
        changed, reason = False, f"held-out F1 gains less than {MIN_GAIN}"
    elif wins < needed:
        changed, reason = False, f"helps in {wins} of {halves} held-out halves (needs {needed})"
    else:
        changed, reason = True, f"helps in {wins} of {halves} held-out halves"
    return TagCalibration(
        **base,
        held_out_trained=round(held_before, 4),
        held_out_chosen=round(held_after, 4),
        wins=wins,
        halves=halves,
        changed=changed,
        reason=reason,
    )


def write_calibrated(
    tagger: Tagger, calibration: Calibration, out: Path, sources: Sequence[str]
) -> Path:
    """Copy the model folder to ``out`` with the calibrated thresholds in its manifest.

    The weights are copied unchanged (their sha256 in the manifest still holds); the
    manifest records the trained thresholds and the calibration, so the move can be
    read and undone.
    """
    source = tagger.path.resolve()
    if out.resolve() == source:
        raise ValidationError(
            "--out must be a new folder, not the model being calibrated", path=out
        )
    if out.exists():
        raise ValidationError("the output folder already exists; choose a new one", path=out)
    manifest = read_manifest(source)
    trained = {k: float(v) for k, v in manifest["thresholds"].items()}
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial)
    manifest["name"] = out.name
    manifest["thresholds"] = calibration.thresholds(trained)
    manifest["calibration"] = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "from_model": tagger.name,
        "trained_thresholds": trained,
        "gold": list(sources),
        **calibration.to_dict(),
    }
    write_manifest(partial, manifest)
    partial.rename(out)  # the folder appears whole or not at all
    moved = [c.tag for c in calibration.tags if c.changed]
    logger.info("wrote %s (thresholds moved: %s)", out, ", ".join(moved) or "none")
    return out
