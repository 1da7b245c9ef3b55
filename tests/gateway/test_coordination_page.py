"""The coordinator's page `/console/coordination` on a real gateway container and the real broker,
the four services replaced by small fakes answering what the page asks (a national network: 150
villages, 250 partners): the villages' tables by pages of VILLAGES_PER_PAGE with the Total of the
whole selection, charts of the CHART_BARS largest villages, a detail's first DETAIL_ROWS_SHOWN rows,
and the export-only detail `sales_by_partner` asked for by its CSV only."""

import csv
import io
import socket
import uuid
from html.parser import HTMLParser

import pytest
import requests
from nameko.rpc import rpc

from gateway import auth
from gateway.console import figures as F
from gateway.console.coordination import DETAIL_ROWS_SHOWN, VILLAGES_PER_PAGE
from gateway.console.framework import COOKIE
from gateway.console.live import LiveEvents
from gateway.service import GatewayService

pytestmark = pytest.mark.broker

PERIOD = "du=2026-01-01&au=2026-06-30"
VILLAGE_COUNT = 150
PARTNER_COUNT = 250
# village i (1…150): "Village 001"…, its orders i, its sales 100·i cents except the largest
VILLAGES = [
    {"id": f"v{i:03d}", "slug": f"village-{i:03d}", "name": f"Village {i:03d}", "status": "active"}
    for i in range(1, VILLAGE_COUNT + 1)
]
LARGEST = "v007"  # on the first page, far from the villages whose sales come next
LARGEST_SALES = 10_000_000

CALLS: list[tuple] = []  # (service, method, args as the service received them)
_ABSENT = object()  # `details` not sent at all (the page), as opposed to sent


def _number(village_id: str) -> int:
    return int(village_id[1:])


def _record(service, date_from, date_to, village_ids, details):
    CALLS.append(
        (
            service,
            "village_figures",
            (date_from, date_to, village_ids) + (() if details is _ABSENT else (details,)),
        )
    )
    return [v for v in VILLAGES if village_ids is None or v["id"] in village_ids]


class FakeMembers:
    name = "members"

    @rpc
    def village_names(self, village_ids=None):
        CALLS.append(("members", "village_names", (village_ids,)))
        return [v for v in VILLAGES if village_ids is None or v["id"] in village_ids]

    @rpc
    def village_figures(self, date_from, date_to, village_ids=None, details=_ABSENT):
        villages = _record("members", date_from, date_to, village_ids, details)
        return {
            "figures": {
                v["id"]: {
                    "new_members": _number(v["id"]) % 3,
                    "volunteer_minutes": 60 * _number(v["id"]),
                }
                for v in villages
            },
            "details": {},
        }


class FakeOrders:
    name = "orders"

    @rpc
    def village_figures(self, date_from, date_to, village_ids=None, details=_ABSENT):
        villages = _record("orders", date_from, date_to, village_ids, details)
        figures = {
            v["id"]: {
                "orders": _number(v["id"]),
                "sales_cents": LARGEST_SALES if v["id"] == LARGEST else 100 * _number(v["id"]),
            }
            for v in villages
        }
        found = {
            "partner_sales": [
                {
                    "partner_id": f"p{n:03d}",
                    "partner_name": f"Partenaire {n:03d}",
                    "sales_cents": 100 * (PARTNER_COUNT + 1 - n),
                }
                for n in range(1, PARTNER_COUNT + 1)
            ],
            "parcels_by_sender": [
                {
                    "sender_kind": "la_poste",
                    "sender_kind_label": "La Poste",
                    "sender_name": "",
                    "parcels_received": 12,
                    "parcels_handed_over": 10,
                    "parcels_returned": 1,
                },
                {
                    "sender_kind": "carrier",
                    "sender_kind_label": "Transporteur",
                    "sender_name": "Chronopost",
                    "parcels_received": 3,
                    "parcels_handed_over": 3,
                    "parcels_returned": 0,
                },
            ],
        }
        if details is not _ABSENT and "sales_by_partner" in (details or ()):
            found["sales_by_partner"] = [
                {
                    "village_id": "v002",
                    "partner_id": "p001",
                    "partner_name": "Fromagerie du Causse",
                    "sales_cents": 4550,
                },
                {
                    "village_id": "v149",
                    "partner_id": "p002",
                    "partner_name": "Boulangerie Martin",
                    "sales_cents": 1200,
                },
            ]
        return {"figures": figures, "details": found}

    @rpc
    def list_rounds(self, village_ids=None, on_date=None, partner_id=None):
        CALLS.append(("orders", "list_rounds", (village_ids, on_date)))
        return []


