"""How `member.erased` reaches every table of the events service that holds a member id or personal
data (read_models.record_member_erased; guests by animations.erase_guest and the retention timer).
A table added without a rule here fails tests/services/test_erasure_rules.py."""

ERASURE: dict[str, str] = {
    "volunteer_bookings": "member_id is an id only; what names the mission, never a person",
    "known_members": "display_name, tags, address and consents emptied, erased_at set "
    "(read_models.record_member_erased)",
    "suggestions": "text replaced by ERASED_TEXT (read_models.record_member_erased); "
    "the category stays",
    "animation_registrations": "a member's registration holds their id only; a guest's name "
    "and phone are erased on request or "
    "MAILLAGE_GUEST_RETENTION_DAYS after the animation",
    "animation_role_volunteers": "member_id is an id only",
    "suggestion_supports": "member_id is an id only",
    "outbox": "published rows naming the member scrubbed (backbone.retention.scrub_outbox), all "
    "published rows purged after MAILLAGE_OUTBOX_RETENTION_DAYS",
    "animations": "not personal: the animation's title and public place",
    "known_partners": "not personal: partners",
    "known_offers": "not personal: offers",
    "known_villages": "not personal: villages",
    "known_grappes": "not personal: clusters of villages",
}
