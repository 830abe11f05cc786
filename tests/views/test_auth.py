import pytest

from tracker import create_app
from tracker.services.accounts.users import set_active


def test_login_page_is_chinese_and_has_the_stable_field_names(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html and "登录" in html


def test_login_and_logout(client, auth, factory):
    user = factory.user("officer")
    response = auth.login(user)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/", follow_redirects=True).status_code == 200  # officers land on My work (/work/)
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_gives_a_message(client, auth, factory):
    user = factory.user("officer")
    html = auth.login(user, password="nope").get_data(as_text=True)
    assert "邮箱或密码错误" in html


def test_deactivated_user_cannot_log_in(client, auth, factory):
    admin = factory.user("admin")
    user = factory.user("officer")
    set_active(admin, user, False)
    assert "邮箱或密码错误" in auth.login(user).get_data(as_text=True)


def test_copied_cookie_is_dead_after_logout(app, factory):
    user = factory.user("officer")
    first = app.test_client()
    first.post("/login", data={"email": user.email, "password": factory.PASSWORD, "remember": "y"})
    cookies = {c.key: c.value for c in first._cookies.values()}
    assert "session" in cookies and "remember_token" in cookies
    first.post("/logout")
    thief = app.test_client()
    for key, value in cookies.items():
        thief.set_cookie(key, value)
    assert thief.get("/").status_code == 302  # anonymous again


@pytest.mark.parametrize("target", [
    "//evil.example", "////evil.example", "\\\\\\evil.example", "/\\evil.example", "javascript:alert(1)",
    "%2F%2Fevil.example", "/%5Cevil.example", "https://evil.example/", "/%09/evil.example", "%252F%252Fevil.example",
    "JaVaScRiPt:alert(1)", "%6A%61%76%61%73%63%72%69%70%74%3Aalert(1)", "/%2F/evil.example", "%5C%5Cevil.example",
    "/%5C/evil.example", "%2F%5Cevil.example", "data:text/html;base64,PHNjcmlwdD4=", " //evil.example",
    "%20%2F%2Fevil.example", "\t//evil.example", "%0D%0A//evil.example", "/%0A/evil.example", "HTTPS://evil.example",
    "https:evil.example", "/%252F%252Fevil.example", "%2525252F%2525252Fevil.example", "%E3%80%80//evil.example",
    "%00//evil.example", "evil.example", "//evil.example@localhost", "/.//evil.example/..",
    "/%2525252F%2525252Fevil.example", "/%0B//evil.example", "/%E2%80%AE//evil.example",
])
def test_next_never_leaves_the_site(client, factory, target):
    user = factory.user("officer")
    response = client.post(f"/login?next={target}", data={"email": user.email, "password": factory.PASSWORD})
    if "%00" in target or "%0B" in target:
        assert response.status_code == 400  # control characters are refused before anything else
        return
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_same_site_path_is_kept(client, factory):
    user = factory.user("officer")
    response = client.post("/login?next=/companies/%3Fq%3D1", data={"email": user.email, "password": factory.PASSWORD})
    assert response.headers["Location"] == "/companies/?q=1"


def test_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
