"""Celery bound to the Flask app, as in Flask's Celery pattern: every task runs in an app context.

The delivery settings are checked here, when any process (web, worker, beat, CLI) builds the app:
a lease that does not comfortably outlast the longest possible send is refused at start-up.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from tracker.config import delivery_problems


def check_delivery_settings(config) -> None:
    """Refuse to start with delivery settings that would let one row be sent twice."""
    problems = delivery_problems(config)
    if problems:
        raise RuntimeError("Unsafe delivery settings:\n- " + "\n- ".join(problems))


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from app.config["CELERY"] and store it in app.extensions."""
    check_delivery_settings(app.config)

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
