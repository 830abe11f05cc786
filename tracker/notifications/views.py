"""Blueprint `notifications` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
