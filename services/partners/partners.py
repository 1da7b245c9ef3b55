"""Service layer for partners and their API keys.

A partner serves the villages listed for it (none: the whole network); its scope follows (village,
cluster, network). A *shared supplier* is a partner with the relationship `supplier` serving more
than one village (a cluster, or the whole network)."""

import hashlib
import hmac
import secrets

from sqlalchemy import exists, or_, select

from backbone.clock import paris_today, utcnow
from backbone.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from services.partners import commission
from services.partners.models import (
    ApiKey,
    KnownVillage,
    Partner,
    PartnerContact,
    PartnerRelationship,
    PartnerVillage,
)
from services.partners.schemas import PartnerOutput


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scope_of(village_ids) -> str:
    return "network" if not village_ids else "village" if len(village_ids) == 1 else "cluster"


def is_shared_supplier(relationships, village_ids) -> bool:
    return "supplier" in relationships and scope_of(village_ids) != "village"


def served_villages(uow, partner_id: str) -> list[str]:
    """The villages a partner serves; empty: the whole network."""
    return sorted(
        uow.session.scalars(
            select(PartnerVillage.village_id).where(PartnerVillage.partner_id == partner_id)
        ).all()
    )


def serves(uow, partner_id: str, village_id: str) -> bool:
    villages = served_villages(uow, partner_id)
    return (
        village_id in villages
        if villages
        else uow.session.get(KnownVillage, village_id) is not None
    )


def relationships_of(uow, partner_id: str) -> list[str]:
    return sorted(
        uow.session.scalars(
            select(PartnerRelationship.relationship).where(
                PartnerRelationship.partner_id == partner_id
            )
        ).all()
    )


def _dump(uow, partner, village_ids) -> dict:
    relationships = relationships_of(uow, partner.id)
    rates = commission.history(uow, partner.id)
    contacts = uow.session.scalars(
        select(PartnerContact)
        .where(PartnerContact.partner_id == partner.id)
        .order_by(PartnerContact.id)
    ).all()
    return PartnerOutput().dump(
        {
            **{
                c: getattr(partner, c)
                for c in (
                    "id",
                    "name",
                    "kind",
                    "siret",
                    "created_at",
                    "ended_at",
                    "end_reason",
                )
            },
            "skills": partner.skills or [],
            "commission_per_mille": commission.rate_on(rates, paris_today()),
            "commission_rates": commission.dumped(rates),
            "village_ids": sorted(village_ids),
            "relationships": relationships,
            "scope": scope_of(village_ids),
            "shared_supplier": is_shared_supplier(relationships, village_ids),
            "contacts": [
                {c: getattr(contact, c) for c in ("name", "role", "phone", "email")}
                for contact in contacts
            ],
        }
    )


def register_partner(uow, data: dict) -> dict:
    """Create a partner, announce it (`partner.joined`) and issue its first API key (shown once)."""
    unknown = [v for v in data["village_ids"] if uow.session.get(KnownVillage, v) is None]
    if unknown:
        raise InvalidInput({"village_ids": [msg("unknown_village", village=v) for v in unknown]})
    siret = data.get("siret")
    partner = Partner(
        name=data["name"],
        kind=data["kind"],
        siret=siret.replace(" ", "") if siret else None,
        skills=data.get("skills") or [],
    )
    uow.session.add(partner)
    uow.session.flush()
    commission.agree(uow, partner.id, data.get("commission_per_mille"))
    for village_id in data["village_ids"]:
        uow.session.add(PartnerVillage(partner_id=partner.id, village_id=village_id))
    for relationship in data.get("relationships") or []:
        uow.session.add(PartnerRelationship(partner_id=partner.id, relationship=relationship))
    for contact in data.get("contacts") or []:
        uow.session.add(PartnerContact(partner_id=partner.id, **contact))
    uow.session.flush()
    api_key = _issue_key(uow, partner.id)
    uow.record_event(
        "partner.joined",
        {
            "partner_id": partner.id,
            "name": partner.name,
            "kind": partner.kind,
            "village_ids": data["village_ids"],
            "skills": partner.skills,
        },
        village_id=None,
    )
    uow.commit()
    return {"partner": _dump(uow, partner, data["village_ids"]), "api_key": api_key}


def _issue_key(uow, partner_id: str) -> str:
    """A new key: only its SHA-256 is kept; the key itself is returned to be shown once."""
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    uow.session.add(ApiKey(id=key_id, partner_id=partner_id, secret_hash=_hash(secret)))
    return f"mlg_{key_id}_{secret}"


def rotate_api_key(uow, partner_id: str) -> dict:
    """A new key for the partner, every older one revoked in the same transaction; none for a
    partner whose partnership ended (409)."""
    from services.partners import removal  # removal uses this module: imported here, not at the top

    removal.active_partner(uow, partner_id)
    revoked = _revoke(uow, partner_id)
    api_key = _issue_key(uow, partner_id)
    uow.commit()
    return {"api_key": api_key, "revoked": revoked}


def authenticate_api_key(uow, api_key: str) -> dict:
    _prefix, key_id, secret = api_key.split("_", 2)
    key = uow.session.get(ApiKey, key_id)
    if (
        key is None
        or key.revoked_at is not None
        or not hmac.compare_digest(key.secret_hash, _hash(secret))
    ):
        raise AuthenticationFailed("bad_api_key")
    if (
        uow.session.get(Partner, key.partner_id).ended_at is not None
    ):  # its keys were revoked with it, too
        raise AuthenticationFailed("bad_api_key")
    return get_partner(uow, key.partner_id)


