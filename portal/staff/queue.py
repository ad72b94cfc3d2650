"""The queue, the tip page, its actions, attachments and the supervised list."""

from __future__ import annotations

import os

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case, func

from intake import storage, workflow
from intake.models import Attachment, Tip

from ..auth import permissions
from ..auth.decorators import staff_required
from ..auth.models import StaffUser
from ..extensions import db
from ..htmx import is_partial
from ..register.models import Bureau, Penalty
from ..timeutil import today
from .common import bureaus_in_reach, category_label, chosen_bureau, last_working_day, parse_int
from .views import bp

PER_PAGE = 50

# The deadline that runs now: acceptance while received, verification afterwards.
DUE = case((Tip.status == "received", Tip.accept_due),
           (Tip.status.in_(("accepted", "awaiting_info", "pending_approval")), Tip.verify_due),
           else_=None)


def overdue_clause(on=None):
    """SQL twin of workflow.is_overdue: a working day has passed since the deadline."""
    cutoff = last_working_day(on or today())
    return db.and_(Tip.status.in_(workflow.OPEN_STATUSES), DUE.is_not(None), DUE < cutoff)


def _queue_filters() -> dict:
    args = request.args
    status = args.get("status", "open")
    if status not in ("open", "all", *workflow.STATUSES):
        status = "open"
    return {
        "status": status,
        "category": (args.get("category") or "").strip(),
        "overdue": args.get("overdue") == "1",
        "mine": args.get("mine") == "1",
        "page": parse_int(args.get("page")),
    }


