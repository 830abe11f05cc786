"""Blueprint `imports` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")
