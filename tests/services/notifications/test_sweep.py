"""The reminder sweep: idempotent outbox rows, recipients, catch-up, the CLI."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.services.notifications.conftest import TODAY, count, rows, visit
from tests.workers.concurrency import run_in_threads
from tracker.clock import TZ
from tracker.extensions import db
from tracker.models import CultivationTrack, FollowUp
from tracker.models.notification import ReminderRun
from tracker.rules import reminders as rules
from tracker.services.accounts.users import set_active
from tracker.services.companies.records import soft_delete_company
from tracker.services.notifications import mail_folder, mailer, runs, sweep

D = dt.date


def test_sweep_twice_adds_one_row_per_key_and_one_email(app, city, published):
    first = sweep.sweep(TODAY)
    keys = {(n.recipient_id, n.kind, n.subject_key, n.period) for n in rows()}
    assert first.created == len(keys) == 3
    assert sweep.sweep(TODAY).created == 0
    assert count() == first.created
    assert mailer.drain() == {"sent": first.created}
    assert mailer.drain() == {}
    files = mail_folder.list_mail_files()
    assert len(files) == first.created
    assert sweep.sweep(TODAY).created == 0 and mailer.drain() == {}
    assert published and all(set(batch) <= {n.id for n in rows()} for batch in published)


def test_sweep_keys_are_exact(app, city, published):
    sweep.sweep(TODAY)
    got = {(n.recipient_id, n.kind, n.subject_key, n.period, n.urgent) for n in rows()}
    assert got == {
        (city["officer"].id, rules.VISIT_DUE, f"company:{city['due'].id}", "2026-06-03", False),
        (city["officer"].id, rules.VISIT_OVERDUE, f"company:{city['escalated'].id}", "2026-04-14", False),
        (city["manager"].id, rules.VISIT_ESCALATED, f"company:{city['escalated'].id}", "2026-04-14", True),
    }
    link = rows(kind=rules.VISIT_DUE)[0].link
    assert link == f"/companies/{city['due'].id}"


def test_two_concurrent_sweeps_add_each_key_once(app, city, published):
    db.session.commit()
    errors = run_in_threads(app, lambda: sweep.sweep(TODAY), together=True)
    assert not errors
    db.session.expire_all()
    assert count() == 3
    assert mailer.drain() == {"sent": 3}
    assert len(mail_folder.list_mail_files()) == 3


def test_a_logged_visit_stops_the_reminder_and_a_reschedule_makes_a_new_one(app, city, published):
    sweep.sweep(TODAY)
    visit(city["due"], city["officer"], TODAY, planned=TODAY + dt.timedelta(days=10))
    assert sweep.sweep(TODAY).created == 0
    later = TODAY + dt.timedelta(days=10)
    sweep.sweep(later)
    due_rows = rows(kind=rules.VISIT_DUE, subject_key=f"company:{city['due'].id}")
    assert [n.period for n in due_rows] == ["2026-06-03", "2026-06-13"]


def test_soft_deleted_companies_never_remind(app, factory, city, published):
    soft_delete_company(factory.user("admin"), city["escalated"])
    sweep.sweep(TODAY)
    assert {n.company_id for n in rows()} == {city["due"].id}


def test_unassigned_company_and_inactive_officer_fall_back_to_managers(app, factory, published):
    manager = factory.user("manager", "liyang")
    officer = factory.user("officer", "liyang")
    orphan = factory.company("liyang", name="未分配")
    mine = factory.company("liyang", officer=officer, name="专员已停用")
    for company in (orphan, mine):
        visit(company, manager, TODAY - dt.timedelta(days=365))
    set_active(factory.user("admin"), officer, False)
    sweep.sweep(TODAY)
    assert {(n.recipient_id, n.company_id) for n in rows(kind=rules.VISIT_DUE)} == {(manager.id, orphan.id), (manager.id, mine.id)}


def test_run_daily_catches_up_a_missed_digest_and_report_once(app, city, published):
    tuesday_morning = dt.datetime(2026, 6, 2, 7, 30)
    result = sweep.run_daily(D(2026, 6, 1), now_local=dt.datetime(2026, 6, 1, 7, 30))  # Monday 07:30: too early
    assert result.digests is None and result.reports is None
    result = sweep.run_daily(D(2026, 6, 2), now_local=tuesday_morning)  # beat missed Monday 08:00 and the 1st
    assert result.digests == 1 and result.reports == 1
    again = sweep.run_daily(D(2026, 6, 3))
    assert again.digests is None and again.reports is None
    assert count(kind=rules.DIGEST_WEEKLY) == 1 and count(kind=rules.REPORT_MONTHLY) == 1
    found = {(r.job, r.period) for r in db.session.scalars(select(ReminderRun))}
    assert {("digest_weekly", "2026-W23"), ("report_monthly", "2026-06"), ("daily", "2026-06-03")} <= found
    assert runs.last_successful_sweep() == D(2026, 6, 3)
    gap = sweep.run_daily(D(2026, 6, 9))
    assert any("2026-06-03" in note for note in gap.notes)


def test_follow_up_certificate_and_stale_track_reminders(app, factory, published):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer, name="高企甲")
    visit(company, officer, TODAY)
    cert = factory.designation(company, "hnte", D(2023, 9, 1))  # valid until 2026-08-31: 89 days left
    db.session.add(FollowUp(company_id=company.id, description="用地需求", owner_id=officer.id,
                            due_on=TODAY - dt.timedelta(days=8), status="open"))
    db.session.add(CultivationTrack(company_id=company.id, target_rung="gazelle", year=2026, status="key",
                                    status_since=dt.datetime(2026, 3, 1, tzinfo=TZ), owner_id=officer.id))
    db.session.commit()
    sweep.sweep(TODAY)
    kinds = {(n.recipient_id, n.kind, n.period) for n in rows()}
    assert (officer.id, rules.HNTE_EXPIRING, "2026-08-31/90d") in kinds
    assert (officer.id, rules.FOLLOW_UP_OVERDUE, "2026-05-26") in kinds
    assert (manager.id, rules.FOLLOW_UP_ESCALATED, "2026-05-26") in kinds
    assert (officer.id, rules.TRACK_STALE, "2026-W23") in kinds
    assert cert.valid_until == D(2026, 8, 31)


def test_an_open_reapplication_track_silences_the_certificate(app, factory, published):
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer)
    visit(company, officer, TODAY)
    factory.designation(company, "hnte", D(2023, 9, 1))
    db.session.add(CultivationTrack(company_id=company.id, target_rung="hnte", year=2026, status="pool", owner_id=officer.id))
    db.session.commit()
    sweep.sweep(TODAY)
    assert count(kind=rules.HNTE_EXPIRING) == 0


def test_campaigns_in_their_windows(app, factory, published):
    officer = factory.user("officer", "wujin")
    company = factory.company(officer=officer, name="科小甲")
    visit(company, officer, D(2026, 5, 1))
    factory.designation(company, "tech_sme", D(2025, 4, 1))
    hnte = factory.company(officer=officer, name="高企乙")
    visit(hnte, officer, D(2026, 5, 1))
    factory.designation(hnte, "hnte", D(2025, 1, 1))
    sweep.sweep(D(2026, 5, 2))
    [report] = rows(kind=rules.HNTE_ANNUAL_REPORT)
    assert report.payload["companies"] == [{"company_id": hnte.id, "name": "高企乙"}]
    sweep.sweep(D(2026, 8, 3))
    [sme] = rows(kind=rules.TECH_SME_RENEWAL)
    assert sme.payload["total"] == 1 and sme.period == "2026-08-01"


def test_many_new_reminders_for_one_person_are_emailed_as_one_summary(app, factory, published):
    app.config["REMINDER_BATCH_THRESHOLD"] = 3
    officer = factory.user("officer", "wujin")
    for n in range(4):
        company = factory.company(officer=officer)
        visit(company, officer, TODAY - dt.timedelta(days=365))
    sweep.sweep(TODAY)
    [summary] = rows(kind=rules.REMINDER_BATCH)
    assert summary.payload["total"] == 4 and summary.email_wanted
    assert {n.email_wanted for n in rows(kind=rules.VISIT_DUE)} == {False}
    assert mailer.drain() == {"sent": 1}
    assert sweep.sweep(TODAY).created == 0


def test_cli_sweep_and_send_use_the_same_code_path(app, runner, city, published):
    result = runner.invoke(args=["reminders", "sweep", "--today", "2026-06-03"])
    assert result.exit_code == 0, result.output
    assert "新增 3 条" in result.output and "每周摘要：新增 1 份" in result.output and "月报：新增 1 份" in result.output
    again = runner.invoke(args=["reminders", "sweep", "--today", "2026-06-03"])
    assert "新增 0 条" in again.output and "每周摘要" not in again.output
    sent = runner.invoke(args=["reminders", "send"])
    assert sent.exit_code == 0 and "已发送 5" in sent.output
    assert len(mail_folder.list_mail_files()) == 5
    assert "没有待发送的邮件" in runner.invoke(args=["reminders", "send"]).output
    bad = runner.invoke(args=["reminders", "sweep", "--today", "2026-13-40"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
