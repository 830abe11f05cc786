"""Stored eligibility results equal a fresh computation after every kind of change.

`ranking.rank` (the rules over every company in scope) is the reference; `ranking.ranked` and
`candidate_page` read the stored rows (tracker.services.candidates.results). After each change,
made through the service a user would use, both must list the same companies in the same order
with the same counts, for every rung, evaluation year, list width, scope and evaluation day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.services.imports.import_helpers import csv_file
from tracker.clock import today
from tracker.extensions import db
from tracker.models import CandidateResult, CandidateResultSet, Designation
from tracker.rules import eligibility_thresholds
from tracker.rules.eligibility_thresholds import Bar
from tracker.rules import figures as figure_rules
from tracker.rules import ladder
from tracker.rules.figures import FIELDS
from tracker.services.candidates import ranking, results
from tracker.services.candidates.ranking import CandidateFilters
from tracker.services.companies import figures as figure_service
from tracker.services.companies.records import restore_company, soft_delete_company, update_company
from tracker.services.designations.grants import grant_designation, revoke_designation
from tracker.services.imports.importer import run_import
from workers import tasks

ON = dt.date(2026, 11, 24)
YEARS = (2026, 2027)
FIGURE_HEADER = ["统一社会信用代码", "年度", "职工总数", "科技人员数", "营业收入(万元)", "研发费用(万元)",
                 "境内研发费用", "成本费用总额", "资产总额", "高新技术产品收入", "I类知识产权数", "II类知识产权数",
                 "估值(万元)", "融资额(万元)", "是否上市", "创新能力评价得分"]
IMPORT_FIELDS = ("staff_count", "st_staff_count", "revenue", "rd_expense", "rd_expense_domestic", "total_cost",
                 "total_assets", "hightech_revenue", "ip_class1_count", "ip_class2_count", "valuation",
                 "financing_amount", "is_listed", "innovation_score")
# A small company close to every rung's bar, so that small changes move it in and out of the lists.
NEAR = dict(
    staff_count=100, st_staff_count=20, revenue=Decimal(5000), rd_expense=Decimal(300),
    rd_expense_domestic=Decimal(250), total_cost=Decimal(4000), total_assets=Decimal(5000),
    hightech_revenue=Decimal(4000), ip_class1_count=1, ip_class2_count=2, is_listed=False,
    innovation_score=Decimal(80), key_field=True, major_incident=False,
)


def _random_values(rng):
    """Random figures the form accepts (relations such as high-tech revenue ≤ revenue hold)."""
    for _attempt in range(50):
        values = _draw(rng)
        if not figure_rules.check_figures(_form(values), 2025, None, ON).errors:
            return values
    return dict(NEAR)


def _draw(rng):
    values = {}
    for name, (_label, _unit, kind) in FIELDS.items():
        base = NEAR.get(name)
        if rng.random() < 0.15:
            values[name] = None
        elif kind == "flag":
            values[name] = rng.random() < (0.8 if base else 0.2)
        elif kind == "count":
            values[name] = max(0, int((base or 3) * rng.choice([0, 0.5, 1, 1, 1.5, 6])))
        else:
            values[name] = Decimal(int(float(base or 1000) * rng.choice([0, 0.5, 1, 1, 1.3, 2, 300])))
    if values["st_staff_count"] is not None and values["staff_count"] is not None:
        values["st_staff_count"] = min(values["st_staff_count"], values["staff_count"])
    return values


def _form(values):
    """Figures as the edit form posts them (strings; flags as "1"/"0"; blank for none)."""
    out = {}
    for name, value in values.items():
        if isinstance(value, bool):
            out[name] = "1" if value else "0"
        else:
            out[name] = "" if value is None else str(value)
    return out


@pytest.fixture
def city(app, factory):
    """About forty companies in two districts with random figures and designations."""
    rng = random.Random(13)
    admin = factory.user("admin")
    managers = [factory.user("manager", "wujin"), factory.user("manager", "liyang")]
    companies = []
    for n in range(40):
        founded = None if n % 11 == 0 else dt.date(rng.randint(2008, 2023), rng.randint(1, 12), 1)
        company = factory.company("wujin" if n % 3 else "liyang", founded_on=founded,
                                  industry=rng.choice(["新材料", "智能制造", None]))
        companies.append(company)
        for year in range(max(2021, founded.year if founded else 2021), 2027):
            if rng.random() < 0.2:
                continue
            values = NEAR if n % 4 == 0 else _random_values(rng)
            figure_service.save_year(admin, company, year, _form(values), version=0)
        if n % 5 == 1:
            factory.designation(company, "hnte", dt.date(2023, rng.choice([10, 12]), rng.choice([1, 15])))
        if n % 7 == 2:
            factory.designation(company, rng.choice(["tech_sme", "gazelle"]), dt.date(2025, 5, 10))
    return {"admin": admin, "managers": managers, "companies": companies, "rng": rng}


def assert_stored_equals_fresh(city, on=ON, years=YEARS):
    users = [city["admin"], *city["managers"]]
    listed = 0
    for user in users:
        for rung in ranking.TARGET_RUNGS:
            for year in years:
                for max_missing in ranking.MAX_MISSING_CHOICES:
                    filters = CandidateFilters(rung, year, max_missing=max_missing)
                    fresh = ranking.rank(user, filters, on=on)
                    assert ranking.ranked(user, filters, on=on) == fresh, (user.role, rung, year, max_missing, on)
                    listed += len(fresh)
    # The counts and the first page, as the page shows them, for the widest list of each rung.
    for rung in ranking.TARGET_RUNGS:
        filters = CandidateFilters(rung, YEARS[0])
        fresh = ranking.rank(city["admin"], filters, on=on)
        page = ranking.candidate_page(city["admin"], filters, 1, 7, on=on)
        assert page.total == len(fresh)
        assert page.eligible == sum(1 for k in fresh if k.failed == 0 and k.unknown == 0)
        assert page.recertifications == sum(1 for k in fresh if k.holds_until is not None)
        assert [r.company.id for r in page.rows] == [k.company_id for k in fresh[:7]]
    return listed


def test_stored_results_equal_a_fresh_computation_after_every_kind_of_change(app, factory, city):
    admin, rng, companies = city["admin"], city["rng"], city["companies"]
    assert assert_stored_equals_fresh(city) > 0  # the city lists candidates: the comparison bites
    assert db.session.scalar(select(func.count()).select_from(CandidateResultSet)) == len(ranking.TARGET_RUNGS) * 2

    # Figures edits through the form's service, including the HNTE conditions recorded with them.
    for company in rng.sample(companies, 6):
        row = figure_service.get_year(company.id, 2025)
        values = {**NEAR, "staff_count": rng.choice([90, 600]), "key_field": rng.choice([True, False, None])}
        figure_service.save_year(admin, company, 2025, _form(values), version=row.version if row else 0)
    assert_stored_equals_fresh(city)
    hnte_condition = companies[4]
    row = figure_service.get_year(hnte_condition.id, 2025)
    figure_service.save_year(admin, hnte_condition, 2025, _form({**NEAR, "major_incident": True}),
                             version=row.version if row else 0)
    assert_stored_equals_fresh(city)

    # A figures import (new and updated rows).
    rows = []
    for company in rng.sample(companies, 10):
        # Every cell filled: an empty one keeps the stored value, which could break a relation.
        revenue = rng.choice([3000, 5000, 30000])
        values = {**NEAR, "staff_count": rng.choice([80, 100, 600]), "revenue": revenue,
                  "hightech_revenue": revenue * rng.choice([0.3, 0.8]), "rd_expense": revenue * rng.choice([0.02, 0.06]),
                  "rd_expense_domestic": revenue * 0.02, "valuation": rng.choice([0, 900000]), "financing_amount": 100}
        rows.append([company.uscc, rng.choice([2025, 2026]), *(
            ("是" if values.get(f) else "否") if isinstance(values.get(f), bool) else ("" if values.get(f) is None else values[f])
            for f in IMPORT_FIELDS)])
    report = run_import("figures", csv_file(FIGURE_HEADER, rows), "figures.csv", dry_run=False)
    assert not report.errors and (report.new or report.updated)
    assert_stored_equals_fresh(city)

    # Company edits: a founding date (read by the rules), a district (filtered at read time).
    for company, changes in ((companies[8], {"founded_on": dt.date(2024, 6, 1)}),
                             (companies[12], {"founded_on": dt.date(2009, 1, 1)}),
                             (companies[16], {"district": "liyang"})):
        update_company(admin, company, changes, version=company.version)
    assert_stored_equals_fresh(city)

    # Designations: a grant (HNTE: tech SME's direct confirmation, and the HNTE list), a revocation.
    granted = grant_designation(admin, companies[20], "hnte", granted_on=dt.date(2026, 10, 1))
    assert_stored_equals_fresh(city)
    held = db.session.scalar(select(Designation).where(
        Designation.rung == "hnte", Designation.revoked_on.is_(None), Designation.id != granted.id))
    revoke_designation(admin, held, revoked_on=dt.date(2026, 9, 1), reason="复核不合格")
    assert_stored_equals_fresh(city)
    # Certificates lapse by date alone: judged on a later day, with no write in between.
    assert_stored_equals_fresh(city, on=dt.date(2026, 12, 20))

    # Deletion and restoration.
    soft_delete_company(admin, companies[0])
    soft_delete_company(admin, companies[4])
    assert_stored_equals_fresh(city)
    restore_company(admin, companies[0])
    assert_stored_equals_fresh(city)


def _stricter_2027():
    base = eligibility_thresholds.BASE
    staff_cap = Bar(Decimal("99"), "<=", "测试：职工总数不超过99人")
    return (base, dataclasses.replace(
        base, year=2027, tech_sme=dataclasses.replace(base.tech_sme, staff_cap=staff_cap),
        hnte=dataclasses.replace(base.hnte, rd_window_years=base.hnte.rd_window_years),
    ))


def test_a_threshold_change_recomputes_the_year_it_applies_to(app, factory, city, monkeypatch):
    assert_stored_equals_fresh(city)
    before = ranking.ranked(city["admin"], CandidateFilters("tech_sme", 2027), on=ON)
    monkeypatch.setattr(eligibility_thresholds, "THRESHOLD_SETS", _stricter_2027())
    assert not results.set_state("tech_sme", 2027)[1]  # the 2027 fingerprint changed
    assert results.set_state("tech_sme", 2026)[1]  # 2026 keeps its thresholds
    assert_stored_equals_fresh(city)  # small city: recomputed on the spot
    assert ranking.ranked(city["admin"], CandidateFilters("tech_sme", 2027), on=ON) != before


def test_a_large_recompute_runs_in_the_background_with_progress(app, factory, city, client, auth, monkeypatch):
    assert_stored_equals_fresh(city)
    queued = []
    monkeypatch.setattr(results, "_dispatch", lambda rung, year: queued.append((rung, year)) or True)
    app.config["CANDIDATE_RESULTS_INLINE_LIMIT"] = 0  # every set counts as a big city's
    monkeypatch.setattr(eligibility_thresholds, "THRESHOLD_SETS", _stricter_2027())
    filters = CandidateFilters("tech_sme", 2027)
    page = ranking.candidate_page(city["admin"], filters, 1, 10, on=ON)
    assert page.pending is not None and page.rows == [] and queued == [("tech_sme", 2027)]
    assert page.pending.total > 0 and page.pending.done == 0
    with pytest.raises(ranking.ResultsPending, match="正在重新计算：0 / "):
        ranking.ranked(city["admin"], filters, on=ON)
    # A second load while it runs queues nothing more, and the page shows the progress.
    manager = factory.user("manager", "wujin", email="progress@example.com")
    auth.login(manager)
    body = client.get("/candidates/?target=tech_sme&year=2027").get_data(as_text=True)
    assert "正在重新计算：0 / " in body and queued == [("tech_sme", 2027)]
    export = client.get("/candidates/export?target=tech_sme&year=2027")
    assert export.status_code == 302 and "/candidates/" in export.headers["Location"]
    # The worker's job, in batches.
    monkeypatch.setattr(results, "BATCH_SIZE", 7)
    evaluated = results.compute_set("tech_sme", 2027)
    found, ready = results.set_state("tech_sme", 2027)
    assert ready and found.done == found.total == evaluated > 7
    # The 2027 thresholds changed for every rung: the other 2027 sets are queued on first read too.
    for rung in ranking.TARGET_RUNGS:
        if rung != "tech_sme":
            assert not results.ensure_ready(rung, 2027).ready and (rung, 2027) in queued
            results.compute_set(rung, 2027)
    assert_stored_equals_fresh(city)
    body = client.get("/candidates/?target=tech_sme&year=2027").get_data(as_text=True)
    assert 'data-testid="candidate-progress"' not in body and 'data-testid="candidate-summary"' in body


def test_a_stalled_computation_is_queued_again(app, factory, city, monkeypatch):
    queued = []
    monkeypatch.setattr(results, "_dispatch", lambda rung, year: queued.append((rung, year)) or True)
    app.config["CANDIDATE_RESULTS_INLINE_LIMIT"] = 0
    assert not results.ensure_ready("hnte", 2026).ready and len(queued) == 1
    assert not results.ensure_ready("hnte", 2026).ready and len(queued) == 1
    found, _ready = results.set_state("hnte", 2026)
    # The worker died: no progress for longer than STALLED_AFTER (set through SQL: onupdate would restamp).
    db.session.execute(
        CandidateResultSet.__table__.update()
        .where(CandidateResultSet.id == found.id)
        .values(updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    )
    db.session.commit()
    assert not results.ensure_ready("hnte", 2026).ready and len(queued) == 2


def test_only_rows_within_the_widest_list_are_kept(app, factory, city):
    assert_stored_equals_fresh(city)
    assert max(ranking.MAX_MISSING_CHOICES) == results.KEPT_MISSING
    assert db.session.scalar(select(func.max(CandidateResult.missing_count))) <= results.KEPT_MISSING
    # Only tech SME reads the HNTE flag, so only it keeps a row per value.
    flags = dict(db.session.execute(
        select(CandidateResult.target_rung, func.count(func.distinct(CandidateResult.holds_valid_hnte)))
        .group_by(CandidateResult.target_rung)
    ).all())
    assert flags.get("tech_sme") == 2 and all(v == 1 for k, v in flags.items() if k != "tech_sme")


def test_the_nightly_task_prepares_this_and_next_year_and_queues_a_big_city(app, factory, city, monkeypatch):
    db.session.execute(CandidateResult.__table__.delete())
    db.session.execute(CandidateResultSet.__table__.delete())
    db.session.commit()
    years = (today().year, today().year + 1)
    assert tasks.prepare_candidate_results() == 0  # a small city: computed in the task itself
    assert all(results.set_state(rung, year)[1] for year in years for rung in ladder.RUNG_CODES)
    assert tasks.prepare_candidate_results() == 0  # ready sets are left alone

    queued = []
    monkeypatch.setattr(results, "_dispatch", lambda rung, year: queued.append((rung, year)) or True)
    app.config["CANDIDATE_RESULTS_INLINE_LIMIT"] = 0  # a big city: one background job per set
    db.session.execute(CandidateResultSet.__table__.delete().where(CandidateResultSet.year == years[1]))
    db.session.commit()
    assert tasks.prepare_candidate_results() == len(ladder.RUNG_CODES)
    assert sorted(queued) == sorted((rung, years[1]) for rung in ladder.RUNG_CODES)
