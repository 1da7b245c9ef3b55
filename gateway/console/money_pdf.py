"""The money's documents as PDF: a producer's monthly consignment statement and a commune's
invoice (gateway/console/money_documents.py has their CSV and the formats both share).

Imported where a PDF is asked for, not when the gateway starts: fpdf2, fontTools and the report's
fonts hold ~30 MiB that a gateway making no PDF never needs (tests/gateway/test_money_documents.py
checks that starting the gateway imports none of them)."""

from __future__ import annotations

from datetime import date, datetime

from fpdf.enums import TextMode

from backbone.formats import money, number
from gateway.console.framework import french_date
from gateway.console.money_documents import (
    month_name,
    percent,
    quantity_text,
    quick_money,
    quick_number,
)
from gateway.console.report_pdf import FAMILY
from gateway.console.report_pdf import Report as _Report


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
