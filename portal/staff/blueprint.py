"""The back office's blueprint ("staff") and the template context of its pages; the views
themselves (thin, over services) live in queue, publish, dashboard and admin."""

from flask import Blueprint
from flask_login import current_user

from ..auth import permissions

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.app_context_processor
def staff_context():
    signed_in = bool(current_user and current_user.is_authenticated)
    return {
        "is_admin": signed_in and permissions.is_provincial_admin(current_user),
        "can_publish_any": signed_in and bool(permissions.publishable_kinds(current_user)),
        "perm": permissions,
    }
