"""The coordinator's side of the commune's space (#25): the communes (partners of kind
`local_authority`), and for each its read-only link — issued (shown once), replaced or revoked
after a confirmation (the link in the commune's hands stops working)."""

from __future__ import annotations

from gateway.console.framework import COORDINATOR, page, redirect
from gateway.web_security import public_url

C = "/console/coordination"


def link_url(token: str, request) -> str:
    base = public_url() or request.host_url
    return base.rstrip("/") + "/commune/" + token


class CommuneLinkPages:
    def _link_page(self, partner_id: str) -> str:
        return f"{C}/partenaires/{partner_id}/lien-commune"

    @page(C + "/communes", roles=COORDINATOR)
    def page_communes(self, ctx):
        communes = [p for p in self.partners_rpc.list_partners() if p["kind"] == "local_authority"]
        return ctx.render("commune_links.html", communes=communes)

    def _status(self, partner_id: str) -> dict:
        status = self.partners_rpc.commune_link_status(partner_id)
        status["villages"] = (
            self.members_rpc.village_names(status["village_ids"]) if status["village_ids"] else []
        )
        return status

    @page(C + "/partenaires/<partner_id>/lien-commune", methods="GET,POST", roles=COORDINATOR)
    def page_commune_link(self, ctx):
        """POST issues the first link; a commune that has one replaces it through the confirmation
        page (its old link stops working)."""
        partner_id = ctx.params["partner_id"]
        status = self._status(partner_id)
        if ctx.request.method == "POST":
            if status["link"] is not None:
                return redirect(self._link_page(partner_id) + "/remplacer")
            return self._issued(ctx, partner_id)
        return ctx.render(
            "commune_link.html",
            commune=status,
            revoked=ctx.args.get("revoque") == "1",
            link=None,
        )

    def _issued(self, ctx, partner_id: str):
        """The link is shown in this answer only (never in an address: it would stay in the
        history); the page is not kept by the browser's cache either (Cache-Control: no-store)."""
        issued = self.partners_rpc.issue_commune_link(partner_id)
        return ctx.render(
            "commune_link.html",
            commune=self._status(partner_id),
            revoked=False,
            link=link_url(issued["token"], ctx.request),
        )

    @page(
        C + "/partenaires/<partner_id>/lien-commune/remplacer",
        methods="GET,POST",
        roles=COORDINATOR,
    )
    def page_commune_link_replace(self, ctx):
        partner_id = ctx.params["partner_id"]
        status = self._status(partner_id)
        if ctx.request.method == "POST":
            return self._issued(ctx, partner_id)
        return ctx.render(
            "confirm.html",
            title="Remplacer le lien de la commune",
            question=f"Remplacer le lien de « {status['name']} » ?",
            detail="Le lien actuel cessera aussitôt de fonctionner : il faudra transmettre le "
            "nouveau à la commune.",
            confirm_label="Confirmer : créer un nouveau lien",
            back=self._link_page(partner_id),
        )

    @page(
        C + "/partenaires/<partner_id>/lien-commune/retirer",
        methods="GET,POST",
        roles=COORDINATOR,
    )
    def page_commune_link_revoke(self, ctx):
        partner_id = ctx.params["partner_id"]
        status = self._status(partner_id)
        if ctx.request.method == "POST":
            self.partners_rpc.revoke_commune_link(partner_id)
            return redirect(self._link_page(partner_id) + "?revoque=1")
        return ctx.render(
            "confirm.html",
            title="Retirer le lien de la commune",
            question=f"Retirer le lien de « {status['name']} » ?",
            detail="La commune ne pourra plus consulter ses chiffres tant qu'un nouveau lien ne "
            "lui aura pas été remis.",
            confirm_label="Confirmer le retrait du lien",
            back=self._link_page(partner_id),
        )
