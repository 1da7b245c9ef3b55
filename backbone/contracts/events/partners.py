"""Events published by the partners service."""

from marshmallow import fields, validate

from backbone.contracts.events.members import SKILL_CODE
from backbone.contracts.registry import registry
from backbone.messages import msg
from backbone.schemas import Schema


@registry.register(
    "partner.joined",
    1,
    publisher="partners",
    village_scoped=False,
    description="An organisation (producer, shop, La Poste, a commune…) joined the network.",
)
class PartnerJoinedV1(Schema):
    partner_id = fields.String(required=True, metadata={"description": "Id of the partner (UUID)."})
    name = fields.String(required=True, metadata={"description": "Name of the organisation."})
    kind = fields.String(
        required=True, metadata={"description": "producer, local_authority, national_company…"}
    )
    village_ids = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Villages it serves; empty means the whole network."},
    )
    # added within v1 (optional, empty when not told): a service structure's or an artisan's
    # skills count as supply on the skills map where it serves
    skills = fields.List(
        fields.String(validate=SKILL_CODE),
        load_default=list,
        metadata={
            "description": "Codes of the network's skills its services offer (jardinage, "
            "plomberie…), as help requests name them."
        },
    )


@registry.register(
    "partner.updated",
    1,
    publisher="partners",
    village_scoped=False,
    description="A partner's description changed (the villages it serves, its relationships): "
    "the whole description, as `partner.joined` gives it and more, so that a reader that missed "
    "the joining can still record it. Its contact people stay in the partners service. Readers "
    "keep the latest by `occurred_at`. The end of a partnership is told by it too (`ended_at` "
    "set): from then on the partner supplies nothing, and every later description still says it "
    "ended.",
)
class PartnerUpdatedV1(PartnerJoinedV1):
    relationships = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "supplier, logistics, client, funder, co_organiser."},
    )
    # added within v1 (optional, null when not told: an event written before it reads back as a
    # partner still active): the end of the partnership is part of the description, so that the
    # latest description by `occurred_at` says it and an older one arriving late cannot undo it
    ended_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "When the partnership ended (UTC); null while it lasts. An ended "
            "partner serves no village any more: its skills and offers count as supply nowhere."
        },
    )


# --- catalogues (services/partners): what the orders service needs to take an order without ever
# calling partners. A village's whole catalogue travels each time (a snapshot, a few hundred items
# at most), so a reader simply keeps the newest by `occurred_at` and replaces the village's items.

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
VAT_RATES_PER_MILLE = (0, 21, 55, 100, 200)  # French rates: 0 %, 2.1 %, 5.5 %, 10 %, 20 %
HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error=msg("weekday_time", example="18:00"))


class CatalogueItemV1(Schema):
    item_id = fields.String(
        required=True,
        metadata={"description": "Id of the catalogue entry (UUID): what an order line names."},
    )
    offer_id = fields.String(
        required=True, metadata={"description": "The partner's offer it sells."}
    )
    partner_id = fields.String(required=True, metadata={"description": "The partner supplying it."})
    partner_name = fields.String(required=True, metadata={"description": "Name of that partner."})
    shared_supplier = fields.Boolean(
        required=True,
        metadata={
            "description": "True when the partner supplies several "
            "villages (its lines are pooled per cycle)."
        },
    )
    name = fields.String(
        required=True, metadata={"description": "What is sold (as shown at the counter)."}
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("product", "service")),
        metadata={"description": "product or service."},
    )
    unit = fields.String(
        required=True, metadata={"description": "Unit sold: piece, kg, litre, dozen, hour…"}
    )
    price_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Local price in this village, VAT included, in cents."},
    )
    vat_rate = fields.Integer(
        required=True,
        strict=True,
        validate=validate.OneOf(VAT_RATES_PER_MILLE),
        metadata={"description": "VAT rate in per mille (55 = 5.5 %)."},
    )
    lead_time_days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=60),
        metadata={"description": "Days between the order's cut-off and delivery."},
    )
    cutoff_time = fields.String(
        required=True,
        validate=HHMM,
        metadata={
            "description": "Local time (Europe/Paris) when orders close, "
            "`lead_time_days` before a delivery day."
        },
    )
    days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        required=True,
        metadata={"description": "Days of the week it is delivered or available here."},
    )
    perishable = fields.Boolean(
        required=True, metadata={"description": "Perishable goods (kept cold, quick)."}
    )
    available = fields.Boolean(
        required=True, metadata={"description": "False while it is out of stock here."}
    )


@registry.register(
    "catalogue.changed",
    1,
    publisher="partners",
    description="A village's catalogue changed (an item added, removed, repriced, out of stock, or "
    "an offer it sells changed). Carries the whole catalogue of the village: readers "
    "keep the newest by `occurred_at` and replace what they had.",
)
class CatalogueChangedV1(Schema):
    village_id = fields.String(
        required=True, metadata={"description": "Village whose catalogue this is."}
    )
    items = fields.List(
        fields.Nested(CatalogueItemV1),
        required=True,
        metadata={"description": "Every item of the village's catalogue, available or not."},
    )


