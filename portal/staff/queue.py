"""The queue, the tip page, its actions, attachments and the supervised list: thin views
over intake.queries (reading) and intake.workflow (every change to a tip)."""

from __future__ import annotations

import os

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intake import audit, messages, queries, storage, workflow
from intake.models import Attachment, Tip
from intake.workflow import TipAction

from ..auth import permissions
from ..auth.decorators import staff_required, tips_required
from ..auth.models import StaffUser
from ..extensions import db
from ..htmx import is_partial
from ..register import divisions
from ..register.models import Bureau, Penalty
from .blueprint import bp
from .common import bureaus_in_reach, chosen_bureau, parse_int
from .dashboard import received_period


def _queue_filters(args) -> queries.QueueFilters:
    status = args.get("status", "open")
    return queries.QueueFilters(
        status=status if status in queries.QUEUE_STATUSES else "open",
        category=(args.get("category") or "").strip(),
        overdue=args.get("overdue") == "1",
        mine=args.get("mine") == "1",
        page=parse_int(args.get("page")),
    )


@bp.get("/")
@staff_required
def queue():
    if not permissions.works_tips(current_user):  # the association publisher (issue 14)
        return redirect(url_for("staff.records"))  # lands on its records
    bureau = chosen_bureau()
    f = _queue_filters(request.args)
    result = queries.bureau_queue(bureau, current_user, f)
    ctx = {"bureau": bureau, "bureaus": bureaus_in_reach(current_user), "f": f,
           "rows": result.rows, "total": result.total, "page": result.page,
           "pages": result.pages, "counts": result.counts, "categories": result.categories,
           "statuses": workflow.STATUSES}
    return render_template("staff/_queue.html" if is_partial() else "staff/queue.html", **ctx)


def supervised_bureaus(user) -> list[Bureau]:
    """The bureaus whose tips ``user`` oversees (permissions.supervises): the province's
    for its administrator, a city bureau and its districts for the city's lead, else
    their own bureau."""
    if permissions.is_provincial_admin(user):
        return bureaus_in_reach(user)
    own = user.bureau
    if own.level != divisions.CITY:
        return [own]
    return [b for b in db.session.scalars(
        db.select(Bureau).where(divisions.sql_within(Bureau.code, own.code, divisions.CITY))
        .order_by(Bureau.code)) if permissions.supervises(user, b)]


def _work_filters(args, bureaus: list[Bureau]) -> queries.WorkFilters:
    status = args.get("status", "open")
    code = (args.get("bureau") or "").strip()
    if code and code not in {b.code for b in bureaus}:
        abort(403 if db.session.scalar(db.select(Bureau.id).where(Bureau.code == code))
              else 404)
    overdue = args.get("overdue", "")
    period = received_period(args)
    return queries.WorkFilters(
        bureau=code,
        status=status if status in queries.QUEUE_STATUSES else "open",
        category=(args.get("category") or "").strip(),
        overdue="any" if overdue == "1" else (
            overdue if overdue in queries.OVERDUE_CHOICES else ""),
        supervised=args.get("supervised") == "1",
        unread=args.get("unread") == "1",
        q=(args.get("q") or "").strip()[:100],
        since=period.since, until=period.until,
        page=parse_int(args.get("page")),
    )


@bp.get("/all")
@tips_required
def work():
    """One queue across every bureau the user oversees (the provincial administrator's
    province, a city lead's city and districts), with filters, search and count cards."""
    bureaus = supervised_bureaus(current_user)
    f = _work_filters(request.args, bureaus)
    result = queries.work_queue(bureaus, f)
    ctx = {"bureaus": bureaus, "f": f, "period": received_period(request.args),
           "rows": result.rows, "total": result.total,
           "page": result.page, "pages": result.pages, "counts": result.counts,
           "categories": result.categories, "statuses": workflow.STATUSES,
           "has_unread": queries.has_unread_column()}
    return render_template("staff/_work.html" if is_partial() else "staff/work.html", **ctx)


@bp.get("/supervised")
@tips_required
def supervised():
    """Tips under provincial supervision within the user's reach, and the tips transferred
    from there to another province."""
    reach = bureaus_in_reach(current_user)
    return render_template("staff/supervised.html", rows=queries.supervised_rows(reach),
                           transfers_out=queries.transfers_out_of_province(reach),
                           statuses=workflow.STATUSES)


# -- the tip page ------------------------------------------------------------------

def _tip_or_404(reference: str) -> Tip:
    """Load a tip the user may see; anything else is 404 (never reveal existence)."""
    tip = db.session.scalar(db.select(Tip).where(Tip.reference == reference))
    if tip is None or not permissions.can_view_tip(current_user, tip):
        abort(404)
    return tip


