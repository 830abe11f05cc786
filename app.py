"""Entry point: `flask --app app run` and `gunicorn app:app`."""

from tracker import create_app

app = create_app()
