"""Accounts and access: hashing, lockout, sessions ending, TOTP, CLI."""

from __future__ import annotations

import datetime as dt
import time

import pyotp
import pytest

from portal.auth import services
from portal.auth.models import RoleSetting, StaffUser
from portal.extensions import db
from tests.factories.register import bureau
from tests.factories.staff import PASSWORD, login, make_staff


@pytest.fixture
def staff(app):
    """A staff account; the test's requests run outside this app context (as in production,
    where every request has its own), so nothing is cached between requests."""
    with app.app_context():
        user_id = make_staff("140100", "staff", email="s@example.org").id
    return user_id


def _user(user_id):
    return db.session.get(StaffUser, user_id)


def test_password_is_hashed_with_argon2_and_policy_enforced(app_ctx, staff):
    staff = _user(staff)
    assert staff.password_hash.startswith("$argon2")
    assert PASSWORD not in staff.password_hash
    with pytest.raises(services.AccountError) as err:
        services.create_staff(email="x@example.org", role="staff", bureau=bureau("140100"),
                              password="short1")
    assert "12" in err.value.message
    with pytest.raises(services.AccountError):
        services.create_staff(email="S@example.org", role="staff", bureau=bureau("140100"),
                              password=PASSWORD)  # same address, other case
    with pytest.raises(services.AccountError):
        services.create_staff(email="a@example.org", role="admin", bureau=bureau("140100"),
                              password=PASSWORD)  # admin must sit in the provincial bureau


def test_login_and_logout(client, staff):
    assert client.get("/staff/").status_code == 302
    resp = login(client, "s@example.org")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/")
    assert client.get("/staff/").status_code == 200
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    client.post("/staff/logout")
    assert client.get("/staff/").status_code == 302


def test_wrong_password_is_generic_and_unknown_email_same(client, staff):
    bad = login(client, "s@example.org", "wrong password here")
    unknown = login(client, "nobody@example.org", "wrong password here")
    assert bad.status_code == unknown.status_code == 422
    assert "电子邮箱或密码不正确" in bad.get_data(as_text=True)
    assert "电子邮箱或密码不正确" in unknown.get_data(as_text=True)


def _client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _age_throttle(app, seconds):
    """Move every failure ``seconds`` into the past (the slow-down and locks expire)."""
    from portal.auth.models import LoginThrottle

    with app.app_context():
        for row in db.session.scalars(db.select(LoginThrottle)):
            row.last_failure_at -= dt.timedelta(seconds=seconds)
            if row.locked_until is not None:
                row.locked_until -= dt.timedelta(seconds=seconds)
        db.session.commit()


def test_lockout_is_per_address_and_expires(app, staff):
    attacker = _client_at(app, "203.0.113.7")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(attacker, "s@example.org", "wrong password here")
    resp = login(attacker, "s@example.org")  # right password, but this address is locked
    assert resp.status_code == 422 and "尝试次数过多" in resp.get_data(as_text=True)
    assert attacker.get("/staff/").status_code == 302
    _age_throttle(app, 5)  # past the slow-down, still inside the lock
    owner = _client_at(app, "198.51.100.2")  # the owner, elsewhere: not locked
    assert login(owner, "s@example.org").status_code == 302
    _age_throttle(app, app.config["LOGIN_LOCK_MINUTES"] * 60 + 1)
    assert login(attacker, "s@example.org").status_code == 302  # the lock expired


def test_unknown_email_is_throttled_exactly_like_a_real_one(app, staff):
    real, unknown = _client_at(app, "203.0.113.7"), _client_at(app, "203.0.113.8")
    answers = []
    for client, email in ((real, "s@example.org"), (unknown, "nobody@example.org")):
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
            resp = login(client, email, "wrong password here")
        answers.append((resp.status_code, html_text(resp)))
    assert answers[0] == answers[1]
    assert "尝试次数过多" in answers[0][1] and "锁定" not in answers[0][1]


