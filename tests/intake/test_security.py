"""CSRF on every intake POST, and per-address rate limits."""

import pytest

from intake.models import Tip
from portal.extensions import db
from tests.factories.intake import form_data


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_STORAGE_URI"] = "memory://"
    app_config["TIP_SUBMIT_RATE_LIMIT"] = "3 per minute"
    app_config["TIP_TRACK_RATE_LIMIT"] = "4 per minute"
    return app_config


def token(client, path="/tips/new"):
    import re

    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_missing_csrf_token_is_refused_and_nothing_stored(app, client):
    response = client.post("/tips/new", data=form_data())
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True) or "安全" in response.get_data(
        as_text=True)
    for path in ("/tips/track", "/tips/track/reply", "/tips/track/leave"):
        assert client.post(path, data={"code": "X"}).status_code == 400
    with app.app_context():
        assert db.session.query(Tip).count() == 0


def test_with_token_the_form_is_accepted(app, client):
    response = client.post("/tips/new", data=form_data(csrf_token=token(client)))
    assert response.status_code == 200 and 'id="receipt"' in response.get_data(as_text=True)


def test_submissions_are_rate_limited_per_address(app, client):
    statuses = [client.post("/tips/new", data=form_data(csrf_token=token(client))).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # Another address is not affected.
    other = app.test_client()
    response = other.post("/tips/new", data=form_data(csrf_token=token(other)),
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 200
    # GET of the form is not limited.
    assert client.get("/tips/new").status_code == 200


def test_tracking_lookups_are_rate_limited(app, client):
    t = token(client, "/tips/track")
    statuses = [client.post("/tips/track", data={"code": "AAAA-BBBB-CCCC-DDDD-EE",
                                                 "csrf_token": t}).status_code
                for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 429]


def test_rate_limit_counts_filed_tips_only_and_says_when_to_retry(app, client):
    """Defect 3: failed validations (and repeats of one form) no longer use up the limit."""
    for _ in range(5):
        response = client.post("/tips/new", data=form_data(csrf_token=token(client),
                                                           description="短"))
        assert response.status_code == 422
    data = form_data(csrf_token=token(client))
    assert client.post("/tips/new", data=data).status_code == 200
    for _ in range(3):  # the same form again: its receipt, not a new tip
        assert client.post("/tips/new", data=data).status_code == 200
    for _ in range(2):
        assert client.post("/tips/new", data=form_data(csrf_token=token(client))).status_code == 200
    refused = client.post("/tips/new", data=form_data(csrf_token=token(client)))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "请求过于频繁" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Tip).count() == 3
