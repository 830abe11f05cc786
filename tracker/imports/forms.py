"""Import forms: shape only (kind, a .csv/.xlsx file, the commit mode)."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length

from tracker.rules.import_formats import KIND_NAMES
from tracker.services.imports.importer import MODE_NAMES
from tracker.web.forms import Form


class UploadForm(Form):
    """What to import and the file (CSV or xlsx)."""

    kind = SelectField("导入内容", choices=list(KIND_NAMES.items()), validators=[DataRequired("请选择导入内容")])
    file = FileField("文件（CSV 或 xlsx，第一行为表头）", validators=[
        FileRequired("请选择要导入的文件"),
        FileAllowed(["csv", "xlsx"], "只支持 .csv 或 .xlsx 文件"),
    ])
    submit = SubmitField("上传并试导入")


class CommitForm(Form):
    """Confirm the import of a stored upload (by its token) in a mode."""

    token = HiddenField(validators=[DataRequired("导入文件已失效，请重新上传"), Length(max=64)])
    mode = RadioField("导入方式", choices=list(MODE_NAMES.items()), default="all",
                      validators=[DataRequired("请选择导入方式")])
    submit = SubmitField("确认导入")
