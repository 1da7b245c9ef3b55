"""Exports of the coordinator's figures: CSV of every table (UTF-8 with BOM, `;` separator, French
headers: what French Excel opens as is) and the PDF impact report (fpdf2) for a funder or a commune."""
from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from fpdf import FPDF

from gateway.console import figures as F
from gateway.console.framework import french_date

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
             "/usr/local/share/fonts")


def to_csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_tables(result: dict) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the coordinator's page, by the name used in its export's address."""
    tables = {"villages": F.village_table(result, F.csv_value, F.csv_label)}
    for name, rows in result["details"].items():
        tables[name] = F.detail_table(name, rows, F.csv_value, F.csv_label)
    return tables


def _font_file(name: str) -> Path | None:
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return path
    return None


def _ascii(text: str) -> str:
    """For the core fonts (latin-1 only): keep what latin-1 has, transliterate the rest."""
    text = text.replace("\u202f", " ").replace("\u00a0", " ").replace("·", ".").replace("€", "EUR") \
        .replace("—", "-").replace("–", "-").replace("’", "'").replace("…", "...")
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            out.append(unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?")
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
        self.cell(0, 6, self.clean(f"Maillage — réseau des conciergeries de territoire — page {self.page_no()}"),
                  align="C")

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
                self.cell(width, 6, self.clean(str(text))[:40], border=1, align="L" if i == 0 else "R")
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


def narrative(result: dict) -> list[str]:
    """Short sentences a funder reads first, from the totals that exist."""
    totals, count = result["totals"], len(result["villages"])
    sentences = [f"Sur la période, {count} village(s) du réseau sont suivis dans ce rapport."]
    if "sales_cents" in totals:
        sentence = f"Les points relais ont enregistré {F.display('sales_cents', totals['sales_cents'])} de ventes"
        if "orders" in totals:
            sentence += f" pour {F.display('orders', totals['orders'])} commande(s)"
        sentences.append(sentence + ", autant d'activité économique gardée sur le territoire.")
    elif "orders" in totals:
        sentences.append(f"{F.display('orders', totals['orders'])} commande(s) ont été passées dans les points relais.")
    if totals.get("volunteer_minutes"):
        who = f" par {totals['active_volunteers']} bénévole(s)" if totals.get("active_volunteers") else ""
        sentences.append(f"{F.display('volunteer_minutes', totals['volunteer_minutes'])} de bénévolat ont été "
                         f"données{who}.")
    for name, text in (("help_requests_done", "coup(s) de main ont été rendus entre habitants"),
                       ("attendance", "participations aux animations ont été comptées"),
                       ("parcels_received", "colis ont été reçus pour les habitants"),
                       ("funding_total_cents", "de financements ont été reçus"),
                       ("people_reached", "participations aux animations ont été comptées"),
                       ("parcels", "colis ont été reçus pour les habitants"),
                       ("suggestions_answered", "suggestion(s) d'habitants ont reçu une réponse")):
        if totals.get(name):
            sentences.append(f"{F.display(name, totals[name])} {text}.")
    if totals.get("new_members") is not None:
        sentences.append(f"{F.display('new_members', totals['new_members'])} nouvel(le)s habitant(e)s ont adhéré"
                         + (f" ; {F.display('members', totals['members'])} habitant(e)s sont inscrit(e)s en tout."
                            if totals.get("members") else "."))
    if totals.get("missing_skills"):
        sentences.append(f"{totals['missing_skills']} besoin(s) en compétences restent sans bénévole : "
                         "une piste pour la prochaine campagne de recrutement.")
    return sentences


def pdf_report(result: dict, audience: str = "") -> bytes:
    pdf = Report()
    pdf.set_title("Rapport d'impact — Maillage")
    pdf.add_page()
    pdf.text_line("Rapport d'impact", size=20, bold=True, height=10)
    pdf.text_line(f"Du {french_date(result['date_from'])} au {french_date(result['date_to'])}", size=12)
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
        pdf.table([header[0]] + names[start:start + step], [[r[0]] + r[1 + start:1 + start + step] for r in rows])
    if result["unavailable"]:
        pdf.text_line("Chiffres non disponibles pour ce rapport : " + ", ".join(result["unavailable"]) + ".", size=9)
    return bytes(pdf.output())
