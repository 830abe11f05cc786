"""The Celery application: `celery -A workers.celery_app worker --beat`.

It is the Flask app's Celery (tasks run inside the app context), with the beat schedule added.
"""

from __future__ import annotations

from tracker import create_app
from workers.schedule import beat_schedule

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = beat_schedule()
celery_app.conf.include = ["workers.tasks"]
app = celery_app  # `celery -A workers.celery_app` looks for `app` or `celery`

import workers.tasks  # noqa: E402,F401  (register the tasks with this app)
