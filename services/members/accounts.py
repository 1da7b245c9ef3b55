"""Service layer for staff accounts: argon2-hashed passwords (services/members/passwords.py, off the
event loop), sign-in checks throttled per e-mail and per client address (sign_in_throttle.py), and
what ends sessions: a token is issued under the account's `session_version`; changing or resetting
the password and disabling the account raise it; signing out records the token's id."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from backbone.clock import utcnow
from backbone.errors import AuthenticationFailed, Conflict, NotFound, TooManyAttempts
from backbone.paging import windowed
from services.members import notices, sign_in_throttle
from services.members.models import RevokedSession, StaffAccount, Village
from services.members.passwords import (
    DUMMY_HASH,
    HashingBusy,
    hash_password,
    needs_rehash,
    verify_password,
)
from services.members.schemas import StaffAccountOutput

_out = StaffAccountOutput()
RESET_CODE_LIFETIME = timedelta(hours=24)
SETUP_LINK_LIFETIME = timedelta(days=7)  # a new account's link: the person may be away a few days


def _by_email(uow, email: str):
    return uow.session.scalar(
        select(StaffAccount).where(func.lower(StaffAccount.email) == email.strip().lower())
    )


def _get(uow, account_id: str) -> StaffAccount:
    account = uow.session.get(StaffAccount, account_id)
    if account is None:
        raise NotFound("staff_account", account_id)
    return account


def _signed_in(account: StaffAccount) -> dict:
    """The account, with the session version the gateway writes into the token."""
    return {**_out.dump(account), "session_version": account.session_version}


def create_staff_account(uow, data: dict) -> dict:
    email = data["email"].strip().lower()
    if uow.session.scalar(select(StaffAccount).where(func.lower(StaffAccount.email) == email)):
        raise Conflict("email_taken", "email")
    if data.get("village_id") and uow.session.get(Village, data["village_id"]) is None:
        raise NotFound("village", data["village_id"])
    account = StaffAccount(
        email=email,
        full_name=data["full_name"],
        role=data["role"],
        village_id=data.get("village_id"),
        session_version=0,
        # without a password, one nobody knows: the e-mailed link is the way in
        password_hash=hash_password(data.get("password") or secrets.token_urlsafe(32)),
    )
    uow.session.add(account)
    uow.session.flush()
    # the person chooses their own password from the e-mail's link
    code = _issue_code(account, SETUP_LINK_LIFETIME)
    notices.record_staff_link(uow, account, "staff.account_created", code, account.reset_expires_at)
    uow.commit()
    return _out.dump(account)


def authenticate(uow, email: str, password: str, client_address: str | None = None) -> dict:
    """The account, when the password is right and the account active. Refused the same way
    whether or not the e-mail has an account: a wrong password (401), or too many recent failures
    of this e-mail or this address (429 with the wait, the password not even checked)."""
    keys = sign_in_throttle.keys_for(email, client_address)
    sign_in_throttle.refuse_if_locked(uow, keys)
    account = _by_email(uow, email)
    try:
        right = verify_password(
            account.password_hash if account else DUMMY_HASH, password, shed=True
        )
    except HashingBusy:  # more sign-ins than the CPU checks: this one is told to come back
        raise TooManyAttempts(1) from None
    if not right or account is None:
        sign_in_throttle.record_failure(uow, keys)
        uow.commit()
        raise AuthenticationFailed("bad_credentials")
    if account.disabled_at is not None:
        raise AuthenticationFailed("bad_credentials")
    sign_in_throttle.forget(uow, keys[0])
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    uow.commit()
    return _signed_in(account)


def get_staff_account(uow, account_id: str) -> dict:
    return _out.dump(_get(uow, account_id))


def list_staff_accounts(uow, window: dict | None = None) -> list[dict]:
    accounts = uow.session.scalars(
        windowed(
            select(StaffAccount).order_by(StaffAccount.role, StaffAccount.email),
            window,
            StaffAccount.id,
        )
    ).all()
    return [_out.dump(account) for account in accounts]


def session_state(uow, account_id: str) -> dict:
    """What the gateway checks a token against (and caches for at most a minute)."""
    account = _get(uow, account_id)
    revoked = uow.session.scalars(
        select(RevokedSession.token_id).where(
            RevokedSession.account_id == account_id, RevokedSession.expires_at > utcnow()
        )
    ).all()
    return {
        "active": account.disabled_at is None,
        "session_version": account.session_version,
        "revoked": sorted(revoked),
    }


def end_session(uow, account_id: str, token_id: str, expires_at: datetime) -> None:
    """Signing out: this token is refused from now on (the account's other sessions go on)."""
    _get(uow, account_id)
    uow.session.execute(delete(RevokedSession).where(RevokedSession.expires_at <= utcnow()))
    uow.session.execute(
        uow.insert(RevokedSession)
        .values(token_id=token_id, account_id=account_id, expires_at=expires_at)
        .on_conflict_do_nothing()
    )
    uow.commit()


def change_password(uow, account_id: str, current: str, new: str) -> dict:
    """The account's own change, with its current password: every session of the account ends
    (the gateway gives the caller a new token)."""
    account = _get(uow, account_id)
    # the caller is signed in: guesses at the current password count against the account only
    keys = sign_in_throttle.keys_for(account.email, None)
    sign_in_throttle.refuse_if_locked(uow, keys)
    if not verify_password(account.password_hash, current):
        sign_in_throttle.record_failure(uow, keys)
        uow.commit()
        raise AuthenticationFailed("bad_current_password")
    _set_password(account, new)
    uow.commit()
    return _signed_in(account)


def _set_password(account: StaffAccount, password: str) -> None:
    account.password_hash = hash_password(password)
    account.session_version += 1
    account.reset_code_hash = None
    account.reset_expires_at = None


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _issue_code(account: StaffAccount, lifetime: timedelta) -> str:
    """A one-time code (kept hashed) with which the account's owner chooses a password; it
    replaces any earlier one."""
    code = secrets.token_urlsafe(24)
    account.reset_code_hash = _code_hash(code)
    account.reset_expires_at = utcnow() + lifetime
    return code


def start_password_reset(uow, account_id: str) -> dict:
    """A coordinator's reset: the account's sessions end and a one-time code (shown once, kept
    hashed, valid 24 h) lets its owner choose a new password; the owner also receives it by
    e-mail, as a link to the console's page (notices.record_staff_link)."""
    account = _get(uow, account_id)
    code = _issue_code(account, RESET_CODE_LIFETIME)
    account.session_version += 1
    notices.record_staff_link(uow, account, "staff.password_reset", code, account.reset_expires_at)
    uow.commit()
    return {
        "account": _out.dump(account),
        "reset_code": code,
        "expires_at": account.reset_expires_at.isoformat(),
    }


def complete_password_reset(
    uow, email: str, code: str, new: str, client_address: str | None = None
) -> dict:
    keys = sign_in_throttle.keys_for(email, client_address)
    sign_in_throttle.refuse_if_locked(uow, keys)
    account = _by_email(uow, email)
    expected = (
        account.reset_code_hash if account is not None and account.reset_code_hash else "0" * 64
    )
    valid = (
        hmac.compare_digest(expected, _code_hash(code))
        and account is not None
        and account.reset_expires_at is not None
        and account.reset_expires_at > utcnow()
    )
    if not valid:
        sign_in_throttle.record_failure(uow, keys)
        uow.commit()
        raise AuthenticationFailed("bad_reset_code")
    _set_password(account, new)
    uow.commit()
    return _out.dump(account)


def set_disabled(uow, account_id: str, disabled: bool, acting_account_id: str | None) -> dict:
    """Coordinator only (gateway): a disabled account cannot sign in and its sessions end."""
    account = _get(uow, account_id)
    if disabled and account_id == acting_account_id:
        raise Conflict("cannot_disable_self")
    if disabled and account.disabled_at is None:
        account.disabled_at = utcnow()
        account.session_version += 1
    elif not disabled:
        account.disabled_at = None
    uow.commit()
    return _out.dump(account)
