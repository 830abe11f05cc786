"""The active menu item: which entry of the top menu the current page belongs to."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def active(url: str) -> str:
    """" active" when the current page is `url` or lies under it (the home page "/" only itself).

    Used as `class="nav-link{{ nav_active(url) }}"`; the query string of `url` is ignored, so
    a menu entry with filters still lights up on its page.
    """
    path = urlsplit(url).path or "/"
    here = request.path
    if path == "/":
        return " active" if here == "/" else ""
    prefix = path.rstrip("/")
    return " active" if here == path or here == prefix or here.startswith(prefix + "/") else ""
