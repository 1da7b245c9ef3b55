"""Issue 2's flow, end to end over HTTP: a coordinator opens a village → `village.opened` →
every other service records it → a concierge of that village signs in, sees it, and is refused
another village."""

import uuid

import pytest
import requests

from tests.support.network import wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"


def test_health_names_every_part(stack):
    response = requests.get(stack.url("/health"), timeout=10)
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert set(checks) == {"broker", "members", "partners", "orders", "events"}
    assert all(check["status"] == "ok" for check in checks.values())
    assert all(checks[s]["database"] == "ok" for s in ("members", "partners", "orders", "events"))


def test_a_new_village_reaches_every_service_and_its_concierge(stack):
    coordinator = stack.login(COORDINATOR)
    slug = f"la-source-{uuid.uuid4().hex[:6]}"
    created = requests.post(
        stack.url("/api/villages"),
        headers=coordinator,
        timeout=10,
        json={
            "slug": slug,
            "name": "La Source",
            "commune": "La Source",
            "insee_code": "19100",
            "postcode": "19400",
            "kind": "fixed",
            "population": 700,
        },
    )
    assert created.status_code == 201, created.text
    village_id = created.json()["id"]

    def everywhere():
        models = requests.get(
            stack.url("/api/ops/read-models"), headers=coordinator, timeout=10
        ).json()
        return all(village_id in m["village_ids"] for m in models) and models

    models = wait_until(everywhere, timeout=20)
    assert {m["service"] for m in models} == {"members", "partners", "orders", "events"}

    email = f"concierge-{slug}@maillage.test"
    account = requests.post(
        stack.url("/api/staff"),
        headers=coordinator,
        timeout=10,
        json={
            "email": email,
            "full_name": "Nadia Source",
            "password": "un-mot-de-passe-long",
            "role": "concierge",
            "village_id": village_id,
        },
    )
    assert account.status_code == 201, account.text

    concierge = stack.login(email, "un-mot-de-passe-long")
    me = requests.get(stack.url("/api/me"), headers=concierge, timeout=10).json()
    assert me["role"] == "concierge" and me["village_id"] == village_id
    own = requests.get(stack.url(f"/api/villages/{village_id}"), headers=concierge, timeout=10)
    assert own.status_code == 200 and own.json()["slug"] == slug
    listed = requests.get(stack.url("/api/villages"), headers=concierge, timeout=10).json()
    assert [v["id"] for v in listed] == [village_id]

    others = [
        v["id"]
        for v in requests.get(stack.url("/api/villages"), headers=coordinator, timeout=10).json()
        if v["id"] != village_id
    ]
    refused = requests.get(stack.url(f"/api/villages/{others[0]}"), headers=concierge, timeout=10)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "village_forbidden"
    assert "village" in refused.json()["error"]["message"]


def test_a_concierge_may_not_open_villages(stack):
    concierge = stack.login("lucie@maillage.test")
    response = requests.post(stack.url("/api/villages"), headers=concierge, json={}, timeout=10)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_forbidden"


