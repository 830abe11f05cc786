"""Every export (any route whose endpoint mentions "export") defuses spreadsheet formulas.

Written against app.url_map, so exports added later are covered; with no export yet it passes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import text

from tests.conftest import Factory
from tests.security.routes import routes, url_for_rule
from tracker.extensions import db

FORMULA = "=cmd|' /C calc'!A0"
MARKER = "cmd|' /C calc'"
FORMAT_QUERIES = ("", "?format=csv", "?format=xlsx", "?fmt=csv", "?fmt=xlsx")


def _cells(response) -> tuple[str, list[str]] | None:
    """('csv'|'xlsx', every cell as text) for a spreadsheet response, else None."""
    body = response.get_data()
    if body.startswith(b"PK") or "spreadsheetml" in (response.mimetype or ""):
        book = load_workbook(io.BytesIO(body), read_only=True)
        cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        book.close()
        return "xlsx", cells
    if response.mimetype in ("text/csv", "application/csv") or response.headers.get("Content-Disposition", "").endswith(".csv\""):
        text = body.decode("utf-8-sig")
        return "csv", [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return None


def exports_of(app, factory_world):
    """(url, format, cells) for every export response the administrator can download."""
    client = factory_world
    results = []
    for rule, _ in routes(app, {"GET"}):
        if "export" not in rule.endpoint:
            continue
        base = url_for_rule(rule)
        seen = set()
        for query in FORMAT_QUERIES:
            url = base + (query if "?" not in base else query.replace("?", "&"))
            response = client.get(url)
            assert response.status_code < 500, f"{url} gave {response.status_code}"
            parsed = _cells(response) if response.status_code == 200 else None
            if parsed and (parsed[0], tuple(parsed[1])) not in seen:
                seen.add((parsed[0], tuple(parsed[1])))
                results.append((url, parsed[0], parsed[1]))
    return results


def test_every_export_prefixes_formulas(web, app, factory):
    admin = factory.user("admin")
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer, name=FORMULA, contact_name="+SUM(1,2)", address="@A1")
    factory.designation(company, "hnte", dt.date(2025, 1, 1))
    client = web.test_client()
    client.post("/login", data={"email": admin.email, "password": Factory.PASSWORD})

    for url, kind, cells in exports_of(web, client):
        for cell in cells:
            if MARKER in cell:
                assert cell.startswith("'="), f"{kind} export {url} writes {cell!r} unescaped"
            assert not cell.startswith(("=", "@", "+SUM")), f"{kind} export {url} has a live formula {cell!r}"
        if url.startswith("/companies"):
            assert any(MARKER in cell for cell in cells), f"the company export {url} lacks the company"


# PAIR: issue 12 item 12 (webhard helper). Fails until tracker/services/exports.py writes any stored
# value (the owner of exports.py makes it pass; the lead pairs the two). Data stored before the import
# and form text rules existed may hold control characters, which openpyxl refuses (IllegalCharacterError).
def test_every_export_survives_control_characters_already_stored(web, app, factory):
    admin = factory.user("admin")
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer, name="控制字符企业")
    db.session.execute(text("UPDATE company SET name = :name, address = :address WHERE id = :id"),
                       {"name": "控制\x1b字符\x07企业", "address": "地址\x0b第二行", "id": company.id})
    db.session.commit()
    client = web.test_client()
    client.post("/login", data={"email": admin.email, "password": Factory.PASSWORD})
    results = exports_of(web, client)  # asserts every export answers below 500
    company_cells = [cell for url, _, cells in results if url.startswith("/companies") for cell in cells]
    assert any("控制" in cell and "企业" in cell for cell in company_cells), "the company is missing from its export"
