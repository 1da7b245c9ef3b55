"""The coordinator's « Signaux » on a real gateway and broker, in front of the real events service
(small fakes of the other services): a support given from a neighbouring village and an item asked
for at a counter are shown with the villages concerned, and the CSV counts them in their own
columns, one row per theme, month and village (issue #26, point 6)."""

import csv
import io
import socket
import uuid
from datetime import UTC, datetime

import pytest
import requests
from nameko.rpc import rpc

from backbone.contracts import build_envelope, parse_envelope
from backbone.schemas import load
from gateway import auth
from gateway.console.framework import COOKIE
from gateway.service import GatewayService
from services.events import signals, suggestions
from services.events.models import KnownMember, KnownVillage
from services.events.schemas import SuggestionInput, SupportInput
from services.events.service import EventsService
from tests.support.console_standins import StaffMembers

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

NOW = datetime.now(UTC)
MONTH = signals.month_of(NOW)
NAMES: dict = {}  # village id → name, what the fake members answer


class FakeMembers(StaffMembers):
    @rpc
    def village_names(self, village_ids=None):
        return [{"id": v, "name": n} for v, n in NAMES.items()]

    @rpc
    def list_grappes(self):
        return []


@pytest.fixture
def signals_console(nameko_config, container_factory, monkeypatch, service_db):
    database = service_db("events")
    monkeypatch.setenv("GATEWAY_SECRET", "signals-test")
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "10")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (FakeMembers, EventsService):
        container_factory(cls, config).start()
    container = container_factory(GatewayService, config)
    container.start()
    yield f"http://127.0.0.1:{port}", database
    NAMES.clear()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_neighbours_support_and_an_item_asked_are_shown_and_exported(signals_console):
    base, database = signals_console
    bourg, vals, member = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    NAMES.update({bourg: "Le Bourg", vals: "Les Vals"})
    with database.unit_of_work() as uow:
        for n, village in enumerate((bourg, vals)):
            uow.session.add(
                KnownVillage(
                    id=village, slug=f"v{n}", name=NAMES[village], commune="C", opened_at=NOW
                )
            )
        uow.session.add(KnownMember(id=member, village_id=vals, display_name="X"))
        uow.commit()
    with database.unit_of_work() as uow:
        made = suggestions.create_suggestion(
            uow, bourg, load(SuggestionInput(), {"category": "mobilite", "text": "Un bus"})
        )
    with database.unit_of_work() as uow:  # from Les Vals' counter, for a suggestion of Le Bourg
        suggestions.support(uow, made["id"], load(SupportInput(), {"member_id": member}), [vals])
    asked = parse_envelope(
        build_envelope(
            "item.asked",
            {
                "asked_id": str(uuid.uuid4()),
                "village_id": bourg,
                "item": "Piles AA",
                "theme": None,
                "asked_at": NOW,
            },
            village_id=bourg,
            source="orders",
        )
    )
    with database.unit_of_work() as uow:
        signals.record_item_asked(uow, asked)
    token = auth.issue_token(
        {"id": str(uuid.uuid4()), "role": "coordinator", "village_id": None, "full_name": "C"}
    )
    period = f"du={MONTH}&au={MONTH}"
    page = requests.get(
        f"{base}/console/coordination/signaux?{period}", cookies={COOKIE: token}, timeout=20
    )
    assert page.status_code == 200, page.text[:500]
    assert "Articles demandés, non proposés : 1" in page.text
    mobility = page.text.split("<strong>Mobilité et transport</strong>")[1].split("</li>")[0]
    assert "Le Bourg" in mobility and "Les Vals" in mobility, "the supporter's village concerned"

    export = requests.get(
        f"{base}/console/coordination/signaux.csv?{period}", cookies={COOKIE: token}, timeout=20
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    seen = {
        (r["Thème"], r["Village"]): (
            r["Suggestions"],
            r["Soutiens"],
            r["Articles demandés, non proposés"],
            r["Total"],
        )
        for r in rows
    }
    assert seen == {
        ("Commerce et courses", "Le Bourg"): ("0", "0", "1", "1"),
        ("Mobilité et transport", "Le Bourg"): ("1", "0", "0", "1"),
        ("Mobilité et transport", "Les Vals"): ("0", "1", "0", "1"),
    }
