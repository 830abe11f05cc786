"""The HNTE maintenance list (高企资质维护): certificates expiring this year and next, per district.

Each row is one HNTE certificate of a live company the user may see (managers: their district;
administrators: every district or one), ending between 1 January this year and 31 December next
year and not revoked: its re-application track (the track for the expiry year, docs/DOMAIN.md §2),
whether the figures pass the HNTE pre-check today, the officer, and the annual reports of the
last two report years, flagged when two consecutive reports that were due are missing.

A page costs a fixed handful of queries whatever its size (the rows; the officers; the annual
reports and who had to file them; the facts of the pre-check per expiry year), never one per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from tracker.clock import today as clock_today
from tracker.extensions import db
from tracker.models import AnnualReport, Company, CultivationTrack, Designation, User
from tracker.rules import eligibility
from tracker.rules import reminders as reminder_rules
from tracker.rules.cultivation import STATUS_NAMES, STATUSES
from tracker.rules.districts import DISTRICT_CODES, DISTRICT_NAMES
from tracker.rules.eligibility import EligibilityResult
from tracker.services.candidates.ranking import load_facts
from tracker.services.certificates.reapplication import expiry_year, reapplication_clause, renewed_until
from tracker.services.companies.queries import officers_by_company
from tracker.services.cultivation import tracks
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.pagination import Page, page_count
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import in_force_clause
from tracker.services.unit_of_work import use_case

# Status filter values beyond the track statuses of rules.cultivation.
MISSING = "missing"  # no track for the expiry year: the re-application still has to be created
UNFILED = "unfiled"  # two consecutive annual reports due and not filed
STATUS_FILTERS: dict[str, str] = {
    MISSING: "未建重新认定培育记录",
    **{s: f"重新认定：{STATUS_NAMES[s]}" for s in STATUSES},
    UNFILED: "连续两年未报送年报",
}
FLAG_TEXT = "连续两年未报送：可能被取消资格"

# Annual report cell states.
FILED, LATE, PENDING, NOT_DUE = "filed", "late", "pending", "not_due"
REPORT_STATE_NAMES = {FILED: "已报送", LATE: "未报送", PENDING: "待报送", NOT_DUE: "—"}

EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class MaintenanceFilters:
    """What the list is asked for; `district` only counts for administrators."""

    district: str | None = None
    expiry_year: int | None = None
    status: str | None = None


@dataclass(frozen=True)
class ReportCell:
    """One report year of one company: its state and, when filed, the filing date."""

    year: int
    state: str
    filed_on: dt.date | None = None
    deadline: dt.date | None = None

    @property
    def label(self) -> str:
        """Chinese text of the cell (the date when filed)."""
        if self.state == FILED and self.filed_on:
            return f"已报送（{self.filed_on.isoformat()}）"
        return REPORT_STATE_NAMES[self.state]


@dataclass
class CertificateRow:
    """One certificate to maintain, as the page and the export show it."""

    designation_id: int
    company_id: int
    company_name: str
    uscc: str
    district: str
    reference: str | None
    valid_until: dt.date
    track_id: int | None
    track_status: str | None
    renewed_until: dt.date | None  # a newer HNTE certificate's end, when one exists already
    officers: list[str] = field(default_factory=list)
    precheck: EligibilityResult | None = None
    reports: list[ReportCell] = field(default_factory=list)
    flagged: bool = False

    @property
    def expiry_year(self) -> int:
        """The year the certificate ends: its re-application's year."""
        return self.valid_until.year

    @property
    def track_label(self) -> str:
        """The re-application's status in Chinese, or that it is missing."""
        if self.track_status is None:
            return STATUS_FILTERS[MISSING]
        return STATUS_NAMES.get(self.track_status, self.track_status)

    @property
    def precheck_label(self) -> str:
        """符合 / 不符合 / 数据不足 for the HNTE pre-check of the expiry year."""
        if self.precheck is None:
            return "数据不足"
        return {True: "符合", False: "不符合", None: "数据不足"}[self.precheck.eligible]

    @property
    def can_add_track(self) -> bool:
        """No track for the expiry year and no newer certificate: a re-application can be added."""
        return self.track_id is None and self.renewed_until is None