@bp.get("/")
@staff_required
def queue():
    bureau = chosen_bureau()
    f = _queue_filters()
    base = db.select(Tip).where(Tip.bureau_id == bureau.id)
    query = base
    if f["status"] == "open":
        query = query.where(Tip.status.in_(workflow.OPEN_STATUSES))
    elif f["status"] != "all":
        query = query.where(Tip.status == f["status"])
    if f["category"]:
        query = query.where(Tip.category == f["category"])
    if f["overdue"]:
        query = query.where(overdue_clause())
    if f["mine"]:
        query = query.where(Tip.assignee_id == current_user.id)
    total = db.session.scalar(db.select(func.count()).select_from(query.subquery()))
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    page = min(f["page"], pages)
    tips = list(db.session.scalars(
        query.order_by(DUE.is_(None), DUE, Tip.created_at, Tip.id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    on = today()
    rows = [{"tip": t, "due": workflow.current_due(t),
             "left": workflow.working_days_left(t, on)} for t in tips]
    by_status = dict(db.session.execute(
        db.select(Tip.status, func.count()).where(Tip.bureau_id == bureau.id)
        .group_by(Tip.status)).all())
    counts = {
        "by_status": by_status,
        "open": sum(by_status.get(s, 0) for s in workflow.OPEN_STATUSES),
        "overdue": db.session.scalar(db.select(func.count()).select_from(
            base.where(overdue_clause()).subquery())),
        "mine": db.session.scalar(db.select(func.count()).select_from(
            base.where(Tip.assignee_id == current_user.id,
                       Tip.status.in_(workflow.OPEN_STATUSES)).subquery())),
    }
    categories = [c for (c,) in db.session.execute(
        db.select(Tip.category).where(Tip.bureau_id == bureau.id).distinct()
        .order_by(Tip.category))]
    ctx = {"bureau": bureau, "bureaus": bureaus_in_reach(current_user), "f": f, "rows": rows,
               "total": total, "page": page, "pages": pages, "counts": counts, "categories": categories,
               "statuses": workflow.STATUSES, "category_label": category_label}
    return render_template("staff/_queue.html" if is_partial() else "staff/queue.html", **ctx)


@bp.get("/supervised")
@staff_required
def supervised():
    """Tips under provincial supervision within the user's reach."""
    reach = [b.id for b in bureaus_in_reach(current_user)]
    tips = list(db.session.scalars(
        db.select(Tip).where(Tip.supervised.is_(True), Tip.bureau_id.in_(reach))
        .order_by(Tip.status == "concluded", DUE.is_(None), DUE, Tip.id)))
    on = today()
    rows = [{"tip": t, "due": workflow.current_due(t),
             "left": workflow.working_days_left(t, on)} for t in tips]
    return render_template("staff/supervised.html", rows=rows, statuses=workflow.STATUSES,
                           category_label=category_label)


# -- the tip page ------------------------------------------------------------------

def _tip_or_404(reference: str) -> Tip:
    """Load a tip the user may see; anything else is 404 (never reveal existence)."""
    tip = db.session.scalar(db.select(Tip).where(Tip.reference == reference))
    if tip is None or not permissions.can_view_tip(current_user, tip):
        abort(404)
    return tip


def _likely_duplicates(tip: Tip) -> list[Tip]:
    found = []
    for other in (tip.likely_duplicate_of, tip.duplicate_of):
        if other is not None and other not in found:
            found.append(other)
    if tip.agency_id:
        window = db.select(Tip).where(
            Tip.agency_id == tip.agency_id, Tip.category == tip.category, Tip.id != tip.id
        ).order_by(Tip.created_at.desc()).limit(10)
        for other in db.session.scalars(window):
            if other not in found and abs((other.created_at - tip.created_at).days) <= 30:
                found.append(other)
    return found


def _tip_context(tip: Tip, errors: dict | None = None, form: dict | None = None) -> dict:
    allowed = workflow.allowed_actions(current_user, tip)
    colleagues = []
    if "assign" in allowed:
        colleagues = list(db.session.scalars(
            db.select(StaffUser).where(StaffUser.bureau_id == tip.bureau_id,
                                       StaffUser.active.is_(True)).order_by(StaffUser.name)))
    province = tip.bureau.code[:2]
    transfer_targets = []
    if "transfer" in allowed:
        transfer_targets = [b for b in db.session.scalars(
            db.select(Bureau).where(Bureau.active.is_(True), Bureau.code.startswith(province))
            .order_by(Bureau.code)) if b.id != tip.bureau_id]
    return {
        "tip": tip,
        "allowed": allowed,
        "show_reporter": permissions.can_view_reporter(current_user, tip),
        "attachments": [a for a in tip.attachments
                     if permissions.can_download_attachment(current_user, a)],
        "duplicates": _likely_duplicates(tip),
        "events": tip.events,
        "event_kinds": workflow.EVENT_KINDS,
        "statuses": workflow.STATUSES,
        "outcomes": workflow.OUTCOMES,
        "colleagues": colleagues,
        "transfer_targets": transfer_targets,
        "due": workflow.current_due(tip),
        "left": workflow.working_days_left(tip),
        "errors": errors or {},
        "form": form or {},
        "category_label": category_label,
    }


@bp.get("/tips/<reference>")
@staff_required
def tip(reference):
    tip = _tip_or_404(reference)
    return render_template("staff/tip.html", **_tip_context(tip))


@bp.get("/tips/<reference>/files/<int:attachment_id>")
@staff_required
def attachment(reference, attachment_id):
    att = db.session.get(Attachment, attachment_id)
    if (att is None or att.tip.reference != reference
            or not permissions.can_download_attachment(current_user, att)):
        abort(404)
    path = storage.path_for(att.stored_name)
    if not os.path.isfile(path):
        abort(404)
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=att.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- actions: each POST calls ONE workflow function ------------------------------

def _staff_user(value) -> StaffUser | None:
    """The chosen colleague; workflow.assign checks that they work in the tip's bureau."""
    return db.session.get(StaffUser, parse_int(value, default=0, minimum=0))


def _bureau_by_id(value) -> Bureau | None:
    return db.session.get(Bureau, parse_int(value, default=0, minimum=0))


def _tip_by_reference(value) -> Tip | None:
    ref = (value or "").strip()
    return db.session.scalar(db.select(Tip).where(Tip.reference == ref)) if ref else None


def _penalty_by_number(value) -> Penalty | None:
    number = (value or "").strip()
    if not number:
        return None
    penalty = db.session.scalar(db.select(Penalty).where(Penalty.decision_number == number))
    if penalty is None:
        raise workflow.TransitionError(_("没有文号为 %(n)s 的行政处罚决定。", n=number), "penalty")
    return penalty


def _call(action: str, tip: Tip, form):
    user = current_user._get_current_object()
    if action == "accept":
        return workflow.accept(tip, user)
    if action == "assign":
        return workflow.assign(tip, user, _staff_user(form.get("assignee")))
    if action == "request_info":
        return workflow.request_info(tip, user, form.get("question", ""))
    if action == "add_note":
        return workflow.add_note(tip, user, form.get("text", ""))
    if action == "transfer":
        return workflow.transfer(tip, user, _bureau_by_id(form.get("to_bureau")),
                                 form.get("reason", ""))
    if action == "return_to_triage":
        return workflow.return_to_triage(tip, user, form.get("reason", ""))
    if action == "extend_deadline":
        return workflow.extend_deadline(tip, user, form.get("reason", ""))
    if action == "mark_duplicate":
        original = _tip_by_reference(form.get("original"))
        if original is not None and not permissions.can_view_tip(user, original):
            original = None  # do not confirm that a tip outside one's reach exists
        if original is None:
            raise workflow.TransitionError(_("没有找到该案件编号的举报。"), "original")
        return workflow.mark_duplicate(tip, user, original)
    if action == "conclude":
        return workflow.conclude(tip, user, form.get("outcome", ""), form.get("public_reply", ""),
                                 penalty=_penalty_by_number(form.get("penalty")))
    if action == "approve_conclusion":
        return workflow.approve_conclusion(tip, user)
    if action == "reject_conclusion":
        return workflow.reject_conclusion(tip, user, form.get("reason", ""))
    if action == "supervise":
        return workflow.supervise(tip, user, form.get("note", ""))
    abort(404)


DONE = {
    "accept": _l("已受理。"), "assign": _l("已指定承办人。"), "request_info": _l("已请举报人补充材料。"),
    "add_note": _l("已添加内部备注。"), "transfer": _l("已移送。"), "return_to_triage": _l("已退回省局分送。"),
    "extend_deadline": _l("已延长核查期限。"), "mark_duplicate": _l("已标记为重复举报。"),
    "conclude": _l("已提交办结意见。"), "approve_conclusion": _l("已批准办结。"),
    "reject_conclusion": _l("已退回办结意见。"), "supervise": _l("已督办。"),
}


@bp.post("/tips/<reference>/<action>")
@staff_required
def tip_action(reference, action):
    if action not in workflow.STAFF_ACTIONS:
        abort(404)
    tip = _tip_or_404(reference)
    try:
        _call(action, tip, request.form)
    except workflow.Forbidden:
        db.session.rollback()
        abort(403)
    except workflow.TransitionError as exc:
        db.session.rollback()
        tip = _tip_or_404(reference)
        errors = {action: exc.message}
        return render_template("staff/tip.html", **_tip_context(
            tip, errors=errors, form=request.form.to_dict())), 422
    db.session.commit()
    done = _("已办结。") if action == "conclude" and tip.status == "concluded" else DONE[action]
    flash(str(done), "success")
    if not permissions.can_view_tip(current_user, tip):  # transferred out of reach
        return redirect(url_for("staff.queue"))
    return redirect(url_for("staff.tip", reference=tip.reference))
