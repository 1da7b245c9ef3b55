"""The naive baseline of bench/order_cost.py: the shape of nameko's example shop (nameko-examples:
gateway, products, orders), written here as a yardstick, never as a way the product works.

    gateway   HTTP POST /orders -> RPC products.get_products -> RPC orders.create_order
    orders    INSERT the order and its lines (SQLAlchemy ORM), COMMIT, then dispatch
              `order_created` with nameko's EventDispatcher (no outbox: an event lost if the
              process dies between the commit and the publish)
    products  handles `order_created` (decrements the stock; not idempotent: a redelivery
              decrements twice)

No authentication, no idempotency key, no inbox: what Maillage does beyond it is what the
side-by-side figures price. PostgreSQL (one database per service), its own vhost."""
