import pytest
from spacy.language import Language

from assistant.tagging.components import PIPELINE, build_nlp, surface_features

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
