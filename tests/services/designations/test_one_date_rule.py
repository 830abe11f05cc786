"""One date for every rung (issue 16 defect 11): a designation counts, for the stage and for every
indicator, from the later of its grant date and its valid_from (docs/DOMAIN.md §1)."""

import datetime as dt

import pytest

from tracker.services.companies.queries import CompanyFilters, company_profile, list_companies
from tracker.services.designations import grants
from tracker.services.indicators.drill_down import drill_down
from tracker.services.indicators.rollup import roll_up

D = dt.date

INDICATOR_OF_RUNG = {
    "tech_sme": "tech_sme_registered",
    "hnte": "hnte_count",
    "gazelle": "gazelle_cumulative",
    "potential_unicorn": "unicorn_cumulative",
    "unicorn": "unicorn_cumulative",
}


def _observe(admin, company, rung, day):
    """(stage by the rules, stage by SQL, counted in the indicator, listed in its drill-down)."""
    code = INDICATOR_OF_RUNG[rung]
    by_sql = {row.company.id: row.stage for row in list_companies(admin, CompanyFilters(), day, 1, 50).rows}
    drill = drill_down(code, day, admin)
    return (
        company_profile(admin, company.id, day).stage,
        by_sql[company.id],
        roll_up(day, admin).figure(code).actual,
        drill.count(),
    )


# (granted_on, valid_from, the last day it does not count, the first day it counts)
CASES = {
    "valid from 1 January, granted 1 September": (D(2025, 9, 1), D(2025, 1, 1), D(2025, 8, 31), D(2025, 9, 1)),
    "granted 1 September, valid from 1 November": (D(2025, 9, 1), D(2025, 11, 1), D(2025, 10, 31), D(2025, 11, 1)),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("rung", list(INDICATOR_OF_RUNG))
def test_stage_and_indicator_count_from_the_later_of_grant_date_and_valid_from(app, factory, rung, case):
    granted, valid_from, last_out, first_in = CASES[case]
    admin = factory.user("admin")
    company = factory.company()
    grants.grant_designation(admin, company, rung, granted_on=granted, valid_from=valid_from)
    for day in (min(granted, valid_from), D(2025, 3, 1), last_out):
        if day < first_in:
            assert _observe(admin, company, rung, day) == ("prospect", "prospect", 0, 0), day
    for day in (first_in, D(2025, 11, 30)):
        assert _observe(admin, company, rung, day) == (rung, rung, 1, 1), day


def test_the_timeline_dates_the_grant_by_the_same_rule(app, factory):
    admin = factory.user("admin")
    company = factory.company()
    grants.grant_designation(admin, company, "gazelle", granted_on=D(2025, 9, 1), valid_from=D(2025, 1, 1))
    timeline = company_profile(admin, company.id, D(2025, 10, 1)).timeline
    assert [(e.on, e.kind) for e in timeline.events] == [(D(2025, 9, 1), "granted")]
    assert [(c.on, c.to_stage) for c in timeline.stages] == [(D(2025, 9, 1), "gazelle")]
