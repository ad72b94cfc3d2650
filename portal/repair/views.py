"""Credit repair pages: the public application form, its receipt and tracking (blueprint
"repair"), and the responsible bureau's list and application page (blueprint
"repair_staff", under /staff/repairs).  Thin views over ``portal.repair.services``."""

from __future__ import annotations

import contextlib
import time

from flask import (
    Blueprint,
    abort,
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
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from intake import receipts, storage
from intake.forms import TrackForm

from ..auth import permissions
from ..auth.decorators import staff_required
from ..auth.permissions import Forbidden
from ..extensions import db, limiter
from ..register import kinds
from ..staff.common import bureaus_in_reach, chosen_bureau
from . import services
from .eligibility import eligibility
from .forms import STATEMENT_MAX, DecideForm, FindForm, RepairForm, VerifyForm
from .models import STATUSES, RepairApplication, RepairFile

bp = Blueprint("repair", __name__, url_prefix="/repair")
staff_bp = Blueprint("repair_staff", __name__, url_prefix="/staff/repairs")

TRACK_SESSION_KEY = "repair_track"
TRACK_SESSION_SECONDS = 30 * 60

submit_limit = limiter.limit(lambda: current_app.config["REPAIR_SUBMIT_RATE_LIMIT"],
                             methods=["POST"], deduct_when=lambda _r: bool(g.get("repair_filed")))
track_limit = limiter.limit(lambda: current_app.config["TIP_TRACK_RATE_LIMIT"], methods=["POST"])


@bp.after_request
def _never_stored(response):
    """The applicant's pages (the form, the receipt with its code, tracking) and every error
    they answer with are never stored by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _rollback() -> None:
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()


# -- applying -----------------------------------------------------------------------------

def _record_from_args():
    if request.args.get("kind") or request.args.get("id"):
        record = services.find_record(request.args.get("kind"), request.args.get("id"))
        if record is None:
            abort(404)
        return record
    return None


def _find_page():
    """No record named: find a penalty by its decision number (GET form)."""
    form = FindForm(request.args, meta={"csrf": False})
    status = 200
    if "decision" in request.args and form.validate():
        record = services.find_penalty(form.decision.data)
        if record is not None:
            return redirect(url_for("repair.new", kind=record.KIND, id=record.id), 303)
        form.decision.errors = [_("没有找到这个文号的行政处罚决定书，请核对后重试。")]
        status = 422
    elif "decision" in request.args:
        status = 422
    return _private(make_response(render_template("repair/find.html", form=form), status))


def _render_form(record, form: RepairForm, status: int = 200, message: str | None = None):
    context = {
        "record": record, "kind": kinds.of(record), "form": form, "rule": eligibility(record),
        "pending": services.open_application(record), "message": message,
        "agency": getattr(record, "agency", None), "statement_max": STATEMENT_MAX,
        "accept": storage.ACCEPT_ATTR, "allowed_label": storage.ALLOWED_LABEL,
        "max_files": storage.max_files(), "max_mb": storage.max_file_bytes() // (1024 * 1024),
        "decision_days": current_app.config["REPAIR_DECISION_DAYS"],
        # the form's submission key: kept when the form comes back with errors
        "submission_key": (key if receipts.is_key(key := request.form.get("submission_key"))
                           else receipts.new_key()),
    }
    return _private(make_response(render_template("repair/new.html", **context), status))


def _add_error(form: RepairForm, name: str, message: str) -> None:
    field = form._fields.get(name)
    if field is not None:
        field.errors = [*field.errors, message]


@bp.route("/new", methods=["GET", "POST"])
@submit_limit
def new():
    record = _record_from_args()
    if record is None:
        if request.method == "POST":
            abort(404)
        return _find_page()
    form = RepairForm()
    if request.method == "GET":
        return _render_form(record, form)
    key = request.form.get("submission_key")
    replayed = services.replay(key)
    if replayed is not None:  # a double click, or Back and submit again: the same receipt
        return _receipt(replayed)
    rule = eligibility(record)
    if not rule.eligible:
        return _render_form(record, form, 422, rule.reason)
    valid = form.validate()
    try:
        files = storage.check_files(request.files.getlist(form.files.name))
    except storage.FileRejected as exc:
        _add_error(form, "files", exc.message)
        files, valid = [], False
    if not valid:
        return _render_form(record, form, 422)
    return _file(record, form, files, key)


def _receipt(receipt):
    record = services.record_of(receipt.application)
    return _private(make_response(render_template(
        "repair/receipt.html", application=receipt.application, code=receipt.code,
        record=record, kind=kinds.of(record))))


def _file(record, form: RepairForm, files, key: str | None):
    try:
        receipt = services.submit_application(record, form.application_data(), files,
                                              submission_key=key)
        db.session.commit()
    except services.ApplicationError as exc:
        _rollback()  # removes any file written
        for name, message in exc.errors.items():
            _add_error(form, name, message)
        return _render_form(record, form, 422, exc.message if not exc.errors else None)
    except IntegrityError:  # another request filed one for this record at the same moment
        _rollback()
        replayed = services.replay(key)  # the same form, clicked twice at once
        if replayed is not None:
            return _receipt(replayed)
        return _render_form(record, form, 422, _("该记录已有一份正在办理的信用修复申请，"
                                                 "请凭查询码查询进度，不要重复申请。"))
    except SQLAlchemyError:
        current_app.logger.exception("credit repair application failed")
        _rollback()
        storage.settle(db.session)
        return _private(make_response(render_template("repair/failed.html"), 503))
    g.repair_filed = True
    return _receipt(receipt)


# -- tracking -----------------------------------------------------------------------------

def _tracked() -> RepairApplication | None:
    data = session.get(TRACK_SESSION_KEY)
    if not data or data.get("exp", 0) < time.time():
        session.pop(TRACK_SESSION_KEY, None)
        return None
    return db.session.get(RepairApplication, data["app"])


def _render_track(form=None, application=None, status=200):
    record = services.record_of(application) if application else None
    context = {"form": form or TrackForm(formdata=None), "application": application,
               "record": record, "kind": kinds.of(record) if record else None,
               "events": [e for e in application.events if e.public_text] if application
               else [], "days_left": services.days_left(application) if application else None}
    return _private(make_response(render_template("repair/track.html", **context), status))


@bp.route("/track", methods=["GET", "POST"])
@track_limit
def track():
    if request.method == "GET":
        return _render_track(application=_tracked())
    form = TrackForm()
    if not form.validate():
        return _render_track(form, status=422)
    application = services.find_by_code(form.code.data)
    if application is None:
        form.code.errors = [*form.code.errors, _(
            "没有找到与该查询码对应的信用修复申请。请核对查询码（共 18 位字母和数字）后重试。")]
        return _render_track(form, status=422)
    session[TRACK_SESSION_KEY] = {"app": application.id, "exp": time.time() + TRACK_SESSION_SECONDS}
    return redirect(url_for("repair.track"), 303)


@bp.post("/track/leave")
def leave():
    session.pop(TRACK_SESSION_KEY, None)
    return redirect(url_for("repair.track"), 303)


# -- the responsible bureau --------------------------------------------------------------

def _application_or_404(reference: str) -> RepairApplication:
    """404 for an unknown application and for one outside the user's jurisdiction alike."""
    application = db.session.scalar(db.select(RepairApplication)
                                    .where(RepairApplication.reference == reference))
    if application is None or not permissions.can_work_repair(current_user, application):
        abort(404)
    return application


@staff_bp.get("/")
@staff_required
def applications():
    if not permissions.works_tips(current_user):  # the association publisher
        abort(403)
    bureau = chosen_bureau()
    status = request.args.get("status", "open")
    if status not in ("open", "all", *STATUSES):
        status = "open"
    rows = [(a, services.days_left(a)) for a in services.queue(bureau, status)]
    return _private(make_response(render_template(
        "repair/staff_list.html", bureau=bureau, bureaus=bureaus_in_reach(current_user),
        status=status, rows=rows, statuses=STATUSES,
        kind_labels={k.key: k.label for k in kinds.KINDS})))


def _render_application(application, status: int = 200, *, verify_form=None, decide_form=None,
                        message: str | None = None):
    record = services.record_of(application)
    context = {
        "application": application, "record": record,
        "kind": kinds.of(record) if record else None,
        "rule": eligibility(record) if record else None,
        "days_left": services.days_left(application),
        "verify_form": verify_form or VerifyForm(formdata=None),
        "decide_form": decide_form or DecideForm(formdata=None),
        "can_decide": permissions.can_decide_repair(current_user, application),
        "message": message, "statuses": STATUSES,
    }
    return _private(make_response(render_template("repair/staff_application.html", **context),
                                  status))


@staff_bp.get("/<reference>")
@staff_required
def application(reference):
    return _render_application(_application_or_404(reference))


@staff_bp.get("/<reference>/files/<int:file_id>")
@staff_required
def download(reference, file_id):
    application = _application_or_404(reference)
    stored = db.session.get(RepairFile, file_id)
    if stored is None or stored.application_id != application.id:
        abort(404)
    return storage.send_evidence(stored)  # always a download, never shown inline


def _act(reference: str, action: str):
    application = _application_or_404(reference)
    verify_form, decide_form = VerifyForm(), DecideForm()
    try:
        if action == "verify":
            services.verify_identity(application, current_user, verify_form.note.data)
            done = _("已记录：申请人身份已核实。")
        elif action == "approve":
            services.approve(application, current_user, decide_form.reason.data)
            done = _("已准予信用修复，该记录不再公示。")
        else:
            services.refuse(application, current_user, decide_form.reason.data)
            done = _("已作出不予修复的决定。")
        db.session.commit()
    except Forbidden:
        _rollback()
        abort(403)
    except services.ApplicationError as exc:
        _rollback()
        form = verify_form if action == "verify" else decide_form
        for name, message in exc.errors.items():
            if name in form:
                form[name].errors = [*form[name].errors, message]
        return _render_application(application, 422, verify_form=verify_form,
                                   decide_form=decide_form, message=exc.message)
    except services.ActionError as exc:
        _rollback()
        return _render_application(application, exc.status, message=exc.message)
    flash(done, "success")
    return redirect(url_for("repair_staff.application", reference=reference), 303)


@staff_bp.post("/<reference>/verify")
@staff_required
def verify(reference):
    return _act(reference, "verify")


@staff_bp.post("/<reference>/approve")
@staff_required
def approve(reference):
    return _act(reference, "approve")


@staff_bp.post("/<reference>/refuse")
@staff_required
def refuse(reference):
    return _act(reference, "refuse")
