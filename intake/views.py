"""Public tip pages (blueprint "intake"): the form, the receipt, tracking and replies."""

from __future__ import annotations

import contextlib
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from portal.extensions import csrf, db, limiter
from portal.htmx import is_partial
from portal.register.models import Agency

from . import messages, notifications, offline, places, receipts, services, storage, workflow
from .categories import CATEGORIES
from .forms import DESCRIPTION_MAX, REPLY_MAX, NotifyForm, ReplyForm, TipForm, TrackForm
from .models import Tip
from .workflow import _

bp = Blueprint("intake", __name__, url_prefix="/tips")

TRACK_SESSION_KEY = "intake_track"
TRACK_SESSION_SECONDS = 30 * 60
SUBMISSION_FIELD = "submission_key"
# Set on responses that re-render the form for the htmx path to swap in, whatever their
# status (static/js/app.js swaps 422 and these; any other error goes to the status region).
RERENDER_HEADER = "X-Form-Rerender"


def _limit(key: str):
    return lambda: current_app.config[key]


def _counted(_response) -> bool:
    """Only filed tips and refused bots count towards the submission limit: a form sent
    back for correction, an expired token or a repeated submission of one form do not."""
    return bool(g.get("intake_counted"))


submit_limit = limiter.limit(_limit("TIP_SUBMIT_RATE_LIMIT"), methods=["POST"],
                             deduct_when=_counted)
track_limit = limiter.limit(_limit("TIP_TRACK_RATE_LIMIT"), methods=["POST"])


# -- the form ---------------------------------------------------------------------

def _rollback() -> None:
    """Roll the session back, whatever state its connection is in."""
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()


def _place_lists(form: TipForm):
    """The division lists of the form: from the database, or (when it cannot answer) from
    this process's copy (intake.offline)."""
    try:
        offline.remember()
        return (places.cascade(form.province.data, form.city.data, form.district.data),
                places.domicile_groups())
    except SQLAlchemyError:
        _rollback()
        return (offline.cascade(form.province.data, form.city.data, form.district.data),
                offline.domicile_groups())


def _form_context(form: TipForm, *, key: str | None, file_names: list[str],
                  notice: str | None) -> dict:
    place, domicile_groups = _place_lists(form)
    max_files, max_bytes = storage.max_files(), storage.max_file_bytes()
    return {
        "form": form,
        "categories": CATEGORIES,
        "place": place,
        "domicile_groups": domicile_groups,
        "description_max": DESCRIPTION_MAX,
        "accept": storage.ACCEPT_ATTR,
        "allowed_label": storage.ALLOWED_LABEL,
        "max_files": max_files,
        "max_mb": max_bytes // (1024 * 1024),
        "max_request_mb": int(current_app.config["MAX_CONTENT_LENGTH"] or 0) // (1024 * 1024),
        "submission_key": key if receipts.is_key(key) else receipts.new_key(),
        "file_names": file_names,
        "file_note": bool(file_names),
        "notice": notice,
    }


def _render_form(form: TipForm, status: int = 200, *, key: str | None = None,
                 file_names: list[str] | None = None, notice: str | None = None):
    """The form (page, or fragment for htmx) with what was typed, ``key`` kept when it is
    one (a fresh one otherwise), the names of chosen files to attach again, and a notice
    ("expired", "stale", "failed")."""
    template = "intake/_form.html" if is_partial() else "intake/new.html"
    context = _form_context(form, key=key, file_names=file_names or [], notice=notice)
    response = make_response(render_template(template, **context), status)
    if request.method == "POST":
        response.headers[RERENDER_HEADER] = "1"
    return response


def _render_receipt(tip: Tip, code: str | None, *, replay: bool = False):
    """The receipt in the response to the POST itself: no receipt state is kept anywhere
    but the sealed code (intake.receipts), which only the form's key opens."""
    context = {"tip": tip, "code": code, "replay": replay}
    if not is_partial():
        response = make_response(render_template("intake/receipt.html", **context))
    else:
        response = make_response(render_template("intake/_receipt.html", **context))
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML show:window:top"
        response.headers["HX-Push-Url"] = url_for("intake.receipt")
    response.headers["Cache-Control"] = "no-store"
    return response


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


