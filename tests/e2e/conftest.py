"""Browser fixtures: the app served on loopback and Debian's Chromium driven by Playwright.

The server is a second app instance on the same test database as the `app` fixture, so a test
creates its data through `factory` and then drives the browser. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import base_config, service_missing
from tracker import create_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}  # a common phone viewport


@pytest.fixture
def live_server(app, database_url):
    """The app on 127.0.0.1 at a free port; yields its base URL."""
    served = create_app(base_config(database_url))
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (Playwright never downloads a browser here)."""
    if not os.path.exists(CHROMIUM):
        service_missing(f"Chromium not found at {CHROMIUM} (scripts/test.sh installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    )
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh contexts (desktop by default, phone=True for a phone viewport; the
    device's time zone is the machine's unless `timezone_id` names another)."""
    contexts = []

    def _open(phone: bool = False, timezone_id: str | None = None):
        options = {"base_url": live_server, "locale": "zh-CN"}
        if timezone_id:
            options["timezone_id"] = timezone_id
        if phone:
            options.update(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        context = browser.new_context(**options)
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def login(page, email: str, password: str) -> None:
    """Sign in through the real login form."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")


def open_menu(page, group: str, entry: str) -> None:
    """Open a page through the top menu as a user does: the phone's menu button if shown, then the
    group's drop-down, then its entry."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.locator("#nav").get_by_role("button", name=group).click()
    page.locator("#nav").get_by_role("link", name=entry).click()
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
