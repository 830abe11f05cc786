"""The weekly digest tells each officer which of their companies can claim which policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Notification
from tracker.rules import reminders as reminder_rules
from tracker.services.notifications import digests, mailer, outbox
from tracker.services.policies import claims, registry

TODAY = dt.date(2026, 6, 3)


@pytest.fixture
def published(monkeypatch):
    """Record what the unit of work publishes instead of talking to a broker."""
    calls: list[list[int]] = []
    monkeypatch.setattr(outbox, "publish", lambda ids: calls.append(list(ids)) or True)
    return calls


def test_an_officers_digest_lists_their_entitled_companies_and_not_another_officers(app, factory, published):
    admin = factory.user("admin")
    alice = factory.user("officer", "wujin", name="王专员")
    bob = factory.user("officer", "wujin", name="李专员")
    alices = factory.company("wujin", officer=alice, name="常州星河新材料有限公司")
    bobs = factory.company("wujin", officer=bob, name="常州远航智能装备有限公司")
    claimed = factory.company("wujin", officer=alice, name="常州已申报科技有限公司")
    for company in (alices, bobs, claimed):
        factory.designation(company, "hnte", dt.date(2026, 1, 20))
    policy = registry.create_policy(admin, {
        "name": "高新技术企业首次认定奖励", "issuer": "常州市科学技术局", "year": 2026, "benefit_kind": "hnte_first_award",
        "amount_rule": "fixed", "amount": Decimal("30")}, [{"kind": "rung_first", "rung": "hnte"}])
    claims.record_step(admin, policy.id, claimed.id, 2026, {"on": dt.date(2026, 3, 1)})
    claims.record_step(admin, policy.id, claimed.id, 2026, {"expected": "notified", "on": dt.date(2026, 3, 2)})

    assert digests.weekly_digests(TODAY) >= 2
    digest = {n.recipient_id: n for n in db.session.scalars(
        select(Notification).where(Notification.kind == reminder_rules.DIGEST_WEEKLY))}
    mine = digest[alice.id].payload["policies"]
    assert mine["total"] == 1 and [i["name"] for i in mine["items"]] == [alices.name]  # applied: no longer listed
    assert [i["name"] for i in digest[bob.id].payload["policies"]["items"]] == [bobs.name]
    assert "可申领政策 1" in digest[alice.id].title

    subject, text, html = mailer.render(digest[alice.id], alice)
    assert alices.name in text and "高新技术企业首次认定奖励" in text and "30万元" in text
    assert f"/policies/{policy.id}/claims/{alices.id}?year=2026" in html
    assert bobs.name not in text and bobs.name not in html
    section = text.split("【可申领的政策")[1]
    assert claimed.name not in section.split("【")[0]  # listed as a visit due, not as claimable
