"""Policy forms: shape only. The condition builder is a FieldList of condition rows (no JS needed:
"添加条件" re-renders the form with one more row, a row's "删除" box drops it); what a condition
means, and whether the combination holds, is checked by tracker.rules.policies via the service.
"""

from __future__ import annotations

from wtforms import (
    BooleanField, DateField, DecimalField, FieldList, FormField, HiddenField, IntegerField, SelectField,
    SelectMultipleField, StringField, SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.rules import policies as rules
from tracker.rules.districts import DISTRICTS, INDUSTRIES
from tracker.rules.figures import field_label
from tracker.rules.ladder import RUNGS
from tracker.web.forms import Form, SubForm
from tracker.web.once import OnceForm

_BLANK = [("", "请选择")]


class ConditionForm(SubForm):
    """One row of the condition builder: a menu entry and the parameters it uses."""

    kind = SelectField("条件", choices=_BLANK + list(rules.CONDITION_KINDS.items()), validators=[Optional()])
    rung = SelectField("资质", choices=[("", "（资质类条件）")] + [(r.code, r.name) for r in RUNGS], validators=[Optional()])
    field = SelectField("数据项", choices=[("", "（数据类条件）")] + [(name, field_label(name)) for name in rules.THRESHOLD_FIELDS],
                        validators=[Optional()])
    year_offset = SelectField("数据年度", choices=[(str(k), v) for k, v in rules.YEAR_OFFSETS.items()], default="-1",
                              validators=[Optional()])
    threshold = DecimalField("门槛值", places=None, validators=[Optional()])
    districts = SelectMultipleField("辖区（可多选）", choices=[(d.code, d.name) for d in DISTRICTS], validators=[Optional()])
    industries = SelectMultipleField("产业领域（可多选）", choices=[(i, i) for i in INDUSTRIES], validators=[Optional()])
    remove = BooleanField("删除此条件")

    def data_for_service(self) -> dict:
        kind = self.kind.data
        return {
            "kind": kind, "rung": self.rung.data, "field": self.field.data, "threshold": self.threshold.data,
            "year_offset": self.year_offset.data,
            "values": self.districts.data if kind == "district_in" else self.industries.data if kind == "industry_in" else (),
        }


class PolicyForm(OnceForm, Form):
    """A policy and its conditions."""

    name = StringField("政策名称", validators=[DataRequired("请填写政策名称"), Length(max=200, message="不超过200个字符")])
    issuer = StringField("发文单位", validators=[DataRequired("请填写发文单位"), Length(max=128, message="不超过128个字符")])
    reference = StringField("文号（可选）", validators=[Optional(), Length(max=128, message="不超过128个字符")])
    year = IntegerField("政策年度（起）", validators=[DataRequired("请填写政策年度"), NumberRange(2000, 2100, "年度应在2000—2100之间")])
    until_year = IntegerField("截止年度（可选，多年适用时填写）",
                              validators=[Optional(), NumberRange(2000, 2100, "年度应在2000—2100之间")])
    benefit_kind = SelectField("奖补类型", choices=_BLANK + list(rules.BENEFIT_KINDS.items()),
                               validators=[DataRequired("请选择奖补类型")])
    amount_rule = SelectField("金额规则", choices=list(rules.AMOUNT_RULES.items()), default="fixed",
                              validators=[DataRequired("请选择金额规则")])
    amount = DecimalField("奖补金额（万元，定额时填写）", places=None, validators=[Optional()])
    description = TextAreaField("政策说明（可选）", validators=[Optional(), Length(max=2000, message="不超过2000个字符")])
    conditions = FieldList(FormField(ConditionForm), min_entries=1, max_entries=rules.MAX_CONDITIONS)
    version = HiddenField()
    add_condition = SubmitField("添加条件")
    submit = SubmitField("保存政策")

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "name", "issuer", "reference", "year", "until_year", "benefit_kind", "amount_rule", "amount", "description",
        )}

    def conditions_for_service(self) -> list[dict]:
        """The rows to keep: those not marked for removal and with a condition chosen."""
        return [row.form.data_for_service() for row in self.conditions
                if not row.form.remove.data and row.form.kind.data]


class ClaimStepForm(OnceForm, Form):
    """The claim's next step: its date, the amount (申报/兑现) and a note."""

    expected = HiddenField()
    on = DateField("日期", validators=[DataRequired("请填写日期（YYYY-MM-DD）")], format="%Y-%m-%d")
    amount = DecimalField("金额（万元）", places=None, validators=[Optional()])
    note = TextAreaField("备注（可选）", validators=[Optional(), Length(max=500, message="不超过500个字符")])
    submit = SubmitField("登记")


class YearForm(Form):
    """The year (and district, measure, policy) filters of the coverage view and its drill-downs."""

    class Meta(Form.Meta):
        csrf = False

    year = IntegerField("政策年度", validators=[Optional(), NumberRange(2000, 2100, "年度应在2000—2100之间")])
    policy = IntegerField(validators=[Optional(), NumberRange(1, 2**31 - 1, "政策不正确")])
    district = SelectField("辖区", choices=[("", "全部辖区")] + [(d.code, d.name) for d in DISTRICTS], validators=[Optional()])
    measure = SelectField("口径", choices=list(rules.MEASURES.items()), default="entitled", validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(1, 100000)])
