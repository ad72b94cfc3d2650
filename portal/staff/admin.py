"""Provincial administration: staff accounts, role TOTP, routing rules, holidays."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intake import calendar as work_calendar
from intake import routing
from intake.calendar import covered_by_chinese_calendar
from intake.categories import CATEGORIES
from intake.models import CalendarDay, RoutingRule, RoutingRuleChange

from ..auth import permissions, services
from ..auth.decorators import admin_required
from ..auth.forms import ROLE_LABELS, PasswordResetForm, StaffCreateForm
from ..auth.models import Role, RoleSetting, StaffUser
from ..extensions import db
from ..register.models import Bureau
from ..timeutil import today
from .blueprint import bp
from .common import bureaus_in_reach, parse_int

# -- staff -----------------------------------------------------------------------

def _user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None or not permissions.can_manage_staff(current_user, user.bureau):
        abort(404)
    return user


def _staff_page(form=None, reset_forms=None, status=200):
    reach = bureaus_in_reach(current_user)
    form = form or StaffCreateForm()
    form.bureau.choices = [SelectChoice(b.code, b.name, {"lang": "zh"}) for b in reach]
    users = list(db.session.scalars(
        db.select(StaffUser).join(Bureau).where(Bureau.id.in_([b.id for b in reach]))
        .order_by(Bureau.code, StaffUser.role, StaffUser.email)))
    settings = {s.role: s.totp_required for s in db.session.scalars(db.select(RoleSetting))}
    return render_template("staff/admin_staff.html", form=form, users=users, roles=list(Role),
                           role_labels=ROLE_LABELS, settings=settings,
                           reset_form=PasswordResetForm()), status


@bp.get("/admin/staff")
@admin_required
def staff_list():
    return _staff_page()


@bp.post("/admin/staff")
@admin_required
def staff_create():
    form = StaffCreateForm()
    form.bureau.choices = [SelectChoice(b.code, b.name, {"lang": "zh"})
                          for b in bureaus_in_reach(current_user)]
    if not form.validate_on_submit():
        return _staff_page(form, status=422)
    try:
        bureau = services.bureau_by_code(form.bureau.data)
        if not permissions.can_manage_staff(current_user, bureau):
            abort(403)
        services.create_staff(email=form.email.data, role=form.role.data, bureau=bureau,
                              name=form.name.data, password=form.password.data,
                              actor=current_user._get_current_object())
    except services.AccountError as exc:
        db.session.rollback()
        getattr(form, exc.field or "email").errors.append(exc.message)
        return _staff_page(form, status=422)
    db.session.commit()
    flash(_("已创建账号 %(email)s。", email=form.email.data.strip().lower()), "success")
    return redirect(url_for("staff.staff_list"))


@bp.post("/admin/staff/<int:user_id>/<op>")
@admin_required
def staff_op(user_id, op):
    user = _user_or_404(user_id)
    actor = current_user._get_current_object()
    try:
        if op == "deactivate":
            services.deactivate_staff(user, actor=actor)
            message = _("已停用 %(email)s，其登录已全部退出。", email=user.email)
        elif op == "reactivate":
            services.reactivate_staff(user, actor=actor)
            message = _("已恢复 %(email)s。", email=user.email)
        elif op == "reset":
            form = PasswordResetForm()
            services.reset_password(user, form.password.data or "", actor=actor)
            message = _("已重置 %(email)s 的密码，其登录已全部退出。", email=user.email)
        elif op == "reset-totp":
            services.disable_totp(user, actor=actor)
            message = _("已清除 %(email)s 的动态验证码。", email=user.email)
        else:
            abort(404)
    except services.AccountError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _staff_page(status=422)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("staff.staff_list"))


@bp.post("/admin/roles")
@admin_required
def role_totp():
    role = request.form.get("role", "")
    try:
        services.set_role_totp_required(role, request.form.get("required") == "1",
                                        actor=current_user._get_current_object())
    except services.AccountError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _staff_page(status=422)
    db.session.commit()
    flash(_("已保存角色设置。"), "success")
    return redirect(url_for("staff.staff_list"))


# -- routing rules -------------------------------------------------------------------

def _routing_page(errors=None, form=None, status=200):
    reach = bureaus_in_reach(current_user)
    ids = [b.id for b in reach]
    rules = list(db.session.scalars(
        db.select(RoutingRule).where(RoutingRule.bureau_id.in_(ids))
        .order_by(RoutingRule.active.desc(), RoutingRule.division_prefix, RoutingRule.id)))
    history = list(db.session.scalars(
        db.select(RoutingRuleChange).where(RoutingRuleChange.rule_id.in_([r.id for r in rules]))
        .order_by(RoutingRuleChange.id.desc()).limit(100)))
    actors = {u.id: u for u in db.session.scalars(db.select(StaffUser).where(
        StaffUser.id.in_({h.actor_id for h in history if h.actor_id})))}
    bureaus = {b.id: b for b in reach}
    return render_template("staff/admin_routing.html", rules=rules, history=history,
                           actors=actors, bureaus=bureaus, reach=reach,
                           categories=list(CATEGORIES), errors=errors or {},
                           form=form or {}), status


@bp.get("/admin/routing")
@admin_required
def routing_rules():
    return _routing_page()


@bp.post("/admin/routing")
@admin_required
def routing_add():
    bureau = db.session.get(Bureau, parse_int(request.form.get("bureau"), 0, 0))
    if bureau is not None and not permissions.in_jurisdiction(current_user, bureau):
        abort(403)
    try:
        routing.add_routing_rule(category=request.form.get("category") or None,
                                 division_prefix=request.form.get("division_prefix", ""),
                                 bureau=bureau,
                                 note=request.form.get("note"),
                                 actor=current_user._get_current_object())
    except routing.RuleError as exc:
        db.session.rollback()
        return _routing_page(exc.errors, request.form, 422)
    db.session.commit()
    flash(_("已添加分送规则。"), "success")
    return redirect(url_for("staff.routing_rules"))


@bp.post("/admin/routing/<int:rule_id>/deactivate")
@admin_required
def routing_deactivate(rule_id):
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None or not permissions.in_jurisdiction(current_user, rule.bureau):
        abort(404)
    try:
        routing.deactivate_routing_rule(rule, actor=current_user._get_current_object(),
                                        reason=request.form.get("reason") or None)
    except routing.RuleError as exc:
        db.session.rollback()
        return _routing_page(exc.errors, status=422)
    db.session.commit()
    flash(_("已停用分送规则。"), "success")
    return redirect(url_for("staff.routing_rules"))


# -- holidays ---------------------------------------------------------------------
#
# A provincial administrator keeps the days of their own province; the nationwide days
# (province "") are shown read-only here and kept with `portal calendar`.

def _admin_province() -> str:
    return work_calendar.province_key(current_user.bureau.code)


def _holiday_page(errors=None, form=None, status=200):
    this_year = today().year
    years = [(y, covered_by_chinese_calendar(y)) for y in range(this_year - 1, this_year + 3)]
    province = _admin_province()
    days = list(db.session.scalars(db.select(CalendarDay).where(
        CalendarDay.day >= dt.date(this_year - 1, 1, 1),
        CalendarDay.province.in_([work_calendar.NATIONWIDE, province]),
    ).order_by(CalendarDay.day, CalendarDay.province)))
    return render_template("staff/admin_holidays.html", years=years, days=days,
                           province=province, errors=errors or {}, form=form or {}), status


@bp.get("/admin/holidays")
@admin_required
def holidays():
    return _holiday_page()


@bp.post("/admin/holidays")
@admin_required
def holiday_add():
    try:
        work_calendar.set_calendar_day(request.form.get("day", ""),
                                        request.form.get("workday") == "1",
                                        request.form.get("name"),
                                        province=_admin_province())
    except work_calendar.CalendarError as exc:
        db.session.rollback()
        return _holiday_page(exc.errors, request.form, 422)
    db.session.commit()
    flash(_("已保存。"), "success")
    return redirect(url_for("staff.holidays"))


@bp.post("/admin/holidays/<day>/delete")
@admin_required
def holiday_delete(day):
    try:
        work_calendar.remove_calendar_day(dt.date.fromisoformat(day),
                                          province=_admin_province())
    except (ValueError, work_calendar.CalendarError):
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("已删除。"), "success")
    return redirect(url_for("staff.holidays"))


# -- wording of the public profile (issue 16) -----------------------------------------

@bp.route("/admin/texts", methods=["GET", "POST"])
@admin_required
def public_texts():
    """The "需要注意" panel's and the grade scale's wording, per language (empty: default)."""
    from ..check import texts as public

    if request.method == "POST":
        for t in public.TEXTS:
            for locale in public.LOCALES:
                value = request.form.get(f"{t.key}:{locale}", "")[:2000]
                public.set_text(t.key, locale, value, actor=current_user._get_current_object())
        db.session.commit()
        flash(_("已保存。"), "success")
        return redirect(url_for("staff.public_texts"))
    return render_template("staff/admin_texts.html", items=public.TEXTS,
                           locales=public.LOCALES, stored=public.overrides(),
                           defaults=public.defaults())
