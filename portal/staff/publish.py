"""Publishing: a form for each record kind, edit / withdraw / repair / remove, and the
importer's upload -> preview -> confirm.  What each form asks for is the kind's declaration
(portal.register.kinds); rules live in portal.register.services / importer."""

from __future__ import annotations

import os
import re
import secrets

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import permissions
from ..auth.decorators import staff_required
from ..extensions import db
from ..register import kinds, queries, vocab
from ..register.kinds import RecordKind, UnknownKind, Widget
from ..register.models import Agency
from ..register.urls import record_url
from ..timeutil import today
from .blueprint import bp
from .common import bureaus_in_reach, chosen_bureau, parse_int

UPLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _kind_or_404(kind: str) -> RecordKind:
    try:
        return kinds.get(kind)
    except UnknownKind:
        abort(404)


def _record_or_404(kind: str, record_id: int):
    record = db.session.get(_kind_or_404(kind).model, record_id)
    if record is None:
        abort(404)
    if not permissions.can_edit_record(current_user, record):
        abort(403)
    return record


def _form_data(kind: RecordKind) -> dict:
    data: dict = {}
    for field in kind.form:
        if field.widget == Widget.MULTI:
            data[field.name] = request.form.getlist(field.name)
        else:
            data[field.name] = request.form.get(field.name, "").strip()
    return data


def _form_value(value, widget: Widget):
    if widget == Widget.MULTI:
        return [k for k in (value or "").split("、") if k]
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _values_for_form(record) -> dict:
    from ..register.services import record_values

    kind = kinds.of(record)
    values = record_values(record)
    if getattr(record, "agency", None) is not None:
        values["agency_uscc"] = record.agency.uscc
    if getattr(record, "agent", None) is not None:  # issue 14 — patent agents
        values["agent_certificate_no"] = record.agent.certificate_no
    return {f.name: _form_value(values.get(f.name), f.widget) for f in kind.form}