def _chosen_file_names(field) -> list[str]:
    """The names of the files the person chose (to ask for them again after a refusal)."""
    return [storage.clean_name(f.filename) for f in request.files.getlist(field.name)
            if f.filename]


def _prefill_agency(form: TipForm, uscc: str | None) -> None:
    """A link from an agency's page (?agency=USCC) names that agency in the form."""
    uscc = (uscc or "").strip().upper()
    agency = db.session.scalar(db.select(Agency).where(Agency.uscc == uscc)) if uscc else None
    if agency is not None:
        form.agency.data = services.agency_label(agency)
        form.party_kind.data = "agency"


def _csrf_ok() -> bool:
    """The form's CSRF token (checked here, not by the global hook, so that an expired
    one gives the form back with everything typed rather than an error page)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        csrf.protect()
    except CSRFError:
        return False
    return True


@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt
@submit_limit
def new_tip():
    form = TipForm()
    if request.method == "GET":
        _prefill_agency(form, request.args.get("agency"))
        return _render_form(form)
    try:
        return _post_tip(form)
    except SQLAlchemyError:  # the database failed before anything was filed (an outage)
        current_app.logger.exception("tip submission: the database did not answer")
        _rollback()
        return _render_form(form, 503, key=request.form.get(SUBMISSION_FIELD, ""),
                            file_names=_chosen_file_names(form.evidence), notice="failed")


def _post_tip(form: TipForm):
    """One POST of the form: the token, then the submission key (a repeated submission
    shows the receipt again and stores nothing), then the checks, then filing."""
    names = _chosen_file_names(form.evidence)
    key = request.form.get(SUBMISSION_FIELD, "")
    if not _csrf_ok():
        return _render_form(form, 400, key=key, file_names=names, notice="expired")
    if "refresh_place" in request.form:  # no-JS cascade step: re-render with new lists
        return _render_form(form, key=key, file_names=names)
    if not receipts.is_key(key):  # a form from before keys, or tampered with
        return _render_form(form, 422, file_names=names, notice="stale")
    replay = receipts.find(key, workflow.now())
    if replay is not None:
        return _render_receipt(replay.tip, replay.code, replay=True)
    if form.website.data:  # honeypot
        g.intake_counted = True
        return render_template("intake/rejected.html"), 400
    valid = form.validate()
    files = _checked_evidence(form.evidence)  # checked even when the form is not valid
    if not valid or files is None:
        return _render_form(form, 422, key=key, file_names=names)
    return _file_tip(form, files, key, names)


def _file_tip(form: TipForm, files: list, key: str, names: list[str]):
    """File the tip.  A database error before the COMMIT (nothing stored, the files
    removed by the rollback) goes up to ``new_tip``'s outage answer."""
    try:
        receipt = services.submit_tip(form.tip_data(), files, submission_key=key)
    except IntegrityError:
        return _already_filed(form, key, names)
    try:
        db.session.commit()
    except IntegrityError:
        return _already_filed(form, key, names)
    except SQLAlchemyError:
        current_app.logger.exception("tip submission failed")
        return _after_failed_commit(form, key, names)
    g.intake_counted = True
    _erase_expired_receipts()
    return _render_receipt(receipt.tip, receipt.code)


def _already_filed(form: TipForm, key: str, names: list[str]):
    db.session.rollback()  # removes the files written for this attempt
    storage.settle(db.session)
    replay = receipts.find(key, workflow.now())
    if replay is not None:  # the same form, filed meanwhile by another request
        return _render_receipt(replay.tip, replay.code, replay=True)
    current_app.logger.exception("tip submission failed")
    return _render_form(form, 503, key=key, file_names=names, notice="failed")


