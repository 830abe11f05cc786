"""A real SMTP server on loopback (aiosmtpd) whose answers a test can script.

- `fail_data`: replies to give to DATA before accepting, e.g. ["421 busy", "421 busy"];
- `reject_rcpt`: addresses refused at RCPT with 550;
- `hold_at_rcpt`: block at RCPT (before any message text is sent) until `release()`;
- `hold_after_accept`: store the message, then block before answering 250 until `release()`;
- `delay`: seconds to wait before answering DATA (a slow server);
- `reply_delay`: store the message, then wait this long before answering 250 (a slow relay whose
  reply to the final "." comes after the client's timeout: the message is delivered anyway).
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScriptedHandler:
    def __init__(self):
        self.messages: list[bytes] = []
        self.fail_data: list[str] = []
        self.reject_rcpt: set[str] = set()
        self.hold_at_rcpt = False
        self.hold_after_accept = False
        self.delay = 0.0
        self.reply_delay = 0.0
        self.entered = threading.Event()  # set when a hold point is reached
        self._release = threading.Event()
        self.data_attempts = 0
        self.connections = 0  # EHLO greetings: one per SMTP connection
        self._lock = threading.Lock()

    def release(self) -> None:
        self._release.set()

    async def _wait_release(self) -> None:
        self.entered.set()
        while not self._release.is_set():
            await asyncio.sleep(0.02)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject_rcpt:
            return "550 5.1.1 mailbox unavailable"
        if self.hold_at_rcpt:
            await self._wait_release()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.data_attempts += 1
            if self.fail_data:
                return self.fail_data.pop(0)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.messages.append(envelope.content)
        if self.hold_after_accept:
            await self._wait_release()
        if self.reply_delay:
            self.entered.set()
            await asyncio.sleep(self.reply_delay)
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [email.message_from_bytes(m)["Message-ID"] for m in self.messages]

    def copies(self) -> dict[str, int]:
        """Messages received per Message-ID (a value above 1 is a duplicate)."""
        counts: dict[str, int] = {}
        for message_id in self.message_ids():
            counts[message_id] = counts.get(message_id, 0) + 1
        return counts

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return True
            time.sleep(0.05)
        return len(self.messages) >= count


class SmtpServer:
    """Start/stop an aiosmtpd Controller on 127.0.0.1 at a free port."""

    def __init__(self):
        self.handler = ScriptedHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.handler.release()
        self.controller.stop()
