"""Flask commands of the `imports` feature (placeholder; the feature fills it in)."""

from flask import Flask


def register(app: Flask) -> None:
    """Add this feature's commands to the app's CLI."""
