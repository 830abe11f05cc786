"""Forms of a follow-up's case page and its settings: shape only; tracker.services.visits decides."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from tracker.rules.follow_ups import MAX_NOTE, SATISFACTION_NAMES
from tracker.rules.workdays import MAX_WORKDAYS
from tracker.visits.forms import ChineseMeta
from tracker.web.forms import Form
from tracker.web.once import OnceForm

NOTE = Length(max=MAX_NOTE, message=f"说明不超过{MAX_NOTE}字")


class _CaseForm(Form):
    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    version = HiddenField()


class CaseStatusForm(_CaseForm):
    """开始办理 / 办结 (with the result) / 销号 (with satisfaction) / 重新办理, each with an optional note."""

    to_status = HiddenField(validators=[DataRequired("请选择办理状态")])
    note = TextAreaField("说明（可不填）", validators=[Optional(), NOTE])
    resolution = TextAreaField("办理结果", validators=[Optional(), Length(max=2000, message="办理结果不超过2000字")])
    satisfaction = RadioField("企业满意度", choices=list(SATISFACTION_NAMES.items()), validators=[Optional()])


class NoteForm(_CaseForm):
    """A progress note (办理进展)."""

    note = TextAreaField("办理进展", validators=[DataRequired("请填写办理进展"), NOTE])


class DepartmentReferForm(_CaseForm):
    """交办: a department from the administrator's list, its contact and a deadline (a date or N working days)."""

    department_id = SelectField("承办单位", validate_choice=False,
                                validators=[DataRequired("请选择承办单位"), Regexp(r"^\d+$", message="请从列表中选择承办单位")])
    contact = StringField("联系人及电话（可不填，默认取单位联系人）", validators=[Optional(), Length(max=64, message="联系人不超过64字")])
    deadline = DateField("交办期限", validators=[Optional()], format="%Y-%m-%d")
    deadline_workdays = IntegerField(
        "或：工作日数", validators=[Optional(), NumberRange(1, MAX_WORKDAYS, message=f"工作日数应在 1 到 {MAX_WORKDAYS} 之间")],
    )
    note = TextAreaField("交办说明（可不填）", validators=[Optional(), NOTE])


class ReplyForm(_CaseForm):
    """The department's reply (反馈)."""

    replied_on = DateField("反馈日期", validators=[DataRequired("请填写反馈日期")], format="%Y-%m-%d")
    text = TextAreaField("反馈内容", validators=[DataRequired("请填写反馈内容"), NOTE])


class ReviewForm(_CaseForm):
    """办结审核: approve, or send back with a note."""

    decision = HiddenField(validators=[DataRequired("请选择审核结果"), Regexp(r"^(approve|send_back)$", message="请选择审核结果")])
    note = TextAreaField("审核意见（退回时必填）", validators=[Optional(), NOTE])


class CallbackForm(_CaseForm):
    """满意度回访 after 销号."""

    called_on = DateField("回访日期", validators=[DataRequired("请填写回访日期")], format="%Y-%m-%d")
    result = RadioField("回访结果", choices=list(SATISFACTION_NAMES.items()),
                        validators=[DataRequired("请选择回访结果")])
    note = TextAreaField("回访记录（可不填）", validators=[Optional(), NOTE])


class DepartmentForm(OnceForm, Form):
    """A department of the referral list."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    name = StringField("单位名称", validators=[DataRequired("请填写承办单位名称"), Length(max=128, message="承办单位名称不超过128字")])
    contact = StringField("联系人及电话", validators=[Optional(), Length(max=64, message="联系人及电话不超过64字")])
    active = BooleanField("在用", default=True)


class ReviewSettingForm(Form):
    """Whether 办结 needs a manager's review, for the city or a district ("inherit": follow the city)."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    scope = HiddenField(validators=[DataRequired("请选择范围"), Length(max=16)])
    required = SelectField("办结审核", choices=[("yes", "需要审核"), ("no", "无需审核"), ("inherit", "按全市设置")],
                           validators=[DataRequired("请选择是否需要审核")])
