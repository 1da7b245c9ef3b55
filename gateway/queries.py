"""Query strings of the API's routes that no service schema describes (`@route(query=…)`).

The gateway validates a route's query with its schema (400 naming the parameter) and the OpenAPI
document lists the schema's fields as `in: query` parameters: what is documented is what is
checked. Where a service has a schema for the same filters, the route names that one instead
(e.g. services/members/schemas/volunteers.py `VolunteerFiltersInput`), as for bodies.
An empty value (`?status=`) is taken as absent; a parameter no schema names is ignored.
"""

from marshmallow import fields, validate

from backbone.schemas import Schema
from services.events.schemas import CATEGORY_LABELS, SUGGESTION_STATUS_LABELS
from services.orders.schemas.help_requests import HELP_STATUS_LABELS
from services.orders.schemas.orders import STATUS_LABELS as ORDER_STATUS_LABELS
from services.partners.schemas.partners import PartnerListQuery
from services.partners.schemas.subscriptions import DeliveryQuery


def _flag(description: str) -> fields.Boolean:
    return fields.Boolean(
        load_default=False,
        truthy={"1", "true", "oui", "yes", "on"},
        falsy={"0", "false", "non", "no", "off"},
        metadata={"description": description},
    )


def _one_of(labels, description: str) -> fields.String:
    return fields.String(
        load_default=None,
        validate=validate.OneOf(tuple(labels)),
        metadata={"description": description},
    )


class DayQuery(Schema):
    date = fields.Date(
        load_default=None,
        metadata={"description": "Le jour (AAAA-MM-JJ ; aujourd'hui par défaut)."},
    )


class OrderListArgs(Schema):
    status = _one_of(ORDER_STATUS_LABELS, "Les commandes dans cet état seulement.")
    date = fields.Date(
        load_default=None,
        metadata={"description": "Les commandes livrées ou retirées ce jour (AAAA-MM-JJ)."},
    )


class PartnerOrderListQuery(Schema):
    status = _one_of(ORDER_STATUS_LABELS, "Les commandes dans cet état seulement.")


class PurchaseOrderListQuery(Schema):
    status = _one_of(
        ("open", "sent", "empty"),
        "open (encore ouverte), sent (envoyée) ou empty (close sans rien à envoyer).",
    )


class HelpRequestListQuery(Schema):
    status = _one_of(HELP_STATUS_LABELS, "Les demandes dans cet état seulement.")


class SuggestionListQuery(Schema):
    status = _one_of(SUGGESTION_STATUS_LABELS, "Les suggestions dans cet état seulement.")
    category = _one_of(CATEGORY_LABELS, "Les suggestions de cette catégorie seulement.")


class AnimationListQuery(Schema):
    upcoming = _flag("1 : les animations à venir seulement.")


class CatalogueQuery(Schema):
    available = _flag("1 : les articles disponibles seulement.")


class PartnerListArgs(PartnerListQuery):
    village_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "Les partenaires qui servent ce village."},
    )


class OwnDeliveryQuery(DeliveryQuery):
    """A partner's own deliveries: the same filters, less the partner."""

    class Meta:
        exclude = ("partner_id",)


class OptOutQuery(Schema):
    jeton = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "Le jeton signé du lien de désabonnement d'un e-mail."},
    )
