"""Parcels at the counter (orders service): receive one for an inhabitant chosen by a search, see
its pickup code once, have the code sent again to the inhabitant (members service: by their
channel), hand it over with the code the person gives, or return it to its sender after a
confirmation. Village-scoped like every concierge page.

The code is in the orders service's answer to the receipt only. The page that follows the receipt
gets it from a short-lived cookie of that parcel's page alone (HttpOnly, signed), which it deletes
as it shows it: reloaded, the page no longer has it; it is never in an address or a list.
"""

from __future__ import annotations

import hashlib
import hmac

from backbone.errors import Conflict, InvalidInput
from gateway import auth, web_security
from gateway.console.framework import CONCIERGE, STAFF, filled, form_errors, page, redirect
from gateway.console.picker import picker_state
from gateway.logistics import carrier_name, carriers_offered, check_logistics_partner
from services.orders.schemas.parcels import SENDER_LABELS

V = "/console/villages/<village_id>"
PLACE_LABELS = {"shelf": "Étagère", "locker": "Casier"}
CODE_COOKIE = "maillage_code_colis"
CODE_SHOWN_FOR = 120  # seconds: long enough for the redirect, not for a later visitor
RESENT_BY = {
    "sms": "Le code de retrait va être renvoyé par SMS.",
    "email": "Le code de retrait va être renvoyé par e-mail.",
    "call": "Cette personne ne peut être prévenue que de vive voix : "
    "l'appel est sur la liste « à prévenir ».",
}


def _parcel_path(village_id: str, parcel_id: str) -> str:
    return f"/console/villages/{village_id}/colis/{parcel_id}"


def _signature(parcel_id: str, code: str) -> str:
    return hmac.new(
        auth._secret().encode(), f"code:{parcel_id}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def _show_code_once(response, village_id: str, parcel: dict):
    code = parcel["pickup_code"]
    response.set_cookie(
        CODE_COOKIE,
        f"{code}.{_signature(parcel['id'], code)}",
        max_age=CODE_SHOWN_FOR,
        path=_parcel_path(village_id, parcel["id"]),
        httponly=True,
        samesite="Strict",
        secure=web_security.https(),
    )
    return response


def _code_to_show(request, parcel_id: str) -> str | None:
    code, _, signature = (request.cookies.get(CODE_COOKIE) or "").partition(".")
    if code and hmac.compare_digest(signature, _signature(parcel_id, code)):
        return code
    return None


class ParcelPages:
    @page(
        V + "/colis",
        methods="GET,POST",
        roles=STAFF,
        write_roles=CONCIERGE,  # receiving a parcel names its addressee
        village_scoped=True,
    )
    def page_parcels(self, ctx):
        village_id = ctx.params["village_id"]
        errors, values = {}, {}
        person = picker_state(self.members_rpc, ctx, "member_id")
        if ctx.request.method == "POST":
            values = {
                k: ctx.form.get(k, "").strip()
                for k in ("sender_kind", "sender_name", "partner_id", "description", "place_kind")
            }
            values["place"] = ctx.form.get("place", "").strip()
            if not person.searched:
                try:
                    check_logistics_partner(self.partners_rpc, "partner_id", values["partner_id"])
                    parcel = self.orders_rpc.receive_parcel(
                        village_id,
                        filled(
                            dict(
                                values,
                                member_id=person.chosen_id,
                                idempotency_key=ctx.form_key(),
                            )
                        ),
                    )
                    return _show_code_once(
                        redirect(_parcel_path(village_id, parcel["id"])), village_id, parcel
                    )
                except (InvalidInput, Conflict) as exc:
                    errors = form_errors(exc)
        parcels = self.orders_rpc.list_parcels(village_id, {"status": "waiting"})
        return ctx.render(
            "parcels.html",
            parcels=parcels,
            person=person,
            senders=SENDER_LABELS,
            carriers=carriers_offered(self.partners_rpc, village_id),
            places=PLACE_LABELS,
            errors=errors,
            values=values,
            idempotency_key=ctx.form_key(),
            status=400 if errors else 200,
        )

    @page(V + "/colis/<parcel_id>", methods="GET,POST", roles=STAFF, village_scoped=True)
    def page_parcel(self, ctx):
        village_id, parcel_id = ctx.params["village_id"], ctx.params["parcel_id"]
        errors = {}
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            try:
                after = ""
                if action == "hand_over":
                    self.orders_rpc.hand_over_parcel(
                        parcel_id, {"code": ctx.form.get("code", "").strip()}, ctx.here
                    )
                elif action == "remind":
                    self.orders_rpc.remind_parcel(parcel_id, ctx.here)
                elif action == "resend_code":
                    notice = self.members_rpc.resend_parcel_code(village_id, parcel_id)
                    after = "?renvoi=" + notice["channel"]
                return redirect(_parcel_path(village_id, parcel_id) + after)
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        parcel = self.orders_rpc.get_parcel(parcel_id, ctx.here)
        code = _code_to_show(ctx.request, parcel_id)
        response = ctx.render(
            "parcel.html",
            parcel=parcel,
            errors=errors,
            pickup_code=code,
            resent=RESENT_BY.get(ctx.args.get("renvoi", "")),
            returned=ctx.args.get("retourne") == "1",
            carrier=carrier_name(self.partners_rpc, parcel["partner_id"]),
            status=400 if errors else 200,
        )
        if CODE_COOKIE in ctx.request.cookies:  # shown once: a reload no longer has it
            response.delete_cookie(
                CODE_COOKIE,
                path=_parcel_path(village_id, parcel_id),
                httponly=True,
                samesite="Strict",
                secure=web_security.https(),
            )
        return response

    @page(V + "/colis/<parcel_id>/retour", methods="GET,POST", roles=CONCIERGE, village_scoped=True)
    def page_parcel_return(self, ctx):
        """Returning a parcel to its sender cannot be undone: this page says so and what follows
        (the inhabitant is told), and only its "Confirmer le retour" returns it."""
        village_id, parcel_id = ctx.params["village_id"], ctx.params["parcel_id"]
        errors, values = {}, {}
        if ctx.request.method == "POST":
            values = {"reason": ctx.form.get("reason", "").strip()}
            try:
                self.orders_rpc.return_parcel(
                    parcel_id, {"reason": values["reason"] or None}, ctx.here
                )
                return redirect(_parcel_path(village_id, parcel_id) + "?retourne=1")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        parcel = self.orders_rpc.get_parcel(parcel_id, ctx.here)
        return ctx.render(
            "parcel_return.html",
            parcel=parcel,
            errors=errors,
            values=values,
            carrier=carrier_name(self.partners_rpc, parcel["partner_id"]),
            status=400 if errors else 200,
        )
