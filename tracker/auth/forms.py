"""Login and password forms (shape only)."""

from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.web.forms import Form


class LoginForm(Form):
    email = StringField("邮箱", validators=[DataRequired("请填写邮箱"), Length(max=254)])
    password = PasswordField("密码", validators=[DataRequired("请填写密码"), Length(max=256)])
    remember = BooleanField("记住我")
    submit = SubmitField("登录")


class ChangePasswordForm(Form):
    current_password = PasswordField("当前密码", validators=[DataRequired("请填写当前密码")])
    new_password = PasswordField("新密码", validators=[DataRequired("请填写新密码"), Length(min=8, max=256, message="新密码至少8位")])
    confirm = PasswordField("确认新密码", validators=[EqualTo("new_password", message="两次输入的新密码不一致")])
    submit = SubmitField("修改密码")


class ReauthenticateForm(Form):
    """Confirm the password before a sensitive change (fresh login)."""

    password = PasswordField("密码", validators=[DataRequired("请填写密码"), Length(max=256)])
    submit = SubmitField("确认")
