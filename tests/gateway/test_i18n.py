"""What people read is French first: marshmallow's and our schemas' messages are translated."""
import pytest
from marshmallow import ValidationError

from gateway.i18n import MESSAGES, translate, translate_field_errors
from services.members.schemas import StaffAccountInput, VillageInput
from services.partners.schemas import PartnerInput


@pytest.mark.parametrize("schema, data", [
    (VillageInput(), {"slug": "A B", "name": "", "insee_code": "x", "postcode": "1", "kind": "z",
                      "population": -1, "extra": 1}),
    (VillageInput(), {"slug": 3, "name": None, "population": "x"}),
    (StaffAccountInput(), {"email": "nope", "password": "short", "role": "concierge", "full_name": "A"}),
    (StaffAccountInput(), {"email": "a@b.fr", "password": "x" * 12, "role": "coordinator", "full_name": "Ab",
                           "village_id": "v"}),
    (PartnerInput(), {"name": "A", "kind": "alien", "village_ids": "nope"}),
])
def test_every_message_our_schemas_produce_has_a_french_translation(schema, data):
    with pytest.raises(ValidationError) as err:
        schema.load(data)

    def strings(errors):
        if isinstance(errors, dict):
            for value in errors.values():
                yield from strings(value)
        elif isinstance(errors, list):
            for value in errors:
                yield from strings(value)
        else:
            yield errors

    for english in strings(err.value.messages):
        assert translate(english) != english, f"no French for {english!r}"


def test_translation_keeps_the_shape_and_the_values():
    errors = {"name": ["Length must be between 2 and 120."], "nested": {"0": ["Not a valid string."]}}
    assert translate_field_errors(errors) == {
        "name": ["La longueur doit être comprise entre 2 et 120 caractères."],
        "nested": {"0": ["Texte attendu."]}}


def test_every_code_has_french_and_english():
    for code, (french, english) in MESSAGES.items():
        assert french and english and french != english, code
