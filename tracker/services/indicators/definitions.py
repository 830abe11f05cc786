"""The indicator definitions of docs/DOMAIN.md §4 as SQL WHERE clauses.

The roll-up counts rows matching these clauses (GROUP BY district) and the drill-down lists the
same rows, so a number and its list always agree. tracker.rules.indicators holds the same
definitions as pure functions; the tests compare the two.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, select

from tracker.models import CarrierLevel, Company, Designation, Platform, ServiceInstitution, TalentAward
from tracker.rules import indicators as rules
from tracker.services.stages import counted_clause, in_force_clause, not_revoked_clause


def in_year_to(column, on: dt.date):
    """WHERE clause: a date column falls in [1 Jan of `on`'s year, `on`] (the flows' window)."""
    return and_(column >= rules.year_start(on), column <= on)


def designation_clause(code: str, on: dt.date):
    """WHERE clause on Designation rows that make their company count in indicator 1–4 on `on`.

    Every clause counts a designation from the later of its grant date and its valid_from
    (stages.counted_clause), the same day the stage does (docs/DOMAIN.md §1).
    """
    rungs = rules.INDICATOR_RUNGS[code]
    rung = Designation.rung == rungs[0] if len(rungs) == 1 else Designation.rung.in_(rungs)
    if code == rules.HNTE:
        return and_(rung, in_force_clause(on))
    if code in (rules.GAZELLE, rules.UNICORNS):
        return and_(rung, counted_clause(on), not_revoked_clause(on))
    if code == rules.TECH_SME_REGISTERED:
        return and_(
            rung, Designation.valid_from >= rules.year_start(on), Designation.valid_from <= rules.year_end(on.year),
            counted_clause(on), not_revoked_clause(on),
        )
    raise KeyError(code)


def companies_counted(code: str, on: dt.date):
    """WHERE clause on Company: counted in indicator 1–4 on `on` (scope not applied)."""
    return Company.id.in_(select(Designation.company_id).where(designation_clause(code, on)))


def attracted_clause(on: dt.date):
    """Indicator 5: the company's attraction date falls in [1 Jan Y, D]."""
    return in_year_to(Company.attracted_on, on)


def talent_clause(code: str, on: dt.date):
    """Indicators 6–8: awards of the indicator's kind recognised this year so far."""
    return and_(TalentAward.kind == rules.TALENT_KIND_BY_INDICATOR[code], in_year_to(TalentAward.recognized_on, on))


def first_level_subquery(min_level: str):
    """carrier_id, first_on: each carrier's first recognition at `min_level` or above (indicators 9–10)."""
    return (
        select(CarrierLevel.carrier_id, func.min(CarrierLevel.recognized_on).label("first_on"))
        .where(CarrierLevel.level.in_(rules.levels_at_least(min_level)))
        .group_by(CarrierLevel.carrier_id)
        .subquery()
    )


def platform_clause(on: dt.date):
    """Indicator 11: provincial-or-higher platforms recognised this year so far."""
    return and_(
        Platform.level.in_(rules.levels_at_least(rules.PLATFORM_MIN_LEVEL)), in_year_to(Platform.recognized_on, on),
    )


def service_org_clause(on: dt.date):
    """Indicator 12: service institutions on the list for year Y."""
    return ServiceInstitution.year == on.year
