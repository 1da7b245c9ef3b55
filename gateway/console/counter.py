"""The counter of one village (orders service): take an order for an inhabitant from the village
catalogue and hand it over; book a help request and choose among the ranked volunteers; today's
round stops. (Parcels: parcels.py; the round followed stop by stop: rounds.py.) Village-scoped
like every concierge page."""

from __future__ import annotations

from datetime import date, datetime

from backbone.clock import PARIS, paris_today
from backbone.contracts.events.members import skill_code
from backbone.errors import Conflict, InvalidInput, NotFound
from gateway.console.form_values import aware, whole_number
from gateway.console.framework import CONCIERGE, STAFF, filled, form_errors, page, redirect
from gateway.console.picker import picker_state
from gateway.skills import known_skills
from services.orders.schemas.help_requests import HELP_STATUS_LABELS
from services.orders.schemas.orders import FULFILMENT_LABELS, STATUS_LABELS

V = "/console/villages/<village_id>"
OPEN_HELP = ("requested", "unmatched", "assigned", "accepted", "done")


def _line_errors(problems: dict, lines: list[dict]) -> dict:
    """An order's line errors (French), beside the quantity of the item they are about."""
    out = {}
    for index, problem in problems.items():
        if str(index).isdigit() and int(index) < len(lines) and isinstance(problem, dict):
            messages = form_errors(InvalidInput(problem, problem))
            out[f"qty-{lines[int(index)]['item_id']}"] = " ".join(
                v for k, v in messages.items() if k != "_"
            )
    return out


