"""What partners read about the events they receive (services/partners/event_docs.py): the
committed AsyncAPI 3.0 document and JSON Schemas are what the contracts give, the AsyncAPI document
passes the specification's own schema, each JSON Schema is a valid draft 2020-12 schema, and the
bodies partners really receive (any payload the contract allows, published, read back and
projected for a partner as audience.py does) validate against their schema, while payloads the
contract refuses do not."""

import json
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from backbone import config
from backbone.contracts import ContractError, build_envelope, parse_envelope
from maillage.cli import main
from services.partners import audience, event_docs
from tests.support.contracts import payloads

DOCS = config.REPO_ROOT / "docs"
ASYNCAPI_SCHEMA = Path(__file__).parents[1] / "support" / "asyncapi-3.0.0.schema.json"
CONTRACTS = event_docs.partner_contracts()
CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


def _validator(contract):
    schema = event_docs.event_schemas()[event_docs.schema_file(contract.type, contract.version)]
    return jsonschema.Draft202012Validator(schema, format_checker=CHECKER)


def test_the_committed_documents_are_what_the_contracts_give(tmp_path):
    result = CliRunner().invoke(main, ["events-catalogue", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(DOCS)
        for p in [DOCS / "events.md", DOCS / "asyncapi.yaml", *(DOCS / "events").rglob("*")]
    )
    assert made == committed, "docs/ is stale: run `maillage events-catalogue`"
    for name in made:
        assert (tmp_path / name).read_text() == (DOCS / name).read_text(), (
            f"docs/{name} is stale: run `maillage events-catalogue`"
        )


def test_every_event_a_partner_may_receive_has_its_schema_and_channel():
    document = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    assert set(audience.EVENT_TYPES) == {c.type for c in CONTRACTS} == set(document["channels"])
    for contract in CONTRACTS:
        channel = document["channels"][contract.type]
        assert channel["address"] == "{partner_id}." + contract.type
        assert (DOCS / "events" / event_docs.schema_file(contract.type, contract.version)).exists()


def test_the_asyncapi_document_passes_the_specification_s_schema():
    """tests/support/asyncapi-3.0.0.schema.json: `schemas/3.0.0-without-$id.json` of the
    specification's npm package @asyncapi/specs 6.11.1 (Apache-2.0)."""
    meta = json.loads(ASYNCAPI_SCHEMA.read_text())
    document = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    assert document["asyncapi"] == "3.0.0"
    errors = [e.message for e in jsonschema.Draft7Validator(meta).iter_errors(document)]
    assert errors == []
    broken = {"asyncapi": "3.0.0", "info": {"title": "x"}}  # the check can fail
    assert list(jsonschema.Draft7Validator(meta).iter_errors(broken))


@pytest.mark.parametrize("name", sorted(event_docs.event_schemas()))
def test_each_event_schema_is_a_valid_draft_2020_12_schema(name):
    schema = json.loads((DOCS / "events" / name).read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _received(contract, payload) -> dict:
    """The body a partner receives for `payload`: published (the writer's checks), read back (the
    reader's) and projected for the partner, through JSON as it travels."""
    village_id = payload.get("village_id") or str(uuid.uuid4())
    try:
        envelope = build_envelope(
            contract.type,
            payload,
            village_id=village_id if contract.village_scoped else None,
            version=contract.version,
            source=contract.publisher,
        )
    except ContractError:
        reject()  # a rule between fields the drawing does not know
    projected = audience.project(parse_envelope(json.loads(json.dumps(envelope))), "p-1")
    return json.loads(json.dumps(projected, ensure_ascii=False))


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: f"{c.type}.v{c.version}")
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_every_body_a_partner_receives_validates_against_its_schema(contract, data):
    body = _received(contract, data.draw(payloads(contract.schema())))
    validator = _validator(contract)
    assert list(validator.iter_errors(body)) == []
    assert set(body) == set(validator.schema["properties"])  # no field of the envelope undescribed


def _wrong(value):
    """A value of another JSON type."""
    if isinstance(value, str):
        return 12
    if isinstance(value, bool | int | float):
        return "douze"
    return 12 if isinstance(value, list | dict) else "douze"


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: f"{c.type}.v{c.version}")
@settings(max_examples=5, deadline=None, derandomize=True)
@given(data=st.data())
def test_a_payload_the_contract_refuses_does_not_validate_either(contract, data):
    body = _received(contract, data.draw(payloads(contract.schema())))
    validator = _validator(contract)
    payload_schema = validator.schema["properties"]["payload"]
    for name in payload_schema.get("required", []):
        bad = {**body, "payload": {k: v for k, v in body["payload"].items() if k != name}}
        assert not validator.is_valid(bad), f"{contract.type} without {name}"
        with pytest.raises(ValidationError):
            contract.reader.load(bad["payload"])
    for name, value in body["payload"].items():
        if value is None:
            continue
        bad = {**body, "payload": {**body["payload"], name: _wrong(value)}}
        assert not validator.is_valid(bad), f"{contract.type} with {name}={_wrong(value)!r}"
    unknown_type = {**body, "type": "order.unknown"}
    assert not validator.is_valid(unknown_type)
