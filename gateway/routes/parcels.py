"""Routes of parcels at the counter (dépôt / retrait), orders service. A concierge acts on their own
village (`scope="path:village_id"`); a parcel of another village is "not found"."""

from gateway.logistics import carriers_of, check_logistics_partner
from gateway.routing import STAFF, route
from gateway.schemas import CarrierOutput, NoBody
from services.orders.schemas.parcels import (
    HandOverInput,
    ParcelInput,
    ParcelListQuery,
    ParcelOutput,
    ParcelReturnInput,
    ReceivedParcelOutput,
)

_PARCELS = "/api/villages/<village_id>/parcels"
_PARCEL = _PARCELS + "/<parcel_id>"


def _here(call) -> list[str]:
    return [call.params["village_id"]]


class ParcelRoutes:
    @route(
        "POST",
        _PARCELS,
        tag="colis",
        roles=STAFF,
        scope="path:village_id",
        body=ParcelInput,
        response=ReceivedParcelOutput,
        status=201,
        summary="Déposer un colis pour un·e habitant·e (le code de retrait est donné une fois)",
    )
    def receive_parcel(self, call):
        """`partner_id`, when given, is a logistics partner of the network (La Poste, a carrier): it
        is told of the parcel's events (feed, webhooks), never of the member nor the code. This
        answer is the only one carrying the pickup code: lists and later readings leave it out."""
        check_logistics_partner(self.partners_rpc, "partner_id", call.sent.get("partner_id"))
        return self.orders_rpc.receive_parcel(call.params["village_id"], call.sent)

    @route(
        "GET",
        "/api/villages/<village_id>/carriers",
        tag="colis",
        roles=STAFF,
        scope="path:village_id",
        response=CarrierOutput,
        many=True,
        summary="Les transporteurs partenaires du village (le "
        "`partner_id` d'un colis qu'ils apportent)",
    )
    def list_carriers(self, call):
        return carriers_of(self.partners_rpc, call.params["village_id"])

    @route(
        "GET",
        _PARCELS,
        tag="colis",
        roles=STAFF,
        scope="path:village_id",
        response=ParcelOutput,
        many=True,
        paged=True,
        summary=(
            "Les colis du village (?status=waiting|handed_over|returned, en attente par défaut)"
        ),
        query=ParcelListQuery,
    )
    def list_parcels(self, call):
        return self.orders_rpc.list_parcels(call.params["village_id"], call.query_sent, call.window)

    @route(
        "GET",
        _PARCEL,
        tag="colis",
        roles=STAFF,
        scope="path:village_id",
        response=ParcelOutput,
        errors=(404,),
        summary="Un colis",
    )
    def get_parcel(self, call):
        return self.orders_rpc.get_parcel(call.params["parcel_id"], _here(call))

    @route(
        "POST",
        _PARCEL + "/handover",
        tag="colis",
        roles=STAFF,
        scope="path:village_id",
        body=HandOverInput,
        response=ParcelOutput,
        errors=(404, 409),
        summary="Remettre un colis (avec son code de retrait)",
    )
    def hand_over_parcel(self, call):
        return self.orders_rpc.hand_over_parcel(call.params["parcel_id"], call.sent, _here(call))

    @route(
        "POST",
        _PARCEL + "/remind",
        tag="colis",
        roles=STAFF,
        scope="path:village_id",
        body=NoBody,
        response=ParcelOutput,
        errors=(404, 409),
        summary="Noter une relance de l'habitant·e",
    )
    def remind_parcel(self, call):
        return self.orders_rpc.remind_parcel(call.params["parcel_id"], _here(call))

    @route(
        "POST",
        _PARCEL + "/return",
        tag="colis",
        roles=STAFF,
        scope="path:village_id",
        body=ParcelReturnInput,
        response=ParcelOutput,
        errors=(404, 409),
        summary="Retourner un colis à l'expéditeur",
    )
    def return_parcel(self, call):
        return self.orders_rpc.return_parcel(call.params["parcel_id"], call.sent, _here(call))
