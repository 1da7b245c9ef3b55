"""Walk a signed-in console as a person clicking every link would: from a few pages, every
`/console/...` link found, GET only, once each. What the privacy tests read every page of."""

from __future__ import annotations

import re
from collections import deque
from html import unescape

import requests

from gateway.console.framework import PAGES

HREF = re.compile(r'href="(/console/[^"#]*)"')
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
# a live feed never ends, signing out ends the walk; the static files hold nobody's data
SKIPPED = re.compile(r"/flux$|/deconnexion|^/console/static/|^/console/connexion|mot-de-passe")


def page_pattern(path: str) -> re.Pattern:
    """The @page path as a regular expression on a real address."""
    pattern = re.escape(path)
    pattern = re.sub(r"<path:\w+>", ".+", pattern.replace(r"\<", "<").replace(r"\>", ">"))
    return re.compile("^" + re.sub(r"<(?:\w+:)?\w+>", "[^/?]+", pattern) + r"(\?.*)?$")


def crawl(session: requests.Session, base: str, start: list[str], limit: int = 400) -> dict:
    """Address -> response, of every console page reachable by links from `start`."""
    seen: dict[str, requests.Response] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        address = queue.popleft()
        if address in seen or SKIPPED.search(address.split("?")[0]):
            continue
        response = session.get(base + address, timeout=30, allow_redirects=False)
        seen[address] = response
        if "text/html" in response.headers.get("Content-Type", ""):
            for link in HREF.findall(response.text):
                link = unescape(link)
                if link not in seen:
                    queue.append(link)
    return seen


def get_pages_of(role: str) -> list:
    """Every GET page the role may open, public pages left out."""
    return [spec for spec in PAGES if "GET" in spec.methods and role in spec.roles]


def visited(spec, addresses) -> bool:
    pattern = page_pattern(spec.path)
    return any(pattern.match(address) for address in addresses)
