"""The coordinator's figures: each service's `village_figures(date_from, date_to, village_ids,
details)` merged per village, labelled in French (unknown names are shown as they are)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import eventlet
from nameko.exceptions import IncorrectSignature, MethodNotFound, RemoteError

from backbone import formats
from backbone.clock import PARIS, utcnow
from backbone.errors import InvalidInput, ServiceUnavailable
from backbone.messages import msg
from gateway.console.framework import french_date, french_time

SERVICES = ("members", "orders", "partners", "events")
# what a coordinator reads when a service's figures are missing
SERVICE_LABELS = {
    "members": "habitants et bénévoles",
    "orders": "commandes, ventes et colis",
    "partners": "partenaires et financements",
    "events": "animations et suggestions",
}

# figure name -> French label; order here is the order of the columns
FIGURE_LABELS = {
    "orders": "Commandes",
    "orders_handed_over": "Commandes remises",
    "sales_cents": "Ventes",
    "local_sales_cents": "Ventes aux partenaires du territoire",
    "local_share": "Part locale",
    "parcels": "Colis reçus",
    "parcels_received": "Colis reçus",
    "parcels_handed_over": "Colis remis",
    "help_requests": "Coups de main demandés",
    "help_requests_done": "Coups de main rendus",
    "help_requests_completed": "Coups de main rendus",
    "help_requests_unmatched": "Coups de main sans bénévole",
    "rounds": "Tournées",
    "round_stops": "Arrêts de tournée",
    "home_deliveries": "Livraisons à domicile",
    "volunteer_minutes": "Heures de bénévolat",
    "active_volunteers": "Bénévoles actifs",
    "volunteers": "Bénévoles (vivier)",
    "animations": "Animations",
    "animations_held": "Animations tenues",
    "animation_attendance": "Participants aux animations",
    "people_reached": "Participants aux animations",
    "registrations": "Inscriptions",
    "members": "Habitants inscrits",
    "new_members": "Nouveaux habitants",
    "suggestions": "Suggestions",
    "suggestions_made": "Suggestions reçues",
    "suggestions_answered": "Suggestions répondues",
    "median_answer_days": "Délai médian de réponse (jours)",
    "answer_days_median": "Délai médian de réponse (jours)",
    "missing_skills": "Compétences manquantes",
    "partners": "Partenaires",
    "offers": "Offres",
    "campaigns": "Campagnes",
    "funding_cents": "Financements",
    "attendance": "Participants aux animations",
    "help_minutes": "Heures de coups de main",
    "rounds_planned": "Tournées prévues",
    "volunteer_minutes_at_animations": "Heures de bénévolat aux animations",
    "funding_total_cents": "Financements reçus",
    "funding_public_grant_cents": "Subventions publiques",
    "funding_private_sponsor_cents": "Mécénat",
    "funding_membership_fees_cents": "Cotisations",
    "funding_sales_margin_cents": "Marge sur ventes",
    "funding_service_contract_cents": "Contrats de service",
    "funding_crowdfunding_cents": "Financement participatif",
    "campaign_pledged_cents": "Promesses de dons (campagnes)",
    "campaigns_running": "Campagnes en cours",
    "catalogue_items": "Articles au catalogue",
    "shared_supplier_items": "Articles de fournisseurs partagés",
    "till_sales": "Ventes en caisse",
    "solidarity_sales": "Ventes au prix solidaire",
    "solidarity_sales_cents": "Montant au prix solidaire",
}
DETAIL_LABELS = {
    "volunteer_pool": "Vivier de bénévoles (par compétence)",
    "missing_skills": "Compétences manquantes",
    "partner_sales": "Ventes par partenaire",
    "sales_by_partner": "Ventes par village et partenaire",
    "parcels_by_sender": "Colis par expéditeur",
    "shared_suppliers": "Fournisseurs partagés",
    "supplier_orders": "Commandes groupées",
    "rounds": "Tournées prévues",
    "recurring_needs": "Besoins récurrents",
    "network_signals": "Besoins récurrents (plusieurs villages)",
    "campaigns": "Campagnes",
    "funding": "Financements",
    "partners": "Partenaires",
    "funding_sources": "Financements reçus",
    "upcoming_animations": "Animations à venir",
}
COLUMN_LABELS = {
    "village_id": "Id du village",
    "village_name": "Village",
    "skill": "Code compétence",
    "label": "Compétence",
    "volunteers": "Bénévoles",
    "requested": "Demandes",
    "unmatched": "Sans bénévole",
    "partner_id": "Id partenaire",
    "partner_name": "Partenaire",
    "name": "Nom",
    "orders": "Commandes",
    "sales_cents": "Ventes",
    "amount_cents": "Montant",
    "villages": "Villages",
    "category": "Catégorie",
    "count": "Nombre",
    "status": "État",
    "date": "Date",
    "starts_at": "Début",
    "ends_at": "Fin",
    "title": "Titre",
    "funder": "Financeur",
    "local": "Du territoire",
    "kind": "Type",
    "stops": "Arrêts",
    "village_ids": "Villages",
    "suggestions": "Suggestions",
    "goal_cents": "Objectif",
    "pledged_cents": "Promis",
    "deadline": "Échéance",
    "received_on": "Reçu le",
    "starts_on": "Du",
    "ends_on": "Au",
    "services": "Services",
    "category_label": "Catégorie",
    "kind_label": "Type",
    "status_label": "État",
    "vehicle_name": "Véhicule",
    "load": "Chargement",
    "distance_km": "Distance (km)",
    "sender_kind_label": "Expéditeur",
    "sender_name": "Nom de l'expéditeur",
    "parcels_returned": "Colis retournés",
    "capacity": "Places",
    "registered": "Inscrits",
    "waiting": "En attente",
    "invited_village_ids": "Villages invités",
}
# details too large for every look at the page (a national year of sales by village and partner is
# tens of thousands of rows): asked for by their CSV export only, which the page links to
EXPORT_ONLY_DETAILS = ("sales_by_partner",)
# figures to draw rather than read (the first present ones)
CHART_FIGURES = (
    "sales_cents",
    "orders",
    "volunteer_minutes",
    "attendance",
    "animation_attendance",
    "help_requests_done",
    "new_members",
)


def label(name: str) -> str:
    return FIGURE_LABELS.get(name, name)


def column_label(name: str) -> str:
    return FIGURE_LABELS.get(name) or COLUMN_LABELS.get(name, name)


# the page shows the villages' figures as a few narrow tables, by theme (the CSV has them all)
GROUPS = (
    (
        "activite",
        "Activité économique et colis",
        (
            "orders",
            "orders_handed_over",
            "sales_cents",
            "till_sales",
            "solidarity_sales",
            "solidarity_sales_cents",
            "local_sales_cents",
            "local_share",
            "parcels",
            "parcels_received",
            "parcels_handed_over",
            "rounds",
            "rounds_planned",
            "round_stops",
            "home_deliveries",
        ),
    ),
    (
        "entraide",
        "Entraide et bénévolat",
        (
            "help_requests",
            "help_requests_done",
            "help_minutes",
            "help_requests_completed",
            "help_requests_unmatched",
            "volunteer_minutes",
            "active_volunteers",
            "volunteers",
            "missing_skills",
            "volunteer_minutes_at_animations",
        ),
    ),
    (
        "vie-locale",
        "Vie locale : habitants, animations, suggestions",
        (
            "members",
            "new_members",
            "animations",
            "animations_held",
            "attendance",
            "animation_attendance",
            "people_reached",
            "registrations",
            "suggestions",
            "suggestions_made",
            "suggestions_answered",
            "median_answer_days",
            "answer_days_median",
        ),
    ),
)


def grouped_tables(result: dict) -> list[tuple[str, str, list[str], list[list]]]:
    """(id, title, header, rows) per theme; figures of no theme (funding, catalogue…) go last."""
    placed: set[str] = set()
    tables = []
    for ident, title, members in GROUPS:
        names = [n for n in result["names"] if n in members]
        placed.update(names)
        if names:
            tables.append((ident, title, *village_table({**result, "names": names})))
    rest = [n for n in result["names"] if n not in placed]
    if rest:
        tables.append(
            (
                "financements",
                "Financements, campagnes et catalogue",
                *village_table({**result, "names": rest}),
            )
        )
    return tables


def display(name: str, value):
    """A figure as people read it: euros for *_cents, hours for minutes."""
    if value is None:
        return "—"
    if name.endswith("_cents") and isinstance(value, (int, float)):
        return formats.money(value)
    if name.endswith("_minutes") and isinstance(value, (int, float)):
        return formats.hours(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return formats.number(value, 2)
    if isinstance(value, int):
        return formats.number(value)
    return str(value)


def chart_value(name: str, value) -> float:
    if not isinstance(value, (int, float)):
        return 0.0
    if name.endswith("_cents"):
        return value / 100
    if name.endswith("_minutes"):
        return value / 60
    return float(value)


def chart_unit(name: str) -> str:
    return "€" if name.endswith("_cents") else ("h" if name.endswith("_minutes") else "")


def this_month() -> tuple[date, date]:
    today = utcnow().astimezone(PARIS).date()
    return today.replace(day=1), today


def parse_page(args, count: int, per_page: int) -> tuple[int, int, dict]:
    """`page` (1, 2…) of a table of `count` rows: (page, pages, errors by field, in French); a page
    past the last gives the last."""
    pages = max(1, -(-count // per_page))
    raw = (args.get("page") or "").strip()
    if not raw:
        return 1, pages, {}
    # "²" is a digit to str.isdigit; past 4,300 digits int() itself refuses (and a 500 would follow)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        return 1, pages, {"page": "Numéro de page invalide (1, 2, 3…)."}
    return min(int(raw), pages), pages, {}


def parse_period(args) -> tuple[date, date, dict]:
    """`du` and `au` (YYYY-MM-DD) from a query string; errors by field, in French."""
    first, last = this_month()
    errors = {}
    values = {}
    for key, default in (("du", first), ("au", last)):
        raw = (args.get(key) or "").strip()
        if not raw:
            values[key] = default
            continue
        try:
            values[key] = date.fromisoformat(raw)
        except ValueError:
            errors[key] = msg("query_date_format", example="2026-11-01").french
            values[key] = default
    if not errors and values["au"] < values["du"]:
        errors["au"] = msg("end_before_start_date").french
    return values["du"], values["au"], errors


def collect(
    proxies: dict,
    date_from: date,
    date_to: date,
    village_ids: list[str] | None,
    villages: list[dict] | Callable[[], list[dict]],
    details: tuple[str, ...] = (),
) -> dict:
    """Every service's figures for the period, merged, with the optional `details` named (see
    EXPORT_ONLY_DETAILS), for `villages` (or what a function gives: it is called once the services
    are asked, so that both are waited for together). A service that has no `village_figures` yet,
    or does not answer, is listed in `unavailable` and the rest is shown."""
    named: dict[str, None] = {}  # the figures' names, in the order they first come
    merged: dict[str, list] = {}
    unavailable: list[str] = []

    def ask(service):  # the four services at once: the page waits for the slowest, not for the sum
        # `details` only when there are some: a service not upgraded yet still answers the page
        extra = (list(details),) if details else ()
        try:
            return proxies[service].village_figures(
                date_from.isoformat(), date_to.isoformat(), village_ids, *extra
            )
        except (MethodNotFound, IncorrectSignature, RemoteError, ServiceUnavailable, InvalidInput):
            return None

    answers = eventlet.GreenPool(len(SERVICES)).imap(ask, SERVICES)
    if callable(villages):
        villages = villages()
    rows: dict[str, dict] = {v["id"]: {} for v in villages}
    village_names = {v["id"]: v["name"] for v in villages}
    for service, answer in zip(SERVICES, answers):
        if answer is None:
            unavailable.append(service)
            continue
        for village_id, figures in (answer.get("figures") or {}).items():
            row = rows.get(village_id)
            if row is not None:
                row.update(figures)
                named.update(dict.fromkeys(figures))
        for name, detail_rows in (answer.get("details") or {}).items():
            if isinstance(detail_rows, list):
                merged.setdefault(name, []).extend(
                    _named(r, village_names)
                    for r in detail_rows
                    if not isinstance(r, dict)
                    or village_ids is None
                    or r.get("village_id") in (None, *village_ids)
                )
    order = list(FIGURE_LABELS)
    names = list(named)
    names.sort(key=lambda n: order.index(n) if n in order else len(order))
    totals = {}
    for name in names:
        values = [rows[v][name] for v in rows if isinstance(rows[v].get(name), (int, float))]
        if values and not (
            name.startswith("median") or name.endswith("_median") or name.endswith("_share")
        ):
            totals[name] = sum(values)
    return {
        "villages": villages,
        "names": names,
        "rows": rows,
        "totals": totals,
        "details": merged,
        "unavailable": unavailable,
        "date_from": date_from,
        "date_to": date_to,
    }


def csv_value(name: str, value):
    """A figure for a spreadsheet: a bare number with a decimal comma (euros, hours)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        if name.endswith("_cents"):
            return f"{value / 100:.2f}".replace(".", ",")
        if name.endswith("_minutes"):
            return f"{value / 60:.2f}".replace(".", ",")
        return f"{value:.2f}".replace(".", ",") if isinstance(value, float) else str(value)
    return str(value)


