"""Blueprint `work` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("work", __name__, url_prefix="/work")
