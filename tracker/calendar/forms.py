"""Calendar forms: shape only (a file or pasted text, dates); meaning is checked by the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from tracker.services.calendar.windows import EARLIEST_YEAR, LATEST_YEAR
from tracker.visits.forms import ChineseMeta
from tracker.web.forms import Form

MAX_PASTED = 20000  # characters; a year's notice is about 30 short lines


class NoticeForm(Form):
    """A year's holiday notice: a CSV/xlsx file or pasted CSV text (日期, 类型, 名称)."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    file = FileField("文件（CSV 或 xlsx，列：日期, 类型, 名称）", validators=[
        Optional(), FileAllowed(["csv", "xlsx"], "只支持 .csv 或 .xlsx 文件"),
    ])
    text = TextAreaField("或直接粘贴", validators=[Optional(), Length(max=MAX_PASTED, message=f"粘贴内容不超过 {MAX_PASTED} 字")])
    source = StringField("来源（如：国办发明电〔2026〕x号）", validators=[Optional(), Length(max=200, message="来源不超过200字")])

    def validate(self, extra_validators=None) -> bool:
        """One of the file and the pasted text is needed."""
        ok = super().validate(extra_validators)
        if ok and not self.file.data and not (self.text.data or "").strip():
            self.text.errors = [*self.text.errors, "请上传文件或粘贴节假日安排"]
            return False
        return ok


class WindowForm(Form):
    """A year's tech SME evaluation window."""

    class Meta(ChineseMeta, FlaskForm.Meta):
        pass

    year = IntegerField("年度", validators=[
        InputRequired("请填写年度"),
        NumberRange(EARLIEST_YEAR, LATEST_YEAR, message=f"年度应在 {EARLIEST_YEAR} 到 {LATEST_YEAR} 之间"),
    ])
    opens_on = DateField("开始日期", validators=[InputRequired("请填写开始日期")], format="%Y-%m-%d")
    closes_on = DateField("截止日期", validators=[InputRequired("请填写截止日期")], format="%Y-%m-%d")
    source = StringField("来源（如：科技部火炬中心通知）", validators=[Optional(), Length(max=200, message="来源不超过200字")])
