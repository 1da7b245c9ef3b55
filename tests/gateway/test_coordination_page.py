"""The coordinator's page `/console/coordination` on a real gateway container and the real broker,
the four services replaced by small fakes answering what the page asks (a national network: 150
villages, 250 partners): the villages' tables by pages of VILLAGES_PER_PAGE with the Total of the
whole selection, charts of the CHART_BARS largest villages, a detail's first DETAIL_ROWS_SHOWN rows,
and the export-only detail `sales_by_partner` asked for by its CSV only."""

import csv
import io

import pytest

from gateway.console import figures as F
from gateway.console.coordination import DETAIL_ROWS_SHOWN, VILLAGES_PER_PAGE
from tests.support.coordination import (
    CALLS,
    LARGEST_SALES,
    PERIOD,
    VILLAGE_COUNT,
    assert_every_service_answered,
    body_rows,
    get_as_coordinator,
    parse_dom,
    villages_table,
)

pytestmark = pytest.mark.broker

# --- the tests -----------------------------------------------------------------------------


def test_the_villages_tables_show_a_page_of_villages_and_the_total_of_them_all(
    coordination_gateway,
):
    assert VILLAGES_PER_PAGE == 100
    total_orders = F.display("orders", sum(range(1, VILLAGE_COUNT + 1)))
    assert total_orders == "11\u202f325"
    total_sales = F.display(
        "sales_cents", 100 * (sum(range(1, VILLAGE_COUNT + 1)) - 7) + LARGEST_SALES
    )
    assert total_sales == "111\u202f318,00\u00a0€"

    first = get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}")
    assert first.status_code == 200, first.text[:2000]
    assert_every_service_answered(first)
    dom = parse_dom(first.text)
    header, rows = villages_table(dom)
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
        assert len(body_rows(dom.by_id(other))) == 101, other
    assert dom.by_id("err-page") is None

    second = get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}&page=2")
    assert second.status_code == 200
    dom = parse_dom(second.text)
    _header, rows = villages_table(dom)
    assert [r[0] for r in rows[:-1]] == [f"Village {i:03d}" for i in range(101, 151)]
    assert rows[-1][:3] == ["Total", total_orders, total_sales]
    assert dom.by_id("villages-shown").text().startswith("Villages 101 à 150 sur 150")
    assert dom.by_id("next-villages") is None
    previous = next(a for a in dom.iter("a") if a.attrs.get("rel") == "prev")
    assert previous.text() == "Villages précédents"
    assert previous.attrs["href"] == f"/console/coordination?{PERIOD}&page=1"

    past = get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}&page=99")
    assert past.status_code == 200, "a page past the last gives the last"
    dom = parse_dom(past.text)
    _header, rows = villages_table(dom)
    assert [r[0] for r in rows[:-1]] == [f"Village {i:03d}" for i in range(101, 151)]
    assert rows[-1][:2] == ["Total", total_orders]
    assert "Page 2 sur 2" in past.text

    for wrong in ("abc", "0", "-1", "²", "1.5"):
        refused = get_as_coordinator(
            coordination_gateway, f"/console/coordination?{PERIOD}&page={wrong}"
        )
        assert refused.status_code == 400, wrong
        error = parse_dom(refused.text).by_id("err-page")
        assert error is not None and error.text() == "Numéro de page invalide (1, 2, 3…).", wrong


def test_a_chart_draws_the_fifteen_largest_villages(coordination_gateway):
    assert F.CHART_BARS == 15
    response = get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}")
    assert response.status_code == 200
    assert_every_service_answered(response)
    charts = list(parse_dom(response.text).iter("svg"))
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


def test_a_detail_shows_its_first_rows_and_says_the_csv_has_them_all(coordination_gateway):
    assert DETAIL_ROWS_SHOWN == 200
    response = get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}")
    assert response.status_code == 200
    dom = parse_dom(response.text)
    table = dom.by_id("table-partner_sales")
    assert table is not None
    rows = body_rows(table)
    assert len(rows) == 200
    assert rows[0][0] == "Partenaire 001" and rows[-1][0] == "Partenaire 200"
    assert "Partenaire 201" not in response.text
    assert "Les 200 premières lignes sur 250 : le CSV les contient toutes." in response.text
    section = next(
        s for s in dom.iter("section") if s.attrs.get("aria-labelledby") == "h-partner_sales"
    )
    link = next(a for a in section.iter("a") if "partner_sales.csv" in a.attrs.get("href", ""))
    assert link.attrs["href"] == f"/console/coordination/export/partner_sales.csv?{PERIOD}"

    export = get_as_coordinator(
        coordination_gateway, f"/console/coordination/export/partner_sales.csv?{PERIOD}"
    )
    assert export.status_code == 200
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 1 + 250 and lines[-1] == ["Partenaire 250", "1,00"]


def test_parcels_by_sender_show_in_french_on_the_page_and_in_their_csv(coordination_gateway):
    dom = parse_dom(
        get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}").text
    )
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
    assert body_rows(table) == [
        ["La Poste", "", "12", "10", "1"],
        ["Transporteur", "Chronopost", "3", "3", "0"],
    ]
    export = get_as_coordinator(
        coordination_gateway, f"/console/coordination/export/parcels_by_sender.csv?{PERIOD}"
    )
    assert export.status_code == 200
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert lines == [
        ["Expéditeur", "Nom de l'expéditeur", "Colis reçus", "Colis remis", "Colis retournés"],
        ["La Poste", "", "12", "10", "1"],
        ["Transporteur", "Chronopost", "3", "3", "0"],
    ]


def test_sales_by_partner_is_asked_for_by_its_csv_only(coordination_gateway):
    page = get_as_coordinator(coordination_gateway, f"/console/coordination?{PERIOD}")
    assert page.status_code == 200
    assert_every_service_answered(page)
    figures_calls = [c for c in CALLS if c[1] == "village_figures"]
    assert {c[0] for c in figures_calls} == {"members", "orders", "partners", "events"}
    assert [c[2] for c in figures_calls if c[0] == "orders"] == [
        ("2026-01-01", "2026-06-30", None)
    ], "the page asks with 3 arguments, no details"
    assert all(len(c[2]) == 3 for c in figures_calls)
    assert ("orders", "list_rounds", (None, None)) in CALLS
    dom = parse_dom(page.text)
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
    export = get_as_coordinator(
        coordination_gateway, f"/console/coordination/export/sales_by_partner.csv?{PERIOD}"
    )
    assert export.status_code == 200, export.text[:2000]
    assert export.headers["Content-Type"].startswith("text/csv")
    assert (
        'filename="maillage-sales_by_partner-2026-01-01-2026-06-30.csv"'
        in export.headers["Content-Disposition"]
    )
    # the export asks the orders service alone, its lean method, not every service's figures
    assert [c for c in CALLS if c[1] != "village_names"] == [
        ("orders", "sales_by_partner", ("2026-01-01", "2026-06-30", None))
    ]
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Village", "Partenaire", "Ventes (€)"]
    assert ["Village 002", "Fromagerie du Causse", "45,50"] in lines
    assert ["Village 149", "Boulangerie Martin", "12,00"] in lines
    assert len(lines) == 3

    one = get_as_coordinator(
        coordination_gateway,
        f"/console/coordination/export/sales_by_partner.csv?{PERIOD}&village=v149",
    )
    assert list(csv.reader(io.StringIO(one.content.decode("utf-8-sig")), delimiter=";"))[1:] == [
        ["Village 149", "Boulangerie Martin", "12,00"]
    ]
