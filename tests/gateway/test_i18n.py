"""What people read is French first: marshmallow's and our schemas' messages are translated."""

import pytest
from marshmallow import ValidationError

from gateway.i18n import MESSAGES, translate, translate_field_errors
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
    errors = {
        "name": ["Length must be between 2 and 120."],
        "nested": {"0": ["Not a valid string."]},
    }
    assert translate_field_errors(errors) == {
        "name": ["La longueur doit être comprise entre 2 et 120 caractères."],
        "nested": {"0": ["Texte attendu."]},
    }


def test_every_code_has_french_and_english():
    for code, (french, english) in MESSAGES.items():
        assert french and english and french != english, code


def test_the_events_service_own_messages_have_a_french_translation():
    for english in (
        "Unknown partner: p1.",
        "Unknown member: m1.",
        "Unknown role: buvette.",
        "Holds no role at this animation: m1.",
        "Each volunteer appears once.",
        "At most 52 occurrences.",
    ):
        assert translate(english) != english, english