@bp.get("/records")
@staff_required
def records():
    publishable = permissions.publishable_kinds(current_user)
    if not publishable:
        abort(403)
    kind = request.args.get("kind") if request.args.get("kind") in publishable else publishable[0]
    record_kind = kinds.get(kind)
    model = record_kind.model
    reach = [b.id for b in bureaus_in_reach(current_user)]
    page = parse_int(request.args.get("page"))
    query = db.select(model).where(model.bureau_id.in_(reach))
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    items = list(db.session.scalars(
        query.order_by(model.published_on.desc(), model.id.desc())
        .limit(50).offset((page - 1) * 50)))
    return render_template("staff/records.html", kinds=[kinds.get(k) for k in publishable],
                           kind=record_kind, items=items, total=total, page=page,
                           pages=max(1, (total + 49) // 50), statuses=vocab.RECORD_STATUSES)


def _render_form(kind, values, errors, *, record=None, bureau=None, status=200):
    return render_template(
        "staff/record_form.html", kind=kind, record_kind=kinds.get(kind), values=values,
        errors=errors, record=record, bureau=bureau,
        bureaus=[b for b in bureaus_in_reach(current_user)
                 if permissions.can_publish(current_user, kind, b)],
        public_url=record_url(record) if record is not None else None,
        history=queries.history(kind, record.id) if record is not None else [],
    ), status


@bp.route("/records/new/<kind>", methods=["GET", "POST"])
@staff_required
def record_new(kind):
    from ..register import services

    kind = _kind_or_404(kind).key
    bureau = chosen_bureau()
    if not permissions.can_publish(current_user, kind, bureau):
        abort(403)
    if request.method == "GET":
        return _render_form(kind, {"published_on": today().isoformat()}, {}, bureau=bureau)
    data = _form_data(kinds.get(kind))
    try:
        record = services.publish_record(kind, data, actor=current_user._get_current_object(),
                                         bureau=bureau)
    except services.ValidationError as exc:
        db.session.rollback()
        return _render_form(kind, data, exc.errors, bureau=bureau, status=422)
    db.session.commit()
    flash(_("已公示。"), "success")
    return redirect(url_for("staff.record_edit", kind=kind, record_id=record.id))


@bp.route("/records/<kind>/<int:record_id>", methods=["GET", "POST"])
@staff_required
def record_edit(kind, record_id):
    from ..register import services

    record = _record_or_404(kind, record_id)
    if request.method == "GET":
        return _render_form(kind, _values_for_form(record), {}, record=record,
                            bureau=record.bureau)
    data = _form_data(kinds.of(record))
    if "agency_uscc" in data and getattr(record, "agency", None) is not None:
        data["agency"] = db.session.scalar(
            db.select(Agency).where(Agency.uscc == data["agency_uscc"].upper())) or None
        if data["agency"] is None:
            data.pop("agency")
    try:
        services.update_record(record, data, actor=current_user._get_current_object())
    except services.ValidationError as exc:
        db.session.rollback()
        record = _record_or_404(kind, record_id)
        return _render_form(kind, data, exc.errors, record=record, bureau=record.bureau,
                            status=422)
    db.session.commit()
    flash(_("已保存修改。"), "success")
    return redirect(url_for("staff.record_edit", kind=kind, record_id=record.id))


@bp.post("/records/<kind>/<int:record_id>/<op>")
@staff_required
def record_status(kind, record_id, op):
    from ..register import services

    if op not in ("withdraw", "repair", "remove"):
        abort(404)
    record = _record_or_404(kind, record_id)
    actor = current_user._get_current_object()
    reason = request.form.get("reason", "").strip()
    try:
        if op == "withdraw":
            services.withdraw_record(record, reason, actor=actor)
        elif op == "repair":
            services.repair_record(record, reason, actor=actor)
        else:
            if kind != "list_entry":
                abort(404)
            services.remove_list_entry(
                record, reason=request.form.get("removal_reason", ""),
                removed_on=request.form.get("removed_on", ""),
                authority=request.form.get("removal_authority"), actor=actor)
    except services.ValidationError as exc:
        db.session.rollback()
        record = _record_or_404(kind, record_id)
        errors = {f"{op}_{k}": v for k, v in exc.errors.items()}
        errors[op] = "；".join(exc.errors.values())
        return _render_form(kind, _values_for_form(record), errors, record=record,
                            bureau=record.bureau, status=422)
    db.session.commit()
    flash({"withdraw": _("已撤回，公示页面将显示该记录已不再公示。"),
           "repair": _("已信用修复，该记录不再公示。"),
           "remove": _("已登记移出。")}[op], "success")
    return redirect(url_for("staff.record_edit", kind=kind, record_id=record.id))


# -- import: upload -> preview -> confirm --------------------------------------

def _tmp_dir() -> str:
    path = os.path.join(current_app.instance_path, "tmp", "imports")
    os.makedirs(path, exist_ok=True)
    return path


def _import_kinds() -> dict:
    publishable = permissions.publishable_kinds(current_user)
    return {d.key: d.label for d in kinds.DATASETS if d.key in publishable}


def _stored_upload(token: str) -> tuple[str, str] | None:
    uploads = session.get("imports", {})
    entry = uploads.get(token)
    if not entry or not UPLOAD_RE.match(token):
        return None
    path = os.path.join(_tmp_dir(), token)
    return (path, entry["filename"]) if os.path.isfile(path) else None


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_upload():
    import_kinds = _import_kinds()
    if not import_kinds:
        abort(403)
    bureau = chosen_bureau()
    ctx = {"kinds": import_kinds, "bureau": bureau, "plan": None, "token": None, "kind": None,
           "error": None, "bureaus": bureaus_in_reach(current_user)}
    if request.method == "GET":
        return render_template("staff/import.html", **ctx)
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    ctx["kind"] = kind
    if kind not in import_kinds or not permissions.can_publish(current_user, kind, bureau):
        ctx["error"] = _("请选择您有权导入的记录类型。")
        return render_template("staff/import.html", **ctx), 422
    if upload is None or not upload.filename:
        ctx["error"] = _("请选择要上传的文件（CSV 或 Excel）。")
        return render_template("staff/import.html", **ctx), 422
    filename = os.path.basename(upload.filename)
    if not filename.lower().endswith((".csv", ".xlsx")):
        ctx["error"] = _("只接受 CSV（UTF-8）或 Excel（.xlsx）文件。")
        return render_template("staff/import.html", **ctx), 422
    from ..register import importer

    token = secrets.token_urlsafe(24)
    path = os.path.join(_tmp_dir(), token)
    upload.save(path)
    try:
        plan = importer.plan_import(kind, path, filename=filename, bureau=bureau)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is the user's error
        os.remove(path)
        current_app.logger.info("import plan failed: %s", exc)
        ctx["error"] = _("无法读取该文件：请使用模板格式的 CSV（UTF-8）或 Excel 文件。")
        return render_template("staff/import.html", **ctx), 422
    uploads = dict(session.get("imports", {}))
    uploads[token] = {"filename": filename, "kind": kind, "bureau": bureau.code}
    session["imports"] = dict(list(uploads.items())[-5:])
    ctx.update(plan=plan, token=token)
    return render_template("staff/import.html", **ctx), (200 if plan.ok else 422)


@bp.post("/import/confirm")
@staff_required
def import_confirm():
    from ..register import importer

    token = request.form.get("token", "")
    stored = _stored_upload(token)
    entry = session.get("imports", {}).get(token)
    if stored is None or entry is None:
        flash(_("上传的文件已失效，请重新上传。"), "error")
        return redirect(url_for("staff.import_upload"))
    path, filename = stored
    kind = entry["kind"]
    from .common import bureau_or_404

    bureau = bureau_or_404(entry["bureau"])
    if not permissions.can_publish(current_user, kind, bureau):
        abort(403)
    plan = importer.plan_import(kind, path, filename=filename, bureau=bureau)
    if not plan.ok:
        db.session.rollback()
        return render_template("staff/import.html", kinds=_import_kinds(), bureau=bureau,
                               plan=plan, token=token, kind=kind, error=None,
                               bureaus=bureaus_in_reach(current_user)), 422
    importer.apply_import(plan, actor=current_user._get_current_object(), bureau=bureau)
    db.session.commit()
    os.remove(path)
    uploads = dict(session.get("imports", {}))
    uploads.pop(token, None)
    session["imports"] = uploads
    flash(_("导入完成：新增 %(c)d 条，更新 %(u)d 条，未变 %(n)d 条。",
            c=_count(plan.creates), u=_count(plan.updates), n=_count(plan.unchanged)), "success")
    return redirect(url_for("staff.import_upload"))


def _count(value) -> int:
    return value if isinstance(value, int) else len(value)
