"""The animations of a village's console: the calendar; setting one up with everything the events
service takes (co-organising partners, invited villages, volunteer roles, a weekly or monthly
recurrence); an animation's registrations, waiting list, attendance and number of places; its
cancellation behind a confirmation page. Only the host village changes an animation (the service
answers 409 to an invited one): an invited village's page shows it without those forms. The rules
stay the service's: the form sends what was typed, the errors come back beside their field."""

from __future__ import annotations

from urllib.parse import urlencode

from backbone.clock import paris_today
from backbone.errors import Conflict, InvalidInput
from gateway.console.form_values import aware, clock, whole_number
from gateway.console.framework import STAFF, filled, form_errors, page, redirect

V = "/console/villages/<village_id>"
ROLE_ROWS = 4  # rows of volunteer roles the form offers; blank ones are left out
FREQUENCIES = {"weekly": "Chaque semaine", "monthly": "Chaque mois"}
PROMOTED_SHOWN = 100  # registrations named after a change of places (a URL stays short)
TEXT_FIELDS = (
    "kind",
    "title",
    "place",
    "day",
    "start",
    "end_day",
    "end",
    "capacity",
    "frequency",
    "count",
    "until",
)


def _number(raw: str):
    value = whole_number(raw)
    return None if value == "" else value


def _text(messages) -> str:
    return form_errors(InvalidInput({"f": messages}, {"f": messages}))["f"]


def _animation_form(form) -> tuple[dict, dict, list[int]]:
    """(what was typed, the data for `create_animation`, the form row of each role sent)."""
    values = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    values["co_organiser_ids"] = form.getlist("co_organiser_ids")
    values["invited_village_ids"] = form.getlist("invited_village_ids")
    roles, rows = [], []
    for row in range(ROLE_ROWS):
        name = values[f"role-{row}-name"] = form.get(f"role-{row}-name", "").strip()
        needed = values[f"role-{row}-needed"] = form.get(f"role-{row}-needed", "").strip()
        if name or needed:
            roles.append(filled({"role": name, "needed": _number(needed)}))
            rows.append(row)
    data = filled(
        {
            "kind": values["kind"],
            "title": values["title"],
            "place": values["place"],
            "starts_at": aware(values["day"], clock(values["start"])) or values["start"],
            "ends_at": aware(values["end_day"] or values["day"], clock(values["end"]))
            or values["end"],
            "capacity": _number(values["capacity"]),
        }
    )
    data.update(
        co_organiser_ids=values["co_organiser_ids"],
        invited_village_ids=values["invited_village_ids"],
        roles=roles,
    )
    recurrence = filled(
        {
            "frequency": values["frequency"],
            "count": _number(values["count"]),
            "until": values["until"],
        }
    )
    if recurrence:  # a number of times typed without a frequency is asked for its frequency
        data["recurrence"] = recurrence
    return values, data, rows


def _animation_errors(exc, rows: list[int]) -> dict:
    """The service's errors beside the form's fields: a role's beside its row, a recurrence's
    beside its frequency, end date or number of times."""
    errors = form_errors(exc)
    for source, target in (("starts_at", "start"), ("ends_at", "end")):
        if source in errors:
            errors[target] = errors.pop(source)
    if not isinstance(exc, InvalidInput) or not isinstance(exc.errors_fr, dict):
        return errors
    roles = exc.errors_fr.get("roles")
    if isinstance(roles, dict):
        errors.pop("roles")
        for index, problem in roles.items():
            if not (str(index).isdigit() and int(index) < len(rows)):
                continue
            row = rows[int(index)]
            if not isinstance(problem, dict):
                errors[f"role-{row}-name"] = _text(problem)
                continue
            for key, target in (("role", "name"), ("needed", "needed")):
                if key in problem:
                    errors[f"role-{row}-{target}"] = _text(problem[key])
    recurrence = exc.errors_fr.get("recurrence")
    if isinstance(recurrence, dict):
        errors.pop("recurrence")
        for key in ("frequency", "count", "until"):
            if key in recurrence:
                errors[key] = _text(recurrence[key])
    elif recurrence:
        errors["frequency"] = errors.pop("recurrence")
    return errors


