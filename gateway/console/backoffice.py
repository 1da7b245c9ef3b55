"""The coordinator's back-office, part one: the network's villages (create, open, pause, close)
and the staff accounts (create, disable, reset a password). Coordinator only; what cannot be
undone (closing a village, a reset that ends the person's sessions) asks for a confirmation."""

from __future__ import annotations

from backbone.errors import Conflict, InvalidInput
from gateway import auth
from gateway.console import backoffice_labels as L
from gateway.console.form_values import whole_number
from gateway.console.framework import COORDINATOR, filled, form_errors, page, redirect
from services.members.village_lifecycle import VILLAGE_LIFECYCLE

R = "/console/coordination"
VILLAGE_FIELDS = ("slug", "name", "commune", "insee_code", "postcode", "kind", "population")
ACCOUNT_FIELDS = ("email", "full_name", "role", "village_id")


def typed(form, names) -> dict:
    return {name: (form.get(name) or "").strip() for name in names}


class BackofficePages:
    # --- villages --------------------------------------------------------------------------

    @page(R + "/villages", methods="GET,POST", roles=COORDINATOR)
    def page_network_villages(self, ctx):
        errors, values = {}, {"kind": "fixed", "status": "preparing"}
        if ctx.request.method == "POST":
            values = typed(ctx.form, (*VILLAGE_FIELDS, "status"))
            data = filled(values)
            if "population" in data:
                data["population"] = whole_number(data["population"])
            try:
                village = self.members_rpc.open_village(data)
                return redirect(f"{R}/villages?cree={village['id']}")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        villages = self.members_rpc.list_villages(None)
        created = next((v for v in villages if v["id"] == ctx.args.get("cree")), None)
        return ctx.render(
            "backoffice/villages.html",
            villages=villages,
            created=created,
            errors=errors,
            values=values,
            kinds=L.VILLAGE_KINDS,
            statuses=L.VILLAGE_STATUSES,
            moves={v["id"]: VILLAGE_LIFECYCLE.allowed(v["status"]) for v in villages},
            move_labels=L.VILLAGE_MOVES,
            status=400 if errors else 200,
        )

    @page(R + "/villages/<village_id>/statut", methods="GET,POST", roles=COORDINATOR)
    def page_village_status(self, ctx):
        village = self.members_rpc.get_village(ctx.params["village_id"])
        allowed = VILLAGE_LIFECYCLE.allowed(village["status"])
        errors = {}
        wanted = ctx.form.get("status") or ctx.args.get("vers") or ""
        reason = (ctx.form.get("reason") or "").strip()
        if ctx.request.method == "POST":
            # closing is final: it is done only from the confirmation's own button
            if wanted == "closed" and ctx.form.get("confirm") != "1":
                return self._village_status_page(ctx, village, allowed, wanted, reason, errors)
            try:
                self.members_rpc.change_village_status(
                    village["id"], filled({"status": wanted, "reason": reason})
                )
                return redirect(f"{R}/villages?statut={village['id']}")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        return self._village_status_page(ctx, village, allowed, wanted, reason, errors, ask=False)

    def _village_status_page(self, ctx, village, allowed, wanted, reason, errors, ask=True):
        confirming = ask and wanted == "closed" and "closed" in allowed
        return ctx.render(
            "backoffice/village_status.html",
            village=village,
            allowed=allowed,
            wanted=wanted if wanted in allowed else "",
            reason=reason,
            confirming=confirming,
            errors=errors,
            statuses=L.VILLAGE_STATUSES,
            move_labels=L.VILLAGE_MOVES,
            status=400 if errors else 200,
        )

    # --- staff accounts --------------------------------------------------------------------

    @page(R + "/comptes", methods="GET,POST", roles=COORDINATOR)
    def page_staff_accounts(self, ctx):
        errors, values = {}, {"role": "concierge"}
        if ctx.request.method == "POST":
            values = typed(ctx.form, ACCOUNT_FIELDS)
            data = filled(values)
            if data.get("role") == "coordinator":  # the village list is for a concierge only
                data.pop("village_id", None)
            try:
                account = self.members_rpc.create_staff_account(data)
                return redirect(f"{R}/comptes/{account['id']}?cree=1")
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        villages = self.members_rpc.village_names(None)
        return ctx.render(
            "backoffice/accounts.html",
            accounts=self.members_rpc.list_staff_accounts(),
            villages=villages,
            village_names={v["id"]: v["name"] for v in villages},
            roles=L.ROLES,
            errors=errors,
            values=values,
            status=400 if errors else 200,
        )

    @page(R + "/comptes/<account_id>", methods="GET,POST", roles=COORDINATOR)
    def page_staff_account(self, ctx):
        account_id = ctx.params["account_id"]
        account = self.members_rpc.get_staff_account(account_id)
        errors, reset, confirm = {}, None, None
        if ctx.request.method == "POST":
            action = ctx.form.get("action")
            try:
                if action in ("disable", "reset") and ctx.form.get("confirm") != "1":
                    confirm = action
                elif action in ("disable", "enable"):
                    self.members_rpc.set_staff_account_status(
                        account_id, {"active": action == "enable"}, ctx.principal.id
                    )
                    auth.forget_session_state(account_id)
                    return redirect(f"{R}/comptes/{account_id}")
                elif action == "reset":
                    reset = self.members_rpc.start_staff_password_reset(account_id)
                    auth.forget_session_state(account_id)
                    account = reset["account"]
                else:
                    errors = {"_": "Choisissez une action."}
            except (InvalidInput, Conflict) as exc:
                errors = form_errors(exc)
        villages = {v["id"]: v["name"] for v in self.members_rpc.village_names(None)}
        return ctx.render(
            "backoffice/account.html",
            account=account,
            village_name=villages.get(account.get("village_id")),
            roles=L.ROLES,
            created=ctx.args.get("cree") == "1",
            reset=reset,
            confirm=confirm,
            myself=account_id == ctx.principal.id,
            errors=errors,
            status=400 if errors else 200,
        )
