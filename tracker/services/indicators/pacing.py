"""Seasonal pacing (按往年月份分布): each indicator's share of a year's gain by month, from records.

docs/DOMAIN.md §4. HNTE recognitions arrive in autumn batches and tech SME registrations in the
evaluation window, so a straight line marks them red all year. The profile of each indicator is
measured on the previous years' dated records (tracker.rules.indicators.PROFILE_YEARS) in one
UNION ALL statement grouped by month; an indicator without enough history is paced evenly.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, extract, func, literal, select, union_all

from tracker.extensions import db
from tracker.models import Carrier, Company, Designation, Platform, TalentAward
from tracker.rules import indicators as rules
from tracker.services.indicators.definitions import first_level_subquery
from tracker.services.indicators.scope import Scope


def _window(column, year: int):
    """The previous PROFILE_YEARS calendar years before `year`."""
    return and_(column >= dt.date(year - rules.PROFILE_YEARS, 1, 1), column <= rules.year_end(year - 1))


def pacings(scope: Scope, year: int) -> dict[str, rules.Pacing]:
    """code → how the indicator is paced in `year` within the scope (seasonal, else straight-line)."""
    # The day a designation starts counting: the later of its grant date and its valid_from.
    counts_from = case((Designation.granted_on > Designation.valid_from, Designation.granted_on),
                       else_=Designation.valid_from)
    parts = []

    def part(code: str, column, source, *where):
        month = extract("month", column)
        parts.append(
            select(literal(code).label("code"), month.label("month"), func.count().label("n"))
            .select_from(source).where(_window(column, year), *where).group_by(month)
        )

    company_join = Designation.__table__.join(Company.__table__, Company.id == Designation.company_id)
    for code in (rules.HNTE, rules.GAZELLE, rules.UNICORNS):
        part(code, counts_from, company_join, Designation.rung.in_(rules.INDICATOR_RUNGS[code]), scope.company_clause())
    part(rules.TECH_SME_REGISTERED, Designation.granted_on, company_join,
         Designation.rung == "tech_sme", scope.company_clause())
    part(rules.ATTRACTED, Company.attracted_on, Company.__table__, scope.company_clause())
    for code, kind in rules.TALENT_KIND_BY_INDICATOR.items():
        part(code, TalentAward.recognized_on, TalentAward.__table__,
             TalentAward.kind == kind, scope.district_clause(TalentAward.district))
    for code, min_level in rules.CARRIER_MIN_LEVEL.items():
        first = first_level_subquery(min_level)
        part(code, first.c.first_on, Carrier.__table__.join(first, first.c.carrier_id == Carrier.id),
             scope.district_clause(Carrier.district))
    part(rules.PLATFORM_PROVINCE, Platform.recognized_on, Platform.__table__,
         Platform.level.in_(rules.levels_at_least(rules.PLATFORM_MIN_LEVEL)), scope.district_clause(Platform.district))
    counts: dict[str, dict[int, int]] = {code: {} for code in rules.INDICATOR_CODES}
    for code, month, n in db.session.execute(union_all(*parts)).all():
        counts[code][int(month)] = counts[code].get(int(month), 0) + int(n or 0)
    # Indicator 12 is a yearly list without dates: always paced evenly.
    return {code: rules.seasonal_pacing(code, counts[code]) if code != rules.SERVICE_ORGS else rules.STRAIGHT
            for code in rules.INDICATOR_CODES}
