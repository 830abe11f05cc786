"""Blueprint `visits` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("visits", __name__, url_prefix="/visits")
