"""Staff accounts: argon2 password hashes, the login check with its throttling, sessions.

Throttling, not locking: a login is never locked for everyone, because then anyone who
knows a staff member's login could keep them out. Failures are counted per (login,
address) and per address (docs/staff_console.md, tests/test_login_throttling.py):

- the same login from the same address: FREE_FAILURES wrong passwords in a row cost
  nothing (typos); each further one doubles the wait before the next try from there
  (2 s, 4 s, … up to MAX_BACKOFF). A success from there starts the count again.
- one address, whatever logins it tries: after ADDRESS_FAILURES failures within
  ADDRESS_WINDOW, it is refused until they age out (spraying many logins).

A try refused by the throttling checks no password (so guessing gains nothing) and is
not counted (so waiting is enough). The staff member at their own address is never
slowed by failures from another one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.cases.models import ROLES, LoginFailure, StaffUser

# argon2-cffi's defaults (argon2id, RFC 9106's low-memory profile), which follow the
# library's updates; check_needs_rehash moves old hashes along at the next login.
HASHER = PasswordHasher()
MIN_PASSWORD = 12
# argon2 takes any length; the cap only keeps absurd inputs from costing memory.
MAX_PASSWORD = 1024
FREE_FAILURES = 3
FIRST_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(minutes=15)
ADDRESS_FAILURES = 30
ADDRESS_WINDOW = timedelta(hours=1)
# Failures older than this are deleted: a day of backoff is long past its 15-minute cap.
FAILURE_MEMORY = timedelta(days=1)
# What of a typed login is kept (LoginFailure.login); real logins are at most 32 characters.
FAILURE_LOGIN_LENGTH = 100
LOGIN_PATTERN = re.compile(r"\A[a-z0-9][a-z0-9._-]{1,31}\Z")


class AccountError(ValueError):
    """An account change that is refused; the message is for staff, in Japanese."""


@dataclass(frozen=True)
class LoginAttempt:
    # The account when the login was right; None for every kind of failure alike.
    user: StaffUser | None
    # For the audit log only: "ok", "unknown_user", "inactive", "wrong_password", or
    # "throttled" (refused before any password was checked).
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
                     password_hash=HASHER.hash(password), active=True, created_at=now)
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


def backoff(failures: int) -> timedelta:
    """How long (login, address) waits after `failures` wrong passwords in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    # 2**32 doublings pass any sensible cap and keep the timedelta within its range.
    return min(FIRST_BACKOFF * 2 ** min(failures - FREE_FAILURES, 32), MAX_BACKOFF)


def throttled_until(session: Session, login: str, address: str, now: datetime) -> datetime | None:
    """When `login` (as cut for LoginFailure) may next be tried from `address`, or None if now."""
    failures, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.login == login, LoginFailure.address == address,
            LoginFailure.at > now - FAILURE_MEMORY)).one()
    pair_until = last + backoff(failures) if failures else None
    recent = select(LoginFailure.at).where(LoginFailure.address == address,
                                           LoginFailure.at > now - ADDRESS_WINDOW)
    # The ADDRESS_FAILURES-th newest failure: once it leaves the window, the address may try.
    oldest_counted = session.scalars(recent.order_by(LoginFailure.at.desc())
                                     .offset(ADDRESS_FAILURES - 1).limit(1)).first()
    address_until = oldest_counted + ADDRESS_WINDOW if oldest_counted else None
    until = max((t for t in (pair_until, address_until) if t is not None), default=None)
    return until if until is not None and until > now else None


def _record_failure(session: Session, login: str, address: str, now: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - FAILURE_MEMORY))
    session.add(LoginFailure(login=login, address=address, at=now))


def authenticate(session: Session, login: str, password: str, address: str | None,
                 now: datetime) -> LoginAttempt:
    """Check a login from `address` (the client's, None if unknown), throttled as the
    module says.

    Unknown and inactive accounts are refused alike and throttled alike (and the caller
    shows one message for every refusal), so the form tells nobody which logins exist.
    """
    address, key = address or "", login[:FAILURE_LOGIN_LENGTH]
    # Locks the account's row first: concurrent tries of one login are checked one after
    # another, so a burst cannot slip past the throttling together.
    user = find_user(session, login, for_update=True) if len(password) <= MAX_PASSWORD else None
    if throttled_until(session, key, address, now) is not None:
        return LoginAttempt(None, "throttled")
    if user is None or not user.active:
        _verifies(_dummy_hash(), password)
        _record_failure(session, key, address, now)
        return LoginAttempt(None, "unknown_user" if user is None else "inactive")
    if not _verifies(user.password_hash, password):
        _record_failure(session, key, address, now)
        return LoginAttempt(None, "wrong_password")
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    # A success from this address forgives its typos, not other addresses' failures.
    session.execute(delete(LoginFailure).where(LoginFailure.login == key,
                                               LoginFailure.address == address))
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
    end_sessions(user)


def deactivate(user: StaffUser) -> None:
    user.active = False
    end_sessions(user)
