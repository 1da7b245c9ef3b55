"""The PDF impact report (fpdf2) for a funder or a commune: what exports.pdf_report renders."""

from __future__ import annotations

import collections
import copy
import functools
import io
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer

from backbone.formats import counted
from gateway.console import figures as F
from gateway.console.exports import narrative
from gateway.console.framework import french_date

# DejaVu Sans ships with the package (fonts/, with its licence): every glyph a French report needs
# (œ, €, the narrow no-break space of numbers, « »), whatever fonts the machine or image has
FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"


# OpenType layout tables fpdf2 leaves out of the subset it embeds (output.py's drop_tables), which
# fontTools' subsetter still reads in full first
UNEMBEDDED_TABLES = ["GDEF", "GPOS", "GSUB"]
# the characters nearly every report is made of: Latin scripts (French and its neighbours'
# accents, œ), combining accents, punctuation and spaces (« », the narrow no-break space), currency
# (€), letter-like symbols and arrows, a few shapes. DejaVu cut down to them has ~1,200 of its
# ~6,000 glyphs, and what a report costs to embed its fonts goes with the glyphs of the font
# (reading its tables, then cutting out the subset used: two thirds of a report's time with the
# whole font). A report with a character outside them is made again with the whole font.
USUAL_CHARACTERS = [
    (0x0020, 0x036F),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x21FF),
    (0x2200, 0x22FF),
    (0x25A0, 0x25FF),
]


@functools.cache
def _faces(usual: bool) -> dict:
    """The two DejaVu faces, parsed once per process as fpdf2's TTFFont (the widths and glyph ids
    of their characters: parsing them took about half of each report's time), each with its font
    file in memory, without the tables never embedded and, when `usual`, cut down to the
    USUAL_CHARACTERS: {fontkey: (font, file)}."""
    from fontTools import subset
    from fpdf.fonts import TTFFont

    pdf = FPDF()
    faces = {}
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
        ttfont = ttLib.TTFont(FONTS / name, recalcTimestamp=False)
        if usual:
            options = subset.Options(
                notdef_outline=True, recommended_glyphs=True, glyph_names=True, name_IDs=["*"]
            )
            options.drop_tables += UNEMBEDDED_TABLES
            subsetter = subset.Subsetter(options)
            subsetter.populate(
                unicodes=[c for first, last in USUAL_CHARACTERS for c in range(first, last + 1)]
            )
            subsetter.subset(ttfont)
        for tag in UNEMBEDDED_TABLES:
            if tag in ttfont:
                del ttfont[tag]
        file = io.BytesIO()
        ttfont.save(file)
        fontkey = f"{FAMILY.lower()}{style}"
        font = TTFFont(pdf, io.BytesIO(file.getvalue()), fontkey, style)
        pdf.fonts[fontkey] = font
        faces[fontkey] = (font, file.getvalue())
    return faces


# the fonts' PDF objects of the latest documents, by what decides them (see SharedFonts)
FONT_OBJECTS: collections.OrderedDict = collections.OrderedDict()
FONT_OBJECTS_KEPT = 32


class SharedFonts(OutputProducer):
    """fpdf2's output, the fonts' objects made once for documents using the same characters.

    fpdf2 embeds each font cut to the glyphs a document used: fontTools subsets and saves the font,
    then the file and the map of its glyphs are compressed (a third of a statement's time). What
    that makes depends only on the face and on the document's subset map (each glyph used and the
    code it was given), which a month's statements share: the objects made for the first document
    are kept, by that key, and added to the next as they are (the same objects numbered in the
    new document: every reference is written from the numbers at serialisation, so the bytes are
    those fpdf2 would write; tests/gateway/test_money_documents.py compares them). Documents
    with a glyph their font lacks (fpdf2's warning), encrypted ones (their streams are encrypted
    in place, with their numbers), PDF/A or another kind of font than DejaVu's go through fpdf2's
    own code. A document is output without yielding (no I/O), so two never share them at once."""

    def _add_fonts(self, *resources):
        fpdf = self.fpdf
        fonts = sorted(fpdf.fonts.values(), key=lambda font: font.i)
        if (
            not isinstance(fpdf, Report)
            or fpdf._security_handler is not None
            or fpdf._compliance is not None
            or any(
                type(font) is not TTFFont or font.color_font or font.is_cff or font.missing_glyphs
                for font in fonts
            )
        ):
            return super()._add_fonts(*resources)
        key = (fpdf.usual, tuple((font.i, font.fontkey, _subset_key(font)) for font in fonts))
        kept = FONT_OBJECTS.get(key)
        if kept is None:
            first = len(self.pdf_objs)
            per_index = super()._add_fonts(*resources)
            made = self.pdf_objs[first:]
            FONT_OBJECTS[key] = (made, {i: made.index(obj) for i, obj in per_index.items()})
            if len(FONT_OBJECTS) > FONT_OBJECTS_KEPT:
                FONT_OBJECTS.popitem(last=False)
            return per_index
        FONT_OBJECTS.move_to_end(key)
        made, where = kept
        for obj in made:
            self._add_pdf_obj(obj, "fonts")
        for font in fonts:  # what fpdf2 does once a font is embedded
            font.subset.pick.cache_clear()
            font.subset.get_glyph.cache_clear()
            font.close()
        return {i: made[n] for i, n in where.items()}


