"""Contracts are checked when written and when read."""

import uuid

import pytest

from backbone.contracts import ContractError, build_envelope, parse_envelope, registry
from tests.support.contracts import VILLAGE


def test_written_event_carries_the_whole_envelope():
    envelope = build_envelope(
        "village.opened",
        VILLAGE,
        village_id=VILLAGE["village_id"],
        source="members",
        correlation_id="req-1",
    )
    assert envelope["type"] == "village.opened" and envelope["version"] == 1
    assert envelope["village_id"] == VILLAGE["village_id"] and envelope["correlation_id"] == "req-1"
    uuid.UUID(envelope["event_id"])
    assert envelope["occurred_at"].endswith("+00:00")
    assert parse_envelope(envelope)["payload"] == VILLAGE


def test_writing_an_invalid_payload_names_the_field():
    with pytest.raises(ContractError) as err:
        build_envelope(
            "village.opened", {**VILLAGE, "insee_code": "abc"}, village_id="v", source="members"
        )
    assert "insee_code" in err.value.errors["payload"]


def test_writing_an_unknown_field_is_refused():
    with pytest.raises(ContractError) as err:
        build_envelope(
            "village.opened", {**VILLAGE, "mayor": "x"}, village_id="v", source="members"
        )
    assert err.value.errors["payload"]["mayor"] == ["Unknown field."]


def test_village_scoped_event_needs_a_village():
    with pytest.raises(ContractError) as err:
        build_envelope("village.opened", VILLAGE, village_id=None, source="members")
    assert "village_id" in err.value.errors


def test_unknown_type_is_refused():
    with pytest.raises(ContractError):
        build_envelope("village.exploded", {}, village_id="v", source="members")


@pytest.mark.parametrize(
    "broken, field",
    [
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"version": "1"}, "version"),
        ({"occurred_at": "2026-01-01T10:00:00"}, "occurred_at"),  # naive time
        ({"type": None}, "type"),
    ],
)
def test_reading_a_broken_envelope_names_the_field(broken, field):
    envelope = build_envelope(
        "village.opened", VILLAGE, village_id=VILLAGE["village_id"], source="members"
    )
    with pytest.raises(ContractError) as err:
        parse_envelope({**envelope, **broken})
    assert field in err.value.errors


def test_reading_a_payload_that_breaks_its_contract_names_the_field():
    envelope = build_envelope(
        "village.opened", VILLAGE, village_id=VILLAGE["village_id"], source="members"
    )
    envelope["payload"] = {**envelope["payload"], "kind": "boat"}
    with pytest.raises(ContractError) as err:
        parse_envelope(envelope)
    assert "kind" in err.value.errors["payload"]


def test_readers_tolerate_fields_added_later():
    envelope = build_envelope(
        "village.opened", VILLAGE, village_id=VILLAGE["village_id"], source="members"
    )
    envelope["payload"]["added_later"] = 1
    envelope["added_later"] = 2
    assert "added_later" not in parse_envelope(envelope)["payload"]


def test_every_contract_has_a_description_for_the_catalogue():
    for contract in registry.all():
        assert contract.description, contract.type
        for name, schema_field in contract.schema().fields.items():
            assert schema_field.metadata.get("description"), f"{contract.type}.{name}"
