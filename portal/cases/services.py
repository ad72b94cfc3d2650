"""Typical cases: every state change in one place (validated, history appended, flushed;
the view commits).  Who may call them is checked here too (``Forbidden``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from ..auth import permissions
from ..auth.models import Role
from ..extensions import db
from ..register import vocab
from ..register.cleaning import ValidationError, _, parse_date
from ..timeutil import today as today_cn
from ..timeutil import utcnow
from . import links as case_links
from .models import (
    ASSOCIATION,
    BUREAU,
    DRAFT,
    PUBLISHED,
    WITHDRAWN,
    CaseEvent,
    CaseLink,
    CaseTag,
    TypicalCase,
)

STATUSES = {DRAFT: _l("草稿"), PUBLISHED: _l("已发布"), WITHDRAWN: _l("已撤回")}
ACTIONS = {"created": _l("创建"), "edited": _l("修改"), "published": _l("发布"),
           "withdrawn": _l("撤回")}
LABELS = {
    "title": _l("标题"), "summary": _l("摘要"), "body": _l("正文"),
    "published_on": _l("发布日期"), "publisher_name": _l("发布单位"),
    "tags": _l("违法行为类型"), "links": _l("关联的机构和公示信息"), "status": _l("状态"),
}
TAGS = vocab.VIOLATION_TYPES
LIMITS = {"title": 200, "summary": 1000, "body": 50000, "publisher_name": 120}
FIELDS = ("title", "summary", "body", "published_on", "publisher_name", "tags", "links")


def default_publisher(user: Any, bureau: Any) -> tuple[str, str]:
    """(publisher kind, name) of a new case: the association's account publishes as the
    association, everyone else as the bureau."""
    if user is not None and getattr(user, "role", None) == Role.ASSOCIATION:
        return ASSOCIATION, str(_l("专利代理行业协会"))
    return BUREAU, bureau.name


def clean_case(data: Mapping[str, Any]) -> dict[str, Any]:
    """Valid values of the case form, or ValidationError (a message per field)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in ("title", "summary", "body", "publisher_name"):
        value = str(data.get(name) or "").strip()
        if not value:
            errors[name] = _("请填写%(label)s", label=LABELS[name])
        elif len(value) > LIMITS[name]:
            errors[name] = _("%(label)s不能超过 %(n)s 个字", label=LABELS[name], n=LIMITS[name])
        out[name] = value
    raw_date = str(data.get("published_on") or "").strip()
    out["published_on"] = None
    if raw_date:
        try:
            out["published_on"] = parse_date(raw_date)
        except ValueError:
            errors["published_on"] = _("发布日期格式应为“年-月-日”，例如 2026-03-31")
    tags = [t for t in dict.fromkeys(data.get("tags") or []) if t]
    unknown = [t for t in tags if t not in TAGS]
    if unknown:
        errors["tags"] = _("未知的违法行为类型：%(tags)s", tags="、".join(unknown))
    elif not tags:
        errors["tags"] = _("请至少选择一个违法行为类型")
    out["tags"] = tags
    targets, link_errors = case_links.parse_references(str(data.get("links") or ""))
    if link_errors:
        errors["links"] = "；".join(link_errors)
    out["links"] = targets
    if errors:
        raise ValidationError(errors)
    return out


def _snapshot(case: TypicalCase) -> dict[str, Any]:
    return {
        "title": case.title, "summary": case.summary, "body": case.body,
        "published_on": case.published_on.isoformat() if case.published_on else None,
        "publisher_name": case.publisher_name, "tags": "、".join(case.tag_list),
        "links": " ".join(f"{link.kind}:{link.record_id}" for link in case.links),
    }


