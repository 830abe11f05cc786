"""The monthly dispatch report (月调度通报): what the bureau sends the districts each month.

docs/DOMAIN.md §4. Every figure is as of the month's last day and comes from the services the
pages use, so the report equals the dashboard for that day: the 12 indicators against the year's
targets and the pro-rata (the pacing rule of tracker.services.indicators.pacing); indicators 1–4
by district, ranked by completion, with the change since the month before; attraction progress by
channel (tracker.services.attractions.progress); the cultivation funnel per target rung
(tracker.services.cultivation.board); 诉求 open and overdue at the month's end by district with the
oldest ones; HNTE certificates ending next quarter without a re-application
(tracker.services.certificates.reapplication).

Scope is the indicators' (`scope_for`): the system and administrators get the city (or one
district they choose), a district manager their district's version (only their district's rows;
their rank among the seven is a figure of the 通报 itself), officers are refused. Rendering is in
`tracker.services.reports.documents`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select

from tracker.clock import TZ
from tracker.extensions import db
from tracker.models import Company, Designation, FollowUp, User, Visit
from tracker.rules import follow_ups as follow_up_rules
from tracker.rules import indicators as rules
from tracker.rules import reports as report_rules
from tracker.rules.districts import DISTRICT_CODES, DISTRICT_NAMES
from tracker.rules.indicators import DISTRICT_INDICATOR_CODES, INDICATOR_BY_CODE
from tracker.rules.ladder import RUNGS
from tracker.rules.reports import ReportMonth
from tracker.services import audit
from tracker.services.attractions.channels import all_channels
from tracker.services.attractions.progress import ChannelProgress, channel_progress
from tracker.services.certificates.reapplication import reapplication_clause, renewed_clause
from tracker.services.companies.queries import officers_by_company
from tracker.services.cultivation.board import BoardFilters, FunnelStep, funnel
from tracker.services.errors import ServiceError
from tracker.services.indicators.pacing import pacings
from tracker.services.indicators.rollup import RollUp, build_roll_up, counts, targets_for
from tracker.services.indicators.scope import Scope, scope_for
from tracker.services.reports import documents
from tracker.services.unit_of_work import use_case



DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class IndicatorLine:
    """One of the 12 indicators at the month's end: actual, target, pro-rata, change, status."""

    number: int
    code: str
    name: str
    unit: str
    actual: int
    target: int | None
    percent: float | None
    expected: float | None  # where it should stand at the month's end (pro-rata by its pacing)
    previous: int  # at the end of the month before
    status: str  # 已完成 / 进度正常 / 略有滞后 / 滞后 / 无目标
    pacing_rule: str

    @property
    def change(self) -> int:
        return self.actual - self.previous

    @property
    def expected_percent(self) -> float | None:
        """The pro-rata as a share of the target, in %."""
        if self.expected is None or not self.target:
            return None
        return round(100 * self.expected / self.target, 1)


@dataclass
class DistrictLine:
    """One district's figure of an indicator with district targets, ranked among the seven."""

    district: str
    name: str
    actual: int
    target: int | None
    percent: float | None
    rank: int | None
    previous: int
    previous_rank: int | None

    @property
    def change(self) -> int:
        return self.actual - self.previous


@dataclass
class DistrictTable:
    """Indicators 1–4: the districts' lines, best rank first."""

    number: int
    code: str
    name: str
    unit: str
    lines: list[DistrictLine]


@dataclass
class PipelineLine:
    """The cultivation funnel of one target rung for the report's year."""

    rung: str
    rung_name: str
    steps: list[FunnelStep]
    overall_rate: float | None


@dataclass
class CaseCount:
    """诉求 of one district open and overdue at the month's end."""

    district: str
    name: str
    open: int = 0
    overdue: int = 0


@dataclass
class CaseItem:
    """One of the oldest 诉求 still open at the month's end."""

    district_name: str
    company: str
    category: str
    description: str
    raised_on: dt.date
    due_on: dt.date | None
    days_open: int
    overdue: bool


@dataclass
class ExpiringCertificate:
    """An HNTE certificate ending next quarter with no re-application (and no newer certificate)."""

    district_name: str
    company: str
    uscc: str
    reference: str | None
    valid_until: dt.date
    officers: str


