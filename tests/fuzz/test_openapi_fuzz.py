"""The API against its own description: schemathesis generates requests for every operation of the
OpenAPI document (valid and invalid path values, queries and bodies; half of them inside a real
village of the demo) and sends each one as the coordinator or as a concierge (hypothesis draws
which, beside the case), on a private copy of the demo network (it writes a lot).

For every answer: never a 5xx, and its status is one the document lists for that operation.
Bounded (`FUZZ_EXAMPLES` per operation and generation mode, default 6) so that it stays within
about two minutes in `make test`; deselect with `-m "not fuzz"`, or raise `FUZZ_EXAMPLES` to dig.

The operations come from `gateway.openapi.build_spec()`, the very document `/api/openapi.json`
serves (checked below), so that each operation is its own test. (schemathesis' own pytest loader,
`from_fixture`, does not work with pytest 9: it reads `request.node._nodeid`.)
"""

from __future__ import annotations

import os
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from gateway import service  # noqa: F401  (registers the routes)
from gateway.openapi import build_spec
from tests.support.private_stack import private_stack

# ~3,800 generated cases, each sent once, on one worker and its network: sending each as both
# callers, on two networks, costs ~35 CPU-s more of the suite's ~900 for the same operations
pytestmark = [pytest.mark.fuzz, pytest.mark.stack, pytest.mark.broker]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance]
SCHEMA = schemathesis.openapi.from_dict(build_spec())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory):
    with private_stack(tmp_path_factory.mktemp("fuzz")) as stack:
        yield stack


@pytest.fixture(scope="module")
def callers(fuzz_stack):
    return {
        "coordinator": fuzz_stack.login("coordination@maillage.test"),
        "concierge": fuzz_stack.login("lucie@maillage.test"),
    }


@pytest.fixture(scope="module")
def home_village(fuzz_stack, callers):
    response = requests.get(
        fuzz_stack.url("/api/villages"), headers=callers["concierge"], timeout=15
    )
    return response.json()[0]["id"]


def test_the_served_document_is_the_one_fuzzed(fuzz_stack):
    served = requests.get(fuzz_stack.url("/api/openapi.json"), timeout=15).json()
    assert {(op, path) for path, ops in served["paths"].items() for op in ops} == {
        (op.method, op.path) for op in OPERATIONS
    }


# a sign-out or a password change ends the caller's sessions (and wrong current passwords lock
# its account): each case runs as an account of its own, so the callers' tokens stay good
ENDS_THE_SESSION = {"/api/auth/logout", "/api/auth/password"}


def _throwaway_account(stack, callers, who, village_id) -> dict:
    email, password = f"fuzz-{uuid.uuid4().hex[:12]}@maillage.test", "mot-de-passe-jetable"
    created = requests.post(
        stack.url("/api/staff"),
        headers=callers["coordinator"],
        timeout=15,
        json={
            "email": email,
            "full_name": "Compte jetable",
            "password": password,
            "role": who,
            "village_id": village_id if who == "concierge" else None,
        },
    )
    assert created.status_code == 201, created.text
    return stack.login(email, password)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_every_operation_answers_as_documented(operation, fuzz_stack, callers, home_village):
    in_village = {"village_id": home_village} if "{village_id}" in operation.path else None
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=in_village),
        operation.as_strategy(GenerationMode.NEGATIVE),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=in_village),
    )

    @given(case=strategy, who=st.sampled_from(sorted(callers)))
    @settings(
        max_examples=4 * EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case, who):
        headers = callers[who]
        if operation.path in ENDS_THE_SESSION:
            headers = _throwaway_account(fuzz_stack, callers, who, home_village)
        try:
            case.call_and_validate(
                base_url=fuzz_stack.base_url, headers=headers, checks=CHECKS, timeout=20
            )
        except AssertionError as exc:
            raise AssertionError(f"as the {who}: {exc}") from exc

    answers_as_documented()
