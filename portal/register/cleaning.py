"""Field cleaning: parse and validate the values of one input row (form or import file).

The parsing helpers (dates, USCCs, amounts, vocabulary labels) and the ``Cleaner`` that
collects cleaned values and per-field messages.  What each kind of record asks for is
in ``kinds``; this module knows fields, not kinds.  Messages name the field by its one
label (``kinds`` declares the labels) and are in the page's language (Chinese outside a
request: the CLI importer and the demo builder).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import has_request_context
from flask_babel import force_locale, gettext
from stdnum.cn import uscc as uscc_mod
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from ..errors import PortalError
from ..extensions import db
from .models import Agency


def _(message: str, **fields: Any) -> str:
    """gettext that also works outside a request (CLI import, demo): Chinese there."""
    if has_request_context():
        return gettext(message, **fields)
    with force_locale("zh_CN"):
        return gettext(message, **fields)


class ValidationError(PortalError):
    """Invalid input; ``errors`` maps each field to a message."""

    status = 422

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors=dict(errors))


# ---------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text_or_none(value: object) -> str | None:
    """The stripped text of a cell or form value; None when blank (1.0 from Excel is "1")."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_date(value: object) -> dt.date:
    """A date from a date, datetime or a string such as 2025-01-02, 2025/1/2, 2025年1月2日."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    text = text.split(" ")[0] if re.match(r"^\d{4}-\d{1,2}-\d{1,2} \d", text) else text
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise ValueError(text)


@functools.lru_cache(maxsize=100_000)
def _validated_uscc(text: str) -> str:
    return str(uscc_mod.validate(text))  # an import names the same USCC many times


def normalize_uscc(value: object) -> str:
    """Upper-cased, compacted USCC; raises ValueError with a Chinese message."""
    text = (text_or_none(value) or "").upper().replace(" ", "").replace("-", "")
    try:
        return _validated_uscc(text)
    except InvalidLength:
        raise ValueError(_("统一社会信用代码应为18位")) from None
    except InvalidChecksum:
        raise ValueError(_("统一社会信用代码校验位错误")) from None
    except StdnumError:
        raise ValueError(_("统一社会信用代码格式错误")) from None


def parse_decimal(value: object) -> Decimal:
    """An amount such as "1,000", "¥500" or "300元"; raises ValueError."""
    text = str(value).strip().replace(",", "").replace("，", "")
    text = text.removesuffix("元").removeprefix("¥").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite():
        raise ValueError(text)
    return amount


def label_or_key(value: object, choices: Mapping[str, Any]) -> str | None:
    """Accept a vocabulary key ("abnormal") or its label ("经营异常名录")."""
    text = text_or_none(value)
    if text is None:
        return None
    if text in choices:
        return text
    for key, label in choices.items():
        if str(label) == text:
            return key
    lowered = text.lower()
    return lowered if lowered in choices else None


def split_terms(value: object) -> list[str]:
    """Terms of a multi-valued cell ("警告、罚款", "警告,罚款") or a form's list of values."""
    if isinstance(value, str) or value is None:
        return [k.strip() for k in re.split(r"[、,，;；/]", value or "") if k.strip()]
    return [str(k).strip() for k in value]  # type: ignore[attr-defined]


_OPENING = "[(（【〔［{｛〈《"
_CLOSING = "])）】〕］}｝〉》"
_BRACKETS = str.maketrans({**dict.fromkeys(_OPENING, "〔"), **dict.fromkeys(_CLOSING, "〕")})
_ORDINAL = re.compile(r"第(\d+)号")


def decision_key(value: object) -> str:
    """The one spelling of a decision number, used as its key and in its URL.

    Full-width letters and digits become half-width, spaces go, every kind of bracket
    around the year becomes 〔〕, and "第9002号" becomes "9002号":
    晋知罚字[2026]第9002号, 晋知罚字（２０２６）9002 号 → 晋知罚字〔2026〕9002号.
    """
    text = unicodedata.normalize("NFKC", text_or_none(value) or "")
    text = "".join(text.split()).translate(_BRACKETS)
    return _ORDINAL.sub(r"\1号", text)


