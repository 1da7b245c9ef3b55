"""Every console page a person opens, found in gateway.console.framework.PAGES (a page added later
is checked too), opened in Chromium as a concierge (their village) and as the coordinator: no
serious or critical axe-core violation, no horizontal scroll at 768 px nor at 1024×768, and a first
load under 150 KB (issue #24). The checks: tests/support/page_checks.py."""

import pytest
import requests

import gateway.service  # noqa: F401  (its pages fill PAGES)
from gateway.console.framework import PAGES
from tests.support import page_checks

pytestmark = [pytest.mark.stack, pytest.mark.broker]

CONCIERGE = "lucie@maillage.test"
COORDINATOR = "coordination@maillage.test"


@pytest.fixture(scope="module", autouse=True)
def _axe_installed():
    if not page_checks.AXE.exists():
        pytest.fail(page_checks.AXE_MISSING)


def _check_as(stack, browsers, email: str) -> list:
    headers = stack.login(email)
    me = requests.get(stack.url("/api/me"), headers=headers, timeout=10).json()
    villages = requests.get(stack.url("/api/villages"), headers=headers, timeout=10).json()
    village = next((v for v in villages if v["id"] == me.get("village_id")), villages[0])
    browser = browsers()
    browser.log_in(email)
    paths = page_checks.html_pages(PAGES, (me["role"],))
    results, unreachable = page_checks.check_pages(
        browser.driver,
        stack.base_url,
        paths,
        {"village_id": village["id"], "slug": village["slug"]},
    )
    assert not unreachable, f"no page of the demo data links to {unreachable}"
    return results


@pytest.mark.parametrize("email", [CONCIERGE, COORDINATOR], ids=["concierge", "coordinator"])
def test_every_console_page_is_accessible_fits_768_px_and_weighs_under_150_kb(
    stack, browsers, email
):
    results = _check_as(stack, browsers, email)
    checked = {r.path for r in results}
    # the discovery found the pages this person works with, not an empty list
    assert "/console/villages/<village_id>/commandes/<order_id>" in checked
    if email == COORDINATOR:
        assert {"/console/coordination", "/console/coordination/rapport"} <= checked
    problems = [problem for r in results for problem in r.problems()]
    assert not problems, "\n".join(problems)
    assert all(r.weight > 0 for r in results)
