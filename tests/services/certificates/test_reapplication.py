"""Defect 5 (issue 16): only a re-application track for the expiry year silences the HNTE reminders."""

from __future__ import annotations

from datetime import date as D

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from tracker.extensions import db
from tracker.models import CultivationTrack, Designation, Notification
from tracker.rules import reminders as rules
from tracker.services.certificates.reapplication import reapplication_clause
from tracker.services.notifications import outbox, sweep

TODAY = D(2026, 6, 3)


@pytest.fixture(autouse=True)
def _quiet(app, monkeypatch, tmp_path):
    app.config["MAIL_FOLDER"] = str(tmp_path / "mail")
    monkeypatch.setattr(outbox, "publish", lambda ids: True)


def _certificate(factory, officer, name="高企甲"):
    company = factory.company(officer=officer, name=name)
    cert = factory.designation(company, "hnte", D(2023, 9, 1))  # valid until 2026-08-31
    return company, cert


def _track(company, year, status):
    db.session.add(CultivationTrack(company_id=company.id, target_rung="hnte", year=year, status=status))
    db.session.commit()


def _expiring_kinds():
    return db.session.scalars(select(Notification.subject_key).where(Notification.kind == rules.HNTE_EXPIRING)).all()


@pytest.mark.parametrize("year, status, silenced", [
    (2026, "pool", True), (2026, "key", True), (2026, "submitted", True), (2026, "recognized", True),
    (2026, "rejected", False), (2026, "withdrawn", False),
    (2025, "key", False),  # an open track of an earlier year is not this certificate's re-application
    (2027, "pool", False),  # nor one of a later year
])
def test_only_a_track_for_the_expiry_year_silences_the_reminder(app, factory, year, status, silenced):
    officer = factory.user("officer", "wujin")
    company, _cert = _certificate(factory, officer)
    _track(company, year, status)
    sweep.sweep(TODAY)
    assert (_expiring_kinds() == []) is silenced, _expiring_kinds()


def test_the_clause_works_on_the_model_and_an_alias(app, factory):
    officer = factory.user("officer", "wujin")
    renewing, _ = _certificate(factory, officer, "续期企业")
    _track(renewing, 2026, "submitted")
    other_year, _ = _certificate(factory, officer, "跨年企业")
    _track(other_year, 2025, "key")
    for model in (Designation, aliased(Designation)):
        ids = set(db.session.scalars(select(model.company_id).where(model.rung == "hnte", reapplication_clause(model))))
        assert ids == {renewing.id}
