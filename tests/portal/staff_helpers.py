"""Helpers shared by the back-office tests (accounts, sign-in)."""

from __future__ import annotations

from portal.auth import services
from portal.extensions import db
from portal.register.models import Bureau

PASSWORD = "correct horse battery staple"


def bureau(code: str) -> Bureau:
    return db.session.scalar(db.select(Bureau).where(Bureau.code == code))


def make_staff(code: str, role: str = "staff", email: str | None = None,
               password: str = PASSWORD):
    email = email or f"{role}.{code}@example.org"
    user = services.create_staff(email=email, role=role, bureau=bureau(code),
                                 password=password, name=f"{role}-{code}")
    db.session.commit()
    return user


def login(client, email: str, password: str = PASSWORD, follow=False):
    return client.post("/staff/login", data={"email": email, "password": password},
                       follow_redirects=follow)
