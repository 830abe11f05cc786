"""Security headers, templates without inline script/style, and user data rendered inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import Factory
from tests.security.routes import ADMIN_EMAIL, ADMIN_PASSWORD, build_world, routes, url_for_rule

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
XSS_NAME = '"><script>alert(1)</script>'
RAW = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _check_headers(response, where):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "script-src" in directives and "'unsafe-inline'" not in directives["script-src"], where
    assert "'unsafe-eval'" not in csp, where
    assert directives.get("style-src") == "style-src 'self'", where
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", where
    assert directives.get("object-src") == "object-src 'none'", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"), where
    assert response.headers.get("X-Frame-Options") == "DENY", where


class _InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, style=, on*=."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower() for name, _ in attrs}
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.problems.append("<script> without src")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style= on <{tag}>")
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
        for name, value in attrs:
            if name in ("href", "src", "action") and value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("inline script body")


def _inline_problems(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.problems


def _admin_client(app):
    client = app.test_client()
    assert client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).status_code == 302
    return client


def test_headers_on_pages_errors_api_and_static(client, factory):
    user = factory.user("admin")
    client.post("/login", data={"email": user.email, "password": Factory.PASSWORD})
    for url in ("/", "/login", "/companies/", "/no-such-page", "/static/app.css", "/healthz"):
        _check_headers(client.get(url), url)
    api_rules = [rule for rule in client.application.url_map.iter_rules() if rule.rule.startswith("/api/") and not rule.arguments]
    for rule in api_rules[:3]:
        _check_headers(client.get(rule.rule), rule.rule)


def test_every_rendered_page_is_free_of_inline_script_and_style(web, app):
    """Render every GET page (with real ids) as an administrator and scan the HTML."""
    build_world()
    client = _admin_client(web)
    scanned, problems = 0, []
    for rule, _ in routes(web, {"GET"}):
        if rule.endpoint == "auth.login":
            continue
        url = url_for_rule(rule)
        try:
            response = client.get(url)
        except Exception as exc:  # noqa: BLE001  (another feature's page is broken: say which)
            problems.append(f"{url}: raised {type(exc).__name__}: {exc}")
            continue
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        _check_headers(response, url)
        scanned += 1
        problems += [f"{url}: {p}" for p in _inline_problems(response.get_data(as_text=True))]
    assert scanned >= 8
    assert not problems, "\n".join(problems)


def test_template_files_have_no_inline_script_style_or_safe_filter():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(TEMPLATES)
        for found in _inline_problems(re.sub(r"{[{%#].*?[}%#]}", "", source, flags=re.S)):
            # Mail clients load no stylesheets, so emails need style=; they run no script either way.
            if name.parts[0] == "emails" and found.startswith("style="):
                continue
            problems.append(f"{name}: {found}")
        # |safe or Markup on template data would let a company name run as script.
        if re.search(r"\|\s*safe\b", source) or "autoescape false" in source:
            problems.append(f"{name}: |safe / autoescape false")
    assert not problems, "\n".join(problems)


def test_a_hostile_company_name_renders_inert(web, app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin", name=XSS_NAME)
    client = web.test_client()
    client.post("/login", data={"email": admin.email, "password": Factory.PASSWORD})
    for url in ("/companies/", f"/companies/{company.id}", "/companies/?q=%22%3E%3Cscript%3E", f"/companies/{company.id}/edit"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert RAW not in body, f"{url} renders the name as markup"
        assert ESCAPED in body or "&#34;&gt;&lt;script&gt;" in body, f"{url} does not show the name"
    for rule, _ in routes(web, {"GET"}):
        if "export" not in rule.endpoint:
            continue
        response = client.get(url_for_rule(rule))
        if response.mimetype == "text/html":
            assert RAW not in response.get_data(as_text=True), rule.rule
        else:
            assert response.mimetype not in ("text/html", "application/xhtml+xml"), rule.rule
            assert response.headers.get("X-Content-Type-Options") == "nosniff", rule.rule
