"""The village's hours and places, kept by its concierge (members service): the hub's weekly
opening hours (several slots a day), the permanences held there (La Poste, a social worker…), the
closures and special hours, and the stops of its multiservice truck. The public page
(/village/<slug>) reads the same records; this gateway forgets its copy of it after each change.

Times are typed as a person writes them ("9h", "9h30", "14:00") and sent as "HH:MM"; the
service's messages come back beside the input they are about (a row of slots included)."""

from __future__ import annotations

from backbone.clock import paris_today
from backbone.errors import Conflict, InvalidInput, NotFound
from gateway.console.form_values import clock
from gateway.console.framework import STAFF, _flatten, filled, form_errors, page, redirect
from gateway.console.public_pages import DAY_LABELS, exception_line
from services.members.opening_hours import DAYS

V = "/console/villages/<village_id>"
H = V + "/horaires"
MAX_ROWS = 6  # slots a day, as the members service allows
NEW_STOP_ROWS = 3
EXCEPTION_ROWS = 2
REMOVAL = dict(methods="GET,POST", roles=STAFF, village_scoped=True)


def _french_days(text: str) -> str:
    """The service names a day by its code in some messages ("le monday")."""
    for code, label in DAY_LABELS.items():
        text = text.replace(f"le {code} ", f"le {label.lower()} ")
    return text


def _errors(exc: Exception, prefix: str = "", listed: str = "", rows=()) -> dict:
    """The service's errors under this form's input names: `name` as `<prefix>name`, and the
    errors of the `listed` rows (slots) as `<prefix><field>-<row>` for the inputs of each row."""
    out = form_errors(exc)
    if not isinstance(exc, InvalidInput) or not isinstance(exc.errors_fr, dict):
        return out
    mapped = {"_": out["_"]}
    for name, problem in exc.errors_fr.items():
        if name == listed and isinstance(problem, dict):
            for index, fields in problem.items():
                row = rows[int(index)]
                if not isinstance(fields, dict):
                    fields = {"opens": fields}
                for field, messages in fields.items():
                    mapped[f"{prefix}{field}-{row}"] = _french_days(_flatten(messages))
        else:
            mapped[prefix + name] = _french_days(_flatten(problem))
    return mapped


def _slot(opens: str, closes: str, **more) -> dict:
    """One typed slot; a half-filled one goes as is, for "Champ obligatoire." beside it."""
    return filled({**more, "opens": clock(opens), "closes": clock(closes)})


