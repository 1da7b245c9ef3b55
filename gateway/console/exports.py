"""Exports of the coordinator's figures: CSV of every table (UTF-8 with BOM, `;` separator, French
headers: what French Excel opens as is) and the PDF impact report (fpdf2) for
a funder or a commune."""

from __future__ import annotations

import csv
import io
import itertools

from backbone.csv_cells import safe_cell
from backbone.formats import counted, plural
from gateway.console import figures as F

CSV_CHUNK_ROWS = 2000  # rows written per piece of a streamed CSV


def csv_pieces(header: list, rows):
    """The CSV's bytes in pieces of CSV_CHUNK_ROWS rows, of cells already made safe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow(header)
    rows = iter(rows)
    while True:
        piece = list(itertools.islice(rows, CSV_CHUNK_ROWS))
        writer.writerows(piece)
        if len(piece) < CSV_CHUNK_ROWS:
            break
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
    yield out.getvalue().encode("utf-8")


def csv_chunks(header: list[str], rows):
    """The CSV in pieces of CSV_CHUNK_ROWS rows (bytes): a national export of tens of thousands of
    rows starts at once and is never held whole as text. Every cell, header included, through
    `safe_cell`: names typed by people never run as formulas."""
    return csv_pieces(
        [safe_cell(cell) for cell in header],
        ([safe_cell(cell) for cell in row] for row in rows),
    )


def euros(cents: int) -> str:
    """Cents as a spreadsheet's bare number of euros with a decimal comma (F.csv_value's
    `_cents`), without its checks: a national export writes 50,000 of them."""
    return f"{cents / 100:.2f}".replace(".", ",")


def sales_by_partner_chunks(header: list[str], table: dict, village_names: dict):
    """The sales by village and partner CSV (pieces as csv_chunks) from the orders service's
    columns (services/orders/figures.py, sales_by_partner_table): each village's and partner's
    name made safe once, not once per row, each row a tuple of the names and the euros. The euros
    are numbers we write, which safe_cell leaves as they are."""
    villages = [safe_cell(village_names.get(v, v)) for v in table["villages"]]
    partners = [safe_cell(name) for _partner_id, name in table["partners"]]
    partner, cents = table["partner"], table["sales_cents"]

    def rows():
        end = 0
        for village, count in zip(villages, table["rows_per_village"]):
            start, end = end, end + count
            for n in range(start, end):
                yield village, partners[partner[n]], euros(cents[n])

    return csv_pieces([safe_cell(cell) for cell in header], rows())


def signal_chunks(header: list[str], table: dict, theme_labels: dict, village_names: dict):
    """The signals CSV (pieces as csv_chunks) from the events service's columns
    (services/events/signals.py, signal_rows): each theme's, village's and grappe's name made safe
    once, not once per row; the months and counts are ours, which safe_cell leaves as they are."""
    themes, months = [], []
    for theme, month, rows in table["groups"]:
        themes.append(itertools.repeat(safe_cell(theme_labels.get(theme, theme)), rows))
        months.append(itertools.repeat(month, rows))
    villages = [safe_cell(village_names.get(v, v)) for v in table["village_ids"]]
    grappes = [safe_cell(name) for name in table["grappes"]]
    rows = zip(
        itertools.chain.from_iterable(themes),
        itertools.chain.from_iterable(months),
        map(villages.__getitem__, table["village"]),
        map(grappes.__getitem__, table["village"]),
        *table["counts"],
        table["total"],
    )
    return csv_pieces([safe_cell(cell) for cell in header], rows)


def to_csv(header: list[str], rows: list[list]) -> bytes:
    return b"".join(csv_chunks(header, rows))


def csv_tables(result: dict) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the coordinator's page, by the name used in its export's address."""
    tables = {"villages": F.village_table(result, F.csv_value, F.csv_label)}
    for name, rows in result["details"].items():
        tables[name] = F.detail_table(name, rows, F.csv_value, F.csv_label)
    return tables


def narrative(result: dict) -> list[str]:
    """Short sentences a funder reads first, from the totals that exist."""
    totals, count = result["totals"], len(result["villages"])
    sentences = [
        f"Sur la période, {counted(count, 'village', 'villages')} du réseau "
        f"{plural(count, 'est suivi', 'sont suivis')} dans ce rapport."
    ]
    if "sales_cents" in totals:
        sentence = (
            "Les points relais ont enregistré "
            f"{F.display('sales_cents', totals['sales_cents'])} de ventes"
        )
        if "orders" in totals:
            orders = totals["orders"]
            sentence += (
                f" pour {F.display('orders', orders)} {plural(orders, 'commande', 'commandes')}"
            )
        sentences.append(sentence + ", autant d'activité économique gardée sur le territoire.")
    elif "orders" in totals:
        orders = totals["orders"]
        sentences.append(
            f"{F.display('orders', orders)} "
            + plural(orders, "commande a été passée", "commandes ont été passées")
            + " dans les points relais."
        )
    if totals.get("volunteer_minutes"):
        who = (
            f" par {counted(totals['active_volunteers'], 'bénévole', 'bénévoles')}"
            if totals.get("active_volunteers")
            else ""
        )
        sentences.append(
            f"{F.display('volunteer_minutes', totals['volunteer_minutes'])} de bénévolat ont été "
            f"données{who}."
        )
    for name, one, other in (
        (
            "help_requests_done",
            "coup de main a été rendu entre habitants",
            "coups de main ont été rendus entre habitants",
        ),
        (
            "attendance",
            "participation aux animations a été comptée",
            "participations aux animations ont été comptées",
        ),
        (
            "parcels_received",
            "colis a été reçu pour les habitants",
            "colis ont été reçus pour les habitants",
        ),
        ("funding_total_cents", "de financements ont été reçus", "de financements ont été reçus"),
        (
            "people_reached",
            "participation aux animations a été comptée",
            "participations aux animations ont été comptées",
        ),
        (
            "parcels",
            "colis a été reçu pour les habitants",
            "colis ont été reçus pour les habitants",
        ),
        (
            "suggestions_answered",
            "suggestion d'habitant a reçu une réponse",
            "suggestions d'habitants ont reçu une réponse",
        ),
    ):
        if totals.get(name):
            value = totals[name]
            text = other if name.endswith("_cents") else plural(value, one, other)
            sentences.append(f"{F.display(name, value)} {text}.")
    if totals.get("new_members") is not None:
        sentences.append(
            f"{F.display('new_members', totals['new_members'])} nouvel(le)s habitant(e)s ont adhéré"
            + (
                f" ; {F.display('members', totals['members'])} "
                "habitant(e)s sont inscrit(e)s en tout."
                if totals.get("members")
                else "."
            )
        )
    if totals.get("missing_skills"):
        sentences.append(
            f"{counted(totals['missing_skills'], 'besoin', 'besoins')} en compétences "
            f"{plural(totals['missing_skills'], 'reste', 'restent')} sans bénévole : "
            "une piste pour la prochaine campagne de recrutement."
        )
    return sentences


def pdf_report(result: dict, audience: str = "") -> bytes:
    """The PDF impact report (gateway/console/report_pdf.py, imported on first use: fpdf2 and its
    image libraries are ~7 MiB the gateway need not hold until a coordinator asks for a report)."""
    from gateway.console.report_pdf import render

    return render(result, audience)
