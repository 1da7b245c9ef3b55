"""The coordinator's back-office, part two: partners (register, edit, API keys shown once and
revoked, the AMQP feed) and the webhook deliveries parked after too many failures (sent again one
by one or all of a partner's)."""

from __future__ import annotations

import re

from backbone.errors import Conflict, InvalidInput
from gateway.console import backoffice_labels as L
from gateway.console.backoffice import R, typed
from gateway.console.framework import COORDINATOR, filled, form_errors, page, redirect

BEGINNING = "1970-01-01"  # services/partners/commission.py: a rate in force since always
CONTACT_ROWS = 2  # the form's contact lines; a partner rarely has more than two people to call
CONTACT_FIELDS = ("name", "role", "phone", "email")
PARKED_PER_PAGE = 100


def _contacts(form) -> list[dict]:
    """The contact lines typed (an empty line is left out)."""
    lines = []
    for row in range(CONTACT_ROWS):
        line = filled(typed(form, [f"contact-{row}-{name}" for name in CONTACT_FIELDS]))
        lines.append({key.rsplit("-", 1)[1]: value for key, value in line.items()})
    return [line for line in lines if line]


def _contact_values(contacts: list[dict]) -> dict:
    return {
        f"contact-{row}-{name}": value or ""
        for row, contact in enumerate(contacts)
        for name, value in contact.items()
    }


def _partner_errors(exc) -> dict:
    """Field -> message, a contact line's errors beside its own fields (`contact-0-phone`)."""
    errors = form_errors(exc)
    nested = exc.errors_fr.get("contacts") if isinstance(exc, InvalidInput) else None
    if isinstance(nested, dict):
        for row, fields in nested.items():
            for name, messages in fields.items() if isinstance(fields, dict) else []:
                text = messages if isinstance(messages, str) else " ".join(map(str, messages))
                errors[f"contact-{row}-{name}"] = text
    return errors


def per_mille(raw):
    """A percentage as people type it (« 15 », « 12,5 », « 12.5 % ») in per mille; empty: None;
    anything else as typed, for the service to refuse beside its field."""
    text = (raw or "").replace("%", "").replace(",", ".").strip()
    if not text:
        return None
    if re.fullmatch(r"\d{1,3}(\.\d)?", text):
        whole, _, tenth = text.partition(".")
        return int(whole) * 10 + int(tenth or 0)
    return raw.strip()