def get_partner(uow, partner_id: str) -> dict:
    partner = uow.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("partner", partner_id)
    return _dump(uow, partner, served_villages(uow, partner_id))


def described(uow, partner: Partner) -> dict:
    """The partner as the other services keep it (`partner.updated`)."""
    return {
        "partner_id": partner.id,
        "name": partner.name,
        "kind": partner.kind,
        "village_ids": served_villages(uow, partner.id),
        "relationships": relationships_of(uow, partner.id),
        "skills": list(partner.skills or []),
        "ended_at": partner.ended_at,
    }


def _serve(uow, partner: Partner, village_ids: list[str]) -> None:
    """The villages a partner serves from now on (empty: the whole network). A village it stops
    serving while a catalogue there still sells its offers is refused (409 naming those villages);
    its offers stop being offered in the villages it no longer serves."""
    from services.partners import catalogues, offers  # they read partners: imported here

    unknown = [v for v in village_ids if uow.session.get(KnownVillage, v) is None]
    if unknown:
        raise InvalidInput({"village_ids": [msg("unknown_village", village=v) for v in unknown]})
    selling = set(catalogues.villages_selling_partner(uow, partner.id))
    still_sold = sorted(selling - set(village_ids)) if village_ids else []
    if still_sold:
        raise Conflict(
            "partner_sold_there", field="village_ids", details={"village_ids": still_sold}
        )
    for row in uow.session.scalars(
        select(PartnerVillage).where(PartnerVillage.partner_id == partner.id)
    ):
        uow.session.delete(row)
    uow.session.flush()
    for village_id in village_ids:
        uow.session.add(PartnerVillage(partner_id=partner.id, village_id=village_id))
    if village_ids:
        offers.withdraw_from_villages_not_served(uow, partner, set(village_ids))


def update_partner(uow, partner_id: str, data: dict) -> dict:
    """Replace a partner's served villages, relationships, contacts or SIRET (what is given); a
    change to what the other services keep is told them (`partner.updated`). When it becomes or
    stops being a shared supplier, every village selling its offers gets its catalogue again."""
    from services.partners import (
        catalogues,
    )  # catalogues read partners: imported here, not at the top

    partner = uow.session.get(Partner, str(partner_id))
    if partner is None:
        raise NotFound("partner", str(partner_id))
    before = described(uow, partner)
    served = before["village_ids"]
    was_shared = is_shared_supplier(before["relationships"], served)
    if "village_ids" in data:
        _serve(uow, partner, data["village_ids"])
    if "relationships" in data:
        for row in uow.session.scalars(
            select(PartnerRelationship).where(PartnerRelationship.partner_id == partner.id)
        ):
            uow.session.delete(row)
        uow.session.flush()
        for relationship in data["relationships"]:
            uow.session.add(PartnerRelationship(partner_id=partner.id, relationship=relationship))
    if "contacts" in data:
        for row in uow.session.scalars(
            select(PartnerContact).where(PartnerContact.partner_id == partner.id)
        ):
            uow.session.delete(row)
        for contact in data["contacts"]:
            uow.session.add(PartnerContact(partner_id=partner.id, **contact))
    if "siret" in data:
        partner.siret = data["siret"].replace(" ", "") if data["siret"] else None
    if "commission_per_mille" in data:
        commission.change(
            uow, partner.id, data["commission_per_mille"], data.get("commission_effective_from")
        )
    elif data.get("commission_effective_from") is not None:
        raise InvalidInput({"commission_per_mille": [msg("required")]})
    if "skills" in data:
        partner.skills = list(data["skills"])
    uow.session.flush()
    after = described(uow, partner)
    if is_shared_supplier(after["relationships"], after["village_ids"]) != was_shared:
        for village_id in catalogues.villages_selling_partner(uow, partner.id):
            catalogues.publish_catalogue(uow, village_id)
    if after != before:
        uow.record_event("partner.updated", after, village_id=None)
    uow.commit()
    return get_partner(uow, partner.id)


def _revoke(uow, partner_id: str) -> int:
    keys = uow.session.scalars(
        select(ApiKey).where(ApiKey.partner_id == partner_id, ApiKey.revoked_at.is_(None))
    ).all()
    for key in keys:
        key.revoked_at = utcnow()
    return len(keys)


def revoke_api_keys(uow, partner_id: str) -> int:
    """Every key of the partner stops working (until the coordinator issues a new one)."""
    if uow.session.get(Partner, partner_id) is None:
        raise NotFound("partner", partner_id)
    revoked = _revoke(uow, partner_id)
    uow.commit()
    return revoked


def _serving(village_id: str):
    """In SQL, what `serves` says: the partner lists the village, or lists none (the whole network)
    and the village is known."""
    network_wide = Partner.id.not_in(select(PartnerVillage.partner_id)) & exists().where(
        KnownVillage.id == village_id
    )
    return or_(
        Partner.id.in_(
            select(PartnerVillage.partner_id).where(PartnerVillage.village_id == village_id)
        ),
        network_wide,
    )


def list_partners(
    uow, village_id: str | None = None, window: dict | None = None, include_ended: bool = False
) -> list[dict]:
    """Every partner, by name; with `village_id`, those serving that village (the network-wide ones
    too). Those whose partnership ended only with `include_ended`."""
    query = select(Partner.id).order_by(Partner.name)
    if not include_ended:
        query = query.where(Partner.ended_at.is_(None))
    if village_id is not None:
        query = query.where(_serving(village_id))
    return [
        get_partner(uow, partner_id)
        for partner_id in uow.session.scalars(windowed(query, window, Partner.id))
    ]
