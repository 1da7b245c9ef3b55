"""Shapes of funding sources (per village or for the network) and of crowdfunding campaigns."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.messages import msg
from backbone.schemas import Schema

FUNDING_KINDS = (
    "public_grant",
    "private_sponsor",
    "membership_fees",
    "sales_margin",
    "service_contract",
    "crowdfunding",  # a campaign funded (services/partners/campaigns.py), never typed by hand
)
TYPED_KINDS = FUNDING_KINDS[:-1]
AMOUNT = validate.Range(min=1, max=1_000_000_000)
VILLAGE_ID = validate.Length(equal=36)


class FundingSourceInput(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(TYPED_KINDS),
        metadata={
            "description": "public_grant, private_sponsor, membership_fees, sales_margin, "
            "service_contract (a local authority buying services: a client)."
        },
    )
    name = fields.String(required=True, validate=validate.Length(min=2, max=160))
    village_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=VILLAGE_ID,
        metadata={"description": "The village funded; none: the whole network."},
    )
    partner_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(equal=36),
        metadata={
            "description": "The funder or client (required for a service contract: "
            "a local authority)."
        },
    )
    amount_cents = fields.Integer(required=True, strict=True, validate=AMOUNT)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    received_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "When the money came in (the start date when omitted)."},
    )
    services = fields.List(
        fields.String(validate=validate.Length(min=2, max=160)),
        load_default=list,
        metadata={"description": "Services bought (a service contract)."},
    )

    @validates_schema
    def _consistent(self, data, **_kwargs):
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError(msg("end_before_start_date"), "ends_on")
        if data.get("kind") == "service_contract":
            if not data.get("services"):
                raise ValidationError(msg("contract_services_missing"), "services")
            if not data.get("ends_on"):
                raise ValidationError(msg("contract_end_missing"), "ends_on")
            if not data.get("partner_id"):
                raise ValidationError(msg("contract_buyer_missing"), "partner_id")


class FundingSourceOutput(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    village_id = fields.String(allow_none=True)
    partner_id = fields.String(allow_none=True)
    partner_name = fields.String(allow_none=True)
    amount_cents = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    received_on = fields.Date()
    services = fields.List(fields.String())
    created_at = fields.AwareDateTime()


class CampaignInput(Schema):
    title = fields.String(required=True, validate=validate.Length(min=3, max=160))
    purpose = fields.String(
        load_default="",
        validate=validate.Length(max=1000),
        metadata={"description": "The installation or equipment funded."},
    )
    village_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=VILLAGE_ID,
        metadata={"description": "The village it is for; none: the whole network."},
    )
    goal_cents = fields.Integer(required=True, strict=True, validate=AMOUNT)
    deadline = fields.AwareDateTime(required=True)


class PledgeInput(Schema):
    amount_cents = fields.Integer(required=True, strict=True, validate=AMOUNT)
    member_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(equal=36)
    )
    partner_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(equal=36)
    )
    pledger_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=2, max=160)
    )

    @validates_schema
    def _one_pledger(self, data, **_kwargs):
        if bool(data.get("member_id")) == bool(data.get("partner_id")):
            raise ValidationError(msg("member_or_partner"), "member_id")


class PledgeOutput(Schema):
    id = fields.String()
    amount_cents = fields.Integer()
    member_id = fields.String(allow_none=True)
    partner_id = fields.String(allow_none=True)
    pledger_name = fields.String(allow_none=True)
    pledged_at = fields.AwareDateTime()


class CampaignOutput(Schema):
    id = fields.String()
    title = fields.String()
    purpose = fields.String()
    village_id = fields.String(allow_none=True)
    goal_cents = fields.Integer()
    pledged_cents = fields.Integer()
    progress_percent = fields.Integer(
        metadata={"description": "Pledged over goal, in percent (may exceed 100)."}
    )
    deadline = fields.AwareDateTime()
    status = fields.String(metadata={"description": "running, funded or failed"})
    launched_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    pledges = fields.List(fields.Nested(PledgeOutput))
