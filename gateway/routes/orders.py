"""Routes of the counter (orders service): the village's catalogue, orders and their state
machine, the day's list ("Aujourd'hui"). A concierge acts on their own village
(`scope="path:village_id"`), the coordinator on all; the path's village is passed on as the only
village the service may touch, so an order of another village is "not found"."""

from gateway.queries import CatalogueQuery, DayQuery, OrderListArgs
from gateway.routing import STAFF, route
from gateway.schemas import NoBody
from services.orders.schemas.catalogue import CatalogueItemOutput
from services.orders.schemas.orders import (
    CollectInput,
    CounterTodayOutput,
    OrderInput,
    OrderOutput,
    ReadyInput,
    ReasonInput,
)

_ORDERS = "/api/villages/<village_id>/orders"
_ORDER = _ORDERS + "/<order_id>"


def _here(call) -> list[str]:
    return [call.params["village_id"]]


class OrderRoutes:
    @route(
        "GET",
        "/api/villages/<village_id>/counter/catalogue",
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        response=CatalogueItemOutput,
        many=True,
        summary="Le catalogue du village (?available=1 : disponibles "
        "seulement), avec la prochaine livraison",
        query=CatalogueQuery,
    )
    def village_catalogue(self, call):
        return self.orders_rpc.village_catalogue(call.params["village_id"], call.query["available"])

    @route(
        "POST",
        _ORDERS,
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        body=OrderInput,
        response=OrderOutput,
        status=201,
        errors=(409,),
        summary="Prendre une commande (comptoir, casier, arrêt du camion ou livraison à domicile)",
    )
    def place_order(self, call):
        """Each item from this village's catalogue, delivered that day and ordered before its
        cut-off; quantity ≥ 1; a date not in the past; home delivery needs an address. The same
        `idempotency_key` sent twice (a double click) gives the same order, never two."""
        return self.orders_rpc.place_order(call.params["village_id"], call.sent)

    @route(
        "GET",
        _ORDERS,
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        response=OrderOutput,
        many=True,
        paged=True,
        summary="Les commandes du village (?status=…&date=AAAA-MM-JJ)",
        query=OrderListArgs,
    )
    def list_orders(self, call):
        sent = call.query_sent
        filters = {"status": sent.get("status"), "delivery_date": sent.get("date")}
        return self.orders_rpc.list_orders(call.params["village_id"], filters, call.window)

    @route(
        "GET",
        _ORDER,
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        response=OrderOutput,
        errors=(404,),
        summary="Une commande et ses lignes",
    )
    def get_order(self, call):
        return self.orders_rpc.get_order(call.params["order_id"], _here(call))

    @route(
        "POST",
        _ORDER + "/ready",
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        body=ReadyInput,
        response=OrderOutput,
        errors=(404, 409),
        summary="Commande préparée (casier : dire le compartiment)",
    )
    def order_ready(self, call):
        return self.orders_rpc.order_ready(call.params["order_id"], call.sent, _here(call))

    @route(
        "POST",
        _ORDER + "/collect",
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        body=CollectInput,
        response=OrderOutput,
        errors=(404, 409),
        summary="Commande retirée (comptoir, arrêt du camion, ou casier avec son code)",
    )
    def collect_order(self, call):
        return self.orders_rpc.collect_order(call.params["order_id"], call.sent, _here(call))

    @route(
        "POST",
        _ORDER + "/deliver",
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        body=NoBody,
        response=OrderOutput,
        errors=(404, 409),
        summary="Commande livrée à domicile",
    )
    def deliver_order(self, call):
        return self.orders_rpc.deliver_order(call.params["order_id"], _here(call))

    @route(
        "POST",
        _ORDER + "/cancel",
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        body=ReasonInput,
        response=OrderOutput,
        errors=(404, 409),
        summary="Annuler une commande (motif)",
    )
    def cancel_order(self, call):
        return self.orders_rpc.cancel_order(call.params["order_id"], call.sent, _here(call))

    @route(
        "GET",
        "/api/villages/<village_id>/counter/today",
        tag="comptoir",
        roles=STAFF,
        scope="path:village_id",
        response=CounterTodayOutput,
        summary="Aujourd'hui au comptoir : à préparer, à "
        "remettre, colis en attente (?date=AAAA-MM-JJ)",
        query=DayQuery,
    )
    def counter_today(self, call):
        return self.orders_rpc.counter_today(call.params["village_id"], call.query_sent.get("date"))
