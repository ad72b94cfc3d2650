"""The reporter's channel in the back office: the audited view of a reporter's identity,
the bureau's messages to the reporter, the access audit and the "what next" text."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake import audit, messages, workflow
from intake.models import Tip
from portal.register import divisions

from ..auth import permissions
from ..auth.decorators import tips_required
from ..extensions import db
from .blueprint import bp
from .common import bureaus_in_reach, chosen_bureau, parse_int
from .queue import _tip_context, _tip_or_404


@bp.get("/tips/<reference>/reporter")
@tips_required
def tip_reporter(reference):
    """The tip page with the reporter's identity shown: only for staff of the handling
    bureau, and every view is written to the access audit."""
    tip = _tip_or_404(reference)
    if tip.anonymous or not permissions.can_view_reporter(current_user, tip):
        abort(403)
    audit.record(current_user, tip, audit.IDENTITY)
    messages.mark_read(tip, current_user)
    db.session.commit()
    return render_template("staff/tip.html", **{**_tip_context(tip), "identity_revealed": True})


@bp.post("/tips/<reference>/message")
@tips_required
def tip_message(reference):
    """The bureau writes to the reporter (they read it on the tracking page and are told
    by mail that there is news)."""
    tip = _tip_or_404(reference)
    try:
        messages.staff_message(tip, current_user._get_current_object(), request.form.get("message"))
    except permissions.Forbidden:
        db.session.rollback()
        abort(403)
    except workflow.TransitionError as exc:
        db.session.rollback()
        tip = _tip_or_404(reference)
        return render_template("staff/tip.html", **_tip_context(
            tip, errors={"message": exc.message}, form=request.form.to_dict())), 422
    db.session.commit()
    flash(_("已答复举报人。"), "success")
    return redirect(url_for("staff.tip", reference=tip.reference) + "#h-conversation")


@bp.get("/audit")
@tips_required
def access_audit():
    """Who viewed reporters' identities and downloaded evidence, for a bureau's lead and
    the provincial administrator."""
    bureau = chosen_bureau()
    if not permissions.can_read_audit(current_user, bureau):
        abort(403)
    reference = (request.args.get("tip") or "").strip()
    tip_id = None
    if reference:
        tip = db.session.scalar(db.select(Tip).where(Tip.reference == reference))
        tip_id = tip.id if tip is not None else -1
    page = parse_int(request.args.get("page"))
    rows, total = audit.entries([bureau.id], page=page, tip_id=tip_id)
    bureaus = [b for b in bureaus_in_reach(current_user)
               if permissions.can_read_audit(current_user, b)]
    return render_template("staff/audit.html", bureau=bureau, bureaus=bureaus, rows=rows,
                           total=total, page=page, pages=max(1, -(-total // audit.PAGE_SIZE)),
                           reference=reference)


@bp.route("/admin/tip-texts", methods=["GET", "POST"])
@tips_required
def tip_texts():
    """The provincial administrator edits the "what next" text reporters read under the
    outcome of a concluded tip."""
    if not permissions.can_edit_tip_texts(current_user):
        abort(403)
    province = divisions.province_of(current_user.bureau.code)
    errors = {}
    if request.method == "POST":
        try:
            messages.set_what_next(province, request.form.get("text_zh", ""),
                                   request.form.get("text_en"), current_user)
        except workflow.TransitionError as exc:
            db.session.rollback()
            errors = {"text_zh": exc.message}
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("staff.tip_texts"))
    from intake.models import TipText

    row = db.session.get(TipText, (province, messages.WHAT_NEXT))
    return render_template("staff/tip_texts.html", row=row, errors=errors,
                           default_text=str(messages.DEFAULT_WHAT_NEXT)), (422 if errors else 200)
