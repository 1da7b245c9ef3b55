"""The README's « Pages de la console » table is the newcomer's map of the consoles (issue 24
point 5): every page a person opens (each @page and @public GET of gateway/console) has its row,
and every row names a page that exists. Path values are compared by position only (`<village>` in
the README is `<village_id>` in the code); `{a,b}` in an address stands for each of its choices
and `[?…]` for an optional query."""

import itertools
import re
from pathlib import Path

from gateway.console.framework import PAGES
from gateway.service import GatewayService  # noqa: F401  (imports every page module)

README = Path(__file__).resolve().parents[2] / "README.md"
# not pages one reads: files (the installable console's manifest and worker too), the catch-all
# "not found", the bare redirect, the sign-out button
NOT_PAGES = {
    "/console/static/<>",
    "/console/<>",
    "/console",
    "/console/deconnexion",
    "/console/manifest.webmanifest",
    "/console/sw.js",
}


def _shape(path: str) -> str:
    return re.sub(r"<[^>]*>", "<>", path.split("[")[0].split("?")[0])


def _expanded(address: str) -> list[str]:
    parts = re.split(r"\{([^}]*)\}", address)
    choices = [[part] if i % 2 == 0 else part.split(",") for i, part in enumerate(parts)]
    return ["".join(combination) for combination in itertools.product(*choices)]


def _readme_addresses() -> set[str]:
    text = README.read_text()
    table = text.split("## Pages de la console", 1)[1].split("\n## ", 1)[0]
    addresses = set()
    for row in table.splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[-1].startswith("`"):
            for address in re.findall(r"`([^`]+)`", cells[-1]):
                addresses.update(_shape(a) for a in _expanded(address))
    return addresses


def _console_pages() -> set[str]:
    return {
        _shape(page.path)
        for page in PAGES
        if "GET" in page.methods and _shape(page.path) not in NOT_PAGES
    }


def test_every_console_page_has_its_row_in_the_readme():
    missing = sorted(_console_pages() - _readme_addresses())
    assert not missing, f"add these pages to README.md's « Pages de la console »: {missing}"


def test_every_row_of_the_readme_names_a_page_that_exists():
    unknown = sorted(_readme_addresses() - _console_pages())
    assert not unknown, f"« Pages de la console » names pages that do not exist: {unknown}"