class CounterPages:
    def _console_counter(self, village_id: str, today: date) -> dict:
        """What "Aujourd'hui" shows from the orders service."""
        counter = self.orders_rpc.counter_today(village_id, today.isoformat())
        rounds = self.orders_rpc.list_rounds([village_id], today.isoformat())
        stops = [
            dict(stop, round_vehicle=r["vehicle_name"])
            for r in rounds
            for stop in r["stops"]
            if stop.get("village_id") in (None, village_id) and stop.get("kind") != "depot"
        ]
        help_requests = self.orders_rpc.list_help_requests(village_id, None)
        return {
            **counter,
            "round_stops": stops,
            "skill_labels": self._skill_labels(),
            "help_to_assign": [
                h for h in help_requests if h["status"] in ("requested", "unmatched")
            ],
            "help_today": [
                h
                for h in help_requests
                if h["status"] in ("assigned", "accepted")
                and datetime.fromisoformat(h["starts_at"]).astimezone(PARIS).date() == today
            ],
        }

    def _skill_labels(self) -> dict:
        return {s["code"]: s["label"] for s in known_skills(self.members_rpc)}

    # --- orders --------------------------------------------------------------------------------

    @page(V + "/commandes", roles=STAFF, village_scoped=True)
    def page_orders(self, ctx):
        status = ctx.args.get("etat") or None
        orders = self.orders_rpc.list_orders(
            ctx.params["village_id"], {"status": status} if status in STATUS_LABELS else {}
        )
        return ctx.render("orders.html", orders=orders, status=status, status_labels=STATUS_LABELS)

    # choosing the inhabitant an order is for: the concierge's (the coordinator names nobody)
    @page(V + "/commandes/nouvelle", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_new_order(self, ctx):
        village_id = ctx.params["village_id"]
        member_id = (ctx.request.values.get("member_id") or "").strip() or None
        errors, values = {}, {}
        catalogue = self.orders_rpc.village_catalogue(village_id, True)
        if ctx.request.method == "POST" and member_id:
            lines = []
            for item in catalogue:
                raw = (ctx.form.get(f"qty-{item['item_id']}") or "").strip()
                if raw and raw != "0":
                    lines.append({"item_id": item["item_id"], "quantity": whole_number(raw)})
            chosen = {line["item_id"] for line in lines}
            wanted = (ctx.form.get("delivery_date") or "").strip()
            if not wanted:  # left empty: the first day every chosen item can come
                dates = [
                    i["next_delivery_date"]
                    for i in catalogue
                    if i["item_id"] in chosen and i["next_delivery_date"]
                ]
                wanted = max(dates) if dates else paris_today().isoformat()
            values = {
                k: ctx.form.get(k, "")
                for k in ("fulfilment", "delivery_address", "truck_stop", "note")
            }
            data = filled(
                {
                    "idempotency_key": ctx.form_key(),
                    "member_id": member_id,
                    "delivery_date": wanted,
                    "fulfilment": values["fulfilment"],
                    "delivery_address": values["delivery_address"].strip(),
                    "truck_stop": values["truck_stop"].strip(),
                    "note": values["note"].strip(),
                }
            )
            data["lines"] = lines
            values.update(
                delivery_date=ctx.form.get("delivery_date", ""),
                lines={line["item_id"]: line["quantity"] for line in lines},
            )
            try:
                order = self.orders_rpc.place_order(village_id, data)
                return redirect(
                    f"/console/villages/{village_id}/commandes/{order['id']}?nouvelle=1"
                )
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
                if isinstance(exc, InvalidInput) and isinstance(exc.errors.get("lines"), dict):
                    errors.update(_line_errors(exc.errors_fr["lines"], lines))
        member = None
        if member_id:
            try:
                member = self.members_rpc.get_member(village_id, member_id)
            except NotFound:
                member_id = None
        query = (ctx.args.get("q") or "").strip()
        found = (
            self.members_rpc.search_members(village_id, {"q": query, "limit": 20})
            if query and not member
            else []
        )
        stops = self.members_rpc.list_stops(village_id) if member else []
        return ctx.render(
            "order_new.html",
            member=member,
            query=query,
            found=found,
            catalogue=catalogue,
            stops=stops,
            fulfilments=FULFILMENT_LABELS,
            errors=errors,
            values=values,
            idempotency_key=ctx.form_key(),
            status=400 if errors else 200,
        )

    @page(V + "/commandes/<order_id>", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_order(self, ctx):
        order_id = ctx.params["order_id"]
        errors = {}
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            try:
                if action == "ready":
                    self.orders_rpc.order_ready(
                        order_id, {"compartment": ctx.form.get("compartment") or None}, ctx.here
                    )
                elif action == "hand_over":
                    self.orders_rpc.collect_order(
                        order_id, {"code": ctx.form.get("code") or None}, ctx.here
                    )
                elif action == "deliver":
                    self.orders_rpc.deliver_order(order_id, ctx.here)
                elif action == "cancel":
                    self.orders_rpc.cancel_order(
                        order_id, {"reason": ctx.form.get("reason", "").strip()}, ctx.here
                    )
                return redirect(
                    f"/console/villages/{ctx.params['village_id']}/commandes/{order_id}"
                )
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        order = self.orders_rpc.get_order(order_id, ctx.here)
        return ctx.render(
            "order.html",
            order=order,
            errors=errors,
            created=ctx.args.get("nouvelle") == "1",
            status=400 if errors else 200,
        )

    # --- help requests -------------------------------------------------------------------------

    @page(
        V + "/coups-de-main",
        methods="GET,POST",
        roles=STAFF,
        write_roles=CONCIERGE,  # booking one names who asks
        village_scoped=True,
    )
    def page_help_requests(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values = {}, {}
        requester = picker_state(self.members_rpc, ctx, "requester_member_id")
        if ctx.request.method == "POST":
            values = {
                k: ctx.form.get(k, "").strip()
                for k in (
                    "skill",
                    "other_need",
                    "place",
                    "description",
                    "day",
                    "start",
                    "end",
                )
            }
            data = filled(
                {
                    "idempotency_key": ctx.form_key(),
                    "requester_member_id": requester.chosen_id,
                    # a need outside the list is asked for as typed: the skills map shows it
                    "skill": values["skill"] or skill_code(values["other_need"]),
                    "place": values["place"],
                    "description": values["description"],
                    "starts_at": aware(values["day"], values["start"]) or values["start"],
                    "ends_at": aware(values["day"], values["end"]) or values["end"],
                }
            )
            if not requester.searched:  # else a person to choose first: nothing recorded yet
                try:
                    request = self.orders_rpc.create_help_request(village_id, data)
                    return redirect(f"/console/villages/{village_id}/coups-de-main/{request['id']}")
                except (InvalidInput, Conflict) as exc:
                    errors = form_errors(exc)
                    moved = [("starts_at", "start"), ("ends_at", "end")]
                    if not values["skill"] and values["other_need"]:
                        moved.append(("skill", "other_need"))
                    for source, target in moved:
                        if source in errors:
                            errors[target] = errors.pop(source)
        requests_ = self.orders_rpc.list_help_requests(village_id, None)
        skills = known_skills(self.members_rpc)
        return ctx.render(
            "help_requests.html",
            open_requests=[r for r in requests_ if r["status"] in OPEN_HELP],
            closed_requests=[r for r in requests_ if r["status"] not in OPEN_HELP][:20],
            requester=requester,
            skills=skills,
            errors=errors,
            values=values,
            today=paris_today(),
            skill_labels={s["code"]: s["label"] for s in skills},
            idempotency_key=ctx.form_key(),
            status=400 if errors else 200,
        )

    @page(
        V + "/coups-de-main/<help_request_id>",
        methods="GET,POST",
        roles=STAFF,
        write_roles=CONCIERGE,  # choosing among named volunteers, and their answers
        village_scoped=True,
    )
    def page_help_request(self, ctx):
        request_id = ctx.params["help_request_id"]
        errors = {}
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            try:
                if action == "assign":
                    self.orders_rpc.assign_help_request(
                        request_id, {"volunteer_id": ctx.form.get("volunteer_id", "")}, ctx.here
                    )
                elif action == "accept":
                    self.orders_rpc.accept_help_request(request_id, ctx.here)
                elif action == "done":
                    raw = ctx.form.get("minutes", "").strip()
                    self.orders_rpc.help_request_done(
                        request_id, {"minutes": whole_number(raw)}, ctx.here
                    )
                elif action == "confirm":
                    self.orders_rpc.confirm_help_request(request_id, ctx.here)
                elif action == "cancel":
                    self.orders_rpc.cancel_help_request(
                        request_id, {"reason": ctx.form.get("reason") or None}, ctx.here
                    )
                return redirect(
                    f"/console/villages/{ctx.params['village_id']}/coups-de-main/{request_id}"
                )
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        help_request = self.orders_rpc.get_help_request(request_id, ctx.here)
        return ctx.render(
            "help_request.html",
            help=help_request,
            errors=errors,
            labels=HELP_STATUS_LABELS,
            skill_labels=self._skill_labels(),
            status=400 if errors else 200,
        )
