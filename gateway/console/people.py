"""The concierge's people pages: volunteers registered and edited (skills, availability, villages
served, contact), the inhabitants' spreadsheet imported after a preview, an inhabitant edited,
exported and erased, and the list « à prévenir » of the calls to make. Every page is
village-scoped (framework.page): the members service is asked for this village only."""

from __future__ import annotations

import base64
import json
import zlib

from werkzeug.wrappers import Response

from backbone.clock import utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from gateway import i18n
from gateway.console.form_values import whole_number
from gateway.console.framework import CONCIERGE, form_errors, page, redirect
from gateway.skills import known_skills
from services.members.schemas.notices import NOTICE_SOURCES
from services.members.schemas.people import CHANNELS, TAGS
from services.members.schemas.volunteers import DAY_LABELS, LEVEL_LABELS
from services.members.spreadsheet import upload_text

V = "/console/villages/<village_id>"
SLOTS_PER_DAY = 2  # two slots a day (a morning, an afternoon) are what the form offers
MAX_UPLOAD = 2_000_000  # characters: ImportInput's own bound on the text
MEMBER_FIELDS = ("first_name", "last_name", "phone", "email", "address", "postcode", "city")
CALL_DONE = {
    "reached": "Appel noté : la personne est prévenue.",
    "no_answer": "Appel sans réponse noté.",
}


# --- volunteers' form ------------------------------------------------------------------------


def _slot_names():
    return [(day, n) for day in DAY_LABELS for n in range(1, SLOTS_PER_DAY + 1)]


def _volunteer_values(form, skills) -> dict:
    """What was typed, as the form shows it again."""
    values = {
        "skill-" + s["code"]: form.get("skill-" + s["code"], "")
        for s in skills
        if form.get("skill-" + s["code"])
    }
    for day, n in _slot_names():
        for end in ("start", "end"):
            values[f"{day}-{n}-{end}"] = form.get(f"{day}-{n}-{end}", "").strip()
    values["village_ids"] = form.getlist("village_ids")
    values["max_distance_km"] = form.get("max_distance_km", "").strip()
    for flag in ("has_licence", "has_vehicle", "network_visible", "active"):
        values[flag] = form.get(flag) == "1"
    values["member_id"] = form.get("member_id", "")
    return values


def _profile_values(volunteer: dict) -> dict:
    """A volunteer as the form shows it."""
    values = {"skill-" + s["skill"]: s["level"] for s in volunteer["skills"]}
    seen: dict[str, int] = {}
    for slot in volunteer["availability"]:
        n = seen[slot["day"]] = seen.get(slot["day"], 0) + 1
        if n <= SLOTS_PER_DAY:
            values[f"{slot['day']}-{n}-start"] = slot["start"]
            values[f"{slot['day']}-{n}-end"] = slot["end"]
    values["village_ids"] = [
        v for v in volunteer["village_ids"] if v != volunteer["home_village_id"]
    ]
    values["max_distance_km"] = (
        "" if volunteer["max_distance_km"] is None else str(volunteer["max_distance_km"])
    )
    for flag in ("has_licence", "has_vehicle", "network_visible", "active"):
        values[flag] = bool(volunteer.get(flag))
    return values


def _volunteer_data(values: dict) -> tuple[dict, list[str], list[str]]:
    """(the profile to send, the form's name of each skill sent, of each slot sent): an error of
    the service names a position in a list, shown beside the field it came from."""
    skills, skill_fields = [], []
    for name, level in values.items():
        if name.startswith("skill-") and level:
            skills.append({"skill": name.removeprefix("skill-"), "level": level})
            skill_fields.append(name)
    slots, slot_fields = [], []
    for day, n in _slot_names():
        start, end = values[f"{day}-{n}-start"], values[f"{day}-{n}-end"]
        if start or end:
            slots.append({"day": day, "start": start, "end": end})
            slot_fields.append(f"{day}-{n}")
    distance = whole_number(values["max_distance_km"])
    data = {
        "skills": skills,
        "availability": slots,
        "village_ids": values["village_ids"],
        "max_distance_km": None if distance == "" else distance,
        "has_licence": values["has_licence"],
        "has_vehicle": values["has_vehicle"],
        "network_visible": values["network_visible"],
    }
    return data, skill_fields, slot_fields


