"""Staff test data: accounts and signing in."""

from __future__ import annotations

import functools
import itertools

from portal.auth.models import StaffUser
from portal.auth.services import hash_password
from portal.extensions import db

from .register import bureau

PASSWORD = "correct horse battery staple"

_seq = itertools.count(1)


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)  # hashing is slow on purpose: once per password


def make_staff(code: str, role: str = "staff", *, email: str | None = None,
               password: str = PASSWORD) -> StaffUser:
    """An active account of the bureau ``code`` (committed); e-mail unique unless given."""
    n = next(_seq)
    user = StaffUser(email=email or f"{role}{n}.{code}@example.org",
                     name=f"{role}-{code}-{n}", role=role, bureau=bureau(code),
                     password_hash=_password_hash(password), active=True)
    db.session.add(user)
    db.session.commit()
    return user


def login(client, email: str, password: str = PASSWORD, follow: bool = False):
    return client.post("/staff/login", data={"email": email, "password": password},
                       follow_redirects=follow)
