"""An import file waiting for its confirmation lives in the database, so the confirmation may reach
another app process or machine (another instance folder) than the dry run did."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tracker.extensions import db
from tracker.models import PendingUpload
from tracker.services.errors import ServiceError
from tracker.services.imports.uploads import discard_upload, load_upload, save_upload


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(PendingUpload))


def test_an_upload_is_kept_in_the_database_not_in_the_instance_folder(app, factory):
    owner, other = factory.user("admin"), factory.user("admin")
    token = save_upload(data=b"uscc,name\n", filename="企业.csv", kind="companies", user_id=owner.id)
    assert _count() == 1  # any app process on any machine reads it from here
    stored = load_upload(token, owner.id)
    assert (stored.kind, stored.filename, stored.user_id, stored.data) == ("companies", "企业.csv", owner.id,
                                                                           b"uscc,name\n")
    assert not (Path(app.instance_path) / "uploads").exists()  # nothing written to the instance folder
    with pytest.raises(ServiceError, match="失效"):
        load_upload(token, other.id)
    discard_upload(token)
    with pytest.raises(ServiceError, match="已导入或已超过一天"):
        load_upload(token, owner.id)


def test_uploads_older_than_a_day_expire_and_are_removed(app, factory):
    owner = factory.user("admin")
    old = save_upload(data=b"x", filename="a.csv", kind="companies", user_id=owner.id)
    db.session.execute(update(PendingUpload).values(created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=25)))
    db.session.commit()
    with pytest.raises(ServiceError, match="已超过一天"):
        load_upload(old, owner.id)
    fresh = save_upload(data=b"y", filename="b.csv", kind="companies", user_id=owner.id)
    assert _count() == 1 and load_upload(fresh, owner.id).data == b"y"


def test_a_forged_token_is_refused_before_any_query(app):
    for token in ("../../tracker.sqlite", "", None, "x" * 33):
        with pytest.raises(ServiceError, match="失效"):
            load_upload(token, 1)
