"""Blueprint `auditlog` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("auditlog", __name__, url_prefix="/audit")
