"""Routes about partners and their API keys (partners service)."""
from gateway.routing import COORDINATOR, PARTNER, route
from gateway.schemas import PartnerCreatedOutput
from services.partners.schemas import PartnerInput, PartnerOutput


class PartnerRoutes:
    @route("POST", "/api/partners", summary="Enregistrer un partenaire (sa clé d'API est montrée une fois)",
           tag="partenaires", roles=COORDINATOR, body=PartnerInput, response=PartnerCreatedOutput, status=201)
    def register_partner(self, call):
        return self.partners_rpc.register_partner(call.body)

    @route("GET", "/api/partner/me", summary="Le partenaire appelant (par clé d'API)", tag="partenaires",
           roles=PARTNER, response=PartnerOutput)
    def partner_me(self, call):
        return self.partners_rpc.get_partner(call.principal.id)