# --- offers and campaigns (services/partners) ------------------------------------------------


@registry.register(
    "offer.published",
    1,
    publisher="partners",
    village_scoped=False,
    description="A partner's offer was created or changed (price, days, villages, availability). "
    "Each village selling it also gets `catalogue.changed`.",
)
class OfferPublishedV1(Schema):
    offer_id = fields.String(required=True, metadata={"description": "Id of the offer (UUID)."})
    partner_id = fields.String(required=True, metadata={"description": "The partner selling it."})
    partner_name = fields.String(required=True, metadata={"description": "Name of that partner."})
    name = fields.String(required=True, metadata={"description": "What is offered."})
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("product", "service")),
        metadata={"description": "product or service."},
    )
    unit = fields.String(
        required=True, metadata={"description": "Unit sold: piece, kg, litre, dozen, hour…"}
    )
    price_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "Reference price, VAT included, in cents (a village may "
            "sell it at its own local price)."
        },
    )
    vat_rate = fields.Integer(
        required=True,
        strict=True,
        validate=validate.OneOf(VAT_RATES_PER_MILLE),  # a list, so the JSON Schema says it too
        metadata={"description": "VAT rate in per mille: 0, 21, 55, 100 or 200 (55 = 5.5 %)."},
    )
    lead_time_days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=60),
        metadata={"description": "Days between the order's cut-off and delivery."},
    )
    cutoff_time = fields.String(
        required=True,
        validate=HHMM,
        metadata={"description": "Local time (Europe/Paris) when orders close."},
    )
    days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        required=True,
        metadata={"description": "Days of the week it is delivered or available."},
    )
    village_ids = fields.List(
        fields.String(), required=True, metadata={"description": "Villages where it is available."}
    )
    perishable = fields.Boolean(required=True, metadata={"description": "Perishable goods."})
    available = fields.Boolean(
        required=True, metadata={"description": "False while the partner is out of it."}
    )


@registry.register(
    "campaign.launched",
    1,
    publisher="partners",
    village_scoped=False,
    description="A crowdfunding campaign for an installation or equipment was launched.",
)
class CampaignLaunchedV1(Schema):
    campaign_id = fields.String(
        required=True, metadata={"description": "Id of the campaign (UUID)."}
    )
    village_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The village it is for; null: the whole network."},
    )
    title = fields.String(required=True, metadata={"description": "What it funds."})
    goal_cents = fields.Integer(
        required=True, strict=True, metadata={"description": "Goal, in cents."}
    )
    deadline = fields.AwareDateTime(
        required=True, metadata={"description": "When pledges close (UTC)."}
    )


@registry.register(
    "campaign.funded",
    1,
    publisher="partners",
    village_scoped=False,
    description="A campaign reached its goal: it is closed and funded.",
)
class CampaignFundedV1(Schema):
    campaign_id = fields.String(required=True, metadata={"description": "Id of the campaign."})
    village_id = fields.String(
        required=True, allow_none=True, metadata={"description": "Its village, or null."}
    )
    goal_cents = fields.Integer(
        required=True, strict=True, metadata={"description": "Goal, in cents."}
    )
    pledged_cents = fields.Integer(
        required=True, strict=True, metadata={"description": "Total pledged, in cents."}
    )
    pledges = fields.Integer(
        required=True, strict=True, metadata={"description": "Number of pledges."}
    )
    title = fields.String(
        load_default=None, allow_none=True, metadata={"description": "What it funds."}
    )
    member_ids = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "The members who pledged (partners' pledges are not listed)."},
    )


@registry.register(
    "campaign.failed",
    1,
    publisher="partners",
    village_scoped=False,
    description="A campaign closed under its goal (its deadline passed, or the coordinator "
    "closed it early): it is not funded (pledgers are not charged).",
)
class CampaignFailedV1(CampaignFundedV1):
    """The same facts as a funded campaign's: only the outcome differs."""


@registry.register(
    "campaign.pledged",
    1,
    publisher="partners",
    village_scoped=False,
    description="A member or a partner pledged to a campaign (a promise; payment stays outside); "
    "the members service thanks a member.",
)
class CampaignPledgedV1(Schema):
    campaign_id = fields.String(required=True, metadata={"description": "Id of the campaign."})
    village_id = fields.String(
        required=True, allow_none=True, metadata={"description": "Its village, or null."}
    )
    title = fields.String(required=True, metadata={"description": "What it funds."})
    pledge_id = fields.String(required=True, metadata={"description": "Id of the pledge."})
    member_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The member who pledged; null for a partner."},
    )
    amount_cents = fields.Integer(
        required=True, strict=True, metadata={"description": "Amount promised, in cents."}
    )
