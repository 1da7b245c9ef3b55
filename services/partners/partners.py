"""Service layer for partners and their API keys."""
import hashlib
import hmac
import secrets

from sqlalchemy import select

from backbone.errors import AuthenticationFailed, InvalidInput, NotFound
from backbone.tables import utcnow
from services.partners.models import ApiKey, KnownVillage, Partner, PartnerVillage
from services.partners.schemas import PartnerOutput


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _dump(partner, village_ids) -> dict:
    return PartnerOutput().dump({**{c: getattr(partner, c) for c in ("id", "name", "kind", "created_at")},
                                 "village_ids": village_ids})


def register_partner(uow, data: dict) -> dict:
    """Create a partner, announce it (`partner.joined`) and issue its first API key (shown once)."""
    unknown = [v for v in data["village_ids"] if uow.session.get(KnownVillage, v) is None]
    if unknown:
        raise InvalidInput({"village_ids": [f"Unknown village: {v}." for v in unknown]})
    partner = Partner(name=data["name"], kind=data["kind"])
    uow.session.add(partner)
    uow.session.flush()
    for village_id in data["village_ids"]:
        uow.session.add(PartnerVillage(partner_id=partner.id, village_id=village_id))
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    uow.session.add(ApiKey(id=key_id, partner_id=partner.id, secret_hash=_hash(secret)))
    uow.record_event("partner.joined", {"partner_id": partner.id, "name": partner.name,
                                        "kind": partner.kind, "village_ids": data["village_ids"]},
                     village_id=None)
    uow.commit()
    return {"partner": _dump(partner, data["village_ids"]), "api_key": f"mlg_{key_id}_{secret}"}


def authenticate_api_key(uow, api_key: str) -> dict:
    _prefix, key_id, secret = api_key.split("_", 2)
    key = uow.session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        raise AuthenticationFailed("bad_api_key")
    return get_partner(uow, key.partner_id)


def get_partner(uow, partner_id: str) -> dict:
    partner = uow.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("partner", partner_id)
    village_ids = uow.session.scalars(
        select(PartnerVillage.village_id).where(PartnerVillage.partner_id == partner_id)).all()
    return _dump(partner, list(village_ids))


def revoke_api_keys(uow, partner_id: str) -> int:
    keys = uow.session.scalars(select(ApiKey).where(ApiKey.partner_id == partner_id,
                                                    ApiKey.revoked_at.is_(None))).all()
    for key in keys:
        key.revoked_at = utcnow()
    uow.commit()
    return len(keys)


def list_partners(uow) -> list[dict]:
    ids = uow.session.scalars(select(Partner.id).order_by(Partner.name)).all()
    return [get_partner(uow, partner_id) for partner_id in ids]
