"""Shapes crossing the partners service's boundary: partners, their contacts, API keys, villages."""

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from backbone import network_facts_schemas
from backbone.contracts.events.members import SKILL_CODE
from backbone.messages import msg
from backbone.schemas import Schema

PARTNER_KINDS = (
    "producer",
    "artisan",
    "merchant",
    "service_provider",
    "association",
    "social_enterprise",
    "local_authority",
    "national_company",
    "small_business",
)
RELATIONSHIPS = ("supplier", "logistics", "client", "funder", "co_organiser")
SCOPES = ("village", "cluster", "network")  # one village, several villages, every village (no list)
API_KEY = validate.Regexp(r"^mlg_[0-9a-f]{16}_[A-Za-z0-9_-]{20,80}$", error=msg("api_key_format"))
# La Poste's establishments' SIRETs do not follow Luhn: their digits sum to a multiple of 5
LA_POSTE_SIREN = "356000000"


def siret_is_valid(siret: str) -> bool:
    """14 digits passing the Luhn check; La Poste's establishments (SIREN 356000000) are the known
    exception: the sum of their digits is a multiple of 5."""
    if len(siret) != 14 or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return sum(int(d) for d in siret) % 5 == 0
    total = 0
    for position, digit in enumerate(reversed(siret)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class ContactInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    role = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    phone = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=6, max=30)
    )
    email = fields.Email(load_default=None, allow_none=True)

    @validates_schema
    def _reachable(self, data, **_kwargs):
        if not data.get("phone") and not data.get("email"):
            raise ValidationError(msg("phone_or_email_missing"), "phone")


class PartnerInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=160))
    kind = fields.String(required=True, validate=validate.OneOf(PARTNER_KINDS))
    village_ids = fields.List(
        fields.String(validate=validate.Length(equal=36)),
        load_default=list,
        metadata={"description": "Villages served; empty: the whole network."},
    )
    relationships = fields.List(
        fields.String(validate=validate.OneOf(RELATIONSHIPS)),
        load_default=list,
        metadata={
            "description": "supplier, logistics, client, funder, co_organiser (several at once)."
        },
    )
    scope = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(SCOPES),
        metadata={
            "description": "village (one), cluster (several), network (all, no "
            "village listed); deduced from village_ids when omitted."
        },
    )
    contacts = fields.List(
        fields.Nested(ContactInput), load_default=list, validate=validate.Length(max=20)
    )
    skills = fields.List(
        fields.String(validate=SKILL_CODE),
        load_default=list,
        validate=validate.Length(max=30),
        metadata={
            "description": "Codes of the network's skills its services offer (a service structure, "
            "an artisan): they count as supply on the skills map where it serves."
        },
    )
    siret = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "14 digits (spaces allowed), checked (Luhn)."},
    )
    commission_per_mille = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=1000),
        metadata={
            "description": "The hub's commission on what it sells of the partner's goods "
            "(consignment), per mille: 150 = 15 %; null: none agreed."
        },
    )

    @validates("siret")
    def _siret(self, value, **_kwargs):
        if value is not None and not siret_is_valid(value.replace(" ", "")):
            raise ValidationError(msg("invalid_siret"))

    @validates_schema
    def _consistent(self, data, **_kwargs):
        villages = data.get("village_ids") or []
        if len(set(villages)) != len(villages):
            raise ValidationError(msg("village_listed_twice"), "village_ids")
        if len(set(data.get("relationships") or [])) != len(data.get("relationships") or []):
            raise ValidationError(msg("relationship_listed_twice"), "relationships")
        if len(set(data.get("skills") or [])) != len(data.get("skills") or []):
            raise ValidationError(msg("skill_listed_twice"), "skills")
        scope = data.get("scope")
        expected = {
            "network": len(villages) == 0,
            "village": len(villages) == 1,
            "cluster": len(villages) >= 2,
        }
        if scope is not None and not expected[scope]:
            raise ValidationError(msg("scope_villages"), "scope")


