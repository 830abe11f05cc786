"""Attaching photos and PDFs to a visit or a follow-up (走访留痕), and reading them back in scope.

A file is accepted by its content, never its name: `filetype` reads the magic bytes and only
JPEG, PNG, WebP and PDF pass, each at most ATTACHMENT_MAX_BYTES. An image is opened with Pillow
(bounded in pixels against decompression bombs), turned upright and saved again without its
EXIF block, so the phone's GPS position, serial number and owner name never reach the server's
disk; a 320-pixel JPEG thumbnail is stored beside it for the phone. The bytes live under
ATTACHMENT_DIR (the instance folder's `attachments/` by default; point every app server at one
shared folder) under random names; the row says which visit or follow-up a file belongs to, and
reading one goes through the company's scope like the visit itself.

Files are written before the rows; if the unit of work then fails, the files written for it are
removed again, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app  # ATTACHMENT_DIR and ATTACHMENT_MAX_BYTES are the app's settings
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Attachment, FollowUp, User, Visit
from tracker.services import audit
from tracker.services.errors import NotFound, ServiceError
from tracker.services.scoping import get_company_record_for
from tracker.services.unit_of_work import unit_of_work

ALLOWED_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; more is refused before decoding
THUMBNAIL_SIZE = (320, 320)
MAX_FILES = 9
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
FIELDS = ("filename", "content_type", "size", "visit_id", "follow_up_id")


@dataclass
class Upload:
    """One uploaded file: the name the phone gave it and its bytes."""

    filename: str
    data: bytes


@dataclass
class Prepared:
    """An upload that passed the checks: its clean name, type, bytes (EXIF removed) and thumbnail."""

    filename: str
    content_type: str
    data: bytes
    thumbnail: bytes | None


def directory() -> Path:
    """Where attachment files are kept (ATTACHMENT_DIR, else <instance>/attachments)."""
    configured = current_app.config.get("ATTACHMENT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def _max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _clean_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return base[-120:] or "附件"


def _reencode(data: bytes, content_type: str, name: str) -> tuple[bytes, bytes]:
    """The image saved again without EXIF (upright), and its JPEG thumbnail."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ServiceError(f"图片「{name}」像素过大（超过5000万像素），请压缩后上传", field="photos")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            if upright is None:
                upright = image
            out = io.BytesIO()
            fmt = PILLOW_FORMATS[content_type]
            if fmt == "JPEG":
                upright.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
            else:
                upright.save(out, fmt)  # no exif= / pnginfo=: the metadata is not written
            thumb = upright.convert("RGB")
            thumb.thumbnail(THUMBNAIL_SIZE)
            thumb_out = io.BytesIO()
            thumb.save(thumb_out, "JPEG", quality=80)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ServiceError(f"图片「{name}」已损坏或无法识别", field="photos") from exc
    return out.getvalue(), thumb_out.getvalue()


def prepare(uploads: list[Upload]) -> list[Prepared]:
    """Check every upload by content and size (all of them, before anything is written)."""
    if len(uploads) > MAX_FILES:
        raise ServiceError(f"一次最多上传 {MAX_FILES} 个文件", field="photos")
    limit = _max_bytes()
    prepared = []
    for upload in uploads:
        name = _clean_name(upload.filename)
        if not upload.data:
            raise ServiceError(f"文件「{name}」是空文件", field="photos")
        if len(upload.data) > limit:
            raise ServiceError(f"文件「{name}」超过 {limit // (1024 * 1024)} MB", field="photos")
        kind = filetype.guess(upload.data)
        content_type = kind.mime if kind is not None else None
        if content_type not in ALLOWED_TYPES:
            raise ServiceError(f"文件「{name}」不是 JPEG、PNG、WebP 图片或 PDF 文件", field="photos")
        if content_type == "application/pdf":
            prepared.append(Prepared(name, content_type, upload.data, None))
        else:
            data, thumbnail = _reencode(upload.data, content_type, name)
            prepared.append(Prepared(name, content_type, data, thumbnail))
    return prepared


def _write(folder: Path, stored: str, data: bytes, written: list[Path]) -> None:
    path = folder / stored
    with open(path, "xb") as handle:  # a fresh random name: never overwrite
        handle.write(data)
    written.append(path)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def attach(actor: User, uploads: list[Upload] | list[Prepared], *, visit: Visit | None = None,
           follow_up: FollowUp | None = None) -> list[Attachment]:
    """Store the files (uploads, or what `prepare` made of them) for a visit or a follow-up in the
    caller's (or a new) unit of work, each audited."""
    if not uploads:
        return []
    owner = visit if visit is not None else follow_up
    prepared = [u for u in uploads if isinstance(u, Prepared)] or prepare(uploads)
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        with unit_of_work():
            rows = []
            for item in prepared:
                stored = f"{secrets.token_hex(16)}.{ALLOWED_TYPES[item.content_type]}"
                _write(folder, stored, item.data, written)
                if item.thumbnail is not None:
                    _write(folder, thumbnail_name(stored), item.thumbnail, written)
                row = Attachment(
                    company_id=owner.company_id, visit_id=visit.id if visit is not None else None,
                    follow_up_id=follow_up.id if follow_up is not None else None, filename=item.filename,
                    stored_name=stored, content_type=item.content_type, size=len(item.data),
                    has_thumbnail=item.thumbnail is not None, uploaded_by_id=actor.id,
                )
                db.session.add(row)
                audit.record(actor.id, "attachment.create", row, after=audit.snapshot(row, FIELDS))
                rows.append(row)
            return rows
    except BaseException:
        _remove(written)
        raise


def attach_to_follow_up(actor: User, follow_up: FollowUp, uploads: list[Upload]) -> list[Attachment]:
    """Add photos or PDFs to a follow-up the actor may see (the caller fetched it through scoping)."""
    if not uploads:
        raise ServiceError("请选择要上传的文件", field="files")
    return attach(actor, uploads, follow_up=follow_up)


def thumbnail_name(stored_name: str) -> str:
    return stored_name.rsplit(".", 1)[0] + ".thumb.jpg"


def get_attachment_for(user: User, attachment_id: int) -> Attachment:
    """The attachment if `user` may see its company (and it is not removed); otherwise NotFound."""
    attachment = get_company_record_for(user, Attachment, attachment_id, "附件不存在或您无权查看")
    if attachment.deleted_at is not None:
        raise NotFound("附件不存在或您无权查看")
    return attachment


def file_path(attachment: Attachment, *, thumbnail: bool = False) -> Path:
    """The file on disk (or its thumbnail); NotFound when it is missing."""
    name = thumbnail_name(attachment.stored_name) if thumbnail else attachment.stored_name
    if thumbnail and not attachment.has_thumbnail:
        raise NotFound("该附件没有缩略图")
    path = directory() / name
    if not path.is_file():
        raise NotFound("附件文件已丢失，请联系管理员")
    return path


def for_visit(visit_id: int) -> list[Attachment]:
    """A visit's attachments, oldest first (the caller has already checked the visit's scope)."""
    return list(db.session.scalars(
        select(Attachment).where(Attachment.visit_id == visit_id, Attachment.deleted_at.is_(None)).order_by(Attachment.id)
    ))


def for_follow_up(follow_up_id: int) -> list[Attachment]:
    """A follow-up's attachments, oldest first (the caller has already checked its scope)."""
    return list(db.session.scalars(
        select(Attachment).where(Attachment.follow_up_id == follow_up_id, Attachment.deleted_at.is_(None))
        .order_by(Attachment.id)
    ))
