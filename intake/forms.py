"""The tip form and the tracking forms (Flask-WTF; CSRF on)."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError
from wtforms import (
    BooleanField,
    DateField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional, ValidationError

from portal.timeutil import today

from .categories import category_choices

DESCRIPTION_MAX = 5000
DESCRIPTION_MIN = 10
REPLY_MAX = 3000
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper_strip(value):
    return value.strip().upper() if isinstance(value, str) else value


class TipForm(FlaskForm):
    category = RadioField(_l("举报类别"), choices=category_choices(),
                          validators=[InputRequired(_l("请选择举报类别。"))])

    party_kind = RadioField(
        _l("被举报对象"),
        choices=[SelectChoice("agency", _l("名录中登记的代理机构")),
                 SelectChoice("operator", _l("未登记的经营者或个人"))],
        default="agency", validators=[InputRequired(_l("请选择被举报对象的类型。"))],
    )
    agency = StringField(_l("代理机构名称或统一社会信用代码"), filters=[_strip],
                         validators=[Optional(), Length(max=240)])
    operator_name = StringField(_l("经营者名称"), filters=[_strip],
                                validators=[Optional(), Length(max=200)])
    operator_uscc = StringField(_l("统一社会信用代码（如知道）"), filters=[_upper_strip],
                                validators=[Optional(), Length(max=18)])
    operator_contact = StringField(_l("网站、网店或平台账号"), filters=[_strip],
                                   validators=[Optional(), Length(max=300)])
    operator_division = SelectField(_l("经营者登记住所地（如知道）"), choices=[],
                                    validate_choice=False, validators=[Optional()])

    province = SelectField(_l("省份"), choices=[], validate_choice=False)
    city = SelectField(_l("城市"), choices=[], validate_choice=False)
    district = SelectField(_l("区县"), choices=[], validate_choice=False)
    online = BooleanField(_l("违法行为发生在网上（广告、网店、网站、社交平台等）"))
    online_url = URLField(_l("相关网址"), filters=[_strip], validators=[
        Optional(), Length(max=500), URL(message=_l("请填写完整的网址，例如 https://example.com/…"))])

    occurred_on = DateField(_l("发生日期（不确定可留空）"), validators=[Optional()],
                            render_kw={"max": ""})
    description = TextAreaField(
        _l("发生了什么"), filters=[_strip],
        validators=[
            DataRequired(_l("请描述发生了什么。")),
            Length(min=DESCRIPTION_MIN, max=DESCRIPTION_MAX,
                   message=_l("请用 %(min)d 至 %(max)d 个字描述。")),
        ],
    )
    evidence = MultipleFileField(_l("证据材料"))

    identity = RadioField(
        _l("您的身份"),
        choices=[SelectChoice("anonymous", _l("匿名举报")), SelectChoice("named", _l("实名举报"))],
        default="anonymous", validators=[InputRequired(_l("请选择匿名或实名。"))],
    )
    reporter_name = StringField(_l("姓名"), filters=[_strip], validators=[Optional(), Length(max=60)])
    reporter_phone = StringField(_l("电话"), filters=[_strip], validators=[Optional(), Length(max=30)])
    reporter_email = StringField(_l("电子邮箱"), filters=[_strip],
                                 validators=[Optional(), Length(max=254)])
    consent = BooleanField(
        _l("我已阅读上述说明，同意承办部门工作人员为办理本举报使用我提供的信息。"),
        validators=[DataRequired(_l("请勾选同意后再提交。"))],
    )
    # Honeypot: hidden from people (CSS .hp-field), filled in by naive bots.
    website = StringField(_l("请勿填写此项"), filters=[_strip])

    def validate_occurred_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_l("发生日期不能晚于今天。"))

    def validate_operator_uscc(self, field):
        if field.data and self.party_kind.data == "operator":
            try:
                stdnum_uscc.validate(field.data)
            except StdnumError:
                raise ValidationError(_l("统一社会信用代码无效（应为 18 位，且校验位正确）。"))

    def validate_reporter_email(self, field):
        if field.data:
            try:
                field.data = validate_email(field.data, check_deliverability=False).normalized
            except EmailNotValidError:
                raise ValidationError(_l("电子邮箱地址格式不正确。"))

    def validate_reporter_phone(self, field):
        if field.data and not PHONE_RE.match(field.data.replace(" ", "")):
            raise ValidationError(_l("电话号码格式不正确（手机号 11 位，座机如 0351-1234567）。"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.party_kind.data == "agency":
            if not self.agency.data:
                self.agency.errors = [*self.agency.errors, _l("请填写被举报机构的名称或统一社会信用代码。")]
                ok = False
        elif self.party_kind.data == "operator" and not (
                self.operator_name.data or self.operator_contact.data):
            self.operator_name.errors = [
                *self.operator_name.errors,
                _l("请至少填写经营者名称，或其网站、网店、平台账号。")]
            ok = False
        if not self.province.data and not self.online.data:
            self.province.errors = [*self.province.errors,
                                    _l("请选择违法行为发生的地区；如发生在网上，请勾选“发生在网上”。")]
            ok = False
        if self.identity.data == "named":
            if not self.reporter_name.data:
                self.reporter_name.errors = [*self.reporter_name.errors, _l("实名举报请填写姓名。")]
                ok = False
            if not self.reporter_phone.data and not self.reporter_email.data:
                self.reporter_phone.errors = [*self.reporter_phone.errors,
                                              _l("实名举报请至少留下电话或电子邮箱之一。")]
                ok = False
        return ok

    @property
    def place_code(self) -> str | None:
        return self.district.data or self.city.data or self.province.data or None


class TrackForm(FlaskForm):
    code = StringField(_l("查询码"), filters=[_strip],
                       validators=[DataRequired(_l("请输入查询码。")), Length(max=40)])


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("补充说明"), filters=[_strip],
                         validators=[Optional(), Length(max=REPLY_MAX,
                                                        message=_l("补充说明最多 %(max)d 个字。"))])
    evidence = MultipleFileField(_l("补充证据材料"))
