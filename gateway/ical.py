"""A village's animations, or the whole network's, as an iCalendar feed (RFC 5545): what a phone's
or a town hall's calendar subscribes to. Built from the events service's public view: titles,
places, times and the villages' names (host first, then those invited), no personal data."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# every way text may break a line (a lone CR too: some readers split on it), and the other control
# characters RFC 5545 forbids in TEXT (tab aside): a title must never start a property of its own
_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return _BREAK.sub(r"\\n", _CONTROL.sub("", value))


def _stamp(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space
    (not inside a character)."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def calendar(feed: dict) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Maillage//Animations//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text('Animations — ' + feed['village_name'])}",
    ]
    for a in feed["animations"]:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{a['id']}@maillage",
            f"DTSTAMP:{_stamp(a['updated_at'])}",
            f"DTSTART:{_stamp(a['starts_at'])}",
            f"DTEND:{_stamp(a['ends_at'])}",
            f"SUMMARY:{_text(a['title'])}",
            f"LOCATION:{_text(a['place'])}",
            f"CATEGORIES:{_text(a['kind_label'])}",
            *(
                [f"DESCRIPTION:{_text('Villages : ' + ', '.join(a['village_names']))}"]
                if a.get("village_names")
                else []
            ),
            f"STATUS:{'CANCELLED' if a['status'] == 'cancelled' else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
