"""One error table for the API and the console (gateway/errors.py): the same exception gets the
status of its row in both, the console's page its French title, and the headers saying when to
try again are the same."""

import json

import kombu.exceptions
import pytest

from backbone.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    TooManyAttempts,
)
from gateway.console.framework import _page_for_error
from gateway.errors import ERRORS, HttpError, classify, response_for


@pytest.mark.parametrize(
    "exc, status, code",
    [
        (InvalidInput({"name": ["Missing data for required field."]}), 400, "invalid_input"),
        (NotFound("village", "v1"), 404, "not_found"),
        (Conflict("not_a_known_reason"), 409, "conflict"),
        (AuthenticationFailed(), 401, "bad_credentials"),
        (TooManyAttempts(30), 429, "too_many_attempts"),
        (ServiceUnavailable("orders"), 503, "service_unavailable"),
        (HttpError(403, "village_forbidden"), 403, "village_forbidden"),
        (ValueError("a bug"), 500, "internal_error"),
    ],
)
def test_the_api_answers_with_the_row_of_the_table(exc, status, code):
    response = response_for(exc, "r1")
    assert (response.status_code, json.loads(response.get_data())["error"]["code"]) == (
        status,
        code,
    )
    assert classify(exc)[1].status == status
    assert response.headers["X-Request-Id"] == "r1"


def test_a_path_with_a_doubled_slash_is_redirected_where_it_is_not_called_an_error():
    """Werkzeug redirects `/api/villages//catalog` (308) to the path with one slash: the answer
    says where, not « Erreur interne »."""
    from werkzeug.routing import RequestRedirect

    response = response_for(RequestRedirect("http://localhost/api/villages/catalog"), "r1")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/api/villages/catalog"
    assert response.headers["X-Request-Id"] == "r1"
    assert b"internal_error" not in response.get_data()


def test_headers_say_when_to_try_again_and_how_to_sign_in():
    assert response_for(TooManyAttempts(30), None).headers["Retry-After"] == "30"
    assert response_for(ServiceUnavailable("orders"), None).headers["Retry-After"] == "5"
    assert "WWW-Authenticate" in response_for(AuthenticationFailed(), None).headers
    page = _page_for_error(ServiceUnavailable("orders"), None, "r1")
    assert (page.status_code, page.headers["Retry-After"]) == (503, "5")


@pytest.mark.parametrize(
    "exc, status, title",
    [
        (InvalidInput({"name": ["Missing data for required field."]}), 400, "Demande refusée"),
        (Conflict("not_a_known_reason"), 400, "Demande refusée"),
        (NotFound("village", "v1"), 404, "Introuvable"),
        (ServiceUnavailable("orders"), 503, "Service indisponible"),
        (kombu.exceptions.OperationalError("broker gone"), 503, "Service indisponible"),
        (TooManyAttempts(30), 500, "Erreur interne"),
        (ValueError("a bug"), 500, "Erreur interne"),
    ],
)
def test_the_console_shows_the_page_of_the_row(exc, status, title):
    page = _page_for_error(exc, None, "r1")
    assert page.status_code == status and title in page.get_data(as_text=True)
    kind = classify(exc)[1]
    if kind.page is not None:
        assert kind.page == (status, title)


def test_the_broker_going_away_is_the_network_being_unavailable():
    exc, kind = classify(kombu.exceptions.OperationalError("broker gone"))
    assert isinstance(exc, ServiceUnavailable) and kind is ERRORS[ServiceUnavailable]
    assert response_for(kombu.exceptions.OperationalError("gone"), None).status_code == 503
