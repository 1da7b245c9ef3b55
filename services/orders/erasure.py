"""How `member.erased` reaches every table of the orders service that holds a member id or personal
data (the rules live in read_models.record_member_erased and the modules it calls). A table added
without a rule here fails tests/services/test_erasure_rules.py."""

ERASURE: dict[str, str] = {
    "volunteer_bookings": "member_id is an id only; what names the mission, never a person",
    "known_members": "display_name, tags, address and consents emptied, erased_at set "
    "(read_models.record_member_erased)",
    "orders": "delivery_address and note emptied; the order stays, counted (ordering.scrub_member)",
    "parcels": "sender_name and description emptied (parcels.scrub_member); "
    "place is the hub's shelf",
    "help_requests": "place, description and reasons emptied for the requester "
    "(help_requests.scrub_member); volunteer_member_id is an id only",
    "round_stops": "address, latitude, longitude and note emptied "
    "(rounds.scrub_member); supplier_name is a partner's, place_name a village's truck stop",
    "known_volunteers": "ids, skills and availability only; "
    "an erased member is never offered (volunteers.py)",
    "vehicles": "driver_member_id is an id only; name is the vehicle's",
    "rounds": "driver_member_id is an id only",
    "outbox": "published rows naming the member (or their orders) scrubbed "
    "(backbone.retention.scrub_outbox), all published rows "
    "purged after MAILLAGE_OUTBOX_RETENTION_DAYS",
    # no inhabitant's data: partners', suppliers', villages' and products' names; carriers' names
    "catalogue_items": "not personal: products and partners",
    "order_lines": "not personal: products and partners",
    "purchase_orders": "not personal: suppliers",
    "known_villages": "not personal: villages",
    "known_grappes": "not personal: clusters of villages",
    "known_village_stops": "not personal: where the villages' trucks park",
    "daily_parcel_senders": "not personal: carriers only, "
    "a neighbour counts on one line without a name",
    "daily_partner_sales": "not personal: partners",
    "daily_sales": "not personal: partners",
    "monthly_partner_sales": "not personal: partners",
    "monthly_sales": "not personal: partners",
    "running_sales": "not personal: villages' and partners' totals",
    "till_sales": "member_id dropped (till.scrub_member); the sale stays, counted, as a "
    "walk-in's; no address is kept (it leaves with sale.receipt_requested)",
    "solidarity_eligibilities": "deleted (solidarity.scrub_member)",
    "asked_items": "member_id dropped (asked_items.scrub_member); what was asked stays "
    "(an item, never a person)",
    "till_sale_lines": "not personal: products and partners",
    "till_payments": "not personal: amounts per method",
    "till_refunds": "not personal: amounts and the reason the goods came back",
    "till_refund_lines": "not personal: quantities and amounts",
    "till_closings": "not personal: the day's totals",
    "stock_items": "not personal: products and partners",
    "stock_movements": "not personal: quantities and reasons",
    "solidarity_prices": "not personal: prices",
}
