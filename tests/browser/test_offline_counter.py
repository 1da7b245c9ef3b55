"""The counter when the village's link drops, in Chromium with the network cut through the
DevTools protocol: an order and a parcel handed over, a parcel received, all offline; a wrong
pickup code refused on the device; the page reloaded offline (from the service worker's copy);
the link restored and the actions replayed; each effect read back through the API, present exactly
once; an action older than the limit refused with a French reason. At the door of the day's
animation: who came ticked offline (refused on the device when nothing is ticked or counted), the
page reloaded offline showing the animation, the roll call replayed when the link returns and
recorded exactly once by the events service, even sent again."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
import requests
from sqlalchemy import func, select

from backbone.clock import PARIS
from backbone.db import Database
from backbone.tables import OutboxEvent
from services.events.models import OfflineAction
from tests.support.offline_counter import (
    OFFLINE,
    ONLINE,
    QUEUE_PUT,
    QUEUE_READ,
    cached_salt,
    network,
)

pytestmark = [pytest.mark.stack, pytest.mark.broker]

KARIM = "karim@maillage.test"  # Saint-Aubin-des-Prés


def _api(stack, method, path, headers, body=None, expect=200):
    answer = requests.request(method, stack.url(path), headers=headers, json=body, timeout=15)
    assert answer.status_code == expect, answer.text[:500]
    return answer.json()


def _ready_order(stack, village, api, member, item):
    order = _api(
        stack,
        "POST",
        f"/api/villages/{village}/orders",
        api,
        {
            "idempotency_key": str(uuid.uuid4()),
            "member_id": member,
            "delivery_date": item["next_delivery_date"],
            "fulfilment": "counter",
            "lines": [{"item_id": item["item_id"], "quantity": 1}],
        },
        201,
    )
    _api(stack, "POST", f"/api/villages/{village}/orders/{order['id']}/ready", api, {})
    return order


def _counter_world(stack, village, api):
    """Two orders ready to hand over and a parcel waiting (its code), for an inhabitant known
    to orders."""
    members = _api(stack, "GET", f"/api/villages/{village}/members", api)
    item = next(
        i
        for i in _api(stack, "GET", f"/api/villages/{village}/counter/catalogue", api)
        if i.get("next_delivery_date") and not i.get("shared_supplier")
    )
    member = members[0]["id"]
    orders = [_ready_order(stack, village, api, member, item) for _ in range(2)]
    parcel = _api(
        stack,
        "POST",
        f"/api/villages/{village}/parcels",
        api,
        {"member_id": member, "sender_kind": "la_poste", "place_kind": "shelf", "place": "K7"},
        201,
    )
    return member, orders, parcel


def _named(stack, village, api, name):
    return _api(stack, "GET", f"/api/villages/{village}/members?q={name}", api)


def _orders_of(stack, village, api, member):
    return _api(stack, "GET", f"/api/villages/{village}/orders?member_id={member}", api)


def _places(stack, village, api, place):
    """The parcels waiting at `place`."""
    parcels = _api(stack, "GET", f"/api/villages/{village}/parcels", api)
    return [p for p in parcels if p["place"] == place]


def test_a_morning_offline_is_replayed_once_when_the_link_returns(stack, browsers):
    village = stack.villages()["saint-aubin-des-pres"]
    api = stack.login(KARIM)
    member, (order, cancelled), parcel = _counter_world(stack, village, api)
    path = f"/console/villages/{village}/comptoir"

    karim = browsers()
    karim.log_in(KARIM)
    karim.open(path)
    karim.wait(
        lambda d: (
            d.execute_script("return !!navigator.serviceWorker.controller")
            or (d.refresh() or False)
        )
    )
    karim.wait(lambda _d: cached_salt(karim.driver, path))
    karim.open(path)  # now through the worker, which keeps this copy
    karim.find(f"input[name=order_id][value='{order['id']}']")
    karim.wait(lambda _d: cached_salt(karim.driver, path))

    network(karim.driver, OFFLINE)
    karim.wait(lambda d: d.execute_script("return navigator.onLine") is False)

    parcel_form = f"form[data-parcel='{parcel['id']}']"
    wrong = "000000" if parcel["pickup_code"] != "000000" else "111111"
    karim.find(f"{parcel_form} input[name=code]").send_keys(wrong)
    karim.click(f"{parcel_form} button[type=submit]")
    karim.wait_text(f"{parcel_form} .offline-state", "Code de retrait incorrect")
    code_field = karim.find(f"{parcel_form} input[name=code]")
    code_field.clear()
    code_field.send_keys(parcel["pickup_code"])
    karim.click(f"{parcel_form} button[type=submit]")
    karim.wait_text(f"{parcel_form} .offline-state", "En attente d'envoi")

    order_form = f"form[data-offline=collect]:has(input[value='{order['id']}'])"
    karim.click(f"{order_form} button[type=submit]")
    karim.wait_text(f"{order_form} .offline-state", "En attente d'envoi")
    # handed over offline, cancelled meanwhile (by phone, from another device): a conflict
    cancelled_form = f"form[data-offline=collect]:has(input[value='{cancelled['id']}'])"
    karim.click(f"{cancelled_form} button[type=submit]")
    karim.wait_text(f"{cancelled_form} .offline-state", "En attente d'envoi")
    _api(
        stack,
        "POST",
        f"/api/villages/{village}/orders/{cancelled['id']}/cancel",
        api,
        {"reason": "Annulée par téléphone"},
    )

    take = "form[data-offline=place_order]"
    orders_before = len(_orders_of(stack, village, api, member))
    karim.find(f"{take} select[name=member_id] option[value='{member}']").click()
    quantity = karim.find(f"{take} input[name=quantity]")
    quantity.clear()
    quantity.send_keys("2")
    karim.click(f"{take} button[type=submit]")
    karim.wait_text(f"{take} .offline-state", "en attente d'envoi")

    register = "form[data-offline=register_member]"
    karim.find(f"{register} input[name=first_name]").send_keys("Odile")
    karim.find(f"{register} input[name=last_name]").send_keys("Horsligne")
    karim.find(f"{register} input[name=phone]").send_keys("05 55 00 11 22")
    karim.click(f"{register} button[type=submit]")
    karim.wait_text(f"{register} .offline-state", "en attente d'envoi")

    receive = "form[data-offline=receive_parcel]"
    karim.find(f"{receive} select[name=member_id] option[value='{member}']").click()
    karim.find(f"{receive} input[name=place]").send_keys("HL1")
    karim.click(f"{receive} button[type=submit]")
    karim.wait_text(f"{receive} .offline-state", "en attente d'envoi")
    karim.wait_text("#offline-banner", "Hors ligne — 6 actions en attente")
    karim.screenshot("comptoir-hors-ligne")

    shown_salt = cached_salt(karim.driver, path)
    karim.driver.refresh()  # offline: the worker's copy of the page
    karim.wait_text("#offline-banner", "Hors ligne — 6 actions en attente")
    assert karim.find("#offline-status").get_attribute("data-salt") == shown_salt, (
        "the page as the device kept it, not a new one from the network"
    )
    karim.wait_text(f"{order_form} .offline-state", "En attente d'envoi")
    assert (
        _api(stack, "GET", f"/api/villages/{village}/orders/{order['id']}", api)["status"]
        == "ready"
    ), "nothing reached the services while offline"

    queued = karim.driver.execute_async_script(QUEUE_READ)
    assert [i["action"] for i in queued] == [
        "hand_over_parcel",
        "collect",
        "collect",
        "place_order",
        "register_member",
        "receive_parcel",
    ]
    network(karim.driver, ONLINE)
    karim.wait(lambda d: len(d.find_elements("css selector", "#offline-done li")) == 5)
    karim.wait(lambda d: len(d.find_elements("css selector", "#offline-settle li")) == 1)
    conflict = karim.text_of("#offline-settle")
    assert conflict.startswith("À régler : Commande de") and "annulée" in conflict, conflict
    done = karim.text_of("#offline-done")
    assert "Commande" in done and "remis" in done and "code de retrait" in done
    karim.screenshot("comptoir-rejoue")

    assert (
        _api(stack, "GET", f"/api/villages/{village}/orders/{order['id']}", api)["status"]
        == "collected"
    )
    assert (
        _api(stack, "GET", f"/api/villages/{village}/parcels/{parcel['id']}", api)["status"]
        == "handed_over"
    )
    taken = _orders_of(stack, village, api, member)
    assert len(taken) == orders_before + 1, "one order taken"
    assert "Commande prise pour" in done
    assert len(_named(stack, village, api, "horsligne")) == 1, "one inhabitant registered"
    received = _places(stack, village, api, "HL1")
    assert len(received) == 1 and received[0]["member_id"] == member, received
    assert karim.driver.execute_script("return document.getElementById('offline-banner').hidden"), (
        "nothing left to send"
    )

    # the tab closed mid-replay: the services did the actions, the device did not yet forget
    # them; sent again with their keys, they answer what was done, with no second effect
    karim.driver.execute_async_script(QUEUE_PUT, queued)
    karim.driver.refresh()
    karim.wait(lambda d: len(d.find_elements("css selector", "#offline-done li")) == 10)
    assert len(karim.driver.find_elements("css selector", "#offline-settle li")) == 2
    assert (
        _api(stack, "GET", f"/api/villages/{village}/orders/{order['id']}", api)["status"]
        == "collected"
    )
    assert len(_places(stack, village, api, "HL1")) == 1, "one parcel received, not two"
    assert len(_orders_of(stack, village, api, member)) == orders_before + 1, "one order"
    assert len(_named(stack, village, api, "horsligne")) == 1, "one inhabitant"
    karim.click("#offline-clear")  # settled: the list goes
    karim.wait(lambda d: not d.find_elements("css selector", "#offline-outcomes li"))

    # an action kept too long (its time set 4 days back) is refused, in French, to settle
    network(karim.driver, OFFLINE)
    karim.wait(lambda d: d.execute_script("return navigator.onLine") is False)
    karim.find(f"{receive} select[name=member_id] option[value='{member}']").click()
    karim.find(f"{receive} input[name=place]").send_keys("OLD1")
    karim.click(f"{receive} button[type=submit]")
    karim.wait_text("#offline-banner", "1 action en attente")
    karim.driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        const open = indexedDB.open("maillage-offline", 1);
        open.onsuccess = () => {
          const store = open.result.transaction("queue", "readwrite").objectStore("queue");
          store.openCursor().onsuccess = e => {
            const c = e.target.result;
            if (!c) { done(); return; }
            c.value.occurred_at = new Date(Date.now() - 4 * 864e5).toISOString();
            c.update(c.value); c.continue();
          };
        };"""
    )
    network(karim.driver, ONLINE)
    karim.wait(lambda d: d.find_elements("css selector", "#offline-settle li"))
    refused = karim.text_of("#offline-settle")
    assert "Action trop ancienne" in refused and "plus de 3 jours" in refused, refused
    assert not _places(stack, village, api, "OLD1")


