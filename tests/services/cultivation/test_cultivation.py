import datetime as dt

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import CultivationTrack, Designation, TrackTransition
from tracker.services.cultivation import tracks
from tracker.services.companies.queries import company_profile
from tracker.services.cultivation.refusals import revoked_hnte_in_year
from tracker.services.designations.grants import revoke_designation
from tracker.services.errors import Conflict, Forbidden, ServiceError

D = dt.date


def test_add_companies_skips_with_reasons(app, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    a = factory.company("wujin", officer=officer)
    b = factory.company("wujin")
    holder = factory.company("wujin")
    factory.designation(holder, "hnte", D(2025, 3, 1))  # valid to 2028: holds it through 2026
    foreign = factory.company("liyang")
    result = tracks.add_companies(manager, [a.id, b.id, holder.id, foreign.id, a.id], "hnte", 2026)
    assert len(result.created) == 2
    reasons = dict(result.skipped)
    assert "无权" in reasons[foreign.id] and "仍持有" in reasons[holder.id]
    track = db.session.scalar(select(CultivationTrack).where(CultivationTrack.company_id == a.id))
    assert track.status == "pool" and track.owner_id == officer.id
    again = tracks.add_companies(manager, [a.id], "hnte", 2026)
    assert again.created == [] and "已在2026年" in dict(again.skipped)[a.id]
    with pytest.raises(Forbidden):
        tracks.add_companies(officer, [a.id], "hnte", 2026)


def test_moves_follow_the_state_machine_and_recognition_creates_the_designation(app, factory):
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin")
    track = db.session.get(CultivationTrack, tracks.add_companies(manager, [company.id], "hnte", 2026).created[0])
    with pytest.raises(ServiceError, match="不能从“储备”直接变更为“已申报”"):
        tracks.move_track(manager, track, "submitted")
    tracks.move_track(manager, track, "key")
    tracks.move_track(manager, track, "submitted")
    with pytest.raises(ServiceError, match="认定日期"):
        tracks.move_track(manager, track, "recognized")
    db.session.rollback()
    tracks.move_track(manager, track, "recognized",
                   recognition=tracks.RecognitionData(granted_on=D(2026, 11, 20), reference="GR202632000123"))
    designation = db.session.get(Designation, track.designation_id)
    assert designation.rung == "hnte" and designation.valid_until == D(2029, 11, 19)
    assert company_profile(manager, company.id, D(2026, 11, 21)).stage == "hnte"
    log = db.session.scalars(select(TrackTransition.to_status).where(TrackTransition.track_id == track.id).order_by(TrackTransition.id)).all()
    assert log == ["pool", "key", "submitted", "recognized"]


def test_stale_version_is_a_conflict(app, factory):
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin")
    track = db.session.get(CultivationTrack, tracks.add_companies(manager, [company.id], "gazelle", 2026).created[0])
    seen = track.version
    tracks.move_track(manager, track, "key", version=seen)
    with pytest.raises(Conflict):
        tracks.move_track(manager, track, "withdrawn", reason="放弃", version=seen)
    assert track.status == "key"


def test_reopen_rejected_track_for_next_year_keeps_history(app, factory):
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin")
    track = db.session.get(CultivationTrack, tracks.add_companies(manager, [company.id], "hnte", 2025).created[0])
    tracks.move_track(manager, track, "key")
    with pytest.raises(ServiceError, match="未通过"):
        tracks.reopen_track(manager, track, 2026)
    tracks.move_track(manager, track, "submitted")
    tracks.move_track(manager, track, "rejected", reason="研发占比不足")
    new = tracks.reopen_track(manager, track, 2026)
    assert new.reopened_from_id == track.id and new.status == "pool" and track.status == "rejected"
    with pytest.raises(ServiceError, match="已在2026年"):
        tracks.reopen_track(manager, track, 2026)


def test_other_district_track_is_not_found(app, factory):
    wujin = factory.user("manager", "wujin")
    liyang = factory.user("manager", "liyang")
    company = factory.company("liyang")
    track_id = tracks.add_companies(liyang, [company.id], "hnte", 2026).created[0]
    from tracker.services.errors import NotFound

    with pytest.raises(NotFound):
        tracks.get_track_for(wujin, track_id)
    assert tracks.get_track_for(liyang, track_id).id == track_id


def _revoked_in_2026(factory, admin, name):
    company = factory.company("wujin", name=name)
    cert = factory.designation(company, "hnte", D(2023, 11, 1))  # to 2026-10-31: re-applies in 2026
    return company, cert


def test_a_company_revoked_this_year_cannot_reapply_in_it(app, factory):
    """Issue 16 defect 4: disqualified in 2026, no 2026 HNTE track, move or recognition."""
    admin = factory.user("admin")
    manager = factory.user("manager", "wujin")
    company, cert = _revoked_in_2026(factory, admin, "被取消高企")
    ready, ready_cert = _revoked_in_2026(factory, admin, "已申报后被取消")
    keyed = db.session.get(CultivationTrack, tracks.add_companies(manager, [company.id], "hnte", 2026).created[0])
    tracks.move_track(manager, keyed, "key")
    submitted = db.session.get(CultivationTrack, tracks.add_companies(manager, [ready.id], "hnte", 2026).created[0])
    tracks.move_track(manager, submitted, "key")
    tracks.move_track(manager, submitted, "submitted")
    revoke_designation(admin, cert, revoked_on=D(2026, 3, 1), reason="不再符合认定条件")
    revoke_designation(admin, ready_cert, revoked_on=D(2026, 9, 5), reason="年报造假")
    assert revoked_hnte_in_year([company.id, ready.id, company.id], 2026) == {company.id: D(2026, 3, 1), ready.id: D(2026, 9, 5)}
    assert revoked_hnte_in_year([company.id], 2025) == {} and revoked_hnte_in_year([], 2026) == {}

    message = "该企业高企资格已于 2026-03-01 被取消，当年不得重新申请"
    with pytest.raises(ServiceError, match=message):
        tracks.move_track(manager, keyed, "submitted")
    db.session.rollback()
    assert db.session.get(CultivationTrack, keyed.id).status == "key"
    with pytest.raises(ServiceError, match="2026-09-05 被取消，当年不得重新申请"):
        tracks.move_track(manager, submitted, "recognized",
                          recognition=tracks.RecognitionData(granted_on=D(2026, 11, 20), reference="GR202632000999"))
    db.session.rollback()
    assert db.session.get(CultivationTrack, submitted.id).status == "submitted"
    assert db.session.scalar(select(Designation.id).where(Designation.company_id == ready.id,
                                                          Designation.revoked_on.is_(None))) is None
    # Withdrawing is still allowed; reopening last year's track into this year is not.
    tracks.move_track(manager, keyed, "withdrawn", reason="资格被取消")
    old = CultivationTrack(company_id=ready.id, target_rung="hnte", year=2025, status="rejected")
    db.session.add(old)
    db.session.commit()
    with pytest.raises(ServiceError, match="2026-09-05 被取消"):
        tracks.reopen_track(manager, old, 2026)
    db.session.rollback()

    fresh, fresh_cert = _revoked_in_2026(factory, admin, "未在名单中")
    revoke_designation(admin, fresh_cert, revoked_on=D(2026, 3, 1), reason="不再符合认定条件")
    other = factory.company("wujin", name="另一家")
    result = tracks.add_companies(manager, [fresh.id, other.id], "hnte", 2026)
    assert dict(result.skipped) == {fresh.id: message} and len(result.created) == 1
    assert len(tracks.add_companies(manager, [fresh.id], "hnte", 2027).created) == 1
    assert len(tracks.add_companies(manager, [fresh.id], "gazelle", 2026).created) == 1
