"""Routes about partners, their API keys and their offers (partners service). A partner (API key,
role PARTNER) manages its own offers under /api/partner/...; the coordinator registers partners and
may manage any partner's offers under /api/partners/...; staff read the
partners serving a village."""

from gateway.queries import PartnerListArgs
from gateway.routing import COORDINATOR, PARTNER, STAFF, route
from gateway.schemas import ApiKeyRotated, ApiKeysRevoked, NoBody, PartnerCreatedOutput
from services.partners.schemas import (
    AvailabilityInput,
    OfferInput,
    OfferOutput,
    PartnerInput,
    PartnerOutput,
)
from services.partners.schemas.partners import (
    PartnerRemovalInput,
    PartnerRemovedOutput,
    PartnerUpdateInput,
)

_MY_OFFER = "/api/partner/offers/<offer_id>"
_OFFER = "/api/partners/<partner_id>/offers/<offer_id>"


class PartnerRoutes:
    @route(
        "POST",
        "/api/partners",
        summary="Enregistrer un partenaire (sa clé d'API est montrée une fois)",
        tag="partenaires",
        roles=COORDINATOR,
        body=PartnerInput,
        response=PartnerCreatedOutput,
        status=201,
    )
    def register_partner(self, call):
        """Kind, relationships (supplier, logistics, client, funder, co_organiser: several at once),
        villages served (none: the whole network; the scope follows), contacts, SIRET (checked)."""
        return self.partners_rpc.register_partner(call.sent)

    @route(
        "POST",
        "/api/partners/<partner_id>/api-key",
        summary="Nouvelle clé d'API d'un partenaire (l'ancienne "
        "est révoquée ; la nouvelle est montrée une fois)",
        tag="partenaires",
        roles=COORDINATOR,
        body=NoBody,
        response=ApiKeyRotated,
        status=201,
        errors=(404, 409),
    )
    def rotate_partner_api_key(self, call):
        return self.partners_rpc.rotate_api_key(call.params["partner_id"])

    @route(
        "POST",
        "/api/partners/<partner_id>/api-key/revoke",
        summary="Révoquer les clés d'API d'un partenaire",
        tag="partenaires",
        roles=COORDINATOR,
        body=NoBody,
        response=ApiKeysRevoked,
        errors=(404,),
    )
    def revoke_partner_api_keys(self, call):
        return self.partners_rpc.revoke_api_keys(call.params["partner_id"])

    @route(
        "POST",
        "/api/partners/<partner_id>/removal",
        summary="Mettre fin à un partenariat (motif obligatoire)",
        tag="partenaires",
        roles=COORDINATOR,
        body=PartnerRemovalInput,
        response=PartnerRemovedOutput,
        errors=(404,),
    )
    def remove_partner(self, call):
        """In one go: the partner is marked ended with the reason, its API keys revoked, its
        webhooks disabled and their pending deliveries set aside, its offers withdrawn from every
        village catalogue (each announces `catalogue.changed`); then its AMQP feed (broker user and
        queues) is deleted, or retried by the service until the broker answers (`feed_deleted`). Its
        history, figures and offers stay. Removing it again answers the same."""
        return self.partners_rpc.remove_partner(call.params["partner_id"], call.sent)

    @route(
        "POST",
        "/api/partner/api-key",
        summary="Changer ma clé d'API (l'ancienne cesse de fonctionner ; la "
        "nouvelle est montrée une fois)",
        tag="partenaires",
        roles=PARTNER,
        body=NoBody,
        response=ApiKeyRotated,
        status=201,
    )
    def rotate_own_api_key(self, call):
        return self.partners_rpc.rotate_api_key(call.principal.id)

    @route(
        "GET",
        "/api/partner/me",
        summary="Le partenaire appelant (par clé d'API)",
        tag="partenaires",
        roles=PARTNER,
        response=PartnerOutput,
    )
    def partner_me(self, call):
        return self.partners_rpc.get_partner(call.principal.id)

    @route(
        "GET",
        "/api/partners",
        summary="Les partenaires (?village_id= : ceux qui servent ce village ; "
        "?include_ended=1 : aussi ceux dont le partenariat a pris fin)",
        tag="partenaires",
        roles=COORDINATOR,
        response=PartnerOutput,
        many=True,
        paged=True,
        query=PartnerListArgs,
    )
    def list_partners(self, call):
        return self.partners_rpc.list_partners(
            call.query["village_id"], call.window, call.query["include_ended"]
        )

    @route(
        "GET",
        "/api/villages/<village_id>/partners",
        summary="Les partenaires qui servent le village",
        tag="partenaires",
        roles=STAFF,
        scope="path:village_id",
        response=PartnerOutput,
        many=True,
        paged=True,
    )
    def village_partners(self, call):
        return self.partners_rpc.list_partners(call.params["village_id"], call.window)

    @route(
        "GET",
        "/api/partners/<partner_id>",
        summary="Un partenaire",
        tag="partenaires",
        roles=COORDINATOR,
        response=PartnerOutput,
        errors=(404,),
    )
    def get_partner(self, call):
        return self.partners_rpc.get_partner(call.params["partner_id"])

    @route(
        "PATCH",
        "/api/partners/<partner_id>",
        summary="Modifier les villages servis, relations, contacts ou SIRET d'un partenaire",
        tag="partenaires",
        roles=COORDINATOR,
        body=PartnerUpdateInput,
        response=PartnerOutput,
        errors=(404, 409),
    )
    def update_partner(self, call):
        """What is given replaces what was (villages served, relationships, contacts, SIRET); a
        village still selling the partner's offers cannot be left (409 naming them)."""
        return self.partners_rpc.update_partner(call.params["partner_id"], call.sent)

    # --- a partner's own offers (by API key) ------------------------------------------------------

    @route(
        "GET",
        "/api/partner/offers",
        summary="Mes offres et leur disponibilité",
        tag="offres",
        roles=PARTNER,
        response=OfferOutput,
        many=True,
        paged=True,
    )
    def my_offers(self, call):
        return self.partners_rpc.list_offers(call.principal.id, call.window)

    @route(
        "POST",
        "/api/partner/offers",
        summary="Publier une offre (produit ou service)",
        tag="offres",
        roles=PARTNER,
        body=OfferInput,
        response=OfferOutput,
        status=201,
    )
    def create_my_offer(self, call):
        """Price in whole cents, VAT rate per mille (0, 21, 55, 100, 200), villages among those the
        partner serves. Announces `offer.published`."""
        return self.partners_rpc.create_offer(call.principal.id, call.sent)

    @route(
        "GET",
        _MY_OFFER,
        summary="Une de mes offres",
        tag="offres",
        roles=PARTNER,
        response=OfferOutput,
        errors=(404,),
    )
    def get_my_offer(self, call):
        return self.partners_rpc.get_offer(call.principal.id, call.params["offer_id"])

    @route(
        "PUT",
        _MY_OFFER,
        summary="Modifier une de mes offres",
        tag="offres",
        roles=PARTNER,
        body=OfferInput,
        response=OfferOutput,
        errors=(404, 409),
    )
    def update_my_offer(self, call):
        """Every village selling it gets its new catalogue (`catalogue.changed`); a village may
        leave the offer's villages only once no catalogue sells it there (409)."""
        return self.partners_rpc.update_offer(call.principal.id, call.params["offer_id"], call.sent)

    @route(
        "PUT",
        _MY_OFFER + "/availability",
        summary="Disponible ou en rupture (partout)",
        tag="offres",
        roles=PARTNER,
        body=AvailabilityInput,
        response=OfferOutput,
        errors=(404,),
    )
    def set_my_offer_availability(self, call):
        return self.partners_rpc.set_offer_availability(
            call.principal.id, call.params["offer_id"], call.sent
        )

    # --- any partner's offers (the coordinator, on a partner's behalf) ----------------------------

    @route(
        "GET",
        "/api/partners/<partner_id>/offers",
        summary="Les offres d'un partenaire",
        tag="offres",
        roles=COORDINATOR,
        response=OfferOutput,
        many=True,
        errors=(404,),
        paged=True,
    )
    def partner_offers(self, call):
        return self.partners_rpc.list_offers(call.params["partner_id"], call.window)

    @route(
        "POST",
        "/api/partners/<partner_id>/offers",
        summary="Publier une offre pour un partenaire",
        tag="offres",
        roles=COORDINATOR,
        body=OfferInput,
        response=OfferOutput,
        status=201,
        errors=(404, 409),
    )
    def create_partner_offer(self, call):
        return self.partners_rpc.create_offer(call.params["partner_id"], call.sent)

    @route(
        "PUT",
        _OFFER,
        summary="Modifier l'offre d'un partenaire",
        tag="offres",
        roles=COORDINATOR,
        body=OfferInput,
        response=OfferOutput,
        errors=(404, 409),
    )
    def update_partner_offer(self, call):
        return self.partners_rpc.update_offer(
            call.params["partner_id"], call.params["offer_id"], call.sent
        )

    @route(
        "PUT",
        _OFFER + "/availability",
        summary="Disponibilité de l'offre d'un partenaire",
        tag="offres",
        roles=COORDINATOR,
        body=AvailabilityInput,
        response=OfferOutput,
        errors=(404, 409),
    )
    def set_partner_offer_availability(self, call):
        return self.partners_rpc.set_offer_availability(
            call.params["partner_id"], call.params["offer_id"], call.sent
        )
