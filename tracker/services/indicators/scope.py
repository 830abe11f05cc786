"""Whose indicator figures a user may see (指标查看范围): the whole city, or one district.

`user=None` is the whole city (CLI, emails); an administrator sees the city and every
district; a manager sees their own district, whose figures become their "city" figures; officers
have no access to indicators. Every indicator query (roll-up, drill-down, projection, cohorts,
dashboard, export) starts from `scope_for`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_

from tracker.models import Company, User
from tracker.rules.districts import DISTRICT_CODES
from tracker.services.errors import Forbidden, NotFound
from tracker.services.scoping import company_scope_clause, district_scope_clause, visible_districts


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole city (district None) or one district; plus the user's row filter."""

    user: User | None
    district: str | None  # None = city-wide
    districts: tuple[str, ...]  # district codes whose breakdown may be shown

    @property
    def shown_districts(self) -> tuple[str, ...]:
        """The districts of a per-district breakdown: the scope's own, or every visible one."""
        return (self.district,) if self.district is not None else self.districts

    def company_clause(self):
        """WHERE clause on Company: live, visible to the user, in the scope's district."""
        clause = Company.deleted_at.is_(None) if self.user is None else company_scope_clause(self.user)
        if self.district is not None:
            clause = and_(clause, Company.district == self.district)
        return clause

    def district_clause(self, column):
        """WHERE clause on a registry's own district column."""
        clause = column.is_not(None) if self.user is None else district_scope_clause(self.user, column)
        if self.district is not None:
            clause = and_(clause, column == self.district)
        return clause


def scope_for(user: User | None, district: str | None = None) -> Scope:
    """The scope of `user`, optionally narrowed to one district; refuses what the user may not see."""
    if user is not None and not (user.is_admin or user.is_manager):
        raise Forbidden("服务专员无权查看指标汇总")
    allowed = DISTRICT_CODES if user is None else visible_districts(user, DISTRICT_CODES)
    if district is not None and district not in DISTRICT_CODES:
        raise NotFound(f"未知辖区：{district}")
    if district is not None and district not in allowed:
        raise Forbidden("您无权查看该辖区的指标")
    if user is not None and user.is_manager:
        district = user.district  # a manager's "city" is their district
    return Scope(user=user, district=district, districts=allowed)
