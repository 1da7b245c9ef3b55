"""Routes about vehicles and pooled delivery rounds (tournées mutualisées, orders service).

- Vehicles: the coordinator registers them (driver: a volunteer with a licence, or a logistics
  partner); staff list them.
- Rounds: planned from a village (`scope="path:village_id"`): a concierge plans for their own
  village only, the coordinator for a cluster of villages (`village_ids`). A concierge sees the
  rounds passing through their village (other villages' addresses hidden) and completes its stops.
- A logistics partner (API key) sees the rounds it drives, and completes their stops.
"""

from gateway.logistics import check_logistics_partner
from gateway.queries import DayQuery
from gateway.routing import COORDINATOR, PARTNER, STAFF, route
from services.orders.schemas.rounds import (
    RoundInput,
    RoundOutput,
    StopCompleteInput,
    VehicleInput,
    VehicleOutput,
)

_ROUNDS = "/api/villages/<village_id>/rounds"
_ROUND = _ROUNDS + "/<round_id>"


def _here(call) -> list[str]:
    return [call.params["village_id"]]


class RoundRoutes:
    @route(
        "GET",
        "/api/vehicles",
        tag="tournées",
        roles=STAFF,
        response=VehicleOutput,
        many=True,
        summary="Les véhicules du réseau (capacité, chauffeur)",
    )
    def list_vehicles(self, call):
        return self.orders_rpc.list_vehicles()

    @route(
        "POST",
        "/api/vehicles",
        tag="tournées",
        roles=COORDINATOR,
        body=VehicleInput,
        response=VehicleOutput,
        status=201,
        errors=(409,),
        summary="Enregistrer un véhicule (capacité en caisses/colis, chauffeur)",
    )
    def create_vehicle(self, call):
        """Capacity ≥ 1; exactly one driver: a volunteer holding a licence (`driver_member_id`) or a
        logistics partner (`driver_partner_id`, known to partners with the
        logistics relationship)."""
        check_logistics_partner(
            self.partners_rpc, "driver_partner_id", call.sent.get("driver_partner_id")
        )
        return self.orders_rpc.create_vehicle(call.sent)

    @route(
        "POST",
        _ROUNDS,
        tag="tournées",
        roles=STAFF,
        scope="path:village_id",
        body=RoundInput,
        response=RoundOutput,
        status=201,
        errors=(404, 409),
        summary="Planifier la tournée d'un véhicule pour un jour "
        "(livraisons, arrêts du camion, enlèvements)",
    )
    def plan_round(self, call):
        """The day's home deliveries of the villages served, a stop per itinerant village and the
        pooled supplier orders to pick up, ordered along the way. Refused: a past date (400), a
        vehicle already out that day, nothing to carry, more than the vehicle's capacity (409, with
        the overflow). Publishes `round.planned` (to the driver)."""
        return self.orders_rpc.plan_round(call.params["village_id"], call.sent, call.village_ids)

    @route(
        "GET",
        _ROUNDS,
        tag="tournées",
        roles=STAFF,
        scope="path:village_id",
        response=RoundOutput,
        many=True,
        errors=(400,),
        paged=True,
        summary="Les tournées qui passent par le village (?date=2026-12-03)",
        query=DayQuery,
    )
    def list_village_rounds(self, call):
        return self.orders_rpc.list_rounds(
            _here(call), call.query_sent.get("date"), None, call.window
        )

    @route(
        "GET",
        "/api/rounds",
        tag="tournées",
        roles=COORDINATOR,
        response=RoundOutput,
        many=True,
        errors=(400,),
        paged=True,
        summary="Toutes les tournées du réseau (?date=2026-12-03)",
        query=DayQuery,
    )
    def list_all_rounds(self, call):
        return self.orders_rpc.list_rounds(None, call.query_sent.get("date"), None, call.window)

    @route(
        "GET",
        _ROUND,
        tag="tournées",
        roles=STAFF,
        scope="path:village_id",
        response=RoundOutput,
        errors=(404,),
        summary="Une tournée et ses arrêts dans l'ordre",
    )
    def get_round(self, call):
        return self.orders_rpc.get_round(call.params["round_id"], _here(call))

    @route(
        "POST",
        _ROUND + "/stops/<stop_id>/complete",
        tag="tournées",
        roles=STAFF,
        scope="path:village_id",
        body=StopCompleteInput,
        response=RoundOutput,
        errors=(404, 409),
        summary="Marquer un arrêt comme fait (une livraison à domicile : la commande est livrée)",
    )
    def complete_round_stop(self, call):
        """A concierge: the stops of their village (and the pick-ups of a round leaving from it);
        the coordinator: any. Once (again is a 409); the last stop completes the round."""
        return self.orders_rpc.complete_round_stop(
            call.params["round_id"], call.params["stop_id"], call.village_ids
        )

    @route(
        "GET",
        "/api/partner/rounds",
        tag="partenaires",
        roles=PARTNER,
        response=RoundOutput,
        many=True,
        errors=(400,),
        paged=True,
        summary="Les tournées que le partenaire logistique conduit (?date=2026-12-03)",
        query=DayQuery,
    )
    def partner_rounds(self, call):
        return self.orders_rpc.list_rounds(
            None, call.query_sent.get("date"), call.principal.id, call.window
        )

    @route(
        "POST",
        "/api/partner/rounds/<round_id>/stops/<stop_id>/complete",
        tag="partenaires",
        roles=PARTNER,
        body=StopCompleteInput,
        response=RoundOutput,
        errors=(404, 409),
        summary="Le partenaire logistique marque un arrêt de sa tournée comme fait",
    )
    def partner_complete_round_stop(self, call):
        return self.orders_rpc.complete_round_stop(
            call.params["round_id"], call.params["stop_id"], None, call.principal.id
        )
