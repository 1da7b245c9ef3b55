"""Money over the real broker and HTTP (partners service + gateway, SQLite and PostgreSQL): the
till's sales and the orders' events published as the orders service does, some twice and some out of
order, make a producer's statement it reads with its API key (JSON, PDF, CSV); the coordinator
downloads it, creates a commune's contract, issues its invoice once, marks it sent then paid; bad
input is refused beside its field in French; a concierge opens none of these pages."""

import csv
import html
import io
import uuid

import pytest
import requests

from backbone import topology
from gateway.service import GatewayService
from services.partners.models import Invoice, ServiceContract
from services.partners.service import PartnersService
from tests.support.coordinator_console import (
    VILLAGES,
    FakeMembers,
    described_by_error,
    field_error,
    seed_villages,
    staff_session,
)
from tests.support.infrastructure import free_port
from tests.support.money import (
    help_completed,
    order_event,
    order_line,
    refund,
    sale,
    sale_line,
)
from tests.support.pdf_text import pdf_texts
from tests.support.reliability import Broker, count, wait_until

pytestmark = pytest.mark.broker

BOURG, AUBIN = VILLAGES[0]["id"], VILLAGES[1]["id"]
PAGES = (
    "/console/coordination/releves",
    "/console/coordination/releves/releve.pdf",
    "/console/coordination/releves/mois.csv",
    "/console/coordination/contrats",
)


@pytest.fixture
def money_console(container_factory, nameko_config, service_db, monkeypatch, amqp_uri):
    from backbone.schemas import load
    from services.orders.service import OrdersService  # noqa: F401  (its db seeded alike)
    from services.partners import partners
    from services.partners.schemas import PartnerInput

    monkeypatch.setenv("GATEWAY_SECRET", "money-pages-test")
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "10")
    orders_db, partners_db = service_db("orders"), service_db("partners")
    seed_villages(orders_db, partners_db)
    made = {}
    for key, data in (
        (
            "producer",
            {
                "name": "Ferme du Plateau",
                "kind": "producer",
                "village_ids": [BOURG, AUBIN],
                "relationships": ["supplier"],
                "commission_per_mille": 125,
                "siret": "73282932000074",
            },
        ),
        (
            "other",
            {"name": "Miellerie", "kind": "producer", "relationships": ["supplier"]},
        ),
        (
            "commune",
            {
                "name": "Commune du Bourg",
                "kind": "local_authority",
                "village_ids": [BOURG],
                "relationships": ["client"],
            },
        ),
    ):
        with partners_db.unit_of_work() as uow:
            made[key] = partners.register_partner(uow, load(PartnerInput(), data))
    port = free_port()
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (PartnersService, FakeMembers, GatewayService):
        container_factory(cls, config).start()
    base = f"http://127.0.0.1:{port}"
    broker = Broker(amqp_uri, topology.subscriptions_of(PartnersService))
    yield {
        "base": base,
        "db": partners_db,
        "broker": broker,
        "producer": made["producer"]["partner"]["id"],
        "key": made["producer"]["api_key"],
        "other_key": made["other"]["api_key"],
        "commune": made["commune"]["partner"]["id"],
        "coordinator": staff_session(base, "coordinator"),
    }
    broker.close()


def api(console, path, key=None):
    return requests.get(
        console["base"] + path, headers={"X-API-Key": key or console["key"]}, timeout=20
    )


