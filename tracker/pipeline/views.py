"""Blueprint `pipeline` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("pipeline", __name__, url_prefix="/pipeline")
