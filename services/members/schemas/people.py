"""Shapes of members (inhabitants) at the members service's boundary, and the normalisations the
counter relies on: phone numbers to E.164 (`phonenumbers`), names to a searchable form."""

import re
import unicodedata

import phonenumbers
from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.members import MEMBER_SERVICE_TAGS
from backbone.messages import msg
from backbone.schemas import Schema, occurred_at_field
from services.members.schemas.villages import POSTCODE

# profile tags (fixed list); the French words are what a concierge types in an import file
TAGS = {
    "reduced_mobility": "mobilité réduite",
    "fragile": "fragile",
    "living_alone": "vit seul·e",
    "no_car": "sans voiture",
    "hearing_impaired": "malentendant·e",
    "commuter": "actif",
    "family": "famille",
    "senior": "senior",
}
# the tags other services need to serve someone (deliveries, home help),
# carried by member.registered
SERVICE_TAGS = MEMBER_SERVICE_TAGS
CHANNELS = {"phone": "téléphone", "sms": "sms", "email": "e-mail", "counter": "au comptoir"}
CONSENT_PURPOSES = {
    "contact": "être contacté·e",
    "share_with_network": "partage avec le réseau",
    "photos": "photos",
    "newsletter": "lettre d'information",
}

# numbers ARCEP reserves for fiction (films, demos): valid in form, absent from `phonenumbers`' plan
_FICTION_PREFIXES = ("+3319900", "+3326191", "+3335301", "+3346571", "+3353649", "+3363998")

PHONE_ERROR = "Not a valid phone number."


def normalise_phone(text: str) -> str:
    """'01 99 00 12 34', '+33 1 99 00 12 34', '0033199001234', '01.99.00.12.34' -> '+33199001234'.
    Raises ValueError for anything that is not a valid number (French by default)."""
    try:
        number = phonenumbers.parse(str(text), "FR")
    except phonenumbers.NumberParseException:
        raise ValueError(PHONE_ERROR) from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.is_valid_number(number):
        return e164
    if (
        phonenumbers.is_possible_number(number)
        and e164.startswith(_FICTION_PREFIXES)
        and len(e164) == 12
    ):
        return e164
    raise ValueError(PHONE_ERROR)


def display_phone(e164: str | None) -> str | None:
    """'+33199001234' -> '01 99 00 12 34' (national format for French numbers)."""
    if not e164:
        return None
    if e164.startswith("+33") and len(e164) == 12:
        digits = "0" + e164[3:]
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def normalise_name(text: str | None) -> str:
    """'  Hélène  LE  BŒUF-Durand ' -> 'helene le boeuf durand' (no accents,
    no case, single spaces)."""
    if not text:
        return ""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


class Phone(fields.String):
    """A phone number as typed; loaded as E.164."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_phone(text)
        except ValueError:
            raise ValidationError(msg("invalid_phone")) from None


def _optional_text(max_length):
    return fields.String(allow_none=True, validate=validate.Length(max=max_length))


class _MemberFields(Schema):
    first_name = fields.String(validate=validate.Length(min=1, max=80))
    last_name = fields.String(validate=validate.Length(min=1, max=80))
    phone = Phone(allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    address = _optional_text(200)
    postcode = fields.String(allow_none=True, validate=POSTCODE)
    city = _optional_text(120)
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    tags = fields.List(fields.String(validate=validate.OneOf(tuple(TAGS))))
    preferred_channel = fields.String(validate=validate.OneOf(tuple(CHANNELS)))
    joined_on = fields.Date()
    fee_cents = fields.Integer(validate=validate.Range(min=0, max=100000))
    renewal_on = fields.Date(allow_none=True)
    confirm_duplicate = fields.Boolean(load_default=False)

    @validates_schema
    def _both_coordinates(self, data, **_kwargs):
        """A home's position is both its latitude and its longitude, or neither."""
        if ("latitude" in data or "longitude" in data) and (data.get("latitude") is None) != (
            data.get("longitude") is None
        ):
            missing = "longitude" if data.get("longitude") is None else "latitude"
            raise ValidationError(msg("coordinates_together"), missing)

    @validates_schema
    def coherent(self, data, partial=None, **_kwargs):
        if (
            data.get("joined_on")
            and data.get("renewal_on")
            and data["renewal_on"] < data["joined_on"]
        ):
            raise ValidationError(msg("renewal_before_joined"), "renewal_on")
        channel = data.get("preferred_channel")
        if channel in ("phone", "sms") and "phone" in data and not data["phone"]:
            raise ValidationError(msg("channel_needs_phone"), "phone")
        if channel == "email" and "email" in data and not data["email"]:
            raise ValidationError(msg("channel_needs_email"), "email")
        for name in ("first_name", "last_name"):
            if name in data and not normalise_name(data[name]):
                raise ValidationError(msg("name_needs_letter"), name)
        if "tags" in data and len(set(data["tags"])) != len(data["tags"]):
            raise ValidationError(msg("tag_given_twice"), "tags")