def _begun_today(stack, village, api, title):
    """An animation of the village begun today (Paris) a little before now, with two of its
    inhabitants and a guest registered."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = max(
        datetime.combine(now.astimezone(PARIS).date(), time(0), tzinfo=PARIS),
        now - timedelta(minutes=20),
    )
    animation = _api(
        stack,
        "POST",
        f"/api/villages/{village}/animations",
        api,
        {
            "kind": "atelier",
            "title": title,
            "place": "Salle des fêtes",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "capacity": 10,
        },
        201,
    )
    people = _api(stack, "GET", f"/api/villages/{village}/members", api)[:2]
    path = f"/api/villages/{village}/animations/{animation['id']}/registrations"
    for person in people:
        _api(stack, "POST", path, api, {"member_id": person["id"]}, 201)
    _api(stack, "POST", path, api, {"guest_name": "Léon Marty", "guest_phone": "0555670042"}, 201)
    return _api(stack, "GET", f"/api/villages/{village}/animations/{animation['id']}", api)


def _recorded(stack, animation_id) -> tuple[int, int]:
    """(roll calls audited, `animation.attended` events written) for the animation, read in the
    events service's database."""
    database = Database(f"sqlite:///{stack.data_dir / 'events.db'}", source="events")
    try:
        with database.unit_of_work() as uow:
            audited = uow.session.scalar(
                select(func.count())
                .select_from(OfflineAction)
                .where(OfflineAction.target_id == animation_id)
            )
            events = uow.session.scalars(
                select(OutboxEvent.body).where(OutboxEvent.type == "animation.attended")
            ).all()
    finally:
        database.dispose()
    return audited, sum(1 for body in events if animation_id in body)


