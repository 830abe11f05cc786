"""Blueprint `indicators` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("indicators", __name__, url_prefix="/indicators")
