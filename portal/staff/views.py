"""Back-office pages (blueprint "staff")."""

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@login_required
def queue():
    return "queue"
