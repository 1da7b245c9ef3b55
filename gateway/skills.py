"""The network's skills taxonomy as the gateway uses it (validating a help request, labelling
skills on the console pages). Members keeps it; it is seeded by members' migrations and changes
only with a release, so the gateway asks for it once and keeps it SKILLS_TTL seconds instead of
asking at every help request."""

from __future__ import annotations

import time

SKILLS_TTL = 300.0  # seconds

_kept: tuple[float, list[dict]] | None = None  # (when it was asked, the list)


def known_skills(members_rpc) -> list[dict]:
    """Every skill (code, label, category, category_label), as members lists them."""
    global _kept
    now = time.monotonic()
    if _kept is None or now - _kept[0] > SKILLS_TTL:
        _kept = (now, members_rpc.list_skills())  # an RPC failure raises here and keeps nothing
    return _kept[1]


def forget() -> None:
    """Ask members again at the next use (tests)."""
    global _kept
    _kept = None
