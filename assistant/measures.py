"""Client-rated measures a clinician can attach to a session (Duncan & Miller, PCOMS).

ORS (Outcome Rating Scale, session start): four items scored 0-10 (Individually,
Interpersonally, Socially, Overall), total 0-40; clinical cut-off 25 for adults and
28 for ages 13-17 (Miller et al. 2003). SRS (Session Rating Scale, session end): four
items 0-10 (Relationship, Goals and Topics, Approach or Method, Overall), total 0-40;
a total of 36 or below signals an alliance concern (Duncan et al. 2003). Checking in
on any single SRS item below 9 is practitioner guidance, not a validated cut-off.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

ORS_ITEMS = ("individually", "interpersonally", "socially", "overall")
SRS_ITEMS = ("relationship", "goals_and_topics", "approach_or_method", "overall")
SRS_CONCERN_AT_OR_BELOW = 36.0
SRS_ITEM_CHECK_IN_BELOW = 9.0
ORS_CUTOFF = {"adult": 25.0, "adolescent": 28.0}

Score = Field(ge=0, le=10, description="0-10, read off a 10 cm line to one decimal")


class ORS(BaseModel):
    """Outcome Rating Scale: how the client has been doing (start of session)."""

    individually: float = Score
    interpersonally: float = Score
    socially: float = Score
    overall: float = Score
    age_group: Literal["adult", "adolescent"] = "adult"

    @computed_field
    @property
    def total(self) -> float:
        return round(sum(getattr(self, item) for item in ORS_ITEMS), 1)

    @computed_field
    @property
    def clinical_range(self) -> bool:
        """Below the clinical cut-off for the age group (25 adults, 28 adolescents)."""
        return self.total < ORS_CUTOFF[self.age_group]


class SRS(BaseModel):
    """Session Rating Scale: the client's view of the alliance (end of session)."""

    relationship: float = Score
    goals_and_topics: float = Score
    approach_or_method: float = Score
    overall: float = Score

    @computed_field
    @property
    def total(self) -> float:
        return round(sum(getattr(self, item) for item in SRS_ITEMS), 1)

    @computed_field
    @property
    def alliance_concern(self) -> bool:
        """Total of 36 or below: worth talking about with the client."""
        return self.total <= SRS_CONCERN_AT_OR_BELOW

    @computed_field
    @property
    def items_to_check_in(self) -> list[str]:
        """Items under 9: practitioner guidance suggests asking about them."""
        return [item for item in SRS_ITEMS if getattr(self, item) < SRS_ITEM_CHECK_IN_BELOW]


class SessionMeasures(BaseModel):
    """The measures attached to one session; either may be missing."""

    ors: ORS | None = None
    srs: SRS | None = None
