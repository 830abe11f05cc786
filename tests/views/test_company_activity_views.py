"""Issue 17 item 6: one activity stream per company on its page, newest first, filterable, paged,
open 诉求 and the latest visits before the long history; scoped like the company."""

import datetime as dt

from sqlalchemy import event

from tracker.extensions import db
from tracker.models import CultivationTrack, FollowUp, Visit
from tracker.services.companies import activity
from tracker.services.cultivation import tracks
from tracker.services.visits import follow_ups


def _company(factory):
    manager = factory.user("manager", "wujin", name="李科长")
    officer = factory.user("officer", "wujin", name="王专员")
    company = factory.company("wujin", officer=officer, name="常州动态企业")
    factory.designation(company, "tech_sme", dt.date(2025, 4, 1))
    visit = Visit(company_id=company.id, officer_id=officer.id, visited_on=dt.date(2025, 6, 1), summary="了解研发投入")
    db.session.add(visit)
    db.session.flush()
    f = FollowUp(company_id=company.id, visit_id=visit.id, description="需要用地指标", owner_id=officer.id,
                 category="land")
    db.session.add(f)
    db.session.commit()
    follow_ups.move_status(officer, f, "in_progress", version=f.version, note="已对接自然资源局")
    track_id = tracks.add_companies(manager, [company.id], "hnte", 2026).created[0]
    tracks.move_track(manager, db.session.get(CultivationTrack, track_id), "key")
    return manager, officer, company, visit, f


def test_stream_merges_every_source_newest_first_and_filters(app, factory):
    manager, officer, company, visit, f = _company(factory)
    page = activity.company_activity(manager, company.id)
    kinds = [i.kind for i in page.rows]
    assert set(kinds) == {"visit", "follow_up", "designation", "cultivation", "assignment"}
    keys = [activity._key(i) for i in page.rows]
    assert keys == sorted(keys, reverse=True)
    titles = [i.title for i in page.rows]
    assert "认定为科技型中小企业" in titles and "2026年高新技术企业培育：储备 → 重点培育" in titles
    assert any(t.startswith("诉求办理中") for t in titles)
    only = activity.company_activity(manager, company.id, kind="visit")
    assert [i.kind for i in only.rows] == ["visit"] and only.total == 1


def test_paging_is_bounded_and_complete(app, factory):
    manager, officer, company, visit, f = _company(factory)
    db.session.add_all([Visit(company_id=company.id, officer_id=officer.id, visited_on=dt.date(2024, 1, 1) + dt.timedelta(days=i),
                              summary=f"走访{i}") for i in range(25)])
    db.session.commit()
    first = activity.company_activity(manager, company.id, page=1, per_page=10)
    total = first.total
    seen = []
    for number in range(1, first.pages + 1):
        seen += activity.company_activity(manager, company.id, page=number, per_page=10).rows
    assert len(seen) == total == len(set((i.kind, i.title, i.at) for i in seen))
    assert first.pages == -(-total // 10)


def test_company_page_shows_the_stream_with_open_follow_ups_first(client, auth, factory):
    manager, officer, company, visit, f = _company(factory)
    auth.login(officer)
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    card = html[html.index('data-testid="company-activity"'):]
    assert card.index('data-testid="activity-pinned"') < card.index('data-testid="activity-stream"')
    pinned = card[:card.index('data-testid="activity-stream"')]
    assert "用地用房：需要用地指标" in pinned and "了解研发投入" in pinned
    assert html.index('data-testid="company-activity"') < html.index('data-testid="timeline"')  # before the history
    stream = card[card.index('data-testid="activity-stream"'):]
    assert "已对接自然资源局" in stream and "王专员" in stream and "in_progress" not in stream
    visits_only = client.get(f"/companies/{company.id}?activity_kind=visit").get_data(as_text=True)
    stream = visits_only[visits_only.index('data-testid="activity-stream"'):visits_only.index("</ol>", visits_only.index('data-testid="activity-stream"'))]
    assert "了解研发投入" in stream and "认定为" not in stream
    assert client.get(f"/companies/{company.id}?activity_kind=bogus&activity_page=99999999999").status_code == 200
    full = client.get(f"/activity/companies/{company.id}").get_data(as_text=True)
    assert "企业动态" in full and "认定为科技型中小企业" in full


def test_stream_is_scoped_and_queries_do_not_grow_with_history(client, auth, factory, app):
    manager, officer, company, visit, f = _company(factory)
    other = factory.user("officer", "wujin")
    auth.login(other)
    assert client.get(f"/activity/companies/{company.id}").status_code == 404
    auth.logout()
    auth.login(manager)
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    client.get(f"/activity/companies/{company.id}")
    few = len(statements)
    db.session.add_all([Visit(company_id=company.id, officer_id=officer.id, visited_on=dt.date(2024, 1, 1) + dt.timedelta(days=i),
                              summary=f"走访{i}") for i in range(40)])
    db.session.commit()
    statements.clear()
    client.get(f"/activity/companies/{company.id}")
    event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= few + 2  # 40 more visits, not 40 more queries
