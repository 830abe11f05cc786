"""Keeping an uploaded file between the dry run and the commit (instance/uploads/<random token>).

The file is stored under a random token, with who uploaded it and as what kind; only that user can
commit it, and the token is the only name ever built into a path (checked against a strict
pattern, so no path traversal). Files left behind expire after a day.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from tracker.services.errors import ServiceError

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class StoredUpload:
    """An uploaded file waiting for its commit."""

    token: str
    kind: str
    filename: str
    user_id: int
    data: bytes


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _expire(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass  # another process removed it first


def save_upload(instance_path: str, *, data: bytes, filename: str, kind: str, user_id: int) -> str:
    """Store the file and return its token."""
    folder = _folder(instance_path)
    _expire(folder)
    token = secrets.token_urlsafe(24)  # 32 characters
    (folder / f"{token}.data").write_bytes(data)
    (folder / f"{token}.json").write_text(
        json.dumps({"kind": kind, "filename": filename, "user_id": user_id}, ensure_ascii=False), encoding="utf-8"
    )
    return token


def load_upload(instance_path: str, token: str, user_id: int) -> StoredUpload:
    """The stored file for `token` if this user uploaded it; otherwise a Chinese error."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise ServiceError("导入文件已失效，请重新上传")
    folder = _folder(instance_path)
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.data").read_bytes()
    except (FileNotFoundError, ValueError):
        raise ServiceError("导入文件已失效（可能已导入或已超过一天），请重新上传") from None
    if meta.get("user_id") != user_id:
        raise ServiceError("导入文件已失效，请重新上传")
    return StoredUpload(token, meta["kind"], meta["filename"], meta["user_id"], data)


def discard_upload(instance_path: str, token: str) -> None:
    """Remove a stored file once it has been committed."""
    if not _TOKEN.match(token or ""):
        return
    folder = _folder(instance_path)
    for suffix in (".data", ".json"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)