def csv_label(name: str) -> str:
    return column_label(name) + (
        " (€)" if name.endswith("_cents") else " (h)" if name.endswith("_minutes") else ""
    )


def _named(row, village_names: dict):
    """A detail row with village names beside (or instead of) village ids, village name first."""
    if not isinstance(row, dict):
        return row
    out = {}
    if "village_id" in row and "village_name" not in row:
        out["village_name"] = village_names.get(row["village_id"], row["village_id"])
    for key, value in row.items():
        if key.endswith("village_ids") and isinstance(value, list):
            value = ", ".join(village_names.get(v, v) for v in value) or "tout le réseau"
        out[key] = value
    return out


def village_table(result: dict, fmt=display, head=label) -> tuple[list[str], list[list]]:
    """The main table as header + rows of displayed values (for the page, the CSV, the PDF)."""
    header = ["Village"] + [head(n) for n in result["names"]]
    rows = []
    for village in result["villages"]:
        figures = result["rows"].get(village["id"], {})
        rows.append([village["name"]] + [fmt(n, figures.get(n)) for n in result["names"]])
    if result["villages"]:
        rows.append(
            ["Total"]
            + [
                fmt(n, result["totals"].get(n)) if n in result["totals"] else ""
                for n in result["names"]
            ]
        )
    return header, rows


