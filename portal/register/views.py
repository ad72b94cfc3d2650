"""Public register pages (blueprint "records")."""

from flask import Blueprint, render_template

bp = Blueprint("records", __name__)


@bp.get("/")
def home():
    return render_template("records/home.html")
