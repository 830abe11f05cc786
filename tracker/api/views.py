"""Blueprint `api`: machine interfaces (JSON). GET /api/v1/indicators for a signed-in user or a token.

A request carrying `Authorization: Bearer <token>` is judged by the token alone (a bad token is
401 even when a session cookie is also present), and acts with the token owner's scope.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from tracker.clock import today
from tracker.rules.indicators import BadDate, parse_as_of
from tracker.services.indicators.tokens import authenticate_token
from tracker.services.indicators.projection import indicators_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _error(status: int, message: str):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _caller():
    """(user, None) for a valid token or session; (None, error response) otherwise."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, raw = header.strip().partition(" ")
        user = authenticate_token(raw.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return None, _error(401, "接口令牌无效或已吊销")
        return user, None
    if current_user.is_authenticated:
        return current_user._get_current_object(), None
    return None, _error(401, "请先登录，或在请求头中提供 Authorization: Bearer <令牌>")


@bp.route("/indicators")
def indicators():
    """The roll-up of the 12 indicators as of `as_of` (default today), scoped to the caller."""
    user, error = _caller()
    if error is not None:
        return error
    if not (user.is_admin or user.is_manager):
        return _error(403, "服务专员无权查看指标汇总")
    try:
        as_of = parse_as_of(request.args.get("as_of"), today())
    except BadDate as exc:
        return _error(400, exc.message)
    response = jsonify(indicators_json(as_of, user))
    response.headers["Cache-Control"] = "no-store"
    return response
