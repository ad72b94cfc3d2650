"""The vocabulary of self-discipline measures, as data (table ``association_measure_kind``).

The association publisher (and the provincial administrator) add, rename, reorder and
deactivate kinds on a staff page; forms and imports accept the active kinds only; pages
show a kind's name in the page's language; records store the kind's ``key``, so a renamed
kind renames every record that has it.  The seven kinds of the association's rules are
seeded by the migration (``DEFAULT_KINDS``; ``ensure_default_kinds`` adds any missing,
for databases built from the models).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from flask import g, has_app_context, has_request_context
from flask_babel import get_locale

from ..extensions import db
from ..register.cleaning import ValidationError, _, text_or_none
from ..register.models import AssociationMeasureKind

# (key, Chinese name, English name, severity): lighter measures first.
DEFAULT_KINDS = (
    ("interview", "约谈", "Admonitory talk", 10),
    ("admonition", "训诫", "Reprimand", 20),
    ("warning", "警告", "Warning", 30),
    ("circulated_criticism", "通报批评", "Circulated criticism", 40),
    ("public_censure", "公开谴责", "Public censure", 50),
    ("membership_suspended", "暂停会员权利", "Suspension of membership rights", 60),
    ("membership_revoked", "取消会员资格", "Expulsion from membership", 70),
)

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
HISTORY_SUBJECT = "measure_kind"  # RegisterEvent.subject of a change to the vocabulary
_MEMO = "association_measure_kinds"


# -- reading -------------------------------------------------------------------------

def all_kinds() -> list[AssociationMeasureKind]:
    """Every kind, active or not, lightest first (read once per request)."""
    if not has_app_context():
        return []
    memo = g.get(_MEMO) if has_request_context() else None
    if memo is None:
        memo = list(db.session.scalars(db.select(AssociationMeasureKind).order_by(
            AssociationMeasureKind.severity, AssociationMeasureKind.id)))
        if has_request_context():
            setattr(g, _MEMO, memo)
    return memo


def _forget() -> None:
    if has_request_context():
        g.pop(_MEMO, None)


def active_kinds() -> list[AssociationMeasureKind]:
    return [k for k in all_kinds() if k.active]


def _english() -> bool:
    locale = get_locale() if has_request_context() else None
    return locale is not None and not str(locale).startswith("zh")


def name_of(kind: AssociationMeasureKind) -> str:
    """The kind's name in the page's language (Chinese outside a request)."""
    return kind.name_en if _english() and kind.name_en else kind.name_zh


def label(key: str | None) -> str:
    """The page-language name of the kind stored as ``key`` (the key if there is none)."""
    found = next((k for k in all_kinds() if k.key == key), None)
    return name_of(found) if found is not None else (key or "")


def chinese_name(key: str | None) -> str:
    found = next((k for k in all_kinds() if k.key == key), None)
    return found.name_zh if found is not None else (key or "")


def resolve(value: Any) -> str | None:
    """The key of the ACTIVE kind named by ``value``: its key, Chinese or English name."""
    text = text_or_none(value)
    if text is None:
        return None
    lowered = text.lower()
    for kind in active_kinds():
        if text in (kind.key, kind.name_zh) or lowered in (kind.key, kind.name_en.lower()):
            return kind.key
    return None


class MeasureNames(Mapping):
    """key -> name, read from the table when used (never at import): the choices of the
    staff form and of the list filter (``active_only``: the form), and the published
    wording of the download column (``chinese``)."""

    def __init__(self, *, active_only: bool = False, chinese: bool = False):
        self.active_only = active_only
        self.chinese = chinese

    def _kinds(self) -> list[AssociationMeasureKind]:
        return active_kinds() if self.active_only else all_kinds()

    def __getitem__(self, key: str) -> str:
        for kind in self._kinds():
            if kind.key == key:
                return kind.name_zh if self.chinese else name_of(kind)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter([k.key for k in self._kinds()])

    def __len__(self) -> int:
        return len(self._kinds())

    def __contains__(self, key: object) -> bool:
        return any(k.key == key for k in self._kinds())


# -- writing (the staff page) -------------------------------------------------------------

def _clean(data: Mapping[str, Any], current: AssociationMeasureKind | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if current is None:
        key = (text_or_none(data.get("key")) or "").lower()
        if not KEY_RE.match(key):
            errors["key"] = _("代码应为 2 至 30 个小写英文字母、数字或下划线，以字母开头")
        elif db.session.scalar(db.select(AssociationMeasureKind.id)
                               .where(AssociationMeasureKind.key == key)):
            errors["key"] = _("代码 %(key)s 已被使用", key=key)
        out["key"] = key
    name_zh = text_or_none(data.get("name_zh"))
    if name_zh is None:
        errors["name_zh"] = _("请填写中文名称")
    elif len(name_zh) > 40:
        errors["name_zh"] = _("中文名称不能超过40个字")
    elif db.session.scalar(db.select(AssociationMeasureKind.id).where(
            AssociationMeasureKind.name_zh == name_zh,
            AssociationMeasureKind.id != (current.id if current is not None else -1))):
        errors["name_zh"] = _("已有名为“%(name)s”的惩戒种类", name=name_zh)
    name_en = text_or_none(data.get("name_en"))
    if name_en is None:
        errors["name_en"] = _("请填写英文名称")
    elif len(name_en) > 80:
        errors["name_en"] = _("英文名称不能超过80个字符")
    try:
        severity = int(text_or_none(data.get("severity")) or 0)
        if not 0 <= severity <= 1000:
            raise ValueError
    except ValueError:
        errors["severity"] = _("轻重顺序应为 0 至 1000 的整数")
        severity = 0
    if errors:
        raise ValidationError(errors)
    out.update(name_zh=name_zh, name_en=name_en, severity=severity)
    return out


def _history(kind: AssociationMeasureKind, action: str, actor: Any,
             changes: dict[str, tuple[Any, Any]] | None = None) -> None:
    from ..register.services import record_event

    record_event(HISTORY_SUBJECT, kind.id, action, actor=actor, changes=changes)


def add_kind(data: Mapping[str, Any], *, actor: Any = None) -> AssociationMeasureKind:
    """A new active kind; ValidationError (messages per field) on bad input.  Flushes."""
    values = _clean(data, None)
    kind = AssociationMeasureKind(active=True, **values)
    db.session.add(kind)
    db.session.flush()
    _history(kind, "registered", actor)
    _forget()
    return kind


def update_kind(kind: AssociationMeasureKind, data: Mapping[str, Any], *,
                actor: Any = None) -> AssociationMeasureKind:
    """Rename / reorder a kind (its key, stored on records, never changes).  Flushes."""
    values = _clean(data, kind)
    changes = {f: (getattr(kind, f), v) for f, v in values.items() if getattr(kind, f) != v}
    for f, v in values.items():
        setattr(kind, f, v)
    db.session.flush()
    if changes:
        _history(kind, "changed", actor, changes)
    _forget()
    return kind


def set_active(kind: AssociationMeasureKind, active: bool, *, actor: Any = None) -> None:
    """Deactivate (no new records may use it; existing records keep it) or reactivate."""
    if kind.active == active:
        return
    _history(kind, "changed", actor, {"active": (kind.active, active)})
    kind.active = active
    db.session.flush()
    _forget()


def ensure_default_kinds() -> int:
    """Add the default kinds that are missing (by key); the number added.  Flushes."""
    known = set(db.session.scalars(db.select(AssociationMeasureKind.key)))
    names = set(db.session.scalars(db.select(AssociationMeasureKind.name_zh)))
    added = 0
    for key, name_zh, name_en, severity in DEFAULT_KINDS:
        if key not in known and name_zh not in names:
            db.session.add(AssociationMeasureKind(key=key, name_zh=name_zh, name_en=name_en,
                                                  severity=severity, active=True))
            added += 1
    db.session.flush()
    _forget()
    return added