class FakePartners:
    name = "partners"

    @rpc
    def village_figures(self, date_from, date_to, village_ids=None, details=_ABSENT):
        villages = _record("partners", date_from, date_to, village_ids, details)
        return {
            "figures": {v["id"]: {"funding_total_cents": 5000} for v in villages},
            "details": {},
        }


class FakeEvents:
    name = "events"

    @rpc
    def village_figures(self, date_from, date_to, village_ids=None, details=_ABSENT):
        villages = _record("events", date_from, date_to, village_ids, details)
        return {
            "figures": {v["id"]: {"attendance": _number(v["id"]) % 7} for v in villages},
            "details": {},
        }


@pytest.fixture
def gateway(nameko_config, container_factory, monkeypatch):
    # nameko_config first: its vhost is dropped after the containers are killed, not under them
    monkeypatch.setenv("GATEWAY_SECRET", "coordination-test")
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "5")
    CALLS.clear()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (FakeMembers, FakeOrders, FakePartners, FakeEvents):
        container_factory(cls, config).start()
    container = container_factory(GatewayService, config)
    container.start()
    next(e for e in container.extensions if isinstance(e, LiveEvents)).ready.wait()
    yield f"http://127.0.0.1:{port}"
    CALLS.clear()


def _get(base, path):
    token = auth.issue_token(
        {
            "id": str(uuid.uuid4()),
            "role": "coordinator",
            "village_id": None,
            "full_name": "Coordination",
        }
    )
    return requests.get(base + path, cookies={COOKIE: token}, allow_redirects=False, timeout=30)


# --- a small DOM of the page (the standard library's parser; no dependency) -----------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag=None):
        for child in self.children:
            if isinstance(child, Node):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def by_id(self, ident):
        return next((n for n in self.iter() if n.attrs.get("id") == ident), None)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#root", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def _dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def _body_rows(table: Node) -> list[list[str]]:
    body = next(table.iter("tbody"))
    return [
        [
            cell.text().strip()
            for cell in row.children
            if isinstance(cell, Node) and cell.tag in ("th", "td")
        ]
        for row in body.iter("tr")
    ]


def _villages_table(dom: Node) -> tuple[list[str], list[list[str]]]:
    """The first villages' table (activity: orders, sales…): header and rows, Total last."""
    table = dom.by_id("table-activite")
    assert table is not None, "the activity table is on the page"
    header = [th.text().strip() for th in next(table.iter("thead")).iter("th")]
    return header, _body_rows(table)


def _assert_every_service_answered(response):
    assert "Chiffres indisponibles" not in response.text, "the four fakes answered"


# --- the tests ------------------------------------------------------------------------------------


def test_the_villages_tables_show_a_page_of_villages_and_the_total_of_them_all(gateway):
    assert VILLAGES_PER_PAGE == 100
    total_orders = F.display("orders", sum(range(1, VILLAGE_COUNT + 1)))
    assert total_orders == "11\u202f325"
    total_sales = F.display(
        "sales_cents", 100 * (sum(range(1, VILLAGE_COUNT + 1)) - 7) + LARGEST_SALES
    )
    assert total_sales == "111\u202f318,00\u00a0€"

    first = _get(gateway, f"/console/coordination?{PERIOD}")
    assert first.status_code == 200, first.text[:2000]
    _assert_every_service_answered(first)
    dom = _dom(first.text)
    header, rows = _villages_table(dom)
    assert header[:3] == ["Village", "Commandes", "Ventes"]
    assert len(rows) == 101 and rows[-1][0] == "Total"
    assert [r[0] for r in rows[:-1]] == [f"Village {i:03d}" for i in range(1, 101)]
    assert rows[-1][:3] == ["Total", total_orders, total_sales], (
        "the Total counts the 150 villages, not the 100 shown"
    )
    assert (
        dom.by_id("villages-shown")
        .text()
        .startswith("Villages 1 à 100 sur 150 (ordre alphabétique)")
    )
    following = dom.by_id("next-villages")
    assert following is not None and following.text() == "Villages suivants"
    assert following.attrs["href"] == f"/console/coordination?{PERIOD}&page=2"
    assert "Villages précédents" not in first.text
    for other in ("table-entraide", "table-vie-locale", "table-financements"):
        assert len(_body_rows(dom.by_id(other))) == 101, other
    assert dom.by_id("err-page") is None

    second = _get(gateway, f"/console/coordination?{PERIOD}&page=2")
    assert second.status_code == 200
    dom = _dom(second.text)
    _header, rows = _villages_table(dom)
    assert [r[0] for r in rows[:-1]] == [f"Village {i:03d}" for i in range(101, 151)]
    assert rows[-1][:3] == ["Total", total_orders, total_sales]
    assert dom.by_id("villages-shown").text().startswith("Villages 101 à 150 sur 150")
    assert dom.by_id("next-villages") is None
    previous = next(a for a in dom.iter("a") if a.attrs.get("rel") == "prev")
    assert previous.text() == "Villages précédents"
    assert previous.attrs["href"] == f"/console/coordination?{PERIOD}&page=1"

    past = _get(gateway, f"/console/coordination?{PERIOD}&page=99")
    assert past.status_code == 200, "a page past the last gives the last"
    dom = _dom(past.text)
    _header, rows = _villages_table(dom)
    assert [r[0] for r in rows[:-1]] == [f"Village {i:03d}" for i in range(101, 151)]
    assert rows[-1][:2] == ["Total", total_orders]
    assert "Page 2 sur 2" in past.text

    for wrong in ("abc", "0", "-1", "²", "1.5"):
        refused = _get(gateway, f"/console/coordination?{PERIOD}&page={wrong}")
        assert refused.status_code == 400, wrong
        error = _dom(refused.text).by_id("err-page")
        assert error is not None and error.text() == "Numéro de page invalide (1, 2, 3…).", wrong


def test_a_chart_draws_the_fifteen_largest_villages(gateway):
    assert F.CHART_BARS == 15
    response = _get(gateway, f"/console/coordination?{PERIOD}")
    assert response.status_code == 200
    _assert_every_service_answered(response)
    charts = list(_dom(response.text).iter("svg"))
    assert len(charts) == 3, "sales, orders, volunteering"
    for svg in charts:
        assert len(list(svg.iter("rect"))) == 15
        assert next(svg.iter("title")).text().endswith(" : les 15 premiers villages")
    sales = charts[0]
    assert next(sales.iter("title")).text() == "Ventes : les 15 premiers villages"
    drawn = [t.text() for t in sales.iter("text") if t.attrs.get("text-anchor") == "end"]
    expected = ["Village 007"] + [f"Village {i:03d}" for i in range(150, 136, -1)]
    assert drawn == expected, "the largest first, then the next 14 by sales"
    assert "Village 001" not in "".join(sales.text()), "a small village is left out of the chart"


