"""Blueprint `api` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
