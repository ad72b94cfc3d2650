"""Small-number suppression for the public statistics (投诉举报处理暂行办法 art. 33: no
reporter may be identified; nothing about a single tip is public).

A count from 1 to 4 is shown as "<5" (primary suppression; 0 is shown: it identifies
nobody).  A table whose total is public would give a hidden cell back by subtraction, so
``protect`` also hides further cells (secondary suppression, shown as "*"; the smallest
first) until no hidden cell can be worked out from the total and the cells shown: every
"<5" cell must then have at least two possible values.  When the total itself is hidden
(a drill-down into a region hidden one level up), at least one non-zero cell is hidden
so that the cells shown never add up to it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "*"


def is_small(value: int | None) -> bool:
    return value is not None and 0 < value < THRESHOLD


def _ambiguous(small: list[int], hidden: list[int]) -> bool:
    """Can a reader who knows the sum of the hidden cells, that each "<5" cell is 1–4 and
    each "*" cell is at least 5, still not pin down any "<5" cell?"""
    if not small:
        return True
    total = sum(small) + sum(hidden)
    k = len(small)
    upper = min(THRESHOLD - 1, total - (k - 1) - THRESHOLD * len(hidden))
    # With a "*" cell (no upper bound) a "<5" cell can be as low as 1.
    lower = 1 if hidden else max(1, total - (THRESHOLD - 1) * (k - 1))
    return upper > lower


def protect(values: Mapping[Hashable, int], total_public: bool = True) -> dict:
    """Each key's value as published: the count, "<5" or "*" (see the module's text)."""
    if is_small(sum(v or 0 for v in values.values())):
        total_public = False  # published as "<5" itself
    shown: dict = {key: (SMALL if is_small(v) else v) for key, v in values.items()}
    small = [v for v in values.values() if is_small(v)]
    candidates = sorted((v, str(key), key) for key, v in values.items()
                        if v is not None and v >= THRESHOLD)
    if total_public:
        return _hide_until_ambiguous(values, shown, small, candidates)
    if not small and candidates:
        shown[candidates[0][2]] = HIDDEN
    return shown


def _hide_until_ambiguous(values, shown: dict, small: list[int], candidates: list) -> dict:
    """Secondary suppression against a public total: hide the smallest shown cells until
    no "<5" cell can be worked out."""
    hidden: list[int] = []
    while small and not _ambiguous(small, hidden) and candidates:
        value, _name, key = candidates.pop(0)
        hidden.append(value)
        shown[key] = HIDDEN
    if small and not _ambiguous(small, hidden):
        # Nothing left to hide (e.g. 4 + 4 = 8): hide every non-zero cell; "*" then says
        # nothing about a cell but that it is hidden.
        return {key: (HIDDEN if v else 0) for key, v in values.items()}
    return shown


def publish(value: int | None) -> int | str | None:
    """One count on its own (a total): "<5" when small."""
    return SMALL if is_small(value) else value


def is_hidden(value) -> bool:
    return value in (SMALL, HIDDEN)