@dataclass
class MonthlyReport:
    """Everything the 通报 of one month says, for one scope."""

    month: ReportMonth
    scope_name: str
    district: str | None
    generated_on: dt.date
    indicators: list[IndicatorLine]
    district_tables: list[DistrictTable]
    channels: list[ChannelProgress]
    pipeline: list[PipelineLine]
    cases: list[CaseCount]
    oldest_cases: list[CaseItem]
    quarter: tuple[dt.date, dt.date]
    expiring: list[ExpiringCertificate] = field(default_factory=list)

    @property
    def as_of(self) -> dt.date:
        return self.month.end

    def indicator(self, code: str) -> IndicatorLine:
        return next(i for i in self.indicators if i.code == code)

    @property
    def channel_total(self) -> ChannelProgress:
        total = ChannelProgress("all", "合计")
        for row in self.channels:
            for name in ("leads", "talking", "signed", "settled", "dropped", "settled_last_year", "leads_settled"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total

    def status_counts(self) -> dict[str, int]:
        """How many indicators are in each status (the summary sentence)."""
        result: dict[str, int] = {}
        for line in self.indicators:
            result[line.status] = result.get(line.status, 0) + 1
        return result

    @property
    def expiring_by_district(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for cert in self.expiring:
            result[cert.district_name] = result.get(cert.district_name, 0) + 1
        return result


def _roll(scope: Scope, on: dt.date, targets, known) -> RollUp:
    actuals, channels = counts(scope, on)
    return build_roll_up(scope, on, actuals, targets, channels, known)


def _indicator_lines(scope: Scope, month: ReportMonth, current: RollUp, previous: RollUp, baseline: RollUp) -> list[IndicatorLine]:
    """The dashboard's rows for the month's end (the same pacing, expected and status rules)."""
    paces = pacings(scope, month.year)
    lines = []
    for figure in current.figures:
        code = figure.code
        pace = paces[code]
        expected = rules.expected_by(code, figure.target, baseline.figure(code).actual, month.end, pace)
        lines.append(IndicatorLine(
            number=figure.indicator.number, code=code, name=figure.indicator.name, unit=figure.indicator.unit,
            actual=figure.actual, target=figure.target, percent=figure.percent, expected=expected,
            previous=previous.figure(code).actual,
            status=rules.progress_status(figure.actual, figure.target, expected).label, pacing_rule=pace.rule,
        ))
    return lines


def _district_tables(city_now: RollUp, city_before: RollUp, only: str | None) -> list[DistrictTable]:
    """Indicators 1–4 for the seven districts ranked by completion; `only` keeps one district's line."""
    tables = []
    for code in DISTRICT_INDICATOR_CODES:
        now_by = city_now.figure(code).by_district or {}
        before_by = city_before.figure(code).by_district or {}
        percents = {d: rules.percent_complete(f.actual, f.target) for d, f in now_by.items()}
        before_percents = {d: rules.percent_complete(f.actual, f.target) for d, f in before_by.items()}
        ranks, before_ranks = report_rules.rank(percents), report_rules.rank(before_percents)
        lines = [
            DistrictLine(
                district=d, name=DISTRICT_NAMES.get(d, d), actual=f.actual, target=f.target, percent=percents[d],
                rank=ranks[d], previous=before_by[d].actual if d in before_by else 0,
                previous_rank=before_ranks.get(d),
            )
            for d, f in now_by.items() if only is None or d == only
        ]
        order = {d: n for n, d in enumerate(DISTRICT_CODES)}
        lines.sort(key=lambda line: (line.rank is None, line.rank or 0, order.get(line.district, 99)))
        indicator = INDICATOR_BY_CODE[code]
        tables.append(DistrictTable(indicator.number, code, indicator.name, indicator.unit, lines))
    return tables


def _viewer(actor: User | None) -> User:
    # The funnel takes a user for its scope; the system (CLI, emails) sees what an administrator
    # sees. A transient object, never added to the session.
    return actor if actor is not None else User(role="admin", name="系统")


def _pipeline(actor: User | None, year: int, district: str | None) -> list[PipelineLine]:
    result = []
    for rung in RUNGS:
        data = funnel(_viewer(actor), BoardFilters(rung=rung.code, year=year, district=district))
        result.append(PipelineLine(rung.code, rung.name, data.steps, data.overall_rate))
    return result


def _end_instant(day: dt.date) -> dt.datetime:
    """The first instant after `day` in Asia/Shanghai, in UTC (stored instants are UTC)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), TZ).astimezone(dt.timezone.utc)


def _open_at(day: dt.date, instant: dt.datetime):
    """A 诉求 raised by `day` (its visit's date; without a visit, when it was recorded) and not yet
    resolved by then: still active, or resolved (else closed) after `instant`, the end of `day`."""
    raised = or_(
        and_(Visit.id.is_not(None), Visit.visited_on <= day),
        and_(Visit.id.is_(None), FollowUp.created_at < instant),
    )
    unresolved = or_(
        FollowUp.status.in_(follow_up_rules.ACTIVE_STATUSES),
        FollowUp.resolved_at >= instant,
        and_(FollowUp.resolved_at.is_(None), FollowUp.closed_at >= instant),
    )
    return and_(raised, unresolved)


def _cases(scope: Scope, month: ReportMonth) -> tuple[list[CaseCount], list[CaseItem]]:
    instant = _end_instant(month.end)
    overdue = and_(FollowUp.due_on.is_not(None), FollowUp.due_on < month.end)
    base = and_(scope.company_clause(), _open_at(month.end, instant))

    def joined(query):
        return (query.join(Company, Company.id == FollowUp.company_id)
                .outerjoin(Visit, Visit.id == FollowUp.visit_id).where(base))

    rows = db.session.execute(joined(
        select(Company.district, func.count(), func.coalesce(func.sum(case((overdue, 1), else_=0)), 0))
        .select_from(FollowUp)
    ).group_by(Company.district)).all()
    found = {d: (int(n), int(o or 0)) for d, n, o in rows}
    counts_ = [
        CaseCount(d, DISTRICT_NAMES.get(d, d), *found.get(d, (0, 0))) for d in scope.shown_districts
    ]
    oldest_first = (Visit.visited_on.is_(None), Visit.visited_on, FollowUp.created_at, FollowUp.id)
    ranked = joined(
        select(FollowUp.id.label("id"),
               func.row_number().over(partition_by=Company.district, order_by=oldest_first).label("n"))
        .select_from(FollowUp)
    ).subquery()
    items = db.session.execute(
        select(Company.district, Company.name, FollowUp.category, FollowUp.description, FollowUp.created_at,
               FollowUp.due_on, Visit.visited_on)
        .select_from(FollowUp)
        .join(Company, Company.id == FollowUp.company_id)
        .outerjoin(Visit, Visit.id == FollowUp.visit_id)
        .join(ranked, ranked.c.id == FollowUp.id)
        .where(ranked.c.n <= report_rules.OLDEST_OPEN_ITEMS)
        .order_by(Company.district, *oldest_first)
    ).all()
    order = {d: n for n, d in enumerate(DISTRICT_CODES)}
    oldest = []
    for district, name, category, description, created, due_on, visited_on in sorted(
            items, key=lambda r: order.get(r[0], 99)):
        raised = visited_on or _local_date(created)
        oldest.append(CaseItem(
            district_name=DISTRICT_NAMES.get(district, district), company=name,
            category=follow_up_rules.CATEGORY_NAMES.get(category, "其他"),
            description=(description or "").strip().replace("\n", " ")[:60], raised_on=raised, due_on=due_on,
            days_open=(month.end - raised).days, overdue=due_on is not None and due_on < month.end,
        ))
    return counts_, oldest


def _local_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:  # SQLite gives naive UTC
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(TZ).date()


def _expiring(scope: Scope, month: ReportMonth) -> list[ExpiringCertificate]:
    start, end = month.next_quarter()
    rows = db.session.execute(
        select(Company.id, Company.district, Company.name, Company.uscc, Designation.reference, Designation.valid_until)
        .join(Company, Company.id == Designation.company_id)
        .where(
            scope.company_clause(), Designation.rung == "hnte",
            Designation.valid_until >= start, Designation.valid_until <= end,
            or_(Designation.revoked_on.is_(None), Designation.revoked_on > month.end),
            ~reapplication_clause(Designation), ~renewed_clause(Designation),
        )
        .order_by(Designation.valid_until, Company.name, Designation.id)
    ).all()
    officers = officers_by_company([r[0] for r in rows])
    order = {d: n for n, d in enumerate(DISTRICT_CODES)}
    return [
        ExpiringCertificate(DISTRICT_NAMES.get(r[1], r[1]), r[2], r[3], r[4], r[5], "、".join(officers.get(r[0], [])))
        for r in sorted(rows, key=lambda r: (order.get(r[1], 99), r[5], r[2]))
    ]


def monthly_report(actor: User | None, month: ReportMonth, today: dt.date, district: str | None = None) -> MonthlyReport:
    """The 通报 of `month` for `actor`'s scope (None: the whole city), optionally one district."""
    scope = scope_for(actor, district)
    targets = targets_for(sorted({month.year, month.year - 1, month.previous_end.year}))
    known = all_channels()
    current = _roll(scope, month.end, targets, known)
    previous = _roll(scope, month.previous_end, targets, known)
    baseline = previous if month.previous_end == rules.year_end(month.year - 1) else \
        _roll(scope, rules.year_end(month.year - 1), targets, known)
    if scope.district is None:
        city_now, city_before = current, previous
    else:  # the rank among the seven needs the other districts' figures (only the rank is shown)
        city = scope_for(None)
        city_now, city_before = _roll(city, month.end, targets, known), _roll(city, month.previous_end, targets, known)
    channel_district = scope.district if actor is None or actor.is_admin else None
    cases, oldest = _cases(scope, month)
    return MonthlyReport(
        month=month,
        scope_name="全市" if scope.district is None else DISTRICT_NAMES.get(scope.district, scope.district),
        district=scope.district, generated_on=today,
        indicators=_indicator_lines(scope, month, current, previous, baseline),
        district_tables=_district_tables(city_now, city_before, scope.district),
        channels=channel_progress(actor, month.year, month.end, district=channel_district),
        pipeline=_pipeline(actor, month.year, scope.district),
        cases=cases, oldest_cases=oldest, quarter=month.next_quarter(), expiring=_expiring(scope, month),
    )


def report_filename(report: MonthlyReport, fmt: str) -> str:
    """常州市科技型企业倍增行动月调度通报_2026年10月_武进区.docx"""
    return f"倍增行动月调度通报_{report.month.label}_{report.scope_name}.{fmt}"


def ascii_filename(report: MonthlyReport, fmt: str) -> str:
    """The fallback file name for clients without RFC 5987: monthly-report-2026-10-wujin.docx"""
    return f"monthly-report-{report.month.key}-{report.district or 'city'}.{fmt}"


def render(report: MonthlyReport, fmt: str) -> bytes:
    """The report as docx or xlsx bytes."""
    if fmt == "docx":
        return documents.docx_bytes(report)
    if fmt == "xlsx":
        return documents.xlsx_bytes(report)
    raise ServiceError("通报格式须为 docx 或 xlsx")


@use_case
def download(actor: User, month_text: str | None, fmt: str, today: dt.date,
             district: str | None = None) -> tuple[bytes, MonthlyReport]:
    """The 通报 of a finished month for a signed-in user, as docx or xlsx bytes, with an audit row
    (it lists companies by name). Bad month or format: ServiceError in Chinese; officers: Forbidden."""
    try:
        month = report_rules.parse_month(month_text, today)
    except report_rules.BadMonth as exc:
        raise ServiceError(exc.message, field="month") from None
    if fmt not in report_rules.FORMATS:
        raise ServiceError("通报格式须为 Word（docx）或 Excel（xlsx）", field="format")
    report = monthly_report(actor, month, today, district)
    data = render(report, fmt)
    audit.record(actor.id, "report.monthly", entity_type="report",
                 after={"month": month.key, "format": fmt, "district": report.district})
    return data, report
