"""Which events reach which partner, and what each one receives (a projection of the payload).

Two rules decide the partners an event concerns:

1. the payload names them: `partner_id`, `supplier_partner_id`, `driver_partner_id`, `partner_ids`
   or `co_organiser_ids` (an id that is no partner's has no webhook nor feed: it receives nothing);
2. a public event (`Rule(public=True)`) also concerns every partner serving its village (or one
   of its `village_ids`), and the partners serving the whole network; a network-wide one (no
   village) concerns every partner.

A partner receives only what it needs: the fields a rule drops never leave (e.g. the members
registered to a cancelled animation, an inhabitant's own words in a suggestion), and in an event
listing lines of several partners (`lines[].partner_id`) each partner sees only its own lines.
Nothing here carries a member's phone: contracts keep contact details in the members service, and
the one address that travels (a home delivery stop of `round.planned`) goes only to the driver.
`parcel.*` reach the logistics partner who brought the parcel (`partner_id`, when one did), without
the member nor the pickup code; `round.stop_completed` reaches the partner driving the round
(`driver_partner_id`), never who lives at the stop.

Adding a type is one line in RULES (its contract must exist in backbone/contracts/events/).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backbone.contracts import registry
from services.partners.models import Partner, PartnerVillage

NAMING_FIELDS = (
    "partner_id",
    "supplier_partner_id",
    "driver_partner_id",
    "partner_ids",
    "co_organiser_ids",
)


@dataclass(frozen=True)
class Rule:
    public: bool = False  # village-wide: every partner serving the village gets it
    drop: tuple[str, ...] = ()  # payload fields that never leave (personal data)


RULES: dict[str, Rule] = {
    "village.opened": Rule(public=True),
    "village.updated": Rule(public=True),
    "village.status_changed": Rule(public=True),
    # the network's skills list: a service structure or an artisan offers what it names
    "skill.added": Rule(public=True),
    "skill.renamed": Rule(public=True),
    "skill.retired": Rule(public=True),
    "animation.scheduled": Rule(public=True),
    "animation.cancelled": Rule(public=True, drop=("member_ids",)),
    "suggestion.made": Rule(public=True, drop=("text",)),
    "suggestion.answered": Rule(public=True),
    "catalogue.changed": Rule(public=True),
    "offer.published": Rule(public=True),
    "campaign.launched": Rule(public=True),
    # the pledgers who are members are for their notices only
    "campaign.funded": Rule(public=True, drop=("member_ids",)),
    "campaign.failed": Rule(public=True, drop=("member_ids",)),
    "order.placed": Rule(),
    "order.confirmed": Rule(),
    "order.ready": Rule(drop=("member_id", "locker_compartment", "locker_code", "truck_stop")),
    "order.collected": Rule(),
    "order.delivered": Rule(),
    "order.cancelled": Rule(),
    "order.refused": Rule(),
    "purchase_order.sent": Rule(),
    "round.planned": Rule(),
    "round.stop_completed": Rule(),
    # the partner who brought the parcel (`partner_id`), if one did; never the member nor the code
    "parcel.received": Rule(drop=("member_id", "pickup_code")),
    "parcel.handed_over": Rule(),
    "parcel.returned": Rule(),
    # a producer sees its own lines sold at the till, never who bought nor how they paid
    "sale.recorded": Rule(drop=("member_id", "payments")),
    "sale.refunded": Rule(drop=("method",)),
}

EVENT_TYPES: tuple[str, ...] = tuple(sorted(RULES))


def named_partners(payload: dict) -> set[str]:
    """Rule 1: the partner ids the payload names."""
    found: set[str] = set()
    for name in NAMING_FIELDS:
        value = payload.get(name)
        if isinstance(value, str) and value:
            found.add(value)
        elif isinstance(value, (list, tuple)):
            found.update(v for v in value if isinstance(v, str) and v)
    return found


def villages_of(envelope: dict) -> list[str]:
    """The villages a public event is about: its `village_id`, else the payload's `village_id` or
    `village_ids` (none: the whole network)."""
    payload = envelope["payload"]
    village_id = envelope.get("village_id") or payload.get("village_id")
    if village_id:
        return [village_id]
    return [v for v in payload.get("village_ids") or [] if isinstance(v, str)]


def partners_serving(session, village_ids: list[str]) -> set[str]:
    """Rule 2: partners serving any of `village_ids` and those serving the whole network (no
    village: every partner)."""
    every = set(session.scalars(select(Partner.id)))
    if not village_ids:
        return every
    serving_some = set(session.scalars(select(PartnerVillage.partner_id).distinct()))
    here = set(
        session.scalars(
            select(PartnerVillage.partner_id).where(PartnerVillage.village_id.in_(village_ids))
        )
    )
    return here | (every - serving_some)


def concerned_partners_of(session, envelopes: list[dict]) -> dict[str, set[str]]:
    """{event id: every partner it concerns} for a batch of events, asking the database once for
    each set of villages their public events are about. The ids an event names are taken as they
    are: the caller's query of the partners' rows drops any that is no partner (one statement
    fewer per batch, subscriptions.record_deliveries)."""
    ruled = [
        (envelope, RULES[envelope["type"]]) for envelope in envelopes if envelope["type"] in RULES
    ]
    serving: dict[tuple[str, ...], set[str]] = {}
    concerned = {envelope["event_id"]: set() for envelope in envelopes}
    for envelope, rule in ruled:
        partners = named_partners(envelope["payload"])
        if rule.public:
            villages = tuple(sorted(villages_of(envelope)))
            if villages not in serving:
                serving[villages] = partners_serving(session, list(villages))
            partners |= serving[villages]
        concerned[envelope["event_id"]] = partners
    return concerned


def project(envelope: dict, partner_id: str) -> dict:
    """The envelope as `partner_id` receives it: the payload written back to JSON by its contract,
    without the fields its rule drops, and with only this partner's lines."""
    rule = RULES[envelope["type"]]
    contract = registry.get(envelope["type"], envelope["version"])
    payload = contract.writer.dump(envelope["payload"])
    for name in rule.drop:
        payload.pop(name, None)
    if isinstance(payload.get("lines"), list):
        payload["lines"] = [
            line
            for line in payload["lines"]
            if not isinstance(line, dict) or line.get("partner_id") in (None, partner_id)
        ]
    return {
        "event_id": envelope["event_id"],
        "type": envelope["type"],
        "version": envelope["version"],
        "occurred_at": _iso(envelope["occurred_at"]),
        "village_id": envelope.get("village_id"),
        "partner_id": partner_id,
        "payload": payload,
    }


def _iso(value) -> str:
    return value if isinstance(value, str) else value.isoformat()
