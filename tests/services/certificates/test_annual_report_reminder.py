"""Issue 16: the annual-report reminder goes only to HNTE holders that have not filed that year."""

from __future__ import annotations

from datetime import date as D

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AnnualReport, Notification
from tracker.rules import reminders as rules
from tracker.services.notifications import outbox, sweep


@pytest.fixture(autouse=True)
def _quiet(app, monkeypatch, tmp_path):
    app.config["MAIL_FOLDER"] = str(tmp_path / "mail")
    monkeypatch.setattr(outbox, "publish", lambda ids: True)


def test_a_company_that_filed_is_not_reminded(app, factory):
    officer = factory.user("officer", "wujin")
    filed = factory.company(officer=officer, name="已报送企业")
    factory.designation(filed, "hnte", D(2025, 1, 1))
    unfiled = factory.company(officer=officer, name="未报送企业")
    factory.designation(unfiled, "hnte", D(2025, 1, 1))
    factory.company(officer=officer, name="非高企")
    # The May 2026 campaign is for the 2025 report; a 2024 report does not count for it.
    db.session.add(AnnualReport(company_id=filed.id, year=2025, filed_on=D(2026, 4, 20), source="manual"))
    db.session.add(AnnualReport(company_id=unfiled.id, year=2024, filed_on=D(2025, 4, 20), source="manual"))
    db.session.commit()
    sweep.sweep(D(2026, 5, 2))
    [report] = db.session.scalars(select(Notification).where(Notification.kind == rules.HNTE_ANNUAL_REPORT)).all()
    assert report.payload["companies"] == [{"company_id": unfiled.id, "name": "未报送企业"}]
    assert "2025" in report.body


def test_everyone_filed_means_no_reminder(app, factory):
    officer = factory.user("officer", "wujin")
    filed = factory.company(officer=officer)
    factory.designation(filed, "hnte", D(2025, 1, 1))
    db.session.add(AnnualReport(company_id=filed.id, year=2025, filed_on=D(2026, 4, 20), source="manual"))
    db.session.commit()
    sweep.sweep(D(2026, 5, 24))
    assert db.session.scalars(select(Notification).where(Notification.kind == rules.HNTE_ANNUAL_REPORT)).all() == []


def test_report_years_and_the_two_year_flag():
    assert rules.annual_report_year(D(2026, 5, 2)) == 2025
    # Deadlines passed by 1 Dec 2026: the 2025 report (31 May 2026) and the 2024 one (31 May 2025).
    assert rules.last_report_years(D(2026, 12, 1)) == (2024, 2025)
    assert rules.last_report_years(D(2026, 5, 31)) == (2023, 2024)  # due today: not yet late
    assert rules.two_years_unfiled((2024, 2025), required={2024, 2025}, filed=set())
    assert not rules.two_years_unfiled((2024, 2025), required={2024, 2025}, filed={2024})
    assert not rules.two_years_unfiled((2024, 2025), required={2025}, filed=set())  # not an HNTE in 2025's May
