"""Routes of pooled supplier orders (orders service) and of the partner API on orders.

- the coordinator sees every purchase order and may send one before its cut-off;
- a concierge sees the purchase orders their village takes part in, and only its own part;
- a partner (API key) sees only the orders with lines of its own (those lines only), confirms or
  refuses them until the cut-off, and sees the purchase orders addressed to it."""

from gateway.queries import PartnerOrderListQuery, PurchaseOrderListQuery
from gateway.routing import COORDINATOR, PARTNER, STAFF, route
from gateway.schemas import NoBody
from services.orders.schemas.orders import LineAnswerInput, PartnerOrderOutput
from services.orders.schemas.supplier_orders import PurchaseOrderOutput

_LINE = "/api/partner/orders/<order_id>/lines/<line_id>"


class SupplierOrderRoutes:
    @route(
        "GET",
        "/api/purchase-orders",
        tag="commandes fournisseurs",
        roles=COORDINATOR,
        response=PurchaseOrderOutput,
        many=True,
        paged=True,
        summary="Les commandes mutualisées aux fournisseurs partagés (?status=open|sent|empty)",
        query=PurchaseOrderListQuery,
    )
    def list_purchase_orders(self, call):
        return self.orders_rpc.list_purchase_orders(
            None, None, call.query_sent.get("status"), call.window
        )

    @route(
        "GET",
        "/api/purchase-orders/<purchase_order_id>",
        tag="commandes fournisseurs",
        roles=COORDINATOR,
        response=PurchaseOrderOutput,
        errors=(404,),
        summary="Une commande mutualisée, village par village",
    )
    def get_purchase_order(self, call):
        return self.orders_rpc.get_purchase_order(call.params["purchase_order_id"])

    @route(
        "POST",
        "/api/purchase-orders/<purchase_order_id>/send",
        tag="commandes fournisseurs",
        roles=COORDINATOR,
        body=NoBody,
        response=PurchaseOrderOutput,
        errors=(404, 409),
        summary="Envoyer la commande mutualisée avant l'heure limite",
    )
    def send_purchase_order(self, call):
        """Otherwise it is sent by itself at its cut-off. Publishes `purchase_order.sent`."""
        return self.orders_rpc.send_purchase_order(call.params["purchase_order_id"])

    @route(
        "GET",
        "/api/villages/<village_id>/purchase-orders",
        tag="commandes fournisseurs",
        roles=STAFF,
        scope="path:village_id",
        response=PurchaseOrderOutput,
        many=True,
        paged=True,
        summary="Les commandes mutualisées où le village a des lignes (sa part seulement)",
        query=PurchaseOrderListQuery,
    )
    def village_purchase_orders(self, call):
        return self.orders_rpc.list_purchase_orders(
            [call.params["village_id"]], None, call.query_sent.get("status"), call.window
        )

    # --- the partner API (API key) ---------------------------------------------------------------

    @route(
        "GET",
        "/api/partner/orders",
        tag="partenaires",
        roles=PARTNER,
        response=PartnerOrderOutput,
        many=True,
        paged=True,
        summary="Les commandes adressées au partenaire (ses lignes seulement ; ?status=placed…)",
        query=PartnerOrderListQuery,
    )
    def partner_orders(self, call):
        return self.orders_rpc.partner_orders(
            call.principal.id, call.query_sent.get("status"), call.window
        )

    @route(
        "POST",
        _LINE + "/confirm",
        tag="partenaires",
        roles=PARTNER,
        body=LineAnswerInput,
        response=PartnerOrderOutput,
        errors=(404, 409),
        summary="Confirmer une ligne de commande",
    )
    def partner_confirm_line(self, call):
        return self.orders_rpc.answer_order_line(
            call.principal.id, call.params["order_id"], call.params["line_id"], "confirm", call.sent
        )

    @route(
        "POST",
        _LINE + "/refuse",
        tag="partenaires",
        roles=PARTNER,
        body=LineAnswerInput,
        response=PartnerOrderOutput,
        errors=(404, 409),
        summary="Refuser une ligne de commande (motif)",
    )
    def partner_refuse_line(self, call):
        return self.orders_rpc.answer_order_line(
            call.principal.id, call.params["order_id"], call.params["line_id"], "refuse", call.sent
        )

    @route(
        "GET",
        "/api/partner/purchase-orders",
        tag="partenaires",
        roles=PARTNER,
        response=PurchaseOrderOutput,
        many=True,
        paged=True,
        summary="Les commandes mutualisées adressées au partenaire",
        query=PurchaseOrderListQuery,
    )
    def partner_purchase_orders(self, call):
        return self.orders_rpc.list_purchase_orders(
            None, call.principal.id, call.query_sent.get("status"), call.window
        )
