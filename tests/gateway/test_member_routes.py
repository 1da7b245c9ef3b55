"""People's routes, checked over the route table: personal data is for concierges of the member's
village only; the import takes the CSV file itself and is documented so."""

from gateway import service  # noqa: F401  (registers the routes)
from gateway.openapi import build_spec, docs_page
from gateway.routing import ROUTES


def test_personal_data_is_for_the_concierge_of_the_village_only():
    personal = [r for r in ROUTES if r.path.startswith("/api/villages/<village_id>/members")]
    assert len(personal) >= 8
    for route in personal:
        assert route.roles == ("concierge",) and route.scope == "path:village_id", route.path
    network = {r.path: r.roles for r in ROUTES if r.path.startswith("/api/network/members")}
    assert network["/api/network/members/stats"] == ("coordinator",)


def test_notices_with_phones_and_emails_are_for_the_concierge_of_the_village_only():
    """Issue 21: the list "à prévenir" names people with their phone and e-mail; the coordinator
    (aggregates, not personal data) is refused like for the members' routes."""
    notices = [r for r in ROUTES if r.path.startswith("/api/villages/<village_id>/notices")]
    assert len(notices) == 3  # the list, marking a call done, the delivery log
    for route in notices:
        assert route.roles == ("concierge",) and route.scope == "path:village_id", route.path


def test_the_import_is_documented_as_a_csv_body_and_the_docs_page_renders():
    operation = build_spec()["paths"]["/api/villages/{village_id}/members/import"]["post"]
    assert list(operation["requestBody"]["content"]) == ["text/csv"]
    assert "text/csv" in docs_page()
