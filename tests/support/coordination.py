"""The coordination page's test bench (tests/gateway/test_coordination_page.py): the four services
replaced by small fakes answering what the page asks for a national network (VILLAGE_COUNT
villages, PARTNER_COUNT partners), what they were asked (CALLS), a coordinator's GET, and a small
DOM of the page (the standard library's parser; no dependency). The gateway in front of the fakes
is the fixture `coordination_gateway` (tests/gateway/conftest.py)."""

import uuid
from html.parser import HTMLParser

import requests
from nameko.rpc import rpc

from gateway import auth
from gateway.console.framework import COOKIE

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
    def sales_by_partner(self, date_from, date_to, village_ids=None):
        CALLS.append(("orders", "sales_by_partner", (date_from, date_to, village_ids)))
        sold = [
            (village, partner, cents)
            for village, partner, cents in (("v002", 0, 4550), ("v149", 1, 1200))
            if village_ids is None or village in village_ids
        ]  # as figures.sales_by_partner_table sends them
        return {
            "villages": [village for village, _partner, _cents in sold],
            "rows_per_village": [1 for _sold in sold],
            "partners": [["p001", "Fromagerie du Causse"], ["p002", "Boulangerie Martin"]],
            "partner": [partner for _village, partner, _cents in sold],
            "sales_cents": [cents for _village, _partner, cents in sold],
        }

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


def get_as_coordinator(base, path):
    token = auth.issue_token(
        {
            "id": str(uuid.uuid4()),
            "role": "coordinator",
            "village_id": None,
            "full_name": "Coordination",
        }
    )
    return requests.get(base + path, cookies={COOKIE: token}, allow_redirects=False, timeout=30)


# --- a small DOM of the page (the standard library's parser; no dependency) ---------------

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


def parse_dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def body_rows(table: Node) -> list[list[str]]:
    body = next(table.iter("tbody"))
    return [
        [
            cell.text().strip()
            for cell in row.children
            if isinstance(cell, Node) and cell.tag in ("th", "td")
        ]
        for row in body.iter("tr")
    ]


def villages_table(dom: Node) -> tuple[list[str], list[list[str]]]:
    """The first villages' table (activity: orders, sales…): header and rows, Total last."""
    table = dom.by_id("table-activite")
    assert table is not None, "the activity table is on the page"
    header = [th.text().strip() for th in next(table.iter("thead")).iter("th")]
    return header, body_rows(table)


def assert_every_service_answered(response):
    assert "Chiffres indisponibles" not in response.text, "the four fakes answered"
