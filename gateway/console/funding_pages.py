"""The coordinator's money: funding sources (a grant, a sponsor, a commune's service contract…, for
one village or the network; they show in the coordination page's details and the impact report)
and crowdfunding campaigns (launched with a goal and a deadline for a village or the network;
closed early after a confirmation). Amounts are typed in euros and sent in cents; a pledge of an
inhabitant shows its amount, never who made it."""

from __future__ import annotations

from backbone.errors import Conflict, InvalidInput
from backbone.messages import french, msg
from gateway.console.form_values import cents, end_of_day
from gateway.console.framework import COORDINATOR, filled, form_errors, page, redirect

C = "/console/coordination"
KIND_LABELS = {
    "public_grant": "Subvention publique",
    "private_sponsor": "Mécénat",
    "membership_fees": "Cotisations",
    "sales_margin": "Marge sur ventes",
    "service_contract": "Contrat de prestation (une collectivité achète des services)",
}
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


class FundingPages:
    def _village_choices(self) -> dict[str, str]:
        return {v["id"]: v["name"] for v in self.members_rpc.village_names(None)}

    # --- funding sources -------------------------------------------------------------------

    @page(C + "/financements", methods="GET,POST", roles=COORDINATOR)
    def page_funding(self, ctx):
        errors, values = {}, {}
        fields = ("kind", "name", "partner_id", "village_id", "amount_cents")
        dates = ("starts_on", "ends_on", "received_on")
        if ctx.request.method == "POST":
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
        return ctx.render(
            "money/funding.html",
            sources=self.partners_rpc.list_funding_sources(None),
            names=names,
            partners=partners,
            kinds=KIND_LABELS,
            errors=errors,
            values=values,
            added=ctx.args.get("ajout") == "1",
            status=400 if errors else 200,
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
