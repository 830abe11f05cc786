"""Request bodies are bounded by MAX_CONTENT_LENGTH: 413 with a Chinese message, nothing written."""

from __future__ import annotations

import io

from tests.conftest import Factory
from tests.security.routes import routes, row_counts, url_for_rule


def test_oversized_bodies_get_413_with_a_chinese_message(web, app, factory):
    admin = factory.user("admin")
    factory.company("wujin")
    client = web.test_client()
    client.post("/login", data={"email": admin.email, "password": Factory.PASSWORD})
    web.config["MAX_CONTENT_LENGTH"] = 4096
    before = row_counts()

    login = web.test_client().post("/login", data={"email": "a@example.com", "password": "x" * 10_000})
    assert login.status_code == 413 and "上传的文件过大" in login.get_data(as_text=True)

    checked = 0
    for rule, method in routes(web, {"POST"}):
        if rule.endpoint == "auth.logout":
            continue
        url = url_for_rule(rule)
        upload = {"file": (io.BytesIO(b"PK" + b"\0" * 20_000), "big.xlsx"), "name": "x"}
        response = client.open(url, method=method, data=upload, content_type="multipart/form-data")
        if "import" in rule.endpoint:
            assert response.status_code == 413, f"{url} accepted an oversized upload"
        assert response.status_code in (413, 400, 403, 404, 405) or response.status_code < 400, url
        if response.status_code == 413:
            body = response.get_data(as_text=True)
            assert "上传的文件过大" in body or "过大" in body, url
            checked += 1
    assert checked >= 5
    api = client.post("/api/v1/nothing-here", data=b"x" * 10_000, content_type="application/json")
    assert api.status_code in (404, 405, 413)
    assert row_counts() == before
