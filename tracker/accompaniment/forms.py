"""Accompaniment forms: shape only; dates in the list's year, responsible people who can see the
company and the follow-ups' deadlines are checked by tracker.services.accompaniment."""

from __future__ import annotations

from wtforms import (
    BooleanField, DateField, FieldList, FormField, HiddenField, IntegerField, SelectField, SelectMultipleField,
    StringField, SubmitField, TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.rules import accompaniment as rules
from tracker.visits.forms import FollowUpRowForm
from tracker.web.forms import Form
from tracker.web.once import OnceForm

EMPTY_FOLLOW_UP_ROWS = 2
MAX_FOLLOW_UP_ROWS = 20


class CheckboxesField(SelectMultipleField):
    """A multi-select shown as checkboxes (easier on a phone than a list box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class KeyCompanyForm(OnceForm, Form):
    """An entry of the year's key-company list: responsible person, leader, reason."""

    year = IntegerField("年度", validators=[InputRequired("请填写年度"), NumberRange(2000, 2100, message="年度应为四位年份")])
    responsible_id = SelectField("陪伴责任人", validate_choice=False,
                                 validators=[InputRequired("请选择陪伴责任人"), Regexp(r"^\d+$", message="请选择陪伴责任人")])
    leader = StringField("挂钩领导（可选）", validators=[Optional(), Length(max=64, message="挂钩领导不超过64个字符")])
    reason = TextAreaField("列入理由", validators=[Optional(), Length(max=500, message="列入理由不超过500字")])
    version = HiddenField()
    submit = SubmitField("保存")

    def service_data(self) -> dict:
        return {"responsible_id": int(self.responsible_id.data) if (self.responsible_id.data or "").isdigit() else None,
                "leader": self.leader.data, "reason": self.reason.data}


class RecordForm(OnceForm, Form):
    """A diagnosis (把脉) with the resources introduced and the follow-ups raised or taken up."""

    held_on = DateField("把脉日期", validators=[InputRequired("请填写把脉日期")], format="%Y-%m-%d")
    participants = StringField("参加人员", validators=[InputRequired("请填写参加人员"),
                                                       Length(max=500, message="参加人员不超过500字")])
    findings = TextAreaField("把脉情况（发现的问题与建议）", validators=[
        InputRequired("请填写把脉情况"), Length(max=5000, message="把脉情况不超过5000字")])
    resources = CheckboxesField("引入资源（可多选）", choices=list(rules.RESOURCES.items()), validators=[Optional()])
    resource_notes = TextAreaField("资源对接说明", validators=[Optional(), Length(max=2000, message="资源对接说明不超过2000字")])
    link_follow_up_ids = CheckboxesField("关联已有诉求", choices=[], coerce=int, validators=[Optional()])
    follow_ups = FieldList(FormField(FollowUpRowForm), min_entries=EMPTY_FOLLOW_UP_ROWS, max_entries=MAX_FOLLOW_UP_ROWS)
    version = HiddenField()

    def set_owner_choices(self, choices: list[tuple[str, str]], default: str) -> None:
        for row in self.follow_ups:
            row.form.owner_id.choices = choices
            if not row.form.owner_id.data:
                row.form.owner_id.data = default

    def record_data(self) -> dict:
        return {"held_on": self.held_on.data, "participants": self.participants.data, "findings": self.findings.data,
                "resources": self.resources.data or [], "resource_notes": self.resource_notes.data}

    def filled_rows(self):
        return [(i, entry.form) for i, entry in enumerate(self.follow_ups) if not entry.form.is_blank()]


class KeyListFilterForm(Form):
    """The key-company list's filters (a GET form)."""

    class Meta:
        csrf = False

    year = IntegerField("年度", validators=[Optional(), NumberRange(2000, 2100, message="年度应为四位年份")])
    district = SelectField("辖区", validators=[Optional()])
    q = StringField("企业名称或信用代码", validators=[Optional(), Length(max=100)])
    missing = BooleanField("只看本季度未把脉")
