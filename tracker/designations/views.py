"""Blueprint `designations` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("designations", __name__, url_prefix="/companies")
