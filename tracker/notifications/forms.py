"""Notification forms (shape only)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SubmitField
from wtforms.validators import InputRequired

from tracker.services.notifications.inbox import NOTIFY_MODES


class PreferencesForm(FlaskForm):
    notify_mode = RadioField("非紧急提醒的接收方式", choices=list(NOTIFY_MODES.items()),
                             validators=[InputRequired("请选择提醒方式")])
    digest_opt_out = BooleanField("不接收每周摘要 / 月报邮件")
    submit = SubmitField("保存")
