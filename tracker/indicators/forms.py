"""Indicator forms: shape only (dates, years, choices); meaning is checked by the services."""

from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from tracker.rules.districts import DISTRICT_SHORT_NAMES
from tracker.rules.indicators import INDICATORS, PLAN_YEARS, BadDate, parse_as_of
from tracker.rules.ladder import RUNGS
from tracker.web.forms import Form, district_choices

YEAR_CHOICES = [(year, f"{year}年") for year in PLAN_YEARS]


def _check_date(form, field) -> None:
    try:
        parse_as_of(field.data, default=None)
    except BadDate as exc:
        raise ValidationError(exc.message) from None


class WholeNumberField(IntegerField):
    """An integer field whose parse error is in Chinese."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError("请填写整数") from None
        else:
            self.data = None


class DashboardForm(Form):
    """Year, as-of date and (administrators) district of the dashboard; read from the query string."""

    class Meta:
        csrf = False

    year = SelectField("年度", choices=YEAR_CHOICES, coerce=int, validators=[Optional()])
    as_of = StringField("截至日期", validators=[Optional(), Length(max=20), _check_date])
    district = SelectField("辖区", choices=district_choices(blank="全市"), validators=[Optional()])


class DrillForm(Form):
    """Which figure to list: indicator, as-of date, district; read from the query string."""

    class Meta:
        csrf = False

    # Unknown codes and districts are refused by the service with a Chinese message (404/403).
    code = SelectField("指标", choices=[(i.code, i.name) for i in INDICATORS], validate_choice=False, validators=[DataRequired("请选择指标")])
    as_of = StringField("截至日期", validators=[Optional(), Length(max=20), _check_date])
    district = SelectField("辖区", choices=district_choices(blank="全部"), validate_choice=False, validators=[Optional()])
    channel = StringField("招引渠道", validators=[Optional(), Length(max=16)])  # indicator 5 only; checked by the service


class CohortForm(Form):
    """Entry rung, entry year and by-year of the cohort table; read from the query string."""

    class Meta:
        csrf = False

    rung = SelectField("入库层级", choices=[(r.code, r.name) for r in RUNGS[:-1]], validators=[Optional()])
    entry_year = WholeNumberField("进入年度", validators=[Optional(), NumberRange(2000, 2100, "年度须在2000—2100之间")])
    by_year = WholeNumberField("截至年度", validators=[Optional(), NumberRange(2000, 2100, "年度须在2000—2100之间")])


def target_field_name(code: str, district: str | None) -> str:
    """The form field of one target (district None = the city's figure)."""
    return f"t_{code}_{district or 'city'}"


def make_target_form(year: int):
    """A form with one whole-number field per target of `year`: the 12 city figures and the
    district figures of indicators 1–4 (empty = no target)."""

    class TargetForm(Form):
        submit = SubmitField("保存目标")

    for indicator in INDICATORS:
        setattr(TargetForm, target_field_name(indicator.code, None), WholeNumberField(
            indicator.name, validators=[Optional(), NumberRange(min=0, max=10_000_000, message="目标须为0至10000000之间的整数")],
        ))
        if indicator.has_district_targets:
            for code, short in DISTRICT_SHORT_NAMES.items():
                setattr(TargetForm, target_field_name(indicator.code, code), WholeNumberField(
                    f"{indicator.name}（{short}）",
                    validators=[Optional(), NumberRange(min=0, max=10_000_000, message="目标须为0至10000000之间的整数")],
                ))
    return TargetForm


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0  # no such user: the service answers in Chinese


class TokenForm(Form):
    # Whether the chosen user may hold a token is the service's question (Chinese message there).
    owner_id = SelectField("令牌所属用户（令牌按其权限范围查看）", coerce=_int_or_zero, validate_choice=False,
                           validators=[InputRequired("请选择用户")])
    name = StringField("用途", validators=[DataRequired("请填写令牌用途"), Length(max=80, message="用途不超过80字")])
    submit = SubmitField("签发令牌")


class GapPlanForm(Form):
    """As-of date and (administrators) district of the gap plan; read from the query string."""

    class Meta:
        csrf = False

    as_of = StringField("截至日期", validators=[Optional(), Length(max=20), _check_date])
    district = SelectField("辖区", choices=district_choices(blank="全市"), validators=[Optional()])


class GapListForm(Form):
    """Which number of the gap plan to list; unknown values are refused by the service (404)."""

    class Meta:
        csrf = False

    code = StringField("指标", validators=[DataRequired("请选择指标"), Length(max=40)])
    year = WholeNumberField("年度", validators=[InputRequired("请选择年度")])
    part = StringField("类别", validators=[DataRequired("请选择类别"), Length(max=40)])
    status = StringField("状态", validators=[Optional(), Length(max=16)])
    kind = StringField("类别", validators=[Optional(), Length(max=16)])
    as_of = StringField("截至日期", validators=[Optional(), Length(max=20), _check_date])
    district = StringField("辖区", validators=[Optional(), Length(max=16)])


class MonthlyReportForm(Form):
    """Which month's 通报, in which format, for which district (administrators); query string.

    The month's meaning (finished, not before the plan) is the service's to check."""

    class Meta:
        csrf = False

    month = SelectField("月份", choices=[], validate_choice=False, validators=[Optional()])
    format = SelectField("格式", choices=[("docx", "Word"), ("xlsx", "Excel")], default="docx",
                         validators=[Optional()])
    district = SelectField("辖区", choices=district_choices(blank="全市"), validators=[Optional()])
