"""Bad input never gives a 500 nor a partial write (property-based, with hypothesis).

Every route of app.url_map is exercised as an administrator with real ids: GET routes with hostile
query strings, state-changing routes with the fields of the form that posts to them (found by
rendering every page), each field replaced by random or hostile values; /api/ routes also get JSON.
A refused request (4xx, or a page re-rendered with errors) must leave every table's row count as it
was. Bounded: FUZZ_EXAMPLES random examples per route and method (default 6), no shrinking.
"""

from __future__ import annotations

import os
import traceback
from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from tests.conftest import base_config
from tests.security.routes import (
    ADMIN_EMAIL, ADMIN_PASSWORD, STATE_CHANGING, build_world, real_id, routes, row_counts, url_for_rule,
)
from tracker import create_app
from tracker.extensions import db
from tracker.models import User

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SKIP = {"auth.logout"}  # would end the session under test; covered in test_sessions
QUERY_NAMES = ["q", "page", "sort", "dir", "district", "industry", "stage", "status", "year", "as_of", "on",
               "format", "fmt", "kind", "officer_id", "company_id", "from", "to", "rung", "code", "next",
               "date_from", "date_to",
               # url_for's reserved keywords: a helper passing the query string on must drop them.
               "_anchor", "_method", "_scheme", "_external"]
HUGE = "9" * 309  # int() takes it; float() of it overflows (WTForms' NumberRange did that: a 500)

HOSTILE = [
    "", " ", "\x00", "a\x00b", "💥🏭企业😀", "x" * 100_000, "中" * 5000, "-1", "0", "-99999999999999999999999",
    "99999999999999999999999", "1e309", "NaN", "-inf", "3.14159", "2024-02-30", "0000-00-00", "2024-13-45",
    "9999-12-31", "0001-01-01", "31/12/2024", "' OR 1=1 --", "'; DROP TABLE company; --", "1; SELECT pg_sleep(5)",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}", "../../etc/passwd", "%00%2e%2e",
    "\r\n\r\nX-Injected: 1", "true", "null", "[]", "{\"a\": 1}", "１２３", "٣", "\u202e", "  padded  ",
    HUGE, "-" + HUGE, "1" * 5000, str(2**63), str(2**31), "\u200b", "\u202e公司名称", "名称\r\n第二行", "\x85", "\u2028",
]
ALL_FIELDS_AT_ONCE = ["", "\x00", "x" * 100_000, "💥🏭企业😀", "-99999999999999999999999", "2024-02-30",
                      "'; DROP TABLE company; --", '"><img src=x onerror=alert(1)>',
                      HUGE, "0001-01-01", "9999-12-31", "\u202e\u200b", "a\r\nb"]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.integers(-10**20, 10**20).map(str),
    st.integers(2**63, 10**400).map(str),
    st.sampled_from(["0001-01-01", "9999-12-31", "1899-12-31", "2100-01-01"]),
    st.dates().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


