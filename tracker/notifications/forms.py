"""Notification forms (shape only)."""

from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from tracker.models.channel import CITY, DINGTALK, WECOM
from tracker.models.user import ROLE_NAMES
from tracker.rules.channels import ANY_KIND, MODE_NAMES
from tracker.rules.districts import DISTRICTS
from tracker.rules.reminders import KIND_NAMES
from tracker.services.notifications.channel_prefs import CHOOSABLE_KINDS
from tracker.services.notifications.inbox import NOTIFY_MODES
from tracker.web.forms import Form

MODE_CHOICES = list(MODE_NAMES.items())


def mode_field_name(kind: str) -> str:
    return "mode_" + ("any" if kind == ANY_KIND else kind)


def default_field_name(role: str, kind: str) -> str:
    return f"default_{role}_" + ("any" if kind == ANY_KIND else kind)


class PreferencesForm(Form):
    notify_mode = RadioField("非紧急提醒的接收方式", choices=list(NOTIFY_MODES.items()),
                             validators=[InputRequired("请选择提醒方式")])
    digest_opt_out = BooleanField("不接收每周摘要 / 月报邮件")
    submit = SubmitField("保存")

    def mode_fields(self):
        """(kind, field) of the channel choice per kind, in the order of CHOOSABLE_KINDS."""
        return [(kind, self[mode_field_name(kind)]) for kind in CHOOSABLE_KINDS]


# One channel choice per kind; "" follows the role default (the view names it in the first choice).
for _kind in CHOOSABLE_KINDS:
    setattr(PreferencesForm, mode_field_name(_kind), SelectField(
        KIND_NAMES[_kind], choices=[("", "按默认")] + MODE_CHOICES, default="", validators=[Optional()],
    ))


class ChannelDefaultsForm(Form):
    """Administrators' default channel per role and kind ("*" row: every kind without its own)."""

    submit = SubmitField("保存默认接收方式")

    def rows(self):
        """(kind, label, [(role, field)]) for the table, "*" first."""
        return [(kind, label, [(role, self[default_field_name(role, kind)]) for role in ROLE_NAMES])
                for kind, label in [(ANY_KIND, "所有类型（未单独设置时）")] + [(k, KIND_NAMES[k]) for k in CHOOSABLE_KINDS]]


for _kind in [ANY_KIND] + CHOOSABLE_KINDS:
    for _role, _role_name in ROLE_NAMES.items():
        setattr(ChannelDefaultsForm, default_field_name(_role, _kind), SelectField(
            f"{_role_name}：{KIND_NAMES.get(_kind, '所有类型')}", choices=[("", "未设置")] + MODE_CHOICES,
            default="", validators=[Optional()],
        ))


class RobotForm(Form):
    """Add (or replace) a group robot of a district or of the city."""

    kind = SelectField("机器人类型", choices=[(WECOM, "企业微信 / 政务微信群机器人"), (DINGTALK, "钉钉群机器人")],
                       validators=[InputRequired("请选择机器人类型")])
    scope = SelectField("范围", choices=[(CITY, "全市")] + [(d.code, d.name) for d in DISTRICTS],
                        validators=[InputRequired("请选择辖区或全市")])
    url = StringField("Webhook 地址", validators=[
        InputRequired("请填写机器人的 Webhook 地址"), Length(max=1000, message="地址过长"),
        Regexp(r"^https?://\S+$", message="Webhook 地址应以 https:// 开头，不能含空格")])
    secret = PasswordField("加签密钥（仅钉钉）", validators=[Optional(), Length(max=200, message="密钥过长")])
    submit = SubmitField("保存机器人")

    def validate_secret(self, field):
        if field.data and self.kind.data == WECOM:
            raise ValidationError("企业微信群机器人没有加签密钥，请留空")