def test_bad_input_is_a_400_naming_each_field_in_french_and_english(stack):
    coordinator = stack.login(COORDINATOR)
    response = requests.post(
        stack.url("/api/villages"),
        headers=coordinator,
        timeout=10,
        json={
            "slug": "Pas Bon",
            "name": "X" * 200,
            "commune": "C",
            "insee_code": "1234",
            "postcode": "ABCDE",
            "kind": "bateau",
            "population": "beaucoup",
            "surprise": True,
        },
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {
        "slug",
        "name",
        "commune",
        "insee_code",
        "postcode",
        "kind",
        "population",
        "surprise",
    }
    assert error["fields"]["kind"] == ["Valeur attendue parmi : fixed, itinerant, locker."]
    assert error["fields_en"]["kind"] == ["Must be one of: fixed, itinerant, locker."]
    assert error["fields"]["surprise"] == ["Champ inconnu."]
    # nothing was written
    slugs = [
        v["slug"]
        for v in requests.get(stack.url("/api/villages"), headers=coordinator, timeout=10).json()
    ]
    assert "Pas Bon" not in slugs


def test_a_duplicate_slug_is_a_409_naming_the_field(stack):
    coordinator = stack.login(COORDINATOR)
    response = requests.post(
        stack.url("/api/villages"),
        headers=coordinator,
        timeout=10,
        json={
            "slug": "montcalvel",
            "name": "Montcalvel bis",
            "commune": "Montcalvel",
            "insee_code": "19142",
            "postcode": "19170",
            "kind": "fixed",
        },
    )
    assert response.status_code == 409
    assert "slug" in response.json()["error"]["fields"]


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400(stack, body):
    response = requests.post(
        stack.url("/api/auth/login"),
        data=body,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_unknown_route_and_wrong_method_answer_in_json(stack):
    missing = requests.get(stack.url("/api/nothing-here"), timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "route_not_found"
    wrong = requests.delete(stack.url("/health"), timeout=10)
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "authentication_required"),
        ({"Authorization": "Bearer forged.token.value"}, "token_invalid"),
        ({"X-API-Key": "not-a-key"}, "bad_api_key"),
        ({"X-API-Key": "mlg_0123456789abcdef_" + "x" * 40}, "bad_api_key"),
    ],
)
def test_401_says_why(stack, headers, code):
    response = requests.get(stack.url("/api/villages"), headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


def test_wrong_password_is_a_401(stack):
    response = requests.post(
        stack.url("/api/auth/login"),
        timeout=10,
        json={"email": COORDINATOR, "password": "pas-le-bon"},
    )
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_credentials"


def test_a_partner_signs_in_with_its_api_key_and_only_reaches_partner_routes(stack):
    coordinator = stack.login(COORDINATOR)
    created = requests.post(
        stack.url("/api/partners"),
        headers=coordinator,
        timeout=10,
        json={"name": "Boulangerie Test", "kind": "merchant"},
    )
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["api_key"]}
    me = requests.get(stack.url("/api/partner/me"), headers=key, timeout=10)
    assert me.status_code == 200 and me.json()["name"] == "Boulangerie Test"
    refused = requests.get(stack.url("/api/villages"), headers=key, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_forbidden"


@pytest.mark.parametrize("levels", [33, 100_000])
def test_a_body_nested_too_deeply_is_a_400_naming_the_field(stack, levels):
    """Issue 21: deep JSON on the anonymous sign-in route answered 500 (RecursionError)."""
    body = '{"email": ' + "[" * levels + "]" * levels + ', "password": "x"}'
    response = requests.post(
        stack.url("/api/auth/login"),
        data=body,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["fields"] == {"email": ["Trop de niveaux imbriqués : au plus 32."]}
    assert error["fields_en"] == {"email": ["Nested too deeply: at most 32 levels."]}
    shallow = (
        '{"email": ' + "[" * 31 + "]" * 31 + ', "password": "x"}'
    )  # deep enough to be read, then refused as a list
    response = requests.post(
        stack.url("/api/auth/login"),
        data=shallow,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400 and "Nested" not in response.text


def test_page_numbers_are_bounded_with_a_400_naming_the_field(stack):
    """Issue 21: `?page=10**20` overflowed the database's OFFSET (500)."""
    coordinator = stack.login(COORDINATOR)
    partner = requests.post(
        stack.url("/api/partners"),
        headers=coordinator,
        timeout=10,
        json={"name": f"Pages {uuid.uuid4().hex[:6]}", "kind": "association"},
    )
    assert partner.status_code == 201, partner.text
    key = {"X-API-Key": partner.json()["api_key"]}
    for path, headers in (("/api/partner/deliveries", key), ("/api/deliveries", coordinator)):
        for page, field in (
            (str(10**20), "page"),
            ("9" * 5000, "page"),
            ("0", "page"),
            ("1000000", "per_page"),
        ):
            response = requests.get(
                stack.url(f"{path}?{field}={page}"), headers=headers, timeout=10
            )
            assert response.status_code == 400, (path, field, page[:20], response.text[:300])
            assert list(response.json()["error"]["fields"]) == [field]
        assert (
            requests.get(
                stack.url(f"{path}?page=10000&per_page=200"), headers=headers, timeout=10
            ).json()["items"]
            == []
        )
    session = requests.Session()
    stack.console_sign_in(session, COORDINATOR)
    response = session.get(stack.url("/console/coordination?page=" + "9" * 5000), timeout=30)
    assert (
        response.status_code == 400 and "Numéro de page invalide" in response.text
    )  # the page, with the error


def test_openapi_is_generated_from_the_schemas(stack):
    spec = requests.get(stack.url("/api/openapi.json"), timeout=10).json()
    assert spec["openapi"].startswith("3.")
    village_input = spec["components"]["schemas"]["VillageInput"]
    assert {"slug", "insee_code", "kind"} <= set(village_input["required"])
    assert spec["paths"]["/api/villages/{village_id}"]["get"]["x-roles"] == [
        "coordinator",
        "concierge",
    ]
    docs = requests.get(stack.url("/api/docs"), timeout=10)
    assert docs.status_code == 200 and "/api/villages/{village_id}" in docs.text


def test_a_body_too_large_is_refused_before_it_is_read(stack):
    coordinator = stack.login(COORDINATOR)
    response = requests.post(
        stack.url("/api/villages"),
        headers={**coordinator, "Content-Type": "application/json"},
        data=b"{" + b" " * (5 * 1024 * 1024) + b"}",
        timeout=30,
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"
