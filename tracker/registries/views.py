"""Blueprint `registries` (placeholder registered by the factory; the feature fills it in)."""

from flask import Blueprint

bp = Blueprint("registries", __name__, url_prefix="/registries")
