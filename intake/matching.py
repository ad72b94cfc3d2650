"""Likely-duplicate matching keys for the reported party.

Two tips concern the same party when they name the same registered agency, or — for an
unregistered operator — share one of: the operator's name after normalisation, the USCC,
the host of a web address (the conduct's URL or a website given as the operator's
contact), or a contact handle (a shop, account or public-account name).  The keys are
stored on the tip (``match_*`` columns, indexed) when it is filed, so finding candidates
is an indexed query; ``reasons`` says which keys two tips share, for the staff page.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

# Words that say what kind of contact follows, not who it is ("微信：abc" = "abc").
_HANDLE_PREFIXES = ("微信号", "微信", "公众号", "抖音号", "抖音", "快手号", "淘宝店", "淘宝",
                    "小红书", "qq号", "qq", "wechat", "weixin", "wx", "账号", "店铺", "网店")
_HOST_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# Host prefixes that do not change which site it is.
_HOST_PREFIXES = ("www.", "m.", "wap.")


def _fold(text: str | None) -> str:
    """NFKC (full-width → half-width), case-folded, only letters and digits (CJK kept)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def operator_name(text: str | None) -> str | None:
    """"演示 知识产权（咨询）工作室" and "演示知识产权咨询工作室" give the same key."""
    key = _fold(text)
    return key[:200] or None


def uscc(text: str | None) -> str | None:
    key = _fold(text).upper()
    return key or None


def url_host(text: str | None) -> str | None:
    """The host of a web address, lower case, without www./m./wap. and the port; None when
    ``text`` is not a web address ("https://Shop.Example.com/x", "www.example.com/a")."""
    text = unicodedata.normalize("NFKC", (text or "").strip()).lower()
    if not text or " " in text:
        return None
    if "://" not in text:
        text = "http://" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return None
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix):]
            break
    return host if _HOST_RE.match(host) else None


def contact_handle(text: str | None) -> str | None:
    """A contact that is not a web address, folded: "微信：Abc_123" and "abc123" match."""
    if not text or url_host(text):
        return None
    folded = _fold(text)
    for prefix in _HANDLE_PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            folded = folded[len(prefix):]
            break
    return folded[:300] or None


def keys(*, operator_name_text: str | None, operator_contact: str | None,
         online_url: str | None) -> dict[str, str | None]:
    """The ``match_*`` column values of a tip (about an unregistered operator)."""
    return {
        "match_name": operator_name(operator_name_text),
        "match_host": url_host(online_url) or url_host(operator_contact),
        "match_handle": contact_handle(operator_contact),
    }


def reasons(tip, other) -> list[str]:
    """Why ``other`` is listed as a likely duplicate of ``tip`` (shown to staff)."""
    found = []
    if tip.agency_id and tip.agency_id == other.agency_id:
        found.append(str(_l("同一登记机构")))
    if tip.match_name and tip.match_name == other.match_name:
        found.append(str(_l("经营者名称相同")))
    if tip.operator_uscc and tip.operator_uscc == other.operator_uscc:
        found.append(str(_l("统一社会信用代码相同")))
    if tip.match_host and tip.match_host == other.match_host:
        found.append(str(_l("网址域名相同（%(host)s）", host=tip.match_host)))
    if tip.match_handle and tip.match_handle == other.match_handle:
        found.append(str(_l("联系账号相同")))
    return found
