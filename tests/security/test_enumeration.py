"""Account enumeration by timing (issue 12 item 10): every refused sign-in costs one password hash.

A wrong password for a real account took ~124 ms (scrypt), an unknown address ~6 ms, so the time
of a refusal told whether the address has an account. The test counts key derivations
(hashlib.scrypt, what werkzeug's check_password_hash runs), not time.
"""

from __future__ import annotations

import hashlib

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import Factory
from tracker.services.accounts import users
from tracker.services.accounts.users import set_active


@pytest.fixture
def scrypt_calls(monkeypatch):
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(kwargs.get("n"))
        return real(*args, **kwargs)

    users.authenticate("warm-up@example.com", "x")  # the dummy hash is made once per process
    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def test_every_refusal_costs_one_hash_like_a_real_check(app, factory, scrypt_calls):
    admin = factory.user("admin")
    known = factory.user("officer", email="known@example.com")
    gone = factory.user("officer", email="gone@example.com")
    set_active(admin, gone, False)

    outcomes = {}
    for label, email, password in (
        ("right password", "known@example.com", Factory.PASSWORD),
        ("wrong password", "known@example.com", "wrong-password"),
        ("unknown address", "nobody@example.com", "wrong-password"),
        ("inactive account", "gone@example.com", Factory.PASSWORD),
        ("empty password", "nobody@example.com", ""),
    ):
        scrypt_calls.clear()
        user = users.authenticate(email, password)
        outcomes[label] = (user is not None, list(scrypt_calls))
    assert outcomes["right password"][0] is True
    assert not any(ok for label, (ok, _) in outcomes.items() if label != "right password")
    work = {label: calls for label, (_, calls) in outcomes.items()}
    # One derivation each, with the same cost parameter as a real account's hash.
    assert all(len(calls) == 1 for calls in work.values()), work
    assert len({calls[0] for calls in work.values()}) == 1, work
    assert known.password_hash.startswith(f"scrypt:{work['wrong password'][0]}:")


def test_the_dummy_hash_is_made_like_real_ones(app):
    dummy = users._dummy_hash()
    real = generate_password_hash("anything", method="scrypt")
    assert dummy.split("$")[0] == real.split("$")[0]  # same method and parameters


def test_the_login_page_answers_alike(client, factory, scrypt_calls):
    factory.user("officer", email="known@example.com")
    pages = []
    for email in ("known@example.com", "nobody@example.com"):
        scrypt_calls.clear()
        response = client.post("/login", data={"email": email, "password": "wrong-password"})
        pages.append((response.status_code, len(scrypt_calls), "邮箱或密码错误" in response.get_data(as_text=True)))
    assert pages[0] == pages[1] == (200, 1, True)
