"""Drill-down (明细): the records behind one indicator figure, exactly as many as the figure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from tracker.extensions import db
from tracker.models import AttractionProject, Carrier, Company, Platform, ServiceInstitution, TalentAward, User
from tracker.rules.attraction import SETTLED, UNSPECIFIED_CHANNEL
from tracker.rules import indicators as rules
from tracker.rules.indicators import INDICATOR_BY_CODE, Indicator
from tracker.services.attractions.channels import channel_names
from tracker.services.errors import NotFound
from tracker.services.indicators.definitions import (
    attracted_clause, companies_counted, first_level_subquery, in_year_to, platform_clause, service_org_clause,
    talent_clause,
)
from tracker.services.indicators.scope import scope_for
from tracker.services.pagination import Page, page_count
from tracker.services.scoping import project_scope_clause


@dataclass
class DrillDown:
    """The rows behind one figure. `query` selects the record first (carriers: and their date)."""

    indicator: Indicator
    as_of: dt.date
    district: str | None
    record_type: str  # company | talent | carrier | platform | service_institution
    query: Select
    channel: str | None = None  # indicator 5 narrowed to one channel

    def count(self) -> int:
        """How many rows the list has (equals the figure)."""
        return int(db.session.scalar(select(func.count()).select_from(self.query.order_by(None).subquery())) or 0)

    def rows(self, limit: int | None = None, offset: int = 0) -> list:
        """Result rows (row[0] is the record; carriers also carry `first_on`)."""
        query = self.query
        if limit is not None:
            query = query.limit(limit).offset(offset)
        return db.session.execute(query).all()

    def records(self) -> list:
        """All the records (no paging)."""
        return [row[0] for row in self.rows()]

    def page(self, page: int, per_page: int) -> Page:
        """One page of the result rows; a page number out of range shows the nearest page."""
        total = self.count()
        page = min(max(1, page), page_count(total, per_page))
        return Page(rows=self.rows(limit=per_page, offset=(page - 1) * per_page), total=total, page=page, per_page=per_page)


def drill_down(code: str, as_of: dt.date, user: User | None, district: str | None = None, *,
               channel: str | None = None) -> DrillDown:
    """The companies (indicators 1–5) or registry rows (6–12) counted in one figure.

    `district` None means the scope's own figure (the city, or a manager's district). The list
    has exactly as many rows as the figure of roll_up for the same arguments. For indicator 5,
    each row also carries its attraction project (id, name), and `channel` narrows the list to
    one channel's part of `by_channel`.
    """
    indicator = INDICATOR_BY_CODE.get(code)
    if indicator is None:
        raise NotFound(f"未知指标：{code}")
    scope = scope_for(user, district)
    record_type = rules.RECORD_TYPES[code]
    if code in rules.DESIGNATION_INDICATORS:
        query = (
            select(Company).where(scope.company_clause(), companies_counted(code, as_of))
            .order_by(Company.name, Company.id)
        )
    elif code == rules.ATTRACTED:
        # Each company with the attraction project it settled from (the first one the user may
        # see, if any), as scalar subqueries so the list keeps one row per company.
        def first_project(column):
            return (select(column).where(
                AttractionProject.company_id == Company.id, AttractionProject.status == SETTLED,
                project_scope_clause(user)).order_by(AttractionProject.id).limit(1)
                .correlate(Company).scalar_subquery())

        query = (
            select(Company, first_project(AttractionProject.id).label("project_id"),
                   first_project(AttractionProject.name).label("project_name"))
            .where(scope.company_clause(), attracted_clause(as_of))
            .order_by(Company.attracted_on, Company.name, Company.id)
        )
        if channel is not None:
            if channel not in channel_names():
                raise NotFound(f"未知招引渠道：{channel}")
            query = query.where(func.coalesce(Company.attraction_channel, UNSPECIFIED_CHANNEL) == channel)
    elif code in rules.TALENT_KIND_BY_INDICATOR:
        query = (
            select(TalentAward)
            .where(talent_clause(code, as_of), scope.district_clause(TalentAward.district))
            .order_by(TalentAward.recognized_on, TalentAward.id)
        )
    elif code in rules.CARRIER_MIN_LEVEL:
        first = first_level_subquery(rules.CARRIER_MIN_LEVEL[code])
        query = (
            select(Carrier, first.c.first_on)
            .join(first, first.c.carrier_id == Carrier.id)
            .where(in_year_to(first.c.first_on, as_of), scope.district_clause(Carrier.district))
            .order_by(first.c.first_on, Carrier.id)
        )
    elif code == rules.PLATFORM_PROVINCE:
        query = (
            select(Platform)
            .where(platform_clause(as_of), scope.district_clause(Platform.district))
            .order_by(Platform.recognized_on, Platform.id)
        )
    else:
        query = (
            select(ServiceInstitution)
            .where(service_org_clause(as_of), scope.district_clause(ServiceInstitution.district))
            .order_by(ServiceInstitution.name, ServiceInstitution.id)
        )
    return DrillDown(indicator, as_of, scope.district, record_type, query, channel if code == rules.ATTRACTED else None)
