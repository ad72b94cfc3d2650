"""Wording of the public pages that a provincial administrator may change: the
"需要注意" panel and the credit-grade scale.  The defaults are here (translated through the
catalogue); an administrator's wording for a language (``SiteText``) replaces the default
for that language, and clearing it brings the default back."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..timeutil import utcnow
from .models import SiteText

LOCALES = ("zh_CN", "en")


@dataclass(frozen=True)
class Text:
    key: str
    label: object  # what the administrator sees
    default: object  # lazy string


TEXTS = (
    Text("attention_intro", _l("“需要注意”面板的说明"),
         _l("以下情况在选择代理机构前最值得了解。每一项都注明日期，点开可看公示原文。")),
    Text("attention_none", _l("没有需要注意的情况时的说明"),
         _l("未发现列入名录、公示期内的行政处罚、停止承接新业务或注销、吊销的情况。")),
    Text("grade_intro", _l("信用等级说明"),
         _l("信用等级由评价机关依据《专利代理信用评价管理办法（试行）》按评价期间评定并公布，"
            "满分 100 分，按违规情形扣分。本平台不计算等级，只转载公布的结果。")),
    Text("grade_A+", _l("A+ 的含义"), _l("信用优秀：达到 A 级且有加分事项。")),
    Text("grade_A", _l("A 的含义"), _l("信用良好。")),
    Text("grade_B", _l("B 的含义"), _l("信用一般：有扣分事项。")),
    Text("grade_C", _l("C 的含义"), _l("信用较差：扣分较多，需要留意。")),
    Text("grade_D", _l("D 的含义"), _l("信用差：扣分很多，需要特别留意。")),
    Text("flag_rule", _l("红黄绿标志的说明"),
         _l("红色：正被列入经营异常名录或严重违法失信名单、有公示期内的行政处罚、停止承接新业务、"
            "已注销或吊销；黄色：当前信用等级为 C 或 D，或一年内移出名录；绿色：以上都没有。")),
)
BY_KEY = {t.key: t for t in TEXTS}
GRADE_KEYS = ("grade_A+", "grade_A", "grade_B", "grade_C", "grade_D")


def _locale() -> str:
    loc = str(get_locale() or "zh_CN")
    return "zh_CN" if loc.startswith("zh") else "en"


def overrides() -> dict[tuple[str, str], str]:
    return {(t.key, t.locale): t.value for t in db.session.scalars(select(SiteText))}


def texts(locale: str | None = None) -> dict[str, str]:
    """key -> wording in ``locale`` (the page's language): the administrator's, else the
    default."""
    locale = locale or _locale()
    found = {t.key: t.value for t in db.session.scalars(
        select(SiteText).where(SiteText.locale == locale))}
    return {t.key: found.get(t.key) or str(t.default) for t in TEXTS}


def defaults() -> dict[tuple[str, str], str]:
    """(key, locale) -> the default wording in that language."""
    out = {}
    for locale in LOCALES:
        with force_locale(locale):
            out.update({(t.key, locale): str(t.default) for t in TEXTS})
    return out


def set_text(key: str, locale: str, value: str, actor=None) -> None:
    """Store an administrator's wording ('' removes it: the default again)."""
    if key not in BY_KEY or locale not in LOCALES:
        raise KeyError(key)
    value = (value or "").strip()
    row = db.session.get(SiteText, (key, locale))
    if not value:
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        row = SiteText(key=key, locale=locale, value=value)
        db.session.add(row)
    row.value = value
    row.updated_at = utcnow()
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