@dataclass
class MaintenancePage(Page[CertificateRow]):
    """A page of the list, the report years shown and how many certificates lack a track."""

    on: dt.date = field(default_factory=clock_today)
    report_years: tuple[int, int] = (0, 0)
    campaign_year: int = 0
    missing: int = 0  # no re-application track and no newer certificate: "全部补建" adds these
    lapsing: int = 0  # in force today, ending this year, no re-application and no newer certificate


def expiry_years(on: dt.date) -> tuple[int, int]:
    """The expiry years the list covers: this year and next."""
    return (on.year, on.year + 1)


def shown_report_years(on: dt.date) -> tuple[int, int]:
    """The two report years shown: last year's campaign and this year's (报表年度 Y−2 and Y−1)."""
    campaign = reminder_rules.annual_report_year(on)
    return (campaign - 1, campaign)


def check_filters(user: User, filters: MaintenanceFilters, on: dt.date) -> None:
    """Refuse what the list cannot show, with the reason (officers use their work list instead)."""
    if not (user.is_admin or user.is_manager):
        raise Forbidden("只有区管理员和市管理员可以查看高企资质维护清单")
    if filters.district is not None and filters.district not in DISTRICT_CODES:
        raise ServiceError("未知的辖区", field="district")
    if filters.expiry_year is not None and filters.expiry_year not in expiry_years(on):
        years = "、".join(str(y) for y in expiry_years(on))
        raise ServiceError(f"到期年度只能是 {years}", field="expiry_year")
    if filters.status is not None and filters.status not in STATUS_FILTERS:
        raise ServiceError("未知的状态筛选", field="status")


def _newer():
    return renewed_until(Designation)  # the one "a newer certificate exists" (reapplication.py)


def _filed(year: int):
    return (select(AnnualReport.id).where(AnnualReport.company_id == Company.id, AnnualReport.year == year)
            .correlate(Company).exists())


def _held_at(day: dt.date):
    held = aliased(Designation)
    return (select(held.id).where(held.company_id == Company.id, held.rung == "hnte", in_force_clause(day, held))
            .correlate(Company).exists())


def _query(user: User, filters: MaintenanceFilters, on: dt.date, *, not_renewed: bool = False):
    """Rows of the list as one SELECT (certificate, company, re-application track, newer certificate),
    and the track alias it joins (outer: None when the re-application is missing)."""
    track = aliased(CultivationTrack)
    first, last = expiry_years(on)
    start, end = dt.date(first, 1, 1), dt.date(last, 12, 31)
    if filters.expiry_year is not None:
        start, end = dt.date(filters.expiry_year, 1, 1), dt.date(filters.expiry_year, 12, 31)
    query = (
        select(
            Designation.id, Designation.company_id, Company.name, Company.uscc, Company.district,
            Designation.reference, Designation.valid_until, track.id.label("track_id"),
            track.status.label("track_status"), _newer().label("renewed_until"),
        )
        .join(Company, Company.id == Designation.company_id)
        .outerjoin(track, and_(
            track.company_id == Designation.company_id, track.target_rung == "hnte",
            track.year == expiry_year(Designation),
        ))
        .where(
            company_scope_clause(user), Designation.rung == "hnte",
            Designation.valid_until >= start, Designation.valid_until <= end,
            or_(Designation.revoked_on.is_(None), Designation.revoked_on > on),
        )
    )
    if user.is_admin and filters.district:
        query = query.where(Company.district == filters.district)
    if filters.status == MISSING:
        query = query.where(track.id.is_(None))
    elif filters.status == UNFILED:
        older, newer = reminder_rules.last_report_years(on)
        query = query.where(*(
            and_(_held_at(reminder_rules.report_deadline(y)), ~_filed(y)) for y in (older, newer)
        ))
    elif filters.status:
        query = query.where(track.status == filters.status)
    if not_renewed:
        query = query.where(_newer().is_(None))
    return query, track


