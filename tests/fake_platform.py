"""A fake 企业微信 / 政务微信 / 钉钉 platform on loopback for the channel tests.

A real threaded HTTP server implementing the JSON shapes and error codes the messenger relies on:
`GET /cgi-bin/gettoken`, `POST /cgi-bin/message/send`, `POST /cgi-bin/webhook/send` (企业微信 group
robot) and `POST /robot/send` (钉钉 robot, signed). Faults: tokens that expire (`expire_tokens`),
a robot rate limit per sliding window (45009 / 130101), a bad signature (310000), HTTP 5xx
(`fail_next`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CORP_ID, AGENT_ID, SECRET = "wwfakecorp", "1000002", "right-secret"


class FakePlatform:
    def __init__(self, *, users=("zhangsan",), robot_limit: int = 20, robot_window: float = 60.0):
        self.users = set(users)
        self.robot_limit, self.robot_window = robot_limit, robot_window
        self.dingtalk_secrets: dict[str, str] = {}
        self.lock = threading.Lock()
        self.tokens: set[str] = set()
        self.issued = 0
        self.gettoken_calls = 0
        self.app_messages: list[dict] = []
        self.robot_messages: list[tuple[str, dict]] = []  # (robot key, body)
        self.rejected: list[tuple[str, int]] = []  # (path, errcode)
        self.robot_sends: dict[str, list[float]] = {}
        self.failures: list[int] = []  # HTTP statuses to answer next, in order
        self.expire_after: int | None = None  # every token expires once this many app messages arrived
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._answer(*platform.get(url.path, query))

            def do_POST(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                self._answer(*platform.post(url.path, query, body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- control -------------------------------------------------------------------------------
    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.failures.extend(statuses)

    def wecom_robot_url(self, key: str = "robot-key-1") -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def dingtalk_robot_url(self, token: str = "ding-token-1", secret: str = "SECright") -> str:
        self.dingtalk_secrets[token] = secret
        return f"{self.base}/robot/send?access_token={token}"

    def max_in_window(self, key: str) -> int:
        """The most messages this robot accepted within any one window."""
        times = sorted(self.robot_sends.get(key, []))
        best = 0
        for i, start in enumerate(times):
            best = max(best, sum(1 for t in times[i:] if t - start < self.robot_window))
        return best

    # -- endpoints -----------------------------------------------------------------------------
    def _failure(self):
        with self.lock:
            if self.failures:
                return self.failures.pop(0), {"errcode": -1, "errmsg": "system busy"}
        return None

    def get(self, path, query):
        failed = self._failure()
        if failed:
            return failed
        if path == "/cgi-bin/gettoken":
            with self.lock:
                self.gettoken_calls += 1
                if query.get("corpid") != CORP_ID:
                    return 200, {"errcode": 40013, "errmsg": "invalid corpid"}
                if query.get("corpsecret") != SECRET:
                    return 200, {"errcode": 40001, "errmsg": "invalid credential"}
                self.issued += 1
                token = f"token-{self.issued}"
                self.tokens.add(token)
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        return 404, {"errcode": 404, "errmsg": "not found"}

    def _rate_limited(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.robot_sends.get(key, []) if now - t < self.robot_window]
            if len(recent) >= self.robot_limit:
                return True
            self.robot_sends.setdefault(key, []).append(now)
        return False

    def post(self, path, query, body):
        failed = self._failure()
        if failed:
            return failed
        if path == "/cgi-bin/message/send":
            with self.lock:
                if query.get("access_token") not in self.tokens:
                    self.rejected.append((path, 42001))
                    return 200, {"errcode": 42001, "errmsg": "access_token expired"}
                if body.get("touser") not in self.users:
                    self.rejected.append((path, 81013))
                    return 200, {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
                self.app_messages.append(body)
                if self.expire_after is not None and len(self.app_messages) == self.expire_after:
                    self.tokens.clear()  # the token expires mid-drain
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": ""}
        if path == "/cgi-bin/webhook/send":
            key = query.get("key", "")
            if self._rate_limited(key):
                self.rejected.append((path, 45009))
                return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}
            with self.lock:
                self.robot_messages.append((key, body))
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/robot/send":
            token = query.get("access_token", "")
            secret = self.dingtalk_secrets.get(token)
            if secret is not None:
                stamp = query.get("timestamp", "")
                expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()
                if query.get("sign") != expected or not stamp or abs(time.time() * 1000 - int(stamp)) > 3600_000:
                    self.rejected.append((path, 310000))
                    return 200, {"errcode": 310000, "errmsg": "sign not match"}
            if self._rate_limited(token):
                self.rejected.append((path, 130101))
                return 200, {"errcode": 130101, "errmsg": "send too fast"}
            with self.lock:
                self.robot_messages.append((token, body))
            return 200, {"errcode": 0, "errmsg": "ok"}
        return 404, {"errcode": 404, "errmsg": "not found"}
