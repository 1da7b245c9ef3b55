"""Paginated lists through the API (issue 21; convention in gateway/paging.py and the README): the
body stays a list of at most `per_page` rows, `Link: <…>; rel="next"` leads to the rest (keeping
the other parameters), the pages together are the whole list, and a page number out of bounds is a
400 naming it."""

import pytest
import requests

from tests.support.network import COORDINATOR

pytestmark = [pytest.mark.stack, pytest.mark.broker]


def _links(answer) -> dict:
    return {
        link["rel"]: link["url"]
        for link in requests.utils.parse_header_links(answer.headers.get("Link", ""))
        if "rel" in link
    }


def test_a_list_walked_page_by_page_is_the_whole_list(stack):
    coordinator = stack.login(COORDINATOR)
    # the demo's counter has orders
    path = f"/api/villages/{stack.villages()['bourg-aux-chenes']}/orders?"
    everything = requests.get(stack.url(path + "per_page=200"), headers=coordinator, timeout=10)
    assert everything.status_code == 200 and "Link" not in everything.headers, everything.text
    expected = [row["id"] for row in everything.json()]
    assert len(expected) >= 2, f"the demo has at least two rows at {path}"

    walked, next_url = [], path + "per_page=1"
    while next_url:
        answer = requests.get(stack.url(next_url), headers=coordinator, timeout=10)
        assert answer.status_code == 200 and len(answer.json()) == 1, answer.text
        walked += [row["id"] for row in answer.json()]
        links = _links(answer)
        assert ("prev" in links) == (len(walked) > 1), "a way back past the first page"
        next_url = links.get("next")
    assert walked == expected


@pytest.mark.parametrize(
    "args, field",
    [("per_page=201", "per_page"), ("page=0", "page"), ("page=100000000000000000000", "page")],
)
def test_a_page_out_of_bounds_is_a_400_naming_it(stack, args, field):
    answer = requests.get(
        stack.url(f"/api/rounds?{args}"), headers=stack.login(COORDINATOR), timeout=10
    )
    assert answer.status_code == 400 and field in answer.json()["error"]["fields"], answer.text


def test_the_api_documents_the_page_parameters(stack):
    spec = requests.get(stack.url("/api/openapi.json"), timeout=10).json()
    names = {
        p["name"] for p in spec["paths"]["/api/villages/{village_id}/orders"]["get"]["parameters"]
    }
    assert {"page", "per_page"} <= names


def test_the_links_keep_the_other_parameters():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from gateway import paging

    request = Request(
        EnvironBuilder(
            path="/api/rounds", query_string="date=2026-12-03&page=2&per_page=2"
        ).get_environ()
    )
    page, window = paging.window_for(request)
    assert window == {"limit": 3, "offset": 2}
    rows, headers = paging.cut(request, page, [{"id": n} for n in range(3)])
    assert rows == [{"id": 0}, {"id": 1}]
    assert headers["Link"] == (
        '</api/rounds?date=2026-12-03&page=3&per_page=2>; rel="next", '
        '</api/rounds?date=2026-12-03&page=1&per_page=2>; rel="prev"'
    )
    assert paging.cut(request, page, [{"id": 0}])[1] == {
        "Link": '</api/rounds?date=2026-12-03&page=1&per_page=2>; rel="prev"'
    }
