"""The commune's read-only space (#25): a local authority reads the figures of the villages it
funds, and their impact report, through a link the coordinator gives it — no account.

`/commune/<token>` checks the link with the partners service, puts it in a cookie (HttpOnly,
SameSite=Lax so that it comes with a link opened from an e-mail, Secure under https) and sends on
to `/commune`, so that the token leaves the address bar and the history. Every page asks the
partners service again: a link revoked is refused at the next click, not at the cookie's end.

The figures are the coordinator's (each service's `village_figures`, merged by
gateway/console/figures.py) for the commune's villages only: the villages' tables and their
charts, never the detail tables (other partners' sales, network-wide campaigns)."""

from __future__ import annotations

import re
from datetime import datetime

from werkzeug.wrappers import Response

from backbone.broker import BROKER_ONLY_ERRORS, RETRY_AFTER_SECONDS
from backbone.clock import PARIS, utcnow
from backbone.errors import AuthenticationFailed, InvalidInput, ServiceUnavailable
from backbone.messages import msg
from gateway import web_security
from gateway.console import exports, periods
from gateway.console import figures as F
from gateway.console.charts import bar_chart
from gateway.console.framework import public, redirect, templates

COOKIE = "maillage_commune"
COOKIE_PATH = "/commune"
# checked here before any RPC: what the partners service issues (commune_links.py)
TOKEN = re.compile(r"^[0-9a-f]{16}[A-Za-z0-9_-]{20,80}$")
UNAVAILABLE = (ServiceUnavailable, *BROKER_ONLY_ERRORS)


def _html(template: str, status: int = 200, **values) -> Response:
    html = templates.get_template(template).render(**values)
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return Response(html, status=status, mimetype="text/html", headers=headers)


def _forget(response: Response) -> Response:
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, samesite="Lax", secure=web_security.https()
    )
    return response


def _refused() -> Response:
    """Gone rather than 403: the link was good once (or never was); asking again will not help,
    the coordination gives a new one."""
    return _forget(_html("commune/refused.html", status=410))


def _unavailable() -> Response:
    return _html(
        "commune/unavailable.html",
        status=503,
        text="La page n'a pas pu être préparée. Réessayez dans quelques instants.",
    )


class CommunePages:
    def _commune(self, token: str | None) -> dict | None:
        """The commune a token opens, or None."""
        if not token or not TOKEN.match(token):
            return None
        try:
            return self.partners_rpc.open_commune_link(token)
        except (AuthenticationFailed, InvalidInput):
            return None

    @public("/commune/<token>")
    def commune_link(self, request, token):
        try:
            commune = self._commune(token)
        except UNAVAILABLE:
            return _unavailable()
        if commune is None:
            return _refused()
        response = redirect(COOKIE_PATH)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.set_cookie(
            COOKIE,
            token,
            expires=datetime.fromisoformat(commune["expires_at"]),
            path=COOKIE_PATH,
            httponly=True,
            samesite="Lax",
            secure=web_security.https(),
        )
        return response

    def _commune_figures(self, request):
        """(commune, period value, choices, errors, result), or a Response to answer instead."""
        token = request.cookies.get(COOKIE)
        if not token:
            return _html("commune/welcome.html")
        try:
            commune = self._commune(token)
        except UNAVAILABLE:
            return _unavailable()
        if commune is None:
            return _refused()
        today = utcnow().astimezone(PARIS).date()
        value = (request.args.get("periode") or "").strip()[:10] or periods.default(today)
        errors = {}
        found = periods.bounds(value, today)
        if found is None:
            errors["periode"] = msg("period_not_offered").french
            value = periods.default(today)
            found = periods.bounds(value, today)
        result = None
        if commune["village_ids"]:
            villages = self.members_rpc.village_names(commune["village_ids"])
            result = F.collect(self._proxies(), *found, commune["village_ids"], villages)
            result["details"] = {}  # the villages' own figures only
        return commune, value, periods.choices(today), errors, found, result

    @public("/commune")
    def commune_space(self, request):
        try:
            answer = self._commune_figures(request)
        except UNAVAILABLE:
            return _unavailable()
        if isinstance(answer, Response):
            return answer
        commune, value, choices, errors, (date_from, date_to), result = answer
        tables = charts = tiles = []
        if result is not None:
            tables = F.grouped_tables(result)
            charts = [
                bar_chart(c["title"], c["bars"], c["unit"], i)
                for i, c in enumerate(F.chart_series(result))
            ]
            tiles = [
                (F.label(n), F.display(n, result["totals"][n]))
                for n in result["names"]
                if n in result["totals"]
            ][:8]
        invoices = self.partners_rpc.commune_invoices(commune["partner_id"])
        return _html(
            "commune/space.html",
            invoices=invoices,
            status=400 if errors else 200,
            commune=commune,
            value=value,
            choices=choices,
            errors=errors,
            date_from=date_from,
            date_to=date_to,
            result=result,
            tables=tables,
            charts=charts,
            tiles=tiles,
            service_labels=F.SERVICE_LABELS,
        )

    @public("/commune/factures/<invoice_id>.pdf")
    def commune_invoice(self, request, invoice_id):
        """One of its own invoices: another commune's is not found."""
        token = request.cookies.get(COOKIE)
        try:
            commune = self._commune(token)
            if commune is None:
                return _refused()
            own = {i["id"]: i for i in self.partners_rpc.commune_invoices(commune["partner_id"])}
        except UNAVAILABLE:
            return _unavailable()
        invoice = own.get(invoice_id)
        if invoice is None:
            return _html(
                "commune/unavailable.html", status=404, text="Cette facture n'est pas des vôtres."
            )
        from gateway.console import money_pdf  # fpdf2 and its fonts: imported on first use

        return Response(
            money_pdf.invoice_pdf(invoice),
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="facture-{invoice["number"]}.pdf"',
                "Cache-Control": "no-store",
            },
        )

    @public("/commune/rapport.pdf")
    def commune_report(self, request):
        try:
            answer = self._commune_figures(request)
        except UNAVAILABLE:
            return _unavailable()
        if isinstance(answer, Response):
            return answer
        commune, value, _, errors, _, result = answer
        if errors or result is None:
            return redirect(COOKIE_PATH + ("" if errors else f"?periode={value}"))
        if result["unavailable"]:
            missing = ", ".join(F.SERVICE_LABELS.get(s, s) for s in result["unavailable"])
            return _html(
                "commune/unavailable.html",
                status=503,
                text=f"Les chiffres suivants ne sont pas disponibles pour le moment : {missing}. "
                "Un rapport incomplet induirait en erreur ; réessayez dans quelques minutes.",
            )
        body = exports.pdf_report(result, commune["name"])
        name = f"maillage-rapport-{result['date_from']}-{result['date_to']}.pdf"
        return Response(
            body,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )
