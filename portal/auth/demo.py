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
