"""Typical cases: the public pages (blueprint "cases": /cases/) and the staff pages
(blueprint "case_staff": /staff/cases/).  Thin: parse, load, check, call a service, render."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import permissions
from ..auth.decorators import staff_required
from ..auth.models import Role
from ..errors import PortalError
from ..extensions import db
from ..register.queries import page_number
from ..staff.common import bureaus_in_reach, chosen_bureau, parse_int
from ..timeutil import today as today_cn
from . import links, markdown, queries, services
from .forms import case_form_data, case_form_values
from .models import ASSOCIATION, BUREAU, PUBLISHED, WITHDRAWN, TypicalCase

bp = Blueprint("cases", __name__, url_prefix="/cases")
staff_bp = Blueprint("case_staff", __name__, url_prefix="/staff/cases")


# -- public ---------------------------------------------------------------------------------

@bp.get("/")
def index():
    tag = request.args.get("tag", "")
    tag = tag if tag in services.TAGS else ""
    page = page_number(request.args)
    items, total = queries.page_of(queries.public_cases(tag), page)
    pages = max(1, (total + queries.PER_PAGE - 1) // queries.PER_PAGE)
    return render_template("cases/index.html", items=items, total=total, page=page,
                           pages=pages, tag=tag, tags=services.TAGS)


@bp.get("/<int:case_id>")
def detail(case_id: int):
    case = queries.public_case(case_id)
    if case is None or case.status not in (PUBLISHED, WITHDRAWN):
        abort(404)
    if case.status == WITHDRAWN:
        return render_template("cases/withdrawn.html", case=case), 410
    if not case.is_public():
        abort(404)  # a date still to come
    return render_template("cases/detail.html", case=case, body=markdown.render(case.body),
                           targets=links.resolve(case.links))


@bp.app_template_global()
def typical_cases_about_agency(agency):
    return queries.cases_about_agency(agency)


@bp.app_template_global()
def typical_cases_about_record(record):
    return queries.cases_about_record(record)


# -- staff ----------------------------------------------------------------------------------

def _case_or_404(case_id: int) -> TypicalCase:
    case = db.session.get(TypicalCase, case_id)
    if case is None:
        abort(404)
    if not permissions.can_edit_case(current_user, case):
        abort(403)
    return case


def _editable_cases():
    """The cases the signed-in user may edit (the list of the staff pages)."""
    q = db.select(TypicalCase)
    if permissions.is_provincial_admin(current_user):
        q = q.where(TypicalCase.bureau_id.in_([b.id for b in bureaus_in_reach(current_user)]))
    else:
        kind = ASSOCIATION if current_user.role == Role.ASSOCIATION else BUREAU
        q = q.where(TypicalCase.bureau_id == current_user.bureau_id,
                    TypicalCase.publisher_kind == kind)
    return q.order_by(TypicalCase.updated_at.desc(), TypicalCase.id.desc())


@staff_bp.get("/")
@staff_required
def cases():
    if not permissions.can_publish_case(current_user, current_user.bureau):
        abort(403)
    page = parse_int(request.args.get("page"))
    items, total = queries.page_of(_editable_cases(), page, per_page=50)
    return render_template("cases/staff_list.html", items=items, total=total, page=page,
                           pages=max(1, (total + 49) // 50), statuses=services.STATUSES)


def _render_form(values, errors, *, case=None, bureau=None, status=200):
    return render_template(
        "cases/staff_form.html", values=values, errors=errors, case=case, bureau=bureau,
        tags=services.TAGS, labels=services.LABELS, statuses=services.STATUSES,
        actions=services.ACTIONS, history=services.history(case) if case else [],
        preview=markdown.render(values.get("body")) if values.get("body") else None,
    ), status


@staff_bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    bureau = chosen_bureau()
    if not permissions.can_publish_case(current_user, bureau):
        abort(403)
    if request.method == "GET":
        _kind, name = services.default_publisher(current_user, bureau)
        return _render_form({"publisher_name": name, "tags": []}, {}, bureau=bureau)
    data = case_form_data(request.form)
    try:
        case = services.create_case(data, actor=current_user._get_current_object(),
                                    bureau=bureau)
    except services.ValidationError as exc:
        db.session.rollback()
        return _render_form(data, exc.errors, bureau=bureau, status=422)
    db.session.commit()
    flash(_("已保存为草稿，发布后公众可见。"), "success")
    return redirect(url_for("case_staff.edit", case_id=case.id))


@staff_bp.route("/<int:case_id>", methods=["GET", "POST"])
@staff_required
def edit(case_id: int):
    case = _case_or_404(case_id)
    if request.method == "GET":
        return _render_form(case_form_values(case), {}, case=case, bureau=case.bureau)
    data = case_form_data(request.form)
    try:
        services.update_case(case, data, actor=current_user._get_current_object())
    except services.ValidationError as exc:
        db.session.rollback()
        case = _case_or_404(case_id)
        return _render_form(data, exc.errors, case=case, bureau=case.bureau, status=422)
    db.session.commit()
    flash(_("已保存修改。"), "success")
    return redirect(url_for("case_staff.edit", case_id=case.id))


@staff_bp.post("/<int:case_id>/<any(publish, withdraw):op>")
@staff_required
def change_status(case_id: int, op: str):
    case = _case_or_404(case_id)
    actor = current_user._get_current_object()
    try:
        if op == "publish":
            services.publish_case(case, actor=actor, on=today_cn())
        else:
            services.withdraw_case(case, request.form.get("reason", ""), actor=actor)
    except PortalError as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403)
        case = _case_or_404(case_id)
        return _render_form(case_form_values(case), exc.errors, case=case, bureau=case.bureau,
                            status=exc.status)
    db.session.commit()
    flash(_("已发布。") if op == "publish" else _("已撤回，案例页面将显示该案例已撤回。"),
          "success")
    return redirect(url_for("case_staff.edit", case_id=case.id))
