"""The money's documents: a producer's monthly consignment statement (PDF for the producer, CSV for
the accountant) and a commune's invoice (PDF), from what the partners service answers; the PDFs
are made by gateway/console/money_pdf.py, imported only where one is asked for (fpdf2). Amounts
arrive in cents; the PDF writes them as French people read them, the CSV as a spreadsheet adds them
up (a decimal comma, no currency sign)."""

from __future__ import annotations

from backbone.csv_cells import safe_cell
from backbone.formats import hours, money, number
from gateway.console.exports import csv_pieces
from gateway.console.periods import MONTHS

# French amounts and counts as babel writes them (backbone.formats: « 1 234,50 € », a narrow
# no-break space between thousands), written here without babel: a national month's statements
# have millions of them, and babel's formatting took a third of each table's time.
# tests/gateway/test_money_documents.py checks both agree.
_GROUP = number(1000)[1]
_SAMPLE = money(-123456)
_NEGATIVE = _SAMPLE[: _SAMPLE.index("1")]
_CURRENCY = _SAMPLE[_SAMPLE.index(",") + 3 :]


def quick_number(value: int) -> str:
    """`backbone.formats.number` of an integer."""
    return f"{value:,}".replace(",", _GROUP)


def quick_money(cents: int) -> str:
    """`backbone.formats.money` of integer cents."""
    whole, part = divmod(abs(cents), 100)
    sign = _NEGATIVE if cents < 0 else ""
    return f"{sign}{quick_number(whole)},{part:02d}{_CURRENCY}"


def month_name(month: str) -> str:
    """« novembre 2026 » for 2026-11."""
    return f"{MONTHS[int(month[5:]) - 1]} {month[:4]}"


def csv_euros(cents: int) -> str:
    """12345 → « 123,45 », -5 → « -0,05 »: exact, never through a float."""
    if cents < 0:
        whole, part = divmod(-cents, 100)
        return f"-{whole},{part:02d}"
    whole, part = divmod(cents, 100)
    return f"{whole},{part:02d}"


def percent(per_mille: int) -> str:
    return f"{number(per_mille / 10, 1) if per_mille % 10 else number(per_mille // 10)} %"


# --- a producer's statement -----------------------------------------------------------------------

STATEMENT_HEADER = [
    "Partenaire",
    "SIRET",
    "Mois",
    "Village",
    "Quantité en caisse",
    "Ventes en caisse (€ TTC)",
    "Quantité en commandes",
    "Ventes en commandes (€ TTC)",
    "Total vendu (€ TTC)",
    "Taux de commission (‰)",
    "Commission (€)",
    "Dû au partenaire (€)",
]


def statement_rows(statement: dict, safe_names: dict[str, str] | None = None) -> list[tuple]:
    """The statement's lines for the accountant: one per village, then its total, their cells
    made safe (`safe_cell`) as `csv_chunks` makes them: the names a person typed (the partner's,
    its SIRET, the month's, each village's once in `safe_names`, a month's statements sharing
    their villages); the counts and amounts are numbers, which safe_cell leaves as they are."""
    safe_names = {} if safe_names is None else safe_names
    head = (
        safe_cell(statement["partner_name"]),
        safe_cell(statement["siret"] or ""),
        safe_cell(statement["month"]),
    )
    rate = safe_cell(statement["commission_per_mille"])
    rows = []
    for v in [*statement["villages"], {**statement["totals"], "village_name": "Total"}]:
        name = v["village_name"]
        safe = safe_names.get(name)
        if safe is None:
            safe = safe_names[name] = safe_cell(name)
        rows.append(
            (
                *head,
                safe,
                safe_cell(v["till_quantity"]),
                csv_euros(v["till_cents"]),
                safe_cell(v["order_quantity"]),
                csv_euros(v["order_cents"]),
                csv_euros(v["sold_cents"]),
                rate,
                csv_euros(v["commission_cents"]),
                csv_euros(v["due_cents"]),
            )
        )
    return rows


def statements_csv(statements: list[dict]) -> bytes:
    safe_names: dict[str, str] = {}
    rows = (row for s in statements for row in statement_rows(s, safe_names))
    return b"".join(csv_pieces([safe_cell(cell) for cell in STATEMENT_HEADER], rows))


INVOICE_STATUS = {
    "draft": "Brouillon (non émise)",
    "issued": "Émise",
    "sent": "Envoyée",
    "paid": "Payée",
}


def quantity_text(line: dict) -> str:
    return hours(line["quantity"]) if line["kind"] == "help_minutes" else number(line["quantity"])
