"""My work: due visits, follow-ups, expiring certificates and stale tracks, for officers and managers."""

import datetime as dt

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import CultivationTrack, FollowUp, Visit
from tracker.services.visits.my_work import my_work


def _follow_up(company, owner, days, status="open"):
    db.session.add(FollowUp(company_id=company.id, description=f"诉求{days}", owner_id=owner.id,
                            due_on=today() + dt.timedelta(days=days), status=status))
    db.session.commit()


def _track(company, owner, status="pool", days_ago=90, rung="hnte"):
    track = CultivationTrack(company_id=company.id, target_rung=rung, year=today().year + 1, status=status,
                             owner_id=owner.id if owner else None, status_since=now() - dt.timedelta(days=days_ago))
    db.session.add(track)
    db.session.commit()
    return track


def test_officer_sees_own_due_visits_follow_ups_certificates_and_stale_tracks(app, factory):
    officer = factory.user("officer", "wujin")
    colleague = factory.user("officer", "wujin")
    never_visited = factory.company("wujin", officer=officer, name="从未走访")
    visited = factory.company("wujin", officer=officer, name="刚走访")
    db.session.add(Visit(company_id=visited.id, officer_id=officer.id, visited_on=today(), summary="已走访"))
    db.session.commit()
    other = factory.company("wujin", officer=colleague, name="同事的企业")
    _follow_up(never_visited, officer, -2)
    _follow_up(never_visited, officer, 5)
    _follow_up(never_visited, officer, 20)  # too far ahead
    _follow_up(never_visited, officer, -9, status="resolved")  # done
    _follow_up(other, colleague, -1)  # not mine

    expiring = factory.company("wujin", officer=officer, name="证书将到期")
    factory.designation(expiring, "hnte", today() - dt.timedelta(days=3 * 365 - 100), reference="GR2023320001")
    reapplying = factory.company("wujin", officer=officer, name="已在重新认定")
    factory.designation(reapplying, "hnte", today() - dt.timedelta(days=3 * 365 - 100))
    _track(reapplying, officer, status="key", days_ago=1)
    renewed = factory.company("wujin", officer=officer, name="已重新认定")
    factory.designation(renewed, "hnte", today() - dt.timedelta(days=3 * 365 - 100))
    factory.designation(renewed, "hnte", today() - dt.timedelta(days=10))
    fresh = factory.company("wujin", officer=officer, name="证书还早")
    factory.designation(fresh, "hnte", today() - dt.timedelta(days=30))

    stale = _track(never_visited, officer, days_ago=90)
    _track(visited, officer, days_ago=5)  # moved recently
    _track(fresh, officer, status="withdrawn", days_ago=400, rung="gazelle")  # closed

    work = my_work(officer, today(), stale_days=60)
    due_names = {v.company_name for v in work.visits}
    assert "从未走访" in due_names and "刚走访" not in due_names and "同事的企业" not in due_names
    assert work.visits_total == len(work.visits)
    assert [f.description for f in work.follow_ups] == ["诉求-2", "诉求5"]
    assert [f.deadline_state for f in work.follow_ups] == ["overdue", "due_soon"]
    assert [e.company_name for e in work.expiring] == ["证书将到期"]
    assert 95 <= work.expiring[0].days_left <= 101 and work.expiring[0].reference == "GR2023320001"
    assert [t.track_id for t in work.stale_tracks] == [stale.id]
    assert work.stale_tracks[0].days_in_status >= 89
    assert not work.empty


def test_manager_sees_the_district_and_nothing_beyond(app, factory):
    officer = factory.user("officer", "wujin")
    manager = factory.user("manager", "wujin")
    liyang_officer = factory.user("officer", "liyang")
    mine = factory.company("wujin", officer=officer, name="武进企业")
    foreign = factory.company("liyang", officer=liyang_officer, name="溧阳企业")
    _follow_up(mine, officer, 1)
    _follow_up(foreign, liyang_officer, 1)
    _track(mine, officer)
    _track(foreign, liyang_officer)
    work = my_work(manager, today(), stale_days=60)
    assert {v.company_name for v in work.visits} == {"武进企业"}
    assert [f.company_name for f in work.follow_ups] == ["武进企业"]
    assert [t.company_name for t in work.stale_tracks] == ["武进企业"]
    assert work.scope_label == "本辖区"


def test_nothing_to_do_is_empty(app, factory):
    officer = factory.user("officer", "wujin")
    work = my_work(officer, today())
    assert work.empty and work.visits_total == 0