def _report_cells(ids: Sequence[int], on: dt.date) -> dict[int, tuple[list[ReportCell], bool]]:
    """Each company's report cells for the years shown and its two-years-unfiled flag (two queries)."""
    shown = shown_report_years(on)
    due = reminder_rules.last_report_years(on)
    years = sorted(set(shown) | set(due))
    filed: dict[int, dict[int, dt.date]] = {}
    for company_id, year, filed_on in db.session.execute(
        select(AnnualReport.company_id, AnnualReport.year, AnnualReport.filed_on)
        .where(AnnualReport.company_id.in_(ids), AnnualReport.year.in_(years))
    ):
        filed.setdefault(company_id, {})[year] = filed_on
    # Who had to file each report: the company held an HNTE on its deadline (or holds one today,
    # for a deadline still to come).
    deadlines = {y: reminder_rules.report_deadline(y) for y in years}
    held_days = {y: min(deadlines[y], on) for y in years}
    held_rows = db.session.execute(
        select(Company.id, *(_held_at(held_days[y]).label(f"y{y}") for y in years)).where(Company.id.in_(ids))
    ).all()
    result: dict[int, tuple[list[ReportCell], bool]] = {}
    for row in held_rows:
        company_id = row[0]
        required = {y for y, held in zip(years, row[1:], strict=True) if held}
        mine = filed.get(company_id, {})
        cells = []
        for y in shown:
            if y in mine:
                cells.append(ReportCell(y, FILED, mine[y], deadlines[y]))
            elif y not in required:
                cells.append(ReportCell(y, NOT_DUE, None, deadlines[y]))
            else:
                cells.append(ReportCell(y, LATE if deadlines[y] < on else PENDING, None, deadlines[y]))
        result[company_id] = (cells, reminder_rules.two_years_unfiled(due, required=required, filed=mine))
    return result


def _rows(raw: Sequence, on: dt.date) -> list[CertificateRow]:
    """Full rows for raw query rows: officers, reports and the pre-check, a few queries in all."""
    ids = list(dict.fromkeys(r.company_id for r in raw))
    if not ids:
        return []
    officers = officers_by_company(ids)
    reports = _report_cells(ids, on)
    prechecks: dict[tuple[int, int], EligibilityResult] = {}
    for year in sorted({r.valid_until.year for r in raw}):
        year_ids = [r.company_id for r in raw if r.valid_until.year == year]
        for company_id, facts in load_facts(year_ids, year, on=on, target_rung="hnte").items():
            prechecks[(company_id, year)] = eligibility.check("hnte", facts, year, as_of=on)
    rows = []
    for r in raw:
        cells, flagged = reports.get(r.company_id, ([], False))
        rows.append(CertificateRow(
            designation_id=r.id, company_id=r.company_id, company_name=r.name, uscc=r.uscc, district=r.district,
            reference=r.reference, valid_until=r.valid_until, track_id=r.track_id, track_status=r.track_status,
            renewed_until=r.renewed_until, officers=officers.get(r.company_id, []),
            precheck=prechecks.get((r.company_id, r.valid_until.year)), reports=cells, flagged=flagged,
        ))
    return rows


