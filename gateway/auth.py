"""Who is calling: staff by signed, expiring bearer tokens; partner systems by API key.

Tokens are signed with GATEWAY_SECRET (itsdangerous) and last GATEWAY_TOKEN_TTL seconds
(default 8 h, a day at the counter). Passwords are checked by the members service (argon2),
API keys by the partners service (stored hashed)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backbone import config
from backbone.errors import InvalidInput
from gateway.errors import HttpError

STAFF_ROLES = ("coordinator", "concierge")


@dataclass(frozen=True)
class Principal:
    kind: str                 # "staff" or "partner"
    id: str
    role: str                 # coordinator | concierge | partner
    village_id: str | None = None
    name: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id, "role": self.role, "village_id": self.village_id,
                "name": self.name}


def token_ttl() -> int:
    return int(os.environ.get("GATEWAY_TOKEN_TTL", str(8 * 3600)))


def _secret() -> str:
    secret = os.environ.get("GATEWAY_SECRET")
    if secret:
        return secret
    path = config.data_dir() / "gateway-secret"  # local runs: one generated secret, kept across restarts
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(), salt="maillage-staff-token")


def issue_token(account: dict) -> str:
    return _serializer().dumps({"sub": account["id"], "role": account["role"],
                                "village_id": account.get("village_id"), "name": account.get("full_name")})


def principal_from_token(token: str) -> Principal:
    try:
        claims = _serializer().loads(token, max_age=token_ttl())
    except SignatureExpired:
        raise HttpError(401, "token_expired") from None
    except BadSignature:
        raise HttpError(401, "token_invalid") from None
    return Principal("staff", claims["sub"], claims["role"], claims.get("village_id"), claims.get("name"))


def authenticate(request, partners_rpc) -> Principal:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return principal_from_token(header[len("Bearer "):].strip())
    api_key = request.headers.get("X-API-Key")
    if api_key:
        try:
            partner = partners_rpc.authenticate_api_key(api_key)
        except InvalidInput:
            raise HttpError(401, "bad_api_key") from None
        return Principal("partner", partner["id"], "partner", None, partner["name"])
    raise HttpError(401, "authentication_required")
