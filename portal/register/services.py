"""Services that change the register: agencies and the four kinds of public record.

Every change goes through here (forms, the importer, the demo builder's rules).
Services validate, write, record who and when, and ``flush()``; the caller commits.
Validation messages are in Simplified Chinese and keyed by field name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from flask import current_app, has_request_context
from flask_babel import force_locale, gettext
from stdnum.cn import uscc as uscc_mod
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from ..extensions import db
from ..timeutil import today as today_cn
from ..timeutil import utcnow
from . import vocab
from .models import (
    RECORD_MODELS,
    Agency,
    AgencyFormerName,
    Bureau,
    Division,
    ListEntry,
    Penalty,
)
from .reference import bureau_for_division


def _(message: str, **fields) -> str:
    """gettext that also works outside a request (CLI import, demo): Chinese there."""
    if has_request_context():
        return gettext(message, **fields)
    with force_locale("zh_CN"):
        return gettext(message, **fields)


class ValidationError(Exception):
    """Invalid input; ``errors`` maps each field to a message in Chinese."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


# ---------------------------------------------------------------------------
# Parsing helpers (shared with the importer)
# ---------------------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_date(value) -> dt.date:
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


def normalise_uscc(value) -> str:
    """Upper-cased, compacted USCC; raises ValueError with a Chinese message."""
    text = (_text(value) or "").upper().replace(" ", "").replace("-", "")
    try:
        return uscc_mod.validate(text)
    except InvalidLength:
        raise ValueError(_("统一社会信用代码应为18位")) from None
    except InvalidChecksum:
        raise ValueError(_("统一社会信用代码校验位错误")) from None
    except StdnumError:
        raise ValueError(_("统一社会信用代码格式错误")) from None


def _decimal(value) -> Decimal:
    text = str(value).strip().replace(",", "").replace("，", "")
    text = text.removesuffix("元").removeprefix("¥").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite():
        raise ValueError(text)
    return amount


def _label_or_key(value, choices: dict) -> str | None:
    """Accept a vocabulary key ("abnormal") or its Chinese label ("经营异常名录")."""
    text = _text(value)
    if text is None:
        return None
    if text in choices:
        return text
    for key, label in choices.items():
        if str(label) == text:
            return key
    lowered = text.lower()
    return lowered if lowered in choices else None


class _Cleaner:
    """Collects cleaned values and Chinese error messages for one input dict."""

    def __init__(self, data: dict):
        self.data = data
        self.out: dict = {}
        self.errors: dict[str, str] = {}

    def raw(self, field):
        return self.data.get(field)

    def present(self, field) -> bool:
        return field in self.data

    def _missing(self, field, required: bool, label: str) -> None:
        """An empty value: an error when the field is required; the cleaned value is None."""
        if required:
            self.errors[field] = _("%(label)s不能为空", label=label)
        self.out[field] = None

    def text(self, field, *, required=False, max_len=None, label=""):
        value = _text(self.raw(field))
        if value is None:
            return self._missing(field, required, label)
        if max_len and len(value) > max_len:
            self.errors[field] = _("%(label)s不能超过%(n)s个字", label=label, n=max_len)
        self.out[field] = value
        return value

    def date(self, field, *, required=False, label=""):
        value = self.raw(field)
        if _blank(value):
            return self._missing(field, required, label)
        try:
            parsed = parse_date(value)
        except ValueError:
            self.errors[field] = _(
                "%(label)s不是有效日期（例如 2025-01-02、2025/1/2 或 2025年1月2日）", label=label
            )
            return None
        self.out[field] = parsed
        return parsed

    def choice(self, field, choices, *, required=True, label=""):
        value = _text(self.raw(field))
        if value is None:
            return self._missing(field, required, label)
        if isinstance(choices, dict):
            key = _label_or_key(value, choices)
            allowed = "、".join(str(v) for v in choices.values())
        else:
            key = value if value in choices else None
            allowed = "、".join(choices)
        if key is None:
            self.errors[field] = _("%(label)s“%(value)s”不是允许的值（可选：%(allowed)s）",
                                   label=label, value=value, allowed=allowed)
            return None
        self.out[field] = key
        return key

    def decimal(self, field, *, label="", minimum=Decimal(0)):
        value = self.raw(field)
        if _blank(value):
            self.out[field] = None
            return None
        try:
            amount = value if isinstance(value, Decimal) else _decimal(value)
        except ValueError:
            self.errors[field] = _("%(label)s不是有效金额", label=label)
            return None
        if amount < minimum:
            self.errors[field] = _("%(label)s不能为负数", label=label)
            return None
        self.out[field] = amount.quantize(Decimal("0.01"))
        return amount

    def integer(self, field, *, label="", required=False, minimum=0, maximum=None):
        value = self.raw(field)
        if _blank(value):
            return self._missing(field, required, label)
        try:
            number = int(value) if not isinstance(value, str) else int(value.strip())
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
        except (TypeError, ValueError):
            self.errors[field] = _("%(label)s应为整数", label=label)
            return None
        if number < minimum or (maximum is not None and number > maximum):
            self.errors[field] = _("%(label)s超出允许范围", label=label)
            return None
        self.out[field] = number
        return number

    def uscc(self, field, *, required=True, label=""):
        value = self.raw(field)
        if _blank(value):
            return self._missing(field, required, label)
        try:
            code = normalise_uscc(value)
        except ValueError as exc:
            self.errors[field] = str(exc)
            return None
        self.out[field] = code
        return code