def _attendance(form) -> dict:
    """The people ticked present (and walk-ins), or a head count when nobody is ticked."""
    present = form.getlist("present")
    if present or not (form.get("people_reached") or "").strip():
        return {"present": present, "walk_ins": _number(form.get("walk_ins")) or 0}
    return {"people_reached": _number(form.get("people_reached"))}


def _promoted(before: dict, after: dict) -> list[str]:
    """The registrations that were waiting before and have a place now."""
    waiting = {r["id"] for r in before["registrations"] if r["status"] == "waiting"}
    return [
        r["id"]
        for r in after["registrations"]
        if r["id"] in waiting and r["status"] == "registered"
    ]


def _places_change(raw: str | None) -> tuple[int, int] | None:
    """`?places=2-4` (the number of places before and after a change), when readable."""
    before, _, after = (raw or "").partition("-")
    if before.isascii() and before.isdigit() and after.isascii() and after.isdigit():
        return int(before), int(after)
    return None


def _who(registration: dict, village_id: str) -> str:
    """The person as this page may name them: another hub's registrations come without names."""
    name = registration.get("display_name") or registration.get("guest_name")
    if name:
        return name
    if registration.get("village_id") != village_id:
        return "Inscrite par un village invité"
    return "Habitant·e" if registration.get("member_id") else "Personne invitée"


def _without_people(animation: dict) -> dict:
    """The coordinator's view: who registered, never their names or phones."""
    hidden = dict.fromkeys(("display_name", "guest_name", "guest_phone"))
    return {**animation, "registrations": [{**r, **hidden} for r in animation["registrations"]]}


