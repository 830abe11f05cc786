"""Weekly digests and monthly reports: held reminders, opt-outs, idempotence per period."""

from __future__ import annotations

import datetime as dt

from tests.services.notifications.conftest import TODAY, count, rows
from tracker.extensions import db
from tracker.models.notification import PENDING, SKIPPED
from tracker.rules import reminders as rules
from tracker.services.notifications import digests, mailer, sweep

D = dt.date


def test_digest_mode_keeps_non_urgent_reminders_in_the_app(app, city, published):
    city["officer"].notify_mode = "digest"
    db.session.commit()
    sweep.sweep(TODAY)
    officer_rows = rows(recipient_id=city["officer"].id)
    assert {(n.kind, n.email_wanted, n.status) for n in officer_rows} == {
        (rules.VISIT_DUE, False, SKIPPED), (rules.VISIT_OVERDUE, False, SKIPPED),
    }
    [escalation] = rows(kind=rules.VISIT_ESCALATED)
    assert escalation.email_wanted and escalation.status == PENDING
    assert mailer.drain() == {"sent": 1}
    # The held reminders go into the officer's weekly digest instead.
    assert digests.weekly_digests(TODAY) == 1
    [digest] = rows(kind=rules.DIGEST_WEEKLY)
    assert digest.period == "2026-W23" and digest.payload["held"]["total"] == 2
    assert digest.payload["visits"]["total"] == 2


def test_digest_opt_out_and_empty_digests_are_not_created(app, factory, city, published):
    idle = factory.user("officer", "wujin")  # nothing to do: no digest
    city["officer"].digest_opt_out = True
    db.session.commit()
    assert digests.weekly_digests(TODAY) == 0
    assert count(kind=rules.DIGEST_WEEKLY) == 0
    city["officer"].digest_opt_out = False
    db.session.commit()
    # The week's run is recorded, so run_daily's catch-up will not repeat it ...
    assert sweep.run_daily(TODAY).digests is None and count(kind=rules.DIGEST_WEEKLY) == 0
    # ... while the weekly task itself (or the CLI) is idempotent per key.
    assert digests.weekly_digests(TODAY) == 1
    assert digests.weekly_digests(TODAY) == 0
    assert {n.recipient_id for n in rows(kind=rules.DIGEST_WEEKLY)} == {city["officer"].id}
    assert idle.id not in {n.recipient_id for n in rows()}


def test_monthly_report_lists_overdue_work_by_officer(app, city, published):
    assert digests.monthly_reports(D(2026, 6, 1)) == 1
    [report] = rows(kind=rules.REPORT_MONTHLY)
    assert report.recipient_id == city["manager"].id and report.period == "2026-06"
    assert report.payload["as_of"] == "2026-05-31"
    assert report.payload["officers"] == [{"name": city["officer"].name, "visits": 1, "follow_ups": 0}]
    assert report.payload["indicators"] is None or len(report.payload["indicators"]) == 12
    assert digests.monthly_reports(D(2026, 6, 1)) == 0
