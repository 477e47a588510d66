"""Transcription styles used to train a tagger that reads ASR output and clean transcripts."""

from assistant.model import Role, Transcript, Turn
from assistant.tagging.restyle import (
    FILLERS,
    HELD_OUT_FILLERS,
    HELD_OUT_OPENERS,
    OPENERS,
    asr_style,
    clean_style,
    looks_asr,
    other_style,
    restyle_transcript,
    said_rising,
    training_text,
    with_disfluency,
    with_opener,
    with_rising_tone,
)


def _transcript(*texts: str) -> Transcript:
    turns = [
        Turn(
            index=i,
            speaker="T" if i % 2 else "C",
            role=Role.THERAPIST if i % 2 else Role.CLIENT,
            text=t,
        )
        for i, t in enumerate(texts)
    ]
    return Transcript(id="s1", turns=turns)


def test_asr_style_drops_case_and_punctuation_but_keeps_apostrophes():
    assert (
        asr_style("So, what's   kept you going?  Honestly!") == "so what's kept you going honestly"
    )
    assert asr_style("...") == ""


def test_clean_style_adds_sentence_case_a_capital_i_and_an_end_mark():
    assert clean_style("i think i'm done") == "I think I'm done."
    assert clean_style("did you go?") == "Did you go?"
    assert clean_style("   ") == ""


def test_a_scene_in_asr_style_gets_a_clean_copy_and_the_other_way_round():
    asr = _transcript("i dunno", "what happened then", "nothing much")
    clean = _transcript("I don't know.", "What happened then?", "Nothing much.")
    assert looks_asr(asr) and not looks_asr(clean)
    assert other_style(asr) == "clean" and other_style(clean) == "asr"


def test_restyled_copy_keeps_codes_and_order_and_marks_its_id():
    original = _transcript("I don't know.", "What happened then?")
    original.turns[1].tags.append("open_question")
    copy = restyle_transcript(original, "asr")
    assert copy.id == "s1~asr"
    assert [t.text for t in copy.turns] == ["i don't know", "what happened then"]
    assert copy.turns[1].tags == ["open_question"]
    assert original.turns[1].text == "What happened then?"  # the original is untouched


def _split_opener(text: str, style: str) -> tuple[str, str]:
    opener = max((o for o in OPENERS[style] if text.startswith(o + " ")), key=len)
    return opener, text[len(opener) + 1 :]


def test_an_opener_goes_in_front_and_a_comma_one_runs_on_in_lower_case_but_i():
    runs_on = 0
    for n in range(200):
        for original in (f"Work was hard on day {n}.", f"I had that {n} times."):
            opener, rest = _split_opener(with_opener(original, "clean", 1.0), "clean")
            if opener.endswith("."):
                assert rest == original
            else:  # "Okay, so work was hard ...", but "Okay, so I had ..."
                runs_on += 1
                assert rest == (original if original.startswith("I ") else "w" + original[1:])
        opener, rest = _split_opener(with_opener(f"you said day {n}", "asr", 1.0), "asr")
        assert rest == f"you said day {n}"
    assert runs_on > 0


def test_openers_are_stable_and_leave_acknowledged_or_empty_turns_alone():
    text = "The patch didn't really work for you."
    assert with_opener(text, "clean", 1.0) == with_opener(text, "clean", 1.0)
    assert with_opener("Okay. So you tried the patch.", "clean", 1.0) == (
        "Okay. So you tried the patch."
    )
    assert with_opener("mm-hmm you tried it", "asr", 1.0) == "mm-hmm you tried it"
    assert with_opener("", "asr", 1.0) == ""
    assert with_opener(text, "clean", 0.0) == text


def test_about_the_given_share_of_texts_get_an_opener():
    texts = [f"You said it was day {n} of the plan." for n in range(2000)]
    share = sum(with_opener(t, "clean", 0.3) != t for t in texts) / len(texts)
    assert 0.25 < share < 0.35


