"""Visit and follow-up forms: shape only (required, format, range), every message in Chinese.

Meaning (dates in order, the owner can see the company, deadlines in working days) is checked by
tracker.services.visits.records and tracker.services.visits.follow_ups.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField, FieldList, FormField, HiddenField, IntegerField, RadioField, SelectField, StringField,
    TextAreaField,
)
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from tracker.models.visit import FOLLOW_UP_CATEGORIES, SATISFACTION, VISIT_KINDS
from tracker.rules import follow_ups as fu_rules
from tracker.rules.workdays import MAX_WORKDAYS
from tracker.web.dates import NotAfterToday
from tracker.web.forms import Form, SubForm
from tracker.web.once import OnceForm

EMPTY_FOLLOW_UP_ROWS = 3  # offered without JavaScript; visits.js adds and removes rows
MAX_FOLLOW_UP_ROWS = 30


class ChineseMeta:
    """WTForms' own Chinese messages for coercion errors (Flask-WTF would need Flask-Babel)."""

    locales = ("zh",)

    def get_translations(self, form):
        return DefaultMeta.get_translations(self, form)


class FollowUpRowForm(SubForm):
    """One follow-up (诉求) row inside the visit form; an entirely empty row is ignored."""

    class Meta(ChineseMeta, DefaultMeta):
        pass

    category = SelectField("诉求类别", choices=[("", "请选择")] + list(FOLLOW_UP_CATEGORIES.items()), validators=[Optional()])
    description = TextAreaField("诉求内容", validators=[Optional(), Length(max=2000, message="诉求内容不超过2000字")])
    owner_id = SelectField("承办人", validate_choice=False,
                           validators=[Optional(), Regexp(r"^\d+$", message="请选择有效的承办人")])
    due_on = DateField("办理期限", validators=[Optional()], format="%Y-%m-%d")
    due_workdays = IntegerField(
        "或：工作日数", validators=[Optional(), NumberRange(1, MAX_WORKDAYS, message=f"工作日数应在 1 到 {MAX_WORKDAYS} 之间")],
    )

    def is_blank(self) -> bool:
        """Nothing typed in the row (the owner select always has a value, so it does not count)."""
        typed = [
            self.description.data, self.category.data,
            *(self.due_on.raw_data or []), *(self.due_workdays.raw_data or []),
        ]
        return not any((value or "").strip() for value in typed if isinstance(value, str) or value is None)


    def validate(self, extra_validators=None) -> bool:
        """A row someone started needs a category, a description and a deadline (date or working days)."""
        ok = super().validate(extra_validators)
        if self.is_blank():
            return ok
        required = [
            (self.category, not self.category.data, "请选择诉求类别"),
            (self.description, not (self.description.data or "").strip(), "请填写诉求内容"),
            (self.due_on, not (self.due_on.raw_data and self.due_on.raw_data[0]) and not (
                self.due_workdays.raw_data and self.due_workdays.raw_data[0]), "请填写办理期限（日期或工作日数）"),
        ]
        for field, missing, message in required:
            if missing and not field.errors:
                field.errors = list(field.errors) + [message]
                ok = False
        return ok


class VisitForm(OnceForm, Form):
    """走访记录: date (default today), kind, people met, summary, next planned date, follow-ups,
    photos (走访留痕) and the optional location check-in; one-time token (tracker/web/once.py)."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    visited_on = DateField("走访日期", validators=[InputRequired("请填写走访日期"), NotAfterToday("走访日期不能晚于今天")],
                           format="%Y-%m-%d")
    kind = RadioField("走访方式", choices=list(VISIT_KINDS.items()), default="onsite",
                      validators=[InputRequired("请选择走访方式")])
    people_met = StringField("会见人员", validators=[Optional(), Length(max=255, message="会见人员不超过255字")])
    summary = TextAreaField("走访情况", validators=[DataRequired("请填写走访情况"), Length(max=5000, message="走访情况不超过5000字")])
    next_planned_on = DateField("下次计划走访日期", validators=[Optional()], format="%Y-%m-%d")
    follow_ups = FieldList(FormField(FollowUpRowForm), min_entries=EMPTY_FOLLOW_UP_ROWS, max_entries=MAX_FOLLOW_UP_ROWS)
    photos = MultipleFileField("照片或材料（可选）")
    # Filled by visits.js only when the officer taps 记录位置 and the phone allows it.
    latitude = HiddenField(validators=[Optional(), Regexp(r"^-?\d{1,3}(\.\d{1,12})?$", message="位置信息无效")])
    longitude = HiddenField(validators=[Optional(), Regexp(r"^-?\d{1,3}(\.\d{1,12})?$", message="位置信息无效")])
    location_accuracy = HiddenField(validators=[Optional(), Regexp(r"^\d{1,6}(\.\d{1,6})?$", message="位置信息无效")])
    version = HiddenField()

    def set_owner_choices(self, choices: list[tuple[str, str]], default: str) -> None:
        """Owner options for every row (the people who can see the company)."""
        for row in self.follow_ups:
            row.form.owner_id.choices = choices
            if not row.form.owner_id.data:
                row.form.owner_id.data = default

    def visit_data(self) -> dict:
        data = {
            "visited_on": self.visited_on.data, "kind": self.kind.data, "people_met": self.people_met.data,
            "summary": self.summary.data, "next_planned_on": self.next_planned_on.data,
        }
        location = getattr(self, "latitude", None)
        if location is not None and location.data:
            data.update(latitude=self.latitude.data, longitude=self.longitude.data,
                        location_accuracy=self.location_accuracy.data)
        return data

    def parsed_data(self) -> dict:
        """The visit's fields that passed their shape checks (for running the meaning checks too)."""
        return {name: value for name, value in self.visit_data().items()
                if name in self._fields and not self._fields[name].errors and value not in (None, "")}

    def uploads(self) -> list:
        """The files chosen in the photos field (empty file inputs are ignored)."""
        field = getattr(self, "photos", None)
        return [f for f in (field.data or []) if getattr(f, "filename", "")] if field is not None else []

    def filled_rows(self):
        """(index, row form) of the rows with something typed in them."""
        return [(i, entry.form) for i, entry in enumerate(self.follow_ups) if not entry.form.is_blank()]


