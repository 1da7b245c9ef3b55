"""The coordinator's money pages beside the funding sources: producers' consignment statements
(pick a producer and a month, read it, download its PDF for the producer and its CSV for the
accountant, or the CSV of every producer of the month) and the communes' service contracts (create
one, read a month of services delivered, issue its numbered invoice, mark it sent, then paid)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput
from backbone.messages import french, msg
from gateway import i18n
from gateway.console import money_documents as D
from gateway.console.form_values import cents
from gateway.console.framework import COORDINATOR, filled, form_errors, page, redirect

C = "/console/coordination"
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
PRICES = ("help_hour_cents", "home_delivery_cents", "animation_cents", "premises_month_cents")


def _ascii(text: str) -> str:
    """A name as a file name any browser takes in a header: ASCII letters, digits and dashes."""
    spelled = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    plain = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-") or "partenaire"


def _this_month() -> str:
    return utcnow().astimezone(PARIS).strftime("%Y-%m")


def _download(body: bytes, mimetype: str, name: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _month_error(exc: InvalidInput) -> dict:
    return {"mois": form_errors(exc).get("month") or french(msg("month_format", example="2026-11"))}


class MoneyPages:
    # --- producers' statements ------------------------------------------------------------------

    def _producers(self) -> list[dict]:
        return [
            p
            for p in self.partners_rpc.list_partners(None, None, True)
            if "supplier" in p["relationships"] or p["kind"] in ("producer", "artisan")
        ]

    @page(C + "/releves", roles=COORDINATOR)
    def page_statements(self, ctx):
        month = (ctx.args.get("mois") or _this_month()).strip()
        partner_id = (ctx.args.get("partenaire") or "").strip()
        statement, errors = None, {}
        if not MONTH.fullmatch(month):
            errors = {"mois": french(msg("month_format", example="2026-11"))}
        elif partner_id:
            try:
                statement = self.partners_rpc.consignment_statement(partner_id, month)
            except InvalidInput as exc:
                errors = _month_error(exc)
        return ctx.render(
            "money/statements.html",
            producers=self._producers(),
            month=month,
            partner_id=partner_id,
            statement=statement,
            month_name=D.month_name(statement["month"]) if statement else month,
            percent=D.percent,
            errors=errors,
            status=400 if errors else 200,
        )

    def _statement_file(self, ctx, kind: str):
        month = (ctx.args.get("mois") or "").strip()
        partner_id = (ctx.args.get("partenaire") or "").strip()
        try:
            if kind == "month.csv":
                statements = self.partners_rpc.consignment_statements(month)
                return _download(
                    D.statements_csv(statements), "text/csv", f"releves-depot-vente-{month}.csv"
                )
            statement = self.partners_rpc.consignment_statement(partner_id, month)
        except InvalidInput as exc:
            return ctx.render(
                "money/statements.html",
                producers=self._producers(),
                month=month,
                partner_id=partner_id,
                statement=None,
                month_name=month,
                percent=D.percent,
                errors=_month_error(exc),
                status=400,
            )
        name = f"releve-{_ascii(statement['partner_name'])[:40]}-{statement['month']}"
        if kind == "pdf":
            from gateway.console import money_pdf  # fpdf2 and its fonts: imported on first use

            return _download(money_pdf.statement_pdf(statement), "application/pdf", f"{name}.pdf")
        return _download(D.statements_csv([statement]), "text/csv", f"{name}.csv")

    @page(C + "/releves/releve.pdf", roles=COORDINATOR)
    def page_statement_pdf(self, ctx):
        return self._statement_file(ctx, "pdf")

    @page(C + "/releves/releve.csv", roles=COORDINATOR)
    def page_statement_csv(self, ctx):
        return self._statement_file(ctx, "csv")

    @page(C + "/releves/mois.csv", roles=COORDINATOR)
    def page_statements_month_csv(self, ctx):
        return self._statement_file(ctx, "month.csv")

    # --- the communes' service contracts ----------------------------------------------------------

    def _communes(self) -> list[dict]:
        return [p for p in self.partners_rpc.list_partners(None) if p["kind"] == "local_authority"]

    @page(C + "/contrats", methods="GET,POST", roles=COORDINATOR)
    def page_contracts(self, ctx):
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = {
                k: ctx.form.get(k, "").strip()
                for k in ("partner_id", "name", "starts_on", "ends_on", *PRICES)
            }
            values["village_ids"] = [v for v in ctx.form.getlist("village_ids") if v]
            data = filled({k: values[k] for k in ("partner_id", "name", "starts_on", "ends_on")})
            data["village_ids"] = values["village_ids"]
            bad_amounts = {}
            for field in PRICES:
                amount = cents(values[field])
                if isinstance(amount, str):
                    bad_amounts[field] = french(msg("import_euros_format"))
                elif amount is not None:
                    data[field] = amount
            if bad_amounts:
                errors = bad_amounts
            else:
                try:
                    contract = self.partners_rpc.create_service_contract(data)
                    return redirect(f"{C}/contrats/{contract['id']}?cree=1")
                except (InvalidInput, Conflict) as exc:
                    errors = form_errors(exc)
            errors.setdefault("_", i18n.message("invalid_input")[0])
        return ctx.render(
            "money/contracts.html",
            contracts=self.partners_rpc.list_service_contracts(None),
            communes=self._communes(),
            names={v["id"]: v["name"] for v in self.members_rpc.village_names(None)},
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )

    @page(C + "/contrats/<contract_id>", methods="GET,POST", roles=COORDINATOR)
    def page_contract(self, ctx):
        contract_id = ctx.params["contract_id"]
        month = (ctx.form.get("mois") or ctx.args.get("mois") or _this_month()).strip()
        errors, done, status = {}, ctx.args.get("fait", ""), 200
        if ctx.request.method == "POST":
            action = ctx.form.get("action", "")
            try:
                if action == "issue":
                    self.partners_rpc.issue_invoice(contract_id, month)
                elif action == "sent":
                    email = ctx.form.get("sent_to", "").strip() or None
                    self.partners_rpc.mark_invoice_sent(
                        ctx.form.get("invoice_id", ""), {"sent_to": email}
                    )
                elif action == "paid":
                    self.partners_rpc.mark_invoice_paid(ctx.form.get("invoice_id", ""))
                return redirect(
                    f"{C}/contrats/{contract_id}?" + urlencode({"mois": month, "fait": action})
                )
            except InvalidInput as exc:
                errors, status = form_errors(exc), 400
                if "month" in errors:
                    errors["mois"] = errors.pop("month")
            except Conflict as exc:
                errors, status = form_errors(exc), 409
                errors.pop("month", None)
        contract = self.partners_rpc.get_service_contract(contract_id)
        statement = None
        try:
            statement = self.partners_rpc.contract_month(contract_id, month)
        except InvalidInput as exc:
            errors.update(_month_error(exc))
            status = 400
        return ctx.render(
            "money/contract.html",
            contract=contract,
            month=month,
            month_name=D.month_name(month) if statement else month,
            statement=statement,
            names={v["id"]: v["name"] for v in self.members_rpc.village_names(None)},
            statuses=D.INVOICE_STATUS,
            quantity_text=D.quantity_text,
            done=done,
            errors=errors,
            status=status,
        )

    @page(C + "/contrats/<contract_id>/facture.pdf", roles=COORDINATOR)
    def page_invoice_pdf(self, ctx):
        month = (ctx.args.get("mois") or "").strip()
        try:
            invoice = self.partners_rpc.contract_month(ctx.params["contract_id"], month)
        except InvalidInput:
            return redirect(f"{C}/contrats/{ctx.params['contract_id']}")
        name = f"facture-{invoice['number']}" if invoice["number"] else f"releve-{month}"
        from gateway.console import money_pdf  # fpdf2 and its fonts: imported on first use

        return _download(money_pdf.invoice_pdf(invoice), "application/pdf", f"{name}.pdf")
