from assistant.model import Role
from assistant.tagging.rules import (
    TurnState,
    acknowledgement,
    advice_permission,
    apply_rules,
    asks_for_rating,
    farewell,
    is_acknowledgement,
    is_echo,
    is_minimal_answer,
    opening_pleasantries,
    repair_after_rupture,
    rigid_not_repair,
    role_mask,
    rupture_window,
    scaling_question,
    self_disclosure_timing,
)

ROLES = {
    "advice": "therapist",
    "closed_question": "therapist",
    "open_question": "therapist",
    "repair": "therapist",
    "self_disclosure": "therapist",
    "poorly_timed_self_disclosure": "therapist",
    "rupture_withdrawal": "client",
    "rupture_confrontation": "client",
}


def t(text, index=40, **scores):
    return TurnState(Role.THERAPIST, text, index, dict(scores))


def c(text, index=40, **scores):
    return TurnState(Role.CLIENT, text, index, dict(scores))


def test_rules_role_mask_keeps_only_the_roles_codes():
    states = [
        t("hi", advice=0.9, rupture_withdrawal=0.9),
        c("no", advice=0.9, rupture_withdrawal=0.9),
    ]
    role_mask(states, ROLES)
    assert states[0].scores == {"advice": 0.9}
    assert states[1].scores == {"rupture_withdrawal": 0.9}
    other = [TurnState(Role.OTHER, "interpreting", 0, {"advice": 0.9})]
    role_mask(other, ROLES)
    assert other[0].scores == {}


def test_rules_opening_pleasantries_lower_withdrawal_after_a_greeting_only():
    greeted = [
        t("Hi Dana, come on in. How was the drive over?", index=0),
        c("Fine. Traffic was bad, but fine.", index=1, rupture_withdrawal=0.8),
    ]
    opening_pleasantries(greeted)
    assert greeted[1].scores["rupture_withdrawal"] == 0.4
    assert greeted[1].evidence["rupture_withdrawal"][0].source == "opening_pleasantries"

    # The same reply later in the session, or to a question about the work, is left alone.
    later = [t("How was the drive over?", index=30), c("Fine.", index=31, rupture_withdrawal=0.8)]
    work = [
        t("So what did you make of the log?", index=0),
        c("Fine.", index=1, rupture_withdrawal=0.8),
    ]
    for states in (later, work):
        opening_pleasantries(states)
        assert states[1].scores["rupture_withdrawal"] == 0.8
        assert "rupture_withdrawal" not in states[1].evidence


def test_rules_opening_pleasantries_leave_a_confrontation_at_the_door():
    states = [
        t("Hey, Tyler. Good to see you.", index=0),
        c("Is it? You get paid either way.", index=1, rupture_confrontation=0.9),
    ]
    opening_pleasantries(states)
    assert states[1].scores == {"rupture_confrontation": 0.9}


QUESTION_THRESHOLDS = {"open_question": 0.5, "closed_question": 0.4}


def test_rules_asks_for_rating_tells_a_scale_question_from_a_rating_given():
    assert asks_for_rating("so um on a scale of one to ten how much do you want to stop") == (
        True,
        False,
    )
    assert asks_for_rating("Out of ten, where would that sit for you?") == (True, False)
    assert asks_for_rating("On that same nought to ten, how confident are you now?") == (
        True,
        False,
    )
    # A rating already given, or a scale set as homework, asks for nothing.
    assert not asks_for_rating("what's a version that feels like a six out of ten")[0]
    assert not asks_for_rating("Rate your mood out of ten before and after each walk.")[0]
    assert not asks_for_rating("an eight out of ten every day or did it come and go")[0]
    # Another question in the same turn is seen as such.
    assert asks_for_rating("What happened then? And on a scale of one to ten, how bad?") == (
        True,
        True,
    )


def test_rules_scaling_question_is_closed_and_not_open():
    states = [
        t(
            "Let me ask you something different. On a scale of nought to ten, "
            "how important is it to you to cut down?",
            open_question=0.8,
            closed_question=0.1,
        )
    ]
    scaling_question(states, QUESTION_THRESHOLDS)
    assert states[0].scores["closed_question"] > QUESTION_THRESHOLDS["closed_question"]
    assert states[0].scores["open_question"] < QUESTION_THRESHOLDS["open_question"]
    assert states[0].evidence["closed_question"][0].source == "scaling_question"


