"""The concierge console of one village: today, inhabitants and their consents, volunteers,
suggestions (the animations are gateway/console/animations.py). Every page is
village-scoped (framework.page): the service is given this village only, so anything of another
village is "not found"."""

from __future__ import annotations

from datetime import datetime

from backbone.clock import PARIS, paris_today
from backbone.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from gateway.console.framework import (
    CONCIERGE,
    STAFF,
    error_page,
    filled,
    form_errors,
    page,
    redirect,
    refusal,
)
from gateway.console.people import member_form_values
from gateway.console.picker import PickerState, picker_state
from services.events.schemas import CATEGORY_LABELS, SUGGESTION_STATUS_LABELS
from services.members.schemas.people import CHANNELS, CONSENT_PURPOSES, TAGS

V = "/console/villages/<village_id>"
SUGGESTION_NEXT = {
    "new": ["under_study", "declined"],
    "under_study": ["planned", "declined"],
    "planned": ["done", "declined"],
    "done": [],
    "declined": [],
}


def _local_day(iso: str):
    return datetime.fromisoformat(iso).astimezone(PARIS).date()


class ConciergePages:
    def _console_nav(self, ctx) -> dict:
        village_id = ctx.params.get("village_id") or ctx.principal.village_id
        nav = {"village_id": village_id, "village_name": None, "path": ctx.request.path}
        if village_id:
            try:
                nav["village_name"] = self.members_rpc.get_village(village_id)["name"]
            except NotFound:
                nav["village_id"] = None
            except ServiceUnavailable:  # the page itself says so if it needs the members service
                pass
        return nav

    def _village_url(self, ctx, tail: str) -> str:
        return f"/console/villages/{ctx.params['village_id']}/{tail}"

    # --- today -----------------------------------------------------------------------------

    @page(V + "/aujourdhui", roles=STAFF, village_scoped=True)
    def page_today(self, ctx):
        village_id = ctx.params["village_id"]
        today = paris_today()
        village = self.members_rpc.get_village(village_id)
        opening = self.members_rpc.opening_status(village_id)
        animations = [
            a
            for a in self.events_rpc.list_animations(village_id, False)
            if _local_day(a["starts_at"]) == today and a["status"] != "cancelled"
        ]
        suggestions = self.events_rpc.list_suggestions(village_id, {"status": "new"})
        try:
            counter, counter_down = self._counter_today(village_id, today), None
        except ServiceUnavailable as exc:  # the rest of the day is still worth showing
            counter, counter_down = None, exc.service
        return ctx.render(
            "today.html",
            village=village,
            opening=opening,
            animations=animations,
            suggestions=suggestions,
            counter=counter,
            counter_down=counter_down,
            today=today,
        )

    def _counter_today(self, village_id, today):
        """Orders, parcels, rounds and help requests of the day, when the
        orders service has them."""
        counter = getattr(self, "_console_counter", None)
        return counter(village_id, today) if counter else None

    # --- inhabitants -----------------------------------------------------------------------

    @page(V + "/habitants", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_members(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = {
                k: ctx.form.get(k, "").strip()
                for k in (
                    "first_name",
                    "last_name",
                    "phone",
                    "email",
                    "address",
                    "preferred_channel",
                )
            }
            data = filled(values)
            data.update(
                village_id=village_id,
                tags=ctx.form.getlist("tags"),
                consents=ctx.form.getlist("consents"),
                confirm_duplicate=ctx.form.get("confirm_duplicate") == "1",
            )
            try:
                member = self.members_rpc.register_member(data)
                return redirect(self._village_url(ctx, f"habitants/{member['id']}?nouveau=1"))
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        query = (ctx.args.get("q") or "").strip()
        found = self.members_rpc.search_members(village_id, {"q": query, "limit": 50})
        return ctx.render(
            "members.html",
            query=query,
            found=found,
            errors=errors,
            values=values,
            tags=TAGS,
            channels=CHANNELS,
            purposes=CONSENT_PURPOSES,
            erased=ctx.args.get("efface") == "1",
            status=400 if errors else 200,
        )

    @page(V + "/habitants/<member_id>", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_member(self, ctx):
        village_id, member_id = ctx.params["village_id"], ctx.params["member_id"]
        errors, values = {}, None
        if ctx.request.method == "POST" and ctx.form.get("action") == "edit":
            errors, values = self._edit_member(ctx)  # people.PeoplePages
            if not errors:
                return redirect(self._village_url(ctx, f"habitants/{member_id}?enregistre=1"))
        elif ctx.request.method == "POST":
            purpose = ctx.form.get("purpose", "")
            try:
                if ctx.form.get("action") == "withdraw":
                    self.members_rpc.withdraw_consent(village_id, member_id, {"purpose": purpose})
                else:
                    self.members_rpc.give_consent(village_id, member_id, {"purpose": purpose})
                return redirect(self._village_url(ctx, f"habitants/{member_id}"))
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        member = self.members_rpc.get_member(village_id, member_id)
        current = {c["purpose"] for c in member["consents"] if not c.get("withdrawn_at")}
        volunteer = self._volunteer_of(village_id, member_id)  # people.PeoplePages
        if values is None:  # the form shows the record; after an error, what was typed
            values = member_form_values(member)
        return ctx.render(
            "member.html",
            member=member,
            purposes=CONSENT_PURPOSES,
            current=current,
            tags=TAGS,
            channels=CHANNELS,
            errors=errors,
            edit_errors=errors if ctx.form.get("action") == "edit" else {},
            values=values,
            volunteer=volunteer,
            created=ctx.args.get("nouveau") == "1",
            saved=ctx.args.get("enregistre") == "1",
            status=400 if errors else 200,
        )

    # --- volunteers ------------------------------------------------------------------------

    @page(V + "/benevoles", roles=STAFF, village_scoped=True)
    def page_volunteers(self, ctx):
        """The coordinator gets the figures only: how many inhabitants and volunteers, and the
        skills map; never a name (the API's rule)."""
        village_id = ctx.params["village_id"]
        volunteers = self.members_rpc.list_volunteers(ctx.here, {})
        skills = self.members_rpc.skills_map(village_id)
        if ctx.principal.role == "coordinator":
            stats = self.members_rpc.member_stats([village_id])
            return ctx.render(
                "volunteers.html",
                figures_only=True,
                volunteer_count=len(volunteers),
                inhabitants=stats["by_village"].get(village_id, 0),
                by_tag=stats["by_village_and_tag"].get(village_id, {}),
                tags=TAGS,
                skills_map=skills,
            )
        return ctx.render("volunteers.html", volunteers=volunteers, skills_map=skills)

    # --- suggestions -----------------------------------------------------------------------

    @page(V + "/suggestions", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_suggestions(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values, error_for = {}, {}, None
        action = ctx.form.get("action") if ctx.request.method == "POST" else None
        suggestion_id = ctx.form.get("suggestion_id", "")
        if action in ("create", "support") and ctx.principal.role == "coordinator":
            # on someone's behalf: the concierge's, who knows her inhabitants
            return error_page(403, "Accès refusé", refusal(CONCIERGE), ctx.principal)
        author = picker_state(self.members_rpc, ctx, "member_id") if action == "create" else None
        supporter = (
            picker_state(self.members_rpc, ctx, "member_id", f"sup-{suggestion_id}")
            if action == "support"
            else None
        )
        choosing = (author or supporter or PickerState()).searched
        if action and choosing:  # a person to choose first: nothing recorded yet
            error_for = suggestion_id if supporter else "new"
            values = {
                "category": ctx.form.get("category", ""),
                "text": ctx.form.get("text", "").strip(),
            }
        elif action:
            try:
                if action == "create":
                    values = {
                        "category": ctx.form.get("category", ""),
                        "text": ctx.form.get("text", "").strip(),
                    }
                    self.events_rpc.create_suggestion(
                        village_id, filled({**values, "member_id": author.chosen_id})
                    )
                elif action == "support":
                    self.events_rpc.support_suggestion(
                        suggestion_id, {"member_id": supporter.chosen_id}, ctx.here
                    )
                elif action == "answer":
                    self.events_rpc.change_suggestion_status(
                        suggestion_id,
                        {
                            "status": ctx.form.get("status", ""),
                            "reason": ctx.form.get("reason", "").strip() or None,
                        },
                        ctx.here,
                    )
                return redirect(self._village_url(ctx, "suggestions"))
            except (InvalidInput, Conflict) as exc:
                errors, error_for = form_errors(exc), suggestion_id or "new"
        suggestions = self.events_rpc.list_suggestions(village_id, {})
        return ctx.render(
            "suggestions.html",
            suggestions=suggestions,
            categories=CATEGORY_LABELS,
            status_labels=SUGGESTION_STATUS_LABELS,
            next_status=SUGGESTION_NEXT,
            author=author or PickerState(),
            supporter=supporter or PickerState(),
            blank=PickerState(),
            errors=errors,
            error_for=error_for,
            values=values,
            status=400 if errors else 200,
        )
