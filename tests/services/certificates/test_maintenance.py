"""The HNTE maintenance list (高企资质维护): rows, scope, filters, pre-check, reports, adding tracks."""

from __future__ import annotations

import datetime as dt
from datetime import date as D
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from tracker.extensions import db
from tracker.models import AnnualReport, CompanyYearFigures, CultivationTrack
from tracker.services.certificates import maintenance
from tracker.services.certificates.maintenance import MaintenanceFilters as F
from tracker.services.designations.grants import revoke_designation
from tracker.services.errors import Forbidden, ServiceError

ON = D(2026, 12, 1)

READY = dict(
    staff_count=100, st_staff_count=20, revenue=Decimal(5000), rd_expense=Decimal(300),
    rd_expense_domestic=Decimal(250), total_cost=Decimal(4000), total_assets=Decimal(5000),
    hightech_revenue=Decimal(4000), ip_class1_count=1, ip_class2_count=2, is_listed=False,
    innovation_score=Decimal(80),
)


def _company(factory, name, district="wujin", officer=None, issued=D(2023, 9, 1)):
    company = factory.company(district, officer=officer, name=name, founded_on=D(2015, 1, 1))
    cert = factory.designation(company, "hnte", issued, reference=f"GR{company.id:06d}")
    return company, cert