def test_rules_scaling_question_keeps_an_open_question_beside_it():
    states = [
        t(
            "What was the worst moment? And on a scale of one to ten, how bad was it?",
            open_question=0.8,
            closed_question=0.1,
        ),
        t("So the blank days are where the nine out of ten lives.", closed_question=0.1),
    ]
    scaling_question(states, QUESTION_THRESHOLDS)
    assert states[0].scores["open_question"] == 0.8
    assert states[0].scores["closed_question"] > QUESTION_THRESHOLDS["closed_question"]
    assert states[1].scores == {"closed_question": 0.1}
    assert states[1].evidence == {}


def test_rules_minimal_answer_excludes_engaged_short_answers():
    assert is_minimal_answer("I don't know.")
    assert is_minimal_answer("um, fine")
    assert is_minimal_answer("whatever you think")
    assert not is_minimal_answer("yeah, exactly that")
    assert not is_minimal_answer("I don't know, maybe because my dad drank too")


def test_rules_rupture_window_needs_a_pressing_turn_before_a_minimal_answer():
    pressed = [t("you need to stop drinking", advice=0.9), c("fine.", rupture_withdrawal=0.1)]
    rupture_window(pressed)
    assert pressed[1].scores["rupture_withdrawal"] == 0.5
    assert pressed[1].evidence["rupture_withdrawal"][0].source == "rupture_window"

    invited = [t("what was that like", open_question=0.9), c("fine.", rupture_withdrawal=0.1)]
    rupture_window(invited)
    assert invited[1].scores["rupture_withdrawal"] == 0.1


def test_rules_rupture_window_raises_more_for_a_run_of_minimal_answers():
    states = [
        t("did you drink", closed_question=0.9),
        c("no", rupture_withdrawal=0.1),
        t("not at all?", closed_question=0.9),
        c("I dunno", rupture_withdrawal=0.1),
    ]
    rupture_window(states)
    assert states[1].scores["rupture_withdrawal"] == 0.5
    assert states[3].scores["rupture_withdrawal"] == 0.75


THRESHOLDS = {"advice": 0.65, "rigidity": 0.675, "open_question": 0.6, "self_disclosure": 0.5}


def test_rules_is_acknowledgement_takes_yes_no_and_okay_but_not_withdrawal_cues():
    for text in ("Yeah.", "Oh. Right.", "yeah okay", "Mm-hmm", "No."):
        assert is_acknowledgement(text), text
    for text in ("Fine.", "I dunno", "maybe", "not really", "yeah, exactly that", "whatever"):
        assert not is_acknowledgement(text), text


def test_rules_acknowledgement_halves_withdrawal_after_a_turn_that_presses_nothing():
    answered = [
        t("Did you do the breathalyser at reception?", closed_question=0.9),
        c("yeah", rupture_withdrawal=0.8),
    ]
    acknowledgement(answered, THRESHOLDS)
    assert answered[1].scores["rupture_withdrawal"] == 0.4
    assert answered[1].evidence["rupture_withdrawal"][0].source == "acknowledgement"

    # After advice, an open question or the therapist's own story, and for a withdrawal
    # cue, the head decides.
    pressed = [t("You need to stop.", advice=0.9), c("okay", rupture_withdrawal=0.8)]
    story = [t("I went through that too.", self_disclosure=0.9), c("mm", rupture_withdrawal=0.8)]
    invited = [t("What was that like?", open_question=0.9), c("yeah", rupture_withdrawal=0.8)]
    flat = [t("Did you go?", closed_question=0.9), c("Fine.", rupture_withdrawal=0.8)]
    for states in (pressed, story, invited, flat):
        acknowledgement(states, THRESHOLDS)
        assert states[1].scores["rupture_withdrawal"] == 0.8
        assert "rupture_withdrawal" not in states[1].evidence


def test_rules_acknowledgement_keeps_a_run_the_rupture_window_raised():
    states = [
        t("did you drink", closed_question=0.9),
        c("no", rupture_withdrawal=0.1),
        t("not at all?", closed_question=0.9),
        c("no", rupture_withdrawal=0.1),
    ]
    rupture_window(states)
    acknowledgement(states, THRESHOLDS)
    # Both answers carry the window's evidence, so both keep what it gave them.
    assert states[1].scores["rupture_withdrawal"] == 0.5
    assert states[3].scores["rupture_withdrawal"] == 0.75


