"""Import of members from a CSV file as a spreadsheet exports it (French headers, `;` or `,`,
UTF-8 or Windows-1252 — the gateway and the CLI decode the bytes with `spreadsheet.decode_text`).

All or nothing: every row is checked (fields, duplicates inside the file and against the
village's members); if any row has a problem nothing is written and the report lists each
problem with its line number and field, its message in French (`message`) and English
(`message_en`), both from the catalogue of field messages (backbone/messages.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from backbone.errors import InvalidInput
from backbone.messages import french, msg
from backbone.schemas import load
from services.members.people import _check_village, _likely_duplicates, new_member
from services.members.schemas.people import (
    CHANNELS,
    CONSENT_PURPOSES,
    TAGS,
    MemberInput,
    display_phone,
    normalise_name,
)

MAX_ROWS = 5000


def _key(text: str) -> str:
    return normalise_name(text).replace(" ", "")


# header as typed (normalised: no accents, case, spaces or punctuation) -> field
HEADERS = {
    "nom": "last_name",
    "nomdefamille": "last_name",
    "prenom": "first_name",
    "telephone": "phone",
    "tel": "phone",
    "portable": "phone",
    "mobile": "phone",
    "email": "email",
    "mail": "email",
    "courriel": "email",
    "adressemail": "email",
    "adresseemail": "email",
    "adresse": "address",
    "codepostal": "postcode",
    "cp": "postcode",
    "commune": "city",
    "ville": "city",
    # where the home is (a GPS export, an address geocoded elsewhere): home deliveries stop there
    "latitude": "latitude",
    "lat": "latitude",
    "longitude": "longitude",
    "long": "longitude",
    "lon": "longitude",
    "profil": "tags",
    "etiquettes": "tags",
    "tags": "tags",
    "canal": "preferred_channel",
    "canalprefere": "preferred_channel",
    "contactprefere": "preferred_channel",
    "datedadhesion": "joined_on",
    "adhesion": "joined_on",
    "adhesionle": "joined_on",
    "cotisation": "fee_cents",
    "cotisationeuros": "fee_cents",
    "renouvellement": "renewal_on",
    "datederenouvellement": "renewal_on",
    "consentements": "consents",
    "consentement": "consents",
}
REQUIRED = ("last_name", "first_name")

_TAG_WORDS = (
    {_key(french): code for code, french in TAGS.items()}
    | {_key(code): code for code in TAGS}
    | {
        _key("mobilité réduite"): "reduced_mobility",
        _key("pmr"): "reduced_mobility",
        _key("vit seul"): "living_alone",
        _key("vit seule"): "living_alone",
        _key("seul"): "living_alone",
        _key("seule"): "living_alone",
        _key("malentendant"): "hearing_impaired",
        _key("malentendante"): "hearing_impaired",
        _key("active"): "commuter",
        _key("actif/active"): "commuter",
    }
)
_CHANNEL_WORDS = (
    {_key(french): code for code, french in CHANNELS.items()}
    | {_key(code): code for code in CHANNELS}
    | {
        _key("tel"): "phone",
        _key("téléphone"): "phone",
        _key("texto"): "sms",
        _key("mail"): "email",
        _key("courriel"): "email",
        _key("comptoir"): "counter",
        _key("guichet"): "counter",
        _key("accueil"): "counter",
    }
)
_CONSENT_WORDS = (
    {_key(french): code for code, french in CONSENT_PURPOSES.items()}
    | {_key(code): code for code in CONSENT_PURPOSES}
    | {
        _key("partage réseau"): "share_with_network",
        _key("réseau"): "share_with_network",
        _key("partage"): "share_with_network",
        _key("photo"): "photos",
        _key("newsletter"): "newsletter",
        _key("lettre"): "newsletter",
    }
)


class _RowError(Exception):
    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def _words(cell: str, table: dict, field: str, unknown: str) -> list[str]:
    codes = []
    for word in re.split(r"[,/|+;]", cell):
        if not word.strip():
            continue
        code = table.get(_key(word))
        if code is None:
            raise _RowError(field, msg(unknown, word=word.strip()))
        if code not in codes:
            codes.append(code)
    return codes


def _date(cell: str, field: str) -> str:
    for fmt in ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(cell, fmt).date().isoformat()
        except ValueError:
            continue
    raise _RowError(field, msg("import_date_format"))


def _euros(cell: str, field: str) -> int:
    text = (
        cell.replace("€", "")
        .replace("EUR", "")
        .replace("\u00a0", "")
        .replace(" ", "")
        .replace(",", ".")
    )
    if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
        raise _RowError(field, msg("import_euros_format"))
    return round(float(text) * 100)


def _row_to_input(cells: dict, village_id: str) -> dict:
    data = {"village_id": village_id}
    for field, cell in cells.items():
        cell = (cell or "").strip()
        if not cell:
            continue
        if field == "tags":
            data["tags"] = _words(cell, _TAG_WORDS, field, "unknown_profile")
        elif field == "consents":
            data["consents"] = _words(cell, _CONSENT_WORDS, field, "unknown_consent")
        elif field == "preferred_channel":
            channel = _words(cell, _CHANNEL_WORDS, field, "unknown_channel")
            data[field] = channel[0] if channel else "phone"
        elif field in ("joined_on", "renewal_on"):
            data[field] = _date(cell, field)
        elif field == "fee_cents":
            data[field] = _euros(cell, field)
        elif field in ("latitude", "longitude"):
            data[field] = cell.replace(",", ".")  # French spreadsheets write 45,78
        else:
            data[field] = cell
    if "preferred_channel" not in data and "phone" not in data:
        data["preferred_channel"] = "email" if "email" in data else "counter"
    return data


def _flatten(errors) -> list[tuple[str, str]]:
    flat = []
    for field, messages in errors.items():
        if isinstance(messages, dict):  # a list field: {index: [messages]}
            for inner in messages.values():
                flat += [(field, m) for m in (inner if isinstance(inner, list) else [inner])]
        else:
            flat += [(field, m) for m in (messages if isinstance(messages, list) else [messages])]
    return flat


def parse(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(fields of the columns, [(line number, cells)]). Raises InvalidInput for a file that is not
    a table with the required columns."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise InvalidInput({"file": [msg("file_empty")]})
    delimiter = (
        ";"
        if first.count(";") >= first.count(",") and ";" in first
        else ("," if "," in first else ";")
    )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    fields, unknown = [], []
    for name in header:
        field = HEADERS.get(_key(name))
        if field is None and name.strip():
            unknown.append(name.strip())
        fields.append(field)
    problems = {}
    if unknown:
        problems["header"] = [msg("unknown_column", column=name) for name in unknown]
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        problems.setdefault("header", []).append(
            msg(
                "missing_column",
                column=", ".join({"last_name": "Nom", "first_name": "Prénom"}[m] for m in missing),
            )
        )
    if problems:
        raise InvalidInput(problems)
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((reader.line_num, cells))
    if len(rows) > MAX_ROWS:
        raise InvalidInput({"file": [msg("too_many_rows", rows=MAX_ROWS)]})
    return fields, rows


def _in_french(problems: list[dict]) -> list[dict]:
    """Each problem with its French `message` beside its English `message_en`."""
    return [{**problem, "message": french(problem["message_en"])} for problem in problems]


def _check(uow, village_id: str, text: str) -> tuple[int, list[dict], list[tuple[int, dict]]]:
    """(rows read, problems, [(line, loaded member)] of the rows without any), nothing written."""
    _check_village(uow, village_id)
    try:
        fields, rows = parse(text)
    except InvalidInput as exc:
        problems = [
            {"row": 1, "field": field, "message_en": message}
            for field, message in _flatten(exc.errors)
        ]
        return 0, problems, []
    problems, inputs = [], []
    seen_phones, seen_names = {}, {}
    for line, cells in rows:
        if len(cells) > len(fields):
            problems.append(
                {
                    "row": line,
                    "field": "file",
                    "message_en": msg(
                        "more_cells_than_columns", cells=len(cells), columns=len(fields)
                    ),
                }
            )
            continue
        raw = {field: cell for field, cell in zip(fields, cells) if field}
        try:
            data = load(MemberInput(), _row_to_input(raw, village_id))
        except _RowError as exc:
            problems.append({"row": line, "field": exc.field, "message_en": exc.message})
            continue
        except InvalidInput as exc:
            problems += [
                {"row": line, "field": field, "message_en": message}
                for field, message in _flatten(exc.errors)
            ]
            continue
        name = normalise_name(f"{data['first_name']} {data['last_name']}")
        twin = seen_phones.get(data["phone"]) if data.get("phone") else None
        if twin is None:
            twin = seen_names.get(name)
        if twin is not None:
            problems.append(
                {
                    "row": line,
                    "field": "phone"
                    if data.get("phone") and seen_phones.get(data["phone"])
                    else "last_name",
                    "message_en": msg("same_person_as_row", row=twin),
                }
            )
            continue
        if data.get("phone"):
            seen_phones[data["phone"]] = line
        seen_names[name] = line
        existing = _likely_duplicates(uow, village_id, name, data.get("phone"))
        if existing:
            problems.append(
                {
                    "row": line,
                    "field": "phone" if existing[0]["reason"] == "same_phone" else "last_name",
                    "message_en": msg("already_registered_here", name=existing[0]["display_name"]),
                }
            )
            continue
        inputs.append((line, data))
    if not rows and not problems:
        problems.append({"row": 2, "field": "file", "message_en": msg("file_without_rows")})
    return len(rows), problems, inputs


def preview_import(uow, village_id: str, text: str) -> dict:
    """What an import would do, without writing: the rows it would register (line, name and
    contacts, to be read before confirming) and each problem of the others."""
    rows, problems, inputs = _check(uow, village_id, text)
    return {
        "rows": rows,
        "problems": _in_french(problems),
        "valid": [
            {
                "row": line,
                "display_name": f"{data['first_name'].strip()} {data['last_name'].strip()}",
                "phone_display": display_phone(data.get("phone")),
                "email": data.get("email"),
                "address": data.get("address"),
                "tags": data.get("tags", []),
                "preferred_channel": data["preferred_channel"],
            }
            for line, data in inputs
        ],
    }


def import_members(uow, village_id: str, text: str, *, skip_invalid: bool = False) -> dict:
    """Check every row, then write them all in one transaction, or nothing. `skip_invalid`: the
    rows without a problem are written all together (what a preview showed and the concierge
    confirmed); the others are reported, not written."""
    rows, problems, inputs = _check(uow, village_id, text)
    if (problems and not skip_invalid) or not inputs:
        return {"imported": 0, "rows": rows, "problems": _in_french(problems), "member_ids": []}
    ids = []
    for _line, data in inputs:
        member, _duplicates = new_member(uow, {**data, "confirm_duplicate": True})
        ids.append(member.id)
    uow.commit()
    return {"imported": len(ids), "rows": rows, "problems": _in_french(problems), "member_ids": ids}
