"""Cultivation list forms (培育名单): shape only; the state machine and the services decide what a move means."""

from __future__ import annotations

from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.companies.forms import MAX_ID, MAX_PAGE, BulkForm
from tracker.rules.cultivation import STATUS_NAMES, STATUSES
from tracker.rules.districts import INDUSTRIES
from tracker.rules.ladder import RUNGS
from tracker.web.forms import Form, district_choices
from tracker.web.once import OnceForm

RUNG_CHOICES = [(r.code, r.name) for r in RUNGS]
YEAR_RANGE = NumberRange(min=2000, max=2100, message="年度须在2000至2100之间")


class BoardFilterForm(Form):
    """The board's and the funnel's query arguments (`rung`; links made before the rename say `kind`)."""

    class Meta:
        csrf = False

    rung = SelectField("目标资质", choices=RUNG_CHOICES, validators=[Optional()])
    year = IntegerField("年度", validators=[Optional(), YEAR_RANGE])
    district = SelectField("辖区", choices=district_choices(blank="全部辖区"), validators=[Optional()])
    officer_id = IntegerField("服务专员", validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    industry = SelectField("产业领域", choices=[("", "全部领域")] + [(i, i) for i in INDUSTRIES], validators=[Optional()])
    status = SelectField("状态", choices=[("", "全部")] + [(s, STATUS_NAMES[s]) for s in STATUSES], validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])


class MoveForm(Form):
    """Move one card: the target status, why, and the certificate data when it is 已认定."""

    to_status = SelectField("变更为", choices=[(s, STATUS_NAMES[s]) for s in STATUSES],
                            validators=[DataRequired("请选择目标状态")])
    reason = StringField("原因", validators=[Optional(), Length(max=500, message="原因不超过500字")])
    version = HiddenField()
    back = HiddenField()  # the board's query string, to return to the same view
    granted_on = DateField("认定日期", validators=[Optional()], format="%Y-%m-%d")
    reference = StringField("证书编号", validators=[Optional(), Length(max=64, message="证书编号不超过64字")])
    valid_from = DateField("有效期起", validators=[Optional()], format="%Y-%m-%d")
    valid_until = DateField("有效期至", validators=[Optional()], format="%Y-%m-%d")
    batch = StringField("批次", validators=[Optional(), Length(max=64, message="批次不超过64字")])

    def version_number(self) -> int | None:
        """The version of the card the user saw, for the service's conflict check."""
        try:
            return int(self.version.data) if self.version.data else None
        except ValueError:
            return -1  # a tampered version can only conflict


class UndoForm(Form):
    """撤销上一步: the card's version (nothing may have happened since) and the board to return to."""

    version = HiddenField()
    back = HiddenField()
    version_number = MoveForm.version_number


class ReopenForm(Form):
    """Carry a rejected or withdrawn track into a later year."""

    year = IntegerField("新的培育年度", validators=[DataRequired("请填写年度"), YEAR_RANGE])
    reason = TextAreaField("说明", validators=[Optional(), Length(max=500, message="说明不超过500字")])


class AddTracksForm(OnceForm, BulkForm):
    """Bulk action from the company list: put companies on a cultivation list."""

    target_rung = SelectField("目标资质", choices=RUNG_CHOICES, validators=[DataRequired("请选择目标资质")])
    year = IntegerField("培育年度", validators=[DataRequired("请填写培育年度"), YEAR_RANGE])


class AssignForm(BulkForm):
    """Bulk action from the company list: (re)assign companies to one officer."""

    officer_id = IntegerField("服务专员", validators=[DataRequired("请选择服务专员"), NumberRange(min=1, max=MAX_ID, message="请选择服务专员")])
