"""The naive shop's products service: read products by id, and decrement the stock on
`order_created` (nameko-examples' ProductsService, on PostgreSQL)."""

from nameko.events import event_handler
from nameko.rpc import rpc
from sqlalchemy import select, update

from bench.naive.models import DatabaseSession, Product


class ProductsService:
    name = "products"
    db = DatabaseSession("NAIVE_PRODUCTS_DATABASE_URL")

    @rpc
    def get_products(self, ids):
        rows = self.db.scalars(select(Product).where(Product.id.in_(ids))).all()
        return [
            {"id": p.id, "title": p.title, "in_stock": p.in_stock, "price_cents": p.price_cents}
            for p in rows
        ]

    @event_handler("orders", "order_created")
    def handle_order_created(self, payload):
        for detail in payload["order"]["order_details"]:
            self.db.execute(
                update(Product)
                .where(Product.id == detail["product_id"])
                .values(in_stock=Product.in_stock - detail["quantity"])
            )
        self.db.commit()
