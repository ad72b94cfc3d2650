"""Tip events in the reader's language: THE one place that turns a ``TipEvent`` into text.

An event stores no system wording: its ``kind`` chooses the sentence in ``PUBLIC_TEXTS``
(a lazy message with ``%(param)s`` fields) and its ``data`` holds the parameters (e.g.
``bureau``: the bureau's name when the event happened, ``outcome``: an ``OUTCOMES`` key).
``TipEvent.public_text`` holds only words a person wrote for the reporter to read (the
bureau's question, its reply); they are shown after the sentence, as written.

The sentence is rendered when the page is: a reporter reading in English gets English,
whoever acted.  Names (bureaus) are data and stay as stored, marked ``lang="zh"`` so that
screen readers pronounce them; vocabulary parameters (``outcome``) are translated.

To add an event kind the reporter sees: one line in ``PUBLIC_TEXTS`` (and, if it has a
parameter that is not a name, one line in ``PARAMETER_LABELS``).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

# kind -> what the reporter reads (kinds not listed are internal: not on the tracking page).
PUBLIC_TEXTS: dict[str, object] = {
    "submitted": _l("我们已收到您的举报。"),
    "routed": _l("您的举报已分送%(bureau)s办理。"),
    "accepted": _l("%(bureau)s已受理您的举报，正在核查。"),
    "info_requested": _l("%(bureau)s请您补充材料："),
    "reporter_replied": _l("您已补充材料，承办部门将继续核查。"),
    "transferred": _l("您的举报已移送%(bureau)s办理。"),
    "returned_to_triage": _l("您的举报已转由%(bureau)s重新分送。"),
    "deadline_extended": _l("因情况复杂，核查期限已依法延长。"),
    "concluded": _l("%(bureau)s已办结您的举报。处理结果：%(outcome)s。"),
    # the reporter's channel (intake.messages, intake.retention)
    "reporter_message": _l("您补充了材料："),
    "staff_message": _l("%(bureau)s答复您："),
    "purged": _l("保存期限已满，举报人信息和证据文件已按规定清除。"),
}


def _outcome_label(value):
    from .workflow import OUTCOMES

    return OUTCOMES.get(value, value)


# Parameters that are vocabulary keys (translated); every other parameter is a name.
PARAMETER_LABELS = {
    "outcome": _outcome_label,
}

_FIELD = re.compile(r"%\((\w+)\)s")


def is_public(event) -> bool:
    """Does the reporter see ``event`` on the tracking page?"""
    return event.kind in PUBLIC_TEXTS or bool(event.public_text)


def _bureau_name(event) -> str:
    """The bureau's name as stored with the event; events written before names were kept
    fall back to the bureau the event moved the tip to, else the tip's bureau."""
    bureau = event.to_bureau or (event.tip.bureau if event.tip is not None else None)
    return bureau.name if bureau is not None else ""


def _parameter(event, name: str) -> Markup:
    data = event.data or {}
    value = data.get(name)
    if value is None and name == "bureau":
        value = _bureau_name(event)
    if name in PARAMETER_LABELS:
        return escape(str(PARAMETER_LABELS[name](value)))
    return Markup('<span lang="zh">%s</span>') % (value or "")


def sentence(event) -> Markup:
    """The system's sentence for ``event`` in the current language (empty if none)."""
    template = PUBLIC_TEXTS.get(event.kind)
    if template is None:
        return Markup("")
    text = str(template)
    return escape(text) % {name: _parameter(event, name) for name in _FIELD.findall(text)}


def person_text(event) -> Markup:
    """The words a person wrote for the reporter (as written, marked Chinese), or empty."""
    if not event.public_text:
        return Markup("")
    return Markup('<span class="event-quote" lang="zh">%s</span>') % event.public_text


def render(event) -> Markup:
    """Everything the reporter reads about ``event``: the sentence, then the person's words."""
    parts = [part for part in (sentence(event), person_text(event)) if part]
    return Markup(" ").join(parts)


def plain(event, locale: str = "zh_CN") -> str:
    """The reporter's text of ``event`` as plain text in ``locale`` (mail, exports)."""
    from flask_babel import force_locale

    with force_locale(locale):
        return render(event).striptags()


def init_app(app) -> None:
    app.add_template_filter(render, "event_text")
    app.add_template_filter(is_public, "event_public")
