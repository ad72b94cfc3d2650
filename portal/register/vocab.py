"""Controlled vocabularies of the register, with their public labels.

One place for every allowed value: models store the key (a short Chinese term
as published on the national systems, or an English code for internal states),
forms and importers validate against these tuples, templates show the label.
Sources: ../shared/DOMAIN.md.
"""

from flask_babel import lazy_gettext as _l

AGENCY_KINDS = {
    "patent": _l("专利代理"),
    "trademark": _l("商标代理"),
    "both": _l("专利和商标代理"),
}

AGENCY_STATUSES = {
    "practising": _l("执业"),
    "suspended": _l("停止承接新业务"),
    "deregistered": _l("注销"),
    "revoked": _l("吊销"),
}

# Publication status of every public record.
RECORD_STATUSES = {
    "published": _l("已公示"),
    "withdrawn": _l("已撤回"),
    "repaired": _l("已信用修复"),
}

# The wording of the import / download column 公示状态.
RECORD_STATUS_WORDING = {
    "published": _l("公示中"),
    "withdrawn": _l("已撤回"),
    "repaired": _l("已信用修复"),
}

# What a history entry (RegisterEvent.action) records.
HISTORY_ACTIONS = {
    "created": _l("公示"),
    "edited": _l("更正"),
    "withdrawn": _l("撤回"),
    "repaired": _l("信用修复"),
    "removed": _l("登记移出"),
    "merged": _l("合并重复记录"),
    "registered": _l("登记"),
    "changed": _l("变更"),
}

SPOT_CHECK_TYPES = ("定向抽查", "不定向抽查", "专项检查", "日常检查")

SPOT_CHECK_RESULTS = (
    "未发现问题",
    "发现问题经责令已改正",
    "发现问题待后续处理",
    "未发现开展本次抽查涉及的经营活动",
    "通过登记的住所(经营场所)无法联系",
    "不配合检查情节严重",
    "未按规定公示应当公示的信息",
    "公示信息隐瞒真实情况弄虚作假",
    "已关闭停业或正在清算",
    "注销/吊销/撤销/迁出",
    "不符合执业许可条件",
    "代理师未落实签名责任制",
    "未以机构名义提交申请",
)

# Results that mean a problem was found (used for the plain-language summary).
SPOT_CHECK_CLEAN_RESULTS = ("未发现问题", "未发现开展本次抽查涉及的经营活动")

PENALTY_KINDS = (
    "警告",
    "通报批评",
    "罚款",
    "没收违法所得",
    "责令停止承接新的专利代理业务",
    "吊销执业许可证",
)

VIOLATION_TYPES = (
    "代理非正常专利申请",
    "无资质专利代理",
    "出租、出借专利代理资质",
    "商标代理违法",
    "以不正当手段招揽业务",
    "虚假宣传",
    "代理师未落实签名责任制",
    "未以机构名义提交申请",
    "其他",
)

CREDIT_GRADES = ("A+", "A", "B", "C", "D")

LIST_KINDS = {
    "abnormal": _l("经营异常名录"),
    "serious": _l("严重违法失信名单"),
}

LIST_INCLUSION_REASONS = (
    "未按规定报送年度报告",
    "未在责令期限内公示有关信息",
    "公示信息隐瞒真实情况、弄虚作假",
    "通过登记的住所或经营场所无法联系",
    "列入经营异常名录届满三年仍未履行相关义务",
    "其他",
)

LIST_REMOVAL_REASONS = (
    "已补报年度报告",
    "已履行公示义务",
    "已更正公示信息",
    "已变更登记住所",
    "已重新取得联系",
    "列入满三年转入严重违法失信名单",
    "注(吊)销",
    "其他",
)


def label(value) -> str:
    """The reader's-language label of a stored vocabulary value (any vocabulary above, and the
    tip categories); a value no vocabulary knows is shown as stored.  Templates use it as the
    ``vocab`` filter: ``{{ penalty.kind|vocab }}``."""
    if value is None:
        return ""
    for table in (AGENCY_KINDS, AGENCY_STATUSES, RECORD_STATUSES, LIST_KINDS):
        if value in table:
            return str(table[value])
    return str(value)