class VisitEditForm(Form):
    """Correcting a visit: the visit's own fields only (follow-ups have their own actions)."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    visited_on = VisitForm.visited_on
    kind = VisitForm.kind
    people_met = VisitForm.people_met
    summary = VisitForm.summary
    next_planned_on = VisitForm.next_planned_on
    version = HiddenField()

    visit_data = VisitForm.visit_data
    parsed_data = VisitForm.parsed_data


class WithdrawForm(Form):
    """撤回走访: an optional reason (kept in the audit log) and the version."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    reason = StringField("撤回原因（可选）", validators=[Optional(), Length(max=200, message="撤回原因不超过200字")])
    version = HiddenField()


class AttachmentForm(Form):
    """Add photos or PDFs to a visit or a follow-up (type and size are checked by content in the service)."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    files = MultipleFileField("照片或材料", validators=[DataRequired("请选择要上传的文件")])


class StatusForm(Form):
    """Move a follow-up: 办理中 / 办结 (with the result) / 销号 (with satisfaction) / 重新办理."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    to_status = HiddenField(validators=[DataRequired("请选择办理状态")])
    resolution = TextAreaField("办理结果", validators=[Optional(), Length(max=2000, message="办理结果不超过2000字")])
    satisfaction = RadioField("企业满意度", choices=list(SATISFACTION.items()), validators=[Optional()])
    version = HiddenField()


class ReferForm(Form):
    """交办: the responsible unit, its contact and its deadline (a date or N working days)."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    unit = StringField("承办单位", validators=[DataRequired("请填写承办单位"), Length(max=128, message="承办单位不超过128字")])
    contact = StringField("联系人及电话", validators=[Optional(), Length(max=64, message="联系人不超过64字")])
    deadline = DateField("交办期限", validators=[Optional()], format="%Y-%m-%d")
    deadline_workdays = IntegerField(
        "或：工作日数", validators=[Optional(), NumberRange(1, MAX_WORKDAYS, message=f"工作日数应在 1 到 {MAX_WORKDAYS} 之间")],
    )
    version = HiddenField()


class OwnerForm(Form):
    """Hand the follow-up to another person."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    owner_id = SelectField("新承办人", validate_choice=False,
                           validators=[DataRequired("请选择承办人"), Regexp(r"^\d+$", message="请选择有效的承办人")])
    version = HiddenField()


class VersionForm(Form):
    """催办 / 督办: only the version (and the CSRF token)."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    version = HiddenField()


class FollowUpFilterForm(Form):
    """Filters of the follow-up list (GET, no CSRF)."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        csrf = False

    status = SelectField("状态", choices=[("active", "未办结"), ("all", "全部")] + list(fu_rules.STATUS_NAMES.items()),
                         default="active", validators=[Optional()])
    owner = SelectField("承办人", validators=[Optional()], validate_choice=False)
    due = SelectField("期限", choices=[("", "全部期限"), ("overdue", "已逾期"), ("week", "7天内到期"), ("escalated", "督办中")],
                      validators=[Optional()])


MAX_ID = 2**31 - 1  # ids and versions fit a 32-bit column; anything larger is junk, not an overflow


def parse_int(value) -> int | None:
    """A positive integer id or version from a query, hidden or select field, or None (never a 500)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None
