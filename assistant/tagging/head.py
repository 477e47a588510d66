"""The trained head: a small multi-label MLP with attribute heads, saved as a model folder.

A model folder holds ``head.safetensors`` (the weights, a few hundred kB),
``manifest.json`` (labels, roles, thresholds, attribute values, the feature layout,
the pipeline, the encoder's name and sha256, the training-data hash, metrics and the
library versions), ``codebook.yaml`` (the codebook the cue features were built with)
and ``examples.safetensors`` (codebook positive examples, pre-encoded, for evidence).
The encoder itself is never copied: it comes from its package.

Loading checks every file and raises ``ModelError`` naming the file that is missing or
corrupt; library versions that differ from the ones used in training only warn.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from assistant.errors import ModelError
from assistant.tagging.adapter import ADAPTER_FILE, AdapterSpec, TurnAdapter
from assistant.tagging.encoder import Encoder

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
WEIGHTS = "head.safetensors"
EXAMPLES = "examples.safetensors"
CODEBOOK = "codebook.yaml"
FORMAT_VERSION = 1
REQUIRED_KEYS = (
    "format_version",
    "name",
    "labels",
    "label_roles",
    "thresholds",
    "attributes",
    "features",
    "pipeline",
    "encoder",
    "head",
    "files",
    "versions",
)


def attribute_key(tag: str, name: str) -> str:
    return f"{tag}.{name}"


class TaggerHead(nn.Module):
    """features -> hidden -> one logit per label, plus one softmax head per attribute."""

    def __init__(
        self,
        in_dim: int,
        labels: list[str],
        attributes: dict[str, list[str]],
        hidden: int = 256,
        dropout: float = 0.3,
        input_dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.labels = list(labels)
        self.attribute_values = {k: list(v) for k, v in attributes.items()}
        self.trunk = nn.Sequential(
            nn.Dropout(input_dropout),
            nn.Linear(in_dim, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
        )
        self.tags = nn.Linear(hidden, len(labels))
        self.attribute_heads = nn.ModuleDict(
            {
                key.replace(".", "__"): nn.Linear(hidden, len(values))
                for key, values in attributes.items()
            }
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        h = self.trunk(x)
        return self.tags(h), {
            key: self.attribute_heads[key.replace(".", "__")](h) for key in self.attribute_values
        }

    @torch.inference_mode()
    def predict(
        self, x: np.ndarray, bfloat16: bool = False
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Label probabilities (n, labels) and attribute value probabilities per key.

        ``bfloat16``: run the layers in bfloat16 (the tagger does where its encoder
        does; it halves the head's time and changed the tags of 4 of 20,470 corpus
        turns).
        """
        self.eval()
        with torch.autocast("cpu", torch.bfloat16, enabled=bfloat16):
            logits, attrs = self(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
        return (
            torch.sigmoid(logits.float()).numpy(),
            {key: torch.softmax(value.float(), dim=-1).numpy() for key, value in attrs.items()},
        )


class HeadEnsemble(nn.Module):
    """Several heads trained with different seeds; probabilities are averaged.

    Averaging a few small heads costs nothing next to the encoder and makes the
    scores less tied to one random initialisation (steadier thresholds).
    """

    def __init__(self, members: list[TaggerHead]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one head")
        self.members = nn.ModuleList(members)
        self.labels = members[0].labels
        self.attribute_values = members[0].attribute_values

    @torch.inference_mode()
    def predict(
        self, x: np.ndarray, bfloat16: bool = False
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        outputs = [member.predict(x, bfloat16) for member in self.members]  # type: ignore[operator]
        probs = np.mean([o[0] for o in outputs], axis=0)
        attrs = {k: np.mean([o[1][k] for o in outputs], axis=0) for k in outputs[0][1]}
        return probs, attrs


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def library_versions() -> dict[str, str]:
    import spacy
    import tokenizers

    from assistant import __version__

    return {
        "alliance-assistant": __version__,
        "torch": torch.__version__.split("+")[0],
        "spacy": spacy.__version__,
        "numpy": np.__version__,
        "tokenizers": tokenizers.__version__,
    }


def save_model(
    folder: Path,
    head: HeadEnsemble,
    manifest: dict[str, Any],
    examples: np.ndarray | None = None,
    codebook_text: str | None = None,
    adapter: TurnAdapter | None = None,
) -> dict[str, Any]:
    """Write the model folder; the manifest gets the file hashes and library versions."""
    folder.mkdir(parents=True, exist_ok=True)
    # float16 on disk halves the folder; the head computes in float32 after loading.
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in head.state_dict().items()}
    save_file(state, str(folder / WEIGHTS))
    files = {WEIGHTS: file_sha256(folder / WEIGHTS)}
    if adapter is not None:
        # float32: the low-rank factors are multiplied together at load.
        trained = {k: v.contiguous() for k, v in adapter.trained_state().items()}
        save_file(trained, str(folder / ADAPTER_FILE))
        files[ADAPTER_FILE] = file_sha256(folder / ADAPTER_FILE)
        manifest = {**manifest, "adapter": adapter.spec.to_dict()}
    if examples is not None:
        save_file(
            {"embeddings": torch.from_numpy(examples.astype(np.float16))}, str(folder / EXAMPLES)
        )
        files[EXAMPLES] = file_sha256(folder / EXAMPLES)
    if codebook_text is not None:
        (folder / CODEBOOK).write_text(codebook_text, encoding="utf-8")
        files[CODEBOOK] = file_sha256(folder / CODEBOOK)
    manifest = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "files": files,
        "versions": library_versions(),
    }
    write_manifest(folder, manifest)
    return manifest


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST).write_text(
        json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ModelError("model folder not found", path=folder)
    if not path.is_file():
        raise ModelError(
            "the model folder has no manifest.json; retrain with 'alliance train'", path=path
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ModelError(f"manifest is not valid JSON: {error}", path=path) from error
    if not isinstance(manifest, dict):
        raise ModelError("manifest must be a JSON object", path=path)
    missing = [key for key in REQUIRED_KEYS if key not in manifest]
    if missing:
        raise ModelError(f"manifest lacks {missing}; retrain with 'alliance train'", path=path)
    if manifest["format_version"] != FORMAT_VERSION:
        raise ModelError(
            f"model format {manifest['format_version']} is not supported (expected {FORMAT_VERSION}); "
            "retrain with 'alliance train'",
            path=path,
        )
    labels, thresholds = manifest["labels"], manifest["thresholds"]
    if not isinstance(labels, list) or not labels or set(thresholds) != set(labels):
        raise ModelError("manifest labels and thresholds do not match", path=path)
    weights = manifest.get("adapter_weights", {})
    if not isinstance(weights, dict) or any(
        key not in labels or not isinstance(value, int | float) or not 0 <= value <= 1
        for key, value in weights.items()
    ):
        raise ModelError("manifest adapter_weights must map labels to weights in [0, 1]", path=path)
    return manifest


def check_versions(manifest: dict[str, Any], folder: Path) -> list[str]:
    """Warn (and return the warnings) where installed libraries differ from training."""
    trained = manifest.get("versions", {})
    now = library_versions()
    notes = []
    for name in ("torch", "spacy", "tokenizers"):
        was, current = trained.get(name), now.get(name)
        if was and current and was.split(".")[:2] != current.split(".")[:2]:
            notes.append(f"{name} {current} is installed but the model was trained with {was}")
    for note in notes:
        logger.warning("%s: %s; predictions may differ slightly", folder / MANIFEST, note)
    return notes


def _checked_file(folder: Path, manifest: dict[str, Any], name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ModelError("model file is missing", path=path)
    expected = manifest["files"].get(name)
    if expected and file_sha256(path) != expected:
        raise ModelError("model file is corrupt (sha256 differs from manifest.json)", path=path)
    return path


@dataclass
class LoadedHead:
    head: HeadEnsemble
    manifest: dict[str, Any]
    examples: np.ndarray | None
    codebook_path: Path | None


def load_adapter(folder: Path, manifest: dict[str, Any], encoder: Encoder) -> TurnAdapter:
    """The turn adapter named in the manifest, rebuilt on ``encoder``'s top layers."""
    path = _checked_file(folder, manifest, ADAPTER_FILE)
    try:
        spec = AdapterSpec.from_dict(manifest["adapter"])
        adapter = TurnAdapter(encoder, spec)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(
            f"manifest.json describes an adapter that cannot be built: {error}",
            path=folder / MANIFEST,
        ) from error
    try:
        adapter.load_trained_state(load_file(str(path)))
    except (SafetensorError, OSError, KeyError, RuntimeError) as error:
        message = str(error).splitlines()[0]
        raise ModelError(
            f"adapter weights do not match manifest.json: {message}", path=path
        ) from error
    return adapter.eval()


def load_model(folder: Path) -> LoadedHead:
    manifest = read_manifest(folder)
    check_versions(manifest, folder)
    weights = _checked_file(folder, manifest, WEIGHTS)
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelError(f"cannot read the weights: {error}", path=weights) from error
    config = manifest["head"]
    try:
        head = HeadEnsemble(
            [
                TaggerHead(
                    in_dim=int(manifest["features"]["dim"]),
                    labels=list(manifest["labels"]),
                    attributes={k: list(v) for k, v in manifest["attributes"].items()},
                    hidden=int(config["hidden"]),
                )
                for _ in range(int(config.get("members", 1)))
            ]
        )
        head.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        message = str(error).splitlines()[0]
        raise ModelError(f"weights do not match manifest.json: {message}", path=weights) from error
    head.eval()
    examples = None
    if EXAMPLES in manifest["files"]:
        path = _checked_file(folder, manifest, EXAMPLES)
        try:
            examples = load_file(str(path))["embeddings"].float().numpy()
        except (SafetensorError, OSError, KeyError) as error:
            raise ModelError(f"cannot read the example embeddings: {error}", path=path) from error
    codebook = _checked_file(folder, manifest, CODEBOOK) if CODEBOOK in manifest["files"] else None
    return LoadedHead(head, manifest, examples, codebook)
