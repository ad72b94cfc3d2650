"""View decorators: every staff route checks on the server and answers 403."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, url_for
from flask_login import current_user

from . import permissions


def staff_required(view):
    """Signed-in, active staff; a role that must use TOTP is sent to enrolment first."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        from ..extensions import login_manager
        from .services import needs_totp_enrolment

        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if needs_totp_enrolment(current_user):
            return redirect(url_for("auth.totp_setup"))
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """Provincial administrator only."""

    @wraps(view)
    @staff_required
    def wrapped(*args, **kwargs):
        if not permissions.is_provincial_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def tips_required(view):
    """Staff who work tips (``permissions.works_tips``): everything of the tip side (queue,
    tips, evidence, reporter channel, dashboards, audit).  The association publisher is
    answered 403 (issue 14 — association measures)."""

    @wraps(view)
    @staff_required
    def wrapped(*args, **kwargs):
        if not permissions.works_tips(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
