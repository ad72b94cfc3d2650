"""Public tip pages (blueprint "intake")."""

from flask import Blueprint, render_template

bp = Blueprint("intake", __name__, url_prefix="/tips")


@bp.get("/new")
def new_tip():
    return render_template("intake/new.html")


@bp.get("/track")
def track():
    return render_template("intake/track.html")