def percent_typed(value) -> str:
    """Per mille as typed back into the form (150 → « 15 », 125 → « 12,5 »)."""
    if value is None:
        return ""
    return str(value // 10) if value % 10 == 0 else f"{value // 10},{value % 10}"


def rate_label(value) -> str:
    """Per mille as a rate people read (150 → « 15 % », 125 → « 12,5 % »; None: none)."""
    return "Aucune commission" if value is None else f"{percent_typed(value)}\u00a0%"


class BackofficePartnerPages:
    def _partner_form(self, ctx, template, status=200, **values):
        return ctx.render(
            template,
            kinds=L.PARTNER_KINDS,
            relationships=L.RELATIONSHIPS,
            villages=self.members_rpc.village_names(None),
            skills=self.members_rpc.list_skills(),
            contact_rows=range(CONTACT_ROWS),
            status=status,
            **values,
        )

    @page(R + "/partenaires", methods="GET,POST", roles=COORDINATOR)
    def page_partners(self, ctx):
        errors, values, chosen = {}, {"kind": "producer"}, {"relationships": [], "villages": []}
        if ctx.request.method == "POST":
            values = typed(ctx.form, ("name", "kind", "siret"))
            contacts = _contacts(ctx.form)
            chosen = {
                "relationships": ctx.form.getlist("relationships"),
                "villages": ctx.form.getlist("village_ids"),
            }
            values.update(_contact_values(contacts))
            values["commission_per_mille"] = (ctx.form.get("commission_per_mille") or "").strip()
            data = filled(typed(ctx.form, ("name", "kind", "siret")))
            if values["commission_per_mille"]:
                data["commission_per_mille"] = per_mille(values["commission_per_mille"])
            data.update(
                relationships=chosen["relationships"],
                village_ids=chosen["villages"],
                contacts=contacts,
            )
            try:
                registered = self.partners_rpc.register_partner(data)
                return self._partner_page(ctx, registered["partner"], api_key=registered["api_key"])
            except (InvalidInput, Conflict) as exc:
                errors = _partner_errors(exc)
        return self._partner_form(
            ctx,
            "backoffice/partners.html",
            status=400 if errors else 200,
            partners=self.partners_rpc.list_partners(None, None, True),
            errors=errors,
            values=values,
            chosen=chosen,
        )

    @page(R + "/partenaires/<partner_id>", methods="GET,POST", roles=COORDINATOR)
    def page_partner(self, ctx):
        partner_id = ctx.params["partner_id"]
        partner = self.partners_rpc.get_partner(partner_id)
        if ctx.request.method == "GET":
            return self._partner_page(ctx, partner, saved=ctx.args.get("enregistre") == "1")
        action, shown = ctx.form.get("action"), {}
        try:
            if action == "edit":
                return self._edit_partner(ctx, partner)
            if action in ("rotate", "revoke", "feed") and ctx.form.get("confirm") != "1":
                return self._partner_page(ctx, partner, confirm=action)
            if action == "rotate":
                shown["api_key"] = self.partners_rpc.rotate_api_key(partner_id)["api_key"]
            elif action == "revoke":
                shown["revoked"] = self.partners_rpc.revoke_api_keys(partner_id)["revoked"]
            elif action == "feed":
                shown["feed"] = self.partners_rpc.create_feed_account(partner_id)
            else:
                return self._partner_page(ctx, partner, errors={"_": "Choisissez une action."})
        except Conflict as exc:
            return self._partner_page(ctx, partner, errors=form_errors(exc))
        return self._partner_page(ctx, partner, **shown)

    def _edit_partner(self, ctx, partner):
        contacts = _contacts(ctx.form)
        data = {
            "village_ids": ctx.form.getlist("village_ids"),
            "relationships": ctx.form.getlist("relationships"),
            "skills": ctx.form.getlist("skills"),
            "contacts": contacts,
            "siret": (ctx.form.get("siret") or "").strip() or None,
            "commission_per_mille": per_mille(ctx.form.get("commission_per_mille")),
        }
        since = (ctx.form.get("commission_effective_from") or "").strip()
        if since:
            data["commission_effective_from"] = since
        try:
            self.partners_rpc.update_partner(partner["id"], data)
            return redirect(f"{R}/partenaires/{partner['id']}?enregistre=1")
        except (InvalidInput, Conflict) as exc:
            kept = {k: v for k, v in data.items() if not k.startswith("commission")}
            edited = {**partner, **kept}
            typed_back = {
                "commission_per_mille": (ctx.form.get("commission_per_mille") or "").strip(),
                "commission_effective_from": since,
            }
            return self._partner_page(
                ctx, edited, errors=_partner_errors(exc), status=400, typed_back=typed_back
            )

    def _partner_page(self, ctx, partner, errors=None, status=200, typed_back=None, **shown):
        parked = self.partners_rpc.list_deliveries(
            {"status": "parked", "partner_id": partner["id"], "per_page": 1}
        )["total"]
        villages = self.members_rpc.village_names(None)
        rates = partner.get("commission_rates") or []
        return self._partner_form(
            ctx,
            "backoffice/partner.html",
            status=status,
            partner=partner,
            village_names={v["id"]: v["name"] for v in villages},
            values={
                **_contact_values(partner["contacts"]),
                "siret": partner.get("siret") or "",
                # the latest rate recorded (a coming month's, if set): what a change starts from
                "commission_per_mille": percent_typed(rates[-1]["per_mille"] if rates else None),
                **(typed_back or {}),
            },
            commission_rates=[
                {
                    "since": None if r["effective_from"] == BEGINNING else r["effective_from"],
                    "rate": rate_label(r["per_mille"]),
                }
                for r in reversed(rates)
            ],
            errors=errors or {},
            parked=parked,
            **shown,
        )

    # --- parked deliveries -----------------------------------------------------------------

    @page(R + "/envois", methods="GET,POST", roles=COORDINATOR)
    def page_parked_deliveries(self, ctx):
        errors = {}
        if ctx.request.method == "POST":
            try:
                if ctx.form.get("action") == "partner":
                    done = self.partners_rpc.redeliver_parked(ctx.form.get("partner_id", ""))
                    return redirect(
                        f"{R}/envois?renvoyes={done['redelivered']}&restent={done['left_parked']}"
                    )
                self.partners_rpc.redeliver(ctx.form.get("delivery_id", ""))
                return redirect(f"{R}/envois?renvoyes=1")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        page_number = int(ctx.args.get("page", "1")) if ctx.args.get("page", "").isdigit() else 1
        found = self.partners_rpc.list_deliveries(
            {
                "status": "parked",
                "page": max(1, min(page_number, 10000)),
                "per_page": PARKED_PER_PAGE,
            }
        )
        names = {p["id"]: p["name"] for p in self.partners_rpc.list_partners(None, None, True)}
        partners = sorted({d["partner_id"] for d in found["items"]}, key=lambda p: names.get(p, p))
        return ctx.render(
            "backoffice/deliveries.html",
            found=found,
            names=names,
            partners=partners,
            channels=L.CHANNELS,
            errors=errors,
            per_page=PARKED_PER_PAGE,
            status=400 if errors else 200,
        )
