"""The iCalendar feed is valid RFC 5545 text: escaped, folded, cancelled events marked."""

import re

from gateway.ical import calendar


def test_a_feed_escapes_folds_and_marks_cancelled_events():
    feed = {
        "village_id": "v",
        "village_name": "Le Bourg-aux-Chênes",
        "animations": [
            {
                "id": "a1",
                "title": "Café, tricot; et papotage " + "très long " * 10,
                "kind_label": "Café",
                "place": "Salle des fêtes",
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-05T16:00:00+01:00",
                "status": "scheduled",
                "updated_at": "2026-11-28T10:00:00+00:00",
            },
            {
                "id": "a2",
                "title": "Marché",
                "kind_label": "Marché",
                "place": "Place",
                "status": "cancelled",
                "starts_at": "2026-12-06T09:00:00+00:00",
                "ends_at": "2026-12-06T12:00:00+00:00",
                "updated_at": "2026-11-28T10:00:00+00:00",
            },
        ],
    }
    text = calendar(feed)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261205T130000Z\r\n" in text and "STATUS:CANCELLED" in text
    assert "SUMMARY:Café\\, tricot\\; et papotage" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "très long " * 9 in unfolded.replace("\\", "")


def test_the_villages_an_animation_is_open_to_are_named():
    feed = {
        "village_id": None,
        "village_name": "réseau Maillage",
        "animations": [
            {
                "id": "a1",
                "title": "Repas partagé",
                "kind_label": "Repas partagé",
                "place": "Salle des fêtes",
                "starts_at": "2026-12-05T12:00:00+01:00",
                "ends_at": "2026-12-05T14:00:00+01:00",
                "status": "scheduled",
                "updated_at": "2026-11-28T10:00:00+00:00",
                "village_names": ["Le Bourg-aux-Chênes", "Montcalvel"],
            }
        ],
    }
    text = calendar(feed).replace("\r\n ", "")
    assert "X-WR-CALNAME:Animations — réseau Maillage" in text
    assert "DESCRIPTION:Villages : Le Bourg-aux-Chênes\\, Montcalvel\r\n" in text


def test_no_line_break_in_a_title_place_or_name_starts_a_line_of_its_own():
    """Issue 21: a lone carriage return (or line feed, CRLF, a Unicode line separator, another
    control character) typed in a title, a place or a village's name must not add a property to
    the public feed: every break becomes the escaped `\\n` of RFC 5545,
    other controls are dropped."""
    breaks = ["\r", "\n", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]
    feed = {
        "village_id": "v",
        "village_name": "Bourg\rATTENDEE:mailto:evil@example.org",
        "animations": [
            {
                "id": f"a{n}",
                "title": f"Atelier{brk}ATTACH:http://evil.example/x",
                "kind_label": "Atelier",
                "place": f"Salle{brk}URL:http://evil.example/",
                "starts_at": "2026-12-05T14:00:00+01:00",
                "ends_at": "2026-12-05T16:00:00+01:00",
                "status": "scheduled",
                "updated_at": "2026-11-28T10:00:00+00:00",
                "village_names": [f"Montcalvel{brk}STATUS:CANCELLED"],
            }
            for n, brk in enumerate(breaks)
        ],
    }
    text = calendar(feed)
    unfolded = text.replace("\r\n ", "")
    lines = re.split(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]", unfolded)  # as a lenient reader splits
    assert not any(line.startswith(("ATTACH", "URL", "ATTENDEE")) for line in lines)
    assert sum(line.startswith("STATUS:") for line in lines) == len(breaks)
    for char in "\r\n\x0b\x0c\x85\u2028\u2029":  # nothing but the CRLF that ends each line
        assert char not in unfolded.replace("\r\n", ""), repr(char)
    assert "X-WR-CALNAME:Animations — Bourg\\nATTENDEE:mailto:evil@example.org" in lines
    assert "SUMMARY:Atelier\\nATTACH:http://evil.example/x" in lines
    assert "LOCATION:Salle\\nURL:http://evil.example/" in lines