def _flat(messages) -> str:
    if isinstance(messages, str):
        return messages
    if isinstance(messages, dict):
        return " ".join(_flat(m) for m in messages.values())
    return " ".join(_flat(m) for m in messages)


def _volunteer_errors(exc, skill_fields, slot_fields) -> dict:
    """The service's errors beside the form's fields: `skills[2]` beside the third skill chosen,
    `availability[0]` beside the first slot filled."""
    errors = form_errors(exc)
    french = exc.errors_fr if isinstance(exc, InvalidInput) else None
    if isinstance(french, dict):
        for name, positions in (("skills", skill_fields), ("availability", slot_fields)):
            nested = french.get(name)
            if isinstance(nested, dict):
                for index, messages in nested.items():
                    if str(index).isdigit() and int(index) < len(positions):
                        errors[positions[int(index)]] = _flat(messages)
                    else:
                        errors[name] = _flat(messages)
    return errors


# --- the import's text, carried from the preview to the confirmation -------------------------


def _pack(text: str) -> str:
    """The file's text in the confirmation form, compressed: a form field the gateway reads whole
    (werkzeug's 500 kB bound), and the same text the preview checked."""
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def _unpack(packed: str) -> str | None:
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.urlsafe_b64decode(packed.encode("ascii")), MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD or inflater.unconsumed_tail:
            return None
        return raw.decode("utf-8")
    except (ValueError, zlib.error, UnicodeError):
        return None


POSITION_FIELDS = ("latitude", "longitude")


def _member_form(form) -> dict:
    values = {name: form.get(name, "").strip() for name in MEMBER_FIELDS + POSITION_FIELDS}
    values["preferred_channel"] = form.get("preferred_channel", "")
    values["tags"] = form.getlist("tags")
    return values


def member_form_values(member: dict) -> dict:
    """An inhabitant's record as the edit form shows it."""
    values = {name: member.get(name) or "" for name in MEMBER_FIELDS}
    values.update({n: "" if member.get(n) is None else str(member[n]) for n in POSITION_FIELDS})
    values.update(
        phone=member["phone_display"] or "",
        preferred_channel=member["preferred_channel"],
        tags=member["tags"],
    )
    return values


def _member_changes(values: dict, before: dict) -> dict:
    """What the edit form changes, and only that: a field left as it was is not sent (an unchanged
    name is not checked again against the village's other members). An emptied optional field is
    cleared (None); an emptied name stays empty for the service to refuse beside the field."""
    data = {}
    for name in MEMBER_FIELDS:
        if values[name] != before[name]:
            optional = name not in ("first_name", "last_name")
            data[name] = (values[name] or None) if optional else values[name]
    if any(values[n] != before[n] for n in POSITION_FIELDS):  # both, or both emptied
        for name in POSITION_FIELDS:
            data[name] = values[name].replace(",", ".") or None
    if sorted(values["tags"]) != sorted(before["tags"]):
        data["tags"] = values["tags"]
    if values["preferred_channel"] and values["preferred_channel"] != before["preferred_channel"]:
        data["preferred_channel"] = values["preferred_channel"]
    return data


