"""issue 14 — patent agents in the back office (blueprint "agent_staff", under /staff/agents):
a list to find an agent, the form to register one and the form to edit one.  Thin: the
rules are ``portal.register.agents`` (the practice history) and ``kinds.AGENT`` (the
fields); who may edit is ``permissions.can_edit_agents_of`` / ``can_edit_agent``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import permissions
from ..auth.decorators import staff_required
from ..extensions import db
from ..register import kinds, queries
from ..register.agents import save_agent
from ..register.cleaning import ValidationError
from ..register.models import Agent

bp = Blueprint("agent_staff", __name__, url_prefix="/staff/agents")

# The form's fields (their labels are the dataset's), in order.
FIELDS = ("certificate_no", "name", "agency_uscc", "status", "certified_on", "practice_since")


def init_app(app) -> None:
    app.register_blueprint(bp)


def _may_edit_agents() -> None:
    if not permissions.edits_agents(current_user):
        abort(403)


def _agent_or_404(certificate_no: str) -> Agent:
    agent = queries.agent_by_certificate(certificate_no)
    if agent is None:
        abort(404)
    if not permissions.can_edit_agent(current_user, agent):
        abort(403)
    return agent


def _form_data() -> dict:
    return {f: request.form.get(f, "").strip() for f in FIELDS}


def _render(values: dict, errors: dict, *, agent: Agent | None = None, status: int = 200):
    return render_template(
        "staff/agent_form.html", values=values, errors=errors, agent=agent,
        labels=kinds.AGENT.labels, fields=FIELDS,
        history=queries.history("agent", agent.id) if agent is not None else [],
        practices=queries.agent_history(agent) if agent is not None else [],
    ), status


def _save(data: dict, agent: Agent | None):
    """Clean, check who may put the agent in the agency named, save; (agent, errors)."""
    try:
        values = kinds.AGENT.clean(data)
        if agent is None and queries.agent_by_certificate(values["certificate_no"]):
            raise ValidationError({"certificate_no": _("执业证号 %(no)s 已登记",
                                                       no=values["certificate_no"])})
        if agent is None and not permissions.can_edit_agents_of(current_user, values["agency"]):
            abort(403)  # registering an agent in an agency the user does not supervise
        saved = save_agent(values, actor=current_user._get_current_object(), agent=agent)
    except ValidationError as exc:
        db.session.rollback()
        return None, exc.errors
    db.session.commit()
    return saved, {}


@bp.get("/")
@staff_required
def agents():
    _may_edit_agents()
    filters = queries.agent_filters(request.args)
    page = queries.agents_page(filters, queries.page_number(request.args))
    return render_template("staff/agents.html", filters=filters, page=page)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def agent_new():
    _may_edit_agents()
    if request.method == "GET":
        return _render({"status": "practising"}, {})
    data = _form_data()
    agent, errors = _save(data, None)
    if errors:
        return _render(data, errors, status=422)
    flash(_("已登记。"), "success")
    return redirect(url_for("agent_staff.agent_edit", certificate_no=agent.certificate_no))


@bp.route("/<certificate_no>", methods=["GET", "POST"])
@staff_required
def agent_edit(certificate_no):
    agent = _agent_or_404(certificate_no)
    if request.method == "GET":
        values = {"certificate_no": agent.certificate_no, "name": agent.name,
                  "agency_uscc": agent.agency.uscc if agent.agency else "",
                  "status": agent.status,
                  "certified_on": agent.certified_on.isoformat() if agent.certified_on else "",
                  "practice_since": ""}
        return _render(values, {}, agent=agent)
    data = _form_data()
    data["certificate_no"] = agent.certificate_no  # the key does not change
    saved, errors = _save(data, agent)
    if errors:
        return _render(data, errors, agent=_agent_or_404(certificate_no), status=422)
    flash(_("已保存修改。"), "success")
    return redirect(url_for("agent_staff.agent_edit", certificate_no=saved.certificate_no))
