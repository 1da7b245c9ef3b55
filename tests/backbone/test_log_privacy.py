"""The log filter of every process (backbone/log_privacy.py) and the gateway's access-log line
(gateway/access_log.py), as units; tests/e2e/test_private_logs.py reads a running network's logs."""

import logging
import sys

import pytest

from backbone.errors import Conflict
from backbone.log_privacy import PrivateDataFilter, mask_contacts
from gateway.access_log import without_query


@pytest.mark.parametrize(
    "phone",
    [
        "+33639984712",
        "06 39 98 47 12",
        "06.39.98.47.12",
        "0639984712",
        "+33 6 39 98 47 12",
        "0033639984712",
    ],
)
def test_phone_numbers_are_masked(phone):
    assert mask_contacts(f"SMS: HTTP 400: bad number {phone}.") == "SMS: HTTP 400: bad number […]."


def test_ids_addresses_of_machines_and_figures_are_kept():
    line = (
        "member 550e8400-e29b-41d4-a716-446655440000 from 192.168.100.200 "
        "at 2026-12-04 17:36:36 200 5971 0.0288"
    )
    assert mask_contacts(line) == line
    assert (
        mask_contacts("SMTP 550: <zephyrine.quillardet@exemple.fr> unknown")
        == "SMTP 550: <[…]> unknown"
    )


def _record(name, msg, args, exc_info=None):
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, args, exc_info)


def test_a_refused_rpc_is_logged_by_its_kind_not_its_details():
    exc = Conflict("duplicate_member", None, {"member_id": "m1", "name": "Zéphyrine Quillardet"})
    record = _record(
        "nameko.containers",
        "(expected) error handling worker %s: %s",
        ("<worker>", exc),
        (Conflict, exc, None),
    )
    PrivateDataFilter().filter(record)
    assert (
        logging.Formatter().format(record)
        == "(expected) error handling worker <worker>: Conflict duplicate_member"
    )


def test_a_traceback_is_masked_too():
    try:
        raise ValueError("recipient refused: {'a.b@exemple.fr': (550, b'no')}")
    except ValueError:
        record = _record(
            "maillage.members.notices", "sending to %s failed", ("06 39 98 47 12",), sys.exc_info()
        )
    PrivateDataFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "sending to […] failed" in text and "recipient refused: {'[…]'" in text
    assert "a.b@exemple.fr" not in text and "39 98" not in text


def test_the_access_log_line_has_no_query_string():
    assert (
        without_query("GET /api/villages/v/members?q=Vergne HTTP/1.1")
        == "GET /api/villages/v/members HTTP/1.1"
    )
    assert without_query("GET /health HTTP/1.1") == "GET /health HTTP/1.1"
