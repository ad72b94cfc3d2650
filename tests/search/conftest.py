"""Search tests run against BOTH engines (parametrised app_config)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["tantivy", "whoosh"])
def engine_name(request):
    return request.param


@pytest.fixture
def app_config(app_config, engine_name):
    return {**app_config, "SEARCH_ENGINE": engine_name}
