"""The tip form and the tracking forms (Flask-WTF; CSRF on).

``TipForm.validate`` is the one place for the tip form's checks, single-field and
cross-field alike (party, place, identity), including those that look up reference
data (the agency, the division chain, the operator's domicile).  It is the only
entrance for untrusted input, and it can report every problem at once next to its
field; ``services.submit_tip`` then takes ``TipForm.tip_data()`` as checked.
"""

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

from portal.register.models import Agency
from portal.timeutil import today

from . import places, services
from .categories import category_choices

DESCRIPTION_MAX = 5000
DESCRIPTION_MIN = 10
REPLY_MAX = 3000
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper_strip(value):
    return value.strip().upper() if isinstance(value, str) else value


def _fail(field, message) -> bool:
    """Add ``message`` to ``field``'s errors; False (for ``ok = _fail(...)``)."""
    field.errors = [*field.errors, message]
    return False


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
    reporter_name = StringField(_l("姓名"), filters=[_strip],
                                validators=[Optional(), Length(max=60)])
    reporter_phone = StringField(_l("电话"), filters=[_strip],
                                 validators=[Optional(), Length(max=30)])
    reporter_email = StringField(_l("电子邮箱"), filters=[_strip],
                                 validators=[Optional(), Length(max=254)])
    consent = BooleanField(
        _l("我已阅读上述说明，同意承办部门工作人员为办理本举报使用我提供的信息。"),
        validators=[DataRequired(_l("请勾选同意后再提交。"))],
    )
    # Honeypot: hidden from people (CSS .hp-field), filled in by naive bots.
    website = StringField(_l("请勿填写此项"), filters=[_strip])

    # Set by validate(): the registered agency named, the place where it happened.
    resolved_agency: Agency | None = None
    division_code: str | None = None

    def validate_occurred_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_l("发生日期不能晚于今天。"))

    def validate_operator_uscc(self, field):
        if field.data and self.party_kind.data == "operator":
            try:
                stdnum_uscc.validate(field.data)
            except StdnumError:
                raise ValidationError(
                    _l("统一社会信用代码无效（应为 18 位，且校验位正确）。")) from None

    def validate_reporter_email(self, field):
        if field.data:
            try:
                field.data = validate_email(field.data, check_deliverability=False).normalized
            except EmailNotValidError:
                raise ValidationError(_l("电子邮箱地址格式不正确。")) from None

    def validate_reporter_phone(self, field):
        if field.data and not PHONE_RE.match(field.data.replace(" ", "")):
            raise ValidationError(_l("电话号码格式不正确（手机号 11 位，座机如 0351-1234567）。"))

    def validate(self, extra_validators=None):
        """Field checks, then the cross-field ones; every problem is reported at once."""
        ok = super().validate(extra_validators)
        checks = [self._check_party(), self._check_place(), self._check_identity()]
        return ok and all(checks)

    def _check_party(self) -> bool:
        self.resolved_agency = None
        if self.party_kind.data == "agency":
            return self._check_agency()
        if self.party_kind.data == "operator":
            return self._check_operator()
        return True

    def _check_agency(self) -> bool:
        if not self.agency.data:
            return _fail(self.agency, _l("请填写被举报机构的名称或统一社会信用代码。"))
        try:
            self.resolved_agency = services.resolve_agency(self.agency.data)
        except services.SubmissionError as exc:
            return _fail(self.agency, exc.errors["agency"])
        return True

    def _check_operator(self) -> bool:
        ok = True
        if not (self.operator_name.data or self.operator_contact.data):
            ok = _fail(self.operator_name, _l("请至少填写经营者名称，或其网站、网店、平台账号。"))
        if not places.is_domicile_code(self.operator_division.data):
            ok = _fail(self.operator_division, _l("请选择有效的登记住所地。"))
        return ok

    def _check_place(self) -> bool:
        ok = True
        if not self.province.data and not self.online.data:
            ok = _fail(self.province,
                       _l("请选择违法行为发生的地区；如发生在网上，请勾选“发生在网上”。"))
        try:
            self.division_code = places.check_place(self.province.data, self.city.data,
                                                    self.district.data)
        except ValueError as exc:
            self.division_code = None
            ok = _fail(self.province, str(exc))
        return ok

    def _check_identity(self) -> bool:
        if self.identity.data != "named":
            return True
        ok = True
        if not self.reporter_name.data:
            ok = _fail(self.reporter_name, _l("实名举报请填写姓名。"))
        if not self.reporter_phone.data and not self.reporter_email.data:
            ok = _fail(self.reporter_phone, _l("实名举报请至少留下电话或电子邮箱之一。"))
        return ok

    def tip_data(self) -> dict:
        """The checked values for ``services.submit_tip`` (after ``validate`` passed)."""
        return {
            "category": self.category.data,
            "agency": self.resolved_agency,
            "operator_name": self.operator_name.data,
            "operator_uscc": self.operator_uscc.data,
            "operator_contact": self.operator_contact.data,
            "operator_division_code": self.operator_division.data or None,
            "division_code": self.division_code,
            "online": bool(self.online.data),
            "online_url": self.online_url.data,
            "occurred_on": self.occurred_on.data,
            "description": self.description.data,
            "anonymous": self.identity.data != "named",
            "reporter_name": self.reporter_name.data,
            "reporter_phone": self.reporter_phone.data,
            "reporter_email": self.reporter_email.data,
        }


class TrackForm(FlaskForm):
    code = StringField(_l("查询码"), filters=[_strip],
                       validators=[DataRequired(_l("请输入查询码。")), Length(max=40)])


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("补充说明"), filters=[_strip],
                         validators=[Optional(), Length(max=REPLY_MAX,
                                                        message=_l("补充说明最多 %(max)d 个字。"))])
    evidence = MultipleFileField(_l("补充证据材料"))


class NotifyForm(FlaskForm):
    """The tracking page's notification settings: an anonymous reporter's
    notification-only address, or turning notifications off / on."""

    email = StringField(_l("仅用于通知的电子邮箱"), filters=[_strip],
                        validators=[Optional(), Length(max=254)])
    choice = RadioField(_l("邮件通知"), choices=[SelectChoice("on", _l("有新进展时发邮件通知我")),
                                                SelectChoice("off", _l("不要发邮件通知我"))],
                        default="on", validators=[Optional()])

    def validate_email(self, field):
        if field.data:
            try:
                field.data = validate_email(field.data, check_deliverability=False).normalized
            except EmailNotValidError:
                raise ValidationError(_l("电子邮箱地址格式不正确。")) from None