# codes some details carry as they are, in French
VALUE_LABELS = {
    "running": "en cours",
    "funded": "financée",
    "failed": "échouée",
    "scheduled": "prévue",
    "held": "tenue",
    "cancelled": "annulée",
    "planned": "prévue",
    "done": "faite",
    "public_grant": "subvention publique",
    "private_sponsor": "mécénat",
    "membership_fees": "cotisations",
    "sales_margin": "marge sur ventes",
    "service_contract": "contrat de prestation",
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}.*)?$")


def readable(name: str, value):
    """A detail's cell: dates in French, known codes in words, else as `display` gives it."""
    if isinstance(value, str) and _ISO.match(value):
        return french_date(value) + (f", {french_time(value)}" if "T" in value else "")
    if isinstance(value, str) and value in VALUE_LABELS:
        return VALUE_LABELS[value]
    return display(name, value)


def _shown_keys(rows: list) -> list[str]:
    keys: list[str] = []
    for row in rows:
        if isinstance(row, dict):
            for key in row:
                if key not in keys and key != "id" and not key.endswith("_id"):
                    keys.append(key)
    # a code is left out when its label is there
    return [k for k in keys if f"{k}_label" not in keys and not (k == "skill" and "label" in keys)]


def detail_table(
    name: str, rows: list, fmt=readable, head=column_label
) -> tuple[list[str], list[list]]:
    keys = _shown_keys(rows)
    header = [head(k) for k in keys]
    return header, [
        [fmt(k, row.get(k)) if isinstance(row, dict) else str(row) for k in keys] for row in rows
    ]


# a chart draws at most this many villages: the largest, when the network has more
CHART_BARS = 15


def chart_series(result: dict, limit: int = 3, bars: int = CHART_BARS) -> list[dict]:
    charts = []
    for name in CHART_FIGURES:
        if name in result["names"] and len(charts) < limit:
            values = [
                (v["name"], chart_value(name, result["rows"].get(v["id"], {}).get(name)))
                for v in result["villages"]
            ]
            title = label(name)
            if len(values) > bars:
                values = sorted(values, key=lambda bar: -bar[1])[:bars]
                title += f" : les {bars} premiers villages"
            charts.append({"name": name, "title": title, "unit": chart_unit(name), "bars": values})
    return charts
