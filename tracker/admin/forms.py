"""User administration forms (shape only)."""

from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from tracker.models.user import ROLE_NAMES
from tracker.web.forms import Form, district_choices
from tracker.web.once import OnceForm

# 企业微信 / 政务微信 通讯录 → 成员 → 账号: no spaces, at most 64 characters (empty: none).
WECOM_USERID_CHECKS = [Optional(), Length(max=64, message="企业微信账号最长 64 个字符"),
                       Regexp(r"^\S+$", message="企业微信账号不能含空格")]


class UserForm(OnceForm, Form):
    email = StringField("邮箱", validators=[DataRequired("请填写邮箱"), Email("邮箱格式不正确", check_deliverability=False), Length(max=254)])
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=80)])
    role = SelectField("角色", choices=list(ROLE_NAMES.items()))
    district = SelectField("所属辖区", choices=district_choices(blank="（市级管理员不需要）"), validators=[Optional()])
    password = PasswordField("初始密码", validators=[DataRequired("请填写初始密码"), Length(min=8, max=256, message="密码至少8位")])
    wecom_userid = StringField("企业微信账号（userid）", validators=WECOM_USERID_CHECKS)
    submit = SubmitField("保存")


class EditUserForm(Form):
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=80)])
    role = SelectField("角色", choices=list(ROLE_NAMES.items()))
    district = SelectField("所属辖区", choices=district_choices(blank="（市级管理员不需要）"), validators=[Optional()])
    wecom_userid = StringField("企业微信账号（userid）", validators=WECOM_USERID_CHECKS)
    submit = SubmitField("保存")


class ResetPasswordForm(Form):
    password = PasswordField("新密码", validators=[DataRequired("请填写新密码"), Length(min=8, max=256, message="密码至少8位")])
    submit = SubmitField("重置密码")
