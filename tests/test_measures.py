import pytest
from pydantic import ValidationError

from assistant.measures import ORS, SRS


def test_measures_srs_total_and_concern():
    srs = SRS(relationship=9.5, goals_and_topics=8.0, approach_or_method=9.0, overall=9.0)
    assert srs.total == 35.5
    assert srs.alliance_concern  # 36 or below
    assert srs.items_to_check_in == ["goals_and_topics"]
    high = SRS(relationship=10, goals_and_topics=9.5, approach_or_method=9.5, overall=9.5)
    assert not high.alliance_concern and high.items_to_check_in == []


def test_measures_srs_36_exactly_is_a_concern():
    assert SRS(relationship=9, goals_and_topics=9, approach_or_method=9, overall=9).alliance_concern


def test_measures_ors_cutoff_by_age_group():
    ors = ORS(individually=6, interpersonally=7, socially=7, overall=6.5)
    assert ors.total == 26.5
    assert not ors.clinical_range
    assert ORS(
        **ors.model_dump(exclude={"total", "clinical_range"}) | {"age_group": "adolescent"}
    ).clinical_range


@pytest.mark.parametrize("value", [-0.1, 10.5, float("nan")])
def test_measures_reject_out_of_range(value):
    with pytest.raises(ValidationError):
        SRS(relationship=value, goals_and_topics=5, approach_or_method=5, overall=5)
