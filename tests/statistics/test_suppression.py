"""Small-number suppression: "<5" cells, and the hidden cells that stop subtraction."""

from __future__ import annotations

import itertools

from portal.statistics.suppression import HIDDEN, SMALL, protect, publish


def _possible(shown: dict, values: dict, total: int) -> dict:
    """Every assignment of the hidden cells a reader could believe (each "<5" is 1-4, each
    "*" at least 5) that adds up to the public total: the values each hidden key may take."""
    hidden = [k for k, v in shown.items() if v in (SMALL, HIDDEN)]
    rest = total - sum(v for v in shown.values() if v not in (SMALL, HIDDEN))
    ranges = [range(1, 5) if shown[k] == SMALL else range(5, rest + 1) for k in hidden]
    out: dict = {k: set() for k in hidden}
    for combo in itertools.product(*ranges):
        if sum(combo) == rest:
            for k, v in zip(hidden, combo, strict=True):
                out[k].add(v)
    return out


def test_small_counts_are_shown_as_less_than_five_and_zero_as_zero():
    assert protect({"a": 3, "b": 0, "c": 4, "d": 12}, total_public=False) == {
        "a": SMALL, "b": 0, "c": SMALL, "d": 12}
    assert publish(4) == SMALL and publish(5) == 5 and publish(0) == 0


def test_a_lone_small_cell_is_not_given_away_by_the_total():
    values = {"a": 2, "b": 9, "c": 30}
    shown = protect(values)
    assert shown["a"] == SMALL and shown["b"] == HIDDEN and shown["c"] == 30
    possible = _possible(shown, values, sum(values.values()))
    assert len(possible["a"]) > 1


def test_no_small_cell_can_be_worked_out_in_any_table():
    for values in ({"a": 1, "b": 1, "c": 40}, {"a": 1, "b": 5, "c": 7},
                   {"a": 4, "b": 4, "c": 4, "d": 6}, {"a": 1, "b": 5}, {"a": 3, "b": 0},
                   {"a": 2, "b": 3, "c": 5, "d": 6, "e": 100}):
        shown = protect(values)
        total = sum(values.values())
        if total < 5:
            continue  # the total itself is "<5" then
        for key, options in _possible(shown, values, total).items():
            if shown[key] == SMALL:
                assert len(options) > 1, (values, shown, key, options)


def test_below_a_hidden_total_one_cell_is_hidden_too():
    shown = protect({"a": 6, "b": 9}, total_public=False)
    assert shown == {"a": HIDDEN, "b": 9}
