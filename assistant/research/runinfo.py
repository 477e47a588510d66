"""``run.json``: what a coding run used and did, so a lab can reproduce and report it.

It records the package and library versions, the model (name, sha256 of its
manifest, which itself lists the sha256 of every model file) and codebook hashes,
the settings, every input file's sha256 with its counts, start and end times and
totals. It is written when the run starts (``status: running``) and again when it
ends, so a killed run is visible as one that never finished.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ValidationError

if TYPE_CHECKING:
    from assistant.coding import CodingSummary

RUN_FILE = "run.json"
LIBRARIES = ("torch", "spacy", "numpy", "tokenizers", "pyarrow", "ray")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def library_versions() -> dict[str, str]:
    """Installed versions, read from package metadata (nothing heavy is imported)."""
    from assistant import __version__

    versions = {"alliance-assistant": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def describe_model(source: Any) -> dict[str, Any]:
    """Name, folder and hashes of the model behind a tagger or a loader.

    A model folder is described from its ``manifest.json`` (no weights are loaded);
    anything else (a test double) by its ``name`` and an optional ``sha256``.
    """
    folder = getattr(source, "path", None) or getattr(source, "folder", None)
    manifest_path = Path(folder) / "manifest.json" if folder is not None else None
    if manifest_path is None or not manifest_path.is_file():
        return {
            "name": str(getattr(source, "name", type(source).__name__)),
            "path": str(folder) if folder is not None else None,
            "sha256": getattr(source, "sha256", None),
            "labels": list(getattr(source, "labels", [])),
        }
    raw = manifest_path.read_bytes()
    manifest = json.loads(raw)
    files = manifest.get("files", {})
    return {
        "name": manifest.get("name") or Path(folder).name,
        "path": str(folder),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "weights_sha256": files.get("head.safetensors"),
        "codebook_sha256": (manifest.get("codebook") or {}).get("sha256")
        or files.get("codebook.yaml"),
        "encoder": {
            "name": manifest.get("encoder", {}).get("name"),
            "sha256": manifest.get("encoder", {}).get("sha256"),
        },
        "labels": list(manifest.get("labels", [])),
        "trained": manifest.get("created"),
    }


def check_same_model(previous: dict[str, Any], model: dict[str, Any], out_dir: Path) -> None:
    """Refuse to resume a run with another model: the output would mix two coders."""
    before = previous.get("model") or {}
    if before.get("sha256") != model.get("sha256") or before.get("name") != model.get("name"):
        raise ValidationError(
            f"the output was coded with model {before.get('name')!r} "
            f"(sha256 {str(before.get('sha256'))[:12]}) but this run uses {model.get('name')!r} "
            f"(sha256 {str(model.get('sha256'))[:12]}); resuming would mix two models' codes: "
            "use another --out folder or --overwrite",
            path=out_dir / RUN_FILE,
        )


class RunRecord:
    """Builds and writes ``run.json`` for one run."""

    def __init__(
        self,
        out_dir: Path,
        *,
        model: dict[str, Any],
        settings: dict[str, Any],
        previous: dict[str, Any] | None = None,
    ) -> None:
        self.path = out_dir / RUN_FILE
        history = list((previous or {}).get("previous_runs", []))
        if previous:
            history.append(
                {k: previous.get(k) for k in ("started", "finished", "status", "counts")}
            )
        self.data: dict[str, Any] = {
            "status": "running",
            "started": None,
            "finished": None,
            "versions": library_versions(),
            "model": model,
            "codebook_sha256": model.get("codebook_sha256"),
            "settings": settings,
            "counts": {},
            "output": {},
            "inputs": [],
            "previous_runs": history,
        }
        self._inputs: dict[str, dict[str, Any]] = {}

    def start(self) -> None:
        self.data["started"] = _now()
        self._write()

    def add_input(self, path: Path, *, skipped: int = 0) -> None:
        entry = {
            "path": str(path),
            "sha256": sha256_file(path) if path.is_file() else None,
            "conversations": 0,
            "turns": 0,
            "resumed": skipped,
        }
        self._inputs[str(path)] = entry
        self.data["inputs"].append(entry)

    def count(self, path: Path, turns: int) -> None:
        entry = self._inputs[str(path)]
        entry["conversations"] += 1
        entry["turns"] += turns

    def fail(self, path: Path, message: str) -> None:
        self._inputs[str(path)]["error"] = message

    def finish(
        self, status: str, summary: CodingSummary, output: dict[str, int] | None = None
    ) -> None:
        self.data["status"] = status
        self.data["finished"] = _now()
        self.data["counts"] = {
            "files": summary.files,
            "conversations": summary.conversations,
            "turns": summary.turns,
            "resumed_conversations": summary.resumed,
            "failed_files": len(summary.failed),
        }
        self.data["output"] = output or {}
        self._write()

    def _write(self) -> None:
        # Written beside and renamed into place, so run.json is never half-written.
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(
            json.dumps(self.data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        os.replace(temporary, self.path)
