"""Who is calling: staff by signed, expiring bearer tokens; partner systems by API key.

Tokens are signed with GATEWAY_SECRET (itsdangerous) and last GATEWAY_TOKEN_TTL seconds
(default 8 h, a day at the counter). Passwords are checked by the members service (argon2),
API keys by the partners service (stored hashed).

A token can be ended before it expires: it carries its own id and the account's session version
at issue. The members service keeps each account's version (raised by a password change or reset
and by disabling the account) and the ids of signed-out tokens; the gateway checks every staff
token against them, asking members at most every GATEWAY_SESSION_CHECK_SECONDS (default 60) per
account, so an ended session stops within that time on every gateway replica (at once on the one
that ended it). While members does not answer, the last state seen is used (or, never seen, the
signature alone): staff keep working through a members outage."""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from nameko.exceptions import MethodNotFound, RemoteError

from backbone import config
from backbone.errors import InvalidInput, NotFound, ServiceUnavailable
from gateway.errors import HttpError

log = logging.getLogger("maillage.gateway.auth")


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff" or "partner"
    id: str
    role: str  # coordinator | concierge | partner
    village_id: str | None = None
    name: str | None = None
    token_id: str | None = None  # staff: this token's id (signing out ends it)
    session_version: int = 0  # staff: the account's session version when it was issued
    issued_at: float | None = None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "role": self.role,
            "village_id": self.village_id,
            "name": self.name,
        }

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp((self.issued_at or time.time()) + token_ttl(), UTC)


def token_ttl() -> int:
    return config.value("GATEWAY_TOKEN_TTL")


def session_check_seconds() -> float:
    return config.value("GATEWAY_SESSION_CHECK_SECONDS")


def _secret() -> str:
    secret = config.value("GATEWAY_SECRET")
    if secret:
        return secret
    path = (
        config.data_dir() / "gateway-secret"
    )  # local runs: one generated secret, kept across restarts
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def check_secret() -> None:
    """Raises unless the token signing key is there to be used (the gateway's readiness)."""
    if not _secret():
        raise ValueError("GATEWAY_SECRET is empty")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(), salt="maillage-staff-token")


def issue_token(account: dict) -> str:
    return _serializer().dumps(
        {
            "sub": account["id"],
            "role": account["role"],
            "village_id": account.get("village_id"),
            "name": account.get("full_name"),
            "sv": int(account.get("session_version") or 0),
            "jti": secrets.token_urlsafe(16),
        }
    )


def principal_from_token(token: str, members_rpc=None) -> Principal:
    """The caller a token names; with `members_rpc`, also refused (401 token_revoked) when its
    session was ended."""
    try:
        claims, issued = _serializer().loads(token, max_age=token_ttl(), return_timestamp=True)
    except SignatureExpired:
        raise HttpError(401, "token_expired") from None
    except BadSignature:
        raise HttpError(401, "token_invalid") from None
    principal = Principal(
        "staff",
        claims["sub"],
        claims["role"],
        claims.get("village_id"),
        claims.get("name"),
        claims.get("jti"),
        int(claims.get("sv") or 0),
        issued.timestamp(),
    )
    if members_rpc is not None:
        check_session(principal, members_rpc)
    return principal


# account id -> (monotonic time asked, state from members.staff_session_state)
_states: dict[str, tuple[float, dict]] = {}
_MAX_STATES = 20000


def _state(account_id: str, members_rpc) -> dict | None:
    seen = _states.get(account_id)
    if seen and time.monotonic() - seen[0] < session_check_seconds():
        return seen[1]
    try:
        state = members_rpc.staff_session_state(account_id)
    except NotFound:
        state = {"active": False, "session_version": -1, "revoked": []}
    except (ServiceUnavailable, RemoteError, MethodNotFound) as exc:
        log.warning("staff session of %s not checked (members did not answer: %s)", account_id, exc)
        return seen[1] if seen else None
    if len(_states) >= _MAX_STATES:
        _states.clear()
    _states[account_id] = (time.monotonic(), state)
    return state


def forget_session_state(account_id: str) -> None:
    """This gateway changed the account's sessions: ask members again at the next request."""
    _states.pop(account_id, None)


def check_session(principal: Principal, members_rpc) -> None:
    state = _state(principal.id, members_rpc)
    if state is None:
        return
    if (
        not state["active"]
        or principal.session_version != state["session_version"]
        or principal.token_id in state["revoked"]
    ):
        raise HttpError(401, "token_revoked")


def _trusted_proxies() -> list:
    return [ipaddress.ip_network(n, strict=False) for n in config.value("GATEWAY_TRUSTED_PROXIES")]


def client_address(request) -> str | None:
    """The caller's address: the connection's, or, when it comes from a reverse proxy listed in
    GATEWAY_TRUSTED_PROXIES, the last address that proxy saw (X-Forwarded-For's rightmost entry)."""
    remote = request.remote_addr
    forwarded = [
        part.strip()
        for part in request.headers.get("X-Forwarded-For", "").split(",")
        if part.strip()
    ]
    try:
        if (
            forwarded
            and remote
            and any(ipaddress.ip_address(remote) in net for net in _trusted_proxies())
        ):
            return forwarded[-1][:100]
    except ValueError:
        pass
    return remote


def authenticate(request, partners_rpc, members_rpc=None) -> Principal:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return principal_from_token(header[len("Bearer ") :].strip(), members_rpc)
    api_key = request.headers.get("X-API-Key")
    if api_key:
        try:
            partner = partners_rpc.authenticate_api_key(api_key)
        except InvalidInput:
            raise HttpError(401, "bad_api_key") from None
        return Principal("partner", partner["id"], "partner", None, partner["name"])
    raise HttpError(401, "authentication_required")
