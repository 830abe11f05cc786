import datetime as dt

from sqlalchemy import select

from tracker.clock import now
from tracker.extensions import db
from tracker.models import CultivationTrack, TrackTransition
from tracker.services.cultivation import board, tracks
from tracker.services.pagination import Page

D = dt.date


def _tracks(manager, companies, rung="hnte", year=2026):
    result = tracks.add_companies(manager, [c.id for c in companies], rung, year)
    return [db.session.get(CultivationTrack, i) for i in result.created]


def test_board_counts_cards_owner_days_and_stale_flag(app, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin", name="张专员")
    companies = [factory.company("wujin", officer=officer, name=f"看板企业{i}") for i in range(4)]
    created = _tracks(manager, companies)
    tracks.move_track(manager, created[0], "key")
    # One track has sat in 储备 for 90 days: stale with the default 60.
    created[1].status_since = now() - dt.timedelta(days=90)
    db.session.commit()
    shown = board.board(manager, board.BoardFilters(rung="hnte", year=2026), dt.date.today(), stale_days=60)
    columns = {c.status: c for c in shown.columns}
    assert [c.status for c in shown.columns] == ["pool", "key", "submitted", "recognized", "rejected", "withdrawn"]
    assert columns["pool"].count == 3 and columns["key"].count == 1 and shown.total == 4
    assert columns["pool"].stale_count == 1
    stale = [c for c in columns["pool"].cards if c.stale]
    assert len(stale) == 1 and stale[0].company_name == "看板企业1" and stale[0].days_in_status >= 89
    # The longest-waiting card comes first in an open column.
    assert columns["pool"].cards[0].track_id == created[1].id
    assert all(c.owner_name == "张专员" for c in columns["pool"].cards)
    key_card = columns["key"].cards[0]
    assert key_card.allowed_targets == ["pool", "submitted", "withdrawn"]
    assert "recognized" in key_card.other_targets and "key" not in key_card.other_targets


def test_board_is_scoped_and_filtered(app, factory):
    manager = factory.user("manager", "wujin")
    admin = factory.user("admin")
    officer = factory.user("officer", "wujin")
    mine = factory.company("wujin", officer=officer, industry="新材料")
    other = factory.company("wujin", industry="新能源")
    foreign = factory.company("liyang")
    _tracks(manager, [mine, other])
    _tracks(admin, [foreign])
    today = dt.date.today()
    assert board.board(manager, board.BoardFilters("hnte", 2026), today, 60).total == 2
    assert board.board(admin, board.BoardFilters("hnte", 2026), today, 60).total == 3
    assert board.board(admin, board.BoardFilters("hnte", 2026, district="liyang"), today, 60).total == 1
    assert board.board(officer, board.BoardFilters("hnte", 2026), today, 60).total == 1
    assert board.board(manager, board.BoardFilters("hnte", 2026, industry="新能源"), today, 60).total == 1
    assert board.board(manager, board.BoardFilters("hnte", 2026, officer_id=officer.id), today, 60).total == 1
    assert board.board(manager, board.BoardFilters("hnte", 2025), today, 60).total == 0
    assert board.board(manager, board.BoardFilters("gazelle", 2026), today, 60).total == 0


def test_board_shows_at_most_n_cards_per_column_and_the_column_page_shows_all(app, factory):
    manager = factory.user("manager", "wujin")
    _tracks(manager, [factory.company("wujin") for _ in range(5)])
    shown = board.board(manager, board.BoardFilters("hnte", 2026), dt.date.today(), 60, per_column=2)
    pool = shown.columns[0]
    assert pool.count == 5 and len(pool.cards) == 2 and pool.hidden == 3
    page2 = board.board_column(manager, board.BoardFilters("hnte", 2026), "pool", dt.date.today(), 60, page=2, per_page=2)
    assert page2.pages == 3 and len(page2.column.cards) == 2
    assert isinstance(page2, Page) and page2.rows == page2.column.cards and page2.total == 5 and page2.page == 2
    page3 = board.board_column(manager, board.BoardFilters("hnte", 2026), "pool", dt.date.today(), 60, page=3, per_page=2)
    seen = {c.track_id for c in page3.column.cards} | {c.track_id for c in page2.column.cards}
    assert len(seen) == 3


def test_board_query_count_does_not_grow_with_cards(app, factory):
    from sqlalchemy import event

    manager = factory.user("manager", "wujin")
    _tracks(manager, [factory.company("wujin", officer=factory.user("officer", "wujin")) for _ in range(12)])
    manager.district  # load the (expired) user before counting
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        board.board(manager, board.BoardFilters("hnte", 2026), dt.date.today(), 60)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 2


def test_funnel_counts_reached_steps_with_last_year(app, factory):
    manager = factory.user("manager", "wujin")
    this_year = _tracks(manager, [factory.company("wujin") for _ in range(4)], year=2026)
    last_year = _tracks(manager, [factory.company("wujin") for _ in range(2)], year=2025)
    a, b, c, _ = this_year
    tracks.move_track(manager, a, "key")
    tracks.move_track(manager, a, "submitted")
    tracks.move_track(manager, a, "recognized", recognition=tracks.RecognitionData(granted_on=D(2026, 11, 1), reference="GR1"))
    tracks.move_track(manager, b, "key")
    tracks.move_track(manager, b, "pool")  # moved back: it still reached 重点培育
    tracks.move_track(manager, c, "key")
    tracks.move_track(manager, c, "submitted")
    tracks.move_track(manager, c, "rejected", reason="评审未通过")
    tracks.move_track(manager, last_year[0], "key")
    funnel = board.funnel(manager, board.BoardFilters("hnte", 2026))
    counts = [(s.status, s.count, s.last_year) for s in funnel.steps]
    assert counts == [("pool", 4, 2), ("key", 3, 1), ("submitted", 2, 0), ("recognized", 1, 0)]
    assert funnel.steps[1].rate == 75.0 and funnel.steps[1].last_year_rate == 50.0
    assert funnel.steps[3].rate == 50.0 and funnel.steps[3].last_year_rate is None
    assert funnel.overall_rate == 25.0 and funnel.last_year_overall_rate == 0.0
    # Scoped: another district's manager sees nothing.
    other = factory.user("manager", "liyang")
    assert [s.count for s in board.funnel(other, board.BoardFilters("hnte", 2026)).steps] == [0, 0, 0, 0]


def test_funnel_uses_current_status_when_the_log_is_short(app, factory):
    # Imported or demo tracks may start directly in a later status with one log line.
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin")
    track = CultivationTrack(company_id=company.id, target_rung="hnte", year=2026, status="submitted", status_since=now())
    db.session.add(track)
    db.session.flush()
    db.session.add(TrackTransition(track_id=track.id, from_status=None, to_status="submitted"))
    db.session.commit()
    steps = board.funnel(manager, board.BoardFilters("hnte", 2026)).steps
    assert [s.count for s in steps] == [1, 1, 1, 0]


def test_track_detail_lists_history_and_related_years(app, factory):
    manager = factory.user("manager", "wujin", name="李科长")
    company = factory.company("wujin")
    (track,) = _tracks(manager, [company], year=2025)
    tracks.move_track(manager, track, "withdrawn", reason="企业暂缓申报")
    new = tracks.reopen_track(manager, track, 2026)
    view = board.track_detail(track)
    assert [(t.to_status, by) for t, by in view.transitions] == [("pool", "李科长"), ("withdrawn", "李科长")]
    assert [r.id for r in view.related] == [new.id]
    assert board.company_tracks(manager, company.id)[0].year == 2026
    assert board.company_tracks(factory.user("manager", "liyang"), company.id) == []
    assert db.session.scalar(select(CultivationTrack.reopened_from_id).where(CultivationTrack.id == new.id)) == track.id