class PeoplePages:
    # --- volunteers -------------------------------------------------------------------------

    def _volunteer_form_lists(self, village_id: str) -> dict:
        skills = known_skills(self.members_rpc)
        categories: dict[str, list] = {}
        for skill in skills:
            categories.setdefault(skill["category_label"], []).append(skill)
        villages = [
            v
            for v in self.members_rpc.village_names(None)
            if v["id"] != village_id and v["status"] != "closed"
        ]
        return {
            "skills": skills,
            "categories": categories,
            "levels": LEVEL_LABELS,
            "days": DAY_LABELS,
            "slots_per_day": SLOTS_PER_DAY,
            "villages": villages,
        }

    @page(V + "/benevoles/nouveau", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_volunteer_new(self, ctx):
        village_id = ctx.params["village_id"]
        lists = self._volunteer_form_lists(village_id)
        errors, values = {}, {"member_id": ctx.args.get("habitant", "")}
        if ctx.request.method == "POST":
            values = _volunteer_values(ctx.form, lists["skills"])
            data, skill_fields, slot_fields = _volunteer_data(values)
            try:
                volunteer = self.members_rpc.create_volunteer(
                    {**data, "member_id": values["member_id"]}, [village_id]
                )
                return redirect(self._village_url(ctx, f"benevoles/{volunteer['id']}?nouveau=1"))
            except (InvalidInput, Conflict) as exc:
                errors = _volunteer_errors(exc, skill_fields, slot_fields)
            except NotFound:  # none chosen, or not of this village
                errors = dict.fromkeys(("member_id", "_"), "Choisissez un·e habitant·e du village.")
        query = (ctx.args.get("q") or "").strip()
        taken = {v["member_id"] for v in self.members_rpc.list_volunteers([village_id], {})}
        candidates = [
            m
            for m in self.members_rpc.search_members(village_id, {"q": query, "limit": 200})
            if m["id"] not in taken
        ]
        return ctx.render(
            "volunteer_form.html",
            new=True,
            query=query,
            candidates=candidates,
            errors=errors,
            values=values,
            status=400 if errors else 200,
            **lists,
        )

    @page(V + "/benevoles/<volunteer_id>", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_volunteer(self, ctx):
        village_id, volunteer_id = ctx.params["village_id"], ctx.params["volunteer_id"]
        lists = self._volunteer_form_lists(village_id)
        volunteer = self.members_rpc.get_volunteer(volunteer_id, [village_id])
        ours = volunteer["home_village_id"] == village_id
        errors, contact_errors, values, contact = {}, {}, None, None
        if ctx.request.method == "POST" and ours:
            if ctx.form.get("action") == "contact":
                contact = {k: ctx.form.get(k, "").strip() for k in ("phone", "email")}
                try:
                    self.members_rpc.update_member(
                        village_id,
                        volunteer["member_id"],
                        {k: v or None for k, v in contact.items()},
                    )
                    return redirect(
                        self._village_url(ctx, f"benevoles/{volunteer_id}?enregistre=1")
                    )
                except (InvalidInput, Conflict) as exc:
                    contact_errors = form_errors(exc)
            else:
                values = _volunteer_values(ctx.form, lists["skills"])
                data, skill_fields, slot_fields = _volunteer_data(values)
                data["active"] = values["active"]
                try:
                    self.members_rpc.update_volunteer(volunteer_id, data, [village_id])
                    return redirect(
                        self._village_url(ctx, f"benevoles/{volunteer_id}?enregistre=1")
                    )
                except (InvalidInput, Conflict) as exc:
                    errors = _volunteer_errors(exc, skill_fields, slot_fields)
        member = self.members_rpc.get_member(village_id, volunteer["member_id"]) if ours else None
        if contact is None and member is not None:
            contact = {"phone": member["phone_display"] or "", "email": member["email"] or ""}
        return ctx.render(
            "volunteer_form.html",
            new=False,
            volunteer=volunteer,
            ours=ours,
            member=member,
            contact=contact or {},
            contact_errors=contact_errors,
            errors=errors,
            values=values if values is not None else _profile_values(volunteer),
            created=ctx.args.get("nouveau") == "1",
            saved=ctx.args.get("enregistre") == "1",
            status=400 if errors or contact_errors else 200,
            **lists,
        )

    # --- the inhabitants' spreadsheet ---------------------------------------------------------

    # not /habitants/import: one word after /habitants/ is an inhabitant's id
    @page(V + "/import-habitants", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_members_import(self, ctx):
        village_id = ctx.params["village_id"]
        errors, preview, report, packed = {}, None, None, None
        if ctx.request.method == "POST" and ctx.form.get("action") == "confirm":
            text = _unpack(ctx.form.get("text", ""))
            if text is None:
                errors = {
                    "_": "Le fichier à importer n'a pas pu être relu : choisissez-le à nouveau."
                }
            else:
                try:
                    report = self.members_rpc.import_valid_members(village_id, {"text": text})
                    report["problems"] = i18n.import_problems(report["problems"])
                except InvalidInput as exc:
                    errors = {"fichier": _flat(exc.errors_fr), "_": _flat(exc.errors_fr)}
        elif ctx.request.method == "POST":
            upload = ctx.request.files.get("fichier")
            raw = upload.stream.read(MAX_UPLOAD + 1) if upload and upload.filename else b""
            if not raw:
                errors = {"fichier": "Choisissez un fichier CSV ou Excel (.xlsx)."}
            elif len(raw) > MAX_UPLOAD:
                errors = {"fichier": "Ce fichier est trop gros : au plus 2 Mo (5 000 lignes)."}
            else:
                try:
                    text = upload_text(upload.filename, raw)
                    preview = self.members_rpc.preview_import(village_id, {"text": text})
                    preview["problems"] = i18n.import_problems(preview["problems"])
                    packed = _pack(text)
                except InvalidInput as exc:
                    errors = {"fichier": _flat(exc.errors_fr)}
            if errors:
                errors["_"] = errors["fichier"]
        return ctx.render(
            "members_import.html",
            errors=errors,
            preview=preview,
            report=report,
            packed=packed,
            tags=TAGS,
            channels=CHANNELS,
            columns=[c for f, c in i18n.IMPORT_COLUMNS.items() if f not in ("header", "file")],
            status=400 if errors else 200,
        )

    # --- an inhabitant: edit, export, erase ----------------------------------------------------

    def _volunteer_of(self, village_id: str, member_id: str) -> dict | None:
        """The inhabitant's volunteer profile, if they are one."""
        return next(
            (
                v
                for v in self.members_rpc.list_volunteers([village_id], {})
                if v["member_id"] == member_id
            ),
            None,
        )

    def _edit_member(self, ctx) -> tuple[dict, dict]:
        """The inhabitant page's edit form (concierge.page_member): (errors, what was typed);
        nothing written when there are errors."""
        village_id, member_id = ctx.params["village_id"], ctx.params["member_id"]
        values = _member_form(ctx.form)
        before = member_form_values(self.members_rpc.get_member(village_id, member_id))
        data = _member_changes(values, before)
        if ctx.form.get("confirm_duplicate") == "1":
            data["confirm_duplicate"] = True
        try:
            self.members_rpc.update_member(village_id, member_id, data)
            return {}, values
        except (InvalidInput, Conflict) as exc:
            return form_errors(exc), values

    @page(V + "/habitants/<member_id>/donnees.json", roles=CONCIERGE, village_scoped=True)
    def page_member_export(self, ctx):
        from gateway.routes.members import member_export

        member_id = ctx.params["member_id"]
        data = member_export(self, ctx.params["village_id"], member_id)
        body = json.dumps(data, ensure_ascii=False, indent=2)
        day = utcnow().date().isoformat()
        return Response(
            body,
            mimetype="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="habitant-{member_id}-{day}.json"',
                "Cache-Control": "no-store",
                "X-Request-Id": ctx.request_id,
            },
        )

    @page(
        V + "/habitants/<member_id>/effacer",
        methods="GET,POST",
        roles=CONCIERGE,
        village_scoped=True,
    )
    def page_member_erase(self, ctx):
        village_id, member_id = ctx.params["village_id"], ctx.params["member_id"]
        member = self.members_rpc.get_member(village_id, member_id)
        errors = {}
        if ctx.request.method == "POST":
            if ctx.form.get("confirm") == "effacer":
                self.members_rpc.erase_member(village_id, member_id)
                return redirect(self._village_url(ctx, "habitants?efface=1"))
            errors = {
                "confirm": "Cochez la case pour confirmer l'effacement.",
                "_": "Cochez la case pour confirmer l'effacement.",
            }
        return ctx.render(
            "member_erase.html",
            member=member,
            volunteer=self._volunteer_of(village_id, member_id),
            tags=TAGS,
            errors=errors,
            status=400 if errors else 200,
        )

    # --- à prévenir: the calls to make -------------------------------------------------------

    @page(V + "/a-prevenir", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_calls(self, ctx):
        village_id = ctx.params["village_id"]
        errors, error_for = {}, None
        if ctx.request.method == "POST":
            notice_id = ctx.form.get("notice_id", "")
            outcome = ctx.form.get("outcome", "")
            try:
                self.members_rpc.record_call(village_id, notice_id, {"outcome": outcome})
                return redirect(self._village_url(ctx, f"a-prevenir?fait={outcome}"))
            except (InvalidInput, Conflict, NotFound) as exc:
                errors, error_for = form_errors(exc), notice_id
                errors["_"] = errors.get("outcome") or errors["_"]
        calls = [
            n
            for n in self.members_rpc.list_notices(village_id, {"status": "to_send"})
            if n["channel"] == "call"
        ]
        return ctx.render(
            "calls.html",
            calls=calls,
            sources=NOTICE_SOURCES,
            done=CALL_DONE.get(ctx.args.get("fait", "")),
            errors=errors,
            error_for=error_for,
            status=400 if errors else 200,
        )
