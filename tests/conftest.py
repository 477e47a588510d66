"""Shared fixtures: small hand-built inputs; the real encoder is loaded once per session."""

from __future__ import annotations

import pytest

from assistant.model import Role, Transcript, Turn


@pytest.fixture
def tiny_transcript() -> Transcript:
    lines = [
        ("T", Role.THERAPIST, "What brings you in today?"),
        ("C", Role.CLIENT, "I've been drinking more since the layoff and my wife is worried."),
        ("T", Role.THERAPIST, "You're worried about it too, underneath her worry."),
        ("C", Role.CLIENT, "I guess. I don't know."),
    ]
    return Transcript(
        id="tiny",
        turns=[Turn(index=i, speaker=s, role=r, text=t) for i, (s, r, t) in enumerate(lines)],
    )
