"""Company forms: shape only; the credit code's meaning is checked by the service."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from tracker.rules.districts import DISTRICTS, INDUSTRIES


def district_choices(blank: str | None = None):
    choices = [(d.code, d.name) for d in DISTRICTS]
    return ([("", blank)] if blank is not None else []) + choices


class CompanyForm(FlaskForm):
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=40, message="统一社会信用代码过长")])
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称"), Length(max=200, message="企业名称不超过200字")])
    district = SelectField("所属辖区", choices=district_choices("请选择"), validators=[DataRequired("请选择所属辖区")])
    industry = SelectField("产业领域", choices=[("", "请选择")] + [(i, i) for i in INDUSTRIES], validators=[Optional()])
    founded_on = DateField("成立日期", validators=[Optional()], format="%Y-%m-%d")
    attracted_on = DateField("招引落户日期", validators=[Optional()], format="%Y-%m-%d")
    attraction_channel = StringField("招引渠道", validators=[Optional(), Length(max=64)])
    address = StringField("地址", validators=[Optional(), Length(max=255)])
    contact_name = StringField("联系人", validators=[Optional(), Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=32)])
    accept_bad_check = BooleanField("确认录入校验位错误的早期代码（仅管理员）")
    version = HiddenField()
    submit = SubmitField("保存")

    def data_for_service(self) -> dict:
        return {
            "uscc": self.uscc.data, "name": self.name.data, "district": self.district.data,
            "industry": self.industry.data or None, "founded_on": self.founded_on.data,
            "attracted_on": self.attracted_on.data, "attraction_channel": self.attraction_channel.data or None,
            "address": self.address.data or None, "contact_name": self.contact_name.data or None,
            "contact_phone": self.contact_phone.data or None,
        }


class DeleteForm(FlaskForm):
    reason = StringField("删除原因", validators=[Optional(), Length(max=200)])
    submit = SubmitField("删除")


class ListFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("名称或信用代码", validators=[Optional(), Length(max=100)])
    district = SelectField("辖区", choices=district_choices("全部辖区"), validators=[Optional()])
    industry = SelectField("产业领域", choices=[("", "全部领域")] + [(i, i) for i in INDUSTRIES], validators=[Optional()])
    stage = SelectField("阶段", validators=[Optional()])
    page = IntegerField(validators=[Optional()])
