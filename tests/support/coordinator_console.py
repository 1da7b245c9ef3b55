"""The coordinator's logistics and money pages on the real orders and partners services (their own
databases) behind the gateway, members replaced by a small fake naming two villages: enough to
post a form as the console does and read what the services then hold."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import requests
from nameko.rpc import rpc

from gateway import auth
from gateway.console.framework import COOKIE, csrf_token

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
VILLAGES = [
    {"id": str(uuid.UUID(int=1)), "slug": "bourg", "name": "Bourg-aux-Chênes", "status": "active"},
    {"id": str(uuid.UUID(int=2)), "slug": "aubin", "name": "Saint-Aubin", "status": "active"},
]


class FakeMembers:
    """What the coordinator's pages ask members: the villages' names; no volunteer shared, no
    grappe; the itinerant villages a test sets in `trucks` ({"id", "name", "stops"}), with their
    truck's stops."""

    name = "members"
    trucks: list = []

    @rpc
    def list_villages(self, village_ids=None, window=None):
        return [{**v, "kind": "fixed"} for v in VILLAGES] + [
            {"id": t["id"], "name": t["name"], "kind": "itinerant"} for t in self.trucks
        ]

    @rpc
    def list_stops(self, village_id):
        return next((t["stops"] for t in self.trucks if t["id"] == village_id), [])

    @rpc
    def village_names(self, village_ids=None):
        return [v for v in VILLAGES if village_ids is None or v["id"] in village_ids]

    @rpc
    def list_volunteers(self, village_ids=None, filters=None, window=None):
        return []

    @rpc
    def list_grappes(self):
        return []


def seed_villages(orders_db, partners_db) -> None:
    """The two villages, as the services learnt them from `village.opened`."""
    from services.orders.models import KnownVillage as OrdersVillage
    from services.partners.models import KnownVillage as PartnersVillage

    with orders_db.unit_of_work() as uow:
        for v in VILLAGES:
            uow.session.add(
                OrdersVillage(
                    id=v["id"],
                    slug=v["slug"],
                    name=v["name"],
                    kind="fixed",
                    latitude=45.6,
                    longitude=2.0,
                    opened_at=NOW,
                )
            )
        uow.commit()
    with partners_db.unit_of_work() as uow:
        for v in VILLAGES:
            uow.session.add(
                PartnersVillage(
                    id=v["id"],
                    slug=v["slug"],
                    name=v["name"],
                    commune=v["name"],
                    insee_code="19164",
                    opened_at=NOW,
                )
            )
        uow.commit()


def staff_session(base: str, role: str, village_id: str | None = None) -> SimpleNamespace:
    """A console session (cookie) of that role; `post(path, **form)` adds its CSRF token."""
    token = auth.issue_token(
        {"id": str(uuid.uuid4()), "role": role, "village_id": village_id, "full_name": "Test"}
    )
    session = requests.Session()
    session.cookies.set(COOKIE, token)

    def get(path, **kwargs):
        return session.get(base + path, allow_redirects=False, timeout=15, **kwargs)

    def post(path, data):
        return session.post(
            base + path,
            data={**data, "csrf": csrf_token(token)},
            allow_redirects=False,
            timeout=15,
        )

    return SimpleNamespace(get=get, post=post)


def field_error(html: str, field: str) -> str | None:
    """The message shown beside `field` (its element `err-<field>`), None when there is none."""
    found = re.search(rf'id="err-{re.escape(field)}"[^>]*>([^<]*)<', html)
    return found.group(1) if found else None


def described_by_error(html: str, field: str) -> bool:
    """Some input, select, textarea or fieldset points to the error of `field`."""
    return f'aria-describedby="err-{field}"' in html
