"""Deliberate-practice drills: the library, scoring with feedback, and the practice loop.

``schema`` reads the drill files, ``scoring`` scores one answer, ``session`` holds the
pure practice logic (next item, adaptive level, progress, plot, rehearse) and
``practice`` runs one step over the database for the CLI and the API.
"""

from assistant.drills.schema import LEVELS, DrillItem, DrillLibrary, load_library
from assistant.drills.scoring import DrillScore, score_answer
from assistant.drills.session import drill_from_statement

__all__ = [
    "LEVELS",
    "DrillItem",
    "DrillLibrary",
    "DrillScore",
    "drill_from_statement",
    "load_library",
    "score_answer",
]
