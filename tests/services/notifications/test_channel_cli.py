"""`flask channels add-robot` and `flask channels list` (issue 14's interface) via the CLI runner."""

from __future__ import annotations

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEvent, ChannelRobot
from tracker.services.notifications.secretbox import unseal

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wujin-key-secret-4321"
DING_URL = "https://oapi.dingtalk.com/robot/send?access_token=city-token-secret-8765"


def run(app, *args):
    return app.test_cli_runner().invoke(args=["channels", *args])


def test_add_robot_and_list_show_masked_urls(app):
    assert "尚未配置群机器人" in run(app, "list").output
    added = run(app, "add-robot", "--kind", "wecom", "--district", "wujin", "--url", WECOM_URL)
    assert added.exit_code == 0 and "已保存企业微信群机器人（武进区）" in added.output and "…4321" in added.output
    assert "wujin-key-secret" not in added.output
    signed = run(app, "add-robot", "--kind", "dingtalk", "--district", "city", "--url", DING_URL, "--secret", "SECabc123")
    assert signed.exit_code == 0 and "已设置加签密钥" in signed.output
    listed = run(app, "list")
    assert listed.exit_code == 0
    assert "武进区（wujin）" in listed.output and "全市（city）" in listed.output and "加签" in listed.output
    assert "wujin-key-secret" not in listed.output and "city-token-secret" not in listed.output
    assert "SECabc123" not in listed.output and "企业微信应用消息：" in listed.output
    [ding] = db.session.scalars(select(ChannelRobot).where(ChannelRobot.kind == "dingtalk")).all()
    assert unseal(ding.url_encrypted) == DING_URL and unseal(ding.secret_encrypted) == "SECabc123"
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))][-2:] == [
        "channel_robot.add", "channel_robot.add"]


def test_add_robot_again_replaces_it(app):
    run(app, "add-robot", "--kind", "wecom", "--district", "wujin", "--url", WECOM_URL)
    again = run(app, "add-robot", "--kind", "wecom", "--district", "wujin", "--url", WECOM_URL + "-b")
    assert again.exit_code == 0
    [robot] = db.session.scalars(select(ChannelRobot)).all()
    assert unseal(robot.url_encrypted) == WECOM_URL + "-b"
    assert run(app, "list").output.count("企业微信群机器人") == 1


def test_add_robot_refusals_exit_2_with_a_chinese_message_and_save_nothing(app):
    cases = [
        (["--kind", "wecom", "--district", "nowhere", "--url", WECOM_URL], "辖区代码“nowhere”不存在"),
        (["--kind", "dingtalk", "--district", "wujin", "--url", DING_URL], "加签"),
        (["--kind", "wecom", "--district", "wujin", "--url", "not-a-url"], "https://"),
        (["--kind", "wecom", "--district", "wujin", "--url", WECOM_URL, "--secret", "SEC1"], "没有加签密钥"),
    ]
    for args, message in cases:
        result = run(app, "add-robot", *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    bad_kind = run(app, "add-robot", "--kind", "sms", "--district", "wujin", "--url", WECOM_URL)
    assert bad_kind.exit_code == 2
    assert not db.session.scalars(select(ChannelRobot)).all()


def test_unsigned_dingtalk_robot_allowed_when_signing_is_not_required(app):
    app.config["DINGTALK_ROBOT_SIGN_REQUIRED"] = False
    result = run(app, "add-robot", "--kind", "dingtalk", "--district", "liyang", "--url", DING_URL)
    assert result.exit_code == 0 and "已设置加签密钥" not in result.output
    assert "未加签" in run(app, "list").output
