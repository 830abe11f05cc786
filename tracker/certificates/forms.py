"""Forms of the HNTE maintenance pages (高企资质维护): shape only.

Whether a filing's year and date make sense, and which certificates may get a track, is decided by
tracker.rules.reminders and tracker.services.certificates, which report it in Chinese.
"""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

from tracker.services.certificates.maintenance import STATUS_FILTERS
from tracker.services.imports.importer import MODE_NAMES
from tracker.web.forms import Form
from tracker.web.once import OnceForm


class MaintenanceFilterForm(Form):
    """The GET filters of the list (no CSRF: it changes nothing); choices are set by the view."""

    class Meta:
        csrf = False

    district = SelectField("辖区", choices=[("", "全部辖区")], validators=[Optional()])
    expiry_year = SelectField("到期年度", choices=[("", "今明两年")], validators=[Optional()])
    status = SelectField(
        "重新认定状态", choices=[("", "全部")] + list(STATUS_FILTERS.items()), validators=[Optional()]
    )
    page = IntegerField(validators=[Optional()])


class AddTracksForm(Form):
    """Create the re-application tracks of the ticked certificates, or of all that lack one."""

    all_missing = HiddenField()
    submit = SubmitField("为勾选的证书补建重新认定培育记录")


class FilingForm(OnceForm, Form):
    """Mark one annual report as filed (报表年度, 报送日期; the date defaults to today)."""

    year = IntegerField("报表年度", validators=[InputRequired("请填写报表年度"), NumberRange(2000, 2100, "报表年度须为四位年份")])
    filed_on = DateField("报送日期", validators=[Optional()])
    back = HiddenField()
    submit = SubmitField("登记已报送")


class RemoveFilingForm(Form):
    """Remove a filing recorded by mistake."""

    year = IntegerField(validators=[InputRequired(), NumberRange(2000, 2100)])
    submit = SubmitField("撤销登记")


class FilingImportForm(Form):
    """Upload a list of filed reports (统一社会信用代码, 年度, 报送日期)."""

    file = FileField("年报报送名单（CSV 或 xlsx：统一社会信用代码、年度、报送日期）", validators=[
        FileRequired("请选择要导入的文件"), FileAllowed(["csv", "xlsx"], "只支持 .csv 或 .xlsx 文件"),
    ])
    mode = SelectField("导入方式", choices=list(MODE_NAMES.items()), default="all")
    dry_run = BooleanField("仅检查，不写入", default=True)
    submit = SubmitField("导入")
