"""Staff accounts: creation, passwords, lockout, TOTP.  Services flush, never commit."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
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
from .models import LoginThrottle, Role, RoleSetting, StaffUser

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


def end_all_sessions(user: StaffUser) -> None:
    """Sign-out: bump the session generation, so no copy of any of the user's session
    cookies opens a page again (portal.auth.sessions)."""
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


def reactivate_staff(user: StaffUser, *, actor: StaffUser | None = None) -> None:
    user.active = True
    clear_failures(user.email)


def reset_password(user: StaffUser, new_password: str, *, actor: StaffUser | None = None) -> None:
    """Set a new password (administrator or CLI); every session of the user ends."""
    check_password_policy(new_password)
    user.password_hash = hash_password(new_password)
    user.session_version = (user.session_version or 1) + 1
    clear_failures(user.email)
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
#
# Two counters per e-mail address typed (an existing account or not: the answers are
# the same either way, so they do not reveal which addresses have accounts):
# - the *pair* counter (e-mail + client address) locks that address out of that e-mail
#   for LOGIN_LOCK_MINUTES after LOGIN_MAX_FAILURES failures: an outsider only ever
#   locks themselves out;
# - the *account* counter (e-mail, any address) slows guessing down after
#   LOGIN_MAX_FAILURES failures: each further attempt must wait 2**(n - max) seconds
#   (at most LOGIN_SLOWDOWN_MAX_SECONDS) after the last failure.  A browser that signed
#   in to the account before (the signed device cookie) is exempt, so the slow-down an
#   outsider causes does not keep the account's owner out.

def _max_failures() -> int:
    return int(current_app.config["LOGIN_MAX_FAILURES"])


def _lock_minutes() -> int:
    return int(current_app.config["LOGIN_LOCK_MINUTES"])


def _throttle_key(kind: str, email: str, address: str = "") -> str:
    text = f"{kind}\x00{(email or '').strip().lower()}\x00{address}"
    return hashlib.sha256(text.encode()).hexdigest()


def _throttle_rows(email: str, address: str) -> tuple[LoginThrottle | None, LoginThrottle | None]:
    return (db.session.get(LoginThrottle, _throttle_key("account", email)),
            db.session.get(LoginThrottle, _throttle_key("pair", email, address)))


def slowdown_seconds(failures: int) -> int:
    """Seconds the account slow-down imposes after ``failures`` failures from anywhere."""
    over = failures - _max_failures()
    if over < 0:
        return 0
    return min(2 ** min(over, 20), int(current_app.config["LOGIN_SLOWDOWN_MAX_SECONDS"]))


def check_throttle(email: str, address: str, *, trusted_device: bool = False,
                   now: dt.datetime | None = None) -> None:
    """Raise AccountError when this address is locked out of this e-mail, or when the
    account slow-down says to wait (not for a trusted device)."""
    now = now or utcnow()
    account, pair = _throttle_rows(email, address)
    if pair is not None and pair.locked_until is not None and pair.locked_until > now:
        raise AccountError(_("尝试次数过多，请 %(n)d 分钟后再试。", n=_lock_minutes()))
    if account is None or trusted_device:
        return
    wait_until = account.last_failure_at + dt.timedelta(seconds=slowdown_seconds(account.failures))
    if wait_until > now:
        seconds = max(1, int((wait_until - now).total_seconds() + 0.999))
        raise AccountError(_("尝试过于频繁，请 %(n)d 秒后再试。", n=seconds))


# Failures older than this (and expired locks) are forgotten: counters start again.
FORGET_FAILURES_AFTER = dt.timedelta(days=1)


def register_failure(email: str, address: str, now: dt.datetime | None = None) -> bool:
    """Count a failed password or code for the e-mail and for the pair; True when the
    pair is now locked.  Also drops stale counters, so the table stays small."""
    now = now or utcnow()
    db.session.execute(db.delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - FORGET_FAILURES_AFTER,
        db.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))
    account, pair = _throttle_rows(email, address)
    if account is None:
        account = LoginThrottle(key=_throttle_key("account", email), failures=0)
        db.session.add(account)
    if pair is None:
        pair = LoginThrottle(key=_throttle_key("pair", email, address), failures=0)
        db.session.add(pair)
    for row in (account, pair):
        row.failures = (row.failures or 0) + 1
        row.last_failure_at = now
    locked = pair.failures >= _max_failures()
    if locked:
        pair.locked_until = now + dt.timedelta(minutes=_lock_minutes())
        pair.failures = 0
    db.session.flush()
    return locked


def clear_failures(email: str, address: str | None = None) -> None:
    """A successful sign-in (or a password reset) clears the account counter and, with
    ``address``, that pair's."""
    keys = [_throttle_key("account", email)]
    if address is not None:
        keys.append(_throttle_key("pair", email, address))
    db.session.execute(db.delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    db.session.flush()


def authenticate(email: str, password: str, address: str, *,
                 trusted_device: bool = False) -> StaffUser:
    """Check e-mail and password, counting failures; raise AccountError.

    Every wrong e-mail, wrong password and inactive account gets the same message;
    throttling answers the same for existing and unknown e-mail addresses.
    """
    generic = _("电子邮箱或密码不正确。")
    user = find_staff(email)
    check_throttle(email, address, trusted_device=trusted_device)
    if not verify_password(user, password) or user is None or not user.active:
        register_failure(email, address)
        raise AccountError(generic)
    return user


def totp_failure(user: StaffUser, address: str) -> bool:
    """A wrong sign-in code counts like a wrong password; True when now locked out."""
    return register_failure(user.email, address)


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


def change_totp(user: StaffUser, *, password: str, secret: str, code: str,
                current_code: str | None = None) -> None:
    """Enrol (or replace) the user's TOTP secret from their own session: needs the
    password and, when a secret is already set, a current code of that secret, so that
    a borrowed or stolen session cannot move the second factor to another device.
    Changing it ends the user's other sessions."""
    if not verify_password(user, password):
        raise AccountError(_("当前密码不正确。"), "password")
    if user.totp_secret and not verify_totp(user, current_code or ""):
        raise AccountError(_("原动态验证码不正确。"), "current_code")
    enrol_totp(user, secret, code)
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


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
