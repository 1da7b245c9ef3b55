"""Routes about a village's catalogue (partners service): the offers it may sell, and its selection
at local prices. A concierge manages their own village's catalogue (`scope="path:village_id"`), the
coordinator any; an item of another village is "not found". (GET …/catalogue itself is the
counter's view, served by the orders service from these events.) Every change publishes
`catalogue.changed` (the whole catalogue of the village) for the orders service."""

from gateway.routing import STAFF, route
from services.partners.schemas import (
    CatalogueEntryInput,
    CatalogueEntryUpdate,
    CatalogueOutput,
    OfferOutput,
)

_CATALOGUE = "/api/villages/<village_id>/catalogue"


class CatalogueRoutes:
    @route(
        "GET",
        _CATALOGUE + "/selection",
        tag="catalogues",
        roles=STAFF,
        scope="path:village_id",
        response=CatalogueOutput,
        errors=(404,),
        summary="La sélection du village parmi les offres des "
        "partenaires (prix locaux, disponibilité)",
    )
    def get_catalogue(self, call):
        """What the partners service holds and publishes; the counter reads the same items from the
        orders service (GET /api/villages/<village_id>/catalogue)."""
        return self.partners_rpc.get_catalogue(call.params["village_id"])

    @route(
        "GET",
        "/api/villages/<village_id>/offers",
        tag="catalogues",
        roles=STAFF,
        scope="path:village_id",
        response=OfferOutput,
        many=True,
        errors=(404,),
        summary="Les offres que le village peut vendre "
        "(partenaires locaux et fournisseurs mutualisés)",
    )
    def village_offers(self, call):
        return self.partners_rpc.village_offers(call.params["village_id"])

    @route(
        "POST",
        _CATALOGUE,
        tag="catalogues",
        roles=STAFF,
        scope="path:village_id",
        body=CatalogueEntryInput,
        response=CatalogueOutput,
        status=201,
        errors=(404, 409),
        summary="Ajouter une offre au catalogue (au prix local donné, sinon au prix de l'offre)",
    )
    def add_catalogue_entry(self, call):
        """The offer must be available in this village (its partner serves it); once per offer
        (409). The answer's `item` is the new entry."""
        return self.partners_rpc.add_catalogue_entry(call.params["village_id"], call.sent)

    @route(
        "PATCH",
        _CATALOGUE + "/<item_id>",
        tag="catalogues",
        roles=STAFF,
        scope="path:village_id",
        body=CatalogueEntryUpdate,
        response=CatalogueOutput,
        errors=(404,),
        summary="Changer le prix local ou la disponibilité d'un article",
    )
    def update_catalogue_entry(self, call):
        return self.partners_rpc.update_catalogue_entry(
            call.params["village_id"], call.params["item_id"], call.sent
        )

    @route(
        "DELETE",
        _CATALOGUE + "/<item_id>",
        tag="catalogues",
        roles=STAFF,
        scope="path:village_id",
        response=CatalogueOutput,
        errors=(404,),
        summary="Retirer un article du catalogue",
    )
    def remove_catalogue_entry(self, call):
        return self.partners_rpc.remove_catalogue_entry(
            call.params["village_id"], call.params["item_id"]
        )
