"""Alert pages (blueprint "alerts"): subscribe, confirm, unsubscribe.  Thin views over
``portal.alerts.services``."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..extensions import csrf, db, limiter
from ..register import kinds
from ..register.divisions import served_regions
from ..register.models import Agency
from . import services

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


class SubscribeForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请填写电子邮箱。")),
                                                Length(max=254)])
    agency = HiddenField()
    region = SelectField(_l("地区"), choices=[], validate_choice=False)
    kind = SelectField(_l("信息类型"), choices=[], validate_choice=False)
    digest = BooleanField(_l("每天汇总发送一封邮件（不勾选则有更新时即发送）"))


def _limit() -> str:
    return str(current_app.config["ALERT_SUBSCRIBE_RATE_LIMIT"])


def _agency(uscc: str | None) -> Agency | None:
    if not uscc:
        return None
    return db.session.scalar(select(Agency).where(Agency.uscc == uscc.strip().upper()))


def _form_page(form: SubscribeForm, agency: Agency | None, errors=None, status: int = 200):
    # Division names are data: each option is marked Chinese (lang="zh") for screen readers.
    form.region.choices = [("", "—")] + [SelectChoice(code, "　" * depth + name, {"lang": "zh"})
                                          for code, name, depth in served_regions()]
    form.kind.choices = [("", str(_l("全部公示信息")))] + [(k.key, str(k.label))
                                                        for k in kinds.KINDS]
    return render_template("alerts/subscribe.html", form=form, agency=agency,
                           errors=errors or {}), status


@bp.get("/subscribe")
def subscribe_form():
    agency = _agency(request.args.get("agency"))
    form = SubscribeForm(agency=agency.uscc if agency else "",
                         region=request.args.get("region", ""), kind=request.args.get("kind", ""))
    return _form_page(form, agency)


@bp.post("/subscribe")
@limiter.limit(_limit, methods=["POST"])
def subscribe():
    form = SubscribeForm()
    agency = _agency(form.agency.data)
    if form.agency.data and agency is None:
        return _form_page(form, None, {"agency": str(_l("没有找到该代理机构"))}, 422)
    if not form.validate():
        return _form_page(form, agency, status=422)
    try:
        services.subscribe(form.email.data, agency=agency, region=form.region.data or None,
                           kind=form.kind.data or None, digest=form.digest.data,
                           locale=str(get_locale() or "zh_CN"))
    except services.SubscriptionError as error:
        return _form_page(form, agency, error.errors, 422)
    db.session.commit()
    return render_template("alerts/check_mail.html")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button (mail scanners that open links do not confirm); POST confirms."""
    if request.method == "GET":
        sub = services.for_confirmation(token)
        return render_template("alerts/confirm.html", what=services.describe(sub), done=False)
    sub = services.confirm(token)
    db.session.commit()
    return render_template("alerts/confirm.html", what=services.describe(sub), done=True)


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    sub = services.subscription_for_unsubscribe(token)
    return render_template("alerts/unsubscribe.html", what=services.describe(sub),
                           done=sub.unsubscribed_at is not None)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without a form; the token is the key
def unsubscribe(token: str):
    sub = services.unsubscribe(token)
    db.session.commit()
    return render_template("alerts/unsubscribe.html", what=services.describe(sub), done=True)
