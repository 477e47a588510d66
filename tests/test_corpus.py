import pytest

from assistant.corpus import iter_scenes, load_corpus, read_scenes
from assistant.errors import TranscriptError

SCENE = """\
=== scene: demo-1 | modality: MI | start: 14
# a reviewer's comment
C: the weekend was kind of a mess
T [reflection:simple]: a messy weekend
C [rupture_withdrawal]: I guess. can we talk about something else
T [repair, open_question, self_disclosure:poorly_timed]: sure, what would help
T: mm-hmm
"""


def test_corpus_reads_scene_with_gold_tags(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text(SCENE)
    (scene,) = read_scenes(path)
    assert scene.id == "demo-1"
    assert [t.index for t in scene.turns] == [14, 15, 16, 17, 18]
    assert scene.turns[1].attributes == {"reflection": {"depth": "simple"}}
    assert "poorly_timed_self_disclosure" in scene.turns[3].tags
    assert scene.turns[4].tags == []
    assert scene.source["modality"] == "MI"


@pytest.mark.parametrize(
    "bad, message",
    [
        ("C: text before header\n", "before the first"),
        (
            "=== scene: x | modality: MI | start: 1\nT [reflection]: no depth\nC: b\n",
            "needs an attribute",
        ),
        (
            "=== scene: x | modality: MI | start: 1\nC [warmth]: wrong role\nT: b\n",
            "not a client tag",
        ),
        ("=== scene: x | modality: Gestalt | start: 1\nC: a\nT: b\n", "unknown modality"),
        ("=== scene: x | modality: MI | start: 1\nX: who\nT: b\n", "expected 'T: text'"),
    ],
)
def test_corpus_reports_file_and_line(tmp_path, bad, message):
    path = tmp_path / "bad.txt"
    path.write_text(bad)
    with pytest.raises(TranscriptError) as info:
        read_scenes(path)
    assert message in str(info.value)
    assert str(path) in str(info.value) and "line" in str(info.value)


def test_corpus_iter_goes_on_after_a_bad_scene():
    text = "=== scene: a | modality: MI | start: 0\nQ: bad\n" + SCENE
    items = list(iter_scenes(text))
    assert isinstance(items[0], TranscriptError)
    assert items[1].id == "demo-1"


def test_corpus_rejects_duplicate_scene_ids(tmp_path):
    (tmp_path / "a.txt").write_text(SCENE)
    (tmp_path / "b.txt").write_text(SCENE)
    with pytest.raises(TranscriptError, match="already used"):
        load_corpus([tmp_path])