@pytest.fixture
def city(factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin", name="武进专员")
    this_year, c1 = _company(factory, "今年到期", officer=officer)  # ends 2026-08-31
    next_year, c2 = _company(factory, "明年到期", issued=D(2024, 3, 1))  # ends 2027-02-28
    _company(factory, "后年到期", issued=D(2025, 3, 1))  # ends 2028: not listed
    other, _ = _company(factory, "新北企业", district="xinbei")
    for y in (2023, 2024, 2025):
        db.session.add(CompanyYearFigures(company_id=this_year.id, year=y, **READY))
    db.session.commit()
    return dict(manager=manager, officer=officer, this_year=this_year, next_year=next_year, other=other, c1=c1, c2=c2)


def _names(page):
    return [r.company_name for r in page.rows]


def test_the_list_is_scoped_and_ordered_by_expiry(app, factory, city):
    page = maintenance.certificate_page(city["manager"], F(), 1, 20, on=ON)
    assert _names(page) == ["今年到期", "明年到期"]
    assert page.total == 2 and page.missing == 2
    assert maintenance.certificate_page(city["manager"], F(), 1, 20, on=D(2026, 6, 1)).lapsing == 1
    row = page.rows[0]
    assert row.reference == city["c1"].reference and row.valid_until == D(2026, 8, 31)
    assert row.officers == ["武进专员"] and row.track_label == "未建重新认定培育记录"
    admin = factory.user("admin")
    assert _names(maintenance.certificate_page(admin, F(), 1, 20, on=ON)) == ["今年到期", "新北企业", "明年到期"]
    assert _names(maintenance.certificate_page(admin, F(district="xinbei"), 1, 20, on=ON)) == ["新北企业"]
    # A manager's district filter cannot widen their scope.
    assert _names(maintenance.certificate_page(city["manager"], F(district="xinbei"), 1, 20, on=ON)) == ["今年到期", "明年到期"]


def test_denials_and_bad_filters(app, factory, city):
    with pytest.raises(Forbidden):
        maintenance.certificate_page(city["officer"], F(), 1, 20, on=ON)
    with pytest.raises(ServiceError, match="到期年度"):
        maintenance.certificate_page(city["manager"], F(expiry_year=2030), 1, 20, on=ON)
    with pytest.raises(ServiceError, match="状态"):
        maintenance.certificate_page(city["manager"], F(status="nope"), 1, 20, on=ON)
    with pytest.raises(Forbidden):
        maintenance.add_missing_tracks(city["officer"], F(), on=ON)


def test_filters_by_expiry_year_and_status(app, city):
    m = city["manager"]
    assert _names(maintenance.certificate_page(m, F(expiry_year=2027), 1, 20, on=ON)) == ["明年到期"]
    db.session.add(CultivationTrack(company_id=city["this_year"].id, target_rung="hnte", year=2026, status="submitted"))
    db.session.add(CultivationTrack(company_id=city["next_year"].id, target_rung="hnte", year=2026, status="key"))
    db.session.commit()
    page = maintenance.certificate_page(m, F(), 1, 20, on=ON)
    assert [(r.company_name, r.track_label) for r in page.rows] == [
        ("今年到期", "已申报"), ("明年到期", "未建重新认定培育记录"),  # a 2026 track is not the 2027 re-application
    ]
    assert page.missing == 1
    assert page.lapsing == 0  # 今年到期 expired on 2026-08-31 already; 明年到期 ends in 2027
    assert _names(maintenance.certificate_page(m, F(status="missing"), 1, 20, on=ON)) == ["明年到期"]
    assert _names(maintenance.certificate_page(m, F(status="submitted"), 1, 20, on=ON)) == ["今年到期"]


def test_precheck_of_the_expiry_year(app, city):
    page = maintenance.certificate_page(city["manager"], F(), 1, 20, on=ON)
    labels = {r.company_name: r.precheck_label for r in page.rows}
    assert labels["明年到期"] == "数据不足"
    assert labels["今年到期"] in ("符合", "数据不足")  # 数据不足 only for declarations not yet recorded
    assert page.rows[0].precheck.year == 2026


def test_annual_reports_and_the_two_year_flag(app, city):
    db.session.add(AnnualReport(company_id=city["next_year"].id, year=2025, filed_on=D(2026, 5, 10), source="manual"))
    db.session.commit()
    page = maintenance.certificate_page(city["manager"], F(), 1, 20, on=ON)
    assert page.report_years == (2024, 2025)
    rows = {r.company_name: r for r in page.rows}
    # 今年到期 held its certificate (from 2023-09-01) on both deadlines and filed neither.
    assert [c.state for c in rows["今年到期"].reports] == ["late", "late"] and rows["今年到期"].flagged
    # 明年到期 (from 2024-03-01) had to file 2024's report and 2025's, and filed 2025's.
    assert [c.label for c in rows["明年到期"].reports] == ["未报送", "已报送（2026-05-10）"]
    assert not rows["明年到期"].flagged
    assert _names(maintenance.certificate_page(city["manager"], F(status="unfiled"), 1, 20, on=ON)) == ["今年到期"]


def test_add_missing_tracks_in_one_click_and_a_refusal_with_its_reason(app, factory, city):
    m = city["manager"]
    result = maintenance.add_missing_tracks(m, F(), on=ON)
    assert result.created == 2 and result.skipped == []
    tracks = db.session.execute(select(CultivationTrack.company_id, CultivationTrack.year, CultivationTrack.status)).all()
    assert sorted(tracks) == sorted([(city["this_year"].id, 2026, "pool"), (city["next_year"].id, 2027, "pool")])
    again = maintenance.add_missing_tracks(m, F(), on=ON)
    assert again.created == 0
    assert maintenance.certificate_page(m, F(), 1, 20, on=ON).missing == 0


def test_add_ticked_only_and_nothing_ticked(app, city):
    m = city["manager"]
    with pytest.raises(ServiceError, match="勾选"):
        maintenance.add_missing_tracks(m, F(), [], on=ON)
    result = maintenance.add_missing_tracks(m, F(), [city["c2"].id], on=ON)
    assert result.created == 1
    # A certificate of another district is not in the manager's list: nothing is created for it.
    admin_other = maintenance.add_missing_tracks(m, F(), [city["c1"].id + 999], on=ON)
    assert admin_other.created == 0


def test_revoked_certificates_are_not_listed(app, factory, city):
    admin = factory.user("admin")
    revoke_designation(admin, city["c1"], revoked_on=D(2026, 3, 1), reason="取消资格")
    assert _names(maintenance.certificate_page(city["manager"], F(), 1, 20, on=ON)) == ["明年到期"]


def test_a_page_costs_the_same_few_queries_for_more_rows(app, factory, city):
    def queries_for_page() -> int:
        count = 0

        def bump(*_args):
            nonlocal count
            count += 1

        event.listen(db.engine, "before_cursor_execute", bump)
        try:
            maintenance.certificate_page(city["manager"], F(), 1, 50, on=ON)
        finally:
            event.remove(db.engine, "before_cursor_execute", bump)
        return count

    few = queries_for_page()
    for i in range(8):
        _company(factory, f"批量{i}", issued=D(2023, 10, 1) + dt.timedelta(days=i))
    assert queries_for_page() == few


def test_export_has_the_page_columns(app, city):
    headers, rows = maintenance.export_table(city["manager"], F(), on=ON)
    rows = list(rows)
    assert headers[-3:] == ["2024年度年报", "2025年度年报", "提示"]
    assert rows[0][0] == "今年到期" and rows[0][2] == "武进区" and rows[0][-1] == "连续两年未报送：可能被取消资格"
