"""Attraction progress by channel (招引进展): the funnel page and the monthly dispatch report.

Counts are flows over [1 Jan of the year, as_of], one per step, by the date of that step: new
leads (线索日期), projects entering 在谈, 签约, 落户, 终止. `settled_last_year` is the same window a
year earlier. Conversion (lead → settled) follows the year's leads as a cohort: of the projects
that became leads in the window, the share settled by as_of. One GROUP BY statement per call,
scoped by `scoping.project_scope_clause` (actor None = the whole city, for reports and the CLI).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from tracker.extensions import db
from tracker.models import AttractionProject, User
from tracker.rules import attraction as rules
from tracker.rules.districts import DISTRICT_CODES
from tracker.services.attractions.channels import all_channels
from tracker.services.errors import Forbidden, NotFound
from tracker.services.scoping import project_scope_clause


@dataclass
class ChannelProgress:
    """One channel's progress in a year up to a day."""

    code: str
    name: str
    leads: int = 0
    talking: int = 0
    signed: int = 0
    settled: int = 0
    dropped: int = 0
    settled_last_year: int = 0
    leads_settled: int = 0  # of this window's leads, how many have settled by as_of

    @property
    def conversion(self) -> float | None:
        """Lead → settled: the share of this year's leads already settled (None without leads)."""
        return rules.conversion_rate(self.leads_settled, self.leads)

    @property
    def settled_change(self) -> int:
        """Settled this year minus settled in the same period last year."""
        return self.settled - self.settled_last_year


def same_day_last_year(day: dt.date) -> dt.date:
    """`day` one year earlier (29 Feb → 28 Feb)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _between(column, start: dt.date, end: dt.date):
    return and_(column >= start, column <= end)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def channel_progress(actor: User | None, year: int, as_of: dt.date, *, district: str | None = None) -> list[ChannelProgress]:
    """Per channel (every channel, in display order, plus any code found on a project): leads,
    talking, signed, settled, dropped in [1 Jan `year`, as_of], settled in the same period last
    year, and the leads → settled conversion; scoped to `actor` (None: the whole city), optionally
    narrowed to one district. An as_of beyond the year is cut at 31 Dec."""
    if district is not None and district not in DISTRICT_CODES:
        raise NotFound(f"未知辖区：{district}")
    if district is not None and actor is not None and not actor.is_admin and district != actor.district:
        raise Forbidden("您无权查看该辖区的招引项目")
    start = dt.date(year, 1, 1)
    end = min(as_of, dt.date(year, 12, 31))
    last_start, last_end = dt.date(year - 1, 1, 1), same_day_last_year(end)
    P = AttractionProject
    window = lambda column: _between(column, start, end)  # noqa: E731
    query = (
        select(
            P.channel,
            _count(window(P.lead_on)),
            _count(window(P.talking_on)),
            _count(window(P.signed_on)),
            _count(window(P.settled_on)),
            _count(window(P.dropped_on)),
            _count(_between(P.settled_on, last_start, last_end)),
            _count(and_(window(P.lead_on), P.status == rules.SETTLED, P.settled_on <= end)),
        )
        .where(project_scope_clause(actor))
        .group_by(P.channel)
    )
    if district is not None:
        query = query.where(P.district == district)
    found = {row[0]: [int(v) for v in row[1:]] for row in db.session.execute(query).all()}
    channels = all_channels()
    result = [ChannelProgress(c.code, c.name, *found.pop(c.code, [0] * 7)) for c in channels
              if c.active or c.code in found]
    other_name = rules.BUILTIN_CHANNELS[rules.OTHER]
    for code, values in sorted(found.items()):  # a code no channel knows (a removed one): shown under its code
        result.append(ChannelProgress(code, f"{other_name}（{code}）", *values))
    return result


@dataclass
class Funnel:
    """The funnel by channel (招引漏斗): this year to a day beside the same period last year."""

    year: int
    as_of: dt.date
    last_as_of: dt.date
    this_year: list[ChannelProgress]
    last_year: list[ChannelProgress]

    def total(self, which: str = "this") -> ChannelProgress:
        """All channels summed."""
        rows = self.this_year if which == "this" else self.last_year
        total = ChannelProgress("all", "合计")
        for row in rows:
            for name in ("leads", "talking", "signed", "settled", "dropped", "settled_last_year", "leads_settled"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total

    def pairs(self) -> list[tuple[ChannelProgress, ChannelProgress]]:
        """(this year, last year) per channel, in the order of this year's rows."""
        last = {r.code: r for r in self.last_year}
        return [(row, last.get(row.code) or ChannelProgress(row.code, row.name)) for row in self.this_year]


def funnel(actor: User, year: int, as_of: dt.date, district: str | None = None) -> Funnel:
    """This year's progress by channel up to `as_of` beside last year's to the same day."""
    end = min(as_of, dt.date(year, 12, 31))
    last_end = same_day_last_year(end)
    return Funnel(year, end, last_end, channel_progress(actor, year, end, district=district),
                  channel_progress(actor, year - 1, last_end, district=district))