class AnimationPages:
    def _animation_url(self, ctx, animation_id: str, tail: str = "", **query) -> str:
        url = f"/console/villages/{ctx.params['village_id']}/animations/{animation_id}{tail}"
        return url + ("?" + urlencode(query) if query else "")

    def _animation_form_choices(self, village_id: str) -> dict:
        """The partners that may co-organise (those serving the village, as the events service
        knows them) and the villages that may be invited (a closed village left out)."""
        villages = [
            v
            for v in self.events_rpc.known_villages()
            if v["id"] != village_id and v.get("status") != "closed"
        ]
        return {
            "kinds": self.events_rpc.animation_kinds(),
            "partners": self.events_rpc.known_partners(village_id),
            "villages": villages,
            "frequencies": FREQUENCIES,
            "role_rows": range(ROLE_ROWS),
        }

    @page(V + "/animations", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_animations(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values, data, rows = _animation_form(ctx.form)
            try:
                animation = self.events_rpc.create_animation(village_id, data)
                made = len(animation.get("occurrences") or []) or 1
                return redirect(self._animation_url(ctx, animation["id"], programmees=made))
            except (InvalidInput, Conflict) as exc:
                errors = _animation_errors(exc, rows)
        past = ctx.args.get("passees") == "1"
        animations = self.events_rpc.list_animations(village_id, past)
        animations.sort(key=lambda a: a["starts_at"], reverse=past)
        return ctx.render(
            "animations.html",
            animations=animations,
            past=past,
            errors=errors,
            values=values,
            today=paris_today(),
            status=400 if errors else 200,
            **self._animation_form_choices(village_id),
        )

    @page(V + "/animations/<animation_id>", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_animation(self, ctx):
        village_id, animation_id = ctx.params["village_id"], ctx.params["animation_id"]
        errors, capacity_typed = {}, None
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
                    self.events_rpc.register(animation_id, data, ctx.here)
                elif action == "unregister":
                    self.events_rpc.cancel_registration(
                        animation_id, ctx.form.get("registration_id", ""), ctx.here
                    )
                elif action == "attendance":
                    self.events_rpc.take_attendance(animation_id, _attendance(ctx.form), ctx.here)
                elif action == "capacity":
                    capacity_typed = ctx.form.get("capacity", "").strip()
                    return self._change_capacity(ctx, animation_id, capacity_typed)
                return redirect(self._animation_url(ctx, animation_id))
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        animation = self.events_rpc.get_animation(animation_id, ctx.here)
        coordinator = ctx.principal.role == "coordinator"
        if coordinator:
            animation = _without_people(animation)
        query = (ctx.args.get("q") or "").strip()
        found = (
            self.members_rpc.search_members(village_id, {"q": query, "limit": 10})
            if query and not coordinator
            else []
        )
        host = animation["village_id"] == village_id
        by_id = {r["id"]: r for r in animation["registrations"]}
        promoted_ids = [i for i in (ctx.args.get("promus") or "").split(",") if i in by_id]
        return ctx.render(
            "animation.html",
            animation=animation,
            errors=errors,
            query=query,
            found=found,
            held=animation["status"] == "held",
            host=host,
            capacity_typed=capacity_typed,
            capacity_changed=_places_change(ctx.args.get("places")),
            promoted=[by_id[i] for i in promoted_ids],
            promoted_count=_number(ctx.args.get("montees") or "") or 0,
            programmed=_number(ctx.args.get("programmees") or ""),
            guests_to_call=(
                self.events_rpc.guests_to_call(animation_id, ctx.here)
                if animation["status"] == "cancelled" and not coordinator
                else []
            ),
            coordinator=coordinator,
            who=lambda registration: _who(registration, village_id),
            status=400 if errors else 200,
            **self._animation_names(animation, host),
        )

    def _change_capacity(self, ctx, animation_id: str, typed: str):
        """The new number of places; back on the page with who moved up from the waiting list."""
        before = self.events_rpc.get_animation(animation_id, ctx.here)
        after = self.events_rpc.change_capacity(
            animation_id, filled({"capacity": _number(typed)}), ctx.here
        )
        promoted = _promoted(before, after)
        return redirect(
            self._animation_url(
                ctx,
                animation_id,
                places=f"{before['capacity']}-{after['capacity']}",
                montees=len(promoted),
                promus=",".join(promoted[:PROMOTED_SHOWN]),
            )
        )

    def _animation_names(self, animation: dict, host: bool) -> dict:
        """The names of its co-organisers, invited villages and host, when it has some."""
        names = {"partner_names": {}, "village_names": {}}
        if animation["co_organiser_ids"]:
            # those whose partnership ended since are named too, and said so
            names["partner_names"] = {
                p["id"]: p["name"] + (" (partenariat terminé)" if p.get("ended_at") else "")
                for p in self.events_rpc.known_partners(None, True)
            }
        if animation["invited_village_ids"] or not host:
            names["village_names"] = {v["id"]: v["name"] for v in self.events_rpc.known_villages()}
        return names

    @page(
        V + "/animations/<animation_id>/annulation",
        methods="GET,POST",
        roles=STAFF,
        village_scoped=True,
    )
    def page_animation_cancel(self, ctx):
        """Cancelling cannot be undone: this page says who will be told, and asks to confirm."""
        animation_id = ctx.params["animation_id"]
        errors, reason = {}, ""
        if ctx.request.method == "POST":
            reason = ctx.form.get("reason", "").strip()
            try:
                self.events_rpc.cancel_animation(animation_id, {"reason": reason or None}, ctx.here)
                return redirect(self._animation_url(ctx, animation_id, annulee=1))
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        animation = self.events_rpc.get_animation(animation_id, ctx.here)
        active = [r for r in animation["registrations"] if r["status"] in ("registered", "waiting")]
        mine = [r for r in active if r["village_id"] == ctx.params["village_id"]]
        return ctx.render(
            "animation_cancel.html",
            animation=animation,
            host=animation["village_id"] == ctx.params["village_id"],
            told=len(active),
            members=sum(1 for r in active if r["member_id"]),
            guests_here=sum(1 for r in mine if not r["member_id"]),
            guests_elsewhere=sum(1 for r in active if not r["member_id"] and r not in mine),
            errors=errors,
            reason=reason,
            status=400 if errors else 200,
        )
