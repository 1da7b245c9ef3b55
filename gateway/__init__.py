"""The HTTP gateway: authentication, roles and village scope, JSON errors, OpenAPI, health."""
