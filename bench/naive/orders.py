"""The naive shop's orders service: insert the order and its lines, commit, then dispatch
`order_created` (nameko-examples' OrdersService.create_order: no outbox)."""

from marshmallow import Schema, fields
from nameko.events import EventDispatcher
from nameko.rpc import rpc

from bench.naive.models import DatabaseSession, Order, OrderDetail


class OrderDetailSchema(Schema):
    id = fields.Int()
    product_id = fields.Str()
    price_cents = fields.Int()
    quantity = fields.Int()


class OrderSchema(Schema):
    id = fields.Int()
    order_details = fields.Nested(OrderDetailSchema, many=True)


class OrdersService:
    name = "orders"
    db = DatabaseSession("NAIVE_ORDERS_DATABASE_URL")
    event_dispatcher = EventDispatcher()

    @rpc
    def create_order(self, order_details):
        order = Order(
            order_details=[
                OrderDetail(
                    product_id=d["product_id"], price_cents=d["price_cents"], quantity=d["quantity"]
                )
                for d in order_details
            ]
        )
        self.db.add(order)
        self.db.commit()
        order = OrderSchema().dump(order)  # built per call, as the example does
        self.event_dispatcher("order_created", {"order": order})
        return order
