"""What the coordinator never reads on a village's pages: an inhabitant's name, phone, e-mail or
address (#24, the API's rule: the coordinator sees figures and organisations). `Ctx.render` passes
a village page's values through `without_people` for the coordinator, so a page written for the
concierge shows "Habitant·e" where she reads a name, and a field added later is covered the day it
is named here."""

from __future__ import annotations

# keys that hold a person's identity or whereabouts in the services' answers
PERSONAL_KEYS = frozenset(
    {
        "member_name",
        "requester_name",
        "volunteer_name",
        "display_name",
        "first_name",
        "last_name",
        "full_name",
        "phone",
        "phone_display",
        "email",
        "address",
        "delivery_address",
        "postcode",
        "guest_name",
        "guest_phone",
        "declined_names",  # the volunteers who said no to a coup de main
    }
)
# free text typed about one person: where a help request takes place is their home ("Chez M. X,
# 5 rue du Four"), a neighbour who left a parcel is named by the concierge
HELP_REQUEST_TEXT = ("place", "description")


def without_people(value):
    """`value` (dicts, lists, tuples) with every personal field emptied (None)."""
    if isinstance(value, dict):
        out = {
            key: None if key in PERSONAL_KEYS else without_people(item)
            for key, item in value.items()
        }
        if "requester_member_id" in value:
            out.update(dict.fromkeys(HELP_REQUEST_TEXT))
        if value.get("sender_kind") == "neighbour":
            out["sender_name"] = None
        return out
    if type(value) in (list, tuple):
        return type(value)(without_people(item) for item in value)
    return value


def hides_people(principal, path: str) -> bool:
    """A village's page opened by the coordinator: its inhabitants are not named."""
    return principal.role == "coordinator" and path.startswith("/console/villages/")
