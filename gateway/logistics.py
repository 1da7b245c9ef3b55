"""Logistics partners as the counter and the rounds name them. A logistics partner named in a
request (the driver of a vehicle, the carrier who brought a parcel) is checked with the partners
service before the orders service records it: orders keeps no list of partners of its own."""

from __future__ import annotations

from backbone.errors import InvalidInput, NotFound, ServiceUnavailable
from backbone.messages import msg


def check_logistics_partner(partners_rpc, field: str, partner_id: str | None) -> None:
    """Nothing to check without a partner; an unknown partner, or one without the logistics
    relationship, is bad input naming `field`."""
    if not partner_id:
        return
    try:
        partner = partners_rpc.get_partner(partner_id)
    except NotFound:
        raise InvalidInput({field: [msg("unknown_partner", partner=partner_id)]}) from None
    if "logistics" not in partner["relationships"]:
        raise InvalidInput({field: [msg("not_logistics_partner", partner=partner["name"])]})


def carriers_of(partners_rpc, village_id: str) -> list[dict]:
    """The logistics partners serving a village (those serving the whole network too), by name."""
    return [
        {"id": p["id"], "name": p["name"]}
        for p in partners_rpc.list_partners(village_id)
        if "logistics" in p["relationships"]
    ]


def carriers_offered(partners_rpc, village_id: str) -> list[dict]:
    """The carriers a counter's parcel form offers: none when the partners service does not answer
    (the concierge still records the parcel, without its carrier)."""
    try:
        return carriers_of(partners_rpc, village_id)
    except ServiceUnavailable:
        return []


def carrier_name(partners_rpc, partner_id: str | None) -> str | None:
    """The name of the partner who brought a parcel, for its page; a plain label when the partners
    service does not answer or no longer knows it (the page still shows)."""
    if not partner_id:
        return None
    try:
        return partners_rpc.get_partner(partner_id)["name"]
    except (NotFound, ServiceUnavailable):
        return "un transporteur partenaire"
