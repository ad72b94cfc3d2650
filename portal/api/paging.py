"""Cursor pagination with a stable order.

A list is ordered by a unique key: the row id, or (updated_at, id) when the client asks
for ``changed_since`` (so a sync sees every change, in the order they were made).  The
cursor is the key of the last row served, opaque (base64 of JSON) to the client; the
next page is "rows after that key" (keyset), so rows added or removed while a client
pages never make it skip or repeat one of the others, and every page is one index
range scan whatever its depth.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from .problems import ApiError


@dataclass(frozen=True)
class Order:
    name: str  # "id" or "changed"

    def columns(self, model) -> tuple:
        return (model.id,) if self.name == "id" else (model.updated_at, model.id)

    def key_of(self, row) -> list[Any]:
        if self.name == "id":
            return [row.id]
        return [row.updated_at.isoformat(), row.id]

    def after(self, model, key: list[Any]):
        """Condition: the row comes after ``key`` in this order."""
        try:
            if self.name == "id":
                return model.id > row_id(key[0])
            stamp, ident = dt.datetime.fromisoformat(key[0]), row_id(key[1])
        except (IndexError, TypeError, ValueError) as exc:
            raise _bad_cursor() from exc
        return or_(model.updated_at > stamp, and_(model.updated_at == stamp, model.id > ident))


MAX_ROW_ID = 2**31 - 1  # the largest id an INTEGER column holds (PostgreSQL's int4)


def row_id(value: Any) -> int:
    """A row id from a client (cursor, path): an int a database can compare with."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(value)
    number = int(value)
    if not 0 <= number <= MAX_ROW_ID:
        raise ValueError(value)
    return number


def _bad_cursor() -> ApiError:
    return ApiError(errors={"cursor": _("翻页游标无效，请从第一页重新开始。")})


def encode_cursor(order: Order, key: list[Any]) -> str:
    raw = json.dumps({"o": order.name, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, order: Order) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(data, dict) or data.get("o") != order.name or not isinstance(
            data.get("k"), list):
        raise _bad_cursor()
    return data["k"]


def page_size(args: Mapping[str, str]) -> int:
    raw = args.get("limit")
    if raw is None or raw == "":
        return int(current_app.config["API_PAGE_SIZE"])
    biggest = int(current_app.config["API_MAX_PAGE_SIZE"])
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= biggest:
        raise ApiError(errors={"limit": _("每页条数应为 1 至 %(n)s 之间的整数", n=biggest)})
    return int(raw)


def keyset_page(db_session, query, model, order: Order, args: Mapping[str, str],
                options: tuple = ()):
    """(rows, next cursor or None) for ``query`` ordered by ``order``.

    Two steps: the ids of the page (filter, sort and limit over narrow rows, often an
    index alone), then those rows with ``options`` (eager loads).  Sorting the full,
    joined rows of a large region to keep 51 of them cost 90 ms at 100k agencies."""
    limit = page_size(args)
    cursor = args.get("cursor")
    if cursor:
        query = query.where(order.after(model, decode_cursor(cursor, order)))
    ids = list(db_session.scalars(query.order_by(None).order_by(*order.columns(model))
                                  .limit(limit + 1).with_only_columns(model.id)))
    found = {row.id: row for row in db_session.scalars(
        select(model).where(model.id.in_(ids)).options(*options))} if ids else {}
    rows = [found[i] for i in ids if i in found]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(order, order.key_of(rows[-1])) if more else None)


def next_url(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    args = {k: v for k, v in request.args.items(multi=True) if k != "cursor"}
    args["cursor"] = cursor
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)