class MemberInput(_MemberFields):
    """A new member. Phone first: a number is enough to reach most people; `confirm_duplicate`
    registers someone who looks like an existing member (same phone or name in the village)."""

    village_id = fields.String(required=True)
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    phone = Phone(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    postcode = fields.String(load_default=None, allow_none=True, validate=POSTCODE)
    city = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))
    latitude = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90)
    )
    longitude = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180)
    )
    tags = fields.List(fields.String(validate=validate.OneOf(tuple(TAGS))), load_default=list)
    preferred_channel = fields.String(
        load_default="phone", validate=validate.OneOf(tuple(CHANNELS))
    )
    joined_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Default: the day of `occurred_at`, else today (Paris)."},
    )
    fee_cents = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))
    renewal_on = fields.Date(load_default=None, allow_none=True)
    consents = fields.List(
        fields.String(validate=validate.OneOf(tuple(CONSENT_PURPOSES))), load_default=list
    )
    idempotency_key = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=8, max=80),
        metadata={
            "description": "Optional; chosen by the caller once per registration (e.g. a UUID "
            "made when the form opens): the same key sent again answers the same member, never "
            "a second one."
        },
    )
    occurred_at = occurred_at_field()

    @validates_schema
    def reachable(self, data, **_kwargs):
        if not (data.get("phone") or data.get("email") or data.get("address")):
            raise ValidationError(msg("contact_missing"), "phone")


class MemberCreateBody(MemberInput):
    """The body of `POST /api/villages/<village_id>/members`: the village is the one in the path."""

    class Meta:
        exclude = ("village_id",)


class MemberUpdateInput(_MemberFields):
    """Changes to a member: only the fields given change (the home village does not)."""


class ConsentInput(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(tuple(CONSENT_PURPOSES)))


class MemberSearchInput(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=120))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class ConsentOutput(Schema):
    purpose = fields.String()
    given_at = fields.AwareDateTime()
    withdrawn_at = fields.AwareDateTime(allow_none=True)


class DuplicateOutput(Schema):
    member_id = fields.String()
    display_name = fields.String()
    reason = fields.String(metadata={"description": "same_phone or same_name"})


class MemberOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    display_name = fields.String()
    phone = fields.String(allow_none=True, metadata={"description": "E.164"})
    phone_display = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    tags = fields.List(fields.String())
    preferred_channel = fields.String()
    joined_on = fields.Date()
    fee_cents = fields.Integer()
    renewal_on = fields.Date(allow_none=True)
    consents = fields.List(fields.Nested(ConsentOutput))
    shared_with_network = fields.Boolean()
    likely_duplicates = fields.List(fields.Nested(DuplicateOutput))
    created_at = fields.AwareDateTime()
    erased_at = fields.AwareDateTime(allow_none=True)


class MemberSummaryOutput(Schema):
    """One line of a search at the counter."""

    id = fields.String()
    village_id = fields.String()
    display_name = fields.String()
    phone_display = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    preferred_channel = fields.String()
    likely_duplicates = fields.List(fields.Nested(DuplicateOutput))


class SharedMemberOutput(Schema):
    """A member who consented to be known across the network (no contact details)."""

    id = fields.String()
    village_id = fields.String()
    display_name = fields.String()
    tags = fields.List(fields.String())


class ImportInput(Schema):
    """A CSV file (as exported by a spreadsheet), sent as the body itself (text/csv)."""

    content_type = "text/csv"
    text = fields.String(required=True, validate=validate.Length(min=1, max=2_000_000))


class ImportProblemOutput(Schema):
    row = fields.Integer(metadata={"description": "Line in the file (the header is line 1)."})
    field = fields.String()
    column = fields.String(metadata={"description": "The column's French name."})
    message = fields.String()
    message_en = fields.String()


class ImportReportOutput(Schema):
    imported = fields.Integer()
    rows = fields.Integer()
    problems = fields.List(fields.Nested(ImportProblemOutput))
    member_ids = fields.List(fields.String())


class MemberStatsOutput(Schema):
    """Aggregates for the coordinator: counts only, no personal data."""

    total = fields.Integer()
    erased = fields.Integer()
    by_village = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_tag = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_village_and_tag = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer())
    )
    sharing_with_network = fields.Integer()
