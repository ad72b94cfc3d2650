"""Sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from .models import Role

ROLE_LABELS = {Role.STAFF: _l("工作人员"), Role.LEAD: _l("机关负责人"),
               Role.ADMIN: _l("省级管理员"), Role.ASSOCIATION: _l("行业协会发布员")}


class LoginForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请填写电子邮箱。"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。"))])


class TotpForm(FlaskForm):
    code = StringField(_l("动态验证码（6 位数字）"),
                       validators=[DataRequired(_l("请填写验证码。")), Length(max=10)])


class TotpChangeForm(FlaskForm):
    """Enrol or replace the second factor: password, the current code (when one is set)
    and a code of the new secret."""

    password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请填写当前密码。"))])
    current_code = StringField(_l("原设备上的动态验证码"), validators=[Length(max=10)])
    code = StringField(_l("新设备上的动态验证码（6 位数字）"),
                       validators=[DataRequired(_l("请填写验证码。")), Length(max=10)])


class PasswordChangeForm(FlaskForm):
    old_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请填写当前密码。"))])
    new_password = PasswordField(_l("新密码（至少 12 个字符）"),
                                 validators=[DataRequired(_l("请填写新密码。"))])


class StaffCreateForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请填写电子邮箱。")),
                                                Email(_l("电子邮箱地址无效。"))])
    name = StringField(_l("姓名"), validators=[Length(max=60)])
    role = SelectField(_l("角色"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in Role])
    bureau = SelectField(_l("所属机关"), choices=[])
    password = PasswordField(_l("初始密码（至少 12 个字符）"),
                             validators=[DataRequired(_l("请填写初始密码。"))])


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("新密码（至少 12 个字符）"),
                             validators=[DataRequired(_l("请填写新密码。"))])