def test_outsider_cannot_keep_the_owner_out(app, staff):
    owner = _client_at(app, "198.51.100.2")
    assert login(owner, "s@example.org").status_code == 302  # this browser is now known
    owner.post("/staff/logout")
    # Failures from many addresses: the account slows down for everyone else ...
    for n in range(3 * app.config["LOGIN_MAX_FAILURES"]):
        login(_client_at(app, f"203.0.113.{n}"), "s@example.org", "wrong password here")
    stranger = _client_at(app, "192.0.2.1")
    resp = login(stranger, "s@example.org")
    assert resp.status_code == 422 and "秒后再试" in resp.get_data(as_text=True)
    # ... but the owner's browser signs in at once.
    assert login(owner, "s@example.org").status_code == 302
    assert owner.get("/staff/").status_code == 200


def test_success_clears_the_failures(app, staff):
    from portal.auth.models import LoginThrottle

    client = _client_at(app, "198.51.100.2")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, "s@example.org", "wrong password here")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginThrottle)) == 2
    assert login(client, "s@example.org").status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginThrottle)) == 0


def html_text(resp):
    from tests.helpers import html

    return html(resp).select_one("main").get_text(" ", strip=True)


@pytest.fixture
def rate_limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True


def test_login_rate_limited_per_address(rate_limited, app, staff):
    client = app.test_client()
    codes = [login(client, "nobody@example.org", "x" * 12).status_code for _ in range(12)]
    assert codes[0] == 422 and codes[-1] == 429
    other = app.test_client()
    resp = other.post("/staff/login", data={"email": "s@example.org", "password": PASSWORD},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert resp.status_code == 302  # another address is not throttled


def test_password_change_ends_every_session(app, staff):
    one, two = app.test_client(), app.test_client()
    login(one, "s@example.org")
    login(two, "s@example.org")
    assert two.get("/staff/").status_code == 200
    resp = one.post("/staff/account/password",
                    data={"old_password": PASSWORD, "new_password": "another long secret 42"})
    assert resp.status_code == 302
    assert two.get("/staff/").status_code == 302
    assert one.get("/staff/").status_code == 302
    assert login(two, "s@example.org").status_code == 422
    assert login(two, "s@example.org", "another long secret 42").status_code == 302


def test_password_change_rejects_wrong_old_and_short_new(client, staff):
    login(client, "s@example.org")
    resp = client.post("/staff/account/password",
                       data={"old_password": "not my password", "new_password": "x" * 20})
    assert resp.status_code == 422 and "当前密码不正确" in resp.get_data(as_text=True)
    resp = client.post("/staff/account/password",
                       data={"old_password": PASSWORD, "new_password": "short"})
    assert resp.status_code == 422 and "12" in resp.get_data(as_text=True)


def test_deactivation_and_reset_end_sessions(app, staff):
    client = app.test_client()
    login(client, "s@example.org")
    with app.app_context():
        services.reset_password(_user(staff), "brand new password 1")
        db.session.commit()
    assert client.get("/staff/").status_code == 302
    login(client, "s@example.org", "brand new password 1")
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        services.deactivate_staff(_user(staff))
        db.session.commit()
    assert client.get("/staff/").status_code == 302
    assert login(client, "s@example.org", "brand new password 1").status_code == 422


def test_totp_second_factor(app, client, staff):
    secret = pyotp.random_base32()
    with app.app_context():
        services.enrol_totp(_user(staff), secret, pyotp.TOTP(secret).now())
        db.session.commit()
    resp = login(client, "s@example.org")
    assert resp.headers["Location"].endswith("/staff/login/totp")
    assert client.get("/staff/").status_code == 302  # not signed in yet
    resp = client.post("/staff/login/totp", data={"code": "000000"})
    assert resp.status_code == 422
    # The enrolment code is spent: the sign-in uses the next time step's code.
    resp = client.post("/staff/login/totp", data={"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 422
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    resp = client.post("/staff/login/totp", data={"code": next_code})
    assert resp.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_totp_code_works_once(app, staff):
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    with app.app_context():
        user = _user(staff)
        services.enrol_totp(user, secret, totp.at(time.time() - 30))
        assert services.verify_totp(user, totp.now()) is True
        assert services.verify_totp(user, totp.now()) is False  # replayed
        assert services.verify_totp(user, totp.at(time.time() - 30)) is False  # older step


def test_totp_mandatory_for_role_sends_to_enrolment(app, client, staff):
    with app.app_context():
        services.set_role_totp_required("staff", True)
        db.session.commit()
        assert db.session.get(RoleSetting, "staff").totp_required
    resp = login(client, "s@example.org")
    assert resp.headers["Location"].endswith("/staff/account/totp")
    assert client.get("/staff/").headers["Location"].endswith("/staff/account/totp")
    page = client.get("/staff/account/totp").get_data(as_text=True)
    with client.session_transaction() as sess:
        secret = sess["totp_pending_secret"]
    assert secret in page and "otpauth://" in page
    assert client.post("/staff/account/totp",
                       data={"password": PASSWORD, "code": "123"}).status_code == 422
    resp = client.post("/staff/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 422  # the password is required
    resp = client.post("/staff/account/totp",
                       data={"password": PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 302
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        assert _user(staff).totp_secret == secret


def test_next_parameter_cannot_redirect_off_site(client, staff):
    resp = client.post("/staff/login?next=//evil.example/", data={
        "email": "s@example.org", "password": PASSWORD})
    assert resp.headers["Location"].endswith("/staff/")
    assert "evil" not in resp.headers["Location"]


def test_csrf_required_on_login(app, staff):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    resp = login(client, "s@example.org")
    assert resp.status_code == 400


# -- CLI -----------------------------------------------------------------------

def test_cli_create_list_reset_deactivate(runner, app_ctx):
    result = runner.invoke(args=["staff", "create", "--bureau", "140200", "--role", "lead",
                                 "--email", "Lead@Example.org", "--name", "测试负责人",
                                 "--password-stdin"], input="a sufficiently long pw\n")
    assert result.exit_code == 0, result.output
    user = services.find_staff("lead@example.org")
    assert user.role == "lead" and user.bureau.code == "140200" and user.name == "测试负责人"
    result = runner.invoke(args=["staff", "list"])
    assert "lead@example.org\tlead\t140200\tactive" in result.output
    version = user.session_version
    result = runner.invoke(args=["staff", "reset-password", "lead@example.org",
                                 "--password-stdin"], input="another long password\n")
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.session_version == version + 1
    assert services.verify_password(user, "another long password")
    result = runner.invoke(args=["staff", "deactivate", "lead@example.org"])
    assert result.exit_code == 0
    db.session.refresh(user)
    assert not user.active


def test_cli_refuses_bad_input(runner, app_ctx):
    result = runner.invoke(args=["staff", "create", "--bureau", "999999", "--role", "staff",
                                 "--email", "x@example.org", "--password-stdin"],
                           input="a sufficiently long pw\n")
    assert result.exit_code != 0 and "999999" in result.output
    result = runner.invoke(args=["staff", "create", "--bureau", "140100", "--role", "staff",
                                 "--email", "x@example.org", "--password-stdin"],
                           input="short\n")
    assert result.exit_code != 0 and "12" in result.output
    assert services.find_staff("x@example.org") is None
    result = runner.invoke(args=["staff", "create", "--bureau", "140100", "--role", "staff",
                                 "--email", "y@example.org"],
                           input="a sufficiently long pw\na sufficiently long pw\n")
    assert result.exit_code == 0, result.output


# -- TOTP changes, sign-out, session lifetime --------------------------------------------

def _enrolled(app, staff):
    secret = pyotp.random_base32()
    with app.app_context():
        _user(staff).totp_secret = secret  # enrolled earlier; no step used yet
        db.session.commit()
    return secret


def _signed_in_with_totp(app, secret, address="198.51.100.2"):
    client = _client_at(app, address)
    login(client, "s@example.org")
    resp = client.post("/staff/login/totp", data={"code": pyotp.TOTP(secret).at(time.time() - 30)})
    assert resp.status_code == 302
    return client


def test_replacing_totp_needs_password_and_current_code(app, staff):
    old = _enrolled(app, staff)
    client = _signed_in_with_totp(app, old)
    client.get("/staff/account/totp")
    with client.session_transaction() as sess:
        new = sess["totp_pending_secret"]
    new_code = pyotp.TOTP(new).now()
    # A borrowed session without the password, or without a code of the old device: refused.
    resp = client.post("/staff/account/totp", data={"password": "wrong password!!",
                                                    "current_code": pyotp.TOTP(old).now(),
                                                    "code": new_code})
    assert resp.status_code == 422 and "当前密码不正确" in resp.get_data(as_text=True)
    resp = client.post("/staff/account/totp", data={"password": PASSWORD, "current_code": "000000",
                                                    "code": new_code})
    assert resp.status_code == 422 and "原动态验证码不正确" in resp.get_data(as_text=True)
    with app.app_context():
        assert _user(staff).totp_secret == old
    resp = client.post("/staff/account/totp", data={"password": PASSWORD,
                                                    "current_code": pyotp.TOTP(old).now(),
                                                    "code": new_code})
    assert resp.status_code == 302
    assert client.get("/staff/").status_code == 200  # this session continues
    with app.app_context():
        assert _user(staff).totp_secret == new


def test_sign_out_revokes_copies_of_the_session_cookie(app, staff):
    client = _client_at(app, "198.51.100.2")
    login(client, "s@example.org")
    assert client.get("/staff/").status_code == 200
    stolen = client.get_cookie("session").value
    client.post("/staff/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/staff/").status_code == 302


def _shift_session_clock(client, key, seconds):
    with client.session_transaction() as sess:
        sess[key] -= seconds


def test_idle_timeout_and_absolute_lifetime(app, staff):
    from portal.auth import sessions

    client = _client_at(app, "198.51.100.2")
    login(client, "s@example.org")
    assert client.get("/staff/").status_code == 200
    _shift_session_clock(client, sessions.SEEN_AT, app.config["STAFF_IDLE_MINUTES"] * 60 - 60)
    assert client.get("/staff/").status_code == 200  # active within the idle limit
    _shift_session_clock(client, sessions.SEEN_AT, app.config["STAFF_IDLE_MINUTES"] * 60 + 1)
    resp = client.get("/staff/")
    assert resp.status_code == 302 and "/staff/login" in resp.headers["Location"]

    login(client, "s@example.org")
    third = app.config["STAFF_SESSION_HOURS"] * 1200  # a third of the lifetime, in seconds
    for _ in range(2):  # active all along (the idle clock is fresh) ...
        _shift_session_clock(client, sessions.SIGNED_IN_AT, third)
        assert client.get("/staff/").status_code == 200
    _shift_session_clock(client, sessions.SIGNED_IN_AT, third + 10)
    assert client.get("/staff/").status_code == 302  # ... but the lifetime is over


def test_session_limits_are_configurable(app, staff):
    from portal.auth import sessions

    app.config.update(STAFF_IDLE_MINUTES=1, STAFF_SESSION_HOURS=1)
    client = app.test_client()
    login(client, "s@example.org")
    _shift_session_clock(client, sessions.SEEN_AT, 61)
    assert client.get("/staff/").status_code == 302
    login(client, "s@example.org")
    _shift_session_clock(client, sessions.SIGNED_IN_AT, 3601)
    assert client.get("/staff/").status_code == 302


def test_stale_failure_counters_are_forgotten(app, staff):
    from portal.auth.models import LoginThrottle

    client = _client_at(app, "203.0.113.7")
    login(client, "s@example.org", "wrong password here")
    _age_throttle(app, 2 * 24 * 3600)
    login(client, "other@example.org", "wrong password here")  # any failure prunes
    with app.app_context():
        keys = db.session.scalars(db.select(LoginThrottle.key)).all()
    assert len(keys) == 2  # only the new e-mail's two counters
