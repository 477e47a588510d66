"""The drill library: every shipped file validates; a bad file fails with a clear error."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assistant.drills.schema import (
    DRILLS_DIR,
    LEVELS,
    load_library,
    parse_drill_file,
)
from assistant.errors import NotFoundError, ValidationError
from assistant.feedback.schema import SKILLS
from assistant.settings import Settings

SHIPPED = sorted(DRILLS_DIR.glob("*.yaml"))
LEVEL_LETTER = {"beginner": "b", "intermediate": "i", "advanced": "a"}

GOOD_ITEM = """\
  - id: {id}
    level: beginner
    context: "40-year-old teacher, second session"
    client_statement: "I can't switch off at night, the marking just sits in my head."
    criteria:
      - "Reflects the feeling of never being off duty"
    target_tags: [reflection]
    avoid_tags: [advice]
    model_responses:
      - "Even at night the job follows you home."
    pitfalls:
      - "Suggesting a bedtime routine"
"""


def drill_file(skill: str, items: str, title: str = "A trainer's drills") -> str:
    return f"skill: {skill}\ntitle: {title}\nitems:\n{items}"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_drills_schema_every_shipped_file_is_valid(path: Path):
    parsed = parse_drill_file(path.read_text(encoding="utf-8"), path)
    assert parsed.skill == path.stem
    assert parsed.title.strip() and parsed.description.strip()
    for item in parsed.items:
        assert item.skill == parsed.skill
        assert item.id.startswith(f"{parsed.skill}-{LEVEL_LETTER[item.level]}-"), item.id
        assert 2 <= len(item.model_responses) <= 3, item.id
        assert len(item.criteria) >= 2, item.id
        assert item.pitfalls, item.id


def test_drills_schema_library_covers_every_skill_and_level():
    library = load_library([DRILLS_DIR])
    assert set(SKILLS) <= set(library.skills), "a skill file is missing from prompts/drills"
    assert len(library) >= 80
    for skill in SKILLS:
        levels = Counter(item.level for item in library.items(skill))
        assert set(levels) == set(LEVELS), (skill, levels)
    statements = [i.client_statement for s in library.skills.values() for i in s.items]
    assert len(set(statements)) == len(statements), "a client statement is repeated"


def test_drills_schema_bad_file_names_file_line_and_item(tmp_path):
    bad = drill_file(
        "reflection",
        GOOD_ITEM.format(id="mine-b-01")
        + GOOD_ITEM.format(id="mine-b-02").replace(
            '    model_responses:\n      - "Even at night the job follows you home."\n',
            "    model_responses: []\n",
        ),
    )
    path = tmp_path / "mine.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_library([path])
    message = str(caught.value)
    assert str(path) in message
    assert "item 'mine-b-02' (items[1])" in message
    assert "model_responses" in message
    # the line of the empty list in the file
    line = bad.splitlines().index("    model_responses: []") + 1
    assert caught.value.line == line and f"line {line}" in message


def test_drills_schema_unknown_field_and_tag_are_named(tmp_path):
    typo = GOOD_ITEM.format(id="mine-b-01").replace("model_responses:", "model_response:")
    with pytest.raises(ValidationError, match="unknown field 'model_response'") as caught:
        parse_drill_file(drill_file("reflection", typo), tmp_path / "typo.yaml")
    assert (
        caught.value.line
        == drill_file("reflection", typo).splitlines().index("    model_response:") + 1
    )
    wrong_tag = GOOD_ITEM.format(id="mine-b-01").replace("[advice]", "[lecturing]")
    with pytest.raises(ValidationError, match="unknown tag\\(s\\) 'lecturing' in avoid_tags"):
        parse_drill_file(drill_file("reflection", wrong_tag), "tags.yaml")
    both = GOOD_ITEM.format(id="mine-b-01").replace("[advice]", "[reflection]")
    with pytest.raises(ValidationError, match="both target and avoid"):
        parse_drill_file(drill_file("reflection", both), "both.yaml")
    level = GOOD_ITEM.format(id="mine-b-01").replace("level: beginner", "level: expert")
    with pytest.raises(ValidationError, match="level"):
        parse_drill_file(drill_file("reflection", level), "level.yaml")


def test_drills_schema_broken_yaml_reports_its_line(tmp_path):
    text = drill_file("reflection", GOOD_ITEM.format(id="mine-b-01")) + '  - id: "unclosed\n'
    with pytest.raises(ValidationError, match="not valid YAML") as caught:
        parse_drill_file(text, tmp_path / "broken.yaml")
    assert caught.value.line is not None and caught.value.line >= len(text.splitlines()) - 1
    with pytest.raises(ValidationError, match="a mapping"):
        parse_drill_file("- just\n- a list\n", "list.yaml")


def test_drills_schema_duplicate_ids_name_both_files(tmp_path):
    (tmp_path / "a.yaml").write_text(drill_file("reflection", GOOD_ITEM.format(id="dup-1")))
    (tmp_path / "b.yaml").write_text(drill_file("reflection", GOOD_ITEM.format(id="dup-1")))
    with pytest.raises(ValidationError, match="repeats an id") as caught:
        load_library([tmp_path])
    assert "a.yaml" in str(caught.value) and "b.yaml" in str(caught.value)


def test_drills_schema_trainer_folder_adds_items_without_code_changes(tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    (own / "extra_reflection.yaml").write_text(
        drill_file("reflection", GOOD_ITEM.format(id="clinic-refl-01"))
    )
    (own / "motivational.yaml").write_text(
        drill_file("change_talk", GOOD_ITEM.format(id="clinic-ct-01"), title="Change talk")
    )
    library = load_library(settings=Settings(drills_dirs=[own]))
    assert library.item("clinic-refl-01").skill == "reflection"
    assert library.skill("change_talk").title == "Change talk"
    assert (
        len(library.items("reflection")) == len(load_library([DRILLS_DIR]).items("reflection")) + 1
    )
    assert library.sources["clinic-ct-01"] == own / "motivational.yaml"
    with pytest.raises(NotFoundError):
        library.item("no-such-item")
    with pytest.raises(ValidationError, match="unknown drill skill 'juggling'"):
        library.skill("juggling")


def test_drills_schema_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValidationError, match="ALLIANCE_DRILLS_DIRS") as caught:
        load_library(settings=Settings(drills_dirs=[tmp_path / "nowhere"]))
    assert "nowhere" in str(caught.value)


def test_drills_schema_settings_read_paths_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ALLIANCE_DRILLS_DIRS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert Settings().drills_dirs == [tmp_path / "a", tmp_path / "b"]
    monkeypatch.setenv("ALLIANCE_DRILLS_DIRS", f'["{tmp_path / "c"}"]')
    assert Settings().drills_dirs == [tmp_path / "c"]
