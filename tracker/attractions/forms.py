"""Attraction forms: shape only; channels, officers, dates and credit codes are checked by the service."""

from __future__ import annotations

from wtforms import BooleanField, DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.rules import attraction as rules
from tracker.rules.districts import INDUSTRIES
from tracker.web.forms import Form
from tracker.web.once import OnceForm

_DATE = "日期格式应为 YYYY-MM-DD"


def _version(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ProjectForm(OnceForm, Form):
    """A project's record (not its status)."""

    name = StringField("项目名称", validators=[DataRequired("请填写项目名称"), Length(max=200, message="不超过200个字")])
    channel = SelectField("招引渠道", validators=[DataRequired("请选择招引渠道")])
    source = StringField("来源", validators=[Optional(), Length(max=64, message="不超过64个字")])
    district = SelectField("所属辖区", validators=[DataRequired("请选择所属辖区")])
    lead_officer_id = SelectField("负责人", coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                                  validators=[Optional()])
    lead_on = DateField("线索日期", validators=[DataRequired(_DATE)], format="%Y-%m-%d")
    expected_capital = DecimalField("预计注册资本（万元）", places=2, validators=[Optional(), NumberRange(min=0, message="不能为负数")])
    industry = SelectField("产业领域", choices=[("", "请选择")] + [(i, i) for i in INDUSTRIES], validators=[Optional()])
    description = TextAreaField("项目情况", validators=[Optional(), Length(max=4000, message="不超过4000个字")])
    version = HiddenField()
    submit = SubmitField("保存")

    def data_for_service(self) -> dict:
        """The typed values by field name, for tracker.services.attractions.projects."""
        return {
            "name": self.name.data, "channel": self.channel.data, "source": self.source.data or None,
            "district": self.district.data, "lead_officer_id": self.lead_officer_id.data,
            "lead_on": self.lead_on.data, "expected_capital": self.expected_capital.data,
            "industry": self.industry.data or None, "description": self.description.data or None,
        }

    @property
    def version_number(self) -> int | None:
        return _version(self.version.data)


class NoteForm(OnceForm, Form):
    """A weekly follow-up note (周跟进)."""

    noted_on = DateField("跟进日期", validators=[DataRequired(_DATE)], format="%Y-%m-%d")
    content = TextAreaField("跟进情况", validators=[DataRequired("请填写跟进情况"), Length(max=4000, message="不超过4000个字")])
    next_step = TextAreaField("下一步计划", validators=[Optional(), Length(max=4000, message="不超过4000个字")])
    submit = SubmitField("保存跟进记录")


class MoveForm(Form):
    """Move to 在谈, 签约 or 终止 on a date (终止: with a reason)."""

    status = SelectField("变更为", choices=[(s, rules.STATUS_NAMES[s]) for s in (rules.TALKING, rules.SIGNED, rules.DROPPED)],
                         validators=[DataRequired("请选择状态")])
    on = DateField("日期", validators=[DataRequired(_DATE)], format="%Y-%m-%d")
    reason = StringField("终止原因（终止时必填）", validators=[Optional(), Length(max=500, message="不超过500个字")])
    version = HiddenField()
    submit = SubmitField("变更状态")

    @property
    def version_number(self) -> int | None:
        return _version(self.version.data)


class SettleForm(Form):
    """落户: the company the project became (matched by credit code, else created)."""

    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=40, message="代码过长")])
    company_name = StringField("企业名称", validators=[DataRequired("请填写企业名称"), Length(max=200, message="不超过200个字")])
    settled_on = DateField("落户日期", validators=[DataRequired(_DATE)], format="%Y-%m-%d")
    actual_capital = DecimalField("实际注册资本（万元）", places=2, validators=[Optional(), NumberRange(min=0, message="不能为负数")])
    version = HiddenField()
    submit = SubmitField("确认落户")

    @property
    def version_number(self) -> int | None:
        return _version(self.version.data)


class DeleteForm(Form):
    """Soft delete with an optional reason kept in the audit row."""

    reason = StringField("删除原因", validators=[Optional(), Length(max=500, message="不超过500个字")])
    submit = SubmitField("删除项目")


class FilterForm(Form):
    """List filters, read from the query string."""

    class Meta:
        csrf = False

    q = StringField("项目名称", validators=[Optional(), Length(max=100)])
    channel = SelectField("招引渠道", validators=[Optional()])
    status = SelectField("状态", choices=[("", "全部状态")] + list(rules.STATUS_NAMES.items()), validators=[Optional()])
    district = SelectField("辖区", validators=[Optional()])
    stalled = BooleanField("仅看本周未跟进")


class PeriodForm(Form):
    """Weekly view and funnel: a day (the week or the as-of date), a district for administrators."""

    class Meta:
        csrf = False

    day = DateField("日期", validators=[Optional()], format="%Y-%m-%d")
    year = IntegerField("年度", validators=[Optional(), NumberRange(min=2000, max=2099, message="年度应在2000—2099之间")])
    district = SelectField("辖区", validators=[Optional()])


class ChannelForm(Form):
    """A new channel (administrators)."""

    code = StringField("渠道代码（英文小写，如 incubator_east）", validators=[DataRequired("请填写渠道代码"), Length(max=16, message="不超过16个字符")])
    name = StringField("渠道名称", validators=[DataRequired("请填写渠道名称"), Length(max=32, message="不超过32个字")])
    sort = IntegerField("排序（小的在前）", default=100, validators=[Optional(), NumberRange(min=0, max=9999, message="应在0—9999之间")])
    submit = SubmitField("新增渠道")


class ChannelEditForm(Form):
    """Rename, reorder, retire a channel (administrators)."""

    name = StringField("渠道名称", validators=[DataRequired("请填写渠道名称"), Length(max=32, message="不超过32个字")])
    sort = IntegerField("排序", validators=[Optional(), NumberRange(min=0, max=9999, message="应在0—9999之间")])
    active = BooleanField("启用")
    submit = SubmitField("保存")
