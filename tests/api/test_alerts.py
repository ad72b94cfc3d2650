"""Alerts: subscribe, confirm (double opt-in), exactly one alert per change, digest,
one-click unsubscribe, and nothing for unconfirmed or unsubscribed addresses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from intake.models import OutboxMail
from portal.alerts import services
from portal.alerts.models import AlertDelivery, AlertSubscription
from portal.extensions import db
from portal.register import services as register_services
from portal.timeutil import CHINA_TZ, to_china, utcnow
from tests.factories.register import make_agency, make_penalty


def mails(to=None):
    q = select(OutboxMail).order_by(OutboxMail.id)
    if to:
        q = q.where(OutboxMail.to == to)
    return list(db.session.scalars(q))


def link(mail, path):
    found = re.search(r"http://localhost(/alerts/" + path + r"/[^\s]+)", mail.body)
    assert found, mail.body
    return found.group(1)


def run_alerts(app, now=None):
    with app.test_request_context(base_url="http://localhost"):
        result = services.send_alerts(now)
        db.session.commit()
    return result


@pytest.fixture
def agency(app_ctx):
    found = make_agency()
    db.session.commit()
    return found


def subscribe_and_confirm(client, agency, email="watcher@example.com", **extra):
    data = {"email": email, "agency": agency.uscc if agency else "", **extra}
    response = client.post("/alerts/subscribe", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    confirm_mail = mails(email)[-1]
    url = link(confirm_mail, "confirm")
    assert client.get(url).status_code == 200
    assert db.session.scalar(select(AlertSubscription).where(
        AlertSubscription.email == email)).confirmed_at is None, "GET does not confirm"
    assert client.post(url).status_code == 200
    return db.session.scalar(select(AlertSubscription).where(AlertSubscription.email == email))


def test_subscribe_confirm_one_alert_per_publish_and_one_click_unsubscribe(app, client, agency):
    run_alerts(app)  # the first run sets the position
    sub = subscribe_and_confirm(client, agency)
    assert sub.confirmed_at is not None

    penalty = make_penalty(agency)
    db.session.commit()
    first = run_alerts(app)
    assert (first.deliveries, first.mails) == (1, 1)
    alert = mails("watcher@example.com")[-1]
    assert penalty.decision_number in alert.body or agency.name in alert.body
    assert alert.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    again = run_alerts(app)  # the overlap is read again: nothing is sent twice
    assert (again.deliveries, again.mails) == (0, 0)
    assert db.session.query(AlertDelivery).count() == 1

    unsubscribe = alert.headers["List-Unsubscribe"].strip("<>").replace("http://localhost", "")
    response = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.refresh(sub)
    assert sub.unsubscribed_at is not None
    make_penalty(agency)
    db.session.commit()
    assert run_alerts(app).mails == 0


def test_unconfirmed_subscription_gets_nothing(app, client, agency):
    run_alerts(app)
    client.post("/alerts/subscribe", data={"email": "maybe@example.com", "agency": agency.uscc})
    make_penalty(agency)
    db.session.commit()
    assert run_alerts(app).deliveries == 0
    assert len(mails("maybe@example.com")) == 1  # the confirmation only


def test_withdrawal_and_agency_status_change_are_alerts(app, client, agency):
    penalty = make_penalty(agency)
    db.session.commit()
    run_alerts(app)
    subscribe_and_confirm(client, agency)
    register_services.withdraw_record(penalty, "处罚决定已被撤销")
    db.session.commit()
    result = run_alerts(app)
    assert result.deliveries == 1
    assert "已撤回" in mails("watcher@example.com")[-1].body
    register_services.upsert_agency({"uscc": agency.uscc, "name": agency.name, "kind": "patent",
                                     "division_code": agency.division_code,
                                     "status": "revoked"})
    db.session.commit()
    assert run_alerts(app).deliveries == 1


def test_region_and_kind_subscription(app, client, agency):
    run_alerts(app)
    subscribe_and_confirm(client, None, email="region@example.com", region="140100",
                          kind="penalty")
    elsewhere = make_agency(division_code="140202")
    make_penalty(elsewhere)
    make_penalty(agency)
    db.session.commit()
    result = run_alerts(app)
    assert result.deliveries == 1
    assert agency.name in mails("region@example.com")[-1].body


def test_daily_digest_collects_a_day(app, client, agency):
    run_alerts(app)
    subscribe_and_confirm(client, agency, email="digest@example.com", digest="y")
    make_penalty(agency)
    db.session.commit()
    # An hour into today's digest day (China's calendar day), so that "5 minutes later"
    # never crosses midnight; a run may be dated earlier than the changes it reads.
    day_start = dt.datetime.combine(to_china(utcnow()).date(), dt.time(), tzinfo=CHINA_TZ)
    now = (day_start + dt.timedelta(hours=1)).astimezone(dt.UTC).replace(tzinfo=None)
    first = run_alerts(app, now)
    assert first.mails == 1  # the day's first run sends what waits
    make_penalty(agency)
    make_penalty(agency)
    db.session.commit()
    later = run_alerts(app, now + dt.timedelta(minutes=5))
    assert (later.deliveries, later.mails) == (2, 0)
    next_day = run_alerts(app, now + dt.timedelta(days=1))
    assert next_day.mails == 1
    assert mails("digest@example.com")[-1].body.count("http://localhost/penalties/") == 2


def test_bad_subscriptions_are_refused_with_messages(client, agency):
    response = client.post("/alerts/subscribe", data={"email": "not-an-address",
                                                      "agency": agency.uscc})
    assert response.status_code == 422
    response = client.post("/alerts/subscribe", data={"email": "a@example.com", "region": ""})
    assert response.status_code == 422
    assert "请选择地区" in response.get_data(as_text=True)
    assert client.get("/alerts/confirm/forged-token").status_code == 404


def test_subscribing_again_reveals_nothing(client, agency):
    subscribe_and_confirm(client, agency)
    response = client.post("/alerts/subscribe", data={"email": "watcher@example.com",
                                                      "agency": agency.uscc})
    assert response.status_code == 200
    assert db.session.query(AlertSubscription).count() == 1