def test_a_producers_statement_from_events_told_twice_and_out_of_order(money_console):
    console, producer = money_console, money_console["producer"]
    sold = sale(BOURG, [sale_line(producer, 4, 350), sale_line(None, 1, 120)])
    lines = [order_line(producer, 2, 1000)]
    order_id = str(uuid.uuid4())
    envelopes = [
        sold,
        sold,  # redelivered: counted once
        refund(BOURG, sold, [sale_line(producer, 1, 350)]),
        order_event("collected", AUBIN, order_id, lines),  # before its placing arrives
        sale(AUBIN, [sale_line(producer, 1, 999)]),
    ]
    for envelope in envelopes:
        console["broker"].publish_envelope(envelope)
    # the placing arrives last, and once more: the order counts then, once
    for envelope in [order_event("placed", AUBIN, order_id, lines)] * 2:
        console["broker"].publish_envelope(envelope)
    statement = wait_until(
        lambda: (
            (s := api(console, "/api/partner/statements/2026-11").json())["totals"][
                "order_quantity"
            ]
            == 2
            and s
        ),
        message="the order counted in the statement",
    )
    rows = {r["village_name"]: r for r in statement["villages"]}
    assert (rows["Bourg-aux-Chênes"]["till_quantity"], rows["Bourg-aux-Chênes"]["till_cents"]) == (
        3,
        1050,
    )
    assert rows["Saint-Aubin"]["sold_cents"] == 999 + 2000
    totals = statement["totals"]
    assert totals["sold_cents"] == 1050 + 2999
    assert totals["commission_cents"] == 506  # 12.5 % of 40.49 € = 5.06125 €
    assert totals["due_cents"] == 4049 - 506
    # the other producer sells nothing of it
    other = api(console, "/api/partner/statements/2026-11", console["other_key"]).json()
    assert other["villages"] == [] and other["totals"]["sold_cents"] == 0

    pdf = api(console, "/api/partner/statements/2026-11/pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    texts = pdf_texts(pdf.content)
    assert any("Ferme du Plateau" in t and "novembre 2026" in t for t in texts)
    assert any("Montant qui vous est dû" in t and "35,43" in t for t in texts)
    answer = api(console, "/api/partner/statements/2026-11/csv")
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Partenaire" and rows[-1][3] == "Total"
    assert rows[-1][8:] == ["40,49", "125", "5,06", "35,43"]

    bad = api(console, "/api/partner/statements/novembre")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"month": ["Un mois s'écrit AAAA-MM (ex. 2026-11)."]}
    assert (
        requests.get(console["base"] + "/api/partner/statements/2026-11", timeout=10).status_code
        == 401
    )

    coordinator = console["coordinator"]
    page = coordinator.get(f"/console/coordination/releves?partenaire={producer}&mois=2026-11")
    assert page.status_code == 200 and "Ferme du Plateau — novembre 2026" in page.text
    assert 'id="total-due"' in page.text
    download = coordinator.get(
        f"/console/coordination/releves/releve.pdf?partenaire={producer}&mois=2026-11"
    )
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    month = coordinator.get("/console/coordination/releves/mois.csv?mois=2026-11")
    assert month.status_code == 200 and "Ferme du Plateau" in month.content.decode("utf-8-sig")
    assert coordinator.get("/console/coordination/releves?mois=2026-13").status_code == 400
    wrong = coordinator.get(f"/console/coordination/releves?partenaire={producer}&mois=2026-13")
    assert wrong.status_code == 400
    assert (
        field_error(html.unescape(wrong.text), "mois") == "Un mois s'écrit AAAA-MM (ex. 2026-11)."
    )


