"""safe_next on raw values (what the login and reauthenticate views pass it), beyond the URL forms in tests/views/test_auth.py."""

import pytest

from tracker.auth.redirects import safe_next


@pytest.mark.parametrize("target", [
    "\x00//evil.example", "/\x0b/evil.example", "/\x0c/evil.example", "\x0c//evil.example", "/\u3000/evil.example",
    "/\u202e/evil.example", "/%2525252F/evil.example", "/%25252525252F%25252525252F", "/./evil", "/a/../../evil",
    "JAVASCRIPT:alert(1)", "vbscript:msgbox", "\\\\evil.example", "/\\evil.example", "http:/evil.example",
])
def test_unsafe_targets_fall_back_to_the_default(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target, expected", [
    ("/companies/7", "/companies/7"),
    ("/companies/?q=%E4%B8%AD", "/companies/?q=中"),
    ("/admin/users/3", "/admin/users/3"),
    ("/companies/%3Fq%3D1", "/companies/?q=1"),
])
def test_same_site_paths_are_kept(target, expected):
    assert safe_next(target, "/home") == expected
