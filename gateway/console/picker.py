"""Choosing an inhabitant in a form, whatever the village's size: the person is found by the
members service's search (a name in any accents and case, or a phone), never listed whole.

With JavaScript (static/picker.js) the field is a combobox asking `/choix-habitant?q=` as one
types; without it, its "Chercher" button sends the form back with what was typed
(`chercher=<picker id>`): the page then offers the people found as radio buttons, every other
answer of the form kept, and nothing is recorded until the form is sent with a person chosen.

    state = picker_state(self.members_rpc, ctx, "member_id")
    if state.searched: ...render the form again, its values kept...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backbone.errors import NotFound
from gateway.console.framework import CONCIERGE, page
from gateway.errors import json_response

V = "/console/villages/<village_id>"
MIN_LETTERS = 2
FOUND_AT_MOST = 20


@dataclass
class PickerState:
    """What a picker shows: the person chosen (id and name) or what was typed and who it found."""

    query: str = ""
    chosen_id: str = ""
    chosen_label: str = ""
    searched: bool = False
    found: list = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.chosen_label or self.query


def _search(members_rpc, village_id: str, query: str) -> list[dict]:
    if len(query.strip()) < MIN_LETTERS:
        return []
    return members_rpc.search_members(village_id, {"q": query, "limit": FOUND_AT_MOST})


def picker_state(members_rpc, ctx, name: str, pid: str | None = None) -> PickerState:
    """The picker `pid` (its id in the page, `name` by default) whose chosen id is the form field
    `name` and whose typed text is `<name>_q`. A search is made when its button was pressed, or
    when a text was typed that names nobody chosen (typed over a choice, or never chosen): the
    form is then shown again to choose, rather than recorded without the person meant."""
    pid = pid or name
    values = ctx.form if ctx.request.method == "POST" else ctx.args
    query = (values.get(f"{name}_q") or "").strip()
    chosen = (values.get(name) or "").strip()
    asked = values.get("chercher") == pid
    state = PickerState(query=query)
    if chosen and not asked:
        try:
            label = members_rpc.get_member(ctx.params["village_id"], chosen)["display_name"]
        except NotFound:
            label = None
        picked = values.get(f"{name}_found") == "1"  # a radio of the people found
        if label is not None and (picked or not query or query == label):
            state.chosen_id, state.chosen_label = chosen, label
            return state
    if asked or query:
        state.searched = True
        state.found = _search(members_rpc, ctx.params["village_id"], query)
    return state


def _choice(member: dict) -> dict:
    detail = member.get("phone_display") or ""
    return {"id": member["id"], "label": member["display_name"], "detail": detail}


class PickerPages:
    @page(V + "/choix-habitant", roles=CONCIERGE, village_scoped=True)
    def page_member_choices(self, ctx):
        """The picker's answer (JSON, asked with `Accept: application/json`): the village's
        inhabitants matching `q`, at most FOUND_AT_MOST; and, opened as a page, the same search
        as a plain form."""
        query = (ctx.args.get("q") or "").strip()
        found = _search(self.members_rpc, ctx.params["village_id"], query)
        if "application/json" in ctx.request.headers.get("Accept", ""):
            response = json_response([_choice(m) for m in found])
            response.headers["Cache-Control"] = "no-store"
            return response
        return ctx.render("member_choices.html", query=query, found=found, min_letters=MIN_LETTERS)
