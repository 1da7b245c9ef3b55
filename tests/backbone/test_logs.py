"""The log line format of every process (backbone/logs.py), the privacy filter kept in its chain,
an expected RPC refusal as one INFO line without traceback, and the gateway's request ids
(gateway/access_log.py)."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest

from backbone import logs
from gateway import access_log


@pytest.fixture
def captured(monkeypatch):
    """A logger writing through the processes' handler, in JSON; returns (logger, lines)."""
    monkeypatch.setenv("MAILLAGE_LOG_FORMAT", "json")
    stream = io.StringIO()
    handler = logs.console_handler()
    handler.setStream(stream)
    logger = logging.getLogger(f"test.logs.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    return logger, lines


def test_a_line_is_one_json_object_with_time_level_logger_service_and_context(captured):
    logger, lines = captured
    token = logs.bind(service="orders", correlation_id="req-1", village_id="v-9", event_id="e-3")
    try:
        logger.info("order %s ready", "o-1")
    finally:
        logs.unbind(token)
    logger.warning("outside any worker")
    inside, outside = lines()
    assert inside["time"].endswith("Z") and "T" in inside["time"]
    assert {k: inside[k] for k in ("level", "service", "message", "correlation_id")} == {
        "level": "INFO",
        "service": "orders",
        "message": "order o-1 ready",
        "correlation_id": "req-1",
    }
    assert (inside["village_id"], inside["event_id"]) == ("v-9", "e-3")
    assert inside["logger"].startswith("test.logs.")
    assert outside["service"] == logs.PROCESS and "correlation_id" not in outside


def test_an_error_carries_its_traceback_as_exception_text(captured):
    logger, lines = captured
    try:
        {}["missing"]
    except KeyError:
        logger.exception("lookup failed")
    (line,) = lines()
    assert line["level"] == "ERROR" and line["message"] == "lookup failed"
    assert "Traceback" in line["exception"] and "KeyError: 'missing'" in line["exception"]


def test_the_privacy_filter_still_masks_contacts_in_json_lines(captured):
    logger, lines = captured
    logger.info("SMTP refused zéphyrine@exemple.fr, SMS to 06 39 98 47 12")
    (line,) = lines()
    assert "exemple.fr" not in line["message"] and "47 12" not in line["message"]
    assert "SMTP refused" in line["message"]


def test_an_expected_rpc_refusal_is_one_info_line_without_traceback(captured):
    from backbone.errors import NotFound

    logger, lines = captured
    nameko = logging.getLogger("nameko.containers")
    nameko.addHandler(logger.handlers[0])
    try:
        try:
            raise NotFound("member", "m-1")
        except NotFound as exc:
            nameko.warning("(expected) error handling worker %s: %s", "<w>", exc, exc_info=True)
    finally:
        nameko.removeHandler(logger.handlers[0])
    (line,) = lines()
    assert line["level"] == "INFO" and "exception" not in line
    assert line["message"].startswith("(expected) error handling worker <w>: NotFound")


def test_text_lines_show_the_context_for_people():
    record = logging.LogRecord("maillage.gateway", logging.INFO, __file__, 1, "hello", None, None)
    logs.ContextFilter().filter(record)
    record.correlation_id = "req-2"
    assert logs.TextLines().format(record).endswith(f"[{logs.PROCESS} correlation=req-2]: hello")


@pytest.mark.parametrize(
    "argv, name",
    [
        (
            ["nameko", "run", "--config", "deploy/nameko.yaml", "gateway.service:GatewayService"],
            "gateway",
        ),
        (["/venv/bin/nameko", "run", "services.orders.service:OrdersService"], "orders"),
        (
            [
                "nameko",
                "run",
                "services.members.service:MembersService",
                "gateway.service:GatewayService",
            ],
            "members+gateway",
        ),
        (["/venv/bin/maillage", "relay", "members", "orders"], "relay members orders"),
        (["/venv/bin/maillage", "-v", "seed"], "maillage seed"),
        (["/app/maillage/cli.py", "topology"], "maillage topology"),  # python -m maillage.cli
        (["/venv/bin/gunicorn", "app"], "gunicorn"),
    ],
)
def test_the_process_is_named_after_what_it_runs(argv, name):
    assert logs.process_name(argv) == name


@pytest.mark.parametrize(
    "sent", ["abc-123", "0f8c2f8e-8d8b-4bb8-a2a3-4c1f0b6f1d2e", "trace:span.1_2", "a" * 128]
)
def test_a_short_plain_request_id_is_kept(sent):
    assert access_log.valid_request_id(sent) == sent


@pytest.mark.parametrize("sent", [None, "", "a" * 129, "two words", "a\nb", "é", "<x>", "a/b"])
def test_any_other_request_id_is_replaced_by_a_new_one(sent):
    replaced = access_log.valid_request_id(sent)
    assert replaced != sent and uuid.UUID(replaced)


def test_the_access_line_keeps_neither_the_query_nor_a_commune_link():
    assert access_log.logged_path("/api/villages/v/members?q=Vergne") == "/api/villages/v/members"
    assert access_log.logged_path("/commune/AbCdEf123") == "/commune/<lien>"
    assert access_log.logged_path("/commune/rapport.pdf") == "/commune/rapport.pdf"
