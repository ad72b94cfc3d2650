"""Staff accounts: creation, passwords, lockout, TOTP.  Services flush, never commit."""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from ..errors import PortalError
from ..extensions import db
from ..i18n import gettext_anywhere as _
from ..register.divisions import PROVINCE
from ..register.models import Bureau
from ..timeutil import utcnow
from .models import Role, RoleSetting, StaffUser

PASSWORD_MIN_LENGTH = 12
TOTP_ISSUER = "蓝天监管平台"

_hasher = PasswordHasher()
# A valid hash of a random string: verifying against it keeps the timing of an
# unknown e-mail address close to that of a wrong password.
_DUMMY_HASH = _hasher.hash("dummy-password-for-timing-only")


class AccountError(PortalError):
    """A request about an account that cannot be honoured; the message is for the user.
    ``field`` names the form field it concerns (also the key of ``errors``), if any."""

    status = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, errors={field: message} if field else None)
        self.field = field


# -- passwords ---------------------------------------------------------------

def check_password_policy(password: str) -> None:
    if password is None or len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(_("密码至少需要 %(n)d 个字符。", n=PASSWORD_MIN_LENGTH), "password")
    if len(password) > 256:
        raise AccountError(_("密码过长（最多 256 个字符）。"), "password")
    if len(set(password)) < 4:
        raise AccountError(_("密码过于简单，请使用更多不同的字符。"), "password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: StaffUser | None, password: str) -> bool:
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password or "")
        return False
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def _normalize_email(email: str) -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False,
                              globally_deliverable=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(_("电子邮箱地址无效。"), "email") from exc


# -- accounts ----------------------------------------------------------------

def find_staff(email: str) -> StaffUser | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return db.session.scalar(db.select(StaffUser).where(StaffUser.email == email))


def bureau_by_code(code: str) -> Bureau:
    bureau = db.session.scalar(db.select(Bureau).where(Bureau.code == (code or "").strip()))
    if bureau is None:
        raise AccountError(_("没有代码为 %(code)s 的机关。", code=code), "bureau")
    return bureau


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AccountError(_("角色无效。"), "role") from None


def create_staff(*, email: str, role: str, bureau: Bureau, password: str,
                 name: str | None = None, actor: StaffUser | None = None) -> StaffUser:
    email = _normalize_email(email)
    role = _role(role)
    if role == Role.ADMIN and bureau.level != PROVINCE:
        raise AccountError(_("省级管理员只能属于省级机关。"), "role")
    if find_staff(email) is not None:
        raise AccountError(_("该电子邮箱已有账号。"), "email")
    check_password_policy(password)
    user = StaffUser(
        email=email,
        name=(name or "").strip()[:60] or email.split("@")[0],
        role=role,
        bureau=bureau,
        password_hash=hash_password(password),
        active=True,
        session_version=1,
        failed_logins=0,
    )
    db.session.add(user)
    db.session.flush()
    return user


def deactivate_staff(user: StaffUser, *, actor: StaffUser | None = None) -> None:
    if actor is not None and actor.id == user.id:
        raise AccountError(_("不能停用自己的账号。"))
    user.active = False
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


def reactivate_staff(user: StaffUser, *, actor: StaffUser | None = None) -> None:
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()


def reset_password(user: StaffUser, new_password: str, *, actor: StaffUser | None = None) -> None:
    """Set a new password (administrator or CLI); every session of the user ends."""
    check_password_policy(new_password)
    user.password_hash = hash_password(new_password)
    user.session_version = (user.session_version or 1) + 1
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()


def change_password(user: StaffUser, old_password: str, new_password: str) -> None:
    """The user changes their own password; every session (this one too) ends."""
    if not verify_password(user, old_password):
        raise AccountError(_("当前密码不正确。"), "old_password")
    if old_password == new_password:
        raise AccountError(_("新密码不能与当前密码相同。"), "new_password")
    try:
        check_password_policy(new_password)
    except AccountError as exc:
        raise AccountError(exc.message, "new_password") from exc
    user.password_hash = hash_password(new_password)
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


# -- sign-in, throttling, lockout -------------------------------------------

def _max_failures() -> int:
    return int(current_app.config["LOGIN_MAX_FAILURES"])


def _lock_minutes() -> int:
    return int(current_app.config["LOGIN_LOCK_MINUTES"])


def is_locked(user: StaffUser, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return user.locked_until is not None and user.locked_until > now


def register_failure(user: StaffUser, now: dt.datetime | None = None) -> bool:
    """Count a failed password or code; lock the account at the limit.  True if now locked."""
    now = now or utcnow()
    user.failed_logins = (user.failed_logins or 0) + 1
    locked = user.failed_logins >= _max_failures()
    if locked:
        user.locked_until = now + dt.timedelta(minutes=_lock_minutes())
        user.failed_logins = 0
    db.session.flush()
    return locked


def authenticate(email: str, password: str) -> StaffUser:
    """Check e-mail and password, counting failures; raise AccountError with a generic message.

    After ``LOGIN_MAX_FAILURES`` consecutive failures the account is locked for
    ``LOGIN_LOCK_MINUTES`` minutes; while locked even the right password is refused.
    """
    generic = _("电子邮箱或密码不正确。")
    user = find_staff(email)
    now = utcnow()
    if user is not None and is_locked(user, now):
        verify_password(None, password)
        raise AccountError(_("连续登录失败次数过多，账号已临时锁定，请 %(n)d 分钟后再试。",
                             n=_lock_minutes()))
    if not verify_password(user, password) or user is None:
        if user is not None:
            register_failure(user, now)
        raise AccountError(generic)
    if not user.active:
        raise AccountError(generic)
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    return user


def record_login(user: StaffUser) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


# -- TOTP --------------------------------------------------------------------

def totp_required_for(user: StaffUser) -> bool:
    setting = db.session.get(RoleSetting, user.role)
    return bool(setting and setting.totp_required)


def needs_totp_enrolment(user: StaffUser) -> bool:
    return totp_required_for(user) and not user.totp_secret


def set_role_totp_required(role: str, required: bool, *, actor: StaffUser | None = None) -> None:
    role = _role(role)
    setting = db.session.get(RoleSetting, role) or RoleSetting(role=role)
    setting.totp_required = bool(required)
    db.session.add(setting)
    db.session.flush()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: StaffUser, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def _matching_step(secret: str, code: str) -> int | None:
    """The TOTP time step (30 s) that ``code`` belongs to, within one step of now, or None."""
    code = (code or "").strip().replace(" ", "")
    if not secret or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = dt.datetime.now(dt.UTC)
    for offset in (0, -1, 1):
        moment = now + dt.timedelta(seconds=offset * totp.interval)
        if hmac.compare_digest(totp.at(moment), code):
            return totp.timecode(moment)
    return None


def enrol_totp(user: StaffUser, secret: str, code: str) -> None:
    step = _matching_step(secret, code)
    if step is None:
        raise AccountError(_("验证码不正确，请核对设备时间后重试。"), "code")
    user.totp_secret = secret
    user.totp_last_step = step
    db.session.flush()


def verify_totp(user: StaffUser, code: str) -> bool:
    """Check a sign-in code; a code already used (same or earlier time step) is refused."""
    step = _matching_step(user.totp_secret or "", code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    db.session.flush()
    return True


def disable_totp(user: StaffUser, *, actor: StaffUser | None = None) -> None:
    user.totp_secret = None
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()
