"""User administration forms (shape only)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from tracker.models.user import ROLE_NAMES
from tracker.web.forms import district_choices


class UserForm(FlaskForm):
    email = StringField("邮箱", validators=[DataRequired("请填写邮箱"), Email("邮箱格式不正确", check_deliverability=False), Length(max=254)])
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=80)])
    role = SelectField("角色", choices=list(ROLE_NAMES.items()))
    district = SelectField("所属辖区", choices=district_choices(blank="（市级管理员不需要）"), validators=[Optional()])
    password = PasswordField("初始密码", validators=[DataRequired("请填写初始密码"), Length(min=8, max=256, message="密码至少8位")])
    submit = SubmitField("保存")


class EditUserForm(FlaskForm):
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=80)])
    role = SelectField("角色", choices=list(ROLE_NAMES.items()))
    district = SelectField("所属辖区", choices=district_choices(blank="（市级管理员不需要）"), validators=[Optional()])
    submit = SubmitField("保存")


class ResetPasswordForm(FlaskForm):
    password = PasswordField("新密码", validators=[DataRequired("请填写新密码"), Length(min=8, max=256, message="密码至少8位")])
    submit = SubmitField("重置密码")
