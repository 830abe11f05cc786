"""Blueprint `candidates` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("candidates", __name__, url_prefix="/candidates")
