"""The coordinator's logistics: the network's vehicles (add, change kind and capacity, retire),
pooled delivery rounds (plan one for a day, a vehicle and the villages it serves; its stops in
order with what each carries) and pooled supplier orders (one per shared supplier and delivery day,
sent before their cut-off). Nothing here names an inhabitant: a round's home deliveries show their
village and load, never who lives where."""

from __future__ import annotations

from backbone.errors import Conflict, InvalidInput
from backbone.messages import french, msg
from backbone.schemas import load
from gateway import i18n
from gateway.console import village_choice
from gateway.console.driver_pages import driver_link
from gateway.console.form_values import clock, whole_number
from gateway.console.framework import (
    COORDINATOR,
    _flatten,
    filled,
    form_errors,
    page,
    redirect,
)
from gateway.console.public_pages import UNIT_LABELS
from gateway.logistics import carriers_of, check_logistics_partner
from services.orders.schemas.rounds import VEHICLE_KINDS, RoundInput

C = "/console/coordination"
ROUNDS_SHOWN = 100  # the newest rounds of the network, on the page
PURCHASE_ORDER_STATUS = {
    "open": "En cours de regroupement",
    "sent": "Envoyée au fournisseur",
    "empty": "Close sans rien à envoyer",
}
TRUCK_ROWS = 3  # truck stops the form offers (one per itinerant village served)
# a volunteer's or a partner's id, in the one driver field of the vehicle form
DRIVER_KINDS = {"member": "driver_member_id", "partner": "driver_partner_id"}


def _driver(raw: str) -> dict:
    kind, _, driver_id = raw.partition(":")
    field = DRIVER_KINDS.get(kind)
    return {field: driver_id} if field and driver_id else {}


def _errors(exc, renamed: dict[str, str] | None = None) -> dict[str, str]:
    """form_errors, with the service's field names turned into the form's."""
    errors = form_errors(exc)
    for field, name in (renamed or {}).items():
        if field in errors:
            errors[name] = " ".join(filter(None, (errors.get(name), errors.pop(field))))
    return errors


def _truck_rows(form) -> tuple[list[dict], list[int], list[dict]]:
    """The truck stops typed: what the form shows again (every row), the rows sent (those with a
    place) and their `truck_stops` for the service. A place's option is "village:place"."""
    shown, sent, data = [], [], []
    for row in range(TRUCK_ROWS):
        values = {
            "place": form.get(f"truck-place-{row}", "").strip(),
            "time": form.get(f"truck-time-{row}", "").strip(),
            "duration": form.get(f"truck-duration-{row}", "").strip(),
        }
        shown.append(values)
        if not values["place"]:
            continue
        village_id, _, place_id = values["place"].partition(":")
        sent.append(row)
        data.append(
            filled(
                {
                    "village_id": village_id,
                    "place_id": place_id,
                    "arrives_at": clock(values["time"]),
                    "duration_minutes": whole_number(values["duration"]),
                }
            )
        )
    return shown, sent, data


TRUCK_FIELDS = {
    "village_id": "place",
    "place_id": "place",
    "arrives_at": "time",
    "duration_minutes": "duration",
}


def _truck_errors(exc, errors: dict, sent: list[int]) -> dict:
    """`errors` with those of `truck_stops` beside the inputs of their rows (`truck-<input>-<row>`);
    one about the truck stops as a whole (a village left without its stop) under `truck_stops`."""
    problem = exc.errors_fr.get("truck_stops") if isinstance(exc, InvalidInput) else None
    if not isinstance(problem, dict):
        return errors
    errors.pop("truck_stops", None)
    for index, fields in problem.items():
        if not str(index).isdigit() or int(index) >= len(sent) or not isinstance(fields, dict):
            errors["truck_stops"] = _flatten(fields)
            continue
        for field, messages in fields.items():
            name = f"truck-{TRUCK_FIELDS.get(field, 'place')}-{sent[int(index)]}"
            errors[name] = " ".join(filter(None, (errors.get(name), _flatten(messages))))
    return errors


