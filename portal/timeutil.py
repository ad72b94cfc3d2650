"""The portal's notion of "now" and "today" (China Standard Time), in one place."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> dt.datetime:
    """Naive UTC timestamp, as stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    """Today's date in China; publication windows and deadlines use it."""
    return dt.datetime.now(CHINA_TZ).date()


def to_china(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CHINA_TZ)
