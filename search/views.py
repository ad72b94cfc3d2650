"""Search page (blueprint "search")."""

from flask import Blueprint, render_template

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.get("/")
def search():
    return render_template("search/search.html")
