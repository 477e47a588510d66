from __future__ import annotations

from collections import Counter

import pytest

from assistant.model import Role, Transcript, Turn
from assistant.redact import common_names, redact_text, redact_transcript


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Write to dana.smith+work@example.co.uk today.", "Write to [EMAIL] today."),
        ("Call me on 555-123-4567.", "Call me on [PHONE]."),
        ("My number is (020) 7946 0958.", "My number is [PHONE]."),
        ("It's +44 7700 900123 now.", "It's [PHONE] now."),
        ("We live at 221B Baker Street, Apt 4 now.", "We live at [ADDRESS] now."),
        ("She moved to Elm Avenue last year.", "She moved to [ADDRESS] last year."),
        ("Post it to P.O. Box 1234 please.", "Post it to [ADDRESS] please."),
        ("It was on 12/03/2024, I think.", "It was on [DATE], I think."),
        ("Since 2023-11-05 things changed.", "Since [DATE] things changed."),
        ("On March 3rd, 2023 we split up.", "On [DATE] we split up."),
        ("By the 5th of June we knew.", "By the [DATE] we knew."),
        ("My wife Sarah thinks so.", "My wife [NAME] thinks so."),
        ("My boss, Tom Jenkins, yelled.", "My boss, [NAME], yelled."),
        ("my son Will is nine.", "my son [NAME] is nine."),
        ("I met a man named Rodrigo.", "I met a man named [NAME]."),
        ("Her name is Xiomara Ruiz.", "Her name is [NAME]."),
        ("I saw Dr. Okafor on Friday.", "I saw [NAME] on Friday."),
        ("Priya said it was fine.", "[NAME] said it was fine."),
    ],
)
def test_redact_replaces_each_kind(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Will you come back next week? May I ask something?",
        "I drank 3 or 4 beers at 10:30 and slept 6 hours.",
        "Between 2019 and 2020 I lost my job.",
        "My wife and I argued. My mum was there too.",
        "I feel hopeless. Mark my words, it will pass.",
        "In March things got worse.",
    ],
)
def test_redact_leaves_ordinary_words_alone(text):
    assert redact_text(text) == text


def test_redact_counts_by_kind():
    counts: Counter[str] = Counter()
    redact_text("My husband Tom, 555-123-4567, tom@x.org, on 1/2/2024.", counts=counts)
    assert counts == {"name": 1, "phone": 1, "email": 1, "date": 1}


def test_redact_transcript_replaces_name_labels_with_roles():
    turns = [
        Turn(index=0, speaker="Dr. Okafor", role=Role.THERAPIST, text="Hi Zandile, how are you?"),
        Turn(index=1, speaker="ZANDILE", role=Role.CLIENT, text="Okay. Dr. Okafor, I'm tired."),
        Turn(index=2, speaker="Client", role=Role.CLIENT, text="(her sister joins) Hello."),
    ]
    transcript = Transcript(
        id="zandile-3",
        turns=turns,
        source={"path": "/home/me/zandile.txt", "format": "text", "filename": "zandile.txt"},
        roles={"Dr. Okafor": "therapist", "ZANDILE": "client", "Client": "client"},
        role_method={"Dr. Okafor": "label", "ZANDILE": "inferred", "Client": "label"},
    )
    redacted, counts = redact_transcript(transcript)
    assert [t.speaker for t in redacted.turns] == ["Therapist", "Client 2", "Client"]
    assert redacted.turns[0].text == "Hi [NAME], how are you?"
    assert redacted.turns[1].text == "Okay. [NAME], I'm tired."
    assert redacted.roles == {"Therapist": "therapist", "Client 2": "client", "Client": "client"}
    assert redacted.source == {"format": "text", "redacted": True}
    assert counts["name"] == 4
    assert "zandile" not in redacted.model_dump_json().lower()
    # The original is untouched.
    assert transcript.turns[0].speaker == "Dr. Okafor"


def test_redact_names_list_is_shipped_and_avoids_common_words():
    names = common_names()
    assert len(names) > 150 and "Sarah" in names
    assert not names & {"Will", "May", "Hope", "Mark", "Grace", "Bill", "Joy", "Frank"}
