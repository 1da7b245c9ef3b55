"""The coordinator's money: funding sources (a grant, a sponsor, a commune's service contract…, for
one village or the network; they show in the coordination page's details and the impact report)
and crowdfunding campaigns (launched with a goal and a deadline for a village or the network;
closed early after a confirmation). Amounts are typed in euros and sent in cents; a pledge of an
inhabitant shows its amount, never who made it."""

from __future__ import annotations

from werkzeug.wrappers import Response

from backbone.errors import Conflict, InvalidInput
from backbone.messages import french, msg
from gateway.console import figures as F
from gateway.console.exports import to_csv
from gateway.console.form_values import cents, end_of_day
from gateway.console.framework import COORDINATOR, filled, form_errors, page, redirect
from gateway.console.money_documents import csv_euros

C = "/console/coordination"
KIND_LABELS = {
    "public_grant": "Subvention publique",
    "private_sponsor": "Mécénat",
    "membership_fees": "Cotisations",
    "sales_margin": "Marge sur ventes",
    "service_contract": "Contrat de prestation (une collectivité achète des services)",
}
# shown in the list, never offered in the form: a funded campaign records it itself
SHOWN_KINDS = {**KIND_LABELS, "crowdfunding": "Financement participatif (campagne financée)"}
CAMPAIGN_STATUS = {"running": "En cours", "funded": "Financée", "failed": "Close sans atteindre"}
# who may fund or buy services: the form offers these partners only
FUNDERS = {"funder", "client"}


def _money(values: dict, data: dict, field: str) -> None:
    """The euros typed in `field`, in cents, into `data` (left out when empty)."""
    amount = cents(values.get(field))
    if amount is not None:
        data[field] = amount


def _amount_errors(errors: dict, values: dict, *fields: str) -> dict:
    """A sum the form could not read is said in euros, not as the service's "whole number"."""
    for field in fields:
        if field in errors and isinstance(cents(values.get(field)), str):
            errors[field] = french(msg("import_euros_format"))
    return errors


# the funding mix's columns (services/partners/funding_mix.py), in the order shown
MIX_COLUMNS = {
    "sales_cents": "Ventes (caisse et commandes)",
    "commune_contracts_cents": "Contrats des communes (facturés)",
    "subsidies_cents": "Subventions",
    "sponsors_cents": "Mécénat",
    "crowdfunding_cents": "Financement participatif",
    "other_cents": "Autres (cotisations, marge…)",
    "total_cents": "Total",
    "in_kind_cents": "En nature (locaux prêtés…)",
}
MIX_ROWS_SHOWN = 100  # the villages with the most money; the CSV has every village