def _subset_key(font: TTFFont) -> tuple:
    """Everything of a font's subset map that its embedded objects are made of."""
    return tuple(
        (code, None)
        if glyph is None
        else (code, glyph.glyph_id, glyph.unicode, glyph.glyph_name, glyph.glyph_width)
        for glyph, code in font.subset.items()
    )


class Report(FPDF):
    def __init__(self, usual: bool = True):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.usual = usual
        for fontkey, (parsed, file) in _faces(usual).items():
            # fpdf2's own copy (what its FPDFRecorder does): the parsed metrics shared (the widths
            # and glyph ids only read: not copied), what a report marks as used its own; and its
            # own font file, read lazily, because output() cuts the subset it embeds out of the
            # font's tables in place
            font = copy.deepcopy(
                parsed, {id(parsed.cw): parsed.cw, id(parsed.glyph_ids): parsed.glyph_ids}
            )
            font.ttfont = ttLib.TTFont(io.BytesIO(file), recalcTimestamp=False, lazy=True)
            font.i = len(self.fonts) + 1
            self.fonts[fontkey] = font
        self.set_auto_page_break(True, margin=15)

    def output(self, *args, **kwargs):
        kwargs.setdefault("output_producer_class", SharedFonts)
        return super().output(*args, **kwargs)

    def missing_characters(self) -> bool:
        return any(font.missing_glyphs for font in self.fonts.values())

    def footer(self):
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(
            0,
            6,
            f"Maillage — réseau des conciergeries de territoire — page {self.page_no()}",
            align="C",
        )

    def text_line(self, text: str, size=11, bold=False, height=6):
        self.set_font(FAMILY, "B" if bold else "", size)
        self.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list[str], rows: list[list], first_width=40):
        usable = self.w - self.l_margin - self.r_margin
        others = max(len(header) - 1, 1)
        widths = [first_width] + [(usable - first_width) / others] * others
        size = 8 if len(header) > 7 else 9
        if self.get_y() > self.h - 45:  # a header never alone at the foot of a page
            self.add_page()
        self.set_font(FAMILY, "B", size)
        heights = []
        y0 = self.get_y()
        x = self.l_margin
        for width, text in zip(widths, header):
            self.set_xy(x, y0)
            self.multi_cell(width, 4.5, text, border=1, align="C")
            heights.append(self.get_y() - y0)
            x += width
        self.set_y(y0 + max(heights or [6]))
        self.set_font(FAMILY, "", size)
        for row in rows:
            if self.get_y() > self.h - 25:
                self.add_page()
            for i, (width, text) in enumerate(zip(widths, row)):
                self.cell(width, 6, str(text)[:40], border=1, align="L" if i == 0 else "R")
            self.ln(6)
        self.ln(3)

    def bars(self, title: str, bars: list[tuple[str, float]], unit: str):
        if self.get_y() > self.h - 30 - 8 * len(bars):
            self.add_page()
        self.text_line(title, size=11, bold=True)
        top = max([v for _, v in bars] + [0]) or 1
        label_w, span = 45, self.w - self.l_margin - self.r_margin - 45 - 30
        self.set_font(FAMILY, "", 9)
        for name, value in bars:
            y = self.get_y()
            self.set_xy(self.l_margin, y)
            self.cell(label_w - 2, 6, name[:28], align="R")
            width = span * value / top
            self.set_fill_color(11, 79, 138)
            if width > 0:
                self.rect(self.l_margin + label_w, y + 1, width, 4, style="F")
            self.set_xy(self.l_margin + label_w + width + 2, y)
            text = f"{value:,.1f}".replace(",", " ").replace(".", ",").removesuffix(",0")
            self.cell(25, 6, f"{text} {unit}".strip())
            self.set_y(y + 7)
        self.ln(3)


# a report on this many villages or fewer keeps a table per village; a larger one (a national
# network's thousand villages would fill hundreds of pages) is a summary a funder reads in five
# minutes, the per-village detail left to the villages' CSV export
DETAIL_UP_TO = 15
# the figures the summary's tables add up, the first present ones
KEY_FIGURES = (
    "orders",
    "sales_cents",
    "parcels_received",
    "volunteer_minutes",
    "help_requests_done",
    "attendance",
    "new_members",
)
GROUP_NAMES = (
    "Le quart le plus actif",
    "Le deuxième quart",
    "Le troisième quart",
    "Le quart le moins actif",
)


