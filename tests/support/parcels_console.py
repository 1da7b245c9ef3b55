"""The parcels, picker and round pages' test bench (tests/gateway/test_console_parcels.py): the
services they call replaced by small fakes over one village of PEOPLE_COUNT inhabitants, which
check their input with the services' own schemas (so a bad form gets the services' own French) and
record every write (WRITES): a form refused must have written nothing."""

from __future__ import annotations

import uuid

from nameko.rpc import rpc

from backbone.errors import Conflict, NotFound
from backbone.schemas import load
from services.members.schemas.people import normalise_name
from services.orders.schemas.parcels import HandOverInput, ParcelInput, ParcelReturnInput
from services.orders.schemas.rounds import StopOutcomeInput
from tests.support.console_standins import StaffMembers

VILLAGE, OTHER = "v-bourg", "v-autre"
PEOPLE_COUNT = 720
# the 650th inhabitant: where a list of the first 200 never reached
HELENE = {"id": "m-0650", "display_name": "Hélène Zanetti", "phone_display": "06 12 34 56 78"}
PEOPLE = [
    {"id": f"m-{i:04d}", "display_name": f"Habitant {i:04d}", "phone_display": None}
    for i in range(1, PEOPLE_COUNT + 1)
]
PEOPLE[649] = HELENE
PARCEL = {
    "id": "p-1",
    "village_id": VILLAGE,
    "member_id": HELENE["id"],
    "member_name": HELENE["display_name"],
    "sender_kind": "la_poste",
    "sender_label": "La Poste",
    "sender_name": None,
    "partner_id": None,
    "description": None,
    "place_kind": "shelf",
    "place": "B3",
    "status": "waiting",
    "status_label": "En attente",
    "received_at": "2026-12-01T09:00:00+00:00",
    "days_waiting": 3,
    "reminders": 0,
    "reminded_at": None,
    "reminder_due": True,
    "return_due": False,
    "closed_at": None,
    "return_reason": None,
}
CODE = "482193"
ROUND = {
    "id": "r-1",
    "date": "2026-12-04",
    "vehicle_id": "van",
    "vehicle_name": "Kangoo de la coopérative",
    "depot_village_id": VILLAGE,
    "village_ids": [VILLAGE, OTHER],
    "capacity": 24,
    "load": 5,
    "distance_km": 31.5,
    "status": "planned",
    "status_label": "Prévue",
    "stops": [
        {
            "id": "s-1",
            "sequence": 1,
            "kind": "home_delivery",
            "kind_label": "Livraison à domicile",
            "village_id": VILLAGE,
            "order_id": "o-1",
            "display_name": HELENE["display_name"],
            "supplier_name": None,
            "address": "2 impasse des Tilleuls",
            "items_count": 3,
            "status": "pending",
            "status_label": "À faire",
            "done_at": None,
            "note": None,
        },
        {
            "id": "s-2",
            "sequence": 2,
            "kind": "home_delivery",
            "kind_label": "Livraison à domicile",
            "village_id": OTHER,
            "order_id": None,
            "display_name": None,
            "supplier_name": None,
            "address": None,
            "items_count": 2,
            "status": "pending",
            "status_label": "À faire",
            "done_at": None,
            "note": None,
        },
    ],
}
ORDERS = [
    {
        "id": "o-1",
        "member_name": HELENE["display_name"],
        "fulfilment": "home_delivery",
        "status": "ready",
        "lines": [
            {"name": "Œufs de la ferme", "quantity": 2, "status": "confirmed"},
            {"name": "Pain de seigle", "quantity": 1, "status": "confirmed"},
        ],
    }
]

WRITES: list[tuple] = []  # (service, method, args) of every write that went through


def _here(village_ids):
    if village_ids is not None and VILLAGE not in village_ids:
        raise NotFound("parcel", "p-1")


class FakeMembers(StaffMembers):
    @rpc
    def get_village(self, village_id):
        if village_id not in (VILLAGE, OTHER):
            raise NotFound("village", village_id)
        return {"id": village_id, "name": "Bourg" if village_id == VILLAGE else "Autre"}

    @rpc
    def get_member(self, village_id, member_id):
        found = [p for p in PEOPLE if p["id"] == member_id and village_id == VILLAGE]
        if not found:
            raise NotFound("member", member_id)
        return found[0]

    @rpc
    def search_members(self, village_id, query=None):
        words = normalise_name(query["q"]).split()
        found = [
            p
            for p in PEOPLE
            if village_id == VILLAGE and all(w in normalise_name(p["display_name"]) for w in words)
        ]
        return found[: query.get("limit", 20)]

    @rpc
    def resend_parcel_code(self, village_id, parcel_id):
        WRITES.append(("members", "resend_parcel_code", (village_id, parcel_id)))
        return {"id": str(uuid.uuid4()), "channel": "sms", "message": f"Code {CODE}"}


class FakeOrders:
    name = "orders"

    @rpc
    def list_parcels(self, village_id, filters=None, window=None):
        return [PARCEL] if village_id == VILLAGE else []

    @rpc
    def get_parcel(self, parcel_id, village_ids=None):
        _here(village_ids)
        if parcel_id != PARCEL["id"]:
            raise NotFound("parcel", parcel_id)
        return PARCEL

    @rpc
    def receive_parcel(self, village_id, data):
        data = load(ParcelInput(), data)
        if data["member_id"] not in {p["id"] for p in PEOPLE}:
            raise NotFound("member", data["member_id"])
        WRITES.append(("orders", "receive_parcel", (village_id, data)))
        return {**PARCEL, "member_id": data["member_id"], "pickup_code": CODE}

    @rpc
    def hand_over_parcel(self, parcel_id, data, village_ids=None):
        _here(village_ids)
        if load(HandOverInput(), data)["code"].strip() != CODE:
            raise Conflict("wrong_pickup_code", field="code")
        WRITES.append(("orders", "hand_over_parcel", (parcel_id,)))
        return PARCEL

    @rpc
    def return_parcel(self, parcel_id, data, village_ids=None):
        _here(village_ids)
        data = load(ParcelReturnInput(), data)
        WRITES.append(("orders", "return_parcel", (parcel_id, data)))
        return {**PARCEL, "status": "returned"}

    @rpc
    def list_rounds(self, village_ids=None, on_date=None, partner_id=None, window=None):
        return [ROUND] if village_ids and VILLAGE in village_ids else []

    @rpc
    def list_orders(self, village_id, filters=None, window=None):
        return ORDERS if village_id == VILLAGE else []

    @rpc
    def record_round_stop(self, round_id, stop_id, data, village_ids=None, partner_id=None):
        data = load(StopOutcomeInput(), data)
        WRITES.append(("orders", "record_round_stop", (round_id, stop_id, data)))
        return ROUND


class FakePartners:
    name = "partners"

    @rpc
    def list_partners(self, village_id=None):
        return []

    @rpc
    def get_partner(self, partner_id):
        raise NotFound("partner", partner_id)
