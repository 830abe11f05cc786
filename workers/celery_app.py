"""The Celery application: `celery -A workers.celery_app worker --beat`.

It is the Flask app's Celery (tasks run inside the app context), with the beat schedule added.
The tasks are `@shared_task`s: importing workers.tasks registers them with this default app.
"""

from __future__ import annotations

import workers.tasks  # noqa: F401  (registers the tasks)
from tracker import create_app
from workers.schedule import beat_schedule

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = beat_schedule()
celery_app.conf.include = ["workers.tasks"]
app = celery_app  # `celery -A workers.celery_app` looks for `app` or `celery`
