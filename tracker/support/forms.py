"""Support-record forms: shape only (types, lengths, ranges); what each kind needs is checked by
tracker.rules.support through tracker.services.support.records."""

from __future__ import annotations

from wtforms import DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from tracker.rules import support as rules
from tracker.web.forms import Form
from tracker.web.once import OnceForm

_BLANK = [("", "请选择")]


class SupportForm(OnceForm, Form):
    """One support record; the page shows the fields of its kind only (rules.KIND_FIELDS)."""

    year = IntegerField("年度", validators=[InputRequired("请填写年度"), NumberRange(2000, 2100, message="年度应为四位年份")])
    amount = DecimalField("金额（万元）", places=2, validators=[Optional(), NumberRange(min=0, message="金额不能为负数")])
    occurred_on = DateField("日期", validators=[Optional()], format="%Y-%m-%d")
    loan_product = SelectField("贷款产品", choices=_BLANK + list(rules.LOAN_PRODUCTS.items()), validators=[Optional()])
    bank = StringField("贷款银行", validators=[Optional(), Length(max=64, message="贷款银行不超过64个字符")])
    listing_stage = SelectField("上市阶段", choices=_BLANK + list(rules.LISTING_STAGES.items()), validators=[Optional()])
    listing_board = SelectField("上市板块", choices=_BLANK + list(rules.LISTING_BOARDS.items()), validators=[Optional()])
    filed_on = DateField("辅导备案日期", validators=[Optional()], format="%Y-%m-%d")
    accepted_on = DateField("申报受理日期", validators=[Optional()], format="%Y-%m-%d")
    listed_on = DateField("上市日期", validators=[Optional()], format="%Y-%m-%d")
    name = StringField("名称", validators=[Optional(), Length(max=128, message="名称不超过128个字符")])
    level = SelectField("大赛级别", choices=_BLANK + list(rules.CONTEST_LEVELS.items()), validators=[Optional()])
    award = StringField("获奖等次", validators=[Optional(), Length(max=64, message="获奖等次不超过64个字符")])
    note = TextAreaField("备注", validators=[Optional(), Length(max=2000, message="备注不超过2000字")])
    version = HiddenField()
    submit = SubmitField("保存")

    def set_kind(self, kind: str) -> list:
        """Label the shared fields for `kind`; returns the fields the page shows, in order."""
        if kind in rules.AMOUNT_LABELS:
            self.amount.label.text = rules.AMOUNT_LABELS[kind]
        if kind in rules.DATE_LABELS:
            self.occurred_on.label.text = rules.DATE_LABELS[kind]
        if kind in rules.NAME_LABELS:
            self.name.label.text = rules.NAME_LABELS[kind]
        return [self.year, *(getattr(self, name) for name in rules.KIND_FIELDS[kind]), self.note]

    def values(self, kind: str) -> dict:
        """Typed values for the service (the kind's fields; blanks as None)."""
        data = {"kind": kind, "year": self.year.data, "note": self.note.data}
        for name in rules.KIND_FIELDS[kind]:
            value = getattr(self, name).data
            data[name] = value if value not in ("",) else None
        return data


class SupportFilterForm(Form):
    """The support list's filters (a GET form)."""

    class Meta:
        csrf = False

    kind = SelectField("扶持类型", choices=[("", "全部类型")] + list(rules.KINDS.items()), validators=[Optional()])
    year = IntegerField("年度", validators=[Optional(), NumberRange(2000, 2100, message="年度应为四位年份")])
    district = SelectField("辖区", validators=[Optional()])
    q = StringField("企业名称或信用代码", validators=[Optional(), Length(max=100)])
