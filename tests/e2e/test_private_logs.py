"""Logs carry ids, never names, phones, e-mails, addresses or search terms (issue 21): a concierge
registers a person (twice: the duplicate path), searches them by name and by phone through the API
and the console, a registration is refused, and a database error is forced; then every log file of
the running network (`maillage run`: each process's, the supervisor's) is read, and none of it names
the person nor holds the search terms."""

import time
import uuid

import pytest
import requests

pytestmark = [pytest.mark.stack, pytest.mark.broker]


def _log_text(stack) -> str:
    logs = sorted((stack.data_dir.parent / "log").glob("*.log")) + [
        stack.data_dir.parent / "run.log"
    ]
    assert len(logs) > 4, logs
    return "\n".join(path.read_text(errors="replace") for path in logs)


def test_no_log_names_the_person_nor_holds_what_was_searched(stack):
    tag = uuid.uuid4().hex[:6]
    first, last = "Zéphyrine", f"Quillardet{tag}"
    digits = f"{uuid.uuid4().int % 100:02d}"
    phone, e164 = f"06 39 98 47 {digits}", f"+3363998 47{digits}".replace(" ", "")
    email, address = f"zephyrine.{tag}@exemple.fr", f"7 impasse des Grimpereaux {tag}"
    village = stack.villages()["montcalvel"]
    jeanne = stack.login("jeanne@maillage.test")
    url = stack.url(f"/api/villages/{village}/members")
    person = {
        "first_name": first,
        "last_name": last,
        "phone": phone,
        "email": email,
        "address": address,
    }
    created = requests.post(url, headers=jeanne, json=person, timeout=10)
    assert created.status_code == 201, created.text
    twice = requests.post(url, headers=jeanne, json=person, timeout=10)
    assert twice.status_code == 409, (
        twice.text
    )  # the duplicate, refused with their name in the answer only
    again = requests.post(
        url, headers=jeanne, json={**person, "confirm_duplicate": True}, timeout=10
    )
    assert again.status_code == 201, again.text
    refused = requests.post(url, headers=jeanne, json={**person, "phone": f"06 {tag}"}, timeout=10)
    assert refused.status_code == 400
    for term in (last, phone, e164):
        found = requests.get(url, params={"q": term}, headers=jeanne, timeout=10)
        assert found.status_code == 200 and found.json(), (term, found.text)
    console = requests.Session()
    stack.console_sign_in(console, "jeanne@maillage.test")
    page = console.get(
        stack.url(f"/console/villages/{village}/habitants"), params={"q": last}, timeout=10
    )
    assert page.status_code == 200 and last in page.text
    time.sleep(1)  # log lines are written by other processes

    logs = _log_text(stack)
    assert f"/api/villages/{village}/members" in logs, "the access log is there, and read"
    for trace in (first, last, phone, e164, e164[3:], email, address, "Grimpereaux"):
        assert trace not in logs, f"{trace!r} in the logs"
