"""What people read is French first: marshmallow's and our schemas' messages are codes of the
catalogue, in French and English from the start."""

import pytest
from marshmallow import ValidationError

from backbone.errors import InvalidInput
from backbone.messages import french
from gateway.i18n import MESSAGES
from services.events.schemas import (
    AnimationInput,
    AttendanceInput,
    RegistrationInput,
    SuggestionInput,
    SuggestionStatusInput,
)
from services.members.schemas import (
    OpeningExceptionInput,
    OpeningHoursInput,
    OpeningStatusQuery,
    StaffAccountInput,
    StopInput,
    VillageInput,
    VillageStatusInput,
    VillageUpdateInput,
)
from services.partners.schemas import PartnerInput
from services.partners.schemas.partners import PartnerRemovalInput
from tests.support.messages import without_code, without_french


@pytest.mark.parametrize(
    "schema, data",
    [
        (
            VillageInput(),
            {
                "slug": "A B",
                "name": "",
                "insee_code": "x",
                "postcode": "1",
                "kind": "z",
                "population": -1,
                "extra": 1,
            },
        ),
        (VillageInput(), {"slug": 3, "name": None, "population": "x"}),
        (
            StaffAccountInput(),
            {"email": "nope", "password": "short", "role": "concierge", "full_name": "A"},
        ),
        (
            StaffAccountInput(),
            {
                "email": "a@b.fr",
                "password": "x" * 12,
                "role": "coordinator",
                "full_name": "Ab",
                "village_id": "v",
            },
        ),
        (PartnerInput(), {"name": "A", "kind": "alien", "village_ids": "nope"}),
        (PartnerRemovalInput(), {}),
        (PartnerRemovalInput(), {"reason": "   \t  "}),
        (PartnerRemovalInput(), {"reason": "x" * 301}),
        # places
        (
            VillageInput(),
            {
                "slug": "ok",
                "name": "Ok",
                "commune": "Ok",
                "insee_code": "19164",
                "postcode": "19290",
                "kind": "fixed",
                "services": ["cafe", "cafe"],
                "status": "closed",
            },
        ),
        (
            VillageUpdateInput(),
            {
                "coordinates": {"latitude": 91, "longitude": "x"},
                "services": ["spa"],
                "street": "",
                "slug": "x",
            },
        ),
        (VillageUpdateInput(), {"coordinates": {"latitude": 1}, "services": "cafe"}),
        (VillageStatusInput(), {"status": "asleep", "reason": "x" * 301}),
        (VillageStatusInput(), {}),
        (
            OpeningHoursInput(),
            {
                "weekly": [
                    {"day": "lundi", "opens": "9h", "closes": "25:00"},
                    {"day": "monday", "opens": "12:00", "closes": "09:00"},
                ],
                "exceptions": [
                    {"start": "2025-06-10", "end": "2025-06-01"},
                    {"start": "2025-06-10", "closed": False},
                    {
                        "start": "2025-06-10",
                        "closed": True,
                        "slots": [{"opens": "09:00", "closes": "10:00"}],
                    },
                    {"start": "2025-01-01", "end": "2026-12-31"},
                    {"start": "10/06/2025"},
                ],
            },
        ),
        (
            OpeningHoursInput(),
            {
                "weekly": [
                    {"day": "monday", "opens": "09:00", "closes": "12:00"},
                    {"day": "monday", "opens": "11:00", "closes": "13:00"},
                ]
            },
        ),
        (
            OpeningExceptionInput(),
            {
                "start": "2025-06-10",
                "closed": False,
                "slots": [
                    {"opens": "09:00", "closes": "12:00"},
                    {"opens": "10:00", "closes": "11:00"},
                ],
            },
        ),
        (
            StopInput(),
            {"name": "X", "coordinates": {"latitude": 12}, "position": -1, "weekly": "x"},
        ),
        (OpeningStatusQuery(), {"at": "2025-06-03T10:00:00"}),
        # animations and suggestions
        (
            AnimationInput(),
            {
                "kind": "rave",
                "title": "",
                "place": "x",
                "starts_at": "2026-12-05T14:00:00",
                "ends_at": "demain",
                "capacity": 0,
                "roles": [{"role": "", "needed": 0}],
            },
        ),
        (
            AnimationInput(),
            {
                "kind": "atelier",
                "title": "Tricot",
                "place": "Salle",
                "capacity": 3,
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-05T13:00:00+01:00",
            },
        ),
        (
            AnimationInput(),
            {
                "kind": "atelier",
                "title": "Tricot",
                "place": "Salle",
                "capacity": 3,
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-25T13:00:00+01:00",
                "roles": [{"role": "accueil", "needed": 1}, {"role": "accueil", "needed": 2}],
            },
        ),
        (
            AnimationInput(),
            {
                "kind": "atelier",
                "title": "Tricot",
                "place": "Salle",
                "capacity": 3,
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-05T16:00:00+01:00",
                "co_organiser_ids": ["a", "a"],
            },
        ),
        (
            AnimationInput(),
            {
                "kind": "atelier",
                "title": "Tricot",
                "place": "Salle",
                "capacity": 3,
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-05T16:00:00+01:00",
                "recurrence": {"frequency": "daily", "count": 1, "until": "demain"},
            },
        ),
        (
            AnimationInput(),
            {
                "kind": "atelier",
                "title": "Tricot",
                "place": "Salle",
                "capacity": 3,
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-05T16:00:00+01:00",
                "recurrence": {"frequency": "weekly"},
            },
        ),
        (
            AnimationInput(),
            {
                "kind": "atelier",
                "title": "Tricot",
                "place": "Salle",
                "capacity": 3,
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-05T16:00:00+01:00",
                "recurrence": {"frequency": "weekly", "count": 3, "until": "2027-01-01"},
            },
        ),
        (
            AnimationInput(),
            {
                "kind": "atelier",
                "title": "Tricot",
                "place": "Salle",
                "capacity": 3,
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-05T16:00:00+01:00",
                "recurrence": {"frequency": "weekly", "until": "2026-01-01"},
            },
        ),
        (RegistrationInput(), {}),
        (RegistrationInput(), {"member_id": "m", "guest_name": "Paul"}),
        (RegistrationInput(), {"guest_name": "Paul", "guest_phone": "pas de tel"}),
        (
            AttendanceInput(),
            {"people_reached": -1, "volunteers": [{"member_id": "m", "minutes": 0}]},
        ),
        (SuggestionInput(), {"category": "ovni", "text": "x"}),
        (SuggestionStatusInput(), {"status": "declined"}),
        (SuggestionStatusInput(), {"status": "lost"}),
    ],
)
def test_every_message_our_schemas_produce_has_a_french_translation(schema, data):
    with pytest.raises(ValidationError) as err:
        schema.load(data)
    assert without_code(err.value.messages) == []
    assert without_french(InvalidInput(err.value.messages)) == []


def test_the_french_keeps_the_shape_and_the_values():
    with pytest.raises(ValidationError) as err:
        VillageInput().load({"slug": 3, "name": "A", "services": [7]})
    errors = err.value.messages
    assert errors["name"] == ["Length must be between 2 and 120."]
    assert french(errors)["name"] == ["La longueur doit être comprise entre 2 et 120 caractères."]
    assert french(errors)["slug"] == ["Texte attendu."]
    assert french(errors)["services"] == {0: ["Texte attendu."]}


def test_every_code_has_french_and_english():
    for code, (french_text, english) in MESSAGES.items():
        assert french_text and english and french_text != english, code
