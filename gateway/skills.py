"""The network's skills list as the gateway uses it (the forms' choices, labelling skills on the
console pages). Members keeps it and the coordinator changes it, seldom: the gateway asks for it
once and keeps it SKILLS_TTL seconds instead of asking at every page. The process through which
the coordinator changes it forgets it at once; another gateway process sees the change within
SKILLS_TTL."""

from __future__ import annotations

import time

SKILLS_TTL = 60.0  # seconds

_kept: tuple[float, list[dict]] | None = None  # (when it was asked, the list)


def known_skills(members_rpc) -> list[dict]:
    """Every skill (code, label, category, category_label), as members lists them."""
    global _kept
    now = time.monotonic()
    if _kept is None or now - _kept[0] > SKILLS_TTL:
        _kept = (now, members_rpc.list_skills())  # an RPC failure raises here and keeps nothing
    return _kept[1]


def forget() -> None:
    """Ask members again at the next use (after a change of the list, and in tests)."""
    global _kept
    _kept = None