class _Forms(HTMLParser):
    """The forms of a page: {(method, action): {field: current value}}."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: dict[tuple[str, str], dict[str, str]] = {}
        self._current: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_url).path
            self._current = self.forms.setdefault(((a.get("method") or "get").upper(), action), {})
        elif self._current is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._current.setdefault(a["name"], "")
                return
            self._current[a["name"]] = a.get("value", "y" if kind == "checkbox" else "")
        elif tag == "select":
            self._select = a["name"]
            self._current.setdefault(a["name"], "")
        elif tag == "option" and self._select:
            if not self._current.get(self._select) or "selected" in a:
                self._current[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._current[a["name"]] = ""

    def handle_data(self, data):
        if self._textarea and self._current is not None:
            self._current[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _login(client):
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 302, "the administrator cannot sign in"


def _heal(client):
    """Undo what successful fuzzed requests did that would hide later routes (deleted, deactivated)."""
    db.session.rollback()
    db.session.execute(text("UPDATE company SET deleted_at = NULL WHERE deleted_at IS NOT NULL"))
    db.session.execute(text('UPDATE "user" SET active = :yes'), {"yes": True})
    db.session.commit()
    if client.get("/companies/").status_code != 200:
        _login(client)


def _describe(method, url, payload, how):
    values = set(map(str, (payload or {}).values()))
    if len(payload or {}) > 1 and len(values) == 1:
        shown = f"every field = {next(iter(values))[:40]!r}"
    else:
        shown = repr({k: (v[:40] + f"...({len(v)} chars)" if isinstance(v, str) and len(v) > 40 else v)
                      for k, v in (payload or {}).items()})[:300]
    return f"{method} {url} {how} {shown}"


def _crawl(client, get_routes) -> dict[tuple[str, str], dict[str, str]]:
    """Render every GET page and collect the forms on it, keyed by (method, action path)."""
    forms: dict[tuple[str, str], dict[str, str]] = {}
    for rule, _ in get_routes:
        url = url_for_rule(rule, _overrides())
        try:
            response = client.get(url)
        except Exception:  # noqa: BLE001  (reported by the GET pass itself)
            continue
        if response.status_code == 200 and response.mimetype == "text/html":
            parser = _Forms(url)
            parser.feed(response.get_data(as_text=True))
            for key, fields in parser.forms.items():
                forms.setdefault(key, {}).update(fields)
    return forms


def _overrides() -> dict[str, int]:
    # The administrator must not fuzz their own account out of existence; use an officer's.
    officer_id = db.session.scalar(select(User.id).where(User.role == "officer").order_by(User.id))
    return {"user_id": officer_id or real_id("user_id")}


def _report(failures, key, message):
    # One line per route and kind of failure: the first input that showed it.
    failures.setdefault(key, message)


def _check(client, method, url, payload, how, failures, is_api):
    before = row_counts() if method != "GET" else None
    try:
        if method == "GET":
            response = client.get(url, query_string=payload)
        elif how == "json":
            response = client.open(url, method=method, json=payload)
        else:
            response = client.open(url, method=method, data=payload)
    except Exception as exc:  # noqa: BLE001  (TESTING propagates what would be a 500)
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if ("/tracker/" in f.filename or "/templates/" in f.filename)] or frames
        where = "/".join(ours[-1].filename.rsplit("/", 2)[-2:]) + f":{ours[-1].lineno}"
        _report(failures, (method, url, type(exc).__name__, where),
                f"{_describe(method, url, payload, how)} raised {type(exc).__name__}: {str(exc)[:120]} at {where}")
        db.session.rollback()
        return
    status = response.status_code
    if status >= 500:
        _report(failures, (method, url, status), f"{_describe(method, url, payload, how)} gave {status}")
        return
    if method == "GET":
        return
    body = response.get_data(as_text=True) if response.mimetype in ("text/html", "application/json") else ""
    refused = status >= 400 or (status == 200 and not is_api and ("is-invalid" in body or "alert-danger" in body))
    if refused and row_counts() != before:
        _report(failures, (method, url, "write"), f"{_describe(method, url, payload, how)} gave {status} but wrote rows")
    if status >= 400 and response.mimetype == "text/html" and status not in (404, 405):
        # A refusal says why, in Chinese (the error page or the form's messages).
        if not any("\u4e00" <= ch <= "\u9fff" for ch in body):
            _report(failures, (method, url, "message"), f"{_describe(method, url, payload, how)} gave {status} without a message")


def _fuzz(client, method, url, baseline, names, how, failures, is_api):
    """Random changes to the form's own values: up to 8 fields replaced per example."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(names), VALUES, max_size=min(len(names), 8)))
    def fuzz(changes):
        _check(client, method, url, {**baseline, **changes}, how, failures, is_api)

    fuzz()


