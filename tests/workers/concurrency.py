"""Running work the way two processes would: at once, each with its own database session."""

from __future__ import annotations

import threading

from tracker.extensions import db


def run_in_threads(app, work, count: int = 2, *, together: bool = False) -> list[BaseException]:
    """Run `work()` in `count` threads at once, each in its own app context (so its own database
    session), as separate processes would; with `together`, they start at the same instant.
    Returns the errors raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run():
        try:
            with app.app_context():
                if together:
                    barrier.wait(5)
                work()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors
