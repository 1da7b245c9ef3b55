"""The money's documents: a producer's monthly consignment statement (PDF for the producer, CSV for
the accountant) and a commune's invoice (PDF), from what the partners service answers. Amounts
arrive in cents; the PDF writes them as French people read them, the CSV as a spreadsheet adds them
up (a decimal comma, no currency sign)."""

from __future__ import annotations

from datetime import date, datetime

from fpdf.enums import TextMode

from backbone.csv_cells import safe_cell
from backbone.formats import hours, money, number
from gateway.console.exports import csv_pieces
from gateway.console.framework import french_date
from gateway.console.periods import MONTHS
from gateway.console.report_pdf import FAMILY
from gateway.console.report_pdf import Report as _Report

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


class Report(_Report):
    """A statement's or an invoice's PDF, in the report's fonts cut to the usual Latin characters
    (parsed once per process: a month's hundreds of statements are made one after the other)."""

    ROW = 6  # mm
    # the characters of a statement or an invoice, given their codes in each face's subset first,
    # in this order, whatever the document: fpdf2 gives a character the next code when a document
    # first uses it, so the amounts' digits would be numbered differently in each statement and
    # the fonts embedded with them (report_pdf.SharedFonts) never be the same. Those a document
    # does not use are embedded all the same: the bold face's are those of the titles, headers
    # and totals, not every letter of the names.
    FIRST_CHARACTERS = {
        "": " 0123456789,.-—:'’()/%€«»°\u00a0\u202f"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "àâçéèêëîïôùûœÉ",
        "B": " 0123456789,-:€\u00a0\u202fCFMPQRSTVacdegilmnopqrstuvxéèàôû",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for font in self.fonts.values():
            for char in self.FIRST_CHARACTERS.get(font.emphasis.style, ""):
                font.subset.pick(ord(char))
        self._codes: dict[str, dict[str, str]] = {}

    def width_of(self, text: str) -> float:
        """`get_string_width` of plain text in the current font, from the font's own widths: what
        fpdf2 computes, without the fragment and graphics-state copies it makes for each string
        (half of a thousand-line table's time)."""
        widths = self.current_font.cw
        return sum(map(widths.__getitem__, map(ord, text))) * self.font_size_pt * 0.001 / self.k

    def texts(self, placed: list[tuple[float, str]], baseline: float) -> None:
        """`text(x, baseline, text)` of each (x, text), written as `text()` writes plain filled
        text (the same operators, one per line of the page's content) without its checks and
        wrappers for each string; anything else (underlined, outlined, another colour, a symbol
        or colour font) goes through `text()` itself."""
        font = self.current_font
        if (
            self.text_mode != TextMode.FILL
            or self.underline
            or self.strikethrough
            or self._record_text_quad_points
            or self.fill_color != self.text_color
            or font.is_symbol
            or font.color_font
        ):
            for x, text in placed:
                self.text(x, baseline, text)
            return
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        # font -> character -> its code in the font's subset as the string writes it
        codes = self._codes.setdefault(font.fontkey, {})
        k, y = self.k, (self.h - baseline) * self.k
        ops = []
        for x, text in placed:
            # what TTFFont.encode_text and escape_text write: each character as its place in the
            # font's subset (picked once per character and document), none for a glyph the font
            # lacks, as two bytes with a backslash before a parenthesis, a backslash or a CR (the
            # escaping of each character alone: it never spans two)
            try:
                escaped = "".join([codes[char] for char in text])
            except KeyError:
                for char in text:
                    if char not in codes:
                        picked = font.subset.pick(ord(char))
                        codes[char] = "" if picked is None else font.escape_text(chr(picked))
                escaped = "".join([codes[char] for char in text])
            ops.append(f"BT {x * k:.2f} {y:.2f} Td ({escaped}) Tj ET")
        self._out("\n".join(ops))

    def ruled_table(self, header: list[str], rows: list[list[str]], first_width: float = 45):
        """A table of one-line cells drawn as plain text between rules: a thousand villages' lines
        cost a third of what `cell()` (line breaking, styling) would. The first column is left
        aligned, the others right aligned (amounts); the header is repeated on each page."""
        usable = self.w - self.l_margin - self.r_margin
        others = (usable - first_width) / max(len(header) - 1, 1)
        widths = [first_width] + [others] * (len(header) - 1)

        family = FAMILY.lower()

        def line(cells, bold=False):
            style, size = ("B", 8) if bold else ("", 9)
            if (
                self.font_family != family
                or self.font_style != style
                or self.font_size_pt != size
                or self.underline
                or self.strikethrough
            ):  # set_font's own checks, once a line: a thousand lines cost 5 % of a statement
                self.set_font(FAMILY, style, size)
            y, x = self.get_y(), self.l_margin
            texts = []
            for i, (width, text) in enumerate(zip(widths, cells)):
                text = str(text)
                measured = self.width_of(text)
                while len(text) > 2 and measured > width - 2:
                    text = text[:-2] + "…"  # a long village name never runs into the amounts
                    measured = self.width_of(text)
                left = x + 1 if i == 0 else x + width - 1 - measured
                texts.append((left, text))
                x += width
            self.texts(texts, y + 4.2)
            self.line(self.l_margin, y + self.ROW, self.l_margin + usable, y + self.ROW)
            self.set_y(y + self.ROW)

        def head():
            self.line(self.l_margin, self.get_y(), self.l_margin + usable, self.get_y())
            line(header, bold=True)

        if self.get_y() > self.h - 45:
            self.add_page()
        head()
        for n, row in enumerate(rows):
            if self.get_y() > self.h - 25:
                self.add_page()
                head()
            line(row, bold=n == len(rows) - 1 and row[0] == "Total")
        self.ln(3)


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


def statement_pdf(statement: dict) -> bytes:
    return _made(_statement_pages, statement)


def _made(pages, document: dict) -> bytes:
    """The PDF of `pages(pdf, document)` in the usual characters' fonts, made again with the whole
    fonts when a name needs another character (another script, a rare letter)."""
    pdf = Report()
    pages(pdf, document)
    if pdf.missing_characters():
        pdf = Report(usual=False)
        pages(pdf, document)
    return bytes(pdf.output())


def _statement_pages(pdf: Report, statement: dict) -> None:
    pdf.set_title(f"Relevé de dépôt-vente — {statement['partner_name']} — {statement['month']}")
    pdf.add_page()
    pdf.text_line("Relevé de dépôt-vente", size=18, bold=True, height=10)
    pdf.text_line(f"{statement['partner_name']} — {month_name(statement['month'])}", size=13)
    if statement["siret"]:
        pdf.text_line(f"SIRET : {statement['siret']}", size=10)
    rate = statement["commission_per_mille"]
    pdf.text_line(
        f"Commission de la conciergerie : {percent(rate)} du montant vendu (TTC)."
        if rate
        else "Aucune commission convenue : tout le montant vendu vous revient.",
        size=10,
    )
    pdf.ln(3)
    totals = statement["totals"]
    if not statement["villages"]:
        pdf.text_line("Aucune vente de vos produits ce mois-ci.", size=11)
    else:
        pdf.ruled_table(
            [
                "Village",
                "Qté caisse",
                "Caisse",
                "Qté commandes",
                "Commandes",
                "Vendu",
                "Commission",
            ],
            [
                [
                    v["village_name"],
                    quick_number(v["till_quantity"]),
                    quick_money(v["till_cents"]),
                    quick_number(v["order_quantity"]),
                    quick_money(v["order_cents"]),
                    quick_money(v["sold_cents"]),
                    quick_money(v["commission_cents"]),
                ]
                for v in statement["villages"]
            ]
            + [
                [
                    "Total",
                    number(totals["till_quantity"]),
                    money(totals["till_cents"]),
                    number(totals["order_quantity"]),
                    money(totals["order_cents"]),
                    money(totals["sold_cents"]),
                    money(totals["commission_cents"]),
                ]
            ],
        )
    pdf.set_font(FAMILY, "B", 12)
    pdf.text_line(f"Montant vendu : {money(totals['sold_cents'])}", size=11)
    pdf.text_line(f"Commission : {money(totals['commission_cents'])}", size=11)
    pdf.text_line(f"Montant qui vous est dû : {money(totals['due_cents'])}", size=13, bold=True)
    pdf.ln(2)
    pdf.text_line(
        "Ventes en caisse : au mois de la vente, retours déduits au mois du retour. Commandes : au "
        "mois où elles ont été remises ou livrées ; les commandes annulées et les lignes refusées "
        "ne sont pas comptées.",
        size=9,
    )


# --- a commune's invoice --------------------------------------------------------------------------

INVOICE_STATUS = {
    "draft": "Brouillon (non émise)",
    "issued": "Émise",
    "sent": "Envoyée",
    "paid": "Payée",
}


def quantity_text(line: dict) -> str:
    return hours(line["quantity"]) if line["kind"] == "help_minutes" else number(line["quantity"])


def invoice_pdf(invoice: dict) -> bytes:
    return _made(_invoice_pages, invoice)


def _invoice_pages(pdf: Report, invoice: dict) -> None:
    contract = invoice["contract"]
    title = f"Facture n° {invoice['number']}" if invoice["number"] else "Relevé (non émis)"
    pdf.set_title(f"{title} — {contract['partner_name']}")
    pdf.add_page()
    pdf.text_line(title, size=18, bold=True, height=10)
    if invoice["issued_at"]:
        issued = datetime.fromisoformat(invoice["issued_at"]).date()
        pdf.text_line(f"Émise le {french_date(issued)}", size=10)
    pdf.text_line(f"Client : {contract['partner_name']}", size=12)
    starts, ends = (date.fromisoformat(contract[k]) for k in ("starts_on", "ends_on"))
    pdf.text_line(
        f"Contrat : {contract['name']} (du {french_date(starts)} au {french_date(ends)})", size=10
    )
    pdf.text_line(f"Services rendus en {month_name(invoice['month'])}", size=11)
    pdf.ln(3)
    if invoice["lines"]:
        pdf.table(
            ["Village", "Service", "Quantité", "Prix unitaire", "Montant"],
            [
                [
                    line["village_name"],
                    line["label"],
                    quantity_text(line),
                    f"{money(line['unit_price_cents'])} / {line['unit']}",
                    money(line["amount_cents"]),
                ]
                for line in invoice["lines"]
            ],
            first_width=45,
        )
    else:
        pdf.text_line("Aucun service rendu ce mois-ci.", size=11)
    pdf.text_line(f"Total à payer : {money(invoice['total_cents'])}", size=13, bold=True)
    if invoice["in_kind_cents"]:
        pdf.text_line(
            f"Mise à disposition des locaux (en nature, non facturée) : "
            f"{money(invoice['in_kind_cents'])}",
            size=10,
        )
    pdf.ln(2)
    pdf.text_line(
        "Quantités relevées d'après les services effectivement rendus : coups de main terminés "
        "(au temps passé), livraisons à domicile effectuées, animations tenues.",
        size=9,
    )