def test_rules_farewell_halves_advice_on_a_goodbye_at_the_close_only():
    def session(goodbye, **scores):
        rows = [t("So what would you like to try?", index=i) for i in range(6)]
        return [*rows, c("Wednesday's fine.", index=6), t(goodbye, index=7, **scores)]

    closing = session("Lovely. Take care, Martin. Say hello to the dog for me.", advice=0.8)
    farewell(closing)
    assert closing[-1].scores["advice"] == 0.4
    assert closing[-1].evidence["advice"][0].source == "farewell"

    # Homework said with the goodbye keeps its advice (an advice cue fired) ...
    homework = session("Make sure you ring the group. Take care.", advice=0.8)
    homework[-1].cue_tags = {"advice"}
    # ... and a goodbye phrase mid-session ("see you next week" as a referral) is left alone.
    early = [t("The service could see you next week, shall I book it?", index=0, advice=0.8)]
    early += [c("ok", index=i) for i in range(1, 6)]
    for states, row in ((homework, -1), (early, 0)):
        farewell(states)
        assert states[row].scores["advice"] == 0.8
        assert "advice" not in states[row].evidence


def test_rules_repair_after_rupture_only_within_the_window_and_with_a_cue():
    thresholds = {"rupture_confrontation": 0.5, "repair": 0.5}
    states = [
        c("this isn't helping at all", rupture_confrontation=0.9),
        t("you're right, I pushed that too hard", repair=0.2),
        c("ok", rupture_confrontation=0.1),
        t("let's slow down", repair=0.2),
        c("sure", rupture_confrontation=0.1),
        t("let's slow down then", repair=0.2),
        t("how was your week", repair=0.2),
    ]
    repair_after_rupture(states, thresholds)
    assert states[1].scores["repair"] == 0.6
    assert states[3].scores["repair"] == 0.6  # 3 turns after the rupture: in the window
    assert states[5].scores["repair"] == 0.2  # 5 turns after: outside
    assert states[6].scores["repair"] == 0.2  # no repair cue
    assert states[1].evidence["repair"][0].source == "repair_after_rupture"


def test_rules_rigid_not_repair_keeps_the_code_further_past_its_threshold():
    thresholds = {"repair": 0.55, "rigidity": 0.675}
    yes_but = t("I hear you, but four stops is what I'd like to see.", repair=0.6, rigidity=0.9)
    owned = t("You're right, I pushed. That's on me.", repair=0.95, rigidity=0.7)
    plain = t("That's fair, thank you for telling me.", repair=0.9, rigidity=0.2)
    rigid_not_repair([yes_but, owned, plain], thresholds)
    assert yes_but.scores == {"repair": 0.5, "rigidity": 0.9}
    assert yes_but.evidence["repair"][0].source == "rigid_not_repair"
    assert owned.scores["repair"] == 0.95 and owned.scores["rigidity"] < 0.675
    assert plain.scores == {"repair": 0.9, "rigidity": 0.2} and not plain.evidence


def test_rules_repair_window_counts_turns():
    thresholds = {"rupture_confrontation": 0.5}
    states = [
        c("this is pointless", rupture_confrontation=0.9),
        t("mm", repair=0.1),
        c("yeah", rupture_confrontation=0.1),
        t("I'm sorry, I got ahead of you", repair=0.1),
    ]
    repair_after_rupture(states, thresholds)
    assert states[3].scores["repair"] == 0.6


def test_rules_advice_permission_follows_the_exchange():
    asked = [
        c("what should I do about the nights"),
        t("one thing that helps is a fixed bedtime"),
    ]
    asked[1].attribute_scores["advice.permission"] = {"asked": 0.3, "unasked": 0.7}
    advice_permission(asked)
    assert asked[1].attribute_scores["advice.permission"]["asked"] > 0.5

    unasked = [c("the nights are hard"), t("you should set a fixed bedtime")]
    unasked[1].attribute_scores["advice.permission"] = {"asked": 0.3, "unasked": 0.7}
    advice_permission(unasked)
    assert unasked[1].attribute_scores["advice.permission"]["asked"] < 0.5


