import pytest

from tracker.rules import cultivation as c


@pytest.mark.parametrize("src,dst", [
    ("pool", "key"), ("key", "submitted"), ("key", "pool"), ("submitted", "recognized"),
])
def test_allowed_moves(src, dst):
    assert c.check_move(src, dst).to_status == dst


@pytest.mark.parametrize("src", ["pool", "key", "submitted"])
def test_withdraw_from_any_open_status_needs_a_reason(src):
    with pytest.raises(c.MoveRefused, match="须填写原因"):
        c.check_move(src, "withdrawn")
    assert c.check_move(src, "withdrawn", reason="企业放弃申报").to_status == "withdrawn"


@pytest.mark.parametrize("src,dst,fragment", [
    ("pool", "submitted", "不能从“储备”直接变更为“已申报”"),
    ("pool", "recognized", "可变更为：重点培育、退出"),
    ("recognized", "pool", "终结状态"),
    ("withdrawn", "key", "新建培育记录"),
    ("key", "key", "已处于"),
    ("key", "nonsense", "未知"),
])
def test_refused_moves_say_why(src, dst, fragment):
    with pytest.raises(c.MoveRefused) as info:
        c.check_move(src, dst, reason="x")
    assert fragment in info.value.message


def test_rejection_requires_reason():
    with pytest.raises(c.MoveRefused):
        c.check_move("submitted", "rejected", reason="  ")


def test_reopen_only_closed_unsuccessful():
    assert c.can_reopen("rejected") and c.can_reopen("withdrawn")
    assert not c.can_reopen("recognized") and not c.can_reopen("key")


def test_move_path_goes_through_the_steps_the_table_allows():
    assert c.move_path("pool", "submitted") == ["key", "submitted"]
    assert c.move_path("pool", "recognized") == ["key", "submitted", "recognized"]
    assert c.move_path("key", "withdrawn", reason="企业放弃") == ["withdrawn"]


@pytest.mark.parametrize("current, wanted, message", [
    ("recognized", "pool", "终结状态"),
    ("submitted", "pool", "不能从“已申报”直接变更为“储备”"),
    ("pool", "rejected", "须填写原因"),
])
def test_move_path_refuses_with_the_reason_of_the_table(current, wanted, message):
    with pytest.raises(c.MoveRefused) as refused:
        c.move_path(current, wanted)
    assert message in refused.value.message
