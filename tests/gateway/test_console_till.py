"""The till's pages of the concierge's console on a real gateway and broker, in front of the real
orders service (the counter's world: tests/support/counter.py) and small fakes of members and
partners: a sale's bad input shown beside its field in French with nothing written, the change on
the receipt, a refund written only once confirmed, the closing's counted cash read as euros and a
second closing refused, the shelf's movement refused beside its quantity; a bad receipt address
refused beside its field; a pooled supplier order's share put on the shelf in one go from the stock
page (prefilled, editable, refused beside its quantity, once); another village's concierge refused
(403)."""

import html
import re
import socket
import uuid
from datetime import UTC, datetime

import pytest
from nameko.rpc import rpc
from sqlalchemy import func, select

from backbone.errors import NotFound
from gateway.service import GatewayService
from services.orders import supplier_orders
from services.orders.models import AskedItem, StockMovement, TillClosing, TillRefund, TillSale
from services.orders.service import OrdersService
from tests.support.console_standins import StaffMembers, staff_session
from tests.support.counter import World, order_input, place
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

KNOWN: dict = {}  # the counter's world the fakes answer about (set by the fixture)


class FakeMembers(StaffMembers):
    @rpc
    def get_village(self, village_id):
        if village_id not in KNOWN.get("villages", ()):
            raise NotFound("village", village_id)
        return {"id": village_id, "name": "Bourg"}

    @rpc
    def get_member(self, village_id, member_id):
        raise NotFound("member", member_id)


class FakePartners:
    name = "partners"

    @rpc
    def list_partners(self, village_id=None):
        return []

    @rpc
    def get_partner(self, partner_id):
        raise NotFound("partner", partner_id)


class FakeEvents:
    """What the counter's page asks the events service: the day's animations (none here)."""

    name = "events"

    @rpc
    def animations_of_day(self, village_id, on_date=None):
        return []


@pytest.fixture(scope="module")
def till_world(module_world):
    started = module_world(GATEWAY_SECRET="till-test", MAILLAGE_RPC_TIMEOUT="10")
    counter_world = World(started.database("orders"))
    KNOWN["villages"] = (counter_world.village, counter_world.other_village)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**started.config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    started.start(FakeMembers, FakePartners, FakeEvents, OrdersService, config=config)
    started.start(GatewayService, config=config)
    started.snapshot()
    yield started, (f"http://127.0.0.1:{port}", counter_world)
    KNOWN.clear()


@pytest.fixture
def till_console(till_world):
    """The module's orders service and gateway, the database as its set-up left it."""
    started, console = till_world
    started.reset()
    return console


def _session(base, village_id):
    session, csrf = staff_session(village_id, full_name="T")

    def post(path, **data):
        return session.post(
            base + path, data={"csrf": csrf, **data}, allow_redirects=False, timeout=20
        )

    session.post_form = post
    return session


def _error(page, error_id):
    found = re.findall(rf'id="err-{re.escape(error_id)}" role="alert">([^<]*)<', page)
    return html.unescape(found[0]) if found else None


