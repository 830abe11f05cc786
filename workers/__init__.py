"""Celery entry point, tasks and beat schedule. Tasks are thin: one service call each."""