class PlacesPages:
    def _places_url(self, ctx, tail: str = "") -> str:
        return f"/console/villages/{ctx.params['village_id']}/horaires{tail}"

    def _places_changed(self, ctx, tail: str = "?enregistre=1"):
        self._forget_public_page(ctx.params["village_id"])
        return redirect(self._places_url(ctx, tail))

    # --- the page: weekly hours, permanences, exceptions, stops ----------------------------------

    @page(H, methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_places(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values, rows = {}, {}, None
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            values = {k: v.strip() for k, v in ctx.form.items() if k != "csrf"}
            handler = {
                "weekly": self._save_weekly,
                "exception": self._add_exception,
                "permanence": self._add_permanence,
                "stop": self._add_stop,
            }.get(action)
            if handler is not None:
                errors, rows = handler(village_id, values)
                if not errors:
                    return self._places_changed(ctx)
        village = self.members_rpc.get_village(village_id)
        hours = self.members_rpc.get_opening_hours(village_id)
        if rows is None:  # the saved hours, and a free row a day for one more slot
            rows = {day: [] for day in DAYS}
            for slot in hours["weekly"]:
                rows[slot["day"]].append((slot["opens"], slot["closes"]))
            for day in DAYS:
                if len(rows[day]) < MAX_ROWS:
                    rows[day].append(("", ""))
        today = paris_today().isoformat()
        return ctx.render(
            "places.html",
            village=village,
            days=DAY_LABELS,
            rows=rows,
            exceptions=[
                dict(e, line=exception_line(e)) for e in hours["exceptions"] if e["end"] >= today
            ],
            permanences=self.members_rpc.list_permanences(village_id),
            stops=hours["stops"],
            itinerant=village["kind"] == "itinerant",
            stop_rows=range(NEW_STOP_ROWS),
            exception_rows=range(EXCEPTION_ROWS),
            errors=errors,
            values=values if errors else {},
            saved=ctx.args.get("enregistre") == "1",
            removed=ctx.args.get("supprime") == "1",
            status=400 if errors else 200,
        )

    def _save_weekly(self, village_id: str, values: dict):
        """Every day's rows as typed; the empty ones are dropped, the others are the week."""
        rows, weekly, sent = {}, [], []
        for day in DAYS:
            rows[day] = []
            for i in range(MAX_ROWS):
                if f"opens-{day}-{i}" not in values:
                    break
                opens, closes = values[f"opens-{day}-{i}"], values[f"closes-{day}-{i}"]
                rows[day].append((opens, closes))
                if opens or closes:
                    weekly.append(_slot(opens, closes, day=day))
                    sent.append(f"{day}-{i}")
        try:
            self.members_rpc.set_opening_hours(village_id, {"weekly": weekly})
        except (InvalidInput, Conflict) as exc:
            return _errors(exc, "", "weekly", sent), rows
        return {}, rows

    def _add_exception(self, village_id: str, values: dict):
        closed = values.get("ex-kind", "closed") != "special"
        slots, sent = [], []
        for i in range(EXCEPTION_ROWS):
            opens, closes = values.get(f"ex-opens-{i}", ""), values.get(f"ex-closes-{i}", "")
            if opens or closes:
                slots.append(_slot(opens, closes))
                sent.append(str(i))
        data = filled(
            {
                "start": values.get("ex-start", ""),
                "end": values.get("ex-end", ""),
                "label": values.get("ex-label", ""),
            }
        )
        data.update(closed=closed, slots=[] if closed else slots)
        try:
            self.members_rpc.add_opening_exception(village_id, data)
        except (InvalidInput, Conflict) as exc:
            return _errors(exc, "ex-", "slots", sent), None
        return {}, None

    def _add_permanence(self, village_id: str, values: dict):
        data = filled(
            {
                key: values.get(f"perm-{key}", "")
                for key in ("name", "day", "opens", "closes", "note")
            }
        )
        for key in ("opens", "closes"):
            if key in data:
                data[key] = clock(data[key])
        try:
            self.members_rpc.add_permanence(village_id, data)
        except (InvalidInput, Conflict) as exc:
            return _errors(exc, "perm-"), None
        return {}, None

    def _stop_data(self, values: dict, count: int):
        weekly, sent = [], []
        for i in range(count):
            day = values.get(f"stop-day-{i}", "")
            opens, closes = values.get(f"stop-opens-{i}", ""), values.get(f"stop-closes-{i}", "")
            if opens or closes:
                weekly.append(_slot(opens, closes, day=day))
                sent.append(str(i))
        data = filled({"name": values.get("stop-name", ""), "commune": values.get("stop-commune")})
        data["weekly"] = weekly
        return data, sent

    def _add_stop(self, village_id: str, values: dict):
        data, sent = self._stop_data(values, NEW_STOP_ROWS)
        try:
            self.members_rpc.add_stop(village_id, data)
        except (InvalidInput, Conflict) as exc:
            return _errors(exc, "stop-", "weekly", sent), None
        return {}, None

    # --- one stop of the truck: its place and times ----------------------------------------------

    @page(H + "/arrets/<stop_id>", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_stop(self, ctx):
        village_id, stop_id = ctx.params["village_id"], ctx.params["stop_id"]
        stop = self._find(self.members_rpc.list_stops(village_id), stop_id, "stop")
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = {k: v.strip() for k, v in ctx.form.items() if k != "csrf"}
            count = min(int(values.get("rows") or 0), MAX_ROWS * len(DAYS))
            data, sent = self._stop_data(values, count)
            data["position"] = stop["position"]
            data["coordinates"] = stop.get("coordinates")
            try:
                self.members_rpc.update_stop(village_id, stop_id, data)
                return self._places_changed(ctx)
            except (InvalidInput, Conflict) as exc:
                errors = _errors(exc, "stop-", "weekly", sent)
        else:
            values = {"stop-name": stop["name"], "stop-commune": stop["commune"]}
            for i, slot in enumerate(stop["weekly"]):
                values.update(
                    {
                        f"stop-day-{i}": slot["day"],
                        f"stop-opens-{i}": slot["opens"],
                        f"stop-closes-{i}": slot["closes"],
                    }
                )
            count = len(stop["weekly"]) + 1
        return ctx.render(
            "stop.html",
            stop=stop,
            days=DAY_LABELS,
            stop_rows=range(count),
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )

    @staticmethod
    def _find(records: list[dict], record_id: str, what: str) -> dict:
        found = next((r for r in records if r["id"] == record_id), None)
        if found is None:
            raise NotFound(what, record_id)
        return found

    # --- removals, each after a confirmation ---------------------------------------------------

    @page(H + "/exceptions/<exception_id>/supprimer", **REMOVAL)
    def page_exception_remove(self, ctx):
        village_id = ctx.params["village_id"]
        found = self._find(
            self.members_rpc.get_opening_hours(village_id)["exceptions"],
            ctx.params["exception_id"],
            "opening_exception",
        )
        return self._remove(
            ctx, f"Supprimer : {exception_line(found)} ?", self.members_rpc.remove_opening_exception
        )

    @page(H + "/permanences/<permanence_id>/supprimer", **REMOVAL)
    def page_permanence_remove(self, ctx):
        village_id = ctx.params["village_id"]
        found = self._find(
            self.members_rpc.list_permanences(village_id), ctx.params["permanence_id"], "permanence"
        )
        question = f"Supprimer la permanence « {found['name']} » ?"
        return self._remove(ctx, question, self.members_rpc.remove_permanence)

    @page(H + "/arrets/<stop_id>/supprimer", **REMOVAL)
    def page_stop_remove(self, ctx):
        village_id = ctx.params["village_id"]
        found = self._find(self.members_rpc.list_stops(village_id), ctx.params["stop_id"], "stop")
        question = f"Supprimer l'arrêt « {found['name']} » et ses horaires ?"
        return self._remove(ctx, question, self.members_rpc.remove_stop)

    def _remove(self, ctx, question: str, remove):
        """Asked first (GET), done on "Confirmer" (POST): a removal cannot be undone."""
        if ctx.request.method == "POST":
            record_id = next(v for k, v in ctx.params.items() if k != "village_id")
            remove(ctx.params["village_id"], record_id)
            return self._places_changed(ctx, "?supprime=1")
        return ctx.render(
            "confirm.html",
            title="Horaires et lieux : suppression",
            question=question,
            detail="La page publique du village ne l'affichera plus.",
            confirm_label="Confirmer la suppression",
            back=self._places_url(ctx),
        )
