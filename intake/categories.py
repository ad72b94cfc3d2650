"""Tip categories (from the seeds' list of misconduct), each with a one-line explanation.

The one place for the list: the form, routing rules, the back office and the demo use it.
Keys are the short Chinese terms stored in ``Tip.category``.
"""

from flask_babel import lazy_gettext as _l

CATEGORIES: dict[str, object] = {
    "代理非正常专利申请":
        _l("代理或组织提交非正常专利申请，包括团伙作案、借用空壳公司或冒用他人身份。"),
    "无资质专利代理":
        _l("没有专利代理资质却承接代理业务，或分散提交、分环节代理、借用有资质机构名义提交。"),
    "出租、出借专利代理资质": _l("机构或代理师把执业许可、资格证书出租出借给他人使用。"),
    "商标代理违法": _l("恶意“撤三”、抢注囤积商标、代理有重大不良影响的商标、恶意制造同日申请等。"),
    "冒用官方名义招揽业务": _l("冒充官方机构、利用搜索引擎广告等不正当手段招揽业务。"),
    "专利发明人挂名": _l("在专利申请中挂名不实际参与发明的人员，或买卖发明人署名。"),
    "声称有内部快速授权渠道": _l("声称有“内部渠道”“包授权”“保证快速授权”等。"),
    "代理师未落实签名责任制": _l("代理师未在其承办的文件上签名，或不以机构名义提交申请。"),
    "虚假宣传": _l("夸大资质、业绩或成功率等虚假、引人误解的宣传。"),
    "其他": _l("不属于以上类别的其他代理违法违规行为。"),
}


# The reader's-language name of each category (the stored key is the Chinese name).
CATEGORY_LABELS: dict[str, object] = {
    "代理非正常专利申请": _l("代理非正常专利申请"),
    "无资质专利代理": _l("无资质专利代理"),
    "出租、出借专利代理资质": _l("出租、出借专利代理资质"),
    "商标代理违法": _l("商标代理违法"),
    "冒用官方名义招揽业务": _l("冒用官方名义招揽业务"),
    "专利发明人挂名": _l("专利发明人挂名"),
    "声称有内部快速授权渠道": _l("声称有内部快速授权渠道"),
    "代理师未落实签名责任制": _l("代理师未落实签名责任制"),
    "虚假宣传": _l("虚假宣传"),
    "其他": _l("其他"),
}
assert CATEGORY_LABELS.keys() == CATEGORIES.keys()  # noqa: S101 - one list, two columns


def category_choices():
    """Radio choices: the stored key, shown with its label in the reader's language."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(key, CATEGORY_LABELS[key]) for key in CATEGORIES]
