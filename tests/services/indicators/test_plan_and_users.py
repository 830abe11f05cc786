import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import IndicatorTarget, User
from tracker.services.accounts import users
from tracker.services.errors import ServiceError
from tracker.services.indicators import targets


def test_seed_plan_loads_200_rows_idempotently(app, runner):
    result = runner.invoke(args=["seed-plan"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(IndicatorTarget.id))) == 200
    again = runner.invoke(args=["seed-plan"])
    assert "新增 0" in again.output
    assert db.session.scalar(select(func.count(IndicatorTarget.id))) == 200
    assert targets.current_mismatches() == []


def test_editing_a_district_target_raises_the_mismatch_warning(app, runner, factory):
    runner.invoke(args=["seed-plan"])
    admin = factory.user("admin")
    targets.set_target(admin, "hnte_count", 2026, "wujin", 2000)
    assert targets.current_mismatches() == [("hnte_count", 2026, 6800, 6847)]
    officer = factory.user("officer")
    with pytest.raises(ServiceError):
        targets.set_target(officer, "hnte_count", 2026, "wujin", 1)


def test_a_years_targets_are_saved_together_or_not_at_all(app, runner, factory):
    runner.invoke(args=["seed-plan"])
    admin = factory.user("admin")
    before = targets.year_targets(2026)
    unchanged = before[("hnte_count", None)]
    changed = targets.set_year_targets(admin, 2026, {
        ("hnte_count", None): unchanged, ("hnte_count", "wujin"): 2000, ("service_org_count", None): None,
    })
    assert changed == 1 and targets.year_targets(2026)[("hnte_count", "wujin")] == 2000
    with pytest.raises(ServiceError, match="不能为负数"):
        targets.set_year_targets(admin, 2026, {("hnte_count", "wujin"): 1900, ("hnte_count", "liyang"): -1})
    db.session.expire_all()
    assert targets.year_targets(2026)[("hnte_count", "wujin")] == 2000  # the valid value was not kept either


def test_passwords_are_scrypt_hashes_and_authenticate(app, factory):
    user = factory.user("officer")
    assert user.password_hash.startswith("scrypt:")
    assert users.authenticate(user.email.upper(), factory.PASSWORD) == user
    assert users.authenticate(user.email, "wrong") is None


def test_password_change_rotates_session_token(app, factory):
    user = factory.user("officer")
    token = user.session_token
    users.change_password(user, user, "another-password-1")
    assert user.session_token != token


def test_user_validation_messages(app, factory):
    with pytest.raises(ServiceError, match="必须选择所属辖区"):
        users.create_user(None, email="a@example.com", name="a", role="officer", password="long-enough-1")
    with pytest.raises(ServiceError, match="至少需要8位"):
        users.create_user(None, email="a@example.com", name="a", role="admin", password="short")
    factory.user("admin", email="b@example.com")
    with pytest.raises(ServiceError, match="已被使用"):
        users.create_user(None, email="B@example.com", name="b", role="admin", password="long-enough-1")
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_create_user_cli(app, runner):
    result = runner.invoke(args=["create-user", "--email", "cli@example.com", "--role", "manager", "--district", "xinbei", "--password", "cli-password-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "cli@example.com"))
    assert user.district == "xinbei" and user.role == "manager"
    bad = runner.invoke(args=["create-user", "--email", "x@example.com", "--role", "officer", "--password", "cli-password-1"])
    assert bad.exit_code != 0 and "所属辖区" in bad.output