class FundingPages:
    def _village_choices(self) -> dict[str, str]:
        return {v["id"]: v["name"] for v in self.members_rpc.village_names(None)}

    def _funding_mix(self, ctx, names: dict[str, str]) -> dict:
        """The period's funding mix, the villages with some money or help first; the whole
        network's sums as its last row."""
        date_from, date_to, errors = F.parse_period(ctx.args)
        mix = self.partners_rpc.funding_mix(date_from.isoformat(), date_to.isoformat(), None)
        rows = [
            {"name": names.get(village_id, village_id), **figures}
            for village_id, figures in mix["villages"].items()
            if figures["total_cents"] or figures["in_kind_cents"]
        ]
        rows.sort(key=lambda r: (-r["total_cents"], r["name"]))
        network = {c: sum(r[c] for r in rows) for c in MIX_COLUMNS}
        return {
            "date_from": date_from,
            "date_to": date_to,
            "errors": errors,
            "rows": rows,
            "network": network,
            "shares": {
                c: (
                    round(network[c] * 100 / network["total_cents"])
                    if network["total_cents"]
                    else 0
                )
                for c in MIX_COLUMNS
            },
        }

    @page(C + "/financements/repartition.csv", roles=COORDINATOR)
    def page_funding_mix_csv(self, ctx):
        mix = self._funding_mix(ctx, self._village_choices())
        body = to_csv(
            ["Village", *MIX_COLUMNS.values()],
            [[r["name"], *(csv_euros(r[c]) for c in MIX_COLUMNS)] for r in mix["rows"]]
            + [["Tout le réseau", *(csv_euros(mix["network"][c]) for c in MIX_COLUMNS)]],
        )
        name = f"maillage-financements-{mix['date_from']}-{mix['date_to']}.csv"
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # --- funding sources -------------------------------------------------------------------

    @page(C + "/financements", methods="GET,POST", roles=COORDINATOR)
    def page_funding(self, ctx):
        errors, values, in_kind_errors, in_kind = {}, {}, {}, {}
        fields = ("kind", "name", "partner_id", "village_id", "amount_cents")
        dates = ("starts_on", "ends_on", "received_on")
        if ctx.request.method == "POST" and ctx.form.get("form") == "in_kind":
            in_kind = {
                k: ctx.form.get(k, "").strip()
                for k in ("village_id", "partner_id", "description", "value_cents", "month")
            }
            data = filled({k: in_kind[k] for k in ("village_id", "partner_id", "description")})
            data["month"] = in_kind["month"]
            _money(in_kind, data, "value_cents")
            try:
                self.partners_rpc.add_in_kind(data)
                return redirect(f"{C}/financements?nature=1#h-in-kind")
            except (InvalidInput, Conflict) as exc:
                in_kind_errors = _amount_errors(form_errors(exc), in_kind, "value_cents")
        elif ctx.request.method == "POST":
            values = {k: ctx.form.get(k, "").strip() for k in (*fields, *dates, "services")}
            data = filled({k: values[k] for k in ("kind", "name", "partner_id", "village_id")})
            data.update(filled({k: values[k] for k in dates}))
            _money(values, data, "amount_cents")
            data["services"] = [s.strip() for s in values["services"].splitlines() if s.strip()]
            try:
                self.partners_rpc.add_funding_source(data)
                return redirect(f"{C}/financements?ajout=1")
            except (InvalidInput, Conflict) as exc:
                errors = _amount_errors(form_errors(exc), values, "amount_cents")
        names = self._village_choices()
        partners = [
            p
            for p in self.partners_rpc.list_partners(None)
            if FUNDERS & set(p["relationships"]) or p["kind"] == "local_authority"
        ]
        mix = self._funding_mix(ctx, names)
        return ctx.render(
            "money/funding.html",
            mix=mix,
            mix_columns=MIX_COLUMNS,
            mix_rows_shown=MIX_ROWS_SHOWN,
            sources=self.partners_rpc.list_funding_sources(None),
            names=names,
            partners=partners,
            kinds=KIND_LABELS,
            shown_kinds=SHOWN_KINDS,
            errors=errors,
            values=values,
            in_kind=in_kind,
            in_kind_errors=in_kind_errors,
            added=ctx.args.get("ajout") == "1",
            in_kind_added=ctx.args.get("nature") == "1",
            status=400 if errors or in_kind_errors else 200,
        )

    # --- campaigns -------------------------------------------------------------------------

    @page(C + "/campagnes", methods="GET,POST", roles=COORDINATOR)
    def page_campaigns(self, ctx):
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = {
                k: ctx.form.get(k, "").strip()
                for k in ("title", "purpose", "village_id", "goal_cents", "deadline")
            }
            data = filled({k: values[k] for k in ("title", "purpose", "village_id")})
            _money(values, data, "goal_cents")
            if values["deadline"]:  # the campaign runs to the end of that day, in Paris
                data["deadline"] = end_of_day(values["deadline"]) or values["deadline"]
            try:
                campaign = self.partners_rpc.launch_campaign(data)
                return redirect(f"{C}/campagnes/{campaign['id']}?lancee=1")
            except (InvalidInput, Conflict) as exc:
                errors = _amount_errors(form_errors(exc), values, "goal_cents")
                if "deadline" in errors and end_of_day(values["deadline"]) is None:
                    errors["deadline"] = french(msg("invalid_date"))
        return ctx.render(
            "money/campaigns.html",
            campaigns=self.partners_rpc.list_campaigns(None),
            names=self._village_choices(),
            statuses=CAMPAIGN_STATUS,
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )

    @page(C + "/campagnes/<campaign_id>", roles=COORDINATOR)
    def page_campaign(self, ctx):
        return ctx.render(
            "money/campaign.html",
            campaign=self.partners_rpc.get_campaign(ctx.params["campaign_id"], None),
            names=self._village_choices(),
            statuses=CAMPAIGN_STATUS,
            launched=ctx.args.get("lancee") == "1",
            closed=ctx.args.get("close") == "1",
        )

    @page(C + "/campagnes/<campaign_id>/cloture", methods="GET,POST", roles=COORDINATOR)
    def page_campaign_close(self, ctx):
        """Closing ends the pledges and tells the pledgers: asked once more before it is done."""
        campaign_id = ctx.params["campaign_id"]
        errors = {}
        if ctx.request.method == "POST":
            try:
                self.partners_rpc.close_campaign(campaign_id)
                return redirect(f"{C}/campagnes/{campaign_id}?close=1")
            except Conflict as exc:
                errors = form_errors(exc)
        return ctx.render(
            "money/campaign_close.html",
            campaign=self.partners_rpc.get_campaign(campaign_id, None),
            statuses=CAMPAIGN_STATUS,
            errors=errors,
            status=409 if errors else 200,
        )
