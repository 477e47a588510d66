"""Rows by one speaker in a row are also read as one turn, which decides their codes."""

from assistant.model import Evidence, Role, Transcript, Turn
from assistant.tagging.runs import RULE, joined_runs, keep_whole_turns, lift_run_codes

LABELS = ["reflection", "open_question", "advice", "rigidity", "self_disclosure", "poorly_timed"]
DERIVED = [("poorly_timed", "self_disclosure", "timing", "poorly_timed")]


def _row(index, speaker, text, tags=(), scores=None, attributes=None, evidence=None):
    return Turn(
        index=index,
        speaker=speaker,
        role=Role.THERAPIST if speaker == "T" else Role.CLIENT,
        text=text,
        tags=list(tags),
        scores=scores or {},
        attributes=attributes or {},
        evidence=evidence or {},
    )


def _utterances():
    return Transcript(
        id="u",
        turns=[
            _row(4, "C", "He's using again."),
            _row(5, "T", "I hear that."),
            _row(6, "T", "You need to get him out of the flat."),
            _row(7, "C", "I can't."),
        ],
        source={"format": "csv"},
    )


def test_runs_a_transcript_without_runs_has_nothing_to_join():
    turns = [_row(0, "T", "hi"), _row(1, "C", "hello"), _row(2, "T", "how are you?")]
    assert joined_runs(Transcript(id="a", turns=turns)) is None


def test_runs_the_joined_copy_has_one_turn_per_run_numbered_by_turns():
    joined, runs = joined_runs(_utterances())
    assert [t.text for t in joined.turns] == [
        "He's using again.",
        "I hear that. You need to get him out of the flat.",
        "I can't.",
    ]
    assert [t.index for t in joined.turns] == [4, 5, 6]
    assert [(r.first, r.last, r.position, r.offsets) for r in runs] == [(1, 2, 1, (0, 13))]
    assert joined.source == {"format": "csv"}


def test_runs_a_code_only_the_joined_turn_finds_goes_to_the_row_holding_its_cue():
    transcript = _utterances()
    joined, (run,) = joined_runs(transcript)
    start = joined.turns[1].text.index("You need to")
    whole = joined.turns[1].model_copy(
        update={
            "tags": ["advice", "rigidity"],
            "scores": {"advice": 0.8, "rigidity": 0.7, "reflection": 0.2},
            "evidence": {
                "advice": [Evidence(kind="cue", text="You need to", start=start, end=start + 11)]
            },
        }
    )
    rows = [
        transcript.turns[1].model_copy(update={"scores": {"advice": 0.1, "rigidity": 0.2}}),
        transcript.turns[2].model_copy(
            update={
                "tags": ["reflection"],
                "scores": {"advice": 0.4, "rigidity": 0.1, "reflection": 0.7},
            }
        ),
    ]
    out = lift_run_codes(rows, whole, run, LABELS, DERIVED)
    # advice: the cue is in the second row; rigidity has no cue: the row scoring highest
    # for it (the first) gets it. The second row's reflection goes: the turn has none.
    assert out[0].tags == ["rigidity"]
    assert out[1].tags == ["advice"]
    assert out[1].scores["advice"] == 0.8
    assert out[1].scores["reflection"] == 0.2  # capped at the joined turn's, under threshold
    cue, note = out[1].evidence["advice"]
    assert rows[1].text[cue.start : cue.end] == "You need to"
    assert note.source == RULE and "holds its cue" in note.text
    assert "scores highest" in out[0].evidence["rigidity"][-1].text


def test_runs_codes_the_rows_and_the_joined_turn_agree_on_stay_where_they_are():
    transcript = _utterances()
    joined, (run,) = joined_runs(transcript)
    whole = joined.turns[1].model_copy(
        update={"tags": ["reflection", "open_question"], "scores": {"reflection": 0.9}}
    )
    rows = [
        transcript.turns[1].model_copy(update={"tags": ["reflection"]}),
        transcript.turns[2].model_copy(update={"tags": ["open_question"]}),
    ]
    out = lift_run_codes(rows, whole, run, LABELS, DERIVED)
    assert [r.tags for r in out] == [["reflection"], ["open_question"]]
    assert out == rows


def test_runs_a_disclosure_handed_back_in_the_next_row_is_well_timed():
    turns = [
        _row(0, "C", "My dad died last spring."),
        _row(1, "T", "I lost my dad too, a while ago now."),
        _row(2, "T", "What has it been like for you?"),
    ]
    transcript = Transcript(id="d", turns=turns)
    joined, (run,) = joined_runs(transcript)
    whole = joined.turns[1].model_copy(
        update={
            "tags": ["open_question", "self_disclosure"],
            "scores": {"self_disclosure": 0.9, "poorly_timed": 0.2},
            "attributes": {"self_disclosure": {"timing": "well_timed"}},
        }
    )
    rows = [
        turns[1].model_copy(
            update={
                "tags": ["self_disclosure", "poorly_timed"],
                "scores": {"self_disclosure": 0.9, "poorly_timed": 0.7},
                "attributes": {"self_disclosure": {"timing": "poorly_timed"}},
            }
        ),
        turns[2].model_copy(update={"tags": ["open_question"]}),
    ]
    out = lift_run_codes(rows, whole, run, LABELS, DERIVED)
    assert out[0].tags == ["self_disclosure"]
    assert out[0].attributes == {"self_disclosure": {"timing": "well_timed"}}
    assert out[0].scores["poorly_timed"] == 0.2
    # And the other way: the joined turn finds it poorly timed, the row did not.
    poor = whole.model_copy(
        update={
            "tags": ["self_disclosure", "poorly_timed"],
            "scores": {"self_disclosure": 0.9, "poorly_timed": 0.8},
            "attributes": {"self_disclosure": {"timing": "poorly_timed"}},
        }
    )
    well = rows[0].model_copy(
        update={
            "tags": ["self_disclosure"],
            "scores": {"self_disclosure": 0.9, "poorly_timed": 0.1},
            "attributes": {"self_disclosure": {"timing": "well_timed"}},
        }
    )
    out = lift_run_codes([well, turns[2]], poor, run, LABELS, DERIVED)
    assert out[0].tags == ["self_disclosure", "poorly_timed"]
    assert out[0].attributes == {"self_disclosure": {"timing": "poorly_timed"}}
    assert out[1].tags == []


def test_runs_a_turn_by_itself_takes_the_joined_copys_codes():
    transcript = _utterances()
    joined, _ = joined_runs(transcript)
    coded = [
        turn.model_copy(update={"tags": [f"tag{turn.index}"], "scores": {"x": turn.index / 10}})
        for turn in joined.turns
    ]
    out = keep_whole_turns(transcript.turns, coded)
    assert [t.tags for t in out] == [["tag4"], [], [], ["tag6"]]
    assert out[3].text == "I can't." and out[3].index == 7
    assert out[3].scores == {"x": 0.6}
