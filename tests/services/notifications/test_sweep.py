"""The reminder sweep: idempotent outbox rows, recipients, catch-up, the CLI."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.services.notifications.conftest import TODAY, count, rows, visit
from tests.workers.concurrency import run_in_threads
from tracker import clock
from tracker.clock import TZ
from tracker.extensions import db
from tracker.models import CultivationTrack, FollowUp
from tracker.models.notification import ReminderRun
from tracker.rules import reminders as rules
from tracker.services.accounts.users import set_active
from tracker.services.companies.records import soft_delete_company
from tracker.services.errors import ServiceError
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


def test_cli_sweep_and_send_use_the_same_code_path(app, runner, city, published, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
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


# ---------------------------------------------------------------------------------------------
# Past days (issue 12 item 6): a catch-up fills only what was missed and is still true today
# ---------------------------------------------------------------------------------------------

def _stale_prone_city(factory):
    """Today (TODAY, a Wednesday): a certificate that expired 3 days ago, one in its 30-day
    window (in its 90-day window two weeks ago), a track stale for months, a visit overdue."""
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    expired = factory.company(officer=officer, name="证书已过期")
    visit(expired, officer, TODAY)
    factory.designation(expired, "hnte", D(2023, 6, 1))  # valid until 2026-05-31
    expiring = factory.company(officer=officer, name="证书将到期")
    visit(expiring, officer, TODAY)
    factory.designation(expiring, "hnte", D(2023, 6, 24))  # valid until 2026-06-23: 20 days left
    stale = factory.company(officer=officer, name="培育停滞")
    visit(stale, officer, TODAY)
    db.session.add(CultivationTrack(company_id=stale.id, target_rung="gazelle", year=2026, status="key",
                                    status_since=dt.datetime(2026, 1, 5, tzinfo=TZ), owner_id=officer.id))
    overdue = factory.company(officer=officer, name="久未走访")
    visit(overdue, officer, TODAY - dt.timedelta(days=365 + 50))
    db.session.commit()
    return {"manager": manager, "officer": officer, "expired": expired, "expiring": expiring}


def test_fourteen_past_day_catch_ups_after_todays_sweep_send_nothing_stale(app, factory, published):
    _stale_prone_city(factory)
    today = sweep.run_daily(TODAY, now_local=dt.datetime(2026, 6, 3, 9, 0))
    assert today.created > 0 and today.digests == 1 and today.reports == 1
    before = {(n.kind, n.subject_key, n.period) for n in rows()}
    created = 0
    for back in range(1, 15):
        result = sweep.catch_up_day(TODAY - dt.timedelta(days=back), TODAY)
        created += result.created + (result.digests or 0) + (result.reports or 0)
    assert created == 0
    assert {(n.kind, n.subject_key, n.period) for n in rows()} == before
    # What the old past-day sweeps sent: a 5-day notice for a certificate already expired, a
    # 90-day notice after the 30-day one, last weeks' digests and stale nags, May's report.
    assert {n.period for n in rows(kind=rules.HNTE_EXPIRING)} == {"2026-06-23/30d"}
    assert {n.period for n in rows(kind=rules.DIGEST_WEEKLY)} == {"2026-W23"}
    assert {n.period for n in rows(kind=rules.REPORT_MONTHLY)} == {"2026-06"}
    assert {n.period for n in rows(kind=rules.TRACK_STALE)} == {"2026-W23"}
    # The catch-ups are recorded, so the gap shows as filled.
    assert runs.run_done(runs.DAILY, "2026-05-20")


def test_a_catch_up_fills_what_was_missed_and_is_still_true(app, factory, published):
    """Beat was down since Sunday and has not run today: Sunday's catch-up creates exactly the
    reminders that are still due today (same keys), not the ones that lapsed since."""
    city = _stale_prone_city(factory)
    yesterday = TODAY - dt.timedelta(days=3)  # Sunday 31 May: the certificate's last day, last week
    expected_keys = {rules.reminder_key(r) for r in rules.still_true_today(
        sweep.due_reminders(yesterday), sweep.due_reminders(TODAY))}
    result = sweep.catch_up_day(yesterday, TODAY)
    got = {(n.kind, n.subject_key, n.period) for n in rows() if n.kind not in rules.DIGEST_KINDS}
    assert result.created > 0 and got == expected_keys
    assert any(k[0] == rules.VISIT_OVERDUE for k in got)
    assert {n.period for n in rows(kind=rules.HNTE_EXPIRING)} == {"2026-06-23/30d"}  # not the expired one
    assert rows(kind=rules.HNTE_EXPIRING)[0].company_id == city["expiring"].id
    # On Sunday the expired certificate had its last day and the track its week-22 nag: false today.
    assert result.stale >= 2
    # Today's sweep afterwards adds today's view, and nothing twice.
    sweep.sweep(TODAY)
    assert {(n.kind, n.subject_key, n.period) for n in rows() if n.kind not in rules.DIGEST_KINDS} == {
        rules.reminder_key(r) for r in sweep.due_reminders(TODAY)}
    with pytest.raises(ServiceError, match="之前的日期"):
        sweep.catch_up_day(TODAY, TODAY)


def test_cli_refuses_a_past_day_without_catch_up_and_says_what_it_would_do(app, runner, factory, published, monkeypatch):
    _stale_prone_city(factory)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    refused = runner.invoke(args=["reminders", "sweep", "--today", "2026-05-20"])
    assert refused.exit_code == 2
    assert "2026-05-20 早于今天（2026-06-03）" in refused.output and "--catch-up" in refused.output
    assert "今天仍然成立" in refused.output and "未做任何修改" in refused.output
    assert count() == 0 and not runs.run_done(runs.DAILY, "2026-05-20")
    done = runner.invoke(args=["reminders", "sweep", "--today", "2026-05-20", "--catch-up"])
    assert done.exit_code == 0, done.output
    assert "2026-05-20：" in done.output and "今天已不成立，未生成" in done.output
    assert runs.run_done(runs.DAILY, "2026-05-20")
    assert all(n.period != "2026-05-31/30d" for n in rows(kind=rules.HNTE_EXPIRING))  # expired since
    misuse = runner.invoke(args=["reminders", "sweep", "--today", "2026-06-03", "--catch-up"])
    assert misuse.exit_code == 2 and "之前的日期" in misuse.output
    today = runner.invoke(args=["reminders", "sweep"])  # today needs no flag
    assert today.exit_code == 0 and "2026-06-03：" in today.output
