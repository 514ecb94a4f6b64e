"""Staff accounts: argon2 password hashes, the login check with its lock-out, sessions."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.models import ROLES, StaffUser

# argon2-cffi's defaults (argon2id, RFC 9106's low-memory profile), which follow the
# library's updates; check_needs_rehash moves old hashes along at the next login.
HASHER = PasswordHasher()
MIN_PASSWORD = 12
# argon2 takes any length; the cap only keeps absurd inputs from costing memory.
MAX_PASSWORD = 1024
LOCKOUT_FAILURES = 5
LOCKOUT_PERIOD = timedelta(minutes=15)
LOGIN_PATTERN = re.compile(r"\A[a-z0-9][a-z0-9._-]{1,31}\Z")


class AccountError(ValueError):
    """An account change that is refused; the message is for staff, in Japanese."""


@dataclass(frozen=True)
class LoginAttempt:
    # The account when the login was right; None for every kind of failure alike.
    user: StaffUser | None
    # For the audit log only: "ok", "unknown_user", "inactive", "locked", "wrong_password",
    # or "locked_out" (the wrong password that locked the account).
    outcome: str


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"パスワードは{MIN_PASSWORD}文字以上にしてください。")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"パスワードは{MAX_PASSWORD}文字以内にしてください。")


def find_user(session: Session, login: str, for_update: bool = False) -> StaffUser | None:
    query = select(StaffUser).where(StaffUser.login == login)
    if for_update:
        # Concurrent failed logins must each count: PostgreSQL locks the row
        # (SQLite's BEGIN IMMEDIATE already serializes writers).
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def create_user(session: Session, login: str, display_name: str, role: str, password: str,
                now: datetime) -> StaffUser:
    if not LOGIN_PATTERN.match(login):
        raise AccountError("ログイン名は英小文字・数字・「.」「_」「-」の2〜32文字にしてください。")
    if role not in ROLES:
        raise AccountError("役割は staff か admin です。")
    if not display_name.strip():
        raise AccountError("表示名を入力してください。")
    check_password(password)
    if find_user(session, login) is not None:
        raise AccountError("そのログイン名はすでに使われています。")
    user = StaffUser(login=login, display_name=display_name.strip(), role=role,
                     password_hash=HASHER.hash(password), active=True, failed_logins=0,
                     created_at=now)
    session.add(user)
    session.flush()
    return user


@lru_cache(maxsize=None)
def _dummy_hash() -> str:
    """Verified against when there is no usable account, so failures all take as long."""
    return HASHER.hash(secrets.token_urlsafe(16))


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, login: str, password: str, now: datetime) -> LoginAttempt:
    """Check a login; five wrong passwords in a row lock the account for 15 minutes.

    Unknown, inactive and locked accounts are refused alike (and the caller shows one
    message for all), so the form tells nobody which logins exist.
    """
    user = find_user(session, login, for_update=True) if len(password) <= MAX_PASSWORD else None
    if user is None or not user.active or (user.locked_until and user.locked_until > now):
        _verifies(_dummy_hash(), password)
        outcome = "unknown_user" if user is None else "inactive" if not user.active else "locked"
        return LoginAttempt(None, outcome)
    if not _verifies(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins < LOCKOUT_FAILURES:
            return LoginAttempt(None, "wrong_password")
        user.locked_until = now + LOCKOUT_PERIOD
        user.failed_logins = 0
        return LoginAttempt(None, "locked_out")
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    user.session_nonce = secrets.token_urlsafe(32)
    return LoginAttempt(user, "ok")


def session_is_current(user: StaffUser | None, nonce: str | None) -> bool:
    """Whether a session cookie carrying `nonce` still belongs to a live login of `user`."""
    return bool(user is not None and user.active and user.session_nonce and nonce
                and secrets.compare_digest(user.session_nonce, nonce))


def end_sessions(user: StaffUser) -> None:
    user.session_nonce = None


def set_password(user: StaffUser, password: str) -> None:
    check_password(password)
    user.password_hash = HASHER.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)


def deactivate(user: StaffUser) -> None:
    user.active = False
    end_sessions(user)
