"""--engine ray on a local Ray (2 CPUs): the output equals the single-machine output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ray = pytest.importorskip(
    "ray", reason="Ray is not installed (pip install 'alliance-assistant[ray]')"
)

from assistant import coding  # noqa: E402
from assistant.coding import code_files  # noqa: E402
from tests.test_coding_fakes import RuleTagger, load_rule_tagger, write_inputs  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    # Ray Data warns about its own deprecated settings when it copies its context.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
ROOT = Path(__file__).resolve().parent.parent
CODE_FILES = ("turns.jsonl", "sessions.jsonl", "turns.csv", "sessions.csv")


@pytest.fixture(scope="module")
def local_ray():
    with pytest.MonkeyPatch.context() as env:
        # A throwaway local cluster: no auth token written to the home folder.
        env.setenv("RAY_AUTH_MODE", "disabled")
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            # Actors import the test's stand-in tagger from tests/ by name.
            runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
        )
        try:
            yield ray
        finally:
            ray.shutdown()


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in CODE_FILES}


def test_research_ray_output_equals_local_output(tmp_path: Path, local_ray, monkeypatch) -> None:
    monkeypatch.setattr(coding, "UNIT_BYTES", 200)  # about one file per unit: many units
    inputs = write_inputs(tmp_path / "in", copies=2)
    (inputs / "text" / "broken.txt").write_text("no speakers here\n", encoding="utf-8")
    local = code_files([inputs], tmp_path / "local", tagger=RuleTagger())
    on_ray = code_files([inputs], tmp_path / "ray", loader=load_rule_tagger, engine="ray", jobs=2)
    assert (on_ray.files, on_ray.conversations, on_ray.turns) == (
        local.files,
        local.conversations,
        local.turns,
    )
    assert on_ray.failed == local.failed
    assert _bytes(tmp_path / "ray") == _bytes(tmp_path / "local")
    run = json.loads((tmp_path / "ray" / "run.json").read_text(encoding="utf-8"))
    assert run["settings"]["engine"] == "ray" and run["status"] == "complete"


def test_research_ray_real_tagger_equals_single_process(tmp_path: Path, local_ray) -> None:
    from assistant.tagging import load_tagger

    inputs = write_inputs(tmp_path / "in")
    code_files([inputs], tmp_path / "local", tagger=load_tagger())
    code_files([inputs], tmp_path / "ray", tagger=load_tagger(), engine="ray", jobs=1)
    assert _bytes(tmp_path / "ray") == _bytes(tmp_path / "local")
