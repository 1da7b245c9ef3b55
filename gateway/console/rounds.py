"""The day's delivery rounds through a village, followed stop by stop by its concierge (orders
service): the stops in order, what is carried to each (the orders of its home deliveries and of the
truck's stop), and each of the village's stops marked done or missed with a note. Other villages'
stops of a shared round show in their place, without their addresses (rounds.py hides them), and
are theirs to mark."""

from __future__ import annotations

from backbone.clock import paris_today
from backbone.errors import Conflict, InvalidInput
from gateway.console.framework import CONCIERGE, form_errors, page, redirect

V = "/console/villages/<village_id>"
OPEN_ORDERS = ("confirmed", "ready", "delivered", "collected")


def _carried(stop: dict, orders: list[dict], village_id: str) -> list[dict]:
    """The orders a stop takes: its home delivery's, or at the village's truck stop every order
    to collect from the truck that day."""
    if stop["kind"] == "home_delivery" and stop["order_id"]:
        return [o for o in orders if o["id"] == stop["order_id"]]
    if stop["kind"] == "truck_stop" and stop["village_id"] == village_id:
        return [o for o in orders if o["fulfilment"] == "truck_stop" and o["status"] in OPEN_ORDERS]
    return []


class RoundPages:
    @page(V + "/tournee", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_round_today(self, ctx):
        village_id = ctx.params["village_id"]
        errors, error_for, note = {}, None, ""
        if ctx.request.method == "POST":
            stop_id = ctx.form.get("stop_id", "")
            note = ctx.form.get("note", "").strip()
            try:
                self.orders_rpc.record_round_stop(
                    ctx.form.get("round_id", ""),
                    stop_id,
                    {"outcome": ctx.form.get("outcome", ""), "note": note or None},
                    [village_id],
                )
                return redirect(f"/console/villages/{village_id}/tournee#arret-{stop_id}")
            except (InvalidInput, Conflict) as exc:
                errors, error_for = form_errors(exc), stop_id
        today = paris_today()
        rounds = self.orders_rpc.list_rounds([village_id], today.isoformat())
        orders = self.orders_rpc.list_orders(village_id, {"delivery_date": today.isoformat()})
        for round_ in rounds:
            for stop in round_["stops"]:
                stop["carried"] = _carried(stop, orders, village_id)
                stop["ours"] = stop["village_id"] == village_id or (
                    stop["village_id"] is None and round_["depot_village_id"] == village_id
                )
        return ctx.render(
            "round.html",
            rounds=rounds,
            today=today,
            errors=errors,
            error_for=error_for,
            note=note,
            status=400 if errors else 200,
        )