def _after_failed_commit(form: TipForm, key: str, names: list[str]):
    """A failed COMMIT may have happened all the same (the connection dropped after the
    server got it): the submission key, looked up afresh, tells.  Stored: the receipt
    (the files stay).  Not stored: the form back, the files removed.  No answer: the form
    back saying so (a retry with the same key cannot file twice); the files stay for
    ``portal storage check``."""
    _rollback()  # files of an attempted COMMIT are kept until settled
    # First the files (this waits for that COMMIT's transaction to end on the server).
    undecided = storage.settle(db.session) == storage.UNDECIDED
    try:
        replay = receipts.find(key, workflow.now())
    except SQLAlchemyError:
        _rollback()
        replay, undecided = None, True
    if replay is None:
        if undecided:
            current_app.logger.warning("tip submission: could not tell whether it was stored")
        return _render_form(form, 503, key=key, file_names=names,
                            notice="uncertain" if undecided else "failed")
    current_app.logger.warning("tip submission: stored although its COMMIT failed (%s)",
                               replay.tip.reference)
    g.intake_counted = True
    return _render_receipt(replay.tip, replay.code)


def _erase_expired_receipts() -> None:
    """Erase sealed codes whose window ended (also `portal tips erase-receipts`)."""
    try:
        receipts.erase_expired(workflow.now())
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("erasing expired receipt codes failed")


@bp.get("/receipt")
def receipt():
    """Where a reloaded receipt lands: the code is not shown again here (submitting the
    same form again within the window shows it)."""
    response = make_response(render_template("intake/receipt.html", tip=None, code=None,
                                             replay=False))
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


def _channel_context(tip: Tip | None, notify_form: NotifyForm | None) -> dict:
    """The reporter's channel on the tracking page: the outcome block, the conversation,
    the notification settings."""
    if tip is None:
        return {}
    if notify_form is None:
        notify_form = NotifyForm(formdata=None)
        notify_form.choice.data = "off" if tip.notifications_off else "on"
    return {
        "conclusion": messages.conclusion(tip),
        "what_next": messages.what_next(tip, str(get_locale() or "")),
        "outcomes": workflow.OUTCOMES,
        "conversation": messages.conversation(tip),
        "can_write": messages.is_open(tip),
        "notify_form": notify_form,
        "notify_to": notifications.address_of(tip) is not None,
        "has_named_email": bool(not tip.anonymous and tip.reporter_email),
    }


def _render_track(form=None, tip=None, reply_form=None, status=200, notify_form=None):
    context = {
        "form": form or TrackForm(formdata=None),
        "tip": tip,
        "reply_form": reply_form or ReplyForm(formdata=None),
        "statuses": workflow.STATUSES,
        "events": [e for e in workflow.public_events(tip)
                   if e.kind not in messages.CONVERSATION_KINDS] if tip else [],
        **_channel_context(tip, notify_form),
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
        current_app.logger.exception("reporter reply failed")
        _rollback()
        if storage.settle(db.session) != storage.COMMITTED:
            return render_template("intake/failed.html"), 503
        # Its files have rows: the COMMIT happened, only its answer was lost.
    flash(_("已收到您补充的材料。"), "success")
    return redirect(url_for("intake.track"), 303)


@bp.post("/track/notifications")
@track_limit
def notification_settings():
    """Turn mail notifications on or off; an anonymous reporter sets (or removes) the
    notification-only address (kept apart from the tip, encrypted, never shown to staff)."""
    tip = _tracked_tip()
    if tip is None:
        flash(_("查询已过期，请重新输入查询码。"), "error")
        return redirect(url_for("intake.track"), 303)
    form = NotifyForm()
    if not form.validate():
        return _render_track(tip=tip, notify_form=form, status=422)
    enabled = form.choice.data != "off"
    if tip.anonymous:
        notifications.set_address(tip, form.email.data if enabled else None)
        enabled = enabled and bool(form.email.data)
    notifications.set_enabled(tip, enabled)
    db.session.commit()
    flash(_("已开启邮件通知。") if enabled else _("已关闭邮件通知。"), "success")
    return redirect(url_for("intake.track") + "#notify-heading", 303)


@bp.post("/track/leave")
def leave():
    session.pop(TRACK_SESSION_KEY, None)
    return redirect(url_for("intake.track"), 303)
