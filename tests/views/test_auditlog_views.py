import datetime as dt

from tracker.extensions import db
from tracker.models import AuditEvent, CultivationTrack
from tracker.services import audit
from tracker.services.cultivation import tracks as cultivation
from tracker.services.auditlog.events import action_name


def test_manager_sees_own_district_events_and_filters(client, auth, factory):
    manager = factory.user("manager", "wujin", name="武进管理员")
    colleague = factory.user("officer", "wujin", name="武进专员")
    admin = factory.user("admin", name="市管理员")
    mine = factory.company("wujin", name="武进日志企业")
    other = factory.company("wujin", name="武进另一企业")
    foreign = factory.company("liyang", name="溧阳日志企业")
    audit.record(admin.id, "company.update", mine, before={"name": "旧名"}, after={"name": "武进日志企业"})
    audit.record(colleague.id, "visit.create", entity_type="visit", entity_id=7, company_id=other.id)
    audit.record(admin.id, "company.update", foreign, before={"name": "溧阳旧名"}, after={"name": "溧阳日志企业"})
    db.session.commit()
    auth.login(manager)
    html = client.get("/audit/").get_data(as_text=True)
    assert "武进日志企业" in html and "旧名 → 武进日志企业" in html and "登记走访" in html
    assert "溧阳日志企业" not in html and "溧阳旧名" not in html
    html = client.get(f"/audit/?company_id={mine.id}").get_data(as_text=True)
    assert "旧名" in html and "登记走访" not in html
    html = client.get(f"/audit/?actor_id={colleague.id}").get_data(as_text=True)
    assert "登记走访" in html and "旧名" not in html
    html = client.get("/audit/?company=另一").get_data(as_text=True)
    assert "登记走访" in html and "旧名" not in html
    # Codes are shown by their Chinese names.
    track = db.session.get(CultivationTrack, cultivation.add_companies(manager, [mine.id], "hnte", 2026).created[0])
    cultivation.move_track(manager, track, "key")
    html = client.get(f"/audit/?company_id={mine.id}").get_data(as_text=True)
    assert "状态</span>：储备 → 重点培育" in html and "目标资质</span>：高新技术企业" in html
    # A foreign company id shows nothing rather than leaking.
    html = client.get(f"/audit/?company_id={foreign.id}").get_data(as_text=True)
    assert "溧阳" not in html and "没有符合条件的操作记录" in html


def test_date_range_is_in_shanghai_days(client, auth, factory):
    admin = factory.user("admin")
    company = factory.company("wujin")
    # 2026-03-01 23:30 in Shanghai is 15:30 UTC the same day (the log is append-only: set it at insert).
    db.session.add(AuditEvent(at=dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.timezone.utc), actor_id=admin.id,
                              action="company.update", entity_type="company", entity_id=company.id,
                              company_id=company.id, after={"name": "x"}))
    db.session.commit()
    auth.login(admin)
    assert "修改企业" in client.get("/audit/?date_from=2026-03-01&date_to=2026-03-01").get_data(as_text=True)
    assert "修改企业" not in client.get("/audit/?date_from=2026-03-02").get_data(as_text=True)
    assert "修改企业" not in client.get("/audit/?date_to=2026-02-28").get_data(as_text=True)
    html = client.get("/audit/?date_from=2026-03-05&date_to=2026-03-01").get_data(as_text=True)
    assert "截止日期不能早于起始日期" in html
    assert client.get("/audit/?date_from=not-a-date&page=-3").status_code == 200
    huge = "99999999999999999999999"
    assert client.get(f"/audit/?company_id={huge}&actor_id={huge}&page={huge}").status_code == 200


def test_admin_sees_all_paginated_and_officer_is_refused(client, auth, factory, app):
    app.config["PAGE_SIZE"] = 3
    admin = factory.user("admin")
    for i in range(7):
        factory.company("liyang" if i % 2 else "wujin", name=f"分页企业{i}")  # company.create events
    auth.login(admin)
    html = client.get("/audit/").get_data(as_text=True)
    assert "第 1 / 3 页" in html
    html = client.get("/audit/?page=3").get_data(as_text=True)
    assert "分页企业0" in html  # oldest last
    auth.logout()
    auth.login(factory.user("officer", "wujin"))
    assert client.get("/audit/").status_code == 403


def test_action_names():
    assert action_name("track.move") == "调整培育状态"
    assert action_name("visit.lock") == "走访：visit.lock"


def test_log_speaks_chinese_names_and_links_instead_of_codes_and_ids(client, auth, factory, app):
    """Issue 17 item 3: `open → in_progress`, `onsite`, `服务专员编号：11`, `[963]` and a visit kind
    labelled 资质类型 are gone; every field and value has its Chinese label; ids are names and links."""
    from sqlalchemy import event

    from tracker.models import FollowUp, Visit
    from tracker.services.visits import follow_ups

    manager = factory.user("manager", "wujin", name="武进管理员")
    officer = factory.user("officer", "wujin", name="王专员")
    other = factory.user("officer", "wujin", name="李专员")
    company = factory.company("wujin", officer=officer, name="常州词汇企业")
    visit = Visit(company_id=company.id, officer_id=officer.id, visited_on=dt.date(2026, 1, 5), kind="onsite",
                  summary="了解研发")
    db.session.add(visit)
    db.session.flush()
    f = FollowUp(company_id=company.id, visit_id=visit.id, description="申请研发补助", owner_id=officer.id,
                 category="funding")
    db.session.add(f)
    db.session.flush()
    audit.record(officer.id, "visit.create", visit, after={"visited_on": "2026-01-05", "kind": "onsite",
                                                           "officer_id": officer.id, "summary": "了解研发"})
    audit.record(manager.id, "assignment.reassign", company, before={"officer_ids": [officer.id]},
                 after={"officer_id": other.id, "active": True})
    db.session.commit()
    follow_ups.move_status(officer, f, "in_progress", version=f.version, note="已联系")
    auth.login(manager)
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    html = client.get("/audit/").get_data(as_text=True)
    table = html[html.index('data-testid="audit-table"'):]
    for raw in ("in_progress", "onsite", "visited_on", "summary", "officer_ids", "编号", f"[{officer.id}]",
                f"#{visit.id}", "资质类型"):
        assert raw not in table, raw
    for text in ("走访方式</span>：实地走访", "走访日期</span>：2026-01-05", "走访情况</span>：了解研发",
                 "办理状态</span>：待办 → 办理中", "备注</span>：— → 已联系", "原服务专员</span>：王专员 → —",
                 "服务专员</span>：— → 李专员", "启用</span>：— → 是", "变更诉求状态"):
        assert text in table, text
    assert f'href="/visits/{visit.id}">2026-01-05 走访</a>' in table
    assert f'href="/visits/follow-ups/{f.id}">诉求“申请研发补助”</a>' in table
    # Names are resolved per page, not per row: more rows, no more queries.
    for _ in range(15):
        audit.record(manager.id, "assignment.reassign", company, before={"officer_ids": [other.id]},
                     after={"officer_id": officer.id})
    db.session.commit()
    few = len(statements)
    statements.clear()
    client.get("/audit/")
    assert len(statements) <= few + 1
