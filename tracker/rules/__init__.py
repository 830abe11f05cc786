"""Business rules as plain Python: no Flask, SQLAlchemy or Celery imports here.

Everything the plan and the national rules say about the ladder, identifiers, eligibility,
indicators and reminders lives in this package so it can be read and tested on its own.
"""