class LogisticsPages:
    def _truck_places(self) -> list[dict]:
        """The itinerant villages and their truck's stops (« Horaires et lieux »), by name: the
        places a round's truck stop may be at."""
        out = []
        for village in self.members_rpc.list_villages(None):
            if village["kind"] != "itinerant":
                continue
            stops = self.members_rpc.list_stops(village["id"])
            if stops:
                out.append({"id": village["id"], "name": village["name"], "stops": stops})
        return sorted(out, key=lambda v: v["name"])

    def _village_names(self) -> dict[str, str]:
        return {v["id"]: v["name"] for v in self.members_rpc.village_names(None)}

    # --- vehicles --------------------------------------------------------------------------

    def _drivers(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Who may drive: volunteers with a licence who chose to be seen by the whole network (the
        coordinator sees no one else), and the logistics partners."""
        volunteers = [
            (f"member:{v['member_id']}", f"{v['first_name']} {v['last_name']}")
            for v in self.members_rpc.list_volunteers(None, {})
            if v.get("has_licence") and v.get("active", True)
        ]
        partners = [(f"partner:{p['id']}", p["name"]) for p in carriers_of(self.partners_rpc, None)]
        return [
            ("Bénévoles ayant le permis (visibles du réseau)", volunteers),
            ("Partenaires logistiques", partners),
        ]

    @page(C + "/vehicules", methods="GET,POST", roles=COORDINATOR)
    def page_vehicles(self, ctx):
        errors, values = {}, {"kind": "van"}
        if ctx.request.method == "POST":
            values = {
                k: ctx.form.get(k, "").strip()
                for k in ("name", "kind", "capacity", "depot_village_id", "driver")
            }
            data = filled({k: values[k] for k in ("name", "kind", "depot_village_id")})
            data.update(filled({"capacity": whole_number(values["capacity"])}))
            data.update(_driver(values["driver"]))
            try:
                check_logistics_partner(
                    self.partners_rpc, "driver_partner_id", data.get("driver_partner_id")
                )
                vehicle = self.orders_rpc.create_vehicle(data)
                return redirect(f"{C}/vehicules/{vehicle['id']}?nouveau=1")
            except (InvalidInput, Conflict) as exc:
                renamed = {"driver_member_id": "driver", "driver_partner_id": "driver"}
                errors = _errors(exc, renamed)
                if not values["driver"]:  # the schema says so only once the other fields are right
                    errors.setdefault("driver", french(msg("one_driver")))
        names = self._village_names()
        vehicles = self.orders_rpc.list_vehicles()
        return ctx.render(
            "logistics/vehicles.html",
            active=[v for v in vehicles if v["active"]],
            retired=[v for v in vehicles if not v["active"]],
            names=names,
            drivers=self._drivers(),
            kinds=VEHICLE_KINDS,
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )

    @page(C + "/vehicules/<vehicle_id>", methods="GET,POST", roles=COORDINATOR)
    def page_vehicle(self, ctx):
        vehicle_id = ctx.params["vehicle_id"]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = {k: ctx.form.get(k, "").strip() for k in ("capacity", "kind")}
            data = filled({"capacity": whole_number(values["capacity"]), "kind": values["kind"]})
            try:
                self.orders_rpc.change_vehicle(vehicle_id, data)
                return redirect(f"{C}/vehicules/{vehicle_id}?modifie=1")
            except (InvalidInput, Conflict) as exc:
                errors = _errors(exc)
        vehicle = self.orders_rpc.get_vehicle(vehicle_id)
        if not values:
            values = {"capacity": str(vehicle["capacity"]), "kind": vehicle["kind"]}
        return ctx.render(
            "logistics/vehicle.html",
            vehicle=vehicle,
            names=self._village_names(),
            kinds=VEHICLE_KINDS,
            errors=errors,
            values=values,
            created=ctx.args.get("nouveau") == "1",
            changed=ctx.args.get("modifie") == "1",
            retired_now=ctx.args.get("retire") == "1",
            status=400 if errors else 200,
        )

    @page(C + "/vehicules/<vehicle_id>/retrait", methods="GET,POST", roles=COORDINATOR)
    def page_vehicle_retire(self, ctx):
        """A retired vehicle is offered for no round again: asked once more before it is done."""
        vehicle_id = ctx.params["vehicle_id"]
        errors = {}
        if ctx.request.method == "POST":
            try:
                self.orders_rpc.retire_vehicle(vehicle_id)
                return redirect(f"{C}/vehicules/{vehicle_id}?retire=1")
            except Conflict as exc:
                errors = form_errors(exc)
        vehicle = self.orders_rpc.get_vehicle(vehicle_id)
        return ctx.render(
            "logistics/vehicle_retire.html",
            vehicle=vehicle,
            errors=errors,
            status=409 if errors else 200,
        )

    # --- rounds ----------------------------------------------------------------------------

    @page(C + "/tournees", methods="GET,POST", roles=COORDINATOR)
    def page_rounds(self, ctx):
        errors, values = {}, {"village_ids": [], "supplier_pickups": True}
        trucks, sent, truck_data = [dict(place="", time="", duration="")] * TRUCK_ROWS, [], []
        names = self._village_names()
        grappes = {g["id"]: g for g in self.members_rpc.list_grappes()}
        # a national network's villages are searched for, not all listed (village_choice.py):
        # "Chercher" sends the form back with what was typed and ticked, planning nothing
        searching = ctx.request.method == "POST" and ctx.form.get("chercher") == "1"
        if ctx.request.method == "POST":
            values = {
                "date": ctx.form.get("date", "").strip(),
                "vehicle_id": ctx.form.get("vehicle_id", "").strip(),
                "village_ids": [v for v in ctx.form.getlist("village_ids") if v],
                "supplier_pickups": ctx.form.get("supplier_pickups") == "1",
                "grappe_id": ctx.form.get("grappe_id", "").strip(),
            }
            trucks, sent, truck_data = _truck_rows(ctx.form)
            grappe = grappes.get(values["grappe_id"])
            if grappe:  # a grappe's villages, with those ticked beside
                values["village_ids"] += [
                    v for v in grappe["village_ids"] if v not in values["village_ids"]
                ]
        if ctx.request.method == "POST" and not searching:
            data = filled({k: v for k, v in values.items() if k != "grappe_id"})
            data["supplier_pickups"] = values["supplier_pickups"]
            data["truck_stops"] = truck_data
            try:  # every field's error at once, the villages' included, before anything is asked
                load(RoundInput(), data)
            except InvalidInput as exc:
                errors = _truck_errors(exc, form_errors(exc), sent)
            if not values["village_ids"]:
                errors["village_ids"] = french(msg("round_villages_missing"))
                errors.setdefault("_", i18n.message("invalid_input")[0])
            if not errors:
                try:
                    planned = self.orders_rpc.plan_round(values["village_ids"][0], data, None)
                    return redirect(f"{C}/tournees/{planned['id']}?nouvelle=1")
                except (InvalidInput, Conflict) as exc:
                    errors = _truck_errors(exc, form_errors(exc), sent)
        rounds = self.orders_rpc.list_rounds(None, None, None, {"limit": ROUNDS_SHOWN})
        every = [{"id": i, "name": n} for i, n in sorted(names.items(), key=lambda kv: kv[1])]
        query = ctx.form.get("vq", "") if ctx.request.method == "POST" else ""
        return ctx.render(
            "logistics/rounds.html",
            rounds=rounds,
            names=names,
            choice=village_choice.choose(every, values["village_ids"], query),
            vehicles=[v for v in self.orders_rpc.list_vehicles() if v["active"]],
            grappes=list(grappes.values()),
            trucks=trucks,
            truck_places=self._truck_places(),
            errors=errors,
            values=values,
            shown=ROUNDS_SHOWN,
            status=400 if errors else 200,
        )

    @page(C + "/tournees/<round_id>", roles=COORDINATOR)
    def page_round(self, ctx):
        round_ = self.orders_rpc.get_round(ctx.params["round_id"], None)
        return ctx.render(
            "logistics/round.html",
            round=round_,
            driver_link=driver_link(round_["id"]),
            names=self._village_names(),
            planned_now=ctx.args.get("nouvelle") == "1",
        )

    # --- pooled supplier orders ------------------------------------------------------------

    @page(C + "/commandes-groupees", roles=COORDINATOR)
    def page_purchase_orders(self, ctx):
        status = ctx.args.get("etat") or "open"
        if status not in PURCHASE_ORDER_STATUS:
            status = "open"
        return ctx.render(
            "logistics/purchase_orders.html",
            purchase_orders=self.orders_rpc.list_purchase_orders(None, None, status),
            names=self._village_names(),
            statuses=PURCHASE_ORDER_STATUS,
            status_shown=status,
        )

    @page(C + "/commandes-groupees/<purchase_order_id>", methods="GET,POST", roles=COORDINATOR)
    def page_purchase_order(self, ctx):
        """Sending cannot be taken back (the supplier is told, the villages' orders are settled):
        the page asks, then a form with "Confirmer l'envoi" sends."""
        purchase_order_id = ctx.params["purchase_order_id"]
        errors = {}
        if ctx.request.method == "POST":
            try:
                self.orders_rpc.send_purchase_order(purchase_order_id)
                return redirect(f"{C}/commandes-groupees/{purchase_order_id}?envoyee=1")
            except Conflict as exc:
                errors = form_errors(exc)
        return ctx.render(
            "logistics/purchase_order.html",
            order=self.orders_rpc.get_purchase_order(purchase_order_id),
            names=self._village_names(),
            statuses=PURCHASE_ORDER_STATUS,
            units=UNIT_LABELS,
            confirming=ctx.args.get("envoyer") == "1",
            sent_now=ctx.args.get("envoyee") == "1",
            errors=errors,
            status=409 if errors else 200,
        )