def _timing(states):
    for s in states:
        if s.role is Role.THERAPIST:
            s.attribute_scores["self_disclosure.timing"] = {"well_timed": 0.5, "poorly_timed": 0.5}
    self_disclosure_timing(states)
    return states[-1].attribute_scores["self_disclosure.timing"]["poorly_timed"]


def test_rules_self_disclosure_brief_and_handed_back_is_well_timed():
    states = [
        c("I feel like a failure as a dad", index=50),
        t(
            "I'm a parent too and it's hard. what feels hardest for you?",
            index=51,
            self_disclosure=0.9,
            poorly_timed_self_disclosure=0.5,
        ),
    ]
    assert _timing(states) < 0.5
    assert states[-1].scores["poorly_timed_self_disclosure"] < 0.5 * 0.9


def test_rules_self_disclosure_after_distress_or_in_opening_is_poorly_timed():
    distress = [
        c("I can't stop crying, I can't cope", index=50),
        t("I went through a divorce too. what helps you?", index=51, self_disclosure=0.9),
    ]
    assert _timing(distress) > 0.5
    opening = [t("I had the same problem. how about you?", index=2, self_disclosure=0.9)]
    assert _timing(opening) > 0.5
    assert "opening" in opening[0].evidence["self_disclosure"][0].text


def test_rules_self_disclosure_long_and_self_focused_is_poorly_timed():
    story = (
        "I remember when I was in college I had a really rough year, my roommate left and I "
        "failed two classes and I honestly didn't know what I was doing with my life, and my "
        "parents were fighting the whole time, and I think I spent most of that spring just "
        "sleeping, and it took me a long while and a lot of work with my own counsellor to get out of it."
    )
    assert _timing([c("I failed my exam", index=60), t(story, index=61, self_disclosure=0.9)]) > 0.5


def test_rules_apply_rules_runs_in_order_without_errors():
    states = [
        c("this is pointless", rupture_confrontation=0.9, advice=0.8),
        t("I hear that", repair=0.3),
    ]
    apply_rules(states, ROLES, {"rupture_confrontation": 0.5, "repair": 0.5})
    assert "advice" not in states[0].scores
    assert states[1].scores["repair"] == 0.6


def test_rules_echo_of_the_clients_words_is_a_reflection():
    client = "I can't say anything back to him, because I need this job."
    echo = "You can't say anything back to him, because you need this job. That's a lot to hold."
    assert is_echo(echo, client)
    assert not is_echo("can't say anything back to him, because you need this job?", client)
    assert not is_echo("so the job matters", client)  # too little of theirs
    thresholds = {"reflection": 0.6, "open_question": 0.5, "closed_question": 0.5}
    states = [c(client), t(echo, reflection=0.3, open_question=0.1, closed_question=0.1)]
    apply_rules(states, {**ROLES, "reflection": "therapist"}, thresholds)
    assert states[1].scores["reflection"] > 0.6
    assert states[1].evidence["reflection"][0].source == "echo_reflection"
    # An echo the head reads as a question stays a question.
    asking = [c(client), t(echo + " or", reflection=0.3, open_question=0.1, closed_question=0.7)]
    apply_rules(asking, {**ROLES, "reflection": "therapist"}, thresholds)
    assert asking[1].scores["reflection"] == 0.3


def test_rules_a_therapists_second_row_reads_the_client_turn_before_the_run():
    # Utterance-segmented input: "Okay." then the echo, as two therapist rows.
    client = "I can't say anything back to him, because I need this job."
    echo = "You can't say anything back to him, because you need this job."
    thresholds = {"reflection": 0.6, "open_question": 0.5, "closed_question": 0.5}
    states = [
        c(client),
        t("Okay."),
        t(echo, reflection=0.3, open_question=0.1, closed_question=0.1),
    ]
    apply_rules(states, {**ROLES, "reflection": "therapist"}, thresholds)
    assert states[2].scores["reflection"] > 0.6
    distress = [
        c("I can't stop crying, I can't cope", index=50),
        t("Mm.", index=51),
        t("Yeah.", index=52),
        t("I went through a divorce too. what helps you?", index=53, self_disclosure=0.9),
    ]
    assert _timing(distress) > 0.5