def test_the_benchmark_openers_and_fillers_are_never_used_in_training():
    for style in OPENERS:
        assert not set(OPENERS[style]) & set(HELD_OUT_OPENERS[style])
    assert not set(FILLERS) & set(HELD_OUT_FILLERS)


def _words(text: str) -> list[str]:
    return [w.strip(",.?!-").lower() for w in text.split()]


def test_a_disfluency_only_adds_fillers_or_a_repeated_word():
    fillers = {w for f in FILLERS for w in f.lower().split()}
    changed = 0
    for n in range(300):
        original = f"So you went back to the gym on day {n}. That took some doing."
        for style, text in (("clean", original), ("asr", asr_style(original))):
            out = with_disfluency(text, style, 1.0)
            changed += out != text
            kept = _words(text)
            extra = list(_words(out))
            for word in kept:  # every original word is still there, in order
                extra.remove(word)
            assert all(w in fillers or w in kept for w in extra), out
            assert 1 <= len(extra) <= 4
            if style == "asr":
                assert out == out.lower() and "," not in out
            else:
                assert out.endswith("That took some doing.") or out.endswith("doing.")
    assert changed == 600


def test_disfluencies_are_stable_and_spare_short_turns_and_the_rest_of_the_share():
    text = "You felt let down by her."
    assert with_disfluency(text, "clean", 1.0) == with_disfluency(text, "clean", 1.0)
    assert with_disfluency("Mm-hmm.", "clean", 1.0) == "Mm-hmm."
    assert with_disfluency(text, "clean", 0.0) == text
    texts = [f"You said it was day {n} of the plan." for n in range(2000)]
    share = sum(with_disfluency(t, "clean", 0.3) != t for t in texts) / len(texts)
    assert 0.25 < share < 0.35


def test_a_training_copy_restyles_first_and_keeps_codes_with_openers():
    original = _transcript("I don't know.", "What happened then?", "You felt let down.")
    original.turns[2].tags.append("reflection")
    copy = restyle_transcript(original, "asr", openers=1.0, disfluency=0.5)
    assert [t.text for t in copy.turns] == [
        training_text(t.text, "asr", 1.0, 0.5) for t in original.turns
    ]
    assert all(t.text == t.text.lower() for t in copy.turns)
    assert copy.turns[2].text.endswith("you felt let down") and copy.turns[2].text != (
        "you felt let down"
    )
    assert copy.turns[2].tags == ["reflection"]


def test_only_a_reflection_that_asks_nothing_may_be_said_rising():
    assert said_rising(["reflection"])
    assert said_rising(["reflection", "warmth"])
    assert not said_rising(["reflection", "closed_question"])
    assert not said_rising(["open_question"])
    assert not said_rising([])


def test_a_rising_tone_turns_the_full_stop_of_a_clean_text_into_a_question_mark():
    texts = [f"You're not sure you can do it, not after day {n}." for n in range(2000)]
    rising = [with_rising_tone(t, "clean", 0.3) for t in texts]
    changed = [(t, r) for t, r in zip(texts, rising, strict=True) if r != t]
    assert 0.25 < len(changed) / len(texts) < 0.35
    assert all(r == t[:-1] + "?" for t, r in changed)
    assert with_rising_tone("you're not sure", "asr", 1.0) == "you're not sure"
    assert with_rising_tone("Not sure!", "clean", 1.0) == "Not sure!"


def test_a_training_copy_says_only_plain_reflections_rising():
    original = _transcript(
        "i cant do it", "you're not sure you can", "no", "did you try before", "once"
    )
    original.turns[1].tags.append("reflection")
    original.turns[3].tags.append("closed_question")
    copy = restyle_transcript(original, "clean", rising=1.0)
    assert copy.turns[1].text == "You're not sure you can?"
    assert copy.turns[0].text == "I cant do it."  # a client turn is never changed
    assert copy.turns[3].text == "Did you try before."  # clean_style's own end mark
