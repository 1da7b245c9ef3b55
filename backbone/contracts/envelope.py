"""The envelope every event travels in (DESIGN.md, "The backbone")."""

from __future__ import annotations

import uuid
from datetime import datetime

from marshmallow import EXCLUDE, ValidationError, fields, validate

from backbone.clock import utcnow
from backbone.contracts.registry import registry
from backbone.messages import msg
from backbone.schemas import Schema

EVENT_TYPE = validate.Regexp(r"^[a-z_]+(\.[a-z_]+)+$", error=msg("event_type_format"))


class ContractError(Exception):
    """An event does not match its contract. `errors` maps each field to its messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors

    def __str__(self):
        return f"event does not match its contract: {self.errors}"


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # readers tolerate envelope fields added later

    event_id = fields.UUID(
        required=True,
        metadata={"description": "Unique id of this event; consumers deduplicate on it."},
    )
    type = fields.String(
        required=True,
        validate=EVENT_TYPE,
        metadata={"description": "Event type, also the routing key, e.g. `village.opened`."},
    )
    version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Version of the payload schema."},
    )
    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "When it happened (UTC, ISO 8601)."}
    )
    village_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Village concerned, or null when network-wide."},
    )
    correlation_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Ties together everything caused by one request."},
    )
    source = fields.String(
        required=True, metadata={"description": "Service that published the event."}
    )
    payload = fields.Dict(
        required=True,
        metadata={"description": "The event's fields, per its (type, version) schema."},
    )


_envelope_schema = EnvelopeSchema()


def _payload_schema(type: str, version: int):
    contract = registry.get(type, version)
    if contract is None:
        raise ContractError({"type": [f"No contract for {type} version {version}."]})
    return contract


def build_envelope(
    type: str,
    payload: dict,
    *,
    village_id: str | None,
    source: str,
    version: int | None = None,
    correlation_id: str | None = None,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict:
    """Validate `payload` against its contract and wrap it; returns the JSON-ready envelope."""
    version = version or registry.latest_version(type)
    if version is None:
        raise ContractError({"type": [f"Unknown event type {type!r}."]})
    contract = _payload_schema(type, version)
    if contract.village_scoped and not village_id:
        raise ContractError({"village_id": [f"{type} is village-scoped: village_id is required."]})
    schema = contract.writer
    errors = {name: ["Unknown field."] for name in payload if name not in schema.fields}
    written = schema.dump(payload)
    errors.update(
        schema.validate(written)
    )  # the written payload must read back (what consumers load)
    if errors:
        raise ContractError({"payload": errors})
    occurred_at = occurred_at or utcnow()
    if occurred_at.tzinfo is None:
        raise ContractError({"occurred_at": ["Not a valid aware datetime."]})
    try:
        event_id = str(event_id) if event_id and uuid.UUID(str(event_id)) else str(uuid.uuid4())
    except ValueError:
        raise ContractError({"event_id": ["Not a valid UUID."]}) from None
    return {
        "event_id": event_id,
        "type": type,
        "version": version,
        "occurred_at": occurred_at.isoformat(),
        "village_id": village_id,
        "correlation_id": correlation_id,
        "source": source,
        "payload": written,
    }


def parse_envelope(raw) -> dict:
    """Validate an incoming envelope and its payload; returns it with the payload loaded."""
    if not isinstance(raw, dict):
        raise ContractError({"_schema": ["An event must be a JSON object."]})
    try:
        envelope = _envelope_schema.load(raw)
    except ValidationError as exc:
        raise ContractError(exc.messages) from None
    contract = _payload_schema(envelope["type"], envelope["version"])
    try:
        envelope["payload"] = contract.reader.load(envelope["payload"])
    except ValidationError as exc:
        raise ContractError({"payload": exc.messages}) from None
    envelope["event_id"] = str(envelope["event_id"])
    return envelope
