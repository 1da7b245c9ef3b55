"""A partner's API key can be rotated (a new one shown once, the old one refused at once) by the
coordinator or by the partner itself, and revoked by the coordinator (real gateway and partners
service, real broker; SQLite and PostgreSQL)."""

import uuid

import pytest
import requests

from gateway import auth
from gateway.service import GatewayService
from services.partners.service import PartnersService
from tests.support.infrastructure import free_port
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)
from tests.support.partners import village_with_producers

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]


@pytest.fixture(scope="module")
def keys_world(module_world):
    """What `partners_api("Ferme du Plateau", "Boulangerie Faure")` (tests/conftest.py) starts
    for a test: a village known to partners, two producers serving it, the partners service and
    the gateway, a coordinator's token; here once for the module."""
    world = module_world(GATEWAY_SECRET="keys-test")
    database = world.database("partners")
    _village_id, registered = village_with_producers(
        database, "Ferme du Plateau", "Boulangerie Faure"
    )
    port = free_port()
    world.start(PartnersService)
    world.start(GatewayService, config={**world.config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    coordinator = auth.issue_token(
        {"id": str(uuid.uuid4()), "role": "coordinator", "full_name": "Coordination"}
    )
    world.snapshot()
    yield (
        world,
        {
            "base": f"http://127.0.0.1:{port}",
            "partners": registered,
            "coordinator": {"Authorization": "Bearer " + coordinator},
        },
    )


@pytest.fixture
def api(keys_world):
    """The module's partners service and gateway, the database as its set-up left it."""
    world, api = keys_world
    world.reset()
    return api


def _me(api, key):
    return requests.get(api["base"] + "/api/partner/me", headers={"X-API-Key": key}, timeout=30)


def _post(api, path, headers):
    return requests.post(api["base"] + path, headers=headers, json={}, timeout=30)


def test_the_coordinator_rotates_a_key_and_the_old_one_is_refused(api):
    (partner_id, old), (_, other) = api["partners"]
    rotated = _post(api, f"/api/partners/{partner_id}/api-key", api["coordinator"])
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["revoked"] == 1
    refused = _me(api, old)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "bad_api_key"
    assert _me(api, rotated.json()["api_key"]).json()["id"] == partner_id
    assert _me(api, other).status_code == 200  # another partner's key is untouched


def test_a_partner_rotates_its_own_key(api):
    (partner_id, old), (other_id, other) = api["partners"]
    rotated = _post(api, "/api/partner/api-key", {"X-API-Key": old})
    assert rotated.status_code == 201, rotated.text
    assert _me(api, old).status_code == 401
    new = rotated.json()["api_key"]
    assert _me(api, new).json()["id"] == partner_id
    # never another partner's key
    assert _post(api, f"/api/partners/{other_id}/api-key", {"X-API-Key": new}).status_code == 403
    assert _me(api, other).status_code == 200


def test_the_coordinator_revokes_a_partners_keys(api):
    (partner_id, key), _ = api["partners"]
    revoked = _post(api, f"/api/partners/{partner_id}/api-key/revoke", api["coordinator"])
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 1}
    assert _me(api, key).status_code == 401
    assert (
        _post(api, f"/api/partners/{partner_id}/api-key/revoke", {"X-API-Key": key}).status_code
        == 401
    )


def test_an_unknown_partner_is_a_404(api):
    unknown = _post(api, f"/api/partners/{uuid.uuid4()}/api-key", api["coordinator"])
    assert unknown.status_code == 404 and unknown.json()["error"]["message"].endswith(
        "introuvable."
    )
