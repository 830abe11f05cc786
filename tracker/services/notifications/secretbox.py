"""Encrypting channel credentials at rest (机器人地址、密钥、access_token): Fernet keyed from SECRET_KEY.

The key is SHA-256 of the app's SECRET_KEY (urlsafe base64), so rotating SECRET_KEY makes the
stored robot URLs and secrets unreadable: re-add the robots (`flask channels add-robot`) after it.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
# The key derives from the app's SECRET_KEY, which lives in the app config.
from flask import current_app

from tracker.services.errors import ServiceError


def _fernet() -> Fernet:
    secret = str(current_app.config.get("SECRET_KEY") or "")
    if not secret:
        raise ServiceError("未设置 SECRET_KEY，无法加密保存机器人地址和密钥")
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(("channels:" + secret).encode("utf-8")).digest()))


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ServiceError("无法解密已保存的机器人配置（SECRET_KEY 可能已更换），请重新添加机器人") from exc
