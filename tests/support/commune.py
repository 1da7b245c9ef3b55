"""The commune's space's test bench (tests/gateway/test_commune_pages.py): the partners fake of
tests/support/coordination.py that also knows one commune's link, funding two of its villages."""

from nameko.rpc import rpc

from backbone.errors import AuthenticationFailed, InvalidInput, NotFound
from tests.support.coordination import CALLS, FakePartners

GOOD_TOKEN = "0123456789abcdef" + "S" * 43
REVOKED_TOKEN = "fedcba9876543210" + "R" * 43
COMMUNE = {
    "partner_id": "p-commune",
    "name": "Commune de Bugeat",
    "expires_at": "2027-12-04T10:00:00+00:00",
    "village_ids": ["v002", "v005"],
}
LINKS: dict[str, dict] = {}  # partner_id -> the link in force (what the coordinator's page shows)


class FakeCommunePartners(FakePartners):
    @rpc
    def open_commune_link(self, token):
        CALLS.append(("partners", "open_commune_link", (token,)))
        if token == GOOD_TOKEN:
            return COMMUNE
        raise AuthenticationFailed("bad_commune_link")

    @rpc
    def commune_link_status(self, partner_id):
        if partner_id != COMMUNE["partner_id"]:
            raise NotFound("partner", partner_id)
        return {
            "partner_id": partner_id,
            "name": COMMUNE["name"],
            "kind": "local_authority",
            "ended": False,
            "link": LINKS.get(partner_id),
            "village_ids": COMMUNE["village_ids"],
        }

    @rpc
    def issue_commune_link(self, partner_id):
        if partner_id != COMMUNE["partner_id"]:
            raise InvalidInput({"partner_id": ["not a local authority"]})
        link = {
            "id": "0123456789abcdef",
            "created_at": "2026-12-04T10:00:00+00:00",
            "expires_at": COMMUNE["expires_at"],
        }
        LINKS[partner_id] = link
        return {"token": GOOD_TOKEN, "link": link}

    @rpc
    def revoke_commune_link(self, partner_id):
        return {"revoked": int(LINKS.pop(partner_id, None) is not None)}

    @rpc
    def commune_invoices(self, partner_id):
        """No invoice issued yet (the money's own tests issue them: tests/gateway/
        test_money_pages.py)."""
        return []
