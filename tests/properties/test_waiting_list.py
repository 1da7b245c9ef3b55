"""An animation's places and waiting list under random sequences of registrations, cancellations
and capacity changes (hypothesis, through the events service layer, on SQLite and PostgreSQL),
checked after every step against a plain model of the rule:

- never more people registered than places;
- nobody waits while a place is free;
- first come, first served: the people registered are always the earliest still there;
- one active registration per person (twice: Conflict); the capacity never goes below the people
  registered (Conflict, nothing changed).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backbone.errors import Conflict
from backbone.schemas import load
from services.events import animations
from services.events.models import KnownMember, KnownVillage
from services.events.schemas import (
    AnimationInput,
    CapacityInput,
    RegistrationInput,
)

PEOPLE = 5
START = datetime(2030, 6, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def village(service_db):
    database = service_db("events")
    village_id, members = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(PEOPLE)]
    now = datetime.now(UTC)
    with database.unit_of_work() as uow:
        uow.session.add(
            KnownVillage(id=village_id, slug="v", name="Village", commune="C", opened_at=now)
        )
        for n, member in enumerate(members):
            uow.session.add(
                KnownMember(
                    id=member,
                    village_id=village_id,
                    display_name=f"Personne {n}",
                    registered_at=now,
                )
            )
        uow.commit()
    return database, village_id, members


steps = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.integers(0, PEOPLE - 1)),
        st.tuples(st.just("guest"), st.integers(0, 2)),
        st.tuples(st.just("cancel"), st.integers(0, PEOPLE + 2)),
        st.tuples(st.just("capacity"), st.integers(1, 6)),
    ),
    max_size=14,
)


class Model:
    """The rule, plainly: a queue of people in arrival order."""

    def __init__(self, capacity: int):
        self.capacity, self.queue = capacity, []  # [person, status] in arrival order

    def registered(self) -> int:
        return sum(1 for _p, s in self.queue if s == "registered")

    def promote(self):
        for entry in self.queue:
            if entry[1] == "waiting" and self.registered() < self.capacity:
                entry[1] = "registered"

    def register(self, person) -> bool:
        if any(p == person for p, _s in self.queue):
            return False
        self.queue.append(
            [person, "registered" if self.registered() < self.capacity else "waiting"]
        )
        return True

    def cancel(self, person) -> None:
        self.queue = [e for e in self.queue if e[0] != person]
        self.promote()

    def change_capacity(self, capacity) -> bool:
        if capacity < self.registered():
            return False
        self.capacity = capacity
        self.promote()
        return True


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(capacity=st.integers(1, 3), steps=steps)
def test_places_go_first_come_and_never_over_capacity(village, capacity, steps):
    database, village_id, members = village
    with database.unit_of_work() as uow:
        animation = animations.create_animation(
            uow,
            village_id,
            load(
                AnimationInput(),
                {
                    "kind": "atelier",
                    "title": "Atelier",
                    "place": "Salle",
                    "starts_at": START.isoformat(),
                    "ends_at": (START + timedelta(hours=2)).isoformat(),
                    "capacity": capacity,
                    "roles": [],
                },
            ),
        )
    model, ids = Model(capacity), {}  # ids: person -> registration id
    guests = [("Mme Faure", f"05 55 12 34 5{n}") for n in range(3)]
    for action, n in steps:
        with database.unit_of_work() as uow:
            if action in ("register", "guest"):
                person = f"m{n}" if action == "register" else f"g{n}"
                data = (
                    {"member_id": members[n]}
                    if action == "register"
                    else {"guest_name": guests[n][0], "guest_phone": guests[n][1]}
                )
                if model.register(person):
                    ids[person] = animations.register(
                        uow, animation["id"], load(RegistrationInput(), data), None
                    )["registration"]["id"]
                else:
                    with pytest.raises(Conflict):
                        animations.register(
                            uow, animation["id"], load(RegistrationInput(), data), None
                        )
            elif action == "cancel":
                present = [p for p, _s in model.queue]
                if not present:
                    continue
                person = present[n % len(present)]
                animations.cancel_registration(uow, animation["id"], ids[person], None)
                model.cancel(person)
            else:
                if model.change_capacity(n):
                    animations.change_capacity(
                        uow, animation["id"], load(CapacityInput(), {"capacity": n}), None
                    )
                else:
                    with pytest.raises(Conflict) as refused:
                        animations.change_capacity(
                            uow, animation["id"], load(CapacityInput(), {"capacity": n}), None
                        )
                    assert refused.value.field == "capacity"
        with database.unit_of_work() as uow:
            seen = animations.get_animation(uow, animation["id"], None)
        status = {
            r["id"]: r["status"]
            for r in seen["registrations"]
            if r["status"] in ("registered", "waiting")
        }
        assert status == {ids[p]: s for p, s in model.queue}, (steps, seen["registrations"])
        assert seen["capacity"] == model.capacity
        assert seen["registered"] <= seen["capacity"]
        assert seen["waiting"] == 0 or seen["registered"] == seen["capacity"]
