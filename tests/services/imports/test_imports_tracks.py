"""Importing the cultivation list (培育名单): `flask import tracks` and run_import("tracks", ...).

Matched on company + target rung + year; a new track starts at the file's status, an existing one
moves only as the state machine allows (each move a TrackTransition with who and the file as
reason); 已认定 needs a designation of that rung granted in that year; a company whose HNTE was
revoked in the year gets no HNTE track that year; re-importing the same file changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from tests.services.imports.import_helpers import code, csv_file, xlsx_file
from tracker.extensions import db
from tracker.models import AuditEvent, CultivationTrack, TrackTransition
from tracker.rules.cultivation import MoveRefused, check_move
from tracker.services.cultivation.refusals import revoked_this_year_message
from tracker.services.designations.grants import revoke_designation
from tracker.services.errors import Forbidden
from tracker.services.imports.importer import run_import

HEADER = ["统一社会信用代码", "企业名称", "目标资质", "年度", "状态", "备注"]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _import(rows, *, filename="2025培育名单.csv", **kwargs):
    return run_import("tracks", csv_file(HEADER, rows), filename, **kwargs)


def _track(company, rung="hnte", year=2025) -> CultivationTrack | None:
    return db.session.scalar(select(CultivationTrack).where(
        CultivationTrack.company_id == company.id, CultivationTrack.target_rung == rung, CultivationTrack.year == year,
    ))


def _moves(track) -> list[tuple[str | None, str]]:
    return [(t.from_status, t.to_status) for t in db.session.scalars(
        select(TrackTransition).where(TrackTransition.track_id == track.id).order_by(TrackTransition.id))]


@pytest.fixture
def companies(factory):
    officer = factory.user("officer", "wujin")
    return [factory.company("wujin", uscc=code(n), officer=officer if n == 1 else None) for n in range(1, 6)], officer


def test_new_tracks_start_at_the_status_the_file_gives_and_reimport_changes_nothing(app, factory, companies):
    (first, second, third, fourth, _), officer = companies
    admin = factory.user("admin")
    rows = [
        [code(1), "", "高新技术企业", 2025, "储备", "重点跟踪"],
        [code(2), "", "hnte", "2025年", "重点培育", ""],
        [code(3), "", "瞪羚企业", 2025, "submitted", ""],
        [code(4), "", "科技型中小企业", 2025, "退出", "企业迁出"],
        [code(1), "", "gazelle", 2026, "", ""],  # no status: the list's first status, 储备
    ]
    report = _import(rows, actor=admin, dry_run=False)
    assert not report.errors and report.committed and report.new == 5
    track = _track(first)
    assert (track.status, track.note, track.owner_id) == ("pool", "重点跟踪", officer.id)
    assert _track(second).status == "key" and _track(third, "gazelle").status == "submitted"
    assert _track(fourth, "tech_sme").status == "withdrawn" and _track(first, "gazelle", 2026).status == "pool"
    transition = db.session.scalar(select(TrackTransition).where(TrackTransition.track_id == track.id))
    assert (transition.from_status, transition.to_status, transition.by_id) == (None, "pool", admin.id)
    assert "2025培育名单.csv" in transition.reason
    audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import.tracks")).all()
    assert len(audits) == 1 and audits[0].after["new"] == 5

    versions = dict(db.session.execute(select(CultivationTrack.id, CultivationTrack.version)).all())
    again = _import(rows, actor=admin, dry_run=False)
    assert (again.new, again.updated, again.unchanged, again.errors) == (0, 0, 5, [])
    assert _count(TrackTransition) == 5
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "import.tracks")) == 1
    db.session.expire_all()
    assert dict(db.session.execute(select(CultivationTrack.id, CultivationTrack.version)).all()) == versions


def test_an_existing_track_moves_through_the_state_machine_one_recorded_move_at_a_time(app, factory, companies):
    (first, second, *_), _ = companies
    admin = factory.user("admin")
    assert _import([[code(1), "", "高新技术企业", 2025, "储备", ""],
                    [code(2), "", "高新技术企业", 2025, "重点培育", ""]], dry_run=False).new == 2

    report = _import([[code(1), "", "高新技术企业", 2025, "已申报", "年中名单"],
                      [code(2), "", "高新技术企业", 2025, "储备", ""]], actor=admin, dry_run=False,
                     filename="年中名单.xlsx.csv")
    assert not report.errors and report.updated == 2
    assert report.outcomes[0].changes == ("状态", "备注")
    track = _track(first)
    assert track.status == "submitted" and track.note == "年中名单"
    assert _moves(track) == [(None, "pool"), ("pool", "key"), ("key", "submitted")]
    last = db.session.scalars(select(TrackTransition).where(TrackTransition.track_id == track.id)
                              .order_by(TrackTransition.id)).all()[-1]
    assert last.by_id == admin.id and "年中名单.xlsx.csv" in last.reason
    assert _moves(_track(second)) == [(None, "key"), ("key", "pool")]  # a move the table allows


def test_moves_the_state_machine_refuses_are_error_rows_with_its_reason(app, companies, runner, tmp_path):
    (first, second, *_), _ = companies
    _import([[code(1), "", "高新技术企业", 2025, "已申报", ""], [code(2), "", "高新技术企业", 2025, "退出", ""]],
            dry_run=False)
    rows = [[code(1), "", "高新技术企业", 2025, "储备", ""], [code(2), "", "高新技术企业", 2025, "重点培育", ""],
            [code(3), "", "高新技术企业", 2025, "储备", ""]]
    report = _import(rows, dry_run=False, mode="all")
    found = {(i.row, i.column): i.reason for i in report.errors}
    with pytest.raises(MoveRefused) as refused_move:
        check_move("submitted", "pool")
    assert found[(2, "状态")] == refused_move.value.message  # the state machine's own reason
    assert "“退出”是终结状态" in found[(3, "状态")]
    assert not report.committed and _track(first).status == "submitted" and _count(CultivationTrack) == 2

    path = tmp_path / "list.csv"
    path.write_bytes(csv_file(HEADER, rows))
    refused = runner.invoke(args=["import", "tracks", str(path)])
    assert refused.exit_code == 1, refused.output
    assert f"第 2 行，列“状态”，值 “储备”：{refused_move.value.message}" in refused.output
    assert "未写入任何数据" in refused.output
    valid = runner.invoke(args=["import", "tracks", str(path), "--mode", "valid"])
    assert valid.exit_code == 0 and "新增 1" in valid.output, valid.output
    dry = runner.invoke(args=["import", "tracks", str(path), "--dry-run"])
    assert dry.exit_code == 1 and "试导入" in dry.output


def test_recognized_needs_a_designation_of_that_rung_granted_that_year_and_links_it(app, factory, companies):
    (first, second, third, *_), _ = companies
    hnte = factory.designation(first, "hnte", dt.date(2025, 11, 6), reference="GR202532000001")
    factory.designation(second, "hnte", dt.date(2024, 11, 6))
    _import([[code(3), "", "高新技术企业", 2025, "已申报", ""]], dry_run=False)
    factory.designation(third, "hnte", dt.date(2025, 12, 2))
    rows = [
        [code(1), "", "高新技术企业", 2025, "已认定", ""],
        [code(2), "", "高新技术企业", 2025, "已认定", ""],
        [code(3), "", "高新技术企业", 2025, "已认定", ""],
    ]
    report = _import(rows, dry_run=False, mode="valid")
    assert {(i.row, i.column): i.reason for i in report.errors} == {
        (3, "状态"): "该企业没有2025年认定的高新技术企业资质，不能标为“已认定”（请先导入资质认定名单）",
    }
    assert _track(first).status == "recognized" and _track(first).designation_id == hnte.id
    third_track = _track(third)
    assert third_track.status == "recognized" and third_track.designation_id is not None
    assert _moves(third_track)[-1] == ("submitted", "recognized")
    assert _track(second) is None
    assert _import(rows, dry_run=True).unchanged == 2


def test_a_company_whose_hnte_was_revoked_that_year_gets_no_hnte_track_that_year(app, factory, companies):
    (first, second, *_), _ = companies
    admin = factory.user("admin")
    _import([[code(2), "", "高新技术企业", 2025, "重点培育", ""]], dry_run=False)
    for company in (first, second):
        old = factory.designation(company, "hnte", dt.date(2022, 11, 6))
        revoke_designation(admin, old, revoked_on=dt.date(2025, 3, 1), reason="年报造假")
    rows = [
        [code(1), "", "高新技术企业", 2025, "储备", ""],
        [code(2), "", "高新技术企业", 2025, "已申报", ""],
        [code(1), "", "高新技术企业", 2026, "储备", ""],  # the next year is open again
        [code(1), "", "瞪羚企业", 2025, "储备", ""],
    ]
    report = _import(rows, dry_run=False, mode="valid")
    message = revoked_this_year_message(dt.date(2025, 3, 1))
    assert {(i.row, i.column): i.reason for i in report.errors} == {(2, "目标资质"): message, (3, "状态"): message}
    assert _track(first) is None and _track(second).status == "key"
    assert _track(first, "hnte", 2026) is not None and _track(first, "gazelle") is not None


def test_open_tracks_for_a_company_holding_the_rung_through_the_year_are_refused(app, factory, companies):
    (first, *_), _ = companies
    factory.designation(first, "hnte", dt.date(2024, 11, 6))  # valid to 2027-11-05
    report = _import([[code(1), "", "高新技术企业", 2025, "储备", ""]], dry_run=True)
    assert [i.reason for i in report.errors] == ["2025年底前仍持有有效的高新技术企业资质"]


def test_row_errors_name_the_column_and_the_reason(app, companies):
    rows = [
        [code(1), "", "高企培育", 2025, "储备", ""],
        [code(2), "", "高新技术企业", 2025, "待定", ""],
        [code(9), "", "高新技术企业", 2025, "储备", ""],
        [code(3), "", "高新技术企业", "", "储备", ""],
        [code(4), "", "高新技术企业", 2025, "储备", ""],
        [code(4), "", "hnte", 2025, "重点培育", ""],
    ]
    report = _import(rows)
    found = {(i.row, i.column): i.reason for i in report.errors}
    assert found[(2, "目标资质")].startswith("未知的目标资质：高企培育（可选：科技型中小企业、高新技术企业")
    assert found[(3, "状态")].startswith("未知的培育状态：待定")
    assert "系统中没有统一社会信用代码为" in found[(4, "统一社会信用代码")]
    assert found[(5, "年度")] == "必填项“年度”为空"
    assert found[(7, "目标资质")] == "与第 6 行的同一企业、同一目标资质和年度重复"
    assert report.new == 1 and [o.action for o in report.outcomes] == ["error"] * 4 + ["new", "error"]


def test_only_administrators_import_tracks(app, factory, companies):
    manager = factory.user("manager", "wujin")
    with pytest.raises(Forbidden):
        _import([[code(1), "", "高新技术企业", 2025, "储备", ""]], actor=manager)


def test_tracks_from_an_xlsx_list(app, companies):
    data = xlsx_file(HEADER, [[code(1), "x", "高新技术企业", 2025, "重点培育", None]])
    report = run_import("tracks", data, "list.xlsx", dry_run=False)
    assert report.new == 1 and not report.errors


def _statements(rows) -> int:
    count = 0

    def counter(*_args, **_kwargs):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        _import(rows, dry_run=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def test_planning_is_set_based_not_a_query_per_row(app, factory):
    for n in range(1, 41):
        factory.company("wujin", uscc=code(n))
    few = _statements([[code(n), "", "高新技术企业", 2025, "储备", ""] for n in range(1, 5)])
    many = _statements([[code(n), "", "高新技术企业", 2025, "储备", ""] for n in range(1, 41)])
    assert many == few
