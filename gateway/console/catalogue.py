"""The village's catalogue, chosen by its concierge (partners service): which of the offers the
village may carry it sells, at which local price, available or not; an item leaves the catalogue
after a confirmation. Prices are typed in euros ("3,50") and sent in cents."""

from __future__ import annotations

from backbone.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from gateway.console.form_values import price_cents
from gateway.console.framework import STAFF, filled, form_errors, page, redirect
from gateway.console.public_pages import UNIT_LABELS

V = "/console/villages/<village_id>"


def _euros(amount: int) -> str:
    """Cents as a concierge types them back: "3,50"."""
    return f"{amount // 100},{amount % 100:02d}"


class CataloguePages:
    def _catalogue_url(self, ctx, tail: str = "") -> str:
        return f"/console/villages/{ctx.params['village_id']}/catalogue{tail}"

    def _forget_public_page(self, village_id: str) -> None:
        """The village's public page shows the change at once on this gateway (other replicas
        within MAILLAGE_PUBLIC_CACHE_SECONDS)."""
        try:
            self.public_cache.forget("/village/" + self.members_rpc.get_village(village_id)["slug"])
        except (NotFound, ServiceUnavailable):  # saved all the same; the copy expires by itself
            pass

    @page(V + "/catalogue", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_catalogue(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            errors = {"_": "Choisissez ce que vous voulez faire."}
            try:
                if action == "add":
                    values = {k: ctx.form.get(k, "").strip() for k in ("offer_id", "price")}
                    errors = self._add_item(village_id, values)
                elif action in ("price", "available", "unavailable"):
                    item_id = ctx.form.get("item_id", "")
                    values = {f"price-{item_id}": ctx.form.get("price", "").strip()}
                    errors = self._change_item(village_id, item_id, action, values)
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
            if not errors:
                self._forget_public_page(village_id)
                return redirect(self._catalogue_url(ctx, "?enregistre=1"))
        catalogue = self.partners_rpc.get_catalogue(village_id)["items"]
        carried = {item["offer_id"] for item in catalogue}
        offers = [o for o in self.partners_rpc.village_offers(village_id) if o["id"] not in carried]
        return ctx.render(
            "catalogue.html",
            items=catalogue,
            offers=offers,
            units=UNIT_LABELS,
            euros=_euros,
            errors=errors,
            values=values,
            saved=ctx.args.get("enregistre") == "1",
            status=400 if errors else 200,
        )

    def _add_item(self, village_id: str, values: dict) -> dict:
        data = filled({"offer_id": values["offer_id"]})  # none chosen: "Champ obligatoire."
        if values["price"]:  # left empty: the offer's own price
            try:
                data["price_cents"] = price_cents(values["price"])
            except ValueError as exc:
                return {"price": str(exc), "_": str(exc)}
        try:
            self.partners_rpc.add_catalogue_entry(village_id, data)
        except (InvalidInput, Conflict) as exc:
            errors = form_errors(exc)
            if "price_cents" in errors:
                errors["price"] = errors.pop("price_cents")
            return errors
        return {}

    def _change_item(self, village_id: str, item_id: str, action: str, values: dict) -> dict:
        field = f"price-{item_id}"
        if action == "price":
            try:
                data = {"price_cents": price_cents(values[field])}
            except ValueError as exc:
                return {field: str(exc), "_": str(exc)}
        else:
            data = {"available": action == "available"}
        try:
            self.partners_rpc.update_catalogue_entry(village_id, item_id, data)
        except InvalidInput as exc:
            errors = form_errors(exc)
            if "price_cents" in errors:
                errors[field] = errors.pop("price_cents")
            return errors
        return {}

    @page(V + "/catalogue/<item_id>/retirer", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_catalogue_remove(self, ctx):
        """Removing an item asks first: its orders keep their lines, but it is no longer sold."""
        village_id, item_id = ctx.params["village_id"], ctx.params["item_id"]
        items = self.partners_rpc.get_catalogue(village_id)["items"]
        item = next((i for i in items if i["item_id"] == item_id), None)
        if item is None:
            raise NotFound("catalogue_item", item_id)
        if ctx.request.method == "POST":
            self.partners_rpc.remove_catalogue_entry(village_id, item_id)
            self._forget_public_page(village_id)
            return redirect(self._catalogue_url(ctx, "?retire=1"))
        return ctx.render(
            "confirm.html",
            title="Retirer du catalogue",
            question=f"Retirer « {item['name']} » ({item['partner_name']}) du catalogue ?",
            detail="Il ne sera plus proposé aux habitants ; les commandes déjà passées restent.",
            confirm_label="Confirmer le retrait",
            back=self._catalogue_url(ctx),
        )
