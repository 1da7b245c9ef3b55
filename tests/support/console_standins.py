"""What the console's tests without a browser share: a staff member signed in as the browser holds
it (the session cookie and the form token), and the members service as every console page asks
it (the staff member's session still active, a village's name), for a test to extend."""

from __future__ import annotations

import uuid

import requests
from nameko.rpc import rpc

from gateway import auth
from gateway.console.framework import COOKIE, csrf_token


class StaffMembers:
    """The members service's answers every console page needs. A village is named from `names`
    (village id → name; a subclass gives its own dictionary), « Village » otherwise."""

    name = "members"
    names: dict[str, str] = {}

    @rpc
    def staff_session_state(self, account_id):
        return {"active": True, "session_version": 0, "revoked": []}

    @rpc
    def get_village(self, village_id):
        return {"id": village_id, "name": self.names.get(village_id, "Village")}

    @rpc
    def search_members(self, village_id, query=None):
        return []


def staff_session(
    village_id: str | None, role: str = "concierge", full_name: str = "C"
) -> tuple[requests.Session, str]:
    """A browser's session signed in as `role` of `village_id`, and the token its forms carry."""
    token = auth.issue_token(
        {"id": str(uuid.uuid4()), "role": role, "village_id": village_id, "full_name": full_name}
    )
    session = requests.Session()
    session.cookies.set(COOKIE, token)
    return session, csrf_token(token)