def same_name(a: object, b: object) -> bool:
    """Two spellings of a name are the same (full/half width and spaces aside)."""
    def norm(v: object) -> str:
        return "".join(unicodedata.normalize("NFKC", str(v or "")).split())
    return norm(a) == norm(b)


def name_matches(given: object, agency: Agency) -> bool:
    """``given`` is the agency's current or one of its former names."""
    return any(same_name(given, n) for n in (agency.name, *(f.name for f in agency.former_names)))


AgencyLookup = Callable[[str], Agency | None]


def find_agency(uscc: str) -> Agency | None:
    return db.session.scalar(db.select(Agency).where(Agency.uscc == uscc))


# ---------------------------------------------------------------------------
# The cleaner
# ---------------------------------------------------------------------------

class Cleaner:
    """Collects cleaned values (``out``) and messages (``errors``) for one input dict.

    ``labels`` maps each field to its label (messages name the field by it); ``bureau``
    is the publishing bureau and ``lookup`` finds a registered agency by USCC.
    """

    def __init__(self, data: Mapping[str, Any], labels: Mapping[str, Any], *,
                 bureau: Any = None, lookup: AgencyLookup | None = None):
        self.data = dict(data)
        self.labels = labels
        self.bureau = bureau
        self.lookup = lookup or find_agency
        self.out: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.warnings: dict[str, str] = {}  # accepted, but worth telling (a retired code)

    def raw(self, field: str) -> Any:
        return self.data.get(field)

    def label(self, field: str) -> str:
        return str(self.labels.get(field, field))

    def error(self, field: str, message: str) -> None:
        """Record a message unless the field already has one."""
        self.errors.setdefault(field, message)

    def _missing(self, field: str, required: bool) -> None:
        """An empty value: an error when the field is required; the cleaned value is None."""
        if required:
            self.errors[field] = _("%(label)s不能为空", label=self.label(field))
        self.out[field] = None

    def text(self, field: str, *, required: bool = False, max_len: int | None = None) -> str | None:
        value = text_or_none(self.raw(field))
        if value is None:
            self._missing(field, required)
            return None
        if max_len and len(value) > max_len:
            self.errors[field] = _("%(label)s不能超过%(n)s个字", label=self.label(field), n=max_len)
        self.out[field] = value
        return value

    def date(self, field: str, *, required: bool = False) -> dt.date | None:
        value = self.raw(field)
        if is_blank(value):
            self._missing(field, required)
            return None
        try:
            parsed = parse_date(value)
        except ValueError:
            self.errors[field] = _(
                "%(label)s不是有效日期（例如 2025-01-02、2025/1/2 或 2025年1月2日）",
                label=self.label(field))
            return None
        self.out[field] = parsed
        return parsed

    def choice(self, field: str, choices: Any, *, required: bool = True) -> str | None:
        value = text_or_none(self.raw(field))
        if value is None:
            self._missing(field, required)
            return None
        if isinstance(choices, Mapping):
            key = label_or_key(value, choices)
            allowed = "、".join(str(v) for v in choices.values())
        else:
            key = value if value in choices else None
            allowed = "、".join(choices)
        if key is None:
            self.errors[field] = _("%(label)s“%(value)s”不是允许的值（可选：%(allowed)s）",
                                   label=self.label(field), value=value, allowed=allowed)
            return None
        self.out[field] = key
        return key

    def decimal(self, field: str, *, minimum: Decimal = Decimal(0)) -> Decimal | None:
        value = self.raw(field)
        if is_blank(value):
            self.out[field] = None
            return None
        try:
            amount = value if isinstance(value, Decimal) else parse_decimal(value)
        except ValueError:
            self.errors[field] = _("%(label)s不是有效金额", label=self.label(field))
            return None
        if amount < minimum:
            self.errors[field] = _("%(label)s不能为负数", label=self.label(field))
            return None
        self.out[field] = amount.quantize(Decimal("0.01"))
        return amount

    def integer(self, field: str, *, required: bool = False, minimum: int = 0,
                maximum: int | None = None) -> int | None:
        value = self.raw(field)
        if is_blank(value):
            self._missing(field, required)
            return None
        try:
            number = int(value) if not isinstance(value, str) else int(value.strip())
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
        except (TypeError, ValueError):
            self.errors[field] = _("%(label)s应为整数", label=self.label(field))
            return None
        if number < minimum or (maximum is not None and number > maximum):
            self.errors[field] = _("%(label)s超出允许范围", label=self.label(field))
            return None
        self.out[field] = number
        return number

    def uscc(self, field: str, *, required: bool = True) -> str | None:
        value = self.raw(field)
        if is_blank(value):
            self._missing(field, required)
            return None
        try:
            code = normalize_uscc(value)
        except ValueError as exc:
            self.errors[field] = str(exc)
            return None
        self.out[field] = code
        return code

    def agency(self, *, required: bool = True) -> Agency | None:
        """The registered agency the record is about: given as ``agency`` or by ``agency_uscc``."""
        agency = self.raw("agency")
        if isinstance(agency, Agency):
            self.out["agency"] = agency
            return agency
        code = self.uscc("agency_uscc", required=required)
        if code is None:
            return None
        agency = self.lookup(code)
        if agency is None and required:
            self.errors["agency_uscc"] = _("登记簿中没有统一社会信用代码为 %(uscc)s 的代理机构",
                                           uscc=code)
        self.out["agency"] = agency
        if agency is not None:
            self.check_name("agency_name", agency)
        return agency

    def check_name(self, field: str, agency: Agency) -> None:
        """The name given in ``field`` (if any) must be the agency's current or a former name."""
        given = text_or_none(self.raw(field))
        if given is not None and not name_matches(given, agency):
            self.errors[field] = _("%(label)s“%(given)s”与统一社会信用代码 %(uscc)s 登记的机构"
                                   "“%(name)s”不符（也不是其曾用名）", label=self.label(field),
                                   given=given, uscc=agency.uscc, name=agency.name)

    def record_status(self) -> None:
        """The optional status columns of an import: 公示状态, 原因 and date."""
        from .vocab import RECORD_STATUS_WORDING, RECORD_STATUSES

        value = text_or_none(self.raw("status"))
        if value is None:
            return
        key = label_or_key(value, RECORD_STATUS_WORDING) or label_or_key(value, RECORD_STATUSES)
        if key is None:
            allowed = "、".join(str(v) for v in RECORD_STATUS_WORDING.values())
            self.errors["status"] = _("%(label)s“%(value)s”不是允许的值（可选：%(allowed)s）",
                                      label=self.label("status"), value=value, allowed=allowed)
            return
        self.out["status"] = key
        reason = self.text("status_reason", max_len=2000)
        changed = self.date("status_changed_at")
        if key != "published" and reason is None:
            self.errors["status_reason"] = _("公示状态为“%(status)s”时必须填写%(label)s",
                                             status=value, label=self.label("status_reason"))
        if key == "published" and (reason or changed):
            self.errors["status_reason"] = _("公示中的记录不应填写%(label)s",
                                             label=self.label("status_reason"))

    def publication(self, *, default_date: dt.date | None) -> None:
        """The fields every record has: authority, publication date and end of the window."""
        if self.text("authority", max_len=120) is None:
            if self.bureau is not None:
                self.out["authority"] = self.bureau.name
            else:
                self.errors["authority"] = _("%(label)s不能为空", label=self.label("authority"))
        published = self.date("published_on")
        if published is None and "published_on" not in self.errors:
            if default_date is None:
                self.error("published_on", _("%(label)s不能为空", label=self.label("published_on")))
            self.out["published_on"] = default_date
        end = self.date("publication_ends_on")
        if end and self.out.get("published_on") and end < self.out["published_on"]:
            self.errors["publication_ends_on"] = _("公示截止日期不能早于公示日期")
        self.record_status()

    def result(self) -> dict[str, Any]:
        """The cleaned values, or ValidationError with every message."""
        if self.errors:
            raise ValidationError(self.errors)
        return self.out
