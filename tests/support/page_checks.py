"""Checks run on every console page in a real browser (tests/browser/test_accessibility.py and
bench/console_weight.py): axe-core's serious and critical violations, the width the page needs at
768 px and at 1024×768, and what its first load transfers.

The pages are those of gateway.console.framework.PAGES that a person opens (GET, HTML): a page added
later is checked without anyone listing it. Path parameters other than the village are filled from
the links of the pages already opened (an order's page from the orders list...), as a person reaches
them: a page no other page links to is reported as unreachable rather than skipped."""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = (
    "node_modules/axe-core is missing: run `npm ci --ignore-scripts` at the top of the repository "
    "(tests/services_up.sh does it when npm is there)"
)
BLOCKING = ("serious", "critical")
WEIGHT_LIMIT = 150 * 1024  # bytes a page's first load may transfer (issue #24)
NARROW = 768

# what is not a page a person reads: files (a CSV, a PDF, the stylesheets), the live feeds
# (server-sent events never end), the catch-all 404 and the sign-out (POST only)
NOT_HTML = re.compile(r"\.[a-z]+$|/flux$|<path:")


def html_pages(pages, roles: tuple[str, ...]) -> list[str]:
    """The GET pages' paths that one of `roles` may open (a public page: any), in PAGES' order."""
    paths = []
    for spec in pages:
        if "GET" not in spec.methods or NOT_HTML.search(spec.path):
            continue
        if spec.roles and not set(spec.roles) & set(roles):
            continue
        paths.append(spec.path)
    return paths


def _pattern(path: str) -> re.Pattern:
    parts = re.split(r"(<[^>]+>)", path)
    return re.compile(
        "^" + "".join("([^/?#]+)" if p.startswith("<") else re.escape(p) for p in parts) + "$"
    )


@dataclass
class PageResult:
    path: str  # the pattern, as PAGES names it
    url: str
    violations: list = field(default_factory=list)  # (rule id, impact, help, first target)
    narrow_width: int = 0  # document.documentElement.scrollWidth at 768 px wide
    wide_width: int = 0  # and at 1024×768
    weight: int = 0  # bytes transferred by the first load (HTML, CSS, JS, images)
    resources: dict = field(default_factory=dict)  # url -> bytes

    def problems(self) -> list[str]:
        out = [
            f"{self.url}: axe {rule} ({impact}) {help_} — {target}"
            for rule, impact, help_, target in self.violations
        ]
        if self.narrow_width > NARROW:
            out.append(f"{self.url}: {self.narrow_width} px wide at {NARROW} px")
        if self.wide_width > 1024:
            out.append(f"{self.url}: {self.wide_width} px wide at 1024 px")
        if self.weight > WEIGHT_LIMIT:
            out.append(f"{self.url}: first load {self.weight} bytes > {WEIGHT_LIMIT}")
        return out


# the first load's bytes: the document and every resource it fetched, as transferred (a resource
# the browser kept from an earlier page counts its encoded body, as on a first visit)
WEIGHT_SCRIPT = """
const entries = performance.getEntriesByType('navigation').concat(
  performance.getEntriesByType('resource'));
return entries.map(e => [e.name, Math.max(e.transferSize || 0, e.encodedBodySize || 0)]);
"""

AXE_SCRIPT = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  r => done(JSON.stringify(r.violations.map(v => [v.id, v.impact, v.help,
    v.nodes.length ? v.nodes[0].target.join(' ') : '']))),
  e => done(JSON.stringify([['axe-error', 'critical', String(e), '']])));
"""


def resize(driver, width: int, height: int, timeout: float = 10) -> None:
    """The window at `width` × `height`, once the page itself is that wide: the driver answers
    before the page has its new size, and a width read at once on a loaded machine may still be the
    former one (a page measured at 1024 px as if it were at 768)."""
    driver.set_window_size(width, height)
    deadline = time.monotonic() + timeout
    while driver.execute_script("return window.innerWidth") != width:
        if time.monotonic() > deadline:
            raise AssertionError(f"the page never became {width} px wide")
        time.sleep(0.05)


def check_page(driver, base_url: str, url: str, path: str, axe_source: str | None) -> PageResult:
    result = PageResult(path, url)
    resize(driver, 1024, 768)
    # a load of its own, so that the Performance API sees this page's first load: opening the
    # address the browser is already on would be a reload (what it fetched then is not counted)
    if driver.current_url == base_url + url:
        driver.get("about:blank")
    driver.get(base_url + url)
    driver.execute_script("return document.readyState")
    result.resources = dict(driver.execute_script(WEIGHT_SCRIPT))
    result.weight = sum(result.resources.values())
    result.wide_width = driver.execute_script("return document.documentElement.scrollWidth")
    if axe_source:
        _with_axe(driver, axe_source)
        driver.set_script_timeout(60)
        found = json.loads(driver.execute_async_script(AXE_SCRIPT))
        result.violations = [tuple(v) for v in found if v[1] in BLOCKING]
    resize(driver, NARROW, 768)
    result.narrow_width = driver.execute_script("return document.documentElement.scrollWidth")
    resize(driver, 1024, 768)
    return result


def _with_axe(driver, axe_source: str) -> None:
    """axe-core in the page: already there inside `_axe_in_each_document`, else sent through the
    driver."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source)


@contextlib.contextmanager
def _axe_in_each_document(driver, axe_source: str | None):
    """While it lasts, Chromium runs axe-core in every document it opens (DevTools'
    Page.addScriptToEvaluateOnNewDocument) instead of ~640 KB sent through the driver and compiled
    for each page; removed after, so that the browser's next tests open their pages as they are."""
    if not axe_source or not hasattr(driver, "execute_cdp_cmd"):
        yield
        return
    added = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": axe_source})
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", added)


def links_of(driver) -> list[str]:
    # links, and the forms that open a page (a GET form, or a button leading to a confirmation)
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.pathname).concat("
        "Array.from(document.querySelectorAll('form[action]')).map("
        "f => new URL(f.getAttribute('action'), location.href).pathname))"
    )
    return [h for h in hrefs if h]


def check_pages(
    driver, base_url: str, paths: list[str], known: dict[str, str], axe: bool = True
) -> tuple:
    """Open every page of `paths` whose parameters `known` fills (e.g. village_id, slug), then
    those whose parameters the links met so far fill, until none is left that a link reaches.
    Answers (results, unreachable paths). `axe=False`: widths and weight only (a benchmark)."""
    axe_source = AXE.read_text() if axe else None
    with _axe_in_each_document(driver, axe_source):
        return _check_reachable(driver, base_url, paths, known, axe_source)


def _check_reachable(driver, base_url: str, paths: list[str], known: dict, axe_source) -> tuple:
    seen_links: list[str] = []
    results, pending = [], list(paths)
    while pending:
        progress = False
        for path in list(pending):
            url = _fill(path, known, seen_links)
            if url is None:
                continue
            pending.remove(path)
            progress = True
            results.append(check_page(driver, base_url, url, path, axe_source))
            seen_links += links_of(driver)
        if not progress:
            break
    return results, pending


def _fill(path: str, known: dict[str, str], links: list[str]) -> str | None:
    filled = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: known.get(m.group(1), m.group(0)), path)
    if "<" not in filled:
        return filled
    pattern = _pattern(filled)
    return next((link for link in links if pattern.match(link)), None)
