"""Search tests run against BOTH engines (parametrised app_config)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["tantivy", "whoosh"])
def engine_name(request):
    return request.param


@pytest.fixture
def app_config(app_config, engine_name):
    return {**app_config, "SEARCH_ENGINE": engine_name}


def penalty_row(agency, **kw):
    """``factories.register.penalty_row`` that also fills the natural key when the model has one
    (the register's ``decision_key``), so these tests do not depend on how the factory does it."""
    from portal.register import cleaning
    from tests.factories import register as f

    p = f.penalty_row(agency, **kw)
    if hasattr(p, "decision_key") and not getattr(p, "decision_key", None):
        p.decision_key = cleaning.decision_key(p.decision_number)
    return p
