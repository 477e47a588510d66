import pytest

from assistant.errors import ValidationError
from assistant.model import ALL_TAGS, CLIENT_TAGS, TAG_ATTRIBUTES
from assistant.tagging.codebook import load_codebook, parse_codebook

GOOD = """\
version: 1
tags:
  - id: open_question
    applies_to: therapist
    label: Open question
    definition: Invites elaboration.
    include: ["what and how questions"]
    cues:
      phrases: ["Tell Me More"]
      patterns:
        - [{LOWER: what}, {LOWER: {IN: [brings, made]}}]
    examples:
      positive:
        - text: what brings you in
        - {text: how was that, context: it was a long week}
      near_miss:
        - {text: did you go, why: yes/no}
"""


def test_codebook_parses_entries_cues_and_examples():
    codebook = parse_codebook(GOOD, "cb.yaml")
    entry = codebook.entry("open_question")
    assert codebook.ids == ("open_question",)
    assert entry.phrases == ("tell me more",)  # lower-cased for the LOWER matcher
    assert entry.patterns[0][0] == {"LOWER": "what"}
    assert [e.text for e in entry.positives] == ["what brings you in", "how was that"]
    assert entry.positives[1].context == "it was a long week"
    assert entry.near_misses[0].why == "yes/no"
    assert len(codebook.sha256) == 64


@pytest.mark.parametrize(
    "change, message",
    [
        (("applies_to: therapist", "applies_to: supervisor"), "'open_question': 'applies_to'"),
        (("definition: Invites elaboration.", "definition: ''"), "'open_question': 'definition'"),
        (("{LOWER: what}", "{LOWR: what}"), "unknown token key(s) ['LOWR']"),
        (("{LOWER: what}", "{POS: PRON}"), "need a trained pipeline"),
        (('phrases: ["Tell Me More"]', "phrases: tell me more"), "'cues.phrases' must be a list"),
        (("- text: what brings you in", "- context: no text here"), "needs a 'text' string"),
    ],
)
def test_codebook_error_names_file_and_entry(change, message):
    bad = GOOD.replace(*change)
    with pytest.raises(ValidationError) as info:
        parse_codebook(bad, "cb.yaml")
    assert "cb.yaml" in str(info.value)
    assert message in str(info.value)


def test_codebook_rejects_duplicate_ids_and_bad_yaml():
    twice = GOOD + GOOD.split("tags:\n", 1)[1]
    with pytest.raises(ValidationError, match="'open_question': tag id used twice"):
        parse_codebook(twice, "cb.yaml")
    with pytest.raises(ValidationError, match="not valid YAML") as info:
        parse_codebook("tags: [\n  - id: x\n oops", "cb.yaml")
    assert info.value.line is not None


def test_codebook_shipped_file_covers_every_tag_with_cues_and_examples():
    codebook = load_codebook()
    assert set(ALL_TAGS) <= set(codebook.ids)
    for tag in ALL_TAGS:
        entry = codebook.entry(tag)
        assert entry.applies_to == ("client" if tag in CLIENT_TAGS else "therapist"), tag
        assert entry.phrases or entry.patterns, tag
        assert entry.positives, tag
    for tag, attributes in TAG_ATTRIBUTES.items():
        for name, values in attributes.items():
            assert set(codebook.entry(tag).attributes[name]["values"]) == set(values)


def test_codebook_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValidationError, match="cannot read the codebook") as info:
        load_codebook(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value)