AgencyLookup = Callable[[str], Agency | None]


def _default_agency_lookup(uscc: str) -> Agency | None:
    return db.session.scalar(db.select(Agency).where(Agency.uscc == uscc))


def _agency_field(c: _Cleaner, lookup: AgencyLookup, *, required=True):
    agency = c.raw("agency")
    if isinstance(agency, Agency):
        c.out["agency"] = agency
        return agency
    code = c.uscc("agency_uscc", required=required, label=_("统一社会信用代码"))
    if code is None:
        return None
    agency = lookup(code)
    if agency is None and required:
        c.errors["agency_uscc"] = _("登记簿中没有统一社会信用代码为 %(uscc)s 的代理机构", uscc=code)
    c.out["agency"] = agency
    return agency


# ---------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------

def clean_agency(data: dict) -> dict:
    """Validate agency input; returns cleaned values or raises ValidationError."""
    c = _Cleaner(data)
    c.uscc("uscc", label=_("统一社会信用代码"))
    c.text("name", required=True, max_len=200, label=_("机构名称"))
    c.text("licence_no", max_len=40, label=_("执业许可证号"))
    c.choice("kind", vocab.AGENCY_KINDS, label=_("机构类型"))
    status = c.choice("status", vocab.AGENCY_STATUSES, required=False, label=_("机构状态"))
    c.out["status"] = status or "practising"
    c.text("address", max_len=300, label=_("住所"))
    code = c.text("division_code", required=True, label=_("行政区划代码"))
    if code is not None and (
            not re.fullmatch(r"\d{6}", code) or db.session.get(Division, code) is None):
        c.errors["division_code"] = _("行政区划代码“%(code)s”不存在", code=code)
    c.text("legal_rep", max_len=60, label=_("法定代表人或执行事务合伙人"))
    agents = c.integer("agent_count", label=_("执业代理师人数"), maximum=100000)
    c.out["agent_count"] = agents or 0
    c.date("established_on", label=_("成立日期"))
    c.text("branches", label=_("分支机构"))
    former = c.raw("former_names")
    if isinstance(former, str):
        former = [n.strip() for n in re.split(r"[；;\n]", former) if n.strip()]
    c.out["former_names"] = list(former or [])
    bureau_code = _text(c.raw("bureau_code"))
    bureau = None
    if bureau_code:
        bureau = db.session.scalar(db.select(Bureau).where(Bureau.code == bureau_code))
        if bureau is None:
            c.errors["bureau_code"] = _("没有代码为 %(code)s 的监管部门", code=bureau_code)
    elif code and "division_code" not in c.errors:
        bureau = bureau_for_division(code)
        if bureau is None:
            c.errors["division_code"] = _("行政区划 %(code)s 不在本平台监管范围内", code=code)
    c.out["bureau"] = bureau
    if c.errors:
        raise ValidationError(c.errors)
    return c.out


AGENCY_FIELDS = ("name", "licence_no", "kind", "status", "address", "division_code", "legal_rep",
                 "agent_count", "established_on", "branches")


def upsert_agency(data: dict, actor=None) -> Agency:
    """Create or update the agency keyed by USCC.  A renamed agency keeps its old name."""
    return save_agency(clean_agency(data), actor=actor)


def save_agency(values: dict, *, actor=None, fields=None) -> Agency:
    """Write cleaned agency values (from ``clean_agency``); ``fields`` limits what is updated."""
    agency = db.session.scalar(db.select(Agency).where(Agency.uscc == values["uscc"]))
    if values.get("licence_no"):
        clash = db.session.scalar(db.select(Agency).where(
            Agency.licence_no == values["licence_no"], Agency.uscc != values["uscc"]))
        if clash is not None:
            raise ValidationError({"licence_no": _("执业许可证号 %(no)s 已属于 %(name)s",
                                                   no=values["licence_no"], name=clash.name)})
    if agency is None:
        agency = Agency(uscc=values["uscc"])
        db.session.add(agency)
        fields = None
    elif agency.name != values["name"]:
        _add_former_name(agency, agency.name, today_cn())
    for field in AGENCY_FIELDS:
        if fields is None or field in fields or field == "name":
            setattr(agency, field, values[field])
    if fields is None or "bureau_code" in fields or "division_code" in fields \
            or agency.bureau_id is None:
        agency.bureau = values["bureau"]
    for name in values["former_names"]:
        if name != agency.name:
            _add_former_name(agency, name, None)
    db.session.flush()
    return agency


def _add_former_name(agency: Agency, name: str, until: dt.date | None) -> None:
    if any(f.name == name for f in agency.former_names):
        return
    agency.former_names.append(AgencyFormerName(name=name, until=until))


# ---------------------------------------------------------------------------
# The publication window (行政处罚信息公示规定) — the one place for this rule
# ---------------------------------------------------------------------------

SHORT_WINDOW_KINDS = frozenset({"通报批评", "罚款"})
SHORT_WINDOW_MONTHS = 3
LONG_WINDOW_MONTHS = 36
REPAIR_AFTER_MONTHS = 6
NOT_REPAIRABLE_KINDS = frozenset({"吊销执业许可证"})


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def publication_end_for(kinds, fine_amount, suspension_months, published_on: dt.date,
                        small_fine: Decimal | int | None = None) -> dt.date:
    """Window rule on plain values: 3 months for 通报批评 / a small fine alone, else 3 years,
    or as long as a longer restriction lasts.  The last day shown is the day before the end."""
    if small_fine is None:
        small_fine = current_app.config["PENALTY_SMALL_FINE_YUAN"]
    kinds = set(kinds)
    short = bool(kinds) and kinds <= SHORT_WINDOW_KINDS and (
        "罚款" not in kinds or (fine_amount is not None and Decimal(fine_amount) <= Decimal(small_fine))
    )
    months = SHORT_WINDOW_MONTHS if short else LONG_WINDOW_MONTHS
    if suspension_months and suspension_months > months:
        months = suspension_months
    return add_months(published_on, months) - dt.timedelta(days=1)


def penalty_publication_end(penalty: Penalty) -> dt.date | None:
    """The last day a penalty decision is shown to the public."""
    if penalty.published_on is None:
        return None
    return publication_end_for(penalty.penalty_kind_list, penalty.fine_amount,
                               penalty.suspension_months, penalty.published_on)


def repair_allowed_from(penalty: Penalty) -> dt.date:
    return add_months(penalty.published_on, REPAIR_AFTER_MONTHS)


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------

def _common_fields(c: _Cleaner, *, default_date: dt.date | None, bureau):
    authority = c.text("authority", max_len=120, label=_("公示机关"))
    if authority is None and bureau is not None:
        c.out["authority"] = bureau.name
    elif authority is None:
        c.errors["authority"] = _("公示机关不能为空")
    published = c.date("published_on", label=_("公示日期"))
    if published is None and "published_on" not in c.errors:
        if default_date is None:
            c.errors.setdefault("published_on", _("公示日期不能为空"))
        c.out["published_on"] = default_date
    end = c.date("publication_ends_on", label=_("公示截止日期"))
    if end and c.out.get("published_on") and end < c.out["published_on"]:
        c.errors["publication_ends_on"] = _("公示截止日期不能早于公示日期")


def clean_record(kind: str, data: dict, *, bureau=None,
                 agency_lookup: AgencyLookup | None = None) -> dict:
    """Validate the fields of one record of ``kind``; raises ValidationError."""
    if kind not in RECORD_MODELS:
        raise ValidationError({"kind": _("未知的记录类型：%(kind)s", kind=kind)})
    lookup = agency_lookup or _default_agency_lookup
    c = _Cleaner(data)
    if kind == "spot_check":
        _agency_field(c, lookup)
        c.text("task_number", required=True, max_len=60, label=_("任务编号"))
        c.text("task_name", required=True, max_len=200, label=_("任务名称"))
        c.choice("check_type", vocab.SPOT_CHECK_TYPES, label=_("检查类型"))
        done = c.date("completed_on", required=True, label=_("检查完成日期"))
        c.choice("result", vocab.SPOT_CHECK_RESULTS, label=_("检查结果"))
        c.text("remarks", label=_("备注"))
        _common_fields(c, default_date=done, bureau=bureau)
    elif kind == "penalty":
        c.text("decision_number", required=True, max_len=80, label=_("决定书文号"))
        party_uscc = c.uscc("party_uscc", required=False, label=_("当事人统一社会信用代码"))
        agency = c.raw("agency") if isinstance(c.raw("agency"), Agency) else None
        if agency is None and party_uscc:
            agency = lookup(party_uscc)
        c.out["agency"] = agency
        name = c.text("party_name", max_len=200, label=_("当事人名称"))
        if name is None:
            if agency is not None:
                c.out["party_name"] = agency.name
            else:
                c.errors["party_name"] = _("当事人名称不能为空")
        if agency is not None and not party_uscc:
            c.out["party_uscc"] = agency.uscc
        c.text("legal_rep", max_len=60, label=_("法定代表人"))
        if c.out["legal_rep"] is None and agency is not None:
            c.out["legal_rep"] = agency.legal_rep
        c.choice("violation_type", vocab.VIOLATION_TYPES, label=_("违法行为类型"))
        c.text("facts", required=True, label=_("违法事实"))
        c.text("legal_basis", required=True, label=_("处罚依据"))
        raw_kinds = c.raw("penalty_kinds")
        if isinstance(raw_kinds, str) or raw_kinds is None:
            kinds = [k.strip() for k in re.split(r"[、,，;；/]", raw_kinds or "") if k.strip()]
        else:
            kinds = [str(k).strip() for k in raw_kinds]
        bad = [k for k in kinds if k not in vocab.PENALTY_KINDS]
        if not kinds:
            c.errors["penalty_kinds"] = _("处罚种类不能为空")
        elif bad:
            c.errors["penalty_kinds"] = _("处罚种类“%(value)s”不是允许的值（可选：%(allowed)s）",
                                          value="、".join(bad),
                                          allowed="、".join(vocab.PENALTY_KINDS))
        kinds = [k for k in vocab.PENALTY_KINDS if k in kinds]  # canonical order, no duplicates
        c.out["penalty_kinds"] = "、".join(kinds)
        fine = c.decimal("fine_amount", label=_("罚款金额"))
        conf = c.decimal("confiscation_amount", label=_("没收金额"))
        months = c.integer("suspension_months", label=_("停止承接业务期限（月）"), maximum=120)
        if "罚款" in kinds and not fine and "fine_amount" not in c.errors:
            c.errors["fine_amount"] = _("处罚种类含罚款时必须填写罚款金额")
        if fine and "罚款" not in kinds and "penalty_kinds" not in c.errors:
            c.errors["fine_amount"] = _("填写了罚款金额，但处罚种类不含罚款")
        if "没收违法所得" in kinds and not conf and "confiscation_amount" not in c.errors:
            c.errors["confiscation_amount"] = _("处罚种类含没收违法所得时必须填写没收金额")
        if "责令停止承接新的专利代理业务" in kinds:
            if months is None and "suspension_months" not in c.errors:
                c.errors["suspension_months"] = _("责令停止承接新业务时必须填写期限（6至12个月）")
            elif months is not None and not 6 <= months <= 12:
                c.errors["suspension_months"] = _("停止承接新业务的期限应为6至12个月")
        decided = c.date("decided_on", required=True, label=_("处罚决定日期"))
        c.text("full_text", label=_("决定书全文"))
        _common_fields(c, default_date=decided, bureau=bureau)
        if decided and c.out.get("published_on") and c.out["published_on"] < decided:
            c.errors["published_on"] = _("公示日期不能早于处罚决定日期")
    elif kind == "credit_grade":
        _agency_field(c, lookup)
        c.text("period", required=True, max_len=20, label=_("评价期间"))
        c.choice("grade", vocab.CREDIT_GRADES, label=_("信用等级"))
        score = c.decimal("score", label=_("信用分"))
        if score is not None and score > 200:
            c.errors["score"] = _("信用分超出允许范围")
        elif score is not None:
            c.out["score"] = score.quantize(Decimal("0.1"))
        evaluated = c.date("evaluated_on", required=True, label=_("评价日期"))
        _common_fields(c, default_date=evaluated, bureau=bureau)
    elif kind == "list_entry":
        _agency_field(c, lookup)
        c.choice("list_kind", vocab.LIST_KINDS, label=_("名录类型"))
        c.choice("inclusion_reason", vocab.LIST_INCLUSION_REASONS, label=_("列入原因"))
        included = c.date("included_on", required=True, label=_("列入日期"))
        c.text("inclusion_authority", max_len=120, label=_("作出决定机关（列入）"))
        if c.out["inclusion_authority"] is None:
            if _text(c.raw("authority")):
                c.out["inclusion_authority"] = _text(c.raw("authority"))
            elif bureau is not None:
                c.out["inclusion_authority"] = bureau.name
            else:
                c.errors["inclusion_authority"] = _("作出决定机关（列入）不能为空")
        if _blank(c.raw("authority")) and c.out.get("inclusion_authority"):
            c.data = dict(c.data, authority=c.out["inclusion_authority"])
        c.text("inclusion_decision_number", max_len=80, label=_("列入决定书文号"))
        c.choice("removal_reason", vocab.LIST_REMOVAL_REASONS, required=False, label=_("移出原因"))
        removed = c.date("removed_on", label=_("移出日期"))
        c.text("removal_authority", max_len=120, label=_("作出决定机关（移出）"))
        if removed and not c.out.get("removal_reason") and "removal_reason" not in c.errors:
            c.errors["removal_reason"] = _("填写了移出日期时必须填写移出原因")
        if c.out.get("removal_reason") and not removed and "removed_on" not in c.errors:
            c.errors["removed_on"] = _("填写了移出原因时必须填写移出日期")
        if removed and included and removed < included:
            c.errors["removed_on"] = _("移出日期不能早于列入日期")
        if removed and not c.out.get("removal_authority"):
            c.out["removal_authority"] = c.out.get("inclusion_authority")
        _common_fields(c, default_date=included, bureau=bureau)
    if c.errors:
        raise ValidationError(c.errors)
    return c.out


def _apply(record, values: dict) -> None:
    for field, value in values.items():
        if field in ("agency_uscc", "publication_ends_on"):
            continue
        setattr(record, field, value)
    if isinstance(record, Penalty):
        record.publication_ends_on = values.get("publication_ends_on") or penalty_publication_end(record)
    else:
        record.publication_ends_on = values.get("publication_ends_on")


def _actor_id(actor):
    return getattr(actor, "id", None)


def publish_record(kind: str, data: dict, *, actor=None, bureau=None):
    """Validate and publish one record of ``kind``; returns the new record (flushed)."""
    values = clean_record(kind, data, bureau=bureau)
    _check_unique(RECORD_MODELS[kind], values)
    return create_record(kind, values, actor=actor, bureau=bureau)


def create_record(kind: str, values: dict, *, actor=None, bureau=None):
    """Insert a record from cleaned values (``clean_record``); flushes."""
    record = RECORD_MODELS[kind](status="published")
    _apply(record, values)
    record.bureau = bureau
    record.created_by_id = record.updated_by_id = _actor_id(actor)
    db.session.add(record)
    db.session.flush()
    return record


def _check_unique(model, values, existing_id=None):
    if model is Penalty:
        q = db.select(Penalty).where(Penalty.decision_number == values["decision_number"])
        msg = ("decision_number", _("决定书文号 %(n)s 已经公示过", n=values["decision_number"]))
    elif model.KIND == "spot_check":
        q = db.select(model).where(model.task_number == values["task_number"],
                                   model.agency_id == values["agency"].id)
        msg = ("task_number", _("该机构在任务 %(n)s 中已有检查结果", n=values["task_number"]))
    elif model.KIND == "credit_grade":
        q = db.select(model).where(model.period == values["period"],
                                   model.agency_id == values["agency"].id)
        msg = ("period", _("该机构 %(p)s 期间已有信用评价", p=values["period"]))
    else:
        q = db.select(model).where(model.list_kind == values["list_kind"],
                                   model.included_on == values["included_on"],
                                   model.agency_id == values["agency"].id)
        msg = ("included_on", _("该机构在同一日期已列入该名录"))
    found = db.session.scalar(q)
    if found is not None and found.id != existing_id:
        raise ValidationError({msg[0]: msg[1]})


def update_record(record, data: dict, *, actor=None):
    """Correct a published record's fields (data may hold only the fields that change)."""
    current = record_values(record)
    if "agency" not in data and ("agency_uscc" in data or "party_uscc" in data):
        current.pop("agency", None)  # the agency is named again by its USCC
    current.update(data)
    if isinstance(record, Penalty) and "publication_ends_on" not in data:
        current["publication_ends_on"] = None  # recomputed from the rule
    values = clean_record(record.KIND, current, bureau=record.bureau)
    _check_unique(type(record), values, existing_id=record.id)
    _apply(record, values)
    record.updated_by_id = _actor_id(actor)
    db.session.flush()
    return record


def record_values(record) -> dict:
    """The editable fields of a record as a dict (the inverse of clean_record)."""
    model = type(record)
    skip = {"id", "status", "status_reason", "status_changed_at", "created_at", "updated_at",
            "bureau_id", "created_by_id", "updated_by_id", "status_changed_by_id", "agency_id"}
    values = {col.key: getattr(record, col.key) for col in model.__table__.columns
              if col.key not in skip}
    if getattr(record, "agency", None) is not None:
        values["agency"] = record.agency
    return values


def _set_status(record, status: str, reason: str, actor) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("必须填写原因")})
    record.status = status
    record.status_reason = reason
    record.status_changed_at = utcnow()
    record.status_changed_by_id = _actor_id(actor)
    record.updated_by_id = _actor_id(actor)


def withdraw_record(record, reason: str, *, actor=None) -> None:
    """Stop publishing a record (e.g. a revoked decision); the row is kept."""
    if record.status == "withdrawn":
        raise ValidationError({"status": _("该记录已撤回")})
    _set_status(record, "withdrawn", reason, actor)
    db.session.flush()


def repair_record(record, reason: str, *, actor=None, on: dt.date | None = None) -> None:
    """Credit repair (信用修复): hide a penalty early, after 6 months of publication."""
    on = on or today_cn()
    if not isinstance(record, Penalty):
        raise ValidationError({"status": _("只有行政处罚信息可以申请信用修复；名录记录请办理移出")})
    if record.status != "published":
        raise ValidationError({"status": _("只有公示中的记录可以信用修复")})
    if set(record.penalty_kind_list) & NOT_REPAIRABLE_KINDS:
        raise ValidationError({"status": _("吊销执业许可证的处罚信息不能信用修复")})
    allowed = repair_allowed_from(record)
    if on < allowed:
        raise ValidationError({"status": _("公示满6个月后才能信用修复（%(d)s 起）",
                                           d=allowed.isoformat())})
    _set_status(record, "repaired", reason, actor)
    db.session.flush()


def remove_list_entry(entry: ListEntry, *, reason: str, removed_on, authority: str | None,
                      actor=None) -> ListEntry:
    """Record the removal of a list entry; the entry stays visible, marked removed."""
    errors = {}
    if entry.removed_on is not None:
        errors["removed_on"] = _("该记录已于 %(d)s 移出", d=entry.removed_on.isoformat())
    if reason not in vocab.LIST_REMOVAL_REASONS:
        errors["removal_reason"] = _("移出原因“%(value)s”不是允许的值", value=reason or "")
    try:
        removed_on = parse_date(removed_on)
    except (ValueError, TypeError):
        errors["removed_on"] = _("移出日期不是有效日期")
    else:
        if removed_on < entry.included_on:
            errors["removed_on"] = _("移出日期不能早于列入日期")
    if errors:
        raise ValidationError(errors)
    entry.removal_reason = reason
    entry.removed_on = removed_on
    entry.removal_authority = (authority or "").strip() or entry.inclusion_authority
    entry.updated_by_id = _actor_id(actor)
    db.session.flush()
    return entry
