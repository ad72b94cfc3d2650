"""Deterministic demo staff accounts.

DEMO ONLY: the passwords below are published in the README so that anyone can try the
back office of a demo installation.  Never run this against a production database.
"""

from __future__ import annotations

from ..extensions import db
from . import services

# (email, role, bureau code, name, password)
DEMO_STAFF = (
    ("admin@shanxi.demo", "admin", "140000", "省局管理员（演示）", "demo-admin-140000"),
    ("lead@taiyuan.demo", "lead", "140100", "太原市局负责人（演示）", "demo-lead-140100"),
    ("staff@taiyuan.demo", "staff", "140100", "太原市局工作人员（演示）", "demo-staff-140100"),
    ("lead@datong.demo", "lead", "140200", "大同市局负责人（演示）", "demo-lead-140200"),
    ("staff@datong.demo", "staff", "140200", "大同市局工作人员（演示）", "demo-staff-140200"),
    ("staff@xiaodian.demo", "staff", "140105", "小店区局工作人员（演示）", "demo-staff-140105"),
    # issue 14 — association measures: the association publisher (self-discipline only)
    ("association@shanxi.demo", "association", "140000", "专利代理师协会发布员（演示）",
     "demo-association-140000"),
)


def build_demo_staff() -> list[tuple[str, str, str, str]]:
    """Create (or reset to the documented password) the demo accounts; flushes.

    Returns [(email, role, bureau_code, password)].
    """
    created = []
    for email, role, code, name, password in DEMO_STAFF:
        user = services.find_staff(email)
        if user is None:
            services.create_staff(email=email, role=role, bureau=services.bureau_by_code(code),
                                  name=name, password=password)
        else:
            user.role, user.name, user.active = role, name, True
            user.bureau = services.bureau_by_code(code)
            services.reset_password(user, password)
        created.append((email, role, code, password))
    db.session.flush()
    return created


DEMO_EMAILS = tuple(row[0] for row in DEMO_STAFF)


def demo_accounts_present() -> list[str]:
    """E-mails of the demo accounts still able to sign in ([] before the tables exist)."""
    from sqlalchemy.exc import SQLAlchemyError

    from .models import StaffUser

    try:
        return list(db.session.scalars(
            db.select(StaffUser.email).where(StaffUser.email.in_(DEMO_EMAILS),
                                             StaffUser.active.is_(True))))
    except SQLAlchemyError:  # an empty database (before `portal db upgrade`)
        db.session.rollback()
        return []


def purge_demo_staff() -> int:
    """Remove the demo accounts; flushes.  An account still named in a tip's history
    (a real tip handled with a demo account) cannot be deleted: it is deactivated, its
    password made unusable and its e-mail released instead.  Returns accounts removed."""
    from sqlalchemy.exc import IntegrityError

    from .models import StaffUser

    removed = 0
    query = db.select(StaffUser).where(StaffUser.email.in_(DEMO_EMAILS))
    for user in list(db.session.scalars(query)):
        try:
            with db.session.begin_nested():
                db.session.delete(user)
        except IntegrityError:
            user = db.session.get(StaffUser, user.id)
            services.deactivate_staff(user)
            user.email = f"purged-demo-{user.id}@demo.invalid"
            user.password_hash = "!"  # no argon2 hash: never verifies
            user.totp_secret = None
        removed += 1
    db.session.flush()
    return removed
