"""The coordinator's « Signaux » (« Réseau » tab): what the network learns from its villages, by
theme over the months (suggestions and their supports, from any village, coups de main nobody
could take, orders every supplier refused, items asked for at a counter and not offered), with
the villages and grappes concerned, and its CSV (events service, signals.py). The months default
to the last twelve."""

from __future__ import annotations

from backbone.clock import paris_today
from backbone.errors import InvalidInput
from gateway.console.coordination import _csv_response
from gateway.console.exports import signal_chunks
from gateway.console.framework import COORDINATOR, form_errors, page
from services.events.schemas import CATEGORY_LABELS, SIGNAL_SOURCES

S = "/console/coordination/signaux"
MONTH_NAMES = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip


def month_label(month: str) -> str:
    return f"{MONTH_NAMES[int(month[5:]) - 1]} {month[:4]}"


def _period(args) -> dict:
    today = paris_today()
    # the last twelve months, this one included
    start = (
        today.replace(day=1, month=1)
        if today.month == 12
        else today.replace(day=1, year=today.year - 1, month=today.month + 1)
    )
    return {
        "month_from": (args.get("du") or start.strftime("%Y-%m")).strip(),
        "month_to": (args.get("au") or today.strftime("%Y-%m")).strip(),
        "grappe_id": (args.get("grappe") or "").strip() or None,
    }


class SignalPages:
    @page(S, roles=COORDINATOR)
    def page_signals(self, ctx):
        query, errors, result = _period(ctx.args), {}, None
        try:
            result = self.events_rpc.signals(**query)
        except InvalidInput as exc:
            errors = form_errors(exc)
        names = {v["id"]: v["name"] for v in self.members_rpc.village_names(None)}
        grappes = self.members_rpc.list_grappes()
        return ctx.render(
            "signals.html",
            query=query,
            result=result,
            names=names,
            grappes=grappes,
            month_label=month_label,
            errors=errors,
            status=400 if errors else 200,
        )

    @page(S + ".csv", roles=COORDINATOR)
    def page_signals_csv(self, ctx):
        query = _period(ctx.args)
        table = self.events_rpc.signal_rows(**query)  # bad months: the framework's 400 page
        names = {v["id"]: v["name"] for v in self.members_rpc.village_names(None)}
        header = ["Thème", "Mois", "Village", "Grappe", *SIGNAL_SOURCES.values(), "Total"]
        return _csv_response(
            signal_chunks(header, table, CATEGORY_LABELS, names),
            f"maillage-signaux-{query['month_from']}-{query['month_to']}.csv",
        )
