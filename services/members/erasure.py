"""How an erasure (people.erase_member) reaches every table of the members service that holds a
member id or personal data. A table added without a rule here fails
tests/services/test_erasure_rules.py."""

ERASURE: dict[str, str] = {
    "members": "names, contacts, address, search name and tags emptied, erased_at set (people.erase_member)",
    "member_tags": "deleted with the member's tags (people.erase_member)",
    "member_consents": "kept: the proof of consent (purpose and dates) against an id only",
    "member_notices": "deleted, and their lines in the notices outbox file (notices.forget_member)",
    "volunteers": "profile emptied and hidden (volunteers.forget_member)",
    "time_bank_entries": "kept: hours against an id only (the network's figures)",
    "outbox": "published rows naming the member scrubbed (backbone.retention.scrub_outbox), all published "
              "rows purged after MAILLAGE_OUTBOX_RETENTION_DAYS",
    "staff_accounts": "not an inhabitant's: staff accounts, removed by the coordinator",
    "villages": "not personal: a hub's public address", "village_stops": "not personal: the truck's stops",
}