def _tip_context(tip: Tip, errors: dict | None = None, form: dict | None = None) -> dict:
    return {
        **queries.tip_page(tip, current_user),
        "event_kinds": {**workflow.EVENT_KINDS, **messages.EVENT_KINDS},
        "can_message": messages.can_message(current_user, tip),
        "new_messages": bool(tip.reporter_message_unread),
        "identity_revealed": False,
        "statuses": workflow.STATUSES,
        "outcomes": workflow.OUTCOMES,
        "errors": errors or {},
        "form": form or {},
    }


@bp.get("/tips/<reference>")
@tips_required
def tip(reference):
    tip = _tip_or_404(reference)
    context = _tip_context(tip)  # shows the reporter's new messages as new, this once
    if messages.mark_read(tip, current_user):  # opened by the handling bureau: now read
        db.session.commit()
    return render_template("staff/tip.html", **context)


@bp.get("/tips/<reference>/files/<int:attachment_id>")
@tips_required
def attachment(reference, attachment_id):
    att = db.session.get(Attachment, attachment_id)
    if (att is None or att.tip.reference != reference
            or not permissions.can_download_attachment(current_user, att)):
        abort(404)
    if att.purged_at is not None or not os.path.isfile(storage.path_for(att.stored_name)):
        abort(404)
    response = storage.send_evidence(att)
    audit.record(current_user, att.tip, audit.DOWNLOAD, att)  # every download is audited
    db.session.commit()
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


def _original(user, value) -> Tip:
    """The earlier tip named by its reference; one outside the user's reach is "not found"
    (never confirm that it exists)."""
    original = _tip_by_reference(value)
    if original is None or not permissions.can_view_tip(user, original):
        raise workflow.TransitionError(_("没有找到该案件编号的举报。"), "original")
    return original


# Each action: ONE workflow call with the form's values parsed.
CALLS = {
    TipAction.ACCEPT: lambda tip, user, form: workflow.accept(tip, user),
    TipAction.ASSIGN: lambda tip, user, form: workflow.assign(
        tip, user, _staff_user(form.get("assignee"))),
    TipAction.REQUEST_INFO: lambda tip, user, form: messages.ask_reporter(
        tip, user, form.get("question", ""), form.get("due_days")),
    TipAction.ADD_NOTE: lambda tip, user, form: workflow.add_note(
        tip, user, form.get("text", "")),
    TipAction.TRANSFER: lambda tip, user, form: workflow.transfer(
        tip, user, _bureau_by_id(form.get("to_bureau")), form.get("reason", "")),
    TipAction.RETURN_TO_TRIAGE: lambda tip, user, form: workflow.return_to_triage(
        tip, user, form.get("reason", "")),
    TipAction.EXTEND_DEADLINE: lambda tip, user, form: workflow.extend_deadline(
        tip, user, form.get("reason", "")),
    TipAction.MARK_DUPLICATE: lambda tip, user, form: workflow.mark_duplicate(
        tip, user, _original(user, form.get("original"))),
    TipAction.CONCLUDE: lambda tip, user, form: workflow.conclude(
        tip, user, form.get("outcome", ""), form.get("public_reply", ""),
        penalty=_penalty_by_number(form.get("penalty"))),
    TipAction.APPROVE_CONCLUSION: lambda tip, user, form: workflow.approve_conclusion(tip, user),
    TipAction.REJECT_CONCLUSION: lambda tip, user, form: workflow.reject_conclusion(
        tip, user, form.get("reason", "")),
    TipAction.SUPERVISE: lambda tip, user, form: workflow.supervise(
        tip, user, form.get("note", "")),
}

DONE = {
    TipAction.ACCEPT: _l("已受理。"),
    TipAction.ASSIGN: _l("已指定承办人。"),
    TipAction.REQUEST_INFO: _l("已请举报人补充材料。"),
    TipAction.ADD_NOTE: _l("已添加内部备注。"),
    TipAction.TRANSFER: _l("已移送。"),
    TipAction.RETURN_TO_TRIAGE: _l("已退回省局分送。"),
    TipAction.EXTEND_DEADLINE: _l("已延长核查期限。"),
    TipAction.MARK_DUPLICATE: _l("已标记为重复举报。"),
    TipAction.CONCLUDE: _l("已提交办结意见。"),
    TipAction.APPROVE_CONCLUSION: _l("已批准办结。"),
    TipAction.REJECT_CONCLUSION: _l("已退回办结意见。"),
    TipAction.SUPERVISE: _l("已督办。"),
}


@bp.post("/tips/<reference>/<action>")
@tips_required
def tip_action(reference, action):
    if action not in CALLS:
        abort(404)
    action = TipAction(action)
    tip = _tip_or_404(reference)
    try:
        CALLS[action](tip, current_user._get_current_object(), request.form)
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
    concluded = action == TipAction.CONCLUDE and tip.status == workflow.TipStatus.CONCLUDED
    done = _("已办结。") if concluded else DONE[action]
    flash(str(done), "success")
    if not permissions.can_view_tip(current_user, tip):  # transferred out of reach
        return redirect(url_for("staff.queue"))
    return redirect(url_for("staff.tip", reference=tip.reference))
