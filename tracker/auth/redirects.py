"""Where to go after login: only a path on this site, whatever `next` says."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def safe_next(target: str | None, default: str) -> str:
    """Return `target` if it is a same-site absolute path, else `default`.

    Browsers treat backslashes as slashes and ignore tabs/newlines, so `/\\evil`, `//evil` and their
    percent-encoded forms all mean another host; only a single leading '/' followed by something
    other than '/' or '\\' is accepted.
    """
    if not target:
        return default
    decoded = target
    for _ in range(3):  # undo double encoding
        decoded = unquote(decoded)
    cleaned = "".join(ch for ch in decoded if ch not in "\t\r\n").strip()
    if not cleaned.startswith("/") or cleaned.startswith("//") or cleaned.startswith("/\\"):
        return default
    if "\\" in cleaned:
        return default
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return default
    return cleaned
