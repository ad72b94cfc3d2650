"""Public tip pages (blueprint "intake"): the form, the receipt, tracking and replies."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, limiter
from portal.htmx import is_partial
from portal.register.models import Agency

from . import places, services, storage, workflow
from .categories import CATEGORIES
from .forms import DESCRIPTION_MAX, REPLY_MAX, ReplyForm, TipForm, TrackForm
from .models import Tip
from .workflow import _

bp = Blueprint("intake", __name__, url_prefix="/tips")

TRACK_SESSION_KEY = "intake_track"
RECEIPT_SESSION_KEY = "intake_receipt"
TRACK_SESSION_SECONDS = 30 * 60


def _limit(key: str):
    return lambda: current_app.config[key]


submit_limit = limiter.limit(_limit("TIP_SUBMIT_RATE_LIMIT"), methods=["POST"])
track_limit = limiter.limit(_limit("TIP_TRACK_RATE_LIMIT"), methods=["POST"])


# -- the form ---------------------------------------------------------------------

def _form_context(form: TipForm, *, file_note: bool = False) -> dict:
    place = places.cascade(form.province.data, form.city.data, form.district.data)
    return {
        "form": form,
        "categories": CATEGORIES,
        "place": place,
        "domicile_groups": places.domicile_groups(),
        "description_max": DESCRIPTION_MAX,
        "accept": storage.ACCEPT_ATTR,
        "allowed_label": storage.ALLOWED_LABEL,
        "max_files": storage.max_files(),
        "max_mb": storage.max_file_bytes() // (1024 * 1024),
        "file_note": file_note,
    }


def _render_form(form: TipForm, status: int = 200, *, file_note: bool = False):
    template = "intake/_form.html" if is_partial() else "intake/new.html"
    return render_template(template, **_form_context(form, file_note=file_note)), status


def _add_error(field, message) -> None:
    field.errors = [*field.errors, message]


def _checked_evidence(field) -> list | None:
    """The files uploaded in ``field``, checked by content; None (and the field's error)
    when one is refused."""
    try:
        return storage.check_files(request.files.getlist(field.name))
    except storage.FileRejected as exc:
        _add_error(field, exc.message)
        return None


def _prefill_agency(form: TipForm, uscc: str | None) -> None:
    """A link from an agency's page (?agency=USCC) names that agency in the form."""
    uscc = (uscc or "").strip().upper()
    agency = db.session.scalar(db.select(Agency).where(Agency.uscc == uscc)) if uscc else None
    if agency is not None:
        form.agency.data = services.agency_label(agency)
        form.party_kind.data = "agency"


@bp.route("/new", methods=["GET", "POST"])
@submit_limit
def new_tip():
    form = TipForm()
    if request.method == "GET":
        _prefill_agency(form, request.args.get("agency"))
        return _render_form(form)

    chose_files = any(f.filename for f in request.files.getlist(form.evidence.name))
    if "refresh_place" in request.form:  # no-JS cascade step: re-render with new lists
        return _render_form(form, file_note=chose_files)
    if form.website.data:  # honeypot
        return render_template("intake/rejected.html"), 400
    valid = form.validate()
    files = _checked_evidence(form.evidence)  # checked even when the form is not valid
    if not valid or files is None:
        return _render_form(form, 422, file_note=chose_files)

    try:
        receipt = services.submit_tip(form.tip_data(), files)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()  # removes the files written for this tip
        current_app.logger.exception("tip submission failed")
        return render_template("intake/failed.html"), 503
    session[RECEIPT_SESSION_KEY] = {"tip": receipt.tip.id, "code": receipt.code}
    target = url_for("intake.receipt")
    if is_partial():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


@bp.get("/receipt")
def receipt():
    data = session.pop(RECEIPT_SESSION_KEY, None)
    tip = db.session.get(Tip, data["tip"]) if data else None
    response = make_response(render_template(
        "intake/receipt.html", tip=tip, code=data["code"] if data and tip else None))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/places")
def place_fields():
    """The province/city/district selects (htmx cascade)."""
    place = places.cascade(request.args.get("province"), request.args.get("city"),
                           request.args.get("district"))
    form = TipForm(formdata=None)
    return render_template("intake/_place.html", place=place, form=form)


@bp.get("/agencies")
def agency_options():
    """<option>s for the agency autocomplete (datalist)."""
    text = (request.args.get("agency") or request.args.get("q") or "").strip()
    agencies = services.suggest_agencies(text, 8) if len(text) >= 2 else []
    return render_template("intake/_agency_options.html", agencies=agencies,
                           label=services.agency_label)


# -- tracking ---------------------------------------------------------------------

def _tracked_tip() -> Tip | None:
    data = session.get(TRACK_SESSION_KEY)
    if not data or data.get("exp", 0) < time.time():
        session.pop(TRACK_SESSION_KEY, None)
        return None
    return db.session.get(Tip, data["tip"])


def _render_track(form=None, tip=None, reply_form=None, status=200):
    context = {
        "form": form or TrackForm(formdata=None),
        "tip": tip,
        "reply_form": reply_form or ReplyForm(formdata=None),
        "statuses": workflow.STATUSES,
        "events": workflow.public_events(tip) if tip else [],
        "reply_max": REPLY_MAX,
        "accept": storage.ACCEPT_ATTR,
        "max_files": storage.max_files(),
        "max_mb": storage.max_file_bytes() // (1024 * 1024),
        "allowed_label": storage.ALLOWED_LABEL,
    }
    template = "intake/_status.html" if (tip and is_partial()) else "intake/track.html"
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/track", methods=["GET", "POST"])
@track_limit
def track():
    if request.method == "GET":
        return _render_track(tip=_tracked_tip())
    form = TrackForm()
    if not form.validate():
        return _render_track(form, status=422)
    tip = services.find_by_code(form.code.data)
    if tip is None:
        _add_error(form.code, _("没有找到与该查询码对应的举报。"
                                "请核对查询码（共 18 位字母和数字）后重试。"))
        return _render_track(form, status=422)
    session[TRACK_SESSION_KEY] = {"tip": tip.id, "exp": time.time() + TRACK_SESSION_SECONDS}
    return redirect(url_for("intake.track"), 303)


@bp.post("/track/reply")
@track_limit
def reply():
    tip = _tracked_tip()
    if tip is None:
        flash(_("查询已过期，请重新输入查询码。"), "error")
        return redirect(url_for("intake.track"), 303)
    reply_form = ReplyForm()
    valid = reply_form.validate()
    files = _checked_evidence(reply_form.evidence)
    if files is None:
        files, valid = [], False
    if not valid:
        return _render_track(tip=tip, reply_form=reply_form, status=422)
    try:
        services.reply_as_reporter(tip, reply_form.text.data, files)
        db.session.commit()
    except workflow.TransitionError as exc:  # the workflow owns the status and content rules
        db.session.rollback()
        if exc.field and exc.field in reply_form:
            _add_error(reply_form[exc.field], exc.message)
            return _render_track(tip=tip, reply_form=reply_form, status=422)
        flash(exc.message, "error")
        return redirect(url_for("intake.track"), 303)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("reporter reply failed")
        return render_template("intake/failed.html"), 503
    flash(_("已收到您补充的材料。"), "success")
    return redirect(url_for("intake.track"), 303)


@bp.post("/track/leave")
def leave():
    session.pop(TRACK_SESSION_KEY, None)
    return redirect(url_for("intake.track"), 303)