def test_a_communes_invoice_issued_once_sent_and_paid_from_the_console(money_console):
    console = money_console
    coordinator = console["coordinator"]
    bad = coordinator.post(
        "/console/coordination/contrats",
        {
            "partner_id": console["producer"],  # not a commune
            "name": "Services aux aînés",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
            "help_hour_cents": "vingt euros",
        },
    )
    assert bad.status_code == 400
    assert (
        field_error(bad.text, "help_hour_cents") == "Montant en euros invalide (ex. 15 ou 12,50)."
    )
    assert count(console["db"], ServiceContract) == 0
    bad = coordinator.post(
        "/console/coordination/contrats",
        {
            "partner_id": console["commune"],
            "name": "Services aux aînés",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
            "help_hour_cents": "25",
        },
    )
    assert bad.status_code == 400
    assert field_error(bad.text, "village_ids") and described_by_error(bad.text, "village_ids")
    assert 'value="2025-12-31"' in bad.text  # what was typed is shown again
    bad = coordinator.post(
        "/console/coordination/contrats",
        {
            "partner_id": console["commune"],
            "name": "Services aux aînés",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
            "village_ids": BOURG,
            "help_hour_cents": "25",
        },
    )
    assert bad.status_code == 400 and field_error(bad.text, "ends_on")
    created = coordinator.post(
        "/console/coordination/contrats",
        {
            "partner_id": console["commune"],
            "name": "Services aux aînés",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "village_ids": BOURG,
            "help_hour_cents": "25",
            "home_delivery_cents": "6,50",
            "premises_month_cents": "400",
        },
    )
    assert created.status_code == 303
    contract_path = created.headers["Location"].split("?")[0]
    console["broker"].publish_envelope(help_completed(BOURG, 90))
    console["broker"].publish_envelope(help_completed(AUBIN, 90))  # not the contract's village
    page = wait_until(
        lambda: (
            "invoice-total" in (p := coordinator.get(f"{contract_path}?mois=2026-11").text) and p
        ),
        message="the coup de main in the month's statement",
    )
    assert "37,50\u00a0€" in page and "400,00\u00a0€" in page
    issued = coordinator.post(contract_path, {"action": "issue", "mois": "2026-11"})
    assert issued.status_code == 303
    page = coordinator.get(issued.headers["Location"]).text
    number = page.split('id="invoice-number">')[1].split("<")[0]
    assert number.endswith("-0001")
    again = coordinator.post(contract_path, {"action": "issue", "mois": "2026-11"})
    assert again.status_code == 409 and "déjà émise" in again.text
    assert count(console["db"], Invoice) == 1
    pdf = coordinator.get(f"{contract_path}/facture.pdf?mois=2026-11")
    assert pdf.status_code == 200
    assert any(f"Facture n° {number}" in t for t in pdf_texts(pdf.content))
    invoice_id = page.split('name="invoice_id" value="')[1].split('"')[0]
    bad_mail = coordinator.post(
        contract_path,
        {"action": "sent", "mois": "2026-11", "invoice_id": invoice_id, "sent_to": "mairie"},
    )
    assert bad_mail.status_code == 400 and field_error(bad_mail.text, "sent_to")
    sent = coordinator.post(
        contract_path,
        {"action": "sent", "mois": "2026-11", "invoice_id": invoice_id, "sent_to": ""},
    )
    assert sent.status_code == 303
    paid = coordinator.post(
        contract_path, {"action": "paid", "mois": "2026-11", "invoice_id": invoice_id}
    )
    assert paid.status_code == 303
    assert 'id="invoice-status">Payée' in coordinator.get(f"{contract_path}?mois=2026-11").text

    # the commune reads its own invoice through its link, never another's
    from services.partners import commune_links

    with console["db"].unit_of_work() as uow:
        token = commune_links.issue_link(uow, console["commune"])["token"]
    commune = requests.Session()
    opened = commune.get(f"{console['base']}/commune/{token}", allow_redirects=False, timeout=15)
    assert opened.status_code == 303
    own = commune.get(f"{console['base']}/commune/factures/{invoice_id}.pdf", timeout=15)
    assert own.status_code == 200 and any(
        f"Facture n° {number}" in t for t in pdf_texts(own.content)
    )
    other = commune.get(f"{console['base']}/commune/factures/{uuid.uuid4()}.pdf", timeout=15)
    assert other.status_code == 404
    stranger = requests.get(f"{console['base']}/commune/factures/{invoice_id}.pdf", timeout=15)
    assert stranger.status_code != 200


def test_a_concierge_opens_none_of_the_money_pages(money_console):
    concierge = staff_session(money_console["base"], "concierge", BOURG)
    for path in PAGES:
        assert concierge.get(path).status_code == 403, path


def test_the_funding_mix_with_an_in_kind_contribution(money_console):
    console = money_console
    coordinator = console["coordinator"]
    console["broker"].publish_envelope(sale(BOURG, [sale_line(console["producer"], 2, 1500)]))
    bad = coordinator.post(
        "/console/coordination/financements",
        {
            "form": "in_kind",
            "village_id": BOURG,
            "description": "Prêt d'un véhicule",
            "value_cents": "beaucoup",
            "month": "novembre",
        },
    )
    assert bad.status_code == 400
    page = html.unescape(bad.text)
    assert field_error(page, "value_cents") == "Montant en euros invalide (ex. 15 ou 12,50)."
    assert field_error(page, "month") == "Un mois s'écrit AAAA-MM (ex. 2026-11)."
    added = coordinator.post(
        "/console/coordination/financements",
        {
            "form": "in_kind",
            "village_id": BOURG,
            "description": "Prêt d'un véhicule",
            "value_cents": "120",
            "month": "2026-11",
        },
    )
    assert added.status_code == 303
    period = "du=2026-11-01&au=2026-11-30"
    page = wait_until(
        lambda: (
            "30,00" in (p := coordinator.get(f"/console/coordination/financements?{period}").text)
            and p
        ),
        message="the sale in the funding mix",
    )
    assert 'id="funding-mix"' in page and "120,00" in page
    exported = coordinator.get(f"/console/coordination/financements/repartition.csv?{period}")
    rows = exported.content.decode("utf-8-sig").splitlines()
    assert rows[1].split(";")[:2] == ["Bourg-aux-Chênes", "30,00"]
    assert rows[1].split(";")[-1] == "120,00"
