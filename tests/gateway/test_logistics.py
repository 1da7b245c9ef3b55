"""The logistics partners as the counter names them (gateway/logistics.py): checked before a parcel
or a vehicle names one; offered and named on the counter's pages, which still show when the partners
service does not answer."""

import pytest

from backbone.errors import InvalidInput, NotFound, ServiceUnavailable
from gateway import logistics

POSTE = {"id": "p1", "name": "La Poste", "relationships": ["logistics", "client"]}
FARM = {"id": "p2", "name": "Ferme des Combes", "relationships": ["supplier"]}


class Partners:
    def __init__(self, *known, down=False):
        self.known, self.down = {p["id"]: p for p in known}, down

    def _answer(self, value):
        if self.down:
            raise ServiceUnavailable("partners", "timeout")
        return value

    def list_partners(self, village_id=None):
        return self._answer(list(self.known.values()))

    def get_partner(self, partner_id):
        if not self.down and partner_id not in self.known:
            raise NotFound("partner", partner_id)
        return self._answer(self.known.get(partner_id))


def test_a_named_partner_must_be_a_known_logistics_partner():
    partners = Partners(POSTE, FARM)
    logistics.check_logistics_partner(partners, "partner_id", None)
    logistics.check_logistics_partner(partners, "partner_id", "p1")
    for partner_id, message in (
        ("nope", "Unknown partner: nope."),
        ("p2", "Not a logistics partner: Ferme des Combes."),
    ):
        with pytest.raises(InvalidInput) as bad:
            logistics.check_logistics_partner(partners, "partner_id", partner_id)
        assert bad.value.errors == {"partner_id": [message]}


def test_the_counter_offers_and_names_carriers_and_still_shows_without_the_partners_service():
    partners = Partners(POSTE, FARM)
    assert logistics.carriers_offered(partners, "v") == [{"id": "p1", "name": "La Poste"}]
    assert logistics.carrier_name(partners, "p1") == "La Poste"
    assert logistics.carrier_name(partners, None) is None
    assert logistics.carrier_name(partners, "gone") == "un transporteur partenaire"
    down = Partners(POSTE, down=True)
    assert logistics.carriers_offered(down, "v") == []
    assert logistics.carrier_name(down, "p1") == "un transporteur partenaire"
    with pytest.raises(
        ServiceUnavailable
    ):  # the API says the service is away rather than an empty list
        logistics.carriers_of(down, "v")
