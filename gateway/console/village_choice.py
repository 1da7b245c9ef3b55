"""Choosing villages in the coordinator's forms at national scale: a thousand checkboxes would make
the page weigh hundreds of KB, so beyond a short network the server lists only the ticked villages
and those whose name holds what was searched (accents and case aside)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# up to this many villages every one is listed (filter.js adds its box in the browser past twelve)
LIST_ALL_UP_TO = 30
# villages a search shows at most; a wider search says to type more
SEARCH_SHOWN = 15


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


@dataclass
class VillageChoice:
    search: bool  # the network is long: a search field instead of every village
    query: str
    shown: list[dict]  # the villages listed, ticked ones first
    matches: int  # villages the query found (0 without a query)
    total: int

    @property
    def note(self) -> str:
        if not self.search:
            return ""
        if not self.query:
            return f"Cherchez parmi les {self.total} villages par une partie de leur nom."
        if not self.matches:
            return f"Aucun village ne contient « {self.query} »."
        if self.matches > SEARCH_SHOWN:
            return (
                f"{self.matches} villages contiennent « {self.query} » : les {SEARCH_SHOWN} "
                "premiers sont listés, précisez la recherche pour les autres."
            )
        return ""


def choose(every: list[dict], wanted: list[str], query: str) -> VillageChoice:
    query = (query or "").strip()[:80]
    if len(every) <= LIST_ALL_UP_TO:
        return VillageChoice(False, query, every, 0, len(every))
    ticked = set(wanted)
    shown = [v for v in every if v["id"] in ticked]
    found = []
    if query:
        needle = plain(query)
        found = [v for v in every if needle in plain(v["name"]) and v["id"] not in ticked]
    return VillageChoice(True, query, shown + found[:SEARCH_SHOWN], len(found), len(every))