def _activity(result: dict) -> str | None:
    return next((n for n in ("sales_cents", "orders") if n in result["totals"]), None)


def activity_groups(result: dict) -> list[dict]:
    """The villages in four groups of (nearly) equal size by their activity (sales, else orders),
    the most active first: its villages, the sums of the key figures and its first three."""
    measure = _activity(result)
    if measure is None:
        return []
    value = {v["id"]: result["rows"].get(v["id"], {}).get(measure) or 0 for v in result["villages"]}
    ranked = sorted(result["villages"], key=lambda v: (-value[v["id"]], v["name"]))
    keys = [n for n in KEY_FIGURES if n in result["totals"]][:5]
    groups, size = [], len(ranked) / len(GROUP_NAMES)
    for n, title in enumerate(GROUP_NAMES):
        members = ranked[round(n * size) : round((n + 1) * size)]
        if not members:
            continue
        sums = {
            k: sum(
                result["rows"].get(v["id"], {}).get(k) or 0
                for v in members
                if isinstance(result["rows"].get(v["id"], {}).get(k), (int, float))
            )
            for k in keys
        }
        groups.append({"title": title, "villages": members, "sums": sums, "first": members[:3]})
    return groups


def _summary(pdf: Report, result: dict) -> None:
    totals = result["totals"]
    keys = [n for n in result["names"] if n in totals]
    pdf.text_line("Les chiffres clés du réseau", size=14, bold=True, height=8)
    pdf.table(
        ["Chiffre", "Total sur la période"],
        [[F.label(n), F.display(n, totals[n])] for n in keys],
        first_width=110,
    )
    groups = activity_groups(result)
    if not groups:
        return
    measure = _activity(result)
    pdf.text_line("Par groupe de villages", size=14, bold=True, height=8)
    pdf.text_line(
        f"Les villages rangés par {F.label(measure).lower()}, en quatre groupes de même taille.",
        size=10,
    )
    keys = list(groups[0]["sums"])
    pdf.table(
        ["Groupe", "Villages"] + [F.label(k) for k in keys],
        [
            [g["title"], str(len(g["villages"]))] + [F.display(k, g["sums"][k]) for k in keys]
            for g in groups
        ],
        first_width=45,
    )
    pdf.text_line("Points forts", size=12, bold=True, height=7)
    for g in groups[:2]:
        share = g["sums"].get(measure, 0) * 100 // totals[measure] if totals.get(measure) else None
        first = ", ".join(
            f"{v['name']} ({F.display(measure, result['rows'].get(v['id'], {}).get(measure))})"
            for v in g["first"]
        )
        pdf.text_line(
            f"• {g['title']} : {len(g['villages'])} villages"
            + (f", {share} % du total" if share is not None else "")
            + f" ; en tête : {first}.",
            size=10,
        )
    quiet = [v for v in result["villages"] if not result["rows"].get(v["id"], {}).get(measure)]
    if quiet:
        pdf.text_line(
            f"• {counted(len(quiet), 'village', 'villages')} sans {F.label(measure).lower()} "
            "sur la période : "
            "à accompagner en priorité.",
            size=10,
        )
    pdf.text_line(
        "Le détail de chaque village est dans l'export CSV « les villages » de la page de "
        "coordination.",
        size=10,
    )


def render(result: dict, audience: str = "") -> bytes:
    pdf = _report(Report(usual=True), result, audience)
    if pdf.missing_characters():  # a name in another script, a rare symbol: the whole fonts
        pdf = _report(Report(usual=False), result, audience)
    return bytes(pdf.output())


def _report(pdf: Report, result: dict, audience: str) -> Report:
    pdf.set_title("Rapport d'impact — Maillage")
    pdf.add_page()
    pdf.text_line("Rapport d'impact", size=20, bold=True, height=10)
    pdf.text_line(
        f"Du {french_date(result['date_from'])} au {french_date(result['date_to'])}", size=12
    )
    if audience:
        pdf.text_line(f"À l'attention de : {audience}", size=11)
    count = len(result["villages"])
    detailed = count <= DETAIL_UP_TO
    if detailed:
        pdf.text_line("Villages : " + ", ".join(v["name"] for v in result["villages"]), size=11)
    else:
        pdf.text_line(f"Villages : les {count} villages choisis du réseau.", size=11)
    pdf.ln(3)
    pdf.text_line("En bref", size=14, bold=True, height=8)
    for sentence in narrative(result):
        pdf.text_line("• " + sentence, size=11)
    pdf.ln(3)
    for chart in F.chart_series(result, limit=2):
        pdf.bars(chart["title"], chart["bars"], chart["unit"])
    if not detailed:
        _summary(pdf, result)
    else:
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
    return pdf