class PartnerUpdateInput(Schema):
    """A partner's profile, replaced field by field (what is omitted stays), the villages it serves
    included (`partner.updated` tells the other services)."""

    village_ids = fields.List(
        fields.String(validate=validate.Length(equal=36)),
        metadata={"description": "Villages served; empty: the whole network."},
    )
    relationships = fields.List(fields.String(validate=validate.OneOf(RELATIONSHIPS)))
    contacts = fields.List(fields.Nested(ContactInput), validate=validate.Length(max=20))
    siret = fields.String(allow_none=True)
    commission_per_mille = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=0, max=1000),
        metadata={
            "description": "The hub's commission on what it sells of the partner's goods "
            "(consignment), per mille: 150 = 15 %; null: none agreed."
        },
    )
    commission_effective_from = fields.Date(
        allow_none=True,
        metadata={
            "description": "The day the new commission rate takes effect: the first day of a "
            "month, not before the current month nor before the latest rate recorded (past "
            "months' statements keep their rate); omitted: the current month, or the latest "
            "rate's own date when it is a coming month's (a correction)."
        },
    )
    skills = fields.List(fields.String(validate=SKILL_CODE), validate=validate.Length(max=30))

    _siret = PartnerInput._siret

    @validates_schema
    def _something(self, data, **_kwargs):
        if not data:
            raise ValidationError(msg("partner_details_missing"), "relationships")
        if len(set(data.get("relationships") or [])) != len(data.get("relationships") or []):
            raise ValidationError(msg("relationship_listed_twice"), "relationships")
        if len(set(data.get("village_ids") or [])) != len(data.get("village_ids") or []):
            raise ValidationError(msg("village_listed_twice"), "village_ids")
        if len(set(data.get("skills") or [])) != len(data.get("skills") or []):
            raise ValidationError(msg("skill_listed_twice"), "skills")


class ContactOutput(Schema):
    name = fields.String()
    role = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class CommissionRateOutput(Schema):
    effective_from = fields.Date(
        metadata={"description": "In force from this day (1970-01-01: since the beginning)."}
    )
    per_mille = fields.Integer(allow_none=True, metadata={"description": "null: no commission."})


class PartnerOutput(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    village_ids = fields.List(fields.String())
    relationships = fields.List(fields.String())
    scope = fields.String(metadata={"description": "village, cluster or network"})
    shared_supplier = fields.Boolean(
        metadata={"description": "A supplier serving several villages."}
    )
    contacts = fields.List(fields.Nested(ContactOutput))
    siret = fields.String(allow_none=True)
    commission_per_mille = fields.Integer(
        allow_none=True,
        metadata={"description": "Commission on consignment sales in force today, per mille."},
    )
    commission_rates = fields.List(
        fields.Nested(CommissionRateOutput),
        metadata={"description": "The commission's history, oldest first."},
    )
    skills = fields.List(fields.String(), metadata={"description": "Skills its services offer."})
    created_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Fin du partenariat (null : en cours)."}
    )
    end_reason = fields.String(
        allow_none=True, metadata={"description": "Motif de la fin du partenariat."}
    )


class PartnerListQuery(Schema):
    include_ended = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Aussi les partenaires dont le partenariat a pris fin (la coordination)."
        },
    )


class PartnerRemovalInput(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=300),
        metadata={
            "description": "Motif de la fin du partenariat (3 à 300 caractères) ; gardé avec le "
            "partenaire et dans le journal de ses envois mis de côté."
        },
    )

    @validates("reason")
    def _not_blank(self, value, **_kwargs):
        if len(value.strip()) < 3:
            raise ValidationError(msg("partnership_end_reason_missing"))


class PartnerRemovedOutput(Schema):
    partner_id = fields.String()
    ended_at = fields.AwareDateTime()
    end_reason = fields.String()
    api_keys_revoked = fields.Integer()
    webhooks_disabled = fields.Integer()
    deliveries_parked = fields.Integer()
    catalogues_changed = fields.List(
        fields.String(), metadata={"description": "Villages dont le catalogue a changé."}
    )
    feed_deleted = fields.Boolean(
        metadata={
            "description": "Son compte et ses files du flux AMQP sont supprimés "
            "(sinon : réessayé par le service jusqu'à ce que le "
            "courtier réponde)."
        }
    )


class ApiKeyInput(Schema):
    api_key = fields.String(required=True, validate=API_KEY)


class KnownVillageOutput(network_facts_schemas.KnownVillageOutput):
    commune = fields.String()
    insee_code = fields.String()
