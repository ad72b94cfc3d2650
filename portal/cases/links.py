"""What a typical case links to: an agency or a record of any kind of the registry
(portal.register.kinds).  Staff name a target by pasting its public URL, a penalty
decision number or an agency's USCC; the public pages resolve links through the registry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from ..extensions import db
from ..register import kinds
from ..register.cleaning import _, decision_key
from ..register.models import Agency, Penalty
from ..register.urls import agency_url

AGENCY = "agency"
_USCC = re.compile(r"^[0-9A-Za-z]{18}$")


class LinkError(ValueError):
    """A pasted reference that names nothing the case may link to (a message for the form)."""


def model_of(kind: str) -> type[Any]:
    return Agency if kind == AGENCY else kinds.get(kind).model


def kind_label(kind: str) -> str:
    return str(kinds.AGENCY.label if kind == AGENCY else kinds.get(kind).label)


def kind_of(obj: Any) -> str:
    return AGENCY if isinstance(obj, Agency) else kinds.of(obj).key


def public_url(obj: Any) -> str:
    return agency_url(obj) if isinstance(obj, Agency) else kinds.of(obj).public_url(obj)


# -- staff: a pasted reference -> the agency or record ------------------------------------

def _from_url(text: str) -> Any:
    path = unquote(urlsplit(text).path or "")
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, args = adapter.match(path, method="GET")
    except RequestRedirect as redirect:  # /penalties -> /penalties/ and the like
        return _from_url(redirect.new_url)
    except HTTPException:
        return None
    if endpoint == "register.agency":
        return db.session.scalar(db.select(Agency).where(Agency.uscc == args["uscc"].upper()))
    for kind in kinds.KINDS:
        if endpoint == "register." + kind.url.detail_endpoint:
            value = args[kind.url.arg]
            if kind.url.canonical is not None:
                value = kind.url.canonical(value)
            model = kind.model
            return db.session.scalar(db.select(model).where(
                getattr(model, kind.url.field) == value))
    return None


def find_target(text: str) -> Any:
    """The agency or record ``text`` names; LinkError with the reason otherwise."""
    text = text.strip()
    if "/" in text and not text.startswith(("http://", "https://", "/")):
        raise LinkError(_("“%(text)s”不是本平台的公示页面地址", text=text))
    if text.startswith(("http://", "https://", "/")):
        found = _from_url(text)
        if found is None:
            raise LinkError(_("“%(text)s”不是本平台代理机构或公示信息的页面地址", text=text))
    elif _USCC.match(text):
        found = db.session.scalar(db.select(Agency).where(Agency.uscc == text.upper()))
        if found is None:
            raise LinkError(_("没有统一社会信用代码为 %(text)s 的代理机构", text=text))
    else:
        found = db.session.scalar(db.select(Penalty).where(
            Penalty.decision_key == decision_key(text)))
        if found is None:
            raise LinkError(_("“%(text)s”既不是公示页面地址、统一社会信用代码，也不是已公示的"
                              "处罚决定书文号", text=text))
    if not isinstance(found, Agency) and found.status != "published":
        raise LinkError(_("“%(text)s”已停止公示，不能关联", text=text))
    return found


def parse_references(text: str) -> tuple[list[tuple[str, int]], list[str]]:
    """(kind, id) of every line of ``text`` (in order, without repeats), and the errors."""
    found: list[tuple[str, int]] = []
    errors: list[str] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        try:
            obj = find_target(line)
        except LinkError as exc:
            errors.append(str(exc))
            continue
        key = (kind_of(obj), obj.id)
        if key not in found:
            found.append(key)
    return found, errors


# -- public: links -> what the case page shows ---------------------------------------------

@dataclass
class Target:
    kind: str
    label: str  # the kind's label
    public: bool  # False: withdrawn, repaired, expired or deleted since (shown without details)
    name: str = ""
    detail: str = ""
    url: str | None = None


def _target(kind: str, obj: Any) -> Target:
    label = kind_label(kind)
    if obj is None:
        return Target(kind, label, public=False)
    if isinstance(obj, Agency):
        return Target(kind, label, True, obj.name, obj.uscc, agency_url(obj))
    if not obj.is_public():
        return Target(kind, label, public=False)
    record_kind = kinds.get(kind)
    return Target(kind, label, True, record_kind.display(obj)[0], record_kind.describe(obj),
                  record_kind.public_url(obj))


def resolve(links: list[Any]) -> list[Target]:
    """The targets of a case's links, in order (one query per kind linked)."""
    by_kind: dict[str, list[int]] = {}
    for link in links:
        by_kind.setdefault(link.kind, []).append(link.record_id)
    loaded: dict[tuple[str, int], Any] = {}
    for kind, ids in by_kind.items():
        try:
            model = model_of(kind)
        except kinds.UnknownKind:
            continue
        for obj in db.session.scalars(db.select(model).where(model.id.in_(ids))):
            loaded[(kind, obj.id)] = obj
    return [_target(link.kind, loaded.get((link.kind, link.record_id)))
            for link in links if link.kind == AGENCY or _known(link.kind)]


def _known(kind: str) -> bool:
    return any(k.key == kind for k in kinds.KINDS)


def reference_of(link: Any) -> str:
    """The line the staff form shows for an existing link (the target's public URL)."""
    try:
        obj = db.session.get(model_of(link.kind), link.record_id)
    except kinds.UnknownKind:
        obj = None
    return public_url(obj) if obj is not None else f"{link.kind}:{link.record_id}"
