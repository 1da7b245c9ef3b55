"""The gateway's routes, one module per area; gateway/service.py composes them into one nameko
service. Each route declares who may call it (`@route(..., roles=, scope=)`)."""
