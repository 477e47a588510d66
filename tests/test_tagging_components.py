from pathlib import Path

import pytest
from spacy.language import Language
from spacy.matcher import Matcher

from assistant.corpus import load_corpus
from assistant.tagging.codebook import DEFAULT_CODEBOOK, load_codebook
from assistant.tagging.components import PIPELINE, build_nlp, pattern_phrases, surface_features

PROJECT_ROOT = Path(__file__).resolve().parent.parent

CODEBOOK = """\
version: 1
tags:
  - id: open_question
    applies_to: therapist
    label: Open question
    definition: Invites elaboration.
    cues:
      phrases: ["tell me more"]
      patterns:
        - [{LOWER: what}, {LOWER: brings}]
  - id: rupture_withdrawal
    applies_to: client
    label: Withdrawal
    definition: Moving away.
    cues:
      phrases: ["i don't know", "whatever"]
"""


@pytest.fixture(scope="module")
def nlp(tmp_path_factory):
    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_text(CODEBOOK)
    return build_nlp(path)


def test_components_registry_snapshot():
    # A renamed or dropped component breaks every saved model's "pipeline" list.
    for name, assigns in [
        ("alliance_cues", ["doc._.cues"]),
        ("alliance_surface", ["doc._.surface"]),
    ]:
        assert Language.has_factory(name)
        assert Language.get_factory_meta(name).assigns == assigns
    assert PIPELINE == ("sentencizer", "alliance_cues", "alliance_surface")


def test_components_pipeline_order_comes_from_the_list(nlp):
    assert nlp.pipe_names == list(PIPELINE)
    assert build_nlp(None, ["sentencizer"]).pipe_names == ["sentencizer"]


def test_components_cue_spans_have_tag_offsets_and_pattern_id(nlp):
    text = "Okay. So what brings you here? Tell me more"
    doc = nlp(text)
    found = {(c.tag, c.text, c.source) for c in doc._.cues}
    assert ("open_question", "what brings", "open_question/pattern/0") in found
    assert ("open_question", "Tell me more", "open_question/phrase/0") in found
    for cue in doc._.cues:
        assert text[cue.start : cue.end] == cue.text


def test_components_phrases_match_case_insensitively_on_tokens(nlp):
    doc = nlp("WHATEVER. I Don't Know")
    assert [c.text for c in doc._.cues] == ["WHATEVER", "I Don't Know"]
    assert nlp("whateverything")._.cues == []


def test_components_surface_features_see_questions_without_question_marks(nlp):
    question = surface_features(nlp("um so what happened after that"))
    statement = surface_features(nlp("you felt let down by him."))
    closed = surface_features(nlp("okay. did you take it"))
    assert question["first_wh"] == 1.0 and question["ends_question_mark"] == 0.0
    assert statement["first_wh"] == 0.0 and statement["you_start"] == 1.0
    assert closed["last_aux"] == 1.0 and closed["first_aux"] == 0.0


def test_components_surface_flags_backchannels_and_non_english(nlp):
    assert surface_features(nlp("mm-hmm"))["backchannel"] == 1.0
    assert surface_features(nlp("right, right."))["backchannel"] == 1.0
    assert surface_features(nlp("right, and that matters to you"))["backchannel"] == 0.0
    english = surface_features(nlp("I think that it was the way that he said it to me"))
    spanish = surface_features(nlp("Me siento muy triste porque mi madre murió"))
    assert english["english_share"] > 0.8
    assert spanish["english_share"] < 0.3


def test_components_word_patterns_expand_to_every_sequence_they_match():
    pattern = [{"LOWER": "you"}, {"LOWER": {"IN": ["need", "have"]}}, {"LOWER": "to", "OP": "?"}]
    assert pattern_phrases(pattern) == [
        ("you", "have"),
        ("you", "have", "to"),
        ("you", "need"),
        ("you", "need", "to"),
    ]
    # Anything but word tests stays with the Matcher.
    assert pattern_phrases([{"IS_SENT_START": True, "LOWER": "you"}]) is None
    assert pattern_phrases([{"LOWER": "took"}, {"LOWER": "real", "OP": "*"}]) is None
    assert pattern_phrases([{"IS_PUNCT": True}]) is None


def test_components_shipped_codebook_cues_equal_a_plain_matcher_over_every_pattern():
    """Running word patterns as phrases finds exactly what spaCy's Matcher finds."""
    nlp = build_nlp(DEFAULT_CODEBOOK)
    codebook = load_codebook(DEFAULT_CODEBOOK)
    files = ("con-g-01.txt", "con-o-01.txt", "con-x-01.txt")
    reference = Matcher(nlp.vocab)
    for entry in codebook.tags:
        for number, pattern in enumerate(entry.patterns):
            reference.add(f"{entry.id}/pattern/{number}", [list(pattern)])
    texts = [
        turn.text
        for scene in load_corpus([PROJECT_ROOT / "data/corpus/train" / n for n in files])
        for turn in scene.turns
    ] + ["but you need to. You're not listening!", "would it be okay if we- is it alright with"]
    compared = 0
    for doc in nlp.pipe(texts):
        expected = {
            (nlp.vocab.strings[key], doc[start:end].start_char, doc[start:end].end_char)
            for key, start, end in reference(doc)
        }
        # A span a phrase of the same tag already reports is one cue, the phrase.
        phrased = {(c.tag, c.start, c.end) for c in doc._.cues if "/phrase/" in c.source}
        expected = {m for m in expected if (m[0].split("/")[0], m[1], m[2]) not in phrased}
        found = {(c.source, c.start, c.end) for c in doc._.cues if "/pattern/" in c.source}
        assert found == expected, doc.text
        compared += len(expected)
    assert compared > 100  # the comparison saw plenty of pattern matches


def test_components_rigidity_cue_needs_more_than_youre_not():
    # "you're not" on its own is mostly a reflection ("you're not sure"); the rigidity
    # cue wants the dismissive verb after it.
    nlp = build_nlp(DEFAULT_CODEBOOK)

    def rigidity_cues(text):
        return [c.text.lower() for c in nlp(text)._.cues if c.tag == "rigidity"]

    assert rigidity_cues("So you're not sure the worksheets are worth it.") == []
    assert rigidity_cues("You're not alone in this.") == []
    assert rigidity_cues("You're not listening to me.") == ["you're not listening"]
    assert rigidity_cues("you're just being difficult") == ["you're just being"]
    assert rigidity_cues("Honestly, you're wrong about that.") == ["you're wrong"]
