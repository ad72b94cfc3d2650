"""Staff sign-in, second factor, password change and sign-out (blueprint "auth")."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from . import services, sessions
from .forms import LoginForm, PasswordChangeForm, TotpChangeForm, TotpForm
from .models import StaffUser

bp = Blueprint("auth", __name__, url_prefix="/staff")

PENDING = "pending_login"
PENDING_SECRET = "totp_pending_secret"
# Seconds between the password and the second-factor code.
PENDING_SECONDS = 300


def _safe_next(target: str | None) -> str:
    """A local /staff path to return to after sign-in; anything else (other hosts,
    scheme-relative URLs, backslashes, control characters such as CR/LF) is ignored."""
    if (target and target.startswith("/staff") and "//" not in target
            and "\\" not in target and all(32 <= ord(ch) != 127 for ch in target)):
        return target
    return url_for("staff.queue")


def _client_address() -> str:
    # Behind PORTAL_TRUSTED_PROXIES, ProxyFix has put the client's address here.
    return request.remote_addr or ""


def _finish_login(user: StaffUser):
    next_url = _safe_next(session.pop("next_url", None))
    session.clear()
    login_user(user)
    sessions.start()
    services.clear_failures(user.email, _client_address())
    services.record_login(user)
    db.session.commit()
    if services.needs_totp_enrolment(user):
        flash(_("您的角色必须启用动态验证码，请先完成设置。"), "error")
        next_url = url_for("auth.totp_setup")
    return sessions.remember_device(redirect(next_url), user.email)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.queue"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data
        try:
            user = services.authenticate(email, form.password.data, _client_address(),
                                         trusted_device=sessions.is_trusted_device(email))
        except services.AccountError as exc:
            db.session.commit()  # keep the failure counts
            error = exc.message
        else:
            db.session.commit()
            next_url = _safe_next(request.args.get("next"))
            if user.totp_secret:
                session.clear()
                session[PENDING] = [user.id, user.session_version, int(time.time())]
                session["next_url"] = next_url
                return redirect(url_for("auth.totp"))
            session["next_url"] = next_url
            return _finish_login(user)
    status = 200 if error is None and not form.errors else 422
    return render_template("auth/login.html", form=form, error=error), status


def _pending_user() -> StaffUser | None:
    pending = session.get(PENDING)
    if not isinstance(pending, list) or len(pending) != 3:
        return None
    user_id, version, started = pending
    if time.time() - started > PENDING_SECONDS:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


@bp.route("/login/totp", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def totp():
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("请先输入电子邮箱和密码。"), "error")
        return redirect(url_for("auth.login"))
    form = TotpForm()
    error = None
    if form.validate_on_submit():
        try:
            services.check_throttle(user.email, _client_address(),
                                    trusted_device=sessions.is_trusted_device(user.email))
        except services.AccountError as exc:
            error = exc.message
        else:
            if services.verify_totp(user, form.code.data):
                return _finish_login(user)
            # Wrong codes count towards the same limits as wrong passwords.
            if services.totp_failure(user, _client_address()):
                session.pop(PENDING, None)
            db.session.commit()
            error = _("验证码不正确。")
    status = 200 if error is None and not form.errors else 422
    return render_template("auth/totp.html", form=form, error=error), status


@bp.route("/account/totp", methods=["GET", "POST"])
@login_required
def totp_setup():
    form = TotpChangeForm()
    secret = session.get(PENDING_SECRET)
    if not secret:
        secret = session[PENDING_SECRET] = services.new_totp_secret()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_totp(user, password=form.password.data, secret=secret,
                                 code=form.code.data, current_code=form.current_code.data)
        except services.AccountError as exc:
            db.session.commit()  # a used current code stays used
            getattr(form, exc.field or "code").errors.append(exc.message)
        else:
            db.session.commit()
            # The generation moved on: other sessions ended; this one continues.
            login_user(user)
            session.pop(PENDING_SECRET, None)
            flash(_("动态验证码已启用。"), "success")
            return redirect(url_for("staff.queue"))
    return render_template(
        "auth/totp_setup.html", form=form, secret=secret,
        uri=services.totp_uri(current_user, secret),
        required=services.totp_required_for(current_user),
    ), (422 if form.errors else 200)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.old_password.data, form.new_password.data)
        except services.AccountError as exc:
            getattr(form, exc.field or "new_password").errors.append(exc.message)
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("密码已修改，所有设备上的登录均已退出，请用新密码重新登录。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form), (422 if form.errors else 200)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.end_all_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("您已退出登录。"), "success")
    return redirect(url_for("auth.login"))
