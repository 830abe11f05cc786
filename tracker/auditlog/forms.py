"""Audit log filter form: shape only."""

from wtforms import DateField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from tracker.companies.forms import MAX_ID, MAX_PAGE
from tracker.web.forms import Form


class AuditFilterForm(Form):
    """Query arguments of the audit log: company, user and a date range (Asia/Shanghai days)."""

    class Meta:
        csrf = False

    company_id = IntegerField("企业编号", validators=[Optional(), NumberRange(min=1, max=MAX_ID, message="企业编号不正确")])
    company = StringField("企业名称或信用代码", validators=[Optional(), Length(max=100, message="企业名称过长")])
    actor_id = IntegerField("操作人", validators=[Optional(), NumberRange(min=1, max=MAX_ID, message="操作人不正确")])
    date_from = DateField("起始日期", validators=[Optional()], format="%Y-%m-%d")
    date_to = DateField("截止日期", validators=[Optional()], format="%Y-%m-%d")
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])
