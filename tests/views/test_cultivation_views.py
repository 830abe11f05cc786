import datetime as dt

from sqlalchemy import func, select

from tracker.clock import now
from tracker.extensions import db
from tracker.models import Assignment, CultivationTrack, Designation, TrackTransition
from tracker.services.cultivation import tracks
from tracker.services.designations.grants import revoke_designation


def _track(manager, company, rung="hnte", year=2026):
    return db.session.get(CultivationTrack, tracks.add_companies(manager, [company.id], rung, year).created[0])


def _transitions(track_id):
    return db.session.scalar(select(func.count(TrackTransition.id)).where(TrackTransition.track_id == track_id))


def test_board_shows_columns_cards_and_stale_flag(client, auth, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin", name="赵专员")
    fresh = _track(manager, factory.company("wujin", officer=officer, name="新鲜企业"))
    old = _track(manager, factory.company("wujin", officer=officer, name="停滞企业"))
    old.status_since = now() - dt.timedelta(days=100)
    db.session.commit()
    _track(factory.user("admin"), factory.company("liyang", name="溧阳看板企业"))
    auth.login(manager)
    html = client.get("/cultivation/?rung=hnte&year=2026").get_data(as_text=True)
    assert "2026年高新技术企业" in html and "新鲜企业" in html and "停滞企业" in html and "赵专员" in html
    assert "溧阳看板企业" not in html
    assert 'data-testid="count-pool">2<' in html
    stale_card = html[html.index(f'data-testid="card-{old.id}"'):]
    assert "停滞" in stale_card[:600] and "pipeline-card card mb-2 stale" in html
    assert f'action="/cultivation/tracks/{fresh.id}/move"' in html
    # Column page lists the whole status.
    column = client.get("/cultivation/?rung=hnte&year=2026&status=pool").get_data(as_text=True)
    assert "新鲜企业" in column and "返回看板" in column


def test_refused_move_shows_the_reason_and_changes_nothing(client, auth, factory):
    manager = factory.user("manager", "wujin")
    track = _track(manager, factory.company("wujin", name="拒绝企业"))
    auth.login(manager)
    response = client.post(f"/cultivation/tracks/{track.id}/move", data={
        "to_status": "submitted", "version": track.version, "back": "rung=hnte&year=2026",
    }, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "不能从“储备”直接变更为“已申报”" in html and "可变更为：重点培育、退出" in html
    db.session.expire_all()
    assert db.session.get(CultivationTrack, track.id).status == "pool" and _transitions(track.id) == 1
    # Withdrawing needs a reason.
    html = client.post(f"/cultivation/tracks/{track.id}/move", data={"to_status": "withdrawn"}, follow_redirects=True).get_data(as_text=True)
    assert "须填写原因" in html
    db.session.expire_all()
    assert db.session.get(CultivationTrack, track.id).status == "pool"


def test_moves_across_the_board_and_recognition_creates_the_designation(client, auth, factory):
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", name="认定企业")
    track = _track(manager, company)
    auth.login(manager)
    for target in ("key", "submitted"):
        db.session.expire_all()
        response = client.post(f"/cultivation/tracks/{track.id}/move", data={
            "to_status": target, "version": db.session.get(CultivationTrack, track.id).version,
            "back": "rung=hnte&year=2026&next=//evil.example",
        })
        assert response.status_code == 302
        # Back to the same board, the moved card named (highlighted, with 撤销上一步); no foreign argument.
        assert response.headers["Location"].endswith(f"/cultivation/?rung=hnte&year=2026&moved={track.id}#card-{track.id}")
    # 已认定 without the certificate data is refused with a message.
    html = client.post(f"/cultivation/tracks/{track.id}/move", data={"to_status": "recognized"}, follow_redirects=True).get_data(as_text=True)
    assert "须填写认定日期" in html
    db.session.expire_all()
    assert db.session.get(CultivationTrack, track.id).status == "submitted"
    assert db.session.scalar(select(Designation.id).where(Designation.company_id == company.id)) is None
    html = client.post(f"/cultivation/tracks/{track.id}/move", data={
        "to_status": "recognized", "granted_on": "2026-11-20", "reference": "GR202632001234", "batch": "江苏省2026年第3批",
    }, follow_redirects=True).get_data(as_text=True)
    assert "已将“认定企业”调整为“已认定”，并已登记高新技术企业资质" in html
    designation = db.session.scalar(select(Designation).where(Designation.company_id == company.id))
    assert designation.reference == "GR202632001234" and designation.valid_until == dt.date(2029, 11, 19)
    assert designation.source == f"track:{track.id}"
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "GR202632001234" in page and "培育记录" in page


def test_bad_input_gives_a_message_not_a_500(client, auth, factory):
    manager = factory.user("manager", "wujin")
    track = _track(manager, factory.company("wujin"))
    auth.login(manager)
    for data in ({"to_status": "nonsense"}, {"to_status": "key", "granted_on": "2026-13-45"}, {}):
        response = client.post(f"/cultivation/tracks/{track.id}/move", data=data, follow_redirects=True)
        assert response.status_code == 200
        assert "alert-danger" in response.get_data(as_text=True)
    html = client.post(f"/cultivation/tracks/{track.id}/move", data={"to_status": "key", "version": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "已被他人调整" in html
    db.session.expire_all()
    assert db.session.get(CultivationTrack, track.id).status == "pool"
    assert client.get("/cultivation/?rung=bogus&year=abc").status_code == 200
    huge = "-99999999999999999999999"
    assert client.get(f"/cultivation/?officer_id={huge}&page={huge}&status=pool").status_code == 200
    html = client.post("/cultivation/assignments", data={"company_ids": [huge], "officer_id": huge},
                       follow_redirects=True).get_data(as_text=True)
    assert "alert-danger" in html
    html = client.post("/cultivation/tracks/add", data={"company_ids": ["99999999999999999999"], "target_rung": "hnte", "year": 2026},
                       follow_redirects=True).get_data(as_text=True)
    assert "所选企业不正确" in html


def test_officer_views_own_board_but_cannot_move_or_manage(client, auth, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    mine = _track(manager, factory.company("wujin", officer=officer, name="专员的企业"))
    _track(manager, factory.company("wujin", name="别人的企业"))
    mine.owner_id = officer.id
    db.session.commit()
    auth.login(officer)
    html = client.get("/cultivation/?rung=hnte&year=2026").get_data(as_text=True)
    assert "专员的企业" in html and "别人的企业" not in html
    assert "/move" not in html and 'draggable="true"' not in html
    assert client.get(f"/cultivation/tracks/{mine.id}").status_code == 200
    assert client.post(f"/cultivation/tracks/{mine.id}/move", data={"to_status": "key"}).status_code == 403
    assert client.post(f"/cultivation/tracks/{mine.id}/reopen", data={"year": 2027}).status_code == 403
    assert client.get("/cultivation/funnel").status_code == 403
    assert client.get("/cultivation/workload").status_code == 403
    company = factory.company("wujin", officer=officer)
    assert client.post("/cultivation/tracks/add", data={"company_ids": [company.id], "target_rung": "hnte", "year": 2026}).status_code == 403
    assert client.post("/cultivation/assignments", data={"company_ids": [company.id], "officer_id": officer.id}).status_code == 403
    db.session.expire_all()
    assert db.session.get(CultivationTrack, mine.id).status == "pool"
    assert db.session.scalar(select(func.count(CultivationTrack.id))) == 2


def test_track_page_and_reopen(client, auth, factory):
    manager = factory.user("manager", "wujin")
    track = _track(manager, factory.company("wujin", name="转入企业"), year=2025)
    tracks.move_track(manager, track, "withdrawn", reason="企业暂缓")
    auth.login(manager)
    html = client.get(f"/cultivation/tracks/{track.id}").get_data(as_text=True)
    assert "企业暂缓" in html and "转入下一年度继续培育" in html
    response = client.post(f"/cultivation/tracks/{track.id}/reopen", data={"year": 2025})
    assert response.status_code == 302
    assert "须晚于原年度" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(f"/cultivation/tracks/{track.id}/reopen", data={"year": 2026, "reason": "继续培育"})
    new_id = db.session.scalar(select(CultivationTrack.id).where(CultivationTrack.year == 2026))
    assert response.headers["Location"].endswith(f"/cultivation/tracks/{new_id}")
    assert "由本记录转入" not in client.get(f"/cultivation/tracks/{new_id}").get_data(as_text=True)
    assert "本记录由此转入" in client.get(f"/cultivation/tracks/{new_id}").get_data(as_text=True)
    other = factory.user("manager", "liyang")
    auth.logout()
    auth.login(other)
    assert client.get(f"/cultivation/tracks/{track.id}").status_code == 404
    assert client.post(f"/cultivation/tracks/{track.id}/move", data={"to_status": "key"}).status_code == 404


def test_funnel_and_workload_pages(client, auth, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin", name="钱专员")
    track = _track(manager, factory.company("wujin", officer=officer))
    tracks.move_track(manager, track, "key")
    auth.login(manager)
    html = client.get("/cultivation/funnel?rung=hnte&year=2026").get_data(as_text=True)
    assert "培育漏斗" in html and "<svg" in html and 'data-testid="funnel-key"' in html
    assert "100.0%" in html  # 1 of 1 reached 重点培育
    html = client.get("/cultivation/workload").get_data(as_text=True)
    assert "钱专员" in html and f"/companies/?officer_id={officer.id}" in html
    assert client.get("/cultivation/workload?sort=overdue_visits&dir=desc").status_code == 200


def test_bulk_add_to_list_and_assign_from_the_company_list(client, auth, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin", name="孙专员")
    a = factory.company("wujin", name="甲公司", industry="新材料")
    b = factory.company("wujin", name="乙公司", industry="新材料")
    c = factory.company("wujin", name="丙公司", industry="新能源")
    foreign = factory.company("liyang", name="溧阳公司")
    auth.login(manager)
    # Ticked companies only, and only those the filtered list holds (c is filtered out, foreign out of scope).
    response = client.post("/cultivation/tracks/add", data={
        "company_ids": [a.id, c.id, foreign.id], "target_rung": "hnte", "year": 2027, "filters": "industry=新材料",
    })
    assert response.status_code == 302 and "industry=" in response.headers["Location"]
    tracks = db.session.scalars(select(CultivationTrack.company_id)).all()
    assert tracks == [a.id]
    # All matching the filter.
    html = client.post("/cultivation/tracks/add", data={
        "all_matching": "y", "target_rung": "hnte", "year": 2027, "filters": "industry=新材料",
    }, follow_redirects=True).get_data(as_text=True)
    assert "已将1家企业加入2027年高新技术企业培育名单" in html and "甲公司（已在2027年" in html
    assert sorted(db.session.scalars(select(CultivationTrack.company_id)).all()) == sorted([a.id, b.id])
    # Assign.
    html = client.post("/cultivation/assignments", data={
        "company_ids": [a.id, b.id, foreign.id], "officer_id": officer.id, "filters": "",
    }, follow_redirects=True).get_data(as_text=True)
    assert "已将2家企业分配给孙专员" in html
    open_rows = db.session.scalars(select(Assignment.company_id).where(Assignment.assigned_until.is_(None))).all()
    assert sorted(open_rows) == sorted([a.id, b.id])
    # Nothing ticked, or a bad id: a message, nothing done.
    html = client.post("/cultivation/assignments", data={"officer_id": officer.id}, follow_redirects=True).get_data(as_text=True)
    assert "请先勾选企业" in html
    html = client.post("/cultivation/assignments", data={"officer_id": officer.id, "company_ids": ["x"]}, follow_redirects=True).get_data(as_text=True)
    assert "所选企业不正确" in html
    html = client.post("/cultivation/assignments", data={"company_ids": [c.id]}, follow_redirects=True).get_data(as_text=True)
    assert "请选择服务专员" in html
    html = client.post("/cultivation/tracks/add", data={"company_ids": [c.id], "target_rung": "hnte", "year": 1800}, follow_redirects=True).get_data(as_text=True)
    assert "年度须在2000至2100之间" in html


def test_old_pipeline_urls_redirect_with_method_body_and_query(client, auth, factory):
    manager = factory.user("manager", "wujin")
    track = _track(manager, factory.company("wujin", name="旧链接企业"))
    # Anonymous first: the redirect comes before the login check, so a bookmark lands on the new URL.
    response = client.get("/pipeline/workload?sort=name")
    assert response.status_code == 308 and response.headers["Location"] == "/cultivation/workload?sort=name"
    auth.login(manager)
    response = client.get("/pipeline/?kind=hnte&year=2026&status=pool")
    assert response.status_code == 308
    assert response.headers["Location"] == "/cultivation/?kind=hnte&year=2026&status=pool"
    assert "旧链接企业" in client.get("/pipeline/?kind=hnte&year=2026", follow_redirects=True).get_data(as_text=True)
    assert client.get("/pipeline").headers["Location"] == "/cultivation"
    assert client.get(f"/pipeline/tracks/{track.id}").headers["Location"] == f"/cultivation/tracks/{track.id}"
    # A POST is answered 308: the browser repeats the same POST, body included, at the new URL.
    data = {"to_status": "key", "version": track.version}
    response = client.post(f"/pipeline/tracks/{track.id}/move?from=old", data=data)
    assert response.status_code == 308
    assert response.headers["Location"] == f"/cultivation/tracks/{track.id}/move?from=old"
    db.session.expire_all()
    assert db.session.get(CultivationTrack, track.id).status == "pool"  # the redirect itself changes nothing
    # (Werkzeug's test client cannot resend a body it has read, so the repeat is made here.)
    html = client.open(response.headers["Location"], method=response.request.method, data=data,
                       follow_redirects=True).get_data(as_text=True)
    assert "已将“旧链接企业”调整为“重点培育”" in html
    db.session.expire_all()
    assert db.session.get(CultivationTrack, track.id).status == "key"


def test_board_reads_the_rung_from_rung_or_the_old_kind_argument(client, auth, factory):
    manager = factory.user("manager", "wujin")
    _track(manager, factory.company("wujin", name="瞪羚候选"), rung="gazelle")
    auth.login(manager)
    for query in ("rung=gazelle", "kind=gazelle", "rung=gazelle&kind=hnte"):
        html = client.get(f"/cultivation/?{query}&year=2026").get_data(as_text=True)
        assert "2026年瞪羚企业" in html and "瞪羚候选" in html, query
        assert 'href="/cultivation/funnel?rung=gazelle&amp;year=2026"' in html or "kind=" in query, query
    html = client.get("/cultivation/funnel?kind=gazelle&year=2026").get_data(as_text=True)
    assert "培育漏斗 · 2026年瞪羚企业" in html
    # The link in the bulk-add message uses the new name.
    company = factory.company("wujin", name="新名单企业")
    html = client.post("/cultivation/tracks/add", data={"company_ids": [company.id], "target_rung": "hnte", "year": 2027},
                       follow_redirects=True).get_data(as_text=True)
    assert "/cultivation/?rung=hnte&amp;year=2027" in html


def test_a_move_to_submitted_after_a_revocation_this_year_is_refused_with_the_reason(client, auth, factory):
    """Issue 16 defect 4 on the board: disqualified in 2026, no 2026 application."""
    admin = factory.user("admin")
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", name="被取消企业")
    cert = factory.designation(company, "hnte", dt.date(2023, 11, 1))  # to 2026-10-31
    track = _track(manager, company)
    tracks.move_track(manager, track, "key")
    revoke_designation(admin, cert, revoked_on=dt.date(2026, 4, 1), reason="不再符合认定条件")
    auth.login(manager)
    html = client.post(f"/cultivation/tracks/{track.id}/move", data={
        "to_status": "submitted", "version": track.version, "back": "rung=hnte&year=2026",
    }, follow_redirects=True).get_data(as_text=True)
    assert "该企业高企资格已于 2026-04-01 被取消，当年不得重新申请" in html
    db.session.expire_all()
    assert db.session.get(CultivationTrack, track.id).status == "key" and _transitions(track.id) == 2


def test_board_marks_allowed_moves_highlights_the_moved_card_and_undoes_it(client, auth, factory):
    """Issue 17 item 8: allowed columns as data attributes, a tap menu, the moved card, undo."""
    from tracker.models import AuditEvent, TrackTransition

    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", name="撤销企业")
    track = _track(manager, company)
    auth.login(manager)
    html = client.get("/cultivation/?rung=hnte&year=2026").get_data(as_text=True)
    assert f'data-testid="card-{track.id}" data-track-id="{track.id}" data-status="pool" data-allowed="key withdrawn"' in html
    assert f'data-testid="quick-move-{track.id}"' in html and 'name="to_status" value="key"' in html
    response = client.post(f"/cultivation/tracks/{track.id}/move", data={"to_status": "key", "version": track.version,
                                                                        "back": "rung=hnte&year=2026"})
    board = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "just-moved" in board and f'data-testid="undo-{track.id}"' in board
    db.session.expire_all()
    moved = db.session.get(CultivationTrack, track.id)
    stale = client.post(f"/cultivation/tracks/{track.id}/undo", data={"version": moved.version - 1}, follow_redirects=True)
    assert "已被他人调整" in stale.get_data(as_text=True)
    client.post(f"/cultivation/tracks/{track.id}/undo", data={"version": moved.version, "back": "rung=hnte&year=2026"})
    db.session.expire_all()
    back = db.session.get(CultivationTrack, track.id)
    assert back.status == "pool"
    last = db.session.scalars(select(TrackTransition).where(TrackTransition.track_id == track.id)
                              .order_by(TrackTransition.id.desc())).first()
    assert last.undoes_id is not None and last.from_status == "key" and last.to_status == "pool"
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "track.undo")) is not None
    # Undoing an undo is refused (move it again instead).
    html = client.post(f"/cultivation/tracks/{track.id}/undo", data={"version": back.version},
                       follow_redirects=True).get_data(as_text=True)
    assert "上一步已是撤销操作" in html
    db.session.expire_all()
    assert db.session.get(CultivationTrack, track.id).status == "pool"
