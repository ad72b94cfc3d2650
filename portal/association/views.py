"""The association publisher's staff page: the vocabulary of measures (blueprint
"association", /staff/association).  Thin: load, check, call one service, render."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import permissions
from ..auth.decorators import staff_required
from ..extensions import db
from ..register.cleaning import ValidationError
from ..register.models import AssociationMeasureKind
from . import measure_kinds, queries

bp = Blueprint("association", __name__, url_prefix="/staff/association")


@bp.app_context_processor
def measure_helpers():
    """For the public pages: a measure kind's name in the page's language, and an agent's
    public measures (the agent page's slot)."""
    return {"measure_label": measure_kinds.label, "agent_measures": queries.agent_measures}


def _allowed() -> None:
    if not permissions.can_manage_measure_kinds(current_user):
        abort(403)


def _page(errors=None, form=None, editing: int | None = None, status: int = 200):
    return render_template("association/measure_kinds.html", kinds=measure_kinds.all_kinds(),
                           name_of=measure_kinds.name_of, errors=errors or {},
                           form=form or {}, editing=editing), status


@bp.get("/measure-kinds", endpoint="measure_kinds")
@staff_required
def measure_kinds_page():
    _allowed()
    return _page()


@bp.post("/measure-kinds")
@staff_required
def measure_kind_add():
    _allowed()
    try:
        kind = measure_kinds.add_kind(request.form, actor=current_user._get_current_object())
    except ValidationError as exc:
        db.session.rollback()
        return _page(exc.errors, request.form, status=422)
    db.session.commit()
    flash(_("已添加惩戒种类“%(name)s”。", name=kind.name_zh), "success")
    return redirect(url_for("association.measure_kinds"))


def _kind_or_404(kind_id: int) -> AssociationMeasureKind:
    kind = db.session.get(AssociationMeasureKind, kind_id)
    if kind is None:
        abort(404)
    return kind


@bp.post("/measure-kinds/<int:kind_id>")
@staff_required
def measure_kind_update(kind_id):
    _allowed()
    kind = _kind_or_404(kind_id)
    try:
        measure_kinds.update_kind(kind, request.form, actor=current_user._get_current_object())
    except ValidationError as exc:
        db.session.rollback()
        errors = {f"{kind_id}-{k}": v for k, v in exc.errors.items()}
        return _page(errors, request.form, editing=kind_id, status=422)
    db.session.commit()
    flash(_("已保存修改。"), "success")
    return redirect(url_for("association.measure_kinds"))


@bp.post("/measure-kinds/<int:kind_id>/<any(deactivate, activate):op>")
@staff_required
def measure_kind_active(kind_id, op):
    _allowed()
    kind = _kind_or_404(kind_id)
    measure_kinds.set_active(kind, op == "activate", actor=current_user._get_current_object())
    db.session.commit()
    flash(_("已停用：新发布的惩戒不能再选用该种类，已公示的记录不变。") if op == "deactivate"
          else _("已重新启用。"), "success")
    return redirect(url_for("association.measure_kinds"))
