"""A commune's read-only link: the coordinator issues it for a partner of kind `local_authority`
and hands it to the commune, which then reads the figures of the villages it funds (the gateway's
/commune page) without an account.

The link's secret is shown once; only its SHA-256 is kept, with its creation date and expiry. One
link per commune at a time: issuing a new one revokes the older. A revoked or expired link, or one
of a partnership that ended, opens nothing.

The villages a commune sees are those of its own funding sources (`FundingSource.partner_id`, a
village named): what it pays for. Not the villages the partner *serves*: a partner serving none
serves the whole network, and a commune must never read every village's figures by default."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from backbone.clock import utcnow
from backbone.errors import AuthenticationFailed, InvalidInput
from backbone.messages import msg
from services.partners import removal
from services.partners.models import CommuneLink, FundingSource, KnownVillage, Partner

LINK_DAYS = 365
ID_LENGTH = 16


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _dump(link: CommuneLink | None) -> dict | None:
    if link is None:
        return None
    return {
        "id": link.id,
        "created_at": link.created_at.isoformat(),
        "expires_at": link.expires_at.isoformat(),
    }


def _live(uow, partner_id: str, now: datetime) -> list[CommuneLink]:
    return uow.session.scalars(
        select(CommuneLink).where(
            CommuneLink.partner_id == partner_id,
            CommuneLink.revoked_at.is_(None),
            CommuneLink.expires_at > now,
        )
    ).all()


def issue_link(uow, partner_id: str, now: datetime | None = None) -> dict:
    """A new link for the commune (the older one stops working): its token, shown once."""
    now = now or utcnow()
    partner = removal.active_partner(uow, partner_id)
    if partner.kind != "local_authority":
        raise InvalidInput({"partner_id": [msg("commune_link_not_authority")]})
    for link in _live(uow, partner.id, now):
        link.revoked_at = now
    link_id, secret = secrets.token_hex(ID_LENGTH // 2), secrets.token_urlsafe(32)
    link = CommuneLink(
        id=link_id,
        partner_id=partner.id,
        secret_hash=_hash(secret),
        created_at=now,
        expires_at=now + timedelta(days=LINK_DAYS),
    )
    uow.session.add(link)
    uow.session.flush()
    uow.commit()
    return {"token": f"{link_id}{secret}", "link": _dump(link)}


def revoke_links(uow, partner_id: str, now: datetime | None = None) -> int:
    now = now or utcnow()
    removal.active_partner(uow, partner_id)
    links = _live(uow, partner_id, now)
    for link in links:
        link.revoked_at = now
    uow.commit()
    return len(links)


def link_status(uow, partner_id: str, now: datetime | None = None) -> dict:
    """What the coordinator's page shows: the link in force, if any (never its secret)."""
    now = now or utcnow()
    partner = uow.session.get(Partner, partner_id)
    if partner is None:
        removal.active_partner(uow, partner_id)  # the NotFound
    links = sorted(_live(uow, partner_id, now), key=lambda link: link.created_at)
    return {
        "partner_id": partner.id,
        "name": partner.name,
        "kind": partner.kind,
        "ended": partner.ended_at is not None,
        "link": _dump(links[-1] if links else None),
        "village_ids": funded_villages(uow, partner.id),
    }


def funded_villages(uow, partner_id: str) -> list[str]:
    """The villages of the commune's funding sources that the network knows."""
    return sorted(
        uow.session.scalars(
            select(FundingSource.village_id)
            .distinct()
            .join(KnownVillage, KnownVillage.id == FundingSource.village_id)
            .where(FundingSource.partner_id == partner_id)
        ).all()
    )


def open_link(uow, token: str, now: datetime | None = None) -> dict:
    """The commune a token opens, with the villages it may read; AuthenticationFailed otherwise
    (the same for an unknown, revoked or expired link: the page says to ask the coordination)."""
    now = now or utcnow()
    link = uow.session.get(CommuneLink, token[:ID_LENGTH])
    if (
        link is None
        or not hmac.compare_digest(link.secret_hash, _hash(token[ID_LENGTH:]))
        or link.revoked_at is not None
        or link.expires_at <= now
    ):
        raise AuthenticationFailed("bad_commune_link")
    partner = uow.session.get(Partner, link.partner_id)
    if partner.ended_at is not None or partner.kind != "local_authority":
        raise AuthenticationFailed("bad_commune_link")
    return {
        "partner_id": partner.id,
        "name": partner.name,
        "expires_at": link.expires_at.isoformat(),
        "village_ids": funded_villages(uow, partner.id),
    }
