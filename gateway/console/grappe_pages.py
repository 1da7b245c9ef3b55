"""The coordinator's grappes (« Logistique », tab « Grappes »): villages gathered to pool the orders
of shared suppliers, with their depot (a village of the grappe and a place there). Created and
changed here (members owns them and tells orders, which then pools each listed supplier's orders
per grappe); each grappe's page shows its pooled orders and this month's figures (orders)."""

from __future__ import annotations

from backbone.clock import paris_today
from backbone.errors import Conflict, InvalidInput, ServiceUnavailable
from backbone.messages import msg
from gateway.console import village_choice
from gateway.console.framework import COORDINATOR, filled, form_errors, page, redirect
from gateway.console.logistics_pages import PURCHASE_ORDER_STATUS

G = "/console/coordination/grappes"
FIELDS = ("name", "depot_village_id", "depot_place")


def _values(form) -> dict:
    values = {k: (form.get(k) or "").strip() for k in FIELDS}
    values["village_ids"] = [v for v in form.getlist("village_ids") if v]
    values["supplier_partner_ids"] = [p for p in form.getlist("supplier_partner_ids") if p]
    return values


class GrappePages:
    def _suppliers(self) -> list[dict]:
        """The partners supplying villages, by name: those a grappe may pool."""
        return sorted(
            (
                {"id": p["id"], "name": p["name"]}
                for p in self.partners_rpc.list_partners(None)
                if "supplier" in p["relationships"]
            ),
            key=lambda p: p["name"],
        )

    def _save(self, ctx, grappe_id: str | None):
        """The form sent: (redirect, None) once saved, else (None, errors, values)."""
        values = _values(ctx.form)
        if ctx.form.get("chercher") == "1":  # the village search of a long network: nothing saved
            return None, {}, values
        data = filled({k: values[k] for k in FIELDS})
        data["village_ids"] = values["village_ids"]
        data["supplier_partner_ids"] = values["supplier_partner_ids"]
        suppliers = {p["id"] for p in self._suppliers()}
        unknown = [p for p in data["supplier_partner_ids"] if p not in suppliers]
        try:
            if unknown:
                raise InvalidInput(
                    {"supplier_partner_ids": [msg("unknown_partner", partner=", ".join(unknown))]}
                )
            if grappe_id is None:
                saved = self.members_rpc.create_grappe(data)
                return redirect(f"{G}/{saved['id']}?nouvelle=1"), {}, values
            self.members_rpc.update_grappe(grappe_id, data)
            return redirect(f"{G}/{grappe_id}?modifiee=1"), {}, values
        except (InvalidInput, Conflict) as exc:
            return None, form_errors(exc), values

    def _form_context(self, ctx, values) -> dict:
        names = {v["id"]: v["name"] for v in self.members_rpc.village_names(None)}
        every = [{"id": i, "name": n} for i, n in sorted(names.items(), key=lambda kv: kv[1])]
        query = ctx.form.get("vq", "") if ctx.request.method == "POST" else ""
        return {
            "names": names,
            "choice": village_choice.choose(every, values.get("village_ids", []), query),
            "suppliers": self._suppliers(),
        }

    @page(G, methods="GET,POST", roles=COORDINATOR)
    def page_grappes(self, ctx):
        errors, values = {}, {"village_ids": [], "supplier_partner_ids": []}
        if ctx.request.method == "POST":
            done, errors, values = self._save(ctx, None)
            if done is not None:
                return done
        today = paris_today()
        try:
            figures = self.orders_rpc.grappe_figures(
                today.replace(day=1).isoformat(), today.isoformat()
            )
        except ServiceUnavailable:  # the list stays readable without orders' figures
            figures = None
        context = self._form_context(ctx, values)
        return ctx.render(
            "logistics/grappes.html",
            grappes=self.members_rpc.list_grappes(),
            figures=figures,
            errors=errors,
            values=values,
            status=400 if errors else 200,
            **context,
        )

    @page(G + "/<grappe_id>", methods="GET,POST", roles=COORDINATOR)
    def page_grappe(self, ctx):
        grappe_id = ctx.params["grappe_id"]
        grappe = self.members_rpc.get_grappe(grappe_id)  # unknown: the framework's 404 page
        errors, values = {}, {k: grappe.get(k) or "" for k in FIELDS}
        values["village_ids"] = grappe["village_ids"]
        values["supplier_partner_ids"] = grappe["supplier_partner_ids"]
        if ctx.request.method == "POST":
            done, errors, values = self._save(ctx, grappe_id)
            if done is not None:
                return done
        today = paris_today()
        figures = self.orders_rpc.grappe_figures(
            today.replace(day=1).isoformat(), today.isoformat()
        ).get(grappe_id)
        pooled = self.orders_rpc.list_purchase_orders(None, None, None, {"limit": 50}, grappe_id)
        context = self._form_context(ctx, values)
        return ctx.render(
            "logistics/grappe.html",
            grappe=grappe,
            figures=figures,
            pooled=pooled,
            statuses=PURCHASE_ORDER_STATUS,
            created=ctx.args.get("nouvelle") == "1",
            changed=ctx.args.get("modifiee") == "1",
            errors=errors,
            values=values,
            status=400 if errors else 200,
            **context,
        )
