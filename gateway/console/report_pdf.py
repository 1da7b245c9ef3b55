"""The PDF impact report (fpdf2) for a funder or a commune: what exports.pdf_report renders."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF

from gateway.console import figures as F
from gateway.console.exports import narrative
from gateway.console.framework import french_date

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
)


def _font_file(name: str) -> Path | None:
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return path
    return None


def _ascii(text: str) -> str:
    """For the core fonts (latin-1 only): keep what latin-1 has, transliterate the rest."""
    text = (
        text.replace("\u202f", " ")
        .replace("\u00a0", " ")
        .replace("·", ".")
        .replace("€", "EUR")
        .replace("—", "-")
        .replace("–", "-")
        .replace("’", "'")
        .replace("…", "...")
    )
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            out.append(
                unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?"
            )
    return "".join(out)


class Report(FPDF):
    def __init__(self):
        super().__init__(orientation="P", unit="mm", format="A4")
        regular, bold = _font_file("DejaVuSans.ttf"), _font_file("DejaVuSans-Bold.ttf")
        if regular and bold:
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))
            self.family_name, self.clean = "DejaVu", (lambda text: text)
        else:
            self.family_name, self.clean = "Helvetica", _ascii
        self.set_auto_page_break(True, margin=15)

    def footer(self):
        self.set_y(-12)
        self.set_font(self.family_name, "", 8)
        self.cell(
            0,
            6,
            self.clean(
                f"Maillage — réseau des conciergeries de territoire — page {self.page_no()}"
            ),
            align="C",
        )

    def text_line(self, text: str, size=11, bold=False, height=6):
        self.set_font(self.family_name, "B" if bold else "", size)
        self.multi_cell(0, height, self.clean(text), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list[str], rows: list[list], first_width=40):
        usable = self.w - self.l_margin - self.r_margin
        others = max(len(header) - 1, 1)
        widths = [first_width] + [(usable - first_width) / others] * others
        size = 8 if len(header) > 7 else 9
        if self.get_y() > self.h - 45:  # a header never alone at the foot of a page
            self.add_page()
        self.set_font(self.family_name, "B", size)
        heights = []
        y0 = self.get_y()
        x = self.l_margin
        for width, text in zip(widths, header):
            self.set_xy(x, y0)
            self.multi_cell(width, 4.5, self.clean(text), border=1, align="C")
            heights.append(self.get_y() - y0)
            x += width
        self.set_y(y0 + max(heights or [6]))
        self.set_font(self.family_name, "", size)
        for row in rows:
            if self.get_y() > self.h - 25:
                self.add_page()
            for i, (width, text) in enumerate(zip(widths, row)):
                self.cell(
                    width, 6, self.clean(str(text))[:40], border=1, align="L" if i == 0 else "R"
                )
            self.ln(6)
        self.ln(3)

    def bars(self, title: str, bars: list[tuple[str, float]], unit: str):
        if self.get_y() > self.h - 30 - 8 * len(bars):
            self.add_page()
        self.text_line(title, size=11, bold=True)
        top = max([v for _, v in bars] + [0]) or 1
        label_w, span = 45, self.w - self.l_margin - self.r_margin - 45 - 30
        self.set_font(self.family_name, "", 9)
        for name, value in bars:
            y = self.get_y()
            self.set_xy(self.l_margin, y)
            self.cell(label_w - 2, 6, self.clean(name[:28]), align="R")
            width = span * value / top
            self.set_fill_color(11, 79, 138)
            if width > 0:
                self.rect(self.l_margin + label_w, y + 1, width, 4, style="F")
            self.set_xy(self.l_margin + label_w + width + 2, y)
            text = f"{value:,.1f}".replace(",", " ").replace(".", ",").removesuffix(",0")
            self.cell(25, 6, self.clean(f"{text} {unit}".strip()))
            self.set_y(y + 7)
        self.ln(3)


def render(result: dict, audience: str = "") -> bytes:
    pdf = Report()
    pdf.set_title("Rapport d'impact — Maillage")
    pdf.add_page()
    pdf.text_line("Rapport d'impact", size=20, bold=True, height=10)
    pdf.text_line(
        f"Du {french_date(result['date_from'])} au {french_date(result['date_to'])}", size=12
    )
    if audience:
        pdf.text_line(f"À l'attention de : {audience}", size=11)
    pdf.text_line("Villages : " + ", ".join(v["name"] for v in result["villages"]), size=11)
    pdf.ln(3)
    pdf.text_line("En bref", size=14, bold=True, height=8)
    for sentence in narrative(result):
        pdf.text_line("• " + sentence, size=11)
    pdf.ln(3)
    for chart in F.chart_series(result, limit=2):
        pdf.bars(chart["title"], chart["bars"], chart["unit"])
    pdf.text_line("Les chiffres par village", size=14, bold=True, height=8)
    header, rows = F.village_table(result)
    step = 6  # columns per table, so that each stays readable on A4
    names = header[1:]
    for start in range(0, max(len(names), 1), step):
        pdf.table(
            [header[0]] + names[start : start + step],
            [[r[0]] + r[1 + start : 1 + start + step] for r in rows],
        )
    if result["unavailable"]:
        pdf.text_line(
            "Chiffres non disponibles pour ce rapport : " + ", ".join(result["unavailable"]) + ".",
            size=9,
        )
    return bytes(pdf.output())
