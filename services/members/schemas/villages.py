"""Shapes of villages at the members service's boundary."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.members import VILLAGE_KINDS, VILLAGE_STATUSES
from backbone.messages import msg
from backbone.schemas import Schema
from services.members.schemas.opening_hours import CoordinatesInput

SLUG = validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error=msg("slug_format"))
INSEE = validate.Regexp(r"^(\d{5}|2[AB]\d{3})$", error=msg("insee_code_format", example="19031"))
POSTCODE = validate.Regexp(r"^\d{5}$", error=msg("postcode_format"))

# What a hub may offer: code -> French label (the one fixed list of the network)
VILLAGE_SERVICES = {
    "grocery": "Épicerie",
    "cafe": "Café",
    "parcel_relay": "Point relais colis",
    "lockers": "Casiers",
    "help_at_home": "Coups de main",
    "animations": "Animations",
    "bread_depot": "Dépôt de pain",
    "local_products": "Produits locaux",
    "postal_services": "Services postaux",
    "newspapers": "Presse",
    "digital_help": "Aide au numérique",
    "paperwork_help": "Aide aux démarches",
    "laundry_depot": "Dépôt pressing",
}


class PublicPhone(fields.String):
    """The hub's public phone number as typed; loaded as E.164."""

    def _deserialize(self, value, attr, data, **kwargs):
        # imported here: the people schemas import this module (POSTCODE)
        from services.members.schemas.people import normalise_phone

        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_phone(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _unique_services(data):
    services = data.get("services") or []
    if len(set(services)) != len(services):
        raise ValidationError(msg("service_listed_twice"), "services")


class VillageInput(Schema):
    slug = fields.String(required=True, validate=[validate.Length(min=2, max=60), SLUG])
    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    commune = fields.String(required=True, validate=validate.Length(min=2, max=120))
    insee_code = fields.String(required=True, validate=INSEE)
    postcode = fields.String(required=True, validate=POSTCODE)
    kind = fields.String(required=True, validate=validate.OneOf(VILLAGE_KINDS))
    population = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=100000)
    )
    street = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=2, max=200)
    )
    coordinates = fields.Nested(CoordinatesInput, load_default=None, allow_none=True)
    services = fields.List(
        fields.String(validate=validate.OneOf(tuple(VILLAGE_SERVICES))),
        load_default=list,
        validate=validate.Length(max=len(VILLAGE_SERVICES)),
    )
    status = fields.String(load_default="open", validate=validate.OneOf(("preparing", "open")))
    public_phone = PublicPhone(load_default=None, allow_none=True)
    public_email = fields.Email(
        load_default=None, allow_none=True, validate=validate.Length(max=254)
    )

    @validates_schema
    def unique_services(self, data, **_kwargs):
        _unique_services(data)


class VillageUpdateInput(Schema):
    """What the coordinator may change on a village; absent fields stay as they are (slug and kind
    are fixed once opened: stops and read models hang on them)."""

    name = fields.String(validate=validate.Length(min=2, max=120))
    commune = fields.String(validate=validate.Length(min=2, max=120))
    insee_code = fields.String(validate=INSEE)
    postcode = fields.String(validate=POSTCODE)
    population = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))
    street = fields.String(allow_none=True, validate=validate.Length(min=2, max=200))
    coordinates = fields.Nested(CoordinatesInput, allow_none=True)
    services = fields.List(
        fields.String(validate=validate.OneOf(tuple(VILLAGE_SERVICES))),
        validate=validate.Length(max=len(VILLAGE_SERVICES)),
    )
    public_phone = PublicPhone(allow_none=True)
    public_email = fields.Email(allow_none=True, validate=validate.Length(max=254))

    @validates_schema
    def unique_services(self, data, **_kwargs):
        _unique_services(data)


class VillageStatusInput(Schema):
    status = fields.String(required=True, validate=validate.OneOf(VILLAGE_STATUSES))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class VillageNameOutput(Schema):
    """A village in a list of every village (a national network has a thousand)."""

    id = fields.String()
    slug = fields.String()
    name = fields.String()
    status = fields.String()


class VillageOutput(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    commune = fields.String()
    insee_code = fields.String()
    postcode = fields.String()
    kind = fields.String()
    population = fields.Integer(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    status_changed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    street = fields.String(allow_none=True)
    address = fields.Method("_address", metadata={"description": "street, postcode, commune"})
    coordinates = fields.Method(
        "_coordinates",
        allow_none=True,
        metadata={"description": "latitude, longitude (WGS 84), or null"},
    )
    services = fields.Method(
        "_services", metadata={"description": "services offered: code and French label"}
    )
    public_phone = fields.String(
        allow_none=True, metadata={"description": "the hub's public phone (E.164), or null"}
    )
    public_email = fields.String(
        allow_none=True, metadata={"description": "the hub's public e-mail, or null"}
    )

    def _address(self, village):
        return {"street": village.street, "postcode": village.postcode, "commune": village.commune}

    def _coordinates(self, village):
        if village.latitude is None or village.longitude is None:
            return None
        return {"latitude": village.latitude, "longitude": village.longitude}

    def _services(self, village):
        return [
            {"code": code, "label": VILLAGE_SERVICES.get(code, code)}
            for code in village.services or []
        ]


class VillageIdsInput(Schema):
    village_ids = fields.List(fields.String(), load_default=None, allow_none=True)
