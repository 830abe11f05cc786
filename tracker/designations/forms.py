"""Designation forms (资质认定 / 撤销): shape only; defaults and meaning come from the service."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.rules.ladder import RUNGS
from tracker.visits.forms import ChineseMeta
from tracker.web.forms import Form
from tracker.web.once import OnceForm


class GrantForm(OnceForm, Form):
    """新增资质: rung, reference, dates (empty ones take the defaults of docs/DOMAIN.md §8), batch."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    rung = SelectField("资质类型", choices=[("", "请选择")] + [(r.code, r.name) for r in RUNGS],
                       validators=[DataRequired("请选择资质类型")])
    reference = StringField("编号（证书编号 / 入库登记编号）", validators=[Optional(), Length(max=64, message="编号不超过64字")])
    granted_on = DateField("认定日期", validators=[InputRequired("请填写认定日期")], format="%Y-%m-%d")
    valid_from = DateField("有效期起", validators=[Optional()], format="%Y-%m-%d")
    valid_until = DateField("有效期至", validators=[Optional()], format="%Y-%m-%d")
    batch = StringField("批次", validators=[Optional(), Length(max=64, message="批次不超过64字")])


class RevokeForm(Form):
    """撤销资质: the date it stops counting and the reason."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    revoked_on = DateField("撤销日期", validators=[InputRequired("请填写撤销日期")], format="%Y-%m-%d")
    reason = TextAreaField("撤销原因", validators=[DataRequired("请填写撤销原因"), Length(max=500, message="撤销原因不超过500字")])