def test_a_detail_shows_its_first_rows_and_says_the_csv_has_them_all(gateway):
    assert DETAIL_ROWS_SHOWN == 200
    response = _get(gateway, f"/console/coordination?{PERIOD}")
    assert response.status_code == 200
    dom = _dom(response.text)
    table = dom.by_id("table-partner_sales")
    assert table is not None
    rows = _body_rows(table)
    assert len(rows) == 200
    assert rows[0][0] == "Partenaire 001" and rows[-1][0] == "Partenaire 200"
    assert "Partenaire 201" not in response.text
    assert "Les 200 premières lignes sur 250 : le CSV les contient toutes." in response.text
    section = next(
        s for s in dom.iter("section") if s.attrs.get("aria-labelledby") == "h-partner_sales"
    )
    link = next(a for a in section.iter("a") if "partner_sales.csv" in a.attrs.get("href", ""))
    assert link.attrs["href"] == f"/console/coordination/export/partner_sales.csv?{PERIOD}"

    export = _get(gateway, f"/console/coordination/export/partner_sales.csv?{PERIOD}")
    assert export.status_code == 200
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 1 + 250 and lines[-1] == ["Partenaire 250", "1,00"]


def test_parcels_by_sender_show_in_french_on_the_page_and_in_their_csv(gateway):
    dom = _dom(_get(gateway, f"/console/coordination?{PERIOD}").text)
    section = next(
        s for s in dom.iter("section") if s.attrs.get("aria-labelledby") == "h-parcels_by_sender"
    )
    assert next(section.iter("h2")).text() == "Colis par expéditeur"
    table = dom.by_id("table-parcels_by_sender")
    assert [th.text() for th in table.iter("th")] == [
        "Expéditeur",
        "Nom de l'expéditeur",
        "Colis reçus",
        "Colis remis",
        "Colis retournés",
    ]
    assert _body_rows(table) == [
        ["La Poste", "", "12", "10", "1"],
        ["Transporteur", "Chronopost", "3", "3", "0"],
    ]
    export = _get(gateway, f"/console/coordination/export/parcels_by_sender.csv?{PERIOD}")
    assert export.status_code == 200
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert lines == [
        ["Expéditeur", "Nom de l'expéditeur", "Colis reçus", "Colis remis", "Colis retournés"],
        ["La Poste", "", "12", "10", "1"],
        ["Transporteur", "Chronopost", "3", "3", "0"],
    ]


def test_sales_by_partner_is_asked_for_by_its_csv_only(gateway):
    page = _get(gateway, f"/console/coordination?{PERIOD}")
    assert page.status_code == 200
    _assert_every_service_answered(page)
    figures_calls = [c for c in CALLS if c[1] == "village_figures"]
    assert {c[0] for c in figures_calls} == {"members", "orders", "partners", "events"}
    assert [c[2] for c in figures_calls if c[0] == "orders"] == [
        ("2026-01-01", "2026-06-30", None)
    ], "the page asks with 3 arguments, no details"
    assert all(len(c[2]) == 3 for c in figures_calls)
    assert ("orders", "list_rounds", (None, None)) in CALLS
    dom = _dom(page.text)
    link = dom.by_id("export-sales_by_partner")
    assert (
        link is not None
        and link.attrs["href"] == f"/console/coordination/export/sales_by_partner.csv?{PERIOD}"
    )
    assert dom.by_id("table-sales_by_partner") is None and dom.by_id("h-sales_by_partner") is None
    assert dom.by_id("table-partner_sales") is not None, (
        "the page shows sales by partner (all villages)"
    )

    CALLS.clear()
    export = _get(gateway, f"/console/coordination/export/sales_by_partner.csv?{PERIOD}")
    assert export.status_code == 200, export.text[:2000]
    assert export.headers["Content-Type"].startswith("text/csv")
    assert (
        'filename="maillage-sales_by_partner-2026-01-01-2026-06-30.csv"'
        in export.headers["Content-Disposition"]
    )
    orders_calls = [c[2] for c in CALLS if c[:2] == ("orders", "village_figures")]
    assert orders_calls == [("2026-01-01", "2026-06-30", None, ["sales_by_partner"])]
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Village", "Partenaire", "Ventes (€)"]
    assert ["Village 002", "Fromagerie du Causse", "45,50"] in lines
    assert ["Village 149", "Boulangerie Martin", "12,00"] in lines
    assert len(lines) == 3
