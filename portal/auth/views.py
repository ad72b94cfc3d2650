"""Staff sign-in, second factor, password change and sign-out (blueprint "auth")."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from . import services
from .forms import LoginForm, PasswordChangeForm, TotpForm
from .models import StaffUser

bp = Blueprint("auth", __name__, url_prefix="/staff")

PENDING = "pending_login"
PENDING_SECRET = "totp_pending_secret"


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/staff") and "//" not in target and "\\" not in target:
        return target
    return url_for("staff.queue")


def _finish_login(user: StaffUser):
    next_url = _safe_next(session.pop("next_url", None))
    session.clear()
    login_user(user)
    services.record_login(user)
    db.session.commit()
    if services.needs_totp_enrolment(user):
        flash(_("您的角色必须启用动态验证码，请先完成设置。"), "error")
        return redirect(url_for("auth.totp_setup"))
    return redirect(next_url)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.queue"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AccountError as exc:
            db.session.commit()  # keep the failure count and lock
            error = exc.message
        else:
            db.session.commit()
            next_url = request.args.get("next")
            if user.totp_secret:
                session.clear()
                session[PENDING] = [user.id, user.session_version]
                session["next_url"] = _safe_next(next_url)
                return redirect(url_for("auth.totp"))
            session["next_url"] = _safe_next(next_url)
            return _finish_login(user)
    status = 200 if error is None and not form.errors else 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/login/totp", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def totp():
    pending = session.get(PENDING)
    user = db.session.get(StaffUser, pending[0]) if pending else None
    if user is None or user.session_version != pending[1] or not user.active:
        session.pop(PENDING, None)
        flash(_("请先输入电子邮箱和密码。"), "error")
        return redirect(url_for("auth.login"))
    form = TotpForm()
    error = None
    if form.validate_on_submit():
        if services.is_locked(user):
            error = _("连续登录失败次数过多，账号已临时锁定，请稍后再试。")
        elif services.verify_totp(user, form.code.data):
            return _finish_login(user)
        else:
            # Wrong codes count towards the same lockout as wrong passwords.
            if services.register_failure(user):
                session.pop(PENDING, None)
            db.session.commit()
            error = _("验证码不正确。")
    status = 200 if error is None and not form.errors else 422
    return render_template("auth/totp.html", form=form, error=error), status


@bp.route("/account/totp", methods=["GET", "POST"])
@login_required
def totp_setup():
    form = TotpForm()
    secret = session.get(PENDING_SECRET)
    if not secret:
        secret = session[PENDING_SECRET] = services.new_totp_secret()
    if form.validate_on_submit():
        try:
            services.enrol_totp(current_user, secret, form.code.data)
        except services.AccountError as exc:
            form.code.errors.append(exc.message)
        else:
            db.session.commit()
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
    logout_user()
    session.clear()
    flash(_("您已退出登录。"), "success")
    return redirect(url_for("auth.login"))
