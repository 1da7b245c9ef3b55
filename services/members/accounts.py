"""Service layer for staff accounts: argon2-hashed passwords, sign-in checks."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select

from backbone.errors import AuthenticationFailed, Conflict, NotFound
from services.members.models import StaffAccount, Village
from services.members.schemas import StaffAccountOutput

_hasher = PasswordHasher()
_out = StaffAccountOutput()
# verified against when the email is unknown, so both failures take the same time
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def create_staff_account(uow, data: dict) -> dict:
    email = data["email"].strip().lower()
    if uow.session.scalar(select(StaffAccount).where(func.lower(StaffAccount.email) == email)):
        raise Conflict("email_taken", "email")
    if data.get("village_id") and uow.session.get(Village, data["village_id"]) is None:
        raise NotFound("village", data["village_id"])
    account = StaffAccount(email=email, full_name=data["full_name"], role=data["role"],
                           village_id=data.get("village_id"),
                           password_hash=_hasher.hash(data["password"]))
    uow.session.add(account)
    uow.commit()
    return _out.dump(account)


def authenticate(uow, email: str, password: str) -> dict:
    account = uow.session.scalar(
        select(StaffAccount).where(func.lower(StaffAccount.email) == email.strip().lower()))
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerifyMismatchError, InvalidHashError):
        raise AuthenticationFailed("bad_credentials") from None
    if account is None:
        raise AuthenticationFailed("bad_credentials")
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
        uow.commit()
    return _out.dump(account)


def get_staff_account(uow, account_id: str) -> dict:
    account = uow.session.get(StaffAccount, account_id)
    if account is None:
        raise NotFound("staff_account", account_id)
    return _out.dump(account)
