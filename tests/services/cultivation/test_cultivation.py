import datetime as dt

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import CultivationTrack, Designation, TrackTransition
from tracker.services.cultivation import tracks
from tracker.services.companies.queries import company_profile
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
