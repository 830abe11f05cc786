"""Where to go after login: only a path on this site, whatever `next` says."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

_MAX_DECODING_ROUNDS = 5


def safe_next(target: str | None, default: str) -> str:
    """Return `target` if it is a same-site absolute path, else `default`.

    Browsers treat backslashes as slashes and ignore tabs/newlines, so `/\\evil`, `//evil` and their
    percent-encoded forms all mean another host; only a single leading '/' followed by something
    other than '/' or '\\' is accepted. The value is decoded until it stops changing, so no amount
    of re-encoding hides a second slash, and anything with control or space characters, a scheme,
    a host or dot segments is refused rather than cleaned up.
    """
    if not target:
        return default
    decoded = target
    for _ in range(_MAX_DECODING_ROUNDS):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    else:
        return default  # still encoded after many rounds: nobody legitimate does that
    # Tabs and newlines are dropped by browsers anywhere in a URL, so drop them before judging.
    cleaned = "".join(ch for ch in decoded if ch not in "\t\r\n")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp") for ch in cleaned):
        return default
    if not cleaned.startswith("/") or cleaned.startswith("//") or "\\" in cleaned:
        return default
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return default
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return default
    return cleaned
