"""The naive shop's gateway: POST /orders validates the body (marshmallow), reads the products
over RPC, then creates the order over RPC (nameko-examples' GatewayService.create_order)."""

import json

from marshmallow import Schema, ValidationError, fields, validate
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug import Response


class DetailInput(Schema):
    product_id = fields.Str(required=True)
    quantity = fields.Int(required=True, validate=validate.Range(min=1))


class CreateOrderInput(Schema):
    order_details = fields.Nested(DetailInput, many=True, required=True)


class GatewayService:
    name = "gateway"
    orders_rpc = RpcProxy("orders")
    products_rpc = RpcProxy("products")

    @http("POST", "/orders")
    def create_order(self, request):
        try:
            sent = CreateOrderInput().load(json.loads(request.get_data(as_text=True)))
        except (ValueError, ValidationError) as exc:
            return Response(json.dumps({"error": str(exc)}), status=400)
        wanted = {d["product_id"]: d["quantity"] for d in sent["order_details"]}
        products = {p["id"]: p for p in self.products_rpc.get_products(list(wanted))}
        missing = sorted(set(wanted) - set(products))
        if missing:
            return Response(json.dumps({"error": f"unknown products {missing}"}), status=400)
        order = self.orders_rpc.create_order(
            [
                {"product_id": pid, "price_cents": products[pid]["price_cents"], "quantity": q}
                for pid, q in wanted.items()
            ]
        )
        return Response(json.dumps({"id": order["id"]}), status=201, mimetype="application/json")

    @http("GET", "/health")
    def health(self, request):
        return Response("ok")
