"""The current-stage table (company_stage) is derived data: it must equal the designation history.

For random histories, random days and every kind of designation change (grant, revoke, import,
recognition through a cultivation track), the table compared with rules.ladder.stage_as_of; and the
readers (list, stage filter, counts) give the same answer from the table and from the designations.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.services.imports.import_helpers import DESIGNATION_HEADER, csv_file
from tracker.extensions import db
from tracker.models import CompanyStage, CultivationTrack, Designation
from tracker.rules import ladder
from tracker.services import stages
from tracker.services.companies.queries import CompanyFilters, count_companies, filtered_query, list_companies
from tracker.services.cultivation import tracks
from tracker.services.designations import grants
from tracker.services.imports.importer import run_import

D = dt.date
FIRST, LAST = D(2019, 1, 1), D(2027, 12, 31)
days = st.dates(min_value=FIRST, max_value=LAST)
designation_specs = st.fixed_dictionaries({
    "rung": st.sampled_from(ladder.RUNG_CODES),
    "granted_on": days,
    "start_shift": st.integers(min_value=-200, max_value=200),  # valid_from before or after the grant
    "until_days": st.one_of(st.none(), st.integers(min_value=0, max_value=1500)),  # None: the rung's default
    "revoke_after": st.one_of(st.none(), st.integers(min_value=0, max_value=1200)),
})
histories = st.lists(st.lists(designation_specs, max_size=4), min_size=1, max_size=4)


def table_ranks() -> dict[int, int]:
    return dict(db.session.execute(select(CompanyStage.company_id, CompanyStage.stage_rank)).all())


def assert_table_matches(company_ids, day: dt.date) -> None:
    """Every company's row (none = prospect) equals the stage the rules give for the table's day."""
    assert stages.stage_table_day() == day
    stored = table_ranks()
    for company_id in company_ids:
        history = db.session.scalars(select(Designation).where(Designation.company_id == company_id)).all()
        expected = ladder.STAGE_RANK[ladder.stage_as_of(history, day)]
        assert stored.get(company_id, 0) == expected, (company_id, day, history)
    assert 0 not in stored.values()  # prospects have no row


def grant(actor, company, spec):
    valid_from = spec["granted_on"] + dt.timedelta(days=spec["start_shift"])
    until = valid_from + dt.timedelta(days=spec["until_days"]) if spec["until_days"] is not None else None
    designation = grants.grant_designation(actor, company, spec["rung"], granted_on=spec["granted_on"],
                                           valid_from=valid_from, valid_until=until)
    if spec["revoke_after"] is not None:
        grants.revoke_designation(actor, designation, revoked_on=valid_from + dt.timedelta(days=spec["revoke_after"]),
                                  reason="核查不符合条件")
    return designation


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(before=histories, after=histories, day=days, other_day=days)
def test_table_equals_designation_history_after_rebuild_and_every_grant_and_revocation(
        app, factory, before, after, day, other_day):
    admin = factory.user("admin")
    companies = [factory.company() for _ in range(max(len(before), len(after)))]
    ids = [c.id for c in companies]
    for company, specs in zip(companies, before):
        for spec in specs:
            grant(admin, company, spec)
    stages.rebuild_company_stages(day)
    assert_table_matches(ids, day)
    for company, specs in zip(companies, after):  # every later change keeps the table in step
        for spec in specs:
            grant(admin, company, spec)
            assert_table_matches(ids, day)
    assert stages.stage_table_holds(day)
    assert stages.stage_table_holds(other_day) == (other_day == day)
    stages.rebuild_company_stages(other_day)  # the nightly move to another day
    assert_table_matches(ids, other_day)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories, day=days)
def test_lists_and_counts_agree_from_the_table_and_from_the_designations(app, factory, history, day):
    admin = factory.user("admin")
    companies = [factory.company() for _ in range(len(history) + 1)]  # one prospect at least
    for company, specs in zip(companies, history):
        for spec in specs:
            grant(admin, company, spec)
    stages.rebuild_company_stages(day)
    for stage in (None, *ladder.STAGE_RANK):
        for sort in ("name", "stage"):
            filters = CompanyFilters(stage=stage, sort=sort)
            from_table = db.session.execute(filtered_query(admin, filters, day, use_table=True)).all()
            from_history = db.session.execute(filtered_query(admin, filters, day, use_table=False)).all()
            assert [(c.id, r) for c, r in from_table] == [(c.id, r) for c, r in from_history], (stage, sort)
    assert stages.stage_rank_counts(True, day, use_table=True) == stages.stage_rank_counts(True, day, use_table=False)


def test_readers_use_the_table_only_for_its_day(app, factory):
    """A table on another day is ignored: a past as-of date and a stale table stay correct."""
    admin = factory.user("admin")
    company = factory.company()
    factory.designation(company, "hnte", D(2023, 1, 10))  # in force 2023-01-10 … 2026-01-09
    stages.rebuild_company_stages(D(2025, 6, 1))
    # Corrupt the stored row on purpose: only a reader of the table's own day may see it.
    db.session.execute(CompanyStage.__table__.update().values(stage_rank=5))
    assert list_companies(admin, CompanyFilters(), D(2025, 6, 1), 1, 20).rows[0].stage == "unicorn"
    assert list_companies(admin, CompanyFilters(), D(2025, 6, 2), 1, 20).rows[0].stage == "hnte"
    assert list_companies(admin, CompanyFilters(), D(2026, 1, 10), 1, 20).rows[0].stage == "prospect"
    assert count_companies(admin, CompanyFilters(stage="hnte"), D(2025, 6, 2)) == 1
    db.session.rollback()


def test_no_table_before_the_first_rebuild(app, factory):
    admin = factory.user("admin")
    company = factory.company()
    factory.designation(company, "gazelle", D(2024, 3, 1))  # refresh with no table day: nothing stored
    assert stages.stage_table_day() is None and table_ranks() == {}
    assert list_companies(admin, CompanyFilters(stage="gazelle"), D(2025, 1, 1), 1, 20).total == 1


def test_import_keeps_the_table_in_step(app, factory):
    company = factory.company()
    other = factory.company()
    day = D(2025, 6, 1)
    stages.rebuild_company_stages(day)
    rows = [
        [company.uscc, "", "高新技术企业", "GR1", "2024-11-06", "", "", ""],
        [other.uscc, "", "瞪羚企业", "", "2026-01-01", "", "", ""],  # not yet in force on the day
        [other.uscc, "", "科技型中小企业", "", "2025-04-01", "", "", ""],
    ]
    report = run_import("designations", csv_file(DESIGNATION_HEADER, rows), "d.csv", dry_run=False)
    assert report.new == 3 and not report.errors
    assert table_ranks() == {company.id: 2, other.id: 1}
    assert_table_matches([company.id, other.id], day)
    # An update through the import (a later start) moves the company off the ladder on the day.
    rows = [[company.uscc, "", "高新技术企业", "GR1", "2024-11-06", "2024-11-06", "2025-05-31", ""]]
    report = run_import("designations", csv_file(DESIGNATION_HEADER, rows), "d2.csv", dry_run=False)
    assert report.updated == 1
    assert company.id not in table_ranks()
    assert_table_matches([company.id, other.id], day)


def test_recognition_through_a_track_keeps_the_table_in_step(app, factory):
    admin = factory.user("admin")
    company = factory.company()
    day = D(2026, 12, 15)
    stages.rebuild_company_stages(day)
    tracks.add_companies(admin, [company.id], "hnte", 2026)
    track = db.session.scalar(select(CultivationTrack).where(CultivationTrack.company_id == company.id))
    for status in ("key", "submitted"):
        tracks.move_track(admin, track, status)
    tracks.move_track(admin, track, "recognized", recognition=tracks.RecognitionData(granted_on=D(2026, 12, 1), reference="GR9"))
    assert table_ranks() == {company.id: 2}
    assert_table_matches([company.id], day)


def test_cli_and_nightly_task_rebuild_for_today(app, factory, runner):
    from tracker.clock import today
    from workers import tasks

    company = factory.company()
    factory.designation(company, "tech_sme", today())
    result = runner.invoke(args=["stages", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "梯次上企业 1 家" in result.output
    assert stages.stage_table_day() == today() and table_ranks() == {company.id: 1}
    result = runner.invoke(args=["stages", "rebuild", "--day", "2019-01-01"])
    assert result.exit_code == 0 and stages.stage_table_day() == D(2019, 1, 1) and table_ranks() == {}
    assert tasks.rebuild_stages() == 1
    assert stages.stage_table_day() == today()
