"""The concierge console of one village: today, inhabitants and their consents, volunteers,
animations (calendar, registrations, waiting list, attendance), suggestions. Every page is
village-scoped (framework.page): the service is given this village only, so anything of another
village is "not found"."""

from __future__ import annotations

from datetime import date, datetime, time

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from gateway.console.form_values import whole_number
from gateway.console.framework import STAFF, filled, form_errors, page, redirect
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


def _today():
    return utcnow().astimezone(PARIS).date()


def _local_day(iso: str):
    return datetime.fromisoformat(iso).astimezone(PARIS).date()


def _aware(day: str, clock: str) -> str | None:
    """A date and a wall-clock time in Europe/Paris as an aware ISO datetime
    (None when unreadable)."""
    try:
        return datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock), PARIS
        ).isoformat()
    except ValueError:
        return None


def _number(raw: str):
    value = whole_number(raw)
    return None if value == "" else value


def _attendance(form) -> dict:
    """The people ticked present (and walk-ins), or a head count when nobody is ticked."""
    present = form.getlist("present")
    if present or not (form.get("people_reached") or "").strip():
        return {"present": present, "walk_ins": _number(form.get("walk_ins")) or 0}
    return {"people_reached": _number(form.get("people_reached"))}


def _here(ctx) -> list[str]:
    return [ctx.params["village_id"]]


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
        today = _today()
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

    @page(V + "/habitants", methods="GET,POST", roles=STAFF, village_scoped=True)
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
            status=400 if errors else 200,
        )

    @page(V + "/habitants/<member_id>", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_member(self, ctx):
        village_id, member_id = ctx.params["village_id"], ctx.params["member_id"]
        errors = {}
        if ctx.request.method == "POST":
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
        return ctx.render(
            "member.html",
            member=member,
            purposes=CONSENT_PURPOSES,
            current=current,
            tags=TAGS,
            channels=CHANNELS,
            errors=errors,
            created=ctx.args.get("nouveau") == "1",
            status=400 if errors else 200,
        )

    # --- volunteers ------------------------------------------------------------------------

    @page(V + "/benevoles", roles=STAFF, village_scoped=True)
    def page_volunteers(self, ctx):
        village_id = ctx.params["village_id"]
        volunteers = self.members_rpc.list_volunteers(_here(ctx), {})
        skills = self.members_rpc.skills_map(village_id)
        return ctx.render("volunteers.html", volunteers=volunteers, skills_map=skills)

    # --- animations ------------------------------------------------------------------------

    @page(V + "/animations", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_animations(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = {
                k: ctx.form.get(k, "").strip()
                for k in ("kind", "title", "place", "day", "start", "end", "capacity")
            }
            data = filled(
                {
                    "kind": values["kind"],
                    "title": values["title"],
                    "place": values["place"],
                    "starts_at": _aware(values["day"], values["start"]) or values["start"],
                    "ends_at": _aware(values["day"], values["end"]) or values["end"],
                    "capacity": _number(values["capacity"]),
                }
            )
            try:
                animation = self.events_rpc.create_animation(village_id, data)
                return redirect(self._village_url(ctx, f"animations/{animation['id']}"))
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
                for source, target in (("starts_at", "start"), ("ends_at", "end")):
                    if source in errors:
                        errors[target] = errors[source]
        past = ctx.args.get("passees") == "1"
        animations = self.events_rpc.list_animations(village_id, past)
        animations.sort(key=lambda a: a["starts_at"], reverse=past)
        return ctx.render(
            "animations.html",
            animations=animations,
            past=past,
            kinds=self.events_rpc.animation_kinds(),
            errors=errors,
            values=values,
            today=_today(),
            status=400 if errors else 200,
        )

    @page(V + "/animations/<animation_id>", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_animation(self, ctx):
        animation_id = ctx.params["animation_id"]
        errors = {}
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            try:
                if action == "register":
                    data = {"member_id": ctx.form.get("member_id") or None}
                    if not data["member_id"]:
                        data = {
                            "guest_name": ctx.form.get("guest_name", "").strip() or None,
                            "guest_phone": ctx.form.get("guest_phone", "").strip() or None,
                        }
                    self.events_rpc.register(animation_id, data, _here(ctx))
                elif action == "unregister":
                    self.events_rpc.cancel_registration(
                        animation_id, ctx.form.get("registration_id", ""), _here(ctx)
                    )
                elif action == "attendance":
                    self.events_rpc.take_attendance(animation_id, _attendance(ctx.form), _here(ctx))
                return redirect(self._village_url(ctx, f"animations/{animation_id}"))
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        animation = self.events_rpc.get_animation(animation_id, _here(ctx))
        query = (ctx.args.get("q") or "").strip()
        found = (
            self.members_rpc.search_members(ctx.params["village_id"], {"q": query, "limit": 10})
            if query
            else []
        )
        return ctx.render(
            "animation.html",
            animation=animation,
            errors=errors,
            query=query,
            found=found,
            held=animation["status"] == "held",
            status=400 if errors else 200,
        )

    # --- suggestions -----------------------------------------------------------------------

    @page(V + "/suggestions", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_suggestions(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values, error_for = {}, {}, None
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            suggestion_id = ctx.form.get("suggestion_id", "")
            try:
                if action == "create":
                    values = {
                        "category": ctx.form.get("category", ""),
                        "text": ctx.form.get("text", "").strip(),
                    }
                    self.events_rpc.create_suggestion(
                        village_id, filled({**values, "member_id": ctx.form.get("member_id")})
                    )
                elif action == "support":
                    self.events_rpc.support_suggestion(
                        suggestion_id, {"member_id": ctx.form.get("member_id", "")}, _here(ctx)
                    )
                elif action == "answer":
                    self.events_rpc.change_suggestion_status(
                        suggestion_id,
                        {
                            "status": ctx.form.get("status", ""),
                            "reason": ctx.form.get("reason", "").strip() or None,
                        },
                        _here(ctx),
                    )
                return redirect(self._village_url(ctx, "suggestions"))
            except (InvalidInput, Conflict) as exc:
                errors, error_for = form_errors(exc), suggestion_id or "new"
        suggestions = self.events_rpc.list_suggestions(village_id, {})
        members = self.members_rpc.search_members(village_id, {"q": "", "limit": 200})
        return ctx.render(
            "suggestions.html",
            suggestions=suggestions,
            categories=CATEGORY_LABELS,
            status_labels=SUGGESTION_STATUS_LABELS,
            next_status=SUGGESTION_NEXT,
            members=members,
            errors=errors,
            error_for=error_for,
            values=values,
            status=400 if errors else 200,
        )
