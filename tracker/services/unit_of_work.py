"""One unit of work per use case: commit on success, roll back on any error, publish after commit.

Every use case (a service function that changes data) runs its writes inside `unit_of_work()`, or
is decorated with `@use_case`, so views, CLI commands and Celery tasks never call `commit()` or
`rollback()` themselves and a use case is all-or-nothing wherever it is called from.

Nesting is allowed: a use case that calls another (recognising a cultivation track grants a
designation) joins the outer unit, and only the outermost one commits. Notification ids queued
with `publish_after_commit()` are handed to the outbox publisher once the commit has succeeded,
so a rolled-back transaction publishes nothing and a worker never looks for an uncommitted row.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import wraps
from typing import Callable, Iterable, Iterator, TypeVar

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracker.extensions import db
from tracker.services.errors import Conflict

_DEPTH = "unit_of_work_depth"
_PUBLISH = "unit_of_work_publish"
DEFAULT_CONFLICT = "该记录已被修改（可能是您在另一窗口的操作），您的修改未保存，请刷新后重试"

F = TypeVar("F", bound=Callable)


def publish_after_commit(ids: Iterable[int], session: Session | None = None) -> None:
    """Queue notification ids for the outbox publisher; they are published when the unit commits."""
    session = session or db.session
    session.info.setdefault(_PUBLISH, set()).update(int(i) for i in ids)


def _publish(ids: set[int]) -> None:
    # The publisher needs the Celery app; imported here because the outbox module imports this one
    # (queueing is part of the unit of work, publishing part of notifications).
    from tracker.services.notifications.outbox import publish

    publish(sorted(ids))


@contextmanager
def unit_of_work(*, conflict: str = DEFAULT_CONFLICT, session: Session | None = None) -> Iterator[Session]:
    """Run the block as one transaction (see the module docstring).

    A concurrent edit caught by a version column (`StaleDataError`) becomes `Conflict(conflict)`,
    the message the user sees; any other error propagates after the rollback.
    """
    session = session or db.session
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except StaleDataError as exc:
        if depth == 0:
            session.rollback()
            session.info.pop(_PUBLISH, None)
        raise Conflict(conflict) from exc
    except BaseException:
        if depth == 0:
            session.rollback()
            session.info.pop(_PUBLISH, None)
        raise
    finally:
        session.info[_DEPTH] = depth
    if depth == 0:
        ids = session.info.pop(_PUBLISH, None)
        if ids:
            _publish(ids)


def use_case(func: F | None = None, *, conflict: str = DEFAULT_CONFLICT):
    """Decorator form of `unit_of_work()` for a service function that is one use case."""

    def decorate(inner: F) -> F:
        @wraps(inner)
        def wrapped(*args, **kwargs):
            with unit_of_work(conflict=conflict):
                return inner(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate
