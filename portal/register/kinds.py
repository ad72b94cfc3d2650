"""The record-kind registry: one declaration per kind of public record (and for agencies).

Everything that differs between kinds is declared here, once: the model, the labels
(of the kind and of each field: forms, validation messages, column meanings and detail
pages use the same label), the natural key, the import / CSV columns, the download
name, the public URL, the templates, the list filters, the staff form, the cleaning
rules, the searchable text and the publication-window hook.  The importer, the CSV
export, the public pages, the publishing forms and the search documents read it and
loop over ``KINDS``; nobody else keeps a table about kinds.

Agencies are not records, but they are imported and downloaded like them: ``AGENCY``
is a ``Dataset`` (the part of a declaration the importer and the downloads need) and
``DATASETS`` lists it with the record kinds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flask import url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..extensions import db
from . import divisions, vocab
from .cleaning import (
    AgencyLookup,
    Cleaner,
    ValidationError,
    _,
    decision_key,
    same_name,
    split_terms,
    text_or_none,
)
from .models import (  # issue 14 — association measures: AssociationMeasure
    Agency,
    Agent,  # issue 14 — patent agents
    AssociationMeasure,
    Bureau,
    CreditGrade,
    Division,
    ListEntry,
    Penalty,
    SpotCheck,
)
from .publication import publication_end_for

Label = Any  # a lazy (translatable) string


class UnknownKind(ValidationError):
    """A kind that is not in the registry."""

    status = 404

    def __init__(self, key: str):
        super().__init__({"kind": _("未知的记录类型：%(kind)s", kind=key)})


class Widget(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    DATE = "date"
    SELECT = "select"
    NUMBER = "number"
    MULTI = "multi"


@dataclass(frozen=True)
class Column:
    """A column of the import / download files.

    ``header`` is the column's name as on the national systems (what downloads write);
    the importer also accepts the field name and any alias, case-insensitively.
    ``labels`` maps stored keys to the published wording (downloads write the wording).
    docs/import.md documents the columns.
    """

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    note: str = ""
    labels: Mapping[str, Label] | None = None


@dataclass(frozen=True)
class FormField:
    """A field of the staff publishing form (its label is the field's label)."""

    name: str
    widget: Widget = Widget.TEXT
    choices: Collection[str] | Mapping[str, Label] | None = None
    hint: Label | None = None


@dataclass(frozen=True)
class NaturalKey:
    """The fields that identify a row (``agency`` means the agency's id), the field a
    conflict is reported on, and the conflict message (None: a second row updates)."""

    fields: tuple[str, ...]
    error_field: str
    conflict: Callable[[Mapping[str, Any]], str] | None = None

    def of(self, values: Mapping[str, Any]) -> tuple:
        return tuple(values["agency"].id if f == "agency" else values[f] for f in self.fields)

    def condition(self, model: Any, values: Mapping[str, Any]) -> Any:
        key = self.of(values)
        columns = [model.agency_id if f == "agency" else getattr(model, f) for f in self.fields]
        return db.and_(*(col == value for col, value in zip(columns, key, strict=True)))


@dataclass(frozen=True)
class ListFilter:
    """A filter of a public list: the query argument, its allowed values (None: free
    text up to ``max_len``) and the SQL condition for a value."""

    name: str
    choices: Collection[str] | None
    condition: Callable[[Any, str], Any]
    max_len: int = 20

    def parse(self, args: Mapping[str, Any]) -> str:
        value = args.get(self.name)
        if self.choices is None:
            return (value or "").strip()[: self.max_len]
        return str(value) if value in self.choices else ""


def _equals(field_name: str) -> Callable[[Any, str], Any]:
    return lambda model, value: getattr(model, field_name) == value


@dataclass(frozen=True)
class PublicUrl:
    """Where the public pages of a kind live: /<path>/ (list) and /<path>/<value> (detail)."""

    path: str
    list_endpoint: str
    detail_endpoint: str
    field: str = "id"  # the record's attribute in the URL
    arg: str = "record_id"  # the URL argument's name
    converter: str = "int"
    # The one spelling of a URL value: other spellings redirect to it (None: as given).
    canonical: Callable[[str], str] | None = None


@dataclass(frozen=True)
class SearchText:
    """What a record contributes to its search document (search/documents.py)."""

    body: list[str]
    ids: list[str] = field(default_factory=list)  # identifiers typed in full (as stored)
    grade: str | None = None
    penalty_kinds: list[str] = field(default_factory=list)
    active: str | None = None


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A table that is imported and downloaded: agencies and every record kind."""

    key: str
    model: type[Any]
    label: Label
    labels: Mapping[str, Label]  # field -> its one label
    columns: tuple[Column, ...]
    natural_key: NaturalKey
    download: str  # /data/<download>.csv
    clean_fields: Callable[[Cleaner], None]
    count_key: str = ""  # key of queries.home_counts() (default: ``key``)

    def label_of(self, field_name: str) -> str:
        return str(self.labels.get(field_name, field_name))

    @property
    def counted_as(self) -> str:
        return self.count_key or self.key

    def clean(self, data: Mapping[str, Any], *, bureau: Any = None,
              agency_lookup: AgencyLookup | None = None,
              warnings: dict[str, str] | None = None) -> dict[str, Any]:
        """Validate one input row; cleaned values or ValidationError (messages per field).

        ``warnings`` (if given) receives what was accepted but is worth saying (a
        retired division code mapped to its successor)."""
        c = Cleaner(data, self.labels, bureau=bureau, lookup=agency_lookup)
        self.clean_fields(c)
        if warnings is not None:
            warnings.update(c.warnings)
        return c.result()

    def find_existing(self, values: Mapping[str, Any]) -> Any:
        """The stored row with the natural key of ``values``, or None."""
        return db.session.scalar(db.select(self.model).where(
            self.natural_key.condition(self.model, values)))


@dataclass(frozen=True, kw_only=True)
class RecordKind(Dataset):
    """A kind of public record: everything the portal does differently per kind."""

    url: PublicUrl
    detail_template: str
    filters_template: str  # the list page's kind-specific filters
    rows_template: str  # the list page's table head and rows
    filters: tuple[ListFilter, ...] = ()
    form: tuple[FormField, ...]
    search_text: Callable[[Any], SearchText]
    display: Callable[[Any], tuple[str, list[str]]]  # (title, snippet texts) of a search hit
    describe: Callable[[Any], str]  # a record's short name in staff lists
    agency_key: str = "agency_uscc"  # the input field that names the agency
    agency_order: str = ""  # order of the agency page's table (default: the record date)
    # The default end of the publication window, from the record's values (None: no end).
    publication_end: Callable[[Mapping[str, Any]], dt.date | None] | None = None

    @property
    def date_field(self) -> str:
        """The record's own date (completed / decided / evaluated / included on)."""
        return str(self.model.DATE_FIELD)

    @property
    def agency_optional(self) -> bool:
        """True when a record may concern an unregistered party (no agency)."""
        return bool(self.model.__table__.c.agency_id.nullable)

    @property
    def list_endpoint(self) -> str:
        return "register." + self.url.list_endpoint

    def public_url(self, record: Any, **kwargs: Any) -> str:
        value = getattr(record, self.url.field)
        return url_for("register." + self.url.detail_endpoint, **{self.url.arg: value}, **kwargs)

    def window_end(self, values: Mapping[str, Any]) -> dt.date | None:
        """End of the window: as given, else the kind's rule (if it has one)."""
        given = values.get("publication_ends_on")
        if given is not None or self.publication_end is None:
            return given
        return self.publication_end(values)


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------

COMMON_LABELS: dict[str, Label] = {
    "agency_uscc": _l("代理机构统一社会信用代码"),
    "agency_name": _l("机构名称"),
    "authority": _l("公示机关"),
    "published_on": _l("公示日期"),
    "publication_ends_on": _l("公示截止期"),
    "status": _l("公示状态"),
    "status_reason": _l("撤回或信用修复原因"),
    "status_changed_at": _l("撤回或信用修复日期"),
}

# Every kind's file may say that a record is withdrawn or repaired (the record's status).
STATUS_COLUMNS = (
    Column("status", "公示状态", ("status", "公示状态（公示中/已撤回/已信用修复）"), False,
           "公示中 / 已撤回 / 已信用修复；留空为公示中（已有记录不变）",
           labels=vocab.RECORD_STATUS_WORDING),
    Column("status_reason", "撤回或信用修复原因",
           ("status_reason", "撤回原因", "信用修复原因", "状态原因"), False,
           "已撤回、已信用修复时必填，公开显示"),
    Column("status_changed_at", "撤回或信用修复日期",
           ("status_changed_at", "撤回日期", "信用修复日期", "状态日期"), False, "默认为导入日期"),
)

AGENCY_USCC = Column("agency_uscc", "统一社会信用代码", ("agency_uscc", "uscc", "信用代码"), True)


def _published_on(default_note: str) -> Column:
    return Column("published_on", "公示日期", ("published_on",), False, default_note)


_INDEX_TEXTS: dict[tuple[int, str], str] = {}


def index_text(choices: Mapping[str, Label], key: str) -> str:
    """The Chinese wording of a vocabulary key (the search index is Chinese).

    Remembered per vocabulary and key (the vocabularies are module constants and the
    catalogues do not change while a process runs): switching the locale costs more than
    the rest of a search document, and a rebuild asks for every row."""
    if key not in choices:
        return key
    memo = (id(choices), key)
    text = _INDEX_TEXTS.get(memo)
    if text is None:
        with force_locale("zh_CN"):
            text = _INDEX_TEXTS[memo] = str(choices[key])
    return text


# ---------------------------------------------------------------------------
# Agencies (a dataset, not a record kind)
# ---------------------------------------------------------------------------

def _clean_agency(c: Cleaner) -> None:
    c.uscc("uscc")
    c.text("name", required=True, max_len=200)
    c.text("licence_no", max_len=40)
    c.choice("kind", vocab.AGENCY_KINDS)
    c.out["status"] = c.choice("status", vocab.AGENCY_STATUSES, required=False) or "practising"
    c.text("address", max_len=300)
    code = _current_division(c, c.text("division_code", required=True))
    c.text("legal_rep", max_len=60)
    c.out["agent_count"] = c.integer("agent_count", maximum=100000) or 0
    c.date("established_on")
    c.text("branches")
    former = c.raw("former_names")
    if isinstance(former, str):
        former = [n.strip() for n in re.split(r"[；;\n]", former) if n.strip()]
    c.out["former_names"] = list(former or [])
    c.out["bureau"] = _supervising_bureau(c, code)


def _current_division(c: Cleaner, code: str | None) -> str | None:
    """A division code in force: a retired code is mapped to its successor, with a warning."""
    if code is None:
        return None
    division = db.session.get(Division, code) if divisions.is_code(code) else None
    if division is None:
        c.errors["division_code"] = _("行政区划代码“%(code)s”不存在", code=code)
        return code
    if not division.retired:
        return code
    successor = divisions.successor_of(code)
    if successor is None:
        c.errors["division_code"] = _(
            "行政区划代码 %(code)s（%(name)s）已撤销，且没有继任区划，请填写现行代码",
            code=code, name=division.name)
        return code
    c.out["division_code"] = successor
    c.warnings["division_code"] = _(
        "行政区划代码 %(code)s（%(name)s）已撤销，已按现行代码 %(new)s（%(new_name)s）登记",
        code=code, name=division.name, new=successor, new_name=divisions.path_name(successor))
    return successor


def _supervising_bureau(c: Cleaner, division_code: str | None) -> Bureau | None:
    """The bureau named in the row, else the one covering the agency's division."""
    bureau_code = text_or_none(c.raw("bureau_code"))
    if bureau_code:
        bureau = db.session.scalar(db.select(Bureau).where(Bureau.code == bureau_code))
        if bureau is None:
            c.errors["bureau_code"] = _("没有代码为 %(code)s 的监管部门", code=bureau_code)
        return bureau
    if not division_code or "division_code" in c.errors:
        return None
    bureau = divisions.bureau_for_division(division_code)
    if bureau is None:
        c.errors["division_code"] = _("行政区划 %(code)s 不在本平台监管范围内", code=division_code)
    return bureau


AGENCY = Dataset(
    key="agency",
    model=Agency,
    label=_l("代理机构"),
    labels={
        "uscc": _l("统一社会信用代码"), "name": _l("机构名称"), "licence_no": _l("执业许可证号"),
        "kind": _l("机构类型"), "status": _l("机构状态"), "address": _l("住所"),
        "division_code": _l("行政区划代码"), "legal_rep": _l("法定代表人或执行事务合伙人"),
        "agent_count": _l("执业代理师人数"), "established_on": _l("成立日期"),
        "branches": _l("分支机构"), "former_names": _l("曾用名"), "bureau_code": _l("监管部门代码"),
    },
    columns=(
        Column("uscc", "统一社会信用代码", ("uscc", "信用代码", "社会信用代码"), True),
        Column("name", "机构名称", ("name", "名称", "企业名称", "代理机构名称"), True),
        Column("licence_no", "执业许可证号", ("licence_no", "license_no", "许可证号", "机构代码")),
        Column("kind", "机构类型", ("kind", "类型"), True, "专利代理 / 商标代理 / 专利和商标代理",
               labels=vocab.AGENCY_KINDS),
        Column("status", "机构状态", ("status", "状态", "执业状态"), False,
               "执业 / 停止承接新业务 / 注销 / 吊销", labels=vocab.AGENCY_STATUSES),
        Column("address", "住所", ("address", "地址", "注册地址")),
        Column("division_code", "行政区划代码", ("division_code", "区划代码"), True),
        Column("legal_rep", "法定代表人",
               ("legal_rep", "执行事务合伙人", "法定代表人或执行事务合伙人", "负责人")),
        Column("agent_count", "执业代理师人数",
               ("agent_count", "代理师人数", "执业专利代理师人数")),
        Column("established_on", "成立日期", ("established_on", "成立时间")),
        Column("branches", "分支机构", ("branches",), False, "多个用分号隔开"),
        Column("former_names", "曾用名", ("former_names", "原名称"), False, "多个用分号隔开"),
        Column("bureau_code", "监管部门代码", ("bureau_code",), False, "默认按行政区划确定"),
    ),
    natural_key=NaturalKey(("uscc",), "uscc"),
    download="agencies",
    count_key="agencies",
    clean_fields=_clean_agency,
)


# ---------------------------------------------------------------------------
# issue 14 — patent agents: 专利代理师 (a dataset, not a record kind; only what the
# national system publishes about a person: name, certificate number, agency, status)
# ---------------------------------------------------------------------------

_CERTIFICATE = re.compile(r"^[0-9A-Z][0-9A-Z.\-]{3,39}$")


def _clean_agent(c: Cleaner) -> None:
    from .agents import normalize_certificate

    number = normalize_certificate(c.raw("certificate_no"))
    if not number:
        c.errors["certificate_no"] = _("%(label)s不能为空", label=c.label("certificate_no"))
    elif not _CERTIFICATE.match(number):
        c.errors["certificate_no"] = _("%(label)s“%(value)s”格式不正确（应为数字或字母，4至40位）",
                                       label=c.label("certificate_no"), value=number)
    c.out["certificate_no"] = number
    c.text("name", required=True, max_len=60)
    given = text_or_none(c.raw("agency_uscc"))
    agency = c.agency(required=False)
    c.out.setdefault("agency", None)
    if given and agency is None and "agency_uscc" not in c.errors:
        c.errors["agency_uscc"] = _("登记簿中没有统一社会信用代码为 %(uscc)s 的代理机构",
                                    uscc=c.out.get("agency_uscc") or given)
    c.out["status"] = c.choice("status", vocab.AGENT_STATUSES, required=False) or "practising"
    certified = c.date("certified_on")
    since = c.date("practice_since")
    if c.out["status"] == "deregistered" and agency is not None:
        c.errors["agency_uscc"] = _("注销执业的代理师不能有执业机构，请留空执业机构")
    if since and certified and since < certified:
        c.errors["practice_since"] = _("在本机构执业起始日期不能早于首次执业日期")


AGENT = Dataset(
    key="agent",
    model=Agent,
    label=_l("专利代理师"),
    labels={
        "name": _l("姓名"), "certificate_no": _l("执业证号"),
        "agency_uscc": _l("执业机构统一社会信用代码"), "agency_name": _l("执业机构名称"),
        "status": _l("执业状态"), "certified_on": _l("首次执业日期"),
        "practice_since": _l("在本机构执业起始日期"),
    },
    columns=(
        Column("name", "姓名", ("name", "代理师姓名", "专利代理师姓名"), True),
        Column("certificate_no", "执业证号",
               ("certificate_no", "代理师执业证号", "执业证书编号", "执业证编号"), True),
        Column("agency_uscc", "执业机构统一社会信用代码",
               ("agency_uscc", "统一社会信用代码", "机构统一社会信用代码", "信用代码"), False,
               "目前执业的代理机构；留空表示不在登记的机构执业"),
        Column("agency_name", "执业机构名称", ("agency_name", "执业机构", "机构名称"), False,
               "仅用于核对，须与统一社会信用代码登记的名称或曾用名一致"),
        Column("status", "执业状态", ("status", "状态"), False,
               "执业 / 暂停执业 / 注销执业；留空为执业", labels=vocab.AGENT_STATUSES),
        Column("certified_on", "首次执业日期",
               ("certified_on", "执业开始日期", "执业日期", "首次执业时间")),
        Column("practice_since", "在本机构执业起始日期",
               ("practice_since", "本机构执业起始日期", "变更日期"), False,
               "执业机构变更的日期；默认为导入当天"),
    ),
    natural_key=NaturalKey(("certificate_no",), "certificate_no"),
    download="agents",
    count_key="agents",
    clean_fields=_clean_agent,
)


# ---------------------------------------------------------------------------
# 抽查检查结果
# ---------------------------------------------------------------------------

def _clean_spot_check(c: Cleaner) -> None:
    c.agency()
    c.text("task_number", required=True, max_len=60)
    c.text("task_name", required=True, max_len=200)
    c.choice("check_type", vocab.SPOT_CHECK_TYPES)
    done = c.date("completed_on", required=True)
    c.choice("result", vocab.SPOT_CHECK_RESULTS)
    c.text("remarks")
    c.publication(default_date=done)


def _spot_check_search(r: SpotCheck) -> SearchText:
    return SearchText(body=[r.task_number, r.task_name, r.check_type, r.result, r.remarks or "",
                            r.authority])


SPOT_CHECK = RecordKind(
    key="spot_check",
    model=SpotCheck,
    label=_l("抽查检查结果"),
    labels={
        **COMMON_LABELS,
        "task_number": _l("任务编号"), "task_name": _l("任务名称"), "check_type": _l("检查类型"),
        "completed_on": _l("检查完成日期"), "result": _l("检查结果"), "remarks": _l("备注"),
        "authority": _l("检查实施机关"),
    },
    columns=(
        Column("task_number", "任务编号", ("task_number", "抽查任务编号", "计划编号"), True),
        Column("task_name", "任务名称", ("task_name", "抽查任务名称", "计划名称"), True),
        Column("check_type", "检查类型", ("check_type", "抽查类型"), True),
        Column("authority", "检查实施机关", ("authority", "实施机关", "检查机关")),
        Column("agency_name", "机构名称", ("agency_name", "企业名称", "名称")),
        AGENCY_USCC,
        Column("completed_on", "检查完成日期", ("completed_on", "完成日期", "检查日期"), True),
        Column("result", "检查结果", ("result", "抽查结果"), True),
        Column("remarks", "备注", ("remarks",)),
        _published_on("默认为检查完成日期"),
        *STATUS_COLUMNS,
    ),
    natural_key=NaturalKey(("task_number", "agency"), "task_number", lambda v: _(
        "该机构在任务 %(n)s 中已有检查结果", n=v["task_number"])),
    download="spot_check",
    clean_fields=_clean_spot_check,
    url=PublicUrl("spot-checks", "spot_checks", "spot_check"),
    detail_template="register/spot_check.html",
    filters_template="register/_spot_check_filters.html",
    rows_template="register/_spot_check_rows.html",
    filters=(ListFilter("check_type", vocab.SPOT_CHECK_TYPES, _equals("check_type")),
             ListFilter("result", vocab.SPOT_CHECK_RESULTS, _equals("result"))),
    form=(
        FormField("agency_uscc"),
        FormField("task_number"),
        FormField("task_name"),
        FormField("check_type", Widget.SELECT, vocab.SPOT_CHECK_TYPES),
        FormField("completed_on", Widget.DATE),
        FormField("result", Widget.SELECT, vocab.SPOT_CHECK_RESULTS),
        FormField("remarks", Widget.TEXTAREA),
        FormField("authority"),
        FormField("published_on", Widget.DATE),
    ),
    search_text=_spot_check_search,
    display=lambda r: (r.agency.name, [f"{r.task_name}：{r.result}", r.remarks or ""]),
    describe=lambda r: r.task_number,
)


# ---------------------------------------------------------------------------
# 行政处罚决定
# ---------------------------------------------------------------------------

FINE, CONFISCATION, SUSPENSION = "罚款", "没收违法所得", "责令停止承接新的专利代理业务"


def _clean_penalty(c: Cleaner) -> None:
    number = c.text("decision_number", required=True, max_len=80)
    c.out["decision_key"] = decision_key(number) if number else None
    _clean_party(c)
    c.choice("violation_type", vocab.VIOLATION_TYPES)
    c.text("facts", required=True)
    c.text("legal_basis", required=True)
    kinds = _clean_penalty_kinds(c)
    _clean_penalty_amounts(c, kinds)
    decided = c.date("decided_on", required=True)
    c.text("full_text")
    c.publication(default_date=decided)
    if decided and c.out.get("published_on") and c.out["published_on"] < decided:
        c.errors["published_on"] = _("公示日期不能早于处罚决定日期")


def _clean_party(c: Cleaner) -> None:
    """The party: a registered agency (by USCC), a registered patent agent (by certificate
    number: issue 14) or an unregistered operator by name."""
    agent = _clean_agent_party(c)
    party_uscc = c.uscc("party_uscc", required=False)
    agency = c.raw("agency") if isinstance(c.raw("agency"), Agency) else None
    if agency is None and party_uscc:
        agency = c.lookup(party_uscc)
    if agency is None and agent is not None and not party_uscc:
        # issue 14 — patent agents: the agency the agent practised in on the decision date
        from .agents import agency_on

        agency = agency_on(agent, _peek_date(c.raw("decided_on")))
    c.out["agency"] = agency
    if c.text("party_name", max_len=200) is None:
        if agent is not None:
            c.out["party_name"] = agent.name
        elif agency is not None:
            c.out["party_name"] = agency.name
        else:
            c.errors["party_name"] = _("%(label)s不能为空", label=c.label("party_name"))
    elif agent is not None:
        _check_agent_name(c, agent)
    elif agency is not None:
        c.check_name("party_name", agency)
    if agency is not None and not party_uscc and agent is None:
        c.out["party_uscc"] = agency.uscc
    if c.text("legal_rep", max_len=60) is None and agency is not None and agent is None:
        c.out["legal_rep"] = agency.legal_rep


def _clean_agent_party(c: Cleaner) -> Agent | None:
    """issue 14 — patent agents: the registered agent a penalty is against, by 代理师执业证号;
    without the field (a correction of other fields, an import without the column) the
    stored agent stays."""
    if "agent_certificate_no" in c.data:
        agent = _registered_agent(c)
    elif isinstance(c.raw("agent"), Agent):
        agent = c.raw("agent")
    else:
        agent_id = c.raw("agent_id")
        agent = db.session.get(Agent, int(agent_id)) if agent_id else None
    c.out["agent_id"] = agent.id if agent is not None else None
    return agent


def _registered_agent(c: Cleaner) -> Agent | None:
    """The registered agent named by the field 代理师执业证号 (any spelling of the number):
    None when the field is blank; an error when no agent has that number.  The one lookup
    of a party agent (penalties, association measures)."""
    from .agents import find_agent, normalize_certificate

    number = normalize_certificate(c.raw("agent_certificate_no"))
    agent = find_agent(number) if number else None
    if number and agent is None:
        c.errors["agent_certificate_no"] = _("登记簿中没有执业证号为 %(no)s 的专利代理师",
                                             no=number)
    return agent


def _check_agent_name(c: Cleaner, agent: Agent) -> None:
    """A party name given with an agent must be the registered agent's name."""
    given = c.out.get("party_name")
    if given is not None and not same_name(given, agent.name):
        c.errors["party_name"] = _(
            "%(label)s“%(given)s”与执业证号 %(no)s 登记的专利代理师“%(name)s”不符",
            label=c.label("party_name"), given=given, no=agent.certificate_no, name=agent.name)


def _peek_date(value: object) -> dt.date | None:
    """A date field's value before its own cleaning (None when blank or invalid)."""
    from .cleaning import is_blank, parse_date

    if is_blank(value):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def _clean_penalty_kinds(c: Cleaner) -> list[str]:
    kinds = split_terms(c.raw("penalty_kinds"))
    bad = [k for k in kinds if k not in vocab.PENALTY_KINDS]
    if not kinds:
        c.errors["penalty_kinds"] = _("%(label)s不能为空", label=c.label("penalty_kinds"))
    elif bad:
        c.errors["penalty_kinds"] = _("%(label)s“%(value)s”不是允许的值（可选：%(allowed)s）",
                                      label=c.label("penalty_kinds"), value="、".join(bad),
                                      allowed="、".join(vocab.PENALTY_KINDS))
    kinds = [k for k in vocab.PENALTY_KINDS if k in kinds]  # canonical order, no duplicates
    c.out["penalty_kinds"] = "、".join(kinds)
    return kinds


def _clean_penalty_amounts(c: Cleaner, kinds: list[str]) -> None:
    """Fine, confiscation and suspension: each required by its kind of penalty."""
    fine = c.decimal("fine_amount")
    confiscated = c.decimal("confiscation_amount")
    months = c.integer("suspension_months", maximum=120)
    if FINE in kinds and not fine:
        c.error("fine_amount", _("处罚种类含罚款时必须填写罚款金额"))
    if fine and FINE not in kinds and "penalty_kinds" not in c.errors:
        c.errors["fine_amount"] = _("填写了罚款金额，但处罚种类不含罚款")
    if CONFISCATION in kinds and not confiscated:
        c.error("confiscation_amount", _("处罚种类含没收违法所得时必须填写没收金额"))
    if SUSPENSION in kinds and months is None:
        c.error("suspension_months", _("责令停止承接新业务时必须填写期限（6至12个月）"))
    elif SUSPENSION in kinds and months is not None and not 6 <= months <= 12:
        c.errors["suspension_months"] = _("停止承接新业务的期限应为6至12个月")


def _penalty_window(values: Mapping[str, Any]) -> dt.date | None:
    if values.get("published_on") is None:
        return None
    return publication_end_for(split_terms(values["penalty_kinds"]), values["fine_amount"],
                               values["suspension_months"], values["published_on"])


def _penalty_search(r: Penalty) -> SearchText:
    ids = [r.party_uscc] if r.agency_id is None and r.party_uscc else []
    ids.append(r.decision_number)
    return SearchText(
        body=[r.decision_number, r.party_name, r.violation_type, r.penalty_kinds, r.facts,
              r.legal_basis, r.authority, r.full_text or ""],
        ids=ids, penalty_kinds=r.penalty_kind_list)


PENALTY = RecordKind(
    key="penalty",
    model=Penalty,
    label=_l("行政处罚决定"),
    labels={
        **COMMON_LABELS,
        "decision_number": _l("决定书文号"), "party_uscc": _l("当事人统一社会信用代码"),
        "party_name": _l("当事人名称"), "legal_rep": _l("法定代表人"),
        "violation_type": _l("违法行为类型"), "facts": _l("违法事实"),
        "legal_basis": _l("处罚依据"), "penalty_kinds": _l("处罚种类"),
        "fine_amount": _l("罚款金额（元）"), "confiscation_amount": _l("没收金额（元）"),
        "suspension_months": _l("停止承接新业务期限（月）"), "decided_on": _l("处罚决定日期"),
        "authority": _l("处罚机关"), "full_text": _l("决定书全文"),
        "agent_certificate_no": _l("代理师执业证号"),  # issue 14 — patent agents
    },
    columns=(
        Column("decision_number", "行政处罚决定书文号",
               ("decision_number", "决定书文号", "处罚决定书文号", "文号"), True),
        Column("party_name", "当事人名称", ("party_name", "行政相对人名称", "当事人"), True),
        Column("party_uscc", "统一社会信用代码", ("party_uscc", "uscc", "信用代码"), False,
               "当事人为登记簿中的机构时据此关联；未登记的经营者可留空"),
        # issue 14 — patent agents: a penalty against a registered agent
        Column("agent_certificate_no", "代理师执业证号", ("agent_certificate_no", "执业证号"),
               False, "当事人为登记的专利代理师时填写；机构按处罚决定日期的执业记录关联"),
        Column("legal_rep", "法定代表人", ("legal_rep", "负责人")),
        Column("violation_type", "违法行为类型", ("violation_type", "违法类型"), True),
        Column("facts", "违法事实", ("facts", "主要违法事实"), True),
        Column("legal_basis", "处罚依据", ("legal_basis",), True),
        Column("penalty_kinds", "处罚类别", ("penalty_kinds", "处罚种类"), True, "多个用顿号隔开"),
        Column("fine_amount", "罚款金额（元）", ("fine_amount", "罚款金额", "罚款金额(元)")),
        Column("confiscation_amount", "没收违法所得金额（元）",
               ("confiscation_amount", "没收违法所得金额", "没收金额",
                "没收违法所得、没收非法财物的金额（元）")),
        Column("suspension_months", "停止承接业务期限（月）",
               ("suspension_months", "停业期限（月）")),
        Column("decided_on", "处罚决定日期", ("decided_on", "决定日期", "作出处罚决定日期"), True),
        Column("authority", "处罚机关", ("authority", "作出处罚决定机关", "决定机关"), True),
        _published_on("默认为处罚决定日期"),
        Column("publication_ends_on", "公示截止期", ("publication_ends_on", "公示截止日期"), False,
               "一般留空，按公示规定计算"),
        Column("full_text", "决定书全文", ("full_text", "全文")),
        *STATUS_COLUMNS,
    ),
    natural_key=NaturalKey(("decision_key",), "decision_number", lambda v: _(
        "决定书文号 %(n)s 已经公示过", n=v["decision_number"])),
    download="penalty",
    clean_fields=_clean_penalty,
    url=PublicUrl("penalties", "penalties", "penalty", field="decision_key",
                  arg="decision_number", converter="path", canonical=decision_key),
    detail_template="register/penalty.html",
    filters_template="register/_penalty_filters.html",
    rows_template="register/_penalty_rows.html",
    filters=(ListFilter("violation_type", vocab.VIOLATION_TYPES, _equals("violation_type")),
             ListFilter("penalty_kind", vocab.PENALTY_KINDS,
                        lambda model, value: model.penalty_kinds.contains(value))),
    form=(
        FormField("decision_number"),
        FormField("party_uscc", hint=_l("登记的代理机构自动关联")),
        FormField("agent_certificate_no",  # issue 14 — patent agents
                  hint=_l("当事人为登记的专利代理师时填写，其当时的执业机构自动关联")),
        FormField("party_name"),
        FormField("legal_rep"),
        FormField("violation_type", Widget.SELECT, vocab.VIOLATION_TYPES),
        FormField("facts", Widget.TEXTAREA),
        FormField("legal_basis", Widget.TEXTAREA),
        FormField("penalty_kinds", Widget.MULTI, vocab.PENALTY_KINDS),
        FormField("fine_amount", Widget.NUMBER),
        FormField("confiscation_amount", Widget.NUMBER),
        FormField("suspension_months", Widget.NUMBER),
        FormField("decided_on", Widget.DATE),
        FormField("authority"),
        FormField("published_on", Widget.DATE),
        FormField("full_text", Widget.TEXTAREA),
    ),
    search_text=_penalty_search,
    display=lambda r: (r.party_name, [r.facts, r.full_text or "", r.violation_type,
                                      r.decision_number]),
    describe=lambda r: r.decision_number,
    agency_key="party_uscc",
    publication_end=_penalty_window,
)


# ---------------------------------------------------------------------------
# 信用评价
# ---------------------------------------------------------------------------

def _clean_credit_grade(c: Cleaner) -> None:
    c.agency()
    c.text("period", required=True, max_len=20)
    c.choice("grade", vocab.CREDIT_GRADES)
    score = c.decimal("score")
    if score is not None and score > 200:
        c.errors["score"] = _("%(label)s超出允许范围", label=c.label("score"))
    elif score is not None:
        c.out["score"] = score.quantize(Decimal("0.1"))
    evaluated = c.date("evaluated_on", required=True)
    c.text("reasons", max_len=2000)
    c.publication(default_date=evaluated)


def _credit_grade_search(r: CreditGrade) -> SearchText:
    return SearchText(
        body=[f"{r.period}年度 专利代理信用评价", f"信用等级 {r.grade}",
              f"得分 {r.score}" if r.score is not None else "", r.authority, r.reasons or ""],
        grade=r.grade)


CREDIT_GRADE = RecordKind(
    key="credit_grade",
    model=CreditGrade,
    label=_l("信用评价"),
    labels={
        **COMMON_LABELS,
        "period": _l("评价期间"), "grade": _l("信用等级"), "score": _l("信用分"),
        "evaluated_on": _l("评价日期"), "authority": _l("评价机关"),
        "reasons": _l("评价说明"),
    },
    columns=(
        AGENCY_USCC,
        Column("agency_name", "机构名称", ("agency_name", "名称", "代理机构名称")),
        Column("period", "评价期间", ("period", "评价年度", "评价周期"), True),
        Column("grade", "信用等级", ("grade", "评价等级", "信用评价等级"), True,
               "A+ / A / B / C / D"),
        Column("score", "信用分", ("score", "得分", "分值")),
        Column("evaluated_on", "评价日期", ("evaluated_on", "评定日期"), True),
        Column("authority", "评价机关", ("authority", "评定机关")),
        Column("reasons", "评价说明", ("reasons", "扣分事由", "扣分情形", "评价理由")),
        _published_on("默认为评价日期"),
        *STATUS_COLUMNS,
    ),
    natural_key=NaturalKey(("agency", "period"), "period", lambda v: _(
        "该机构 %(p)s 期间已有信用评价", p=v["period"])),
    download="credit_grade",
    clean_fields=_clean_credit_grade,
    url=PublicUrl("credit-grades", "credit_grades", "credit_grade"),
    detail_template="register/credit_grade.html",
    filters_template="register/_credit_grade_filters.html",
    rows_template="register/_credit_grade_rows.html",
    filters=(ListFilter("grade", vocab.CREDIT_GRADES, _equals("grade")),
             ListFilter("period", None, _equals("period"))),
    form=(
        FormField("agency_uscc"),
        FormField("period", hint=_l("如 2025")),
        FormField("grade", Widget.SELECT, vocab.CREDIT_GRADES),
        FormField("score", Widget.NUMBER),
        FormField("evaluated_on", Widget.DATE),
        FormField("authority"),
        FormField("reasons", Widget.TEXTAREA, hint=_l("评价机关公布的扣分事由等说明，照原文填写")),
        FormField("published_on", Widget.DATE),
    ),
    search_text=_credit_grade_search,
    display=lambda r: (r.agency.name, [f"{r.period}年度信用等级 {r.grade}"]),
    describe=lambda r: r.period,
    agency_order="period",
)


# ---------------------------------------------------------------------------
# 经营异常名录和严重违法失信名单
# ---------------------------------------------------------------------------

def _clean_list_entry(c: Cleaner) -> None:
    c.agency()
    c.choice("list_kind", vocab.LIST_KINDS)
    c.choice("inclusion_reason", vocab.LIST_INCLUSION_REASONS)
    included = c.date("included_on", required=True)
    _clean_inclusion_authority(c)
    c.text("inclusion_decision_number", max_len=80)
    c.choice("removal_reason", vocab.LIST_REMOVAL_REASONS, required=False)
    removed = c.date("removed_on")
    c.text("removal_authority", max_len=120)
    if removed and not c.out.get("removal_reason"):
        c.error("removal_reason", _("填写了移出日期时必须填写移出原因"))
    if c.out.get("removal_reason") and not removed:
        c.error("removed_on", _("填写了移出原因时必须填写移出日期"))
    if removed and included and removed < included:
        c.errors["removed_on"] = _("移出日期不能早于列入日期")
    if removed and not c.out.get("removal_authority"):
        c.out["removal_authority"] = c.out.get("inclusion_authority")
    c.publication(default_date=included)


def _clean_inclusion_authority(c: Cleaner) -> None:
    """The deciding authority: as given, else the record's authority, else the bureau."""
    if c.text("inclusion_authority", max_len=120) is None:
        if text_or_none(c.raw("authority")):
            c.out["inclusion_authority"] = text_or_none(c.raw("authority"))
        elif c.bureau is not None:
            c.out["inclusion_authority"] = c.bureau.name
        else:
            c.errors["inclusion_authority"] = _("%(label)s不能为空",
                                                label=c.label("inclusion_authority"))
    if text_or_none(c.raw("authority")) is None and c.out.get("inclusion_authority"):
        c.data["authority"] = c.out["inclusion_authority"]


def _list_entry_search(r: ListEntry) -> SearchText:
    return SearchText(
        body=[index_text(vocab.LIST_KINDS, r.list_kind), r.inclusion_reason,
              r.inclusion_authority, r.inclusion_decision_number or "", r.removal_reason or "",
              r.removal_authority or ""],
        active="1" if r.removed_on is None else "0")


LIST_ENTRY = RecordKind(
    key="list_entry",
    model=ListEntry,
    label=_l("经营异常名录和严重违法失信名单"),
    labels={
        **COMMON_LABELS,
        "list_kind": _l("名录类型"), "inclusion_reason": _l("列入原因"),
        "included_on": _l("列入日期"), "inclusion_authority": _l("作出决定机关（列入）"),
        "inclusion_decision_number": _l("列入决定书文号"), "removal_reason": _l("移出原因"),
        "removed_on": _l("移出日期"), "removal_authority": _l("作出决定机关（移出）"),
    },
    columns=(
        AGENCY_USCC,
        Column("agency_name", "机构名称", ("agency_name", "企业名称", "名称")),
        Column("list_kind", "名录类型", ("list_kind", "名录"), True,
               "经营异常名录 / 严重违法失信名单", labels=vocab.LIST_KINDS),
        Column("inclusion_reason", "列入原因",
               ("inclusion_reason", "列入经营异常名录原因", "列入严重违法失信名单原因"), True),
        Column("included_on", "列入日期", ("included_on", "列入时间"), True),
        Column("inclusion_authority", "作出决定机关（列入）",
               ("inclusion_authority", "列入决定机关", "作出决定机关(列入)"), True),
        Column("inclusion_decision_number", "列入决定书文号",
               ("inclusion_decision_number", "决定书文号")),
        Column("removal_reason", "移出原因", ("removal_reason", "移出经营异常名录原因")),
        Column("removed_on", "移出日期", ("removed_on", "移出时间")),
        Column("removal_authority", "作出决定机关（移出）",
               ("removal_authority", "移出决定机关", "作出决定机关(移出)")),
        _published_on("默认为列入日期"),
        *STATUS_COLUMNS,
    ),
    natural_key=NaturalKey(("agency", "list_kind", "included_on"), "included_on",
                           lambda v: _("该机构在同一日期已列入该名录")),
    download="list_entry",
    clean_fields=_clean_list_entry,
    url=PublicUrl("list-entries", "list_entries", "list_entry"),
    detail_template="register/list_entry.html",
    filters_template="register/_list_entry_filters.html",
    rows_template="register/_list_entry_rows.html",
    filters=(
        ListFilter("list_kind", tuple(vocab.LIST_KINDS), _equals("list_kind")),
        ListFilter("active", ("1", "0"), lambda model, value: (
            model.removed_on.is_(None) if value == "1" else model.removed_on.is_not(None))),
    ),
    form=(
        FormField("agency_uscc"),
        FormField("list_kind", Widget.SELECT, vocab.LIST_KINDS),
        FormField("inclusion_reason", Widget.SELECT, vocab.LIST_INCLUSION_REASONS),
        FormField("included_on", Widget.DATE),
        FormField("inclusion_authority"),
        FormField("inclusion_decision_number"),
        FormField("published_on", Widget.DATE),
    ),
    search_text=_list_entry_search,
    display=lambda r: (r.agency.name, [
        f"{index_text(vocab.LIST_KINDS, r.list_kind)}：{r.inclusion_reason}"]),
    describe=lambda r: r.inclusion_reason,
)


# ---------------------------------------------------------------------------
# issue 14 — association measures: 行业自律惩戒 (the measure vocabulary is data:
# portal.association.measure_kinds; the party may be an agency or a registered agent)
# ---------------------------------------------------------------------------

def _clean_association_measure(c: Cleaner) -> None:
    number = c.text("decision_number", max_len=80)
    agent = _clean_measure_party(c)
    measure = _clean_measure_kind(c)
    c.text("facts", required=True, max_len=5000)
    c.text("basis", required=True, max_len=2000)
    decided_by = c.text("decided_by", required=True, max_len=120)
    decided = c.date("decided_on", required=True)
    if agent is not None:  # the agency the agent practised in on the decision date
        from .agents import agency_on

        c.out["agency"] = agency_on(agent, decided) if decided else agent.agency
    if text_or_none(c.raw("authority")) is None and decided_by:
        c.data["authority"] = decided_by  # published by the deciding body unless said
    c.publication(default_date=decided)
    if decided and c.out.get("published_on") and c.out["published_on"] < decided:
        c.errors["published_on"] = _("公示日期不能早于惩戒决定日期")
    party = (f"agent:{agent.certificate_no}" if agent is not None
             else f"agency:{c.out.get('party_uscc')}")
    c.out["measure_key"] = ("n:" + decision_key(number) if number
                            else f"p:{party}:{measure}:{decided.isoformat() if decided else ''}")


def _clean_measure_party(c: Cleaner) -> Any:
    """The party: a registered agent (by 执业证号) or a registered agency (by USCC)."""
    cert = c.text("agent_certificate_no", max_len=40)
    party_uscc = c.uscc("party_uscc", required=False)
    agent = _registered_agent(c)
    if agent is not None:
        c.out["agent_certificate_no"] = agent.certificate_no
        if party_uscc:
            c.errors["party_uscc"] = _("当事人为专利代理师时，不填写统一社会信用代码")
    agency = None
    if party_uscc and not cert:
        agency = c.lookup(party_uscc)
        if agency is None:
            c.errors["party_uscc"] = _("登记簿中没有统一社会信用代码为 %(uscc)s 的代理机构",
                                       uscc=party_uscc)
    if not cert and not party_uscc and "party_uscc" not in c.errors:
        c.errors["party_uscc"] = _(
            "请填写当事人的统一社会信用代码（代理机构）或执业证号（专利代理师）")
    c.out["agency"] = agency
    c.out["agent_id"] = agent.id if agent is not None else None
    _clean_measure_party_name(c, agent, agency)
    return agent


def _clean_measure_party_name(c: Cleaner, agent: Any, agency: Any) -> None:
    """The party's name as published: the registered name when left empty, and it must
    be the registered agency's or agent's name when given."""
    party = agent or agency
    given = c.text("party_name", max_len=200)
    if given is None and party is not None:
        c.out["party_name"] = party.name
    elif given is None and not c.errors:
        c.errors["party_name"] = _("%(label)s不能为空", label=c.label("party_name"))
    elif agency is not None:
        c.check_name("party_name", agency)
    elif agent is not None:
        _check_agent_name(c, agent)


def _clean_measure_kind(c: Cleaner) -> str | None:
    """A kind of measure: an ACTIVE kind of the vocabulary, by key or by name."""
    from ..association import measure_kinds

    value = text_or_none(c.raw("measure"))
    if value is None:
        c._missing("measure", True)
        return None
    key = measure_kinds.resolve(value)
    if key is None:
        allowed = "、".join(measure_kinds.name_of(k) for k in measure_kinds.active_kinds())
        c.errors["measure"] = _("%(label)s“%(value)s”不是允许的值（可选：%(allowed)s）",
                                label=c.label("measure"), value=value, allowed=allowed)
        return None
    c.out["measure"] = key
    return key


def _measure_conflict(v: Mapping[str, Any]) -> str:
    if v.get("decision_number"):
        return _("惩戒决定文号 %(n)s 已经公示过", n=v["decision_number"])
    return _("该当事人在同一日期已有同一种惩戒措施的公示（如为另一决定，请填写决定文号）")


def _measure_name(key: str) -> str:
    from ..association.measure_kinds import chinese_name

    return chinese_name(key)


def _association_measure_search(r: Any) -> SearchText:
    ids = [x for x in (r.decision_number, r.agent_certificate_no) if x]
    if r.agency_id is None and r.party_uscc:
        ids.append(r.party_uscc)
    return SearchText(body=[r.party_name, r.agent_certificate_no or "", _measure_name(r.measure),
                            r.facts, r.basis, r.decided_by, r.decision_number or ""],
                      ids=ids)


def _measure_kinds_mapping(**options: bool) -> Mapping[str, Label]:
    from ..association.measure_kinds import MeasureNames

    return MeasureNames(**options)


ASSOCIATION_MEASURE = RecordKind(
    key="association_measure",
    model=AssociationMeasure,
    label=_l("行业自律惩戒"),
    labels={
        **COMMON_LABELS,
        "party_name": _l("当事人名称"), "party_uscc": _l("当事人统一社会信用代码"),
        "agent_certificate_no": _l("专利代理师执业证号"), "measure": _l("惩戒措施"),
        "facts": _l("违规事实"), "basis": _l("惩戒依据"), "decided_by": _l("作出决定的协会"),
        "decided_on": _l("惩戒决定日期"), "decision_number": _l("惩戒决定文号"),
    },
    columns=(
        Column("decision_number", "惩戒决定文号", ("decision_number", "决定文号", "文号")),
        Column("party_name", "当事人名称", ("party_name", "当事人", "姓名或名称"), True),
        Column("party_uscc", "统一社会信用代码", ("party_uscc", "uscc", "信用代码"), False,
               "当事人为代理机构时填写"),
        Column("agent_certificate_no", "执业证号",
               ("agent_certificate_no", "专利代理师执业证号", "代理师执业证号"), False,
               "当事人为专利代理师时填写"),
        Column("measure", "惩戒措施", ("measure", "惩戒种类", "自律惩戒措施"), True,
               "惩戒种类的名称（约谈、训诫、警告、通报批评、公开谴责、暂停会员权利、"
               "取消会员资格等）",
               labels=_measure_kinds_mapping(chinese=True)),
        Column("facts", "违规事实", ("facts", "主要违规事实", "事实"), True),
        Column("basis", "惩戒依据", ("basis", "依据"), True,
               "协会规则及条款，如《专利代理行业自律惩戒规则》第X条"),
        Column("decided_by", "作出决定的协会", ("decided_by", "决定机构", "作出决定单位"), True),
        Column("decided_on", "惩戒决定日期", ("decided_on", "决定日期"), True),
        Column("authority", "公示机关", ("authority",), False, "默认为作出决定的协会"),
        _published_on("默认为惩戒决定日期"),
        Column("publication_ends_on", "公示截止期", ("publication_ends_on", "公示截止日期"), False,
               "留空则不设截止期"),
        *STATUS_COLUMNS,
    ),
    natural_key=NaturalKey(("measure_key",), "decision_number", _measure_conflict),
    download="association_measure",
    clean_fields=_clean_association_measure,
    url=PublicUrl("association-measures", "association_measures", "association_measure"),
    detail_template="register/association_measure.html",
    filters_template="register/_association_measure_filters.html",
    rows_template="register/_association_measure_rows.html",
    filters=(ListFilter("measure", _measure_kinds_mapping(), _equals("measure"), max_len=30),),
    form=(
        FormField("party_uscc", hint=_l("当事人为代理机构时填写")),
        FormField("agent_certificate_no", hint=_l("当事人为专利代理师时填写")),
        FormField("party_name", hint=_l("留空则按登记名称")),
        FormField("measure", Widget.SELECT, _measure_kinds_mapping(active_only=True)),
        FormField("facts", Widget.TEXTAREA),
        FormField("basis", Widget.TEXTAREA, hint=_l("如《专利代理行业自律惩戒规则》第X条")),
        FormField("decided_by", hint=_l("如 中华全国专利代理师协会")),
        FormField("decided_on", Widget.DATE),
        FormField("decision_number"),
        FormField("published_on", Widget.DATE),
        FormField("publication_ends_on", Widget.DATE, hint=_l("留空则不设截止期")),
    ),
    search_text=_association_measure_search,
    display=lambda r: (r.party_name, [f"{_measure_name(r.measure)}：{r.facts}", r.basis,
                                      r.decided_by]),
    describe=lambda r: f"{_measure_name(r.measure)} {r.decision_number or r.decided_on}",
    agency_key="party_uscc",
)


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------

KINDS: tuple[RecordKind, ...] = (SPOT_CHECK, PENALTY, CREDIT_GRADE, LIST_ENTRY,
                                 ASSOCIATION_MEASURE)  # issue 14 — association measures
DATASETS: tuple[Dataset, ...] = (AGENCY, *KINDS,
                                 AGENT)  # issue 14 — patent agents (a dataset, not a kind)


def get(key: str) -> RecordKind:
    """The record kind ``key``; UnknownKind (a PortalError) when there is none."""
    for kind in KINDS:
        if kind.key == key:
            return kind
    raise UnknownKind(key)


def dataset(key: str) -> Dataset:
    """The importable / downloadable table ``key`` (agencies or a record kind)."""
    for item in DATASETS:
        if item.key == key:
            return item
    raise UnknownKind(key)


def for_model(model: type[Any]) -> RecordKind:
    for kind in KINDS:
        if kind.model is model:
            return kind
    raise UnknownKind(getattr(model, "__name__", str(model)))


def of(record: Any) -> RecordKind:
    """The kind of a record."""
    return for_model(type(record))


def for_download(name: str) -> Dataset | None:
    """The dataset downloaded as /data/<name>.csv, or None."""
    return next((item for item in DATASETS if item.download == name), None)
