"""The Atom feed of typical cases (/feeds/cases.atom, served by portal.feeds): published
cases, and withdrawn ones as updated entries that say so (a reader's entry is not
silently dropped), newest change first."""

from __future__ import annotations

import datetime as dt

from feedgen.feed import FeedGenerator
from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, select

from ..extensions import db
from ..timeutil import today as today_cn
from .markdown import plain_text
from .models import PUBLISHED, WITHDRAWN, TypicalCase

ENTRIES = 50


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC)


def _changed(case: TypicalCase) -> dt.datetime:
    return max(s for s in (case.updated_at, case.status_changed_at) if s is not None)


def feed_cases() -> list[TypicalCase]:
    shown = and_(TypicalCase.status.in_((PUBLISHED, WITHDRAWN)),
                 TypicalCase.published_on <= today_cn())
    return list(db.session.scalars(
        select(TypicalCase).where(shown).order_by(TypicalCase.updated_at.desc(),
                                                        TypicalCase.id.desc()).limit(ENTRIES)))


def cases_feed() -> bytes:
    cases = sorted(feed_cases(), key=_changed, reverse=True)
    fg = FeedGenerator()
    fg.id(request.url)
    fg.title(_("典型案例"))
    fg.author({"name": _("蓝天代理机构监管公示平台")})
    fg.link(href=request.url, rel="self")
    fg.link(href=url_for("cases.index", _external=True), rel="alternate")
    fg.language("zh-CN")
    fg.rights(str(current_app.config["OPEN_DATA_LICENCE"]))
    fg.updated(_utc(_changed(cases[0])) if cases else dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    for case in reversed(cases):  # feedgen prepends: add oldest first
        url = url_for("cases.detail", case_id=case.id, _external=True)
        entry = fg.add_entry()
        entry.id(url)
        entry.link(href=url)
        entry.updated(_utc(_changed(case)))
        entry.published(dt.datetime.combine(case.published_on, dt.time(), dt.UTC))
        entry.author({"name": case.publisher_name})
        if case.status == WITHDRAWN:
            entry.title(_("已撤回：%(title)s", title=case.title))
            entry.summary(_("撤回原因：%(reason)s", reason=case.status_reason or ""))
            continue
        entry.title(case.title)
        entry.summary(case.summary[:500] or plain_text(case.body)[:500])
        for tag in case.tag_list:
            entry.category(term=tag, label=tag)
    return fg.atom_str(pretty=True)
