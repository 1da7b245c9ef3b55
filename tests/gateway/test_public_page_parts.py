"""The public pages' pure parts: how hours, moments and prices are said in French, and the page
cache (a page kept for its seconds, then built again; none kept when the setting is 0)."""

from datetime import UTC, datetime

from gateway.console.public_pages import (
    PageCache,
    clock,
    exception_line,
    moment,
    opening_line,
    price,
    weekly_rows,
)

NOW = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)  # a Tuesday, 10:30 in Paris


def test_times_are_said_the_french_way():
    assert [clock(t) for t in ("09:00", "14:30", "24:00", "00:00")] == [
        "9 h",
        "14 h 30",
        "minuit",
        "minuit",
    ]
    assert moment("2026-12-08T12:30:00+01:00", NOW) == "à 12 h 30"
    assert moment("2026-12-09T09:00:00+01:00", NOW) == "demain à 9 h"
    assert moment("2026-12-12T09:00:00+01:00", NOW) == "samedi 12 décembre à 9 h"


def test_open_now_or_the_next_opening():
    opened = {"open": True, "until": "2026-12-08T12:30:00+01:00", "next_opening": None}
    assert opening_line(opened, NOW) == "Ouvert maintenant, fermeture à 12 h 30"
    closed = {"open": False, "until": None, "next_opening": "2026-12-09T09:00:00+01:00"}
    assert opening_line(closed, NOW) == "Fermé — prochaine ouverture demain à 9 h"
    never = {"open": False, "until": None, "next_opening": None}
    assert opening_line(never, NOW) == "Fermé"


def test_a_week_every_day_named_and_exceptions_in_words():
    rows = weekly_rows(
        [
            {"day": "tuesday", "opens": "09:00", "closes": "12:00"},
            {"day": "tuesday", "opens": "14:00", "closes": "18:30"},
        ]
    )
    assert rows[0] == ("Lundi", "fermé") and rows[1] == ("Mardi", "9 h – 12 h, 14 h – 18 h 30")
    assert len(rows) == 7
    christmas = {"start": "2026-12-25", "end": "2026-12-25", "closed": True, "label": "Noël"}
    assert exception_line(christmas) == "Le vendredi 25 décembre 2026 : fermé (Noël)"
    summer = {
        "start": "2026-08-01",
        "end": "2026-08-15",
        "closed": False,
        "label": None,
        "slots": [{"opens": "09:00", "closes": "12:00"}],
    }
    assert exception_line(summer) == (
        "Du samedi 1 août 2026 au samedi 15 août 2026 : horaires exceptionnels : 9 h – 12 h"
    )


def test_a_local_price_with_its_unit():
    assert price(320, "piece") == "3,20\u00a0€ / pièce"
    assert price(1850, "kg") == "18,50\u00a0€ / kg"
    assert price(5, "jar") == "0,05\u00a0€ / pot"


def test_a_page_is_kept_for_its_seconds_then_built_again():
    now = [100.0]
    cache = PageCache(30, clock=lambda: now[0])
    assert cache.get("/village/a") is None
    cache.keep("/village/a", "<p>a</p>")
    now[0] += 29.9
    assert cache.get("/village/a") == "<p>a</p>"
    now[0] += 0.2
    assert cache.get("/village/a") is None


def test_no_page_is_kept_when_the_setting_is_zero():
    cache = PageCache(0)
    cache.keep("/villages", "<p>list</p>")
    assert cache.get("/villages") is None and cache.pages == {}
