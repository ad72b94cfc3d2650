"""The credit repair forms (Flask-WTF; CSRF on).  ``RepairForm.validate`` checks each
field; whether the applicant is the record's party is ``services.check_applicant``."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError
from wtforms import BooleanField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from intake.forms import PHONE_RE

STATEMENT_MIN, STATEMENT_MAX = 20, 5000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper_strip(value):
    return "".join(value.split()).upper() if isinstance(value, str) else value


class RepairForm(FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), filters=[_upper_strip],
                       validators=[DataRequired(_l("请填写统一社会信用代码。")), Length(max=18)])
    licence_no = StringField(_l("执业许可证号"), filters=[_strip],
                             validators=[Optional(), Length(max=40)])
    contact_name = StringField(_l("联系人姓名"), filters=[_strip],
                               validators=[DataRequired(_l("请填写联系人姓名。")), Length(max=60)])
    contact_phone = StringField(_l("联系电话"), filters=[_strip],
                                validators=[Optional(), Length(max=30)])
    contact_email = StringField(_l("电子邮箱"), filters=[_strip],
                                validators=[Optional(), Length(max=254)])
    statement = TextAreaField(
        _l("已纠正失信行为的情况说明"), filters=[_strip],
        validators=[DataRequired(_l("请说明已如何纠正失信行为。")),
                    Length(min=STATEMENT_MIN, max=STATEMENT_MAX,
                           message=_l("请用 %(min)d 至 %(max)d 个字说明。"))])
    files = MultipleFileField(_l("证明材料"))
    pledge = BooleanField(
        _l("我承诺所填信息和所附材料真实，并同意承办部门为办理本申请使用上述信息。"),
        validators=[DataRequired(_l("请勾选承诺后再提交。"))])

    def validate_uscc(self, field):
        try:
            stdnum_uscc.validate(field.data)
        except StdnumError:
            raise ValidationError(
                _l("统一社会信用代码无效（应为 18 位，且校验位正确）。")) from None

    def validate_contact_email(self, field):
        if field.data:
            try:
                field.data = validate_email(field.data, check_deliverability=False).normalized
            except EmailNotValidError:
                raise ValidationError(_l("电子邮箱地址格式不正确。")) from None

    def validate_contact_phone(self, field):
        if field.data and not PHONE_RE.match(field.data.replace(" ", "")):
            raise ValidationError(_l("电话号码格式不正确（手机号 11 位，座机如 0351-1234567）。"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.contact_phone.data and not self.contact_email.data:
            self.contact_phone.errors = [*self.contact_phone.errors,
                                         _l("请至少留下联系电话或电子邮箱之一。")]
            ok = False
        return ok

    def application_data(self) -> dict:
        return {"uscc": self.uscc.data, "licence_no": self.licence_no.data,
                "contact_name": self.contact_name.data, "contact_phone": self.contact_phone.data,
                "contact_email": self.contact_email.data, "statement": self.statement.data}


class FindForm(FlaskForm):
    """Find the penalty to apply for by its decision number (GET: no CSRF)."""

    class Meta:
        csrf = False

    decision = StringField(_l("行政处罚决定书文号"), filters=[_strip],
                           validators=[DataRequired(_l("请填写决定书文号。")), Length(max=80)])


class VerifyForm(FlaskForm):
    note = TextAreaField(_l("核实方式"), filters=[_strip], validators=[Length(max=1000)])


class DecideForm(FlaskForm):
    reason = TextAreaField(_l("理由"), filters=[_strip], validators=[Length(max=3000)])
