"""The money's documents, pure: a producer's statement as the accountant's CSV (`;`, UTF-8 with BOM,
exact amounts with a decimal comma, a name never run as a formula) and as the producer's PDF (French
letters and euros printed with the fonts shipped); a commune's invoice as a PDF with its number."""

import csv
import datetime as dt
import io
import random

from fpdf.output import OutputProducer
from pypdf import PdfReader

from backbone import formats
from gateway.console import money_documents as D
from gateway.console import money_pdf as P
from gateway.console import report_pdf
from gateway.console.exports import to_csv
from tests.support.pdf_text import pdf_texts


def _statement(**change) -> dict:
    village = {
        "village_id": "v1",
        "village_name": "Saint-Jœuf-lès-Bœufs",
        "till_quantity": 3,
        "till_cents": 1050,
        "order_quantity": 2,
        "order_cents": -5,
        "quantity": 5,
        "sold_cents": 1045,
        "commission_cents": 157,
        "due_cents": 888,
    }
    statement = {
        "partner_id": "p1",
        "partner_name": "=Ferme « Cœur de Pays »",
        "siret": "73282932000074",
        "month": "2026-11",
        "commission_per_mille": 150,
        "villages": [village],
        "totals": {k: v for k, v in village.items() if k not in ("village_id", "village_name")},
    }
    statement.update(change)
    return statement


def test_euros_for_a_spreadsheet_are_exact():
    assert [D.csv_euros(c) for c in (0, 5, -5, 123456, -100)] == [
        "0,00",
        "0,05",
        "-0,05",
        "1234,56",
        "-1,00",
    ]
    assert D.percent(150) == "15 %" and D.percent(125) == "12,5 %"
    assert D.month_name("2026-02") == "février 2026"


def test_the_accountants_csv_has_a_line_per_village_and_the_total():
    body = D.statements_csv([_statement()])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == D.STATEMENT_HEADER
    assert rows[1][0] == "'=Ferme « Cœur de Pays »", "a name never runs as a formula"
    assert rows[1][3:] == ["Saint-Jœuf-lès-Bœufs", "3", "10,50", "2", "-0,05", "10,45", "150"] + [
        "1,57",
        "8,88",
    ]
    assert rows[2][3] == "Total" and len(rows) == 3


def test_the_producers_pdf_prints_french_and_euros():
    pdf = P.statement_pdf(_statement())
    assert pdf.startswith(b"%PDF-")
    texts = pdf_texts(pdf)
    assert any("Cœur de Pays" in t and "novembre 2026" in t for t in texts)
    assert any("Saint-Jœuf-lès-Bœufs" in t for t in texts)
    assert any("Montant qui vous est dû" in t and "8,88" in t and "€" in t for t in texts)
    empty = pdf_texts(P.statement_pdf(_statement(villages=[], commission_per_mille=0)))
    assert any("Aucune vente" in t and "Aucune commission convenue" in t for t in empty)


def test_a_name_outside_the_usual_characters_prints_whole_in_a_statement_and_an_invoice():
    """A producer or a commune named in another script (or with a rare letter, ł, ș) is printed
    with the whole fonts, never with missing glyphs."""
    village = {**_statement()["villages"][0], "village_name": "Łódź-sur-Șiret"}
    statement = _statement(partner_name="Αγρόκτημα Παπαδόπουλος", villages=[village])
    texts = pdf_texts(P.statement_pdf(statement))
    assert any("Αγρόκτημα Παπαδόπουλος" in t for t in texts), texts[:5]
    assert any("Łódź-sur-Șiret" in t for t in texts)
    invoice = P.invoice_pdf(_invoice(partner_name="Общество Береза"))
    assert any("Общество Береза" in t for t in pdf_texts(invoice))


def _invoice(**contract_change) -> dict:
    return {
        "number": "2026-0007",
        "status": "issued",
        "month": "2026-11",
        "issued_at": "2026-12-02T09:00:00+00:00",
        "contract": {
            "name": "Services aux aînés",
            "partner_name": "Commune de Saint-Aubin",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            **contract_change,
        },
        "lines": [
            {
                "village_name": "Saint-Aubin",
                "kind": "help_minutes",
                "label": "Coups de main",
                "unit": "heure",
                "quantity": 150,
                "unit_price_cents": 2200,
                "amount_cents": 5500,
            }
        ],
        "total_cents": 5500,
        "in_kind_cents": 35000,
    }


def test_a_communes_invoice_pdf_carries_its_number_and_the_premises_in_kind():
    invoice = _invoice()
    texts = pdf_texts(P.invoice_pdf(invoice))
    assert any("Facture n° 2026-0007" in t for t in texts)
    assert any("Total à payer" in t and "55,00" in t for t in texts)
    assert any("en nature" in t and "350,00" in t for t in texts)


def test_a_statements_file_name_is_plain_ascii_whatever_the_producers_name():
    from gateway.console.money_pages import _ascii

    assert _ascii("GAEC « Cœur de Pays » / Brivezac") == "GAEC-Coeur-de-Pays-Brivezac"
    assert _ascii("«»") == "partenaire"


def test_the_quick_amounts_of_the_statement_table_are_babel_s_own():
    """The table writes amounts and counts without babel (a national month has millions of them):
    exactly what backbone.formats writes, negative, zero, small and very large."""
    rng = random.Random(27)
    values = [0, 1, -1, 99, 100, -100, 999, 1000, -1000, 99_999, 100_000, 10**12, -(10**12)]
    values += [rng.randint(-(10**11), 10**11) for _ in range(5000)]
    assert [D.quick_money(v) for v in values] == [formats.money(v) for v in values]
    assert [D.quick_number(v) for v in values] == [formats.number(v) for v in values]


def test_the_quick_table_measures_and_writes_what_fpdf_would():
    """`width_of` is fpdf2's `get_string_width`, and the rows written at once are the very page
    content `text()` writes one string at a time."""
    pdf = P.Report()
    pdf.add_page()
    for style, size in (("", 9), ("B", 8)):
        pdf.set_font(P.FAMILY, style, size)
        for text in ("Saint-Jœuf-lès-Bœufs", "1\u202f234,56\xa0€", "Total", "—", ""):
            assert abs(pdf.width_of(text) - pdf.get_string_width(text)) < 1e-9, text

    class OneByOne(P.Report):
        def texts(self, placed, baseline):
            for x, text in placed:
                self.text(x, baseline, text)

    header = ["Village", "Qté", "Vendu"]
    rows = [[f"Village {n}", D.quick_number(n), D.quick_money(n * 1234)] for n in range(120)]
    rows[3][0] = "Chez (Jean) \\ Vœux\r"  # escaped as text() escapes them
    contents = []
    for cls in (P.Report, OneByOne):
        pdf = cls()
        pdf.add_page()
        pdf.ruled_table(header, rows + [["Total", "7", D.quick_money(-5)]])
        contents.append([bytes(page.contents) for page in pdf.pages.values()])
    assert len(contents[0]) >= 2  # the table ran over a page: its header again
    assert contents[0] == contents[1]


def _month(count: int, villages: int, seed: int = 27) -> list[dict]:
    """A month's statements of `count` producers selling in the same `villages`, random amounts."""
    rng = random.Random(seed)
    statements = []
    for p in range(count):
        rows = []
        for n in range(villages):
            till, order = rng.randint(0, 90_000), rng.randint(-350, 90_000)
            commission = (till + order) * 150 // 1000
            rows.append(
                {
                    "village_id": f"v{n}",
                    "village_name": ["Saint-Jœuf-lès-Bœufs", "=1+1", "Vœux (Haut)"][n % 3] + str(n),
                    "till_quantity": rng.randint(0, 60),
                    "till_cents": till,
                    "order_quantity": rng.randint(0, 60),
                    "order_cents": order,
                    "sold_cents": till + order,
                    "commission_cents": commission,
                    "due_cents": till + order - commission,
                }
            )
        totals = {k: sum(r[k] for r in rows) for k in rows[0] if k.endswith(("_cents", "ity"))}
        statements.append(
            _statement(partner_id=f"p{p}", partner_name=f"@Ferme {p}", villages=rows, totals=totals)
        )
    return statements


def test_a_months_statements_share_their_fonts_and_are_the_pdfs_fpdf_writes(monkeypatch):
    """The statements of a month give their characters the same codes, so the fonts embedded in
    the first (subset, saved, compressed) are added as they are to the next: each PDF is byte for
    byte what fpdf2's own output writes, whatever its length and so its objects' numbers."""
    producer = {"class": report_pdf.SharedFonts}
    embedded = []
    fpdf_add_fonts = OutputProducer._add_fonts

    def add_fonts(self, *resources):
        embedded.append(self.fpdf.title)
        return fpdf_add_fonts(self, *resources)

    class Dated(P.Report):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.set_creation_date(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))

        def output(self):
            return super().output(output_producer_class=producer["class"])

    monkeypatch.setattr(P, "Report", Dated)
    monkeypatch.setattr(OutputProducer, "_add_fonts", add_fonts)
    report_pdf.FONT_OBJECTS.clear()
    statements = [*_month(3, 150), *_month(2, 7, seed=5), _statement(villages=[])]
    shared = [P.statement_pdf(s) for s in statements]
    assert embedded == [  # once, and again for a character no other statement has
        "Relevé de dépôt-vente — @Ferme 0 — 2026-11",
        "Relevé de dépôt-vente — =Ferme « Cœur de Pays » — 2026-11",
    ]
    producer["class"] = OutputProducer
    own = [P.statement_pdf(s) for s in statements]
    assert len(embedded) == 2 + len(statements)
    assert shared == own
    pages = [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in shared]
    assert pages[0] > 1 and pages[3] == 1, "documents of other lengths, objects numbered otherwise"
    first = PdfReader(io.BytesIO(shared[1]))
    text = "".join(page.extract_text() for page in first.pages)
    assert "@Ferme 1" in text and "Vœux (Haut)149" in text and "Saint-Jœuf-lès-Bœufs147" in text
    totals = statements[1]["totals"]

    def bare(text):  # pypdf reads the spaces in amounts its own way
        return "".join(text.split()).replace("\u202f", "").replace("\xa0", "")

    assert "Montantquivousestdû:" + bare(formats.money(totals["due_cents"])) in bare(text)


def test_the_months_csv_is_every_cell_made_safe_where_it_is_written():
    """The month's CSV makes the names safe once (a village's for every statement) and leaves the
    numbers it writes: the very bytes of every cell of every row through `safe_cell`."""
    statements = [*_month(3, 40), _statement(siret=None, month="-2026-11")]
    rows = [
        [
            s["partner_name"],
            s["siret"] or "",
            s["month"],
            v["village_name"],
            v["till_quantity"],
            D.csv_euros(v["till_cents"]),
            v["order_quantity"],
            D.csv_euros(v["order_cents"]),
            D.csv_euros(v["sold_cents"]),
            s["commission_per_mille"],
            D.csv_euros(v["commission_cents"]),
            D.csv_euros(v["due_cents"]),
        ]
        for s in statements
        for v in [*s["villages"], {**s["totals"], "village_name": "Total"}]
    ]
    body = D.statements_csv(statements)
    assert body == to_csv(D.STATEMENT_HEADER, rows)
    assert b";'=1+11;" in body and b"'@Ferme 2;" in body and b";'-2026-11;" in body
