"""Logs an operator can follow (issue 28): a request's `X-Request-Id` is echoed, logged by the
gateway in one JSON line, carried by the RPC call into the service that writes the event, and by
the event into the services that consume it; an expected refusal (404, 400) is one INFO line at
the gateway, never a traceback anywhere. Read from the log files `maillage run` collects of each
process (the e2e network logs as production does: one JSON object per line)."""

import uuid

import pytest
import requests

from tests.support.reliability import wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]

PROCESSES = ("gateway", "members", "partners", "orders", "events")


def _lines_with(stack, request_id: str) -> dict[str, list[dict]]:
    return {
        process: [
            line for line in stack.log_lines(process) if line.get("correlation_id") == request_id
        ]
        for process in PROCESSES
    }


def test_a_request_id_is_followed_from_the_gateway_into_the_services_consuming_its_event(stack):
    village = stack.villages()["montcalvel"]
    jeanne = stack.login("jeanne@maillage.test")
    request_id = f"test-{uuid.uuid4().hex}"
    phone = "06 39 98 " + " ".join(f"{uuid.uuid4().int % 100:02d}" for _ in range(2))
    person = {"first_name": "Anselme", "last_name": f"Trelut{uuid.uuid4().hex[:6]}", "phone": phone}

    created = requests.post(
        stack.url(f"/api/villages/{village}/members"),
        headers={**jeanne, "X-Request-Id": request_id},
        json=person,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.headers["X-Request-Id"] == request_id

    def followed():
        found = _lines_with(stack, request_id)
        return found if found["orders"] and found["events"] and found["gateway"] else None

    found = wait_until(followed, timeout=30, message="the request id in the consumers' logs")
    (access,) = found["gateway"]
    assert access["logger"] == "maillage.gateway.access"
    assert (access["level"], access["method"], access["status"]) == ("INFO", "POST", 201)
    assert access["path"] == f"/api/villages/{village}/members"
    assert access["service"] == "gateway" and access["time"].endswith("Z")
    for consumer in ("orders", "events"):
        handled = [line for line in found[consumer] if "member.registered" in line["message"]]
        assert handled, found[consumer]
        line = handled[0]
        assert line["service"] == consumer and line["level"] == "INFO"
        assert line["village_id"] == village and line["event_id"], line
    assert person["last_name"] not in str(found), "ids in the logs, never a name"


@pytest.mark.parametrize("kind", ["not_found", "invalid"])
def test_an_expected_refusal_is_one_info_line_and_no_traceback(stack, kind):
    village = stack.villages()["montcalvel"]
    jeanne = stack.login("jeanne@maillage.test")
    request_id = f"test-{kind}-{uuid.uuid4().hex}"
    headers = {**jeanne, "X-Request-Id": request_id}
    if kind == "not_found":
        answer = requests.get(
            stack.url(f"/api/villages/{village}/members/{uuid.uuid4()}"),
            headers=headers,
            timeout=10,
        )
        assert answer.status_code == 404, answer.text
    else:
        answer = requests.post(
            stack.url(f"/api/villages/{village}/members"),
            headers=headers,
            json={"first_name": "", "phone": "not a phone"},
            timeout=10,
        )
        assert answer.status_code == 400, answer.text
    assert answer.headers["X-Request-Id"] == request_id
    assert answer.json()["error"]["request_id"] == request_id

    found = wait_until(
        lambda: (lambda f: f if f["gateway"] else None)(_lines_with(stack, request_id)),
        timeout=15,
        message="the access line",
    )
    (line,) = found["gateway"]
    assert (line["level"], line["status"]) == ("INFO", answer.status_code), line
    if kind == "not_found":  # the members service refused it: one INFO line there too
        (refused,) = found["members"]
        assert refused["level"] == "INFO" and "NotFound" in refused["message"], refused
        assert refused["village_id"] == village
    everywhere = [line for lines in found.values() for line in lines]
    assert not [line for line in everywhere if "exception" in line], everywhere
    assert all(line["level"] == "INFO" for line in everywhere), everywhere


@pytest.mark.parametrize("sent", ["x" * 129, "two words", "line\\nbreak", "<script>", ""], ids=repr)
def test_a_request_id_too_long_or_with_unsafe_characters_is_replaced(stack, sent):
    answer = requests.get(stack.url("/health"), headers={"X-Request-Id": sent}, timeout=10)
    given = answer.headers["X-Request-Id"]
    assert given != sent
    assert uuid.UUID(given)
