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

# issue 14 — patent agents: an agent's practising status (专利代理师执业状态).  Not in
# ``_tables()``: "practising" / "suspended" are agency statuses too (with other wording),
# so templates label an agent's status with this table itself.
AGENT_STATUSES = {
    "practising": _l("执业"),
    "suspended": _l("暂停执业"),
    "deregistered": _l("注销执业"),
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

# The tuples below list the allowed values as stored (the canonical Chinese terms of the
# national systems); each ``*_LABELS`` table gives the reader's-language label of each value
# (the msgid is the stored term itself, English comes from the catalogue).

SPOT_CHECK_TYPE_LABELS = {
    "定向抽查": _l("定向抽查"),
    "不定向抽查": _l("不定向抽查"),
    "专项检查": _l("专项检查"),
    "日常检查": _l("日常检查"),
}
SPOT_CHECK_TYPES = tuple(SPOT_CHECK_TYPE_LABELS)

SPOT_CHECK_RESULT_LABELS = {
    "未发现问题": _l("未发现问题"),
    "发现问题经责令已改正": _l("发现问题经责令已改正"),
    "发现问题待后续处理": _l("发现问题待后续处理"),
    "未发现开展本次抽查涉及的经营活动": _l("未发现开展本次抽查涉及的经营活动"),
    "通过登记的住所(经营场所)无法联系": _l("通过登记的住所(经营场所)无法联系"),
    "不配合检查情节严重": _l("不配合检查情节严重"),
    "未按规定公示应当公示的信息": _l("未按规定公示应当公示的信息"),
    "公示信息隐瞒真实情况弄虚作假": _l("公示信息隐瞒真实情况弄虚作假"),
    "已关闭停业或正在清算": _l("已关闭停业或正在清算"),
    "注销/吊销/撤销/迁出": _l("注销/吊销/撤销/迁出"),
    "不符合执业许可条件": _l("不符合执业许可条件"),
    "代理师未落实签名责任制": _l("代理师未落实签名责任制"),
    "未以机构名义提交申请": _l("未以机构名义提交申请"),
}
SPOT_CHECK_RESULTS = tuple(SPOT_CHECK_RESULT_LABELS)

# Results that mean a problem was found (used for the plain-language summary).
SPOT_CHECK_CLEAN_RESULTS = ("未发现问题", "未发现开展本次抽查涉及的经营活动")

PENALTY_KIND_LABELS = {
    "警告": _l("警告"),
    "通报批评": _l("通报批评"),
    "罚款": _l("罚款"),
    "没收违法所得": _l("没收违法所得"),
    "责令停止承接新的专利代理业务": _l("责令停止承接新的专利代理业务"),
    "吊销执业许可证": _l("吊销执业许可证"),
}
PENALTY_KINDS = tuple(PENALTY_KIND_LABELS)
# A penalty's kinds are stored joined by this separator (Penalty.penalty_kinds).
PENALTY_KIND_SEPARATOR = "、"

VIOLATION_TYPE_LABELS = {
    "代理非正常专利申请": _l("代理非正常专利申请"),
    "无资质专利代理": _l("无资质专利代理"),
    "出租、出借专利代理资质": _l("出租、出借专利代理资质"),
    "商标代理违法": _l("商标代理违法"),
    "以不正当手段招揽业务": _l("以不正当手段招揽业务"),
    "虚假宣传": _l("虚假宣传"),
    "代理师未落实签名责任制": _l("代理师未落实签名责任制"),
    "未以机构名义提交申请": _l("未以机构名义提交申请"),
    # issue 14 — patent agents: violations of a patent agent (专利代理条例 art. 26)
    "专利代理师同时在两个以上机构执业": _l("专利代理师同时在两个以上机构执业"),
    "其他": _l("其他"),
}
VIOLATION_TYPES = tuple(VIOLATION_TYPE_LABELS)

CREDIT_GRADES = ("A+", "A", "B", "C", "D")

LIST_KINDS = {
    "abnormal": _l("经营异常名录"),
    "serious": _l("严重违法失信名单"),
}

LIST_INCLUSION_REASON_LABELS = {
    "未按规定报送年度报告": _l("未按规定报送年度报告"),
    "未在责令期限内公示有关信息": _l("未在责令期限内公示有关信息"),
    "公示信息隐瞒真实情况、弄虚作假": _l("公示信息隐瞒真实情况、弄虚作假"),
    "通过登记的住所或经营场所无法联系": _l("通过登记的住所或经营场所无法联系"),
    "列入经营异常名录届满三年仍未履行相关义务": _l("列入经营异常名录届满三年仍未履行相关义务"),
    "其他": _l("其他"),
}
LIST_INCLUSION_REASONS = tuple(LIST_INCLUSION_REASON_LABELS)

LIST_REMOVAL_REASON_LABELS = {
    "已补报年度报告": _l("已补报年度报告"),
    "已履行公示义务": _l("已履行公示义务"),
    "已更正公示信息": _l("已更正公示信息"),
    "已变更登记住所": _l("已变更登记住所"),
    "已重新取得联系": _l("已重新取得联系"),
    "列入满三年转入严重违法失信名单": _l("列入满三年转入严重违法失信名单"),
    "注(吊)销": _l("注(吊)销"),
    # issue 14 — credit repair: early removal of a serious-dishonesty entry (portal.repair)
    "信用修复": _l("信用修复"),
    "其他": _l("其他"),
}
LIST_REMOVAL_REASONS = tuple(LIST_REMOVAL_REASON_LABELS)


def _tables() -> tuple[dict, ...]:
    from intake.categories import CATEGORY_LABELS

    return (AGENCY_KINDS, AGENCY_STATUSES, RECORD_STATUSES, LIST_KINDS, SPOT_CHECK_TYPE_LABELS,
            SPOT_CHECK_RESULT_LABELS, PENALTY_KIND_LABELS, VIOLATION_TYPE_LABELS,
            LIST_INCLUSION_REASON_LABELS, LIST_REMOVAL_REASON_LABELS, CATEGORY_LABELS)


def _lookup(value: str):
    for table in _tables():
        if value in table:
            return table[value]
    return None


def label(value) -> str:
    """The reader's-language label of a stored vocabulary value (any vocabulary above, and the
    tip categories); a value no vocabulary knows is shown as stored.  Templates use it as the
    ``vocab`` filter: ``{{ penalty.kind|vocab }}``.  Several penalty kinds stored joined
    ("罚款、没收违法所得") are labelled one by one and joined in the reader's language."""
    if value is None:
        return ""
    value = str(value)
    found = _lookup(value)
    if found is not None:
        return str(found)
    if PENALTY_KIND_SEPARATOR in value:
        parts = [_lookup(part) for part in value.split(PENALTY_KIND_SEPARATOR)]
        if all(part is not None for part in parts):
            return _enumeration_comma().join(str(part) for part in parts)
    return value



def _enumeration_comma() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return "、" if locale is None or str(locale).startswith("zh") else ", "
