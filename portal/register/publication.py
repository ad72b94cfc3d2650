"""The publication window of penalty decisions (行政处罚信息公示规定) — the one place for it.

A decision is shown for 3 months when it is only 通报批评 and/or a small fine, else for
3 years, or as long as a longer restriction lasts; credit repair may hide it early, from
6 months after publication, unless the licence was revoked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask import current_app

SHORT_WINDOW_KINDS = frozenset({"通报批评", "罚款"})
SHORT_WINDOW_MONTHS = 3
LONG_WINDOW_MONTHS = 36
REPAIR_AFTER_MONTHS = 6
NOT_REPAIRABLE_KINDS = frozenset({"吊销执业许可证"})


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def publication_end_for(kinds: Iterable[str], fine_amount: Decimal | int | None,
                        suspension_months: int | None, published_on: dt.date,
                        small_fine: Decimal | int | None = None) -> dt.date:
    """Window rule on plain values: 3 months for 通报批评 / a small fine alone, else 3 years,
    or as long as a longer restriction lasts.  The last day shown is the day before the end."""
    if small_fine is None:
        small_fine = current_app.config["PENALTY_SMALL_FINE_YUAN"]
    kinds = set(kinds)
    short = bool(kinds) and kinds <= SHORT_WINDOW_KINDS and (
        "罚款" not in kinds
        or (fine_amount is not None and Decimal(fine_amount) <= Decimal(small_fine))
    )
    months = SHORT_WINDOW_MONTHS if short else LONG_WINDOW_MONTHS
    if suspension_months and suspension_months > months:
        months = suspension_months
    return add_months(published_on, months) - dt.timedelta(days=1)


def repair_allowed_from(penalty: Any) -> dt.date:
    """The first day credit repair may hide ``penalty`` (anything with ``published_on``)."""
    return add_months(penalty.published_on, REPAIR_AFTER_MONTHS)
