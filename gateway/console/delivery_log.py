"""The village's delivery log in the console: every SMS, e-mail and call of its notices, where it
stands (sent, waiting, failed and tried again, parked, to call, called) and the provider's answer
to the last failure. Its concierge's page only, like the API's log: the coordinator sees figures,
never whom a message went to."""

from __future__ import annotations

from gateway.console.form_values import whole_number
from gateway.console.framework import page
from services.members.schemas.notices import DELIVERY_OUTCOMES

V = "/console/villages/<village_id>"
PER_PAGE = 100


class DeliveryLogPages:
    @page(V + "/envois", roles=("concierge",), village_scoped=True)
    def page_delivery_log(self, ctx):
        outcome = ctx.args.get("etat") or None
        if outcome not in DELIVERY_OUTCOMES:
            outcome = None
        number = whole_number(ctx.args.get("page", ""))
        number = number if isinstance(number, int) and 1 <= number <= 1000 else 1
        # one line more than shown: whether a next page exists
        window = {"limit": PER_PAGE + 1, "offset": (number - 1) * PER_PAGE}
        lines = self.members_rpc.notice_delivery_log(
            ctx.params["village_id"], {"outcome": outcome} if outcome else {}, window
        )
        return ctx.render(
            "delivery_log.html",
            lines=lines[:PER_PAGE],
            outcome=outcome,
            outcomes=DELIVERY_OUTCOMES,
            page_number=number,
            has_next=len(lines) > PER_PAGE,
        )
