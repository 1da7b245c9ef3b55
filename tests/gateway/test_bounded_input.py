"""Issue 21, bad input that hurt: bodies nested without end, numbers longer than int() reads, page
numbers past what a database's OFFSET holds. Each is a 400 (or a form error) naming the field."""

import pytest

from backbone.errors import InvalidInput
from backbone.schemas import MAX_PAGE, load
from gateway import json_body
from gateway.console.figures import parse_page
from gateway.console.form_values import whole_number
from services.partners import deliveries
from services.partners.schemas.subscriptions import DeliveryQuery


def nested(levels: int, key: str = "email") -> bytes:
    return (f'{{"{key}": ' + "[" * levels + "]" * levels + ', "password": "x"}').encode()


@pytest.mark.parametrize("levels", [32, 1_000, 200_000])
def test_a_body_deeper_than_32_levels_is_refused_naming_its_field(levels):
    with pytest.raises(InvalidInput) as refused:
        json_body.parse(nested(levels, "pass\\u00e9"))
    assert refused.value.errors == {"passé": ["Nested too deeply: at most 32 levels."]}


def test_a_body_of_32_levels_is_read():
    assert json_body.parse(nested(31))["password"] == "x"
    with pytest.raises(InvalidInput) as refused:  # a deep array as the whole body: no field to name
        json_body.parse(b"[" * 5000 + b"]" * 5000)
    assert list(refused.value.errors) == ["_schema"]
    with pytest.raises(ValueError):
        json_body.parse(b"{not json")


def test_numbers_typed_in_a_form_never_break_int():
    assert whole_number(" 12 ") == 12 and whole_number("²") == "²" and whole_number("") == ""
    assert (
        whole_number("9" * 5000) == "9" * 5000
    )  # left to the service's schema: "Not a valid integer."
    assert parse_page({"page": "9" * 5000}, 30, 10) == (
        1,
        3,
        {"page": "Numéro de page invalide (1, 2, 3…)."},
    )
    assert parse_page({"page": "7"}, 30, 10)[0] == 3


def test_a_page_number_past_the_bound_is_refused_and_the_last_one_reads(service_db):
    for query, field in (
        ({"page": str(10**20)}, "page"),
        ({"page": "9" * 5000}, "page"),
        ({"per_page": "201"}, "per_page"),
        ({"page": str(MAX_PAGE + 1)}, "page"),
    ):
        with pytest.raises(InvalidInput) as refused:
            load(DeliveryQuery(), query)
        assert list(refused.value.errors) == [field]
    database = service_db("partners")
    with database.unit_of_work() as uow:  # the largest page allowed fits the database's OFFSET
        page = deliveries.list_deliveries(
            uow, load(DeliveryQuery(), {"page": str(MAX_PAGE), "per_page": "200"})
        )
    assert page["items"] == [] and page["page"] == MAX_PAGE
