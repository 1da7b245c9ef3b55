"""The coordinator's view of every village: figures of a period (live), details, charts, CSV of
every table, the PDF impact report; and the live streams (server-sent events) of both consoles."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import eventlet
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from backbone.clock import PARIS, utcnow
from backbone.errors import InvalidInput, ServiceUnavailable
from gateway.console import exports, village_choice
from gateway.console import figures as F
from gateway.console.charts import bar_chart
from gateway.console.framework import COORDINATOR, STAFF, error_page, page
from gateway.console.live import LiveEvents

log = logging.getLogger(__name__)


def _stream_response(request, body) -> Response:
    request.environ["eventlet.minimum_write_chunk_size"] = 1  # eventlet.wsgi buffers 4 KB otherwise
    return Response(
        body,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


DETAIL_ROWS_SHOWN = 200
# seconds the services have to compute an export-only detail (a national year of sales by village
# and partner is ~50,000 rows: a busy machine takes seconds to send them); the page keeps
# MAILLAGE_RPC_TIMEOUT
EXPORT_RPC_TIMEOUT = 30.0
# the villages' tables show this many villages a page (a national network has a thousand); the
# totals are the whole selection's, and the CSV has every village
VILLAGES_PER_PAGE = 100


def _csv_response(chunks, name: str) -> Response:
    return Response(
        chunks,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _incomplete(result, ctx) -> Response:
    """An export or a report is handed to a funder or a commune: one with a service's figures
    missing would mislead, so none is made (the page itself shows what it has, with a warning)."""
    missing = ", ".join(F.SERVICE_LABELS.get(s, s) for s in result["unavailable"])
    return error_page(
        503,
        "Chiffres incomplets",
        f"Les chiffres suivants ne sont pas disponibles pour le moment : "
        f"{missing}. Un export incomplet induirait en erreur ; réessayez dans quelques minutes.",
        ctx.principal,
    )


class CoordinationPages:
    live = LiveEvents()

    def _figures(self, ctx, details: tuple[str, ...] = ()):
        """The period's figures, the villages and the rounds to come, all asked at once."""
        date_from, date_to, errors = F.parse_period(ctx.args)
        wanted = [v for v in ctx.args.getlist("village") if v]
        upcoming = eventlet.spawn(self._upcoming_rounds, wanted or None)
        listed = {}

        def chosen():
            listed["every"] = self.members_rpc.village_names(None)
            return [v for v in listed["every"] if v["id"] in wanted] if wanted else listed["every"]

        proxies = self._proxies()
        if details:  # an export-only detail: a download may take seconds, the page may not
            proxies = {
                service: proxy.with_timeout(EXPORT_RPC_TIMEOUT)
                for service, proxy in proxies.items()
            }
        result = F.collect(proxies, date_from, date_to, wanted or None, chosen, details)
        every = listed["every"]
        names = {v["id"]: v["name"] for v in every}
        result["details"]["rounds"] = [
            {**r, "villages": ", ".join(names.get(v, v) for v in r["villages"])}
            for r in upcoming.wait()
        ]
        query = [("du", date_from.isoformat()), ("au", date_to.isoformat())] + [
            ("village", v) for v in wanted
        ]
        return result, every, wanted, errors, urlencode(query)

    def _upcoming_rounds(self, village_ids) -> list[dict]:
        """Rounds from today on, touching the villages asked about (orders service), with their
        villages' ids (named by the caller)."""
        try:
            rounds = self.orders_rpc.list_rounds(village_ids, None)
        except (
            ServiceUnavailable,
            RemoteError,
            InvalidInput,
        ):  # a detail of the page: the figures still show
            log.warning("the rounds to come are left off the coordination page", exc_info=True)
            return []
        today = utcnow().astimezone(PARIS).date().isoformat()
        return [
            {
                "date": r["date"],
                "vehicle_name": r["vehicle_name"],
                "villages": r["village_ids"],
                "stops": len(r["stops"]),
                "load": f"{r['load']} / {r['capacity']}",
                "distance_km": r["distance_km"],
                "status": r["status_label"],
            }
            for r in sorted(rounds, key=lambda r: r["date"])
            if r["date"] >= today
        ]

    @page("/console/coordination", roles=COORDINATOR)
    def page_coordination(self, ctx):
        result, every, wanted, errors, query = self._figures(ctx)
        number, pages, page_errors = F.parse_page(
            ctx.args, len(result["villages"]), VILLAGES_PER_PAGE
        )
        errors = {**errors, **page_errors}
        first = (number - 1) * VILLAGES_PER_PAGE
        tables = F.grouped_tables(
            {**result, "villages": result["villages"][first : first + VILLAGES_PER_PAGE]}
        )
        pager = {
            "number": number,
            "pages": pages,
            "first": first + 1,
            "last": min(first + VILLAGES_PER_PAGE, len(result["villages"])),
            "count": len(result["villages"]),
        }
        # a detail table shows its first rows on the page (a national network's sales by village and
        # partner are tens of thousands); its CSV holds them all
        details = [
            (
                name,
                F.DETAIL_LABELS.get(name, name),
                *F.detail_table(name, rows_[:DETAIL_ROWS_SHOWN]),
                len(rows_),
            )
            for name, rows_ in result["details"].items()
        ]
        charts = [
            bar_chart(c["title"], c["bars"], c["unit"], i)
            for i, c in enumerate(F.chart_series(result))
        ]
        tiles = [
            (F.label(n), F.display(n, result["totals"][n]))
            for n in result["names"]
            if n in result["totals"]
        ][:8]
        return ctx.render(
            "coordination.html",
            result=result,
            tables=tables,
            details=details,
            charts=charts,
            tiles=tiles,
            choice=village_choice.choose(every, wanted, ctx.args.get("vq", "")),
            wanted=wanted,
            errors=errors,
            query=query,
            pager=pager,
            export_only=[(name, F.DETAIL_LABELS[name]) for name in F.EXPORT_ONLY_DETAILS],
            service_labels=F.SERVICE_LABELS,
            fragment=ctx.args.get("fragment") == "1",
            status=400 if errors else 200,
        )

    @page("/console/coordination/export/<table>.csv", roles=COORDINATOR)
    def page_coordination_csv(self, ctx):
        table = ctx.params["table"]
        if table == "sales_by_partner":
            return self._sales_by_partner_csv(ctx)
        result, *_ = self._figures(ctx, (table,) if table in F.EXPORT_ONLY_DETAILS else ())
        if result["unavailable"]:
            return _incomplete(result, ctx)
        tables = exports.csv_tables(result)
        if table not in tables:
            return error_page(
                404, "Introuvable", "Ce tableau n'existe pas pour cette période.", ctx.principal
            )
        return _csv_response(
            exports.csv_chunks(*tables[table]),
            f"maillage-{table}-{result['date_from']}-{result['date_to']}.csv",
        )

    def _sales_by_partner_csv(self, ctx):
        """Sales per village and partner (tens of thousands of rows for a national year): asked of
        the orders service alone, each village and partner named once, and streamed."""
        date_from, date_to, _errors = F.parse_period(ctx.args)
        wanted = [v for v in ctx.args.getlist("village") if v] or None
        names = eventlet.spawn(self.members_rpc.village_names, None)
        try:
            table = self.orders_rpc.with_timeout(EXPORT_RPC_TIMEOUT).sales_by_partner(
                date_from.isoformat(), date_to.isoformat(), wanted
            )
        except (ServiceUnavailable, RemoteError):
            log.warning("the sales by partner export is refused", exc_info=True)
            names.kill()
            return _incomplete({"unavailable": ["orders"]}, ctx)
        village_names = {v["id"]: v["name"] for v in names.wait()}
        header = [F.csv_label(k) for k in ("village_name", "partner_name", "sales_cents")]
        return _csv_response(
            exports.sales_by_partner_chunks(header, table, village_names),
            f"maillage-sales_by_partner-{date_from}-{date_to}.csv",
        )

    @page("/console/coordination/rapport", roles=COORDINATOR)
    def page_report_form(self, ctx):
        date_from, date_to, errors = F.parse_period(ctx.args)
        every = self.members_rpc.village_names(None)
        wanted = [v for v in ctx.args.getlist("village") if v]
        return ctx.render(
            "report.html",
            choice=village_choice.choose(every, wanted, ctx.args.get("vq", "")),
            wanted=wanted,
            recipient=(ctx.args.get("pour") or "").strip()[:120],
            date_from=date_from,
            date_to=date_to,
            errors=errors,
        )

    @page("/console/coordination/rapport.pdf", roles=COORDINATOR)
    def page_report_pdf(self, ctx):
        result, every, wanted, errors, _ = self._figures(ctx)
        if errors:
            return ctx.render(
                "report.html",
                choice=village_choice.choose(every, wanted, ctx.args.get("vq", "")),
                wanted=wanted,
                recipient=(ctx.args.get("pour") or "").strip()[:120],
                date_from=result["date_from"],
                date_to=result["date_to"],
                errors=errors,
                status=400,
            )
        if result["unavailable"]:
            return _incomplete(result, ctx)
        body = exports.pdf_report(result, (ctx.args.get("pour") or "").strip()[:120])
        name = f"maillage-rapport-{result['date_from']}-{result['date_to']}.pdf"
        return Response(
            body,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    @page("/console/coordination/flux", roles=COORDINATOR)
    def page_coordination_stream(self, ctx):
        return _stream_response(ctx.request, self.live.stream(None))

    @page("/console/villages/<village_id>/flux", roles=STAFF, village_scoped=True)
    def page_village_stream(self, ctx):
        return _stream_response(ctx.request, self.live.stream(ctx.params["village_id"]))