def test_attendance_taken_offline_at_the_door_is_recorded_once(stack, browsers):
    village = stack.villages()["saint-aubin-des-pres"]
    api = stack.login(KARIM)
    title = "Atelier mémoire"
    animation = _begun_today(stack, village, api, title)
    came = [r for r in animation["registrations"] if r["display_name"] != "Léon Marty"][0]
    guest = next(r for r in animation["registrations"] if r["display_name"] == "Léon Marty")
    path = f"/console/villages/{village}/comptoir"

    karim = browsers()
    karim.log_in(KARIM)
    karim.open(path)
    karim.wait(
        lambda d: (
            d.execute_script("return !!navigator.serviceWorker.controller")
            or (d.refresh() or False)
        )
    )
    karim.wait(lambda _d: cached_salt(karim.driver, path))
    karim.open(path)  # now through the worker, which keeps this copy
    form = f"form[data-offline=record_attendance]:has(input[value='{animation['id']}'])"
    karim.find(form)
    karim.wait(lambda _d: cached_salt(karim.driver, path))

    network(karim.driver, OFFLINE)
    karim.wait(lambda d: d.execute_script("return navigator.onLine") is False)
    karim.click(f"{form} button[type=submit]")  # nobody ticked, nothing counted
    karim.wait_text(f"{form} .offline-state", "Cochez les personnes venues ou donnez un nombre")
    assert not karim.driver.execute_async_script(QUEUE_READ), "nothing kept"
    for registration in (came, guest):
        karim.click(f"{form} input[name=present][value='{registration['id']}']")
    karim.find(f"{form} input[name=walk_ins]").send_keys("2")
    karim.click(f"{form} button[type=submit]")
    karim.wait_text(f"{form} .offline-state", "En attente d'envoi")
    karim.wait_text("#offline-banner", "Hors ligne — 1 action en attente")
    karim.screenshot("comptoir-presences-hors-ligne")

    shown_salt = cached_salt(karim.driver, path)
    karim.driver.refresh()  # offline: the worker's copy of the page, the animation in it
    karim.wait_text("#offline-banner", "Hors ligne — 1 action en attente")
    assert karim.find("#offline-status").get_attribute("data-salt") == shown_salt
    karim.wait_text(f"#animation-{animation['id']}", title)
    karim.wait_text(f"{form} .offline-state", "En attente d'envoi")
    assert karim.find(f"{form} button[type=submit]").get_attribute("disabled")
    [queued] = karim.driver.execute_async_script(QUEUE_READ)
    assert (queued["action"], queued["label"]) == ("record_attendance", f"Présences à {title}")
    assert sorted(queued["fields"]["present"]) == sorted([came["id"], guest["id"]])
    one = f"/api/villages/{village}/animations/{animation['id']}"
    assert _api(stack, "GET", one, api)["status"] == "scheduled", "nothing sent while offline"

    network(karim.driver, ONLINE)
    karim.wait(lambda d: len(d.find_elements("css selector", "#offline-done li")) == 1)
    done = karim.text_of("#offline-done")
    assert done.startswith(f"Fait : Présences à {title}") and "4 personnes" in done, done
    held = _api(stack, "GET", one, api)
    assert (held["status"], held["people_reached"], held["guests"]) == ("held", 4, 3)
    assert {r["id"]: r["present"] for r in held["registrations"]}[came["id"]] is True
    assert _recorded(stack, animation["id"]) == (1, 1)

    # the tab closed mid-replay: sent again with its key, it answers the first roll call
    karim.driver.execute_async_script(QUEUE_PUT, [queued])
    karim.driver.refresh()
    karim.wait(lambda d: len(d.find_elements("css selector", "#offline-done li")) == 2)
    assert not karim.driver.find_elements("css selector", "#offline-settle li")
    assert _recorded(stack, animation["id"]) == (1, 1), "recorded exactly once"
    assert _api(stack, "GET", one, api)["people_reached"] == 4
    karim.screenshot("comptoir-presences-rejouees")