def test_bad_input_never_gives_a_500_or_a_partial_write(app, database_url):
    build_world()
    fuzz_app = create_app(dict(base_config(database_url), LOGIN_FAILURES_PER_ACCOUNT=10**6,
                               LOGIN_FAILURES_PER_IP=10**6))
    client = fuzz_app.test_client()
    failures: dict[tuple, str] = {}
    try:
        _login(client)
        get_routes = [(r, m) for r, m in routes(fuzz_app, {"GET"}) if r.endpoint not in SKIP]
        forms = _crawl(client, get_routes)
        pool = sorted({name for fields in forms.values() for name in fields if name != "csrf_token"})
        targets = [(r, m) for r, m in routes(fuzz_app, {"GET"} | STATE_CHANGING) if r.endpoint not in SKIP]
        assert len(targets) >= 20

        for rule, method in targets:
            url = url_for_rule(rule, _overrides())
            is_api = rule.rule.startswith("/api/")
            if method == "GET":
                names = sorted(set(QUERY_NAMES) | set(forms.get(("GET", urlsplit(url).path), {})))
                baseline: dict[str, str] = {}
            else:
                baseline = dict(forms.get((method, url), {}))
                baseline.pop("csrf_token", None)
                names = sorted(baseline) or pool
            hows = ("json", "form") if is_api and method != "GET" else ("form",)

            for how in hows:
                for value in ALL_FIELDS_AT_ONCE:
                    _check(client, method, url, {name: value for name in names}, how, failures, is_api)

                _fuzz(client, method, url, baseline, names, how, failures, is_api)
            _heal(client)
    finally:
        with fuzz_app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert not failures, f"{len(failures)} bad-input failures:\n" + "\n".join(list(failures.values())[:40])


def test_ids_beyond_the_database_range_are_not_found(web, app):
    """Every <int:> argument of every route, at 2**63 and at 309 digits: 404, for every method."""
    build_world()
    client = web.test_client()
    _login(client)
    checked = 0
    failures = []
    for rule, method in routes(web, {"GET"} | STATE_CHANGING):
        if rule.endpoint in SKIP:
            continue
        for arg, converter in rule._converters.items():
            if type(converter).__name__ != "DatabaseIntConverter":
                continue
            for huge in (2**31, 2**63, 10**309):
                url = url_for_rule(rule, {**_overrides(), arg: huge})
                try:
                    status = client.open(url, method=method, data={}).status_code
                except Exception as exc:  # noqa: BLE001  (TESTING propagates what would be a 500)
                    status = f"{type(exc).__name__}: {exc}"
                if status != 404:
                    failures.append(f"{method} {url[:80]} gave {status}")
                checked += 1
    assert checked >= 20
    assert not failures, "\n".join(failures[:40])


def test_reserved_url_for_keys_in_the_query_string_are_ignored(web, app):
    """?_anchor= / _method= / _scheme= / _external= passed through the pagination and sorting links."""
    build_world()
    client = web.test_client()
    _login(client)
    hostile = {"_anchor": "x\"><script>", "_method": "DELETE", "_scheme": "javascript", "_external": "1", "sort": "name"}
    for url in ("/companies/", "/audit/", "/cultivation/workload", "/cultivation/funnel"):
        response = client.get(url, query_string=hostile)
        assert response.status_code == 200, url
        assert "javascript:" not in response.get_data(as_text=True)
    assert int(
        client.get("/companies/", query_string={"page": HUGE}).status_code) in (200, 400)


def test_dates_at_the_ends_of_the_calendar_are_refused_with_a_message(web, app):
    """0001-01-01 and 9999-12-31 overflowed the Asia/Shanghai day arithmetic of the audit log (a 500)."""
    build_world()
    client = web.test_client()
    _login(client)
    for query in ({"date_from": "0001-01-01"}, {"date_to": "9999-12-31"},
                  {"date_from": "0001-01-01", "date_to": "9999-12-31"}):
        response = client.get("/audit/", query_string=query)
        assert response.status_code == 200, query
        body = response.get_data(as_text=True)
        assert body.count("日期应在 1900-01-01 至 2099-12-31 之间") == len(query), query
    # An id beyond the database's range is ignored like any other bad filter (the list is shown).
    assert client.get("/audit/", query_string={"company_id": HUGE, "actor_id": HUGE}).status_code == 200


def test_nul_bytes_are_refused_with_a_message(web, app):
    """PostgreSQL cannot store NUL; every route refuses it up front instead of failing in SQL."""
    build_world()
    client = web.test_client()
    _login(client)
    before = row_counts()
    for response in (
        client.get("/companies/?q=a%00b"),
        client.post("/login", data={"email": "a\x00@example.com", "password": "x"}),
        client.post(f"/companies/{real_id('company_id')}/delete", data={"reason": "\x00"}),
        client.post("/companies/new", json={"name": ["\x01"]}),
    ):
        assert response.status_code == 400
        assert "控制字符" in response.get_data(as_text=True)
    assert client.get("/companies/?q=%E4%BC%81%E4%B8%9A%09").status_code == 200  # a tab is fine
    assert row_counts() == before
