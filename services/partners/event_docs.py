"""What a partner's developer reads about the events they can receive, generated from the contracts
(backbone/contracts/events/) and what each partner is sent of them (audience.py):

- one JSON Schema (draft 2020-12) per event type and version, of the body as it arrives (the
  partner's envelope, its payload less the fields that never leave);
- an AsyncAPI 3.0 document: one channel per event type on the exchange `maillage.partners`, routing
  key `<partner_id>.<event type>` (feed.py), whose message is that same body; webhooks POST it too.

`maillage events-catalogue` writes them under docs/ beside docs/events.md (a test keeps the
committed files what this module makes).
"""

from __future__ import annotations

import json

import yaml

from backbone import config
from backbone.contracts import registry
from backbone.contracts.envelope import EnvelopeSchema
from backbone.contracts.json_schema import DRAFT, object_schema
from services.partners import audience, feed

ASYNCAPI_VERSION = "3.0.0"
SCHEMA_BASE = "https://maillage.example/docs/events/"  # a name, not an address to fetch
# what the partner's envelope keeps of the services' one (audience.project)
ENVELOPE_LEFT_OUT = ("correlation_id", "source", "payload")


def schema_file(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.schema.json"


def event_schema(contract) -> dict:
    """The JSON Schema of the body a partner receives for `contract`'s (type, version)."""
    rule = audience.RULES[contract.type]
    envelope = object_schema(EnvelopeSchema(), leave_out=ENVELOPE_LEFT_OUT)
    properties = envelope["properties"]
    properties["type"] = {**properties["type"], "const": contract.type}
    properties["version"] = {**properties["version"], "const": contract.version}
    if contract.village_scoped:  # the village is always named
        properties["village_id"] = {**properties["village_id"], "type": "string"}
    properties["partner_id"] = {
        "description": "Your partner id (the one of your API key).",
        "type": "string",
    }
    payload = object_schema(contract.schema(), leave_out=rule.drop)
    properties["payload"] = {
        "description": "The event's fields, less those that never leave the network.",
        **payload,
    }
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_BASE + schema_file(contract.type, contract.version),
        "title": f"{contract.type} v{contract.version}",
        "description": contract.description,
        **envelope,
        "required": [*envelope["required"], "partner_id", "payload"],
    }


def partner_contracts() -> list:
    """The contracts of the event types partners may receive, in order."""
    return [c for c in registry.all() if c.type in audience.RULES]


def event_schemas() -> dict[str, dict]:
    """File name -> JSON Schema, for every event type and version a partner may receive."""
    return {schema_file(c.type, c.version): event_schema(c) for c in partner_contracts()}


def _message_name(contract) -> str:
    return f"{contract.type}.v{contract.version}"


def asyncapi() -> dict:
    """The AsyncAPI 3.0 document of the partners' feed."""
    channels, operations, messages = {}, {}, {}
    by_type: dict[str, list] = {}
    for contract in partner_contracts():
        by_type.setdefault(contract.type, []).append(contract)
    for event_type, contracts in by_type.items():
        for contract in contracts:
            schema = event_schema(contract)
            messages[_message_name(contract)] = {
                "name": event_type,
                "title": f"{event_type} v{contract.version}",
                "summary": contract.description,
                "contentType": "application/json",
                "payload": {
                    key: value for key, value in schema.items() if key not in ("$schema", "$id")
                },
            }
        refs = {
            _message_name(c): {"$ref": f"#/components/messages/{_message_name(c)}"}
            for c in contracts
        }
        channels[event_type] = {
            "address": feed.routing_key("{partner_id}", event_type),
            "title": event_type,
            "description": contracts[-1].description,
            "parameters": {"partner_id": {"$ref": "#/components/parameters/partner_id"}},
            "messages": refs,
            "bindings": {"$ref": "#/components/channelBindings/partners_exchange"},
        }
        operations[f"receive.{event_type}"] = {
            "action": "receive",
            "title": f"Recevoir {event_type}",
            "channel": {"$ref": f"#/channels/{event_type}"},
            # persistent messages, acknowledged by the partner once handled
            "bindings": {"amqp": {"deliveryMode": 2, "ack": True, "bindingVersion": "0.3.0"}},
            "messages": [{"$ref": f"#/channels/{event_type}/messages/{name}"} for name in refs],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Maillage : les événements reçus par les partenaires",
            "version": "0.1.0",
            "description": (
                "Generated by `maillage events-catalogue` from the contract registry; do not edit "
                "by hand. A partner receives the events that concern it (services/partners/"
                "audience.py), on its AMQP feed (the topic exchange `maillage.partners` on the "
                "partners' vhost, routing key `<partner_id>.<event type>`, persistent JSON "
                "messages whose `message_id` is the `event_id`) or POSTed to its webhooks, "
                "signed as Standard Webhooks says. The same body either way; one JSON Schema "
                "per event in docs/events/. Delivery is at least once: deduplicate on "
                "`event_id`."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "broker": {
                "host": "broker.example:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "pathname": "/partners",
                "description": (
                    "The network's RabbitMQ, as the partner's own user `partner-<partner_id>` "
                    "(POST /api/partner/feed gives its password once). Queues named "
                    "`partner-<partner_id>.<anything>`; `partner-<partner_id>.feed` already "
                    "receives everything."
                ),
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "parameters": {
                "partner_id": {
                    "description": "Your partner id: the broker refuses any other prefix.",
                }
            },
            "channelBindings": {
                "partners_exchange": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {
                            "name": config.PARTNERS_EXCHANGE,
                            "type": "topic",
                            "durable": True,
                            "autoDelete": False,
                            "vhost": "/partners",  # MAILLAGE_PARTNERS_VHOST in compose
                        },
                        "bindingVersion": "0.3.0",
                    }
                }
            },
        },
    }


def asyncapi_yaml() -> str:
    return yaml.safe_dump(asyncapi(), sort_keys=False, allow_unicode=True, width=100)


def schema_json(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