def _count(world, model):
    with world.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_sale_refund_and_closing_through_the_console(till_console):
    base, world = till_console
    here = f"/console/villages/{world.village}"
    concierge = _session(base, world.village)
    page = concierge.get(base + here + "/caisse", timeout=20)
    assert page.status_code == 200 and "Pain de campagne" in page.text
    bread = f"qty-{world.bread['item_id']}"

    bad = concierge.post_form(here + "/caisse", **{bread: "-1", "cash": "10"})
    assert bad.status_code == 400 and "quantité" in _error(bad.text, bread)
    short = concierge.post_form(here + "/caisse", **{bread: "2", "cash": "5"})
    assert short.status_code == 400 and "Il reste 1,40" in _error(short.text, "payments")
    assert _count(world, TillSale) == 0

    key = str(uuid.uuid4())
    sold = concierge.post_form(here + "/caisse", idempotency_key=key, **{bread: "2", "cash": "10"})
    assert sold.status_code == 303
    again = concierge.post_form(here + "/caisse", idempotency_key=key, **{bread: "2", "cash": "10"})
    assert again.headers["Location"] == sold.headers["Location"] and _count(world, TillSale) == 1
    receipt = concierge.get(base + sold.headers["Location"], timeout=20).text
    assert re.search(r'id="change">3,60', receipt) and re.search(r'id="sale-total">6,40', receipt)

    refund_path = sold.headers["Location"] + "/remboursement"
    form = concierge.get(base + refund_path, timeout=20).text
    back = re.search(r'name="(back-[0-9a-f-]{36})"', form).group(1)
    too_many = concierge.post_form(refund_path, method="cash", reason="Rassis", **{back: "3"})
    assert too_many.status_code == 400 and "2 au plus" in _error(too_many.text, back)
    asked = concierge.post_form(refund_path, method="cash", reason="Rassis", **{back: "1"})
    assert asked.status_code == 200 and 'id="refund-amount">3,20' in asked.text
    assert _count(world, TillRefund) == 0, "nothing refunded before the confirmation"
    done = concierge.post_form(
        refund_path, method="cash", reason="Rassis", confirm="1", **{back: "1"}
    )
    assert done.status_code == 303 and _count(world, TillRefund) == 1

    closing = here + "/caisse/cloture"
    unreadable = concierge.post_form(closing, counted="beaucoup", float="20")
    assert unreadable.status_code == 400 and _error(unreadable.text, "counted")
    assert _count(world, TillClosing) == 0
    closed = concierge.post_form(closing, counted="22,20", float="20")
    assert closed.status_code == 303
    z = concierge.get(base + closed.headers["Location"], timeout=20).text
    assert re.search(r'id="expected-cash">23,20', z) and re.search(r'id="cash-difference">-1,00', z)
    twice = concierge.post_form(closing, counted="23,20", float="20")
    assert twice.status_code in (400, 409) and "déjà clôturée" in html.unescape(twice.text)
    assert _count(world, TillClosing) == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_shelf_refuses_a_movement_beyond_it_and_another_village_is_refused(till_console):
    base, world = till_console
    here = f"/console/villages/{world.village}"
    concierge = _session(base, world.village)
    added = concierge.post_form(
        here + "/stock", action="add", name="Café du comptoir", price="1,50", vat_rate="100"
    )
    assert added.status_code == 303
    page = concierge.get(base + here + "/stock", timeout=20).text
    stock_item_id = re.search(r'<option value="([0-9a-f-]{36})">Café du comptoir', page).group(1)
    received = concierge.post_form(
        here + "/stock", action="move", stock_item_id=stock_item_id, kind="received", quantity="3"
    )
    assert received.status_code == 303
    lost = concierge.post_form(
        here + "/stock",
        action="move",
        stock_item_id=stock_item_id,
        kind="lost",
        quantity="5",
        reason="Tombé",
    )
    assert lost.status_code == 400 and "3 en rayon" in _error(lost.text, "quantity")

    stranger = _session(base, world.other_village)
    for tail in ("/caisse", "/caisse/cloture", "/caisse/solidaire", "/stock"):
        assert stranger.get(base + here + tail, timeout=20).status_code == 403, tail
        assert stranger.post_form(here + tail, counted="1").status_code == 403, tail


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_bad_receipt_address_is_shown_beside_its_field_and_nothing_is_sold(till_console):
    base, world = till_console
    here = f"/console/villages/{world.village}"
    concierge = _session(base, world.village)
    bread = f"qty-{world.bread['item_id']}"
    bad = concierge.post_form(
        here + "/caisse", email="pas-une-adresse", **{bread: "1", "cash": "5"}
    )
    assert bad.status_code == 400 and "e-mail" in _error(bad.text, "email").lower()
    assert _count(world, TillSale) == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_pooled_order_goes_onto_the_shelf_from_the_console_in_one_go(till_console):
    base, world = till_console
    here = f"/console/villages/{world.village}"
    place(world, world.village, order_input(world, (world.cheese, 3)))
    with world.db.unit_of_work() as uow:
        supplier_orders.close_due(uow, datetime(2026, 12, 2, 11, 0, tzinfo=UTC))
    concierge = _session(base, world.village)
    shelf = concierge.get(base + here + "/stock", timeout=20).text
    link = re.search(rf'href="({here}/stock/commandes-mutualisees/[0-9a-f-]{{36}})"', shelf)
    assert link, "the pooled order is offered on the stock page"
    form = concierge.get(base + link.group(1), timeout=20).text
    cheese = f"qty-{world.cheese['item_id']}"
    assert re.search(rf'id="{cheese}" name="{cheese}" inputmode="numeric" size="5" value="3"', form)

    bad = concierge.post_form(link.group(1), **{cheese: "-1"})
    assert bad.status_code == 400 and "quantité" in _error(bad.text, cheese).lower()
    assert _count(world, StockMovement) == 0
    done = concierge.post_form(link.group(1), **{cheese: "2"})
    assert done.status_code == 303 and done.headers["Location"].endswith(here + "/stock")
    with world.db.engine.connect() as conn:
        (movement,) = conn.execute(select(StockMovement)).all()
    assert movement.change == 2 and movement.purchase_order_id == link.group(1).rsplit("/", 1)[1]
    shelf = concierge.get(base + here + "/stock", timeout=20).text
    assert "commandes-mutualisees/" not in shelf, "received: no longer offered"
    twice = concierge.post_form(link.group(1), **{cheese: "2"})
    assert twice.status_code in (400, 409) and "déjà mise en rayon" in html.unescape(twice.text)
    stranger = _session(base, world.other_village)
    assert stranger.get(base + link.group(1), timeout=20).status_code == 403


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_item_asked_for_is_noted_at_the_counter_and_a_bad_one_refused_beside_its_field(
    till_console,
):
    """Issue #26: the counter notes an item the catalogue does not offer; an empty item or
    another village's inhabitant is refused in French beside its field, with what was typed kept,
    and nothing noted; the same form sent twice (its key) is noted once."""
    base, world = till_console
    here = f"/console/villages/{world.village}/comptoir"
    concierge = _session(base, world.village)
    page = concierge.get(base + here, timeout=20).text
    assert "Article demandé" in page and 'name="theme"' in page

    empty = concierge.post_form(here, action="ask_item", item="", theme="commerce")
    assert empty.status_code == 400 and _error(empty.text, "item") == "Champ obligatoire."
    stranger = concierge.post_form(here, action="ask_item", item="Piles AA", member_id=world.chloe)
    assert stranger.status_code == 400 and "village" in _error(stranger.text, "member_id")
    assert 'value="Piles AA"' in stranger.text, "what was typed stays"
    assert stranger.text.count('id="err-member_id"') == 1, "beside this form's field only"
    assert _count(world, AskedItem) == 0

    key = str(uuid.uuid4())
    for _ in range(2):
        noted = concierge.post_form(
            here,
            action="ask_item",
            item="Piles AA",
            theme="numerique",
            member_id=world.alice,
            idempotency_key=key,
        )
        assert noted.status_code == 303 and noted.headers["Location"].endswith("fait=ask_item")
    assert "Demande notée" in concierge.get(base + noted.headers["Location"], timeout=20).text
    with world.db.unit_of_work() as uow:
        [asked] = uow.session.scalars(select(AskedItem)).all()
        assert (asked.item, asked.theme, asked.member_id) == ("Piles AA", "numerique", world.alice)