def _apply(case: TypicalCase, values: Mapping[str, Any]) -> None:
    for name in ("title", "summary", "body", "published_on", "publisher_name"):
        setattr(case, name, values[name])
    wanted = list(values["tags"])
    case.tags = [t for t in case.tags if t.tag in wanted] + [
        CaseTag(tag=t) for t in wanted if t not in case.tag_list]
    targets = list(values["links"])
    kept = [link for link in case.links if (link.kind, link.record_id) in targets]
    have = {(link.kind, link.record_id) for link in kept}
    case.links = kept + [CaseLink(kind=k, record_id=i) for k, i in targets if (k, i) not in have]


def _event(case: TypicalCase, action: str, actor: Any, *, changes: dict | None = None,
           reason: str | None = None) -> None:
    db.session.add(CaseEvent(case_id=case.id, action=action, changes=changes, reason=reason,
                             actor_id=getattr(actor, "id", None)))


def _require(allowed: bool) -> None:
    if not allowed:
        raise permissions.Forbidden(_("您无权进行此操作"))


def create_case(data: Mapping[str, Any], *, actor: Any, bureau: Any,
                is_demo: bool = False) -> TypicalCase:
    """A new draft case of ``bureau`` (the actor must be allowed to publish for it)."""
    if actor is not None:
        _require(permissions.can_publish_case(actor, bureau))
    values = clean_case(data)
    publisher_kind, _name = default_publisher(actor, bureau)
    case = TypicalCase(bureau=bureau, publisher_kind=publisher_kind, status=DRAFT,
                       is_demo=is_demo, created_by_id=getattr(actor, "id", None),
                       updated_by_id=getattr(actor, "id", None), title="", summary="", body="",
                       publisher_name="")
    _apply(case, values)
    db.session.add(case)
    db.session.flush()
    _event(case, "created", actor, changes={k: [None, v] for k, v in _snapshot(case).items()
                                            if v})
    db.session.flush()
    return case


def update_case(case: TypicalCase, data: Mapping[str, Any], *, actor: Any) -> dict:
    """Change a case's texts, tags, date and links; returns the changes ({} if none)."""
    _require(permissions.can_edit_case(actor, case))
    values = clean_case(data)
    if values["published_on"] is None and case.status != DRAFT:
        values["published_on"] = case.published_on  # once published, a case keeps a date
    before = _snapshot(case)
    _apply(case, values)
    db.session.flush()
    after = _snapshot(case)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        case.updated_by_id = actor.id
        _event(case, "edited", actor, changes=changes)
        db.session.flush()
    return changes


def publish_case(case: TypicalCase, *, actor: Any, on: dt.date | None = None) -> None:
    """A draft (or a withdrawn case) is published: its date is as set, else today."""
    _require(permissions.can_edit_case(actor, case))
    if case.status == PUBLISHED:
        raise ValidationError({"publish": _("该案例已经发布")})
    previous = case.status
    case.status = PUBLISHED
    case.published_on = case.published_on or on or today_cn()
    case.status_reason = None
    case.status_changed_at = utcnow()
    case.updated_by_id = actor.id
    _event(case, "published", actor, changes={"status": [previous, PUBLISHED]})
    db.session.flush()


def withdraw_case(case: TypicalCase, reason: str, *, actor: Any) -> None:
    """A published case is withdrawn, with a reason (shown at its old address)."""
    _require(permissions.can_edit_case(actor, case))
    reason = (reason or "").strip()
    if case.status != PUBLISHED:
        raise ValidationError({"withdraw": _("只有已发布的案例可以撤回")})
    if not reason:
        raise ValidationError({"withdraw": _("请填写撤回原因")})
    if len(reason) > 1000:
        raise ValidationError({"withdraw": _("撤回原因不能超过 %(n)s 个字", n=1000)})
    case.status = WITHDRAWN
    case.status_reason = reason
    case.status_changed_at = utcnow()
    case.updated_by_id = actor.id
    _event(case, "withdrawn", actor, changes={"status": [PUBLISHED, WITHDRAWN]}, reason=reason)
    db.session.flush()


def history(case: TypicalCase) -> list[CaseEvent]:
    return list(db.session.scalars(db.select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.id)))
