"""The API's own rate limit (an app with limits on: its own module, so that only these tests
get that configuration; the database comes from the shared fixtures, SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"}


def test_rate_limit_answers_429_with_retry_after(client):
    statuses = [client.get("/api/v1/bureaus").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/divisions")
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1