def certificate_page(
    user: User, filters: MaintenanceFilters, page: int, per_page: int, *, on: dt.date | None = None
) -> MaintenancePage:
    """One page of the maintenance list, earliest expiry first."""
    on = on or clock_today()
    check_filters(user, filters, on)
    query, track = _query(user, filters, on)
    total = db.session.scalar(query.with_only_columns(func.count()))
    # Certificates a track can still be added for: no track for the expiry year, no newer certificate.
    missing = db.session.scalar(query.with_only_columns(func.count()).where(track.id.is_(None), _newer().is_(None)))
    # In force today, ending by 31 Dec, with neither a re-application nor a newer certificate: what
    # lapses by the year end (the year-end projection counts the same certificates).
    lapsing = db.session.scalar(query.with_only_columns(func.count()).where(
        Designation.valid_until >= on, Designation.valid_until <= dt.date(on.year, 12, 31),
        ~reapplication_clause(Designation), _newer().is_(None),
    ))
    page = min(max(1, page), page_count(total, per_page))
    raw = db.session.execute(
        query.order_by(Designation.valid_until, Designation.company_id, Designation.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return MaintenancePage(
        rows=_rows(raw, on), total=total, page=page, per_page=per_page, on=on,
        report_years=shown_report_years(on), campaign_year=reminder_rules.annual_report_year(on), missing=missing,
        lapsing=lapsing,
    )


def iter_rows(user: User, filters: MaintenanceFilters, *, on: dt.date | None = None) -> Iterator[CertificateRow]:
    """Every row of the list (for the export), in chunks by keyset so memory stays bounded."""
    on = on or clock_today()
    check_filters(user, filters, on)
    query = _query(user, filters, on)[0].order_by(Designation.id)
    last_id = 0
    while True:
        raw = db.session.execute(query.where(Designation.id > last_id).limit(EXPORT_CHUNK)).all()
        if not raw:
            return
        last_id = raw[-1].id
        yield from _rows(raw, on)


EXPORT_HEADERS_BASE = (
    "企业名称", "统一社会信用代码", "所属辖区", "证书编号", "有效期至", "到期年度", "重新认定培育状态",
    "今日预判", "服务专员",
)


def export_table(user: User, filters: MaintenanceFilters, *, on: dt.date | None = None) -> tuple[list[str], Iterator[list]]:
    """Headers and rows of the xlsx export (the same columns as the page, in Chinese)."""
    on = on or clock_today()
    check_filters(user, filters, on)
    years = shown_report_years(on)
    headers = [*EXPORT_HEADERS_BASE, *(f"{y}年度年报" for y in years), "提示"]

    def rows() -> Iterator[list]:
        for r in iter_rows(user, filters, on=on):
            track = r.track_label if r.renewed_until is None else f"已换发新证（有效期至 {r.renewed_until.isoformat()}）"
            yield [
                r.company_name, r.uscc, DISTRICT_NAMES.get(r.district, r.district), r.reference or "",
                r.valid_until, r.expiry_year, track, r.precheck_label, "、".join(r.officers),
                *(c.label for c in r.reports), FLAG_TEXT if r.flagged else "",
            ]

    return headers, rows()


@dataclass
class AddTracksResult:
    """What adding the missing re-application tracks did, per expiry year."""

    created: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (company name, reason)


@use_case
def add_missing_tracks(
    user: User, filters: MaintenanceFilters, designation_ids: Sequence[int] | None = None, *,
    on: dt.date | None = None,
) -> AddTracksResult:
    """Create the re-application tracks (储备, year = expiry year) the list lacks, in one transaction.

    With `designation_ids`, only those certificates (of the list the filters give); without, every
    certificate of the list that has no track. The cultivation service decides: it refuses what
    the rules refuse, and its reasons come back per company.
    """
    on = on or clock_today()
    check_filters(user, filters, on)
    query, _track = _query(user, MaintenanceFilters(filters.district, filters.expiry_year, MISSING), on,
                           not_renewed=True)
    if designation_ids is not None:
        wanted = [int(i) for i in designation_ids]
        if not wanted:
            raise ServiceError("请先勾选要补建重新认定培育记录的证书")
        query = query.where(Designation.id.in_(wanted))
    raw = db.session.execute(query).all()
    names = {r.company_id: r.name for r in raw}
    by_year: dict[int, list[int]] = {}
    for r in raw:
        by_year.setdefault(r.valid_until.year, []).append(r.company_id)
    result = AddTracksResult()
    for year, company_ids in sorted(by_year.items()):
        added = tracks.add_companies(user, company_ids, "hnte", year, note=f"{year}年到期证书重新认定")
        result.created += len(added.created)
        result.skipped += [(names.get(cid, str(cid)), reason) for cid, reason in added.skipped]
    return result
