"""Claiming a create form's one-time token in the same unit of work as the record it creates.

Every create form carries a random token (tracker/web/once.py). `create_once` inserts the token
into `submission_token` (unique) before it runs the use case, in one transaction: the record and
the claim commit together or not at all. A second submission of the same form (the back button
and save again, a double tap, the phone's offline outbox sending once more) finds the claim and
raises `AlreadySubmitted` with the first record's address, writing nothing. Two submissions at
the same moment are decided by the unique constraint: the second insert waits for the first
transaction and then fails, and is answered the same way.

A refused submission (a `ServiceError` from the use case) rolls the claim back with everything
else, so the user can correct the form and save it with the same token.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.models import SubmissionToken, User
from tracker.services.unit_of_work import unit_of_work

T = TypeVar("T")
ALREADY_SAVED = "该记录已保存"


class AlreadySubmitted(Exception):
    """The form was saved before; `record_url` leads to what that save created (or None)."""

    def __init__(self, record_url: str | None):
        super().__init__(ALREADY_SAVED)
        self.message = ALREADY_SAVED
        self.record_url = record_url


def _claimed(token: str) -> SubmissionToken | None:
    return db.session.scalar(select(SubmissionToken).where(SubmissionToken.token == token))


def create_once(actor: User | None, token: str | None, create: Callable[[], T], record_url: Callable[[T], str]) -> T:
    """Run `create()` (a use case; it joins this unit of work) unless `token` was claimed before.

    `record_url(record)` is the address the first save leads to, kept with the claim so a replay
    can link to it. Without a token (a client that sends none) `create()` simply runs.
    """
    if not token:
        return create()
    try:
        with unit_of_work():
            earlier = _claimed(token)
            if earlier is not None:
                raise AlreadySubmitted(earlier.record_url)
            claim = SubmissionToken(token=token, user_id=actor.id if actor is not None else None)
            db.session.add(claim)
            db.session.flush()  # a concurrent twin waits here, then fails on the unique token
            record = create()
            claim.record_url = record_url(record)[:255]
            return record
    except IntegrityError:
        # Either the same token won a race (answer as a replay) or the use case itself broke a
        # constraint (not ours to explain: re-raise). The unit of work has rolled back.
        earlier = _claimed(token)
        if earlier is None:
            raise
        raise AlreadySubmitted(earlier.record_url) from None
