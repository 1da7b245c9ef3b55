"""Every table that can hold a member id or personal data has an erasure rule (issue 21): each
service declares ERASURE {table: how} in services/<service>/erasure.py; a new table holding a member
id (or a name, a phone, an address…) without a rule fails here, so erasure cannot miss a store
again. What the rules do is proven by tests/reliability/test_erasure_reach.py."""

import importlib
import re

import pytest

from backbone.tables import BackboneBase

SERVICES = ("members", "orders", "events", "partners")

MEMBER_ID = re.compile(r"^(member_id|.+_member_id)$")
PERSONAL = re.compile(
    r"^(phone|email|address|place|description|name|first_name|last_name|display_name|"
    r"full_name|text|note|body|message|tags|city|postcode|street)$|_(name|phone|address|email)$"
)


def _tables(service: str):
    base = importlib.import_module(f"services.{service}.models").Base
    return [*base.metadata.sorted_tables, *BackboneBase.metadata.sorted_tables]


def _needs_a_rule(table) -> list[str]:
    return [c.name for c in table.columns if MEMBER_ID.search(c.name) or PERSONAL.search(c.name)]


def _rules(service: str) -> dict:
    return importlib.import_module(f"services.{service}.erasure").ERASURE


@pytest.mark.parametrize("service", SERVICES)
def test_every_table_holding_a_member_id_or_personal_data_has_an_erasure_rule(service):
    rules = _rules(service)
    missing = {
        t.name: _needs_a_rule(t)
        for t in _tables(service)
        if _needs_a_rule(t) and t.name not in rules
    }
    assert not missing, (
        f"{service}: tables holding a member id or personal data without an erasure rule in "
        f"services/{service}/erasure.py ERASURE: {missing}"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_no_erasure_rule_names_a_table_that_does_not_exist(service):
    names = {t.name for t in _tables(service)}
    stale = sorted(set(_rules(service)) - names)
    assert not stale, f"{service}: ERASURE names tables that do not exist: {stale}"
    assert all(isinstance(how, str) and len(how) > 10 for how in _rules(service).values()), (
        "each rule says how erasure reaches the table"
    )


def test_the_guard_sees_the_columns_that_hold_people():
    """The detector itself: the columns the review found erasure missing are seen."""
    from services.orders.models import HelpRequest, RoundStop
    from services.partners.models import Delivery, Pledge

    assert {"requester_member_id", "place", "description"} <= set(
        _needs_a_rule(HelpRequest.__table__)
    )
    assert {"member_id", "address"} <= set(_needs_a_rule(RoundStop.__table__))
    assert {"member_id", "pledger_name"} <= set(_needs_a_rule(Pledge.__table__))
    assert "body" in _needs_a_rule(Delivery.__table__)
