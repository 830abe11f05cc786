"""Forms of the candidates page and the yearly figures editor: shape only.

The figures' meaning (negative numbers, S&T staff above staff, the year's range ...) is checked
by tracker.rules.figures (through tracker.services.companies.figures), which reports every field at once in Chinese; the figure fields are
therefore plain text fields that hand the service exactly what was typed.
"""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from tracker.rules.districts import DISTRICTS, INDUSTRIES
from tracker.rules.ladder import RUNGS
from tracker.rules.figures import FIELDS, field_label
from tracker.web.forms import Form
from tracker.web.once import OnceForm

TARGET_CHOICES = [(r.code, r.name) for r in RUNGS]
MAX_MISSING_LABELS = [("1", "符合条件或仅差一项"), ("0", "仅列出符合条件的企业")]
FLAG_CHOICES = [("", "未知（未记录）"), ("0", "否"), ("1", "是")]


class CandidateFilterForm(Form):
    """The GET filters of the candidates page (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    target = SelectField("目标梯次", choices=TARGET_CHOICES, validators=[Optional()])
    year = IntegerField("评价年度", validators=[Optional(), NumberRange(2016, 2100, "评价年度须为 2016 年以后的四位年份")])
    district = SelectField(
        "辖区", choices=[("", "全部辖区")] + [(d.code, d.name) for d in DISTRICTS], validators=[Optional()]
    )
    industry = SelectField(
        "产业领域", choices=[("", "全部领域")] + [(i, i) for i in INDUSTRIES], validators=[Optional()]
    )
    officer = SelectField("服务专员", choices=[("", "全部专员")], validators=[Optional()])
    max_missing = SelectField("列出范围", choices=MAX_MISSING_LABELS, validators=[Optional()])
    page = IntegerField(validators=[Optional()])


class AddToListForm(OnceForm, Form):
    """Add the ticked companies to the target rung's cultivation list of a year."""

    target = HiddenField()
    list_year = IntegerField(
        "培育年度",
        validators=[InputRequired("请填写培育年度"), NumberRange(2016, 2100, "培育年度须为四位年份")],
    )
    submit = SubmitField("加入培育名单")


class FiguresForm(OnceForm, Form):
    """One year of a company's figures; `version` is the row version loaded (0 for a new year)."""

    year = StringField("年度")
    version = HiddenField()
    staff_count = StringField(field_label("staff_count"))
    st_staff_count = StringField(field_label("st_staff_count"))
    revenue = StringField(field_label("revenue"))
    rd_expense = StringField(field_label("rd_expense"))
    rd_expense_domestic = StringField(field_label("rd_expense_domestic"))
    total_cost = StringField(field_label("total_cost"))
    total_assets = StringField(field_label("total_assets"))
    hightech_revenue = StringField(field_label("hightech_revenue"))
    ip_class1_count = StringField(field_label("ip_class1_count"))
    ip_class2_count = StringField(field_label("ip_class2_count"))
    valuation = StringField(field_label("valuation"))
    financing_amount = StringField(field_label("financing_amount"))
    # validate_choice=False: a value off the list reaches tracker.rules.figures, which answers
    # in Chinese ("请选择“是”或“否”") instead of WTForms' English "Not a valid choice".
    is_listed = SelectField(field_label("is_listed"), choices=FLAG_CHOICES, validate_choice=False)
    innovation_score = StringField(field_label("innovation_score"))
    key_field = SelectField(field_label("key_field"), choices=FLAG_CHOICES, validate_choice=False)
    major_incident = SelectField(field_label("major_incident"), choices=FLAG_CHOICES, validate_choice=False)
    notes = TextAreaField("备注（数据来源等）")
    submit = SubmitField("保存")

    FIGURE_FIELDS = tuple(FIELDS)
    FLAG_FIELDS = tuple(name for name, spec in FIELDS.items() if spec.kind == "flag")

    def fill_from(self, row) -> None:
        """Show a stored row: numbers as typed (no trailing .00 on whole amounts)."""
        for name in self.FIGURE_FIELDS:
            value = getattr(row, name)
            if name in self.FLAG_FIELDS:
                getattr(self, name).data = "" if value is None else ("1" if value else "0")
            elif value is None:
                getattr(self, name).data = ""
            else:
                text = f"{value:f}" if not isinstance(value, int) else str(value)
                if "." in text:
                    text = text.rstrip("0").rstrip(".")
                getattr(self, name).data = text
        self.notes.data = row.notes or ""
        self.year.data = str(row.year)
        self.version.data = str(row.version)

    def data_for_service(self) -> dict:
        """The typed values by field name, for tracker.services.companies.figures.save_year."""
        data = {name: getattr(self, name).data for name in self.FIGURE_FIELDS}
        data["notes"] = self.notes.data
        return data

