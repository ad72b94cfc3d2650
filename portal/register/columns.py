"""Column headers per kind, shared by the importer and the open-data CSV downloads.

Each column: (field, Chinese header as on the national systems, aliases).  The
first header is what downloads write; the importer accepts the header or any
alias (English aliases included, case-insensitive).  docs/import.md documents them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    note: str = ""


COLUMNS: dict[str, tuple[Column, ...]] = {
    "agency": (
        Column("uscc", "统一社会信用代码", ("uscc", "信用代码", "社会信用代码"), True),
        Column("name", "机构名称", ("name", "名称", "企业名称", "代理机构名称"), True),
        Column("licence_no", "执业许可证号", ("licence_no", "license_no", "许可证号", "机构代码")),
        Column("kind", "机构类型", ("kind", "类型"), True, "专利代理 / 商标代理 / 专利和商标代理"),
        Column("status", "机构状态", ("status", "状态", "执业状态"), False, "执业 / 停止承接新业务 / 注销 / 吊销"),
        Column("address", "住所", ("address", "地址", "注册地址")),
        Column("division_code", "行政区划代码", ("division_code", "区划代码"), True),
        Column("legal_rep", "法定代表人", ("legal_rep", "执行事务合伙人", "法定代表人或执行事务合伙人", "负责人")),
        Column("agent_count", "执业代理师人数", ("agent_count", "代理师人数", "执业专利代理师人数")),
        Column("established_on", "成立日期", ("established_on", "成立时间")),
        Column("branches", "分支机构", ("branches",), False, "多个用分号隔开"),
        Column("former_names", "曾用名", ("former_names", "原名称"), False, "多个用分号隔开"),
        Column("bureau_code", "监管部门代码", ("bureau_code",), False, "默认按行政区划确定"),
    ),
    "spot_check": (
        Column("task_number", "任务编号", ("task_number", "抽查任务编号", "计划编号"), True),
        Column("task_name", "任务名称", ("task_name", "抽查任务名称", "计划名称"), True),
        Column("check_type", "检查类型", ("check_type", "抽查类型"), True),
        Column("authority", "检查实施机关", ("authority", "实施机关", "检查机关")),
        Column("agency_name", "机构名称", ("agency_name", "企业名称", "名称")),
        Column("agency_uscc", "统一社会信用代码", ("agency_uscc", "uscc", "信用代码"), True),
        Column("completed_on", "检查完成日期", ("completed_on", "完成日期", "检查日期"), True),
        Column("result", "检查结果", ("result", "抽查结果"), True),
        Column("remarks", "备注", ("remarks",)),
        Column("published_on", "公示日期", ("published_on",), False, "默认为检查完成日期"),
    ),
    "penalty": (
        Column("decision_number", "行政处罚决定书文号", ("decision_number", "决定书文号", "处罚决定书文号", "文号"), True),
        Column("party_name", "当事人名称", ("party_name", "行政相对人名称", "当事人"), True),
        Column("party_uscc", "统一社会信用代码", ("party_uscc", "uscc", "信用代码"), False,
               "当事人为登记簿中的机构时据此关联；未登记的经营者可留空"),
        Column("legal_rep", "法定代表人", ("legal_rep", "负责人")),
        Column("violation_type", "违法行为类型", ("violation_type", "违法类型"), True),
        Column("facts", "违法事实", ("facts", "主要违法事实"), True),
        Column("legal_basis", "处罚依据", ("legal_basis",), True),
        Column("penalty_kinds", "处罚类别", ("penalty_kinds", "处罚种类"), True, "多个用顿号隔开"),
        Column("fine_amount", "罚款金额（元）", ("fine_amount", "罚款金额", "罚款金额(元)")),
        Column("confiscation_amount", "没收违法所得金额（元）",
               ("confiscation_amount", "没收违法所得金额", "没收金额", "没收违法所得、没收非法财物的金额（元）")),
        Column("suspension_months", "停止承接业务期限（月）", ("suspension_months", "停业期限（月）")),
        Column("decided_on", "处罚决定日期", ("decided_on", "决定日期", "作出处罚决定日期"), True),
        Column("authority", "处罚机关", ("authority", "作出处罚决定机关", "决定机关"), True),
        Column("published_on", "公示日期", ("published_on",), False, "默认为处罚决定日期"),
        Column("publication_ends_on", "公示截止期", ("publication_ends_on", "公示截止日期"), False,
               "一般留空，按公示规定计算"),
        Column("full_text", "决定书全文", ("full_text", "全文")),
    ),
    "credit_grade": (
        Column("agency_uscc", "统一社会信用代码", ("agency_uscc", "uscc", "信用代码"), True),
        Column("agency_name", "机构名称", ("agency_name", "名称", "代理机构名称")),
        Column("period", "评价期间", ("period", "评价年度", "评价周期"), True),
        Column("grade", "信用等级", ("grade", "评价等级", "信用评价等级"), True, "A+ / A / B / C / D"),
        Column("score", "信用分", ("score", "得分", "分值")),
        Column("evaluated_on", "评价日期", ("evaluated_on", "评定日期"), True),
        Column("authority", "评价机关", ("authority", "评定机关")),
        Column("published_on", "公示日期", ("published_on",), False, "默认为评价日期"),
    ),
    "list_entry": (
        Column("agency_uscc", "统一社会信用代码", ("agency_uscc", "uscc", "信用代码"), True),
        Column("agency_name", "机构名称", ("agency_name", "企业名称", "名称")),
        Column("list_kind", "名录类型", ("list_kind", "名录"), True, "经营异常名录 / 严重违法失信名单"),
        Column("inclusion_reason", "列入原因", ("inclusion_reason", "列入经营异常名录原因", "列入严重违法失信名单原因"), True),
        Column("included_on", "列入日期", ("included_on", "列入时间"), True),
        Column("inclusion_authority", "作出决定机关（列入）", ("inclusion_authority", "列入决定机关", "作出决定机关(列入)"), True),
        Column("inclusion_decision_number", "列入决定书文号", ("inclusion_decision_number", "决定书文号")),
        Column("removal_reason", "移出原因", ("removal_reason", "移出经营异常名录原因")),
        Column("removed_on", "移出日期", ("removed_on", "移出时间")),
        Column("removal_authority", "作出决定机关（移出）", ("removal_authority", "移出决定机关", "作出决定机关(移出)")),
        Column("published_on", "公示日期", ("published_on",), False, "默认为列入日期"),
    ),
}

KIND_TO_DOWNLOAD = {"agency": "agencies", "spot_check": "spot_check", "penalty": "penalty",
                    "credit_grade": "credit_grade", "list_entry": "list_entry"}
DOWNLOAD_TO_KIND = {v: k for k, v in KIND_TO_DOWNLOAD.items()}


def _norm(header: str) -> str:
    return (header or "").strip().lstrip("\ufeff").replace(" ", "").replace("\u3000", "") \
        .replace("(", "（").replace(")", "）").lower()


def header_map(kind: str) -> dict[str, Column]:
    """Normalised header or alias -> column."""
    out = {}
    for col in COLUMNS[kind]:
        for name in (col.header, col.field, *col.aliases):
            out.setdefault(_norm(name), col)
    return out


def match_header(kind: str, header: str) -> Column | None:
    return header_map(kind).get(_norm(header))
